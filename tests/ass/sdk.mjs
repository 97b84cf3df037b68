// Drives the published @agentsecretstore/sdk 1.0.0, unchanged, against Latchkey's
// agentsecretstore face: every public method of AgentVault, the 202 approval path
// (ApprovalRequiredError) and the errors the SDK tells apart. Run by tests/e2e/faces_ass.rs
// with Node 22 from node_modules; prints one JSON line of what it saw (never a secret value
// it did not put there itself).
//
// Env: ASS_BASE_URL (the runtime's /ass base), ASS_AGENT_KEY (a master key), ASS_PREFIX (a
// namespace of this run), ASS_LIMITED_KEY (a token without the scopes asked for),
// ASS_VALUE_ONE, ASS_VALUE_TWO, ASS_VALUE_ENV (values to store).
import { pathToFileURL } from "node:url";
import { join } from "node:path";

// The 1.0.0 package's `exports` names a dist/index.mjs it does not ship: load its dist file.
const dist = join(process.cwd(), "node_modules/@agentsecretstore/sdk/dist/index.js");
const sdk = await import(pathToFileURL(dist).href);
const { AgentVault, ApprovalRequiredError, AuthError, ScopeError, SecretNotFoundError, VaultError } = sdk;

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const baseUrl = env("ASS_BASE_URL");
const agentKey = env("ASS_AGENT_KEY");
const prefix = env("ASS_PREFIX");
const ns = `${prefix}/app`;
const out = {};

async function caught(run) {
  try {
    await run();
    return { thrown: null };
  } catch (e) {
    return {
      thrown: e?.constructor?.name ?? String(e),
      code: e?.code,
      status: e?.status,
      message: e?.message,
      approvalId: e?.approvalId,
      isVaultError: e instanceof VaultError,
    };
  }
}

const vault = new AgentVault({ agentKey, baseUrl, retries: 0 });

// requestToken with every option (on its own client: its token is allow-listed).
const own = new AgentVault({ agentKey, baseUrl, retries: 0 });
const token = await own.requestToken({
  scopes: [`secrets:read:${ns}/*`],
  ttl: "15m",
  maxUses: 5,
  ipAllowlist: ["10.0.0.0/8"],
});
out.requestToken = {
  tokenPrefix: token.token.slice(0, 7),
  tokenId: token.token_id,
  expiresInSeconds: Math.round((Date.parse(token.expires_at) - Date.now()) / 1000),
  requiresApproval: token.requires_approval,
  approvalId: token.approval_id,
};

// setSecret creates, then writes the next version.
const created = await vault.setSecret(`${ns}/API_KEY`, env("ASS_VALUE_ONE"), {
  secretType: "api_key",
  accessTier: "standard",
  metadata: { team: "ml" },
});
out.setSecretCreated = created;
const updated = await vault.setSecret(`${ns}/API_KEY`, env("ASS_VALUE_TWO"));
out.setSecretUpdated = updated;

// getSecret and getSecretWithMetadata.
out.getSecret = (await vault.getSecret(`${ns}/API_KEY`)) === env("ASS_VALUE_TWO");
const withMetadata = await vault.getSecretWithMetadata(`${ns}/API_KEY`);
out.getSecretWithMetadata = { ...withMetadata, value: withMetadata.value === env("ASS_VALUE_TWO") };

// importEnv: every line one secret.
out.importEnv = await vault.importEnv(
  `# imported by the SDK\nDB_URL=postgres://db/app\nexport REDIS_URL="${env("ASS_VALUE_ENV")}"\n`,
  ns,
  { secretType: "db_credential" },
);
out.importedValue = (await vault.getSecret(`${ns}/REDIS_URL`)) === env("ASS_VALUE_ENV");

// listSecrets of a namespace of two segments (sent unencoded) and of one.
const listed = await vault.listSecrets(ns);
out.listSecrets = { namespace: listed.namespace, keys: listed.items.map((i) => i.key).sort() };
const top = await vault.listSecrets(prefix);
out.listTop = { namespace: top.namespace, paths: top.items.map((i) => `${i.namespace}/${i.key}`).sort() };

// deleteSecret, then the read is SecretNotFoundError.
await vault.deleteSecret(`${ns}/DB_URL`);
out.deleted = await caught(() => vault.getSecret(`${ns}/DB_URL`));
out.missing = await caught(() => vault.getSecret(`${ns}/NEVER_SET`));

// The 202 path: a sensitive secret, then a fresh client's read needs an approved token.
await vault.setSecret(`${prefix}/vault/STRIPE_KEY`, env("ASS_VALUE_ONE"), { accessTier: "sensitive" });
const fresh = new AgentVault({ agentKey, baseUrl, retries: 0 });
out.approval = await caught(() => fresh.getSecret(`${prefix}/vault/STRIPE_KEY`));

// A key that may not mint what is asked: ScopeError; a key Latchkey does not know: AuthError.
const limited = new AgentVault({ agentKey: env("ASS_LIMITED_KEY"), baseUrl, retries: 0 });
out.scope = await caught(() => limited.getSecret(`${ns}/API_KEY`));
const stranger = new AgentVault({ agentKey: "lk_live_tn_0000000000000000_nope", baseUrl, retries: 0 });
out.auth = await caught(() => stranger.getSecret(`${ns}/API_KEY`));

out.classes = {
  approval: out.approval.thrown === ApprovalRequiredError.name,
  scope: out.scope.thrown === ScopeError.name,
  auth: out.auth.thrown === AuthError.name,
  missing: out.missing.thrown === SecretNotFoundError.name,
};
console.log(JSON.stringify(out));

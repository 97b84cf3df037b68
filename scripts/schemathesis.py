"""The API fuzzing step behind scripts/schemathesis (run that, not this).

Starts its own `wrangler dev` on a free loopback port with a fresh state directory and fresh
ROOT_KEY/OPERATOR_KEY, creates a tenant with the operator key (its rate limit raised so 429s
do not crowd out everything else, its GitOps gate on), registers an agent for the agent-JWT
routes, mints one on /api/v1 for the agent-secret routes, then runs schemathesis against GET
/v1/openapi.json with one credential per security scheme of the document (tenantBearer: the
master key, agentJwt: the registered agent's JWT, agentSecret: the minted agent's secret,
operatorKey: the operator key). Exits non-zero on any finding. The runtime is stopped however
this ends.
"""
import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from localruntime import ROOT, call, start_runtime, stop

VENV = ROOT / ".tmp/schemathesis"
DOCUMENT = ROOT / "worker/openapi.json"

# The checks of the run: no 5xx, statuses, content types, headers and bodies as documented,
# and 405 with Allow for the methods a path does not take.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "unsupported_method",
    "allow_header_conformance",
]






def expect(what, status, body, wanted):
    if status != wanted:
        raise SystemExit(f"setup: {what} answered {status}: {body}")
    return body






# The /api/v1 agent plane's own routes: they name the calling agent's id, so they are fuzzed
# with the minted agent's (any other id is 404 and would test nothing past the router).
MINTED_AGENT_OPERATIONS = [
    "apiAgentHeartbeat", "apiClaimJob", "apiCompleteJob", "apiAgentPublicKey", "apiAgentDek",
    "apiAgentSecretsBulk", "apiAgentWraps", "apiAgentWrap", "apiConnect",
]

# The X25519 base point (u = 9), a valid public key for the minted agent.
BASE_POINT = "CQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def seed(base, operator):
    """A fresh tenant (its limit raised, GitOps on), an agent registered with a bootstrap
    token, an agent minted on /api/v1 with its public key and a queued job, a release for its
    platform, and a secret at the document's example path."""
    tenant = expect("create tenant", *call(base, "POST", "/v1/admin/tenants", operator,
                                            {"name": "schemathesis", "plan": "enterprise"}), 201)
    expect("raise the rate limit, turn GitOps on",
           *call(base, "PATCH", f"/v1/admin/tenants/{tenant['tenant_id']}", operator,
                 {"rate_limit_per_minute": 1_000_000, "gitops_enabled": True}), 200)
    key = tenant["master_key"]
    boot = expect("bootstrap", *call(base, "POST", "/v1/agents/bootstrap", key,
                                     {"max_registrations": 1}), 201)
    agent = expect("register", *call(base, "POST", "/v1/agents/register", None,
                                     {"token": boot["token"], "name": "schemathesis"}), 201)
    expect("grant", *call(base, "POST", "/v1/grants", key,
                          {"agent_id": agent["id"], "path": "production/*"}), 201)
    expect("secret", *call(base, "POST", "/v1/secrets", key,
                           {"path": "production/openai/api-key", "value": "sk-example",
                            "fields": {"host": "db.example.com"}}), 201)
    minted = expect("mint", *call(base, "POST", "/api/v1/agents", key,
                                  {"name": "schemathesis-minted", "os_type": "linux/amd64"}), 201)
    # An agent secret is accepted as the bearer too.
    expect("public key", *call(base, "PUT", f"/api/v1/agents/{minted['id']}/public-key",
                               minted["agent_secret"], {"public_key": BASE_POINT}), 200)
    expect("job", *call(base, "POST", "/api/v1/jobs", key,
                        {"agent_id": minted["id"], "type": "sync"}), 201)
    # The revocation routes get an agent of their own: schemathesis reuses the ids it has seen,
    # and revoking the minted or the registered agent would leave their routes nothing but 401.
    revocable = expect("mint", *call(base, "POST", "/api/v1/agents", key,
                                     {"name": "schemathesis-revocable"}), 201)
    minted["revocable_id"] = revocable["id"]
    expect("release", *call(base, "POST", "/v1/admin/agent-releases", operator,
                            {"platform": "linux/amd64", "version": "1.0.0",
                             "url": "https://dl.example.com/agent", "sha256": "0" * 64}), 201)
    return key, agent["token"], minted


def check_served_document(base):
    """The runtime must serve the committed document (a stale build would test an old one)."""
    with urllib.request.urlopen(base + "/v1/openapi.json", timeout=30) as response:
        served = response.read().decode()
    if served != DOCUMENT.read_text() and os.environ.get("ST_ALLOW_STALE_BUILD") != "1":
        raise SystemExit("the runtime serves another /v1/openapi.json than worker/openapi.json: "
                         "run scripts/build (or set ST_ALLOW_STALE_BUILD=1 to test the file)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("ST_MAX_EXAMPLES", "20")))
    parser.add_argument("--workers", default=os.environ.get("ST_WORKERS", "1"))
    parser.add_argument("--seed", default=os.environ.get("ST_SEED"))
    parser.add_argument("extra", nargs="*", help="more schemathesis run options, after --")
    args = parser.parse_args()

    run_dir = ROOT / ".tmp/schemathesis-run" / time.strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    child, base, operator = start_runtime(run_dir, "st")
    try:
        check_served_document(base)
        key, agent_jwt, minted = seed(base, operator)
        config = run_dir / "schemathesis.toml"
        config.write_text(
            "[auth.openapi.tenantBearer]\n"
            f'bearer = "{key}"\n'
            "[auth.openapi.agentJwt]\n"
            f'bearer = "{agent_jwt}"\n'
            "[auth.openapi.operatorKey]\n"
            f'bearer = "{operator}"\n'
            "[auth.openapi.agentSecret]\n"
            f'api_key = "{minted["agent_secret"]}"\n'
            "[[operations]]\n"
            f'include-operation-id-regex = "^({"|".join(MINTED_AGENT_OPERATIONS)})$"\n'
            f'parameters = {{ "path.id" = "{minted["id"]}" }}\n'
            "[[operations]]\n"
            'include-operation-id-regex = "^(revokeAgent|apiRevokeAgent)$"\n'
            f'parameters = {{ "path.id" = "{minted["revocable_id"]}" }}\n'
            # The live stream stays open for minutes: read each answer for 2 s at most.
            "[[operations]]\n"
            'include-operation-id = "eventStream"\n'
            "request-timeout = 2\n"
        )
        command = [
            str(VENV / "bin/schemathesis"), "--config-file", str(config), "--no-color",
            # The committed document, which the runtime was just checked to serve.
            "run", str(DOCUMENT), "--url", base,
            "--checks", ",".join(CHECKS),
            "--max-examples", str(args.max_examples),
            "--workers", str(args.workers),
            "--request-timeout", "30",
            "--generation-database", "none",
            "--suppress-health-check", "all",
            "--report", "junit", "--report-dir", str(run_dir / "report"),
            "--output-truncate", "false",
            # Not fuzzed: it would point the tenant's approval deliveries (run by the object's
            # alarm) at whatever hosts the fuzzer invents, and nothing here may send traffic
            # off loopback. Its parser is covered by the reliability corpus and e2e tests.
            "--exclude-operation-id", "setNotifications",
            # Not fuzzed either: the secrets broker sends requests to the hosts in its body (and
            # answers 502/504 when they fail); the broker e2e tests cover it.
            "--exclude-operation-id", "proxy",
            # Nor the two GitOps routes that call the Argo CD endpoints the tenant registered:
            # the fuzzer registers endpoints at hosts it invents, and its stateful phase follows
            # their ids. tests/e2e/gitops.rs covers them against a local Argo CD.
            "--exclude-operation-id", "apiArgoApps",
            "--exclude-operation-id", "apiRequestGitops",
            # Vault KV v2's routes answer in Vault's shapes, with its method aliases (PUT for
            # POST, LIST) that a one-operation-per-route document cannot list in `Allow`; the
            # hvac acceptance test and the Vault e2e corpus (tests/e2e/vault.rs) cover them.
            "--exclude-path-regex", "^/v1/(secret|sys)/",
        ]
        if args.seed:
            command += ["--seed", args.seed]
        command += args.extra
        print(f"==> {' '.join(command[3:])}", flush=True)
        started = time.time()
        rc = subprocess.run(command, cwd=run_dir).returncode
        print(f"==> schemathesis exited {rc} after {time.time() - started:.0f} s; "
              f"runtime log: {run_dir / 'wrangler.log'}", flush=True)
        return rc
    finally:
        stop(child)


if __name__ == "__main__":
    sys.exit(main())

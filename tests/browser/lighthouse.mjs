// Lighthouse (npm) on Debian's Chromium, mobile profile (its default: a phone's screen and
// simulated slow 4G and CPU), performance and accessibility, on the console's main pages: the
// login page, then, logged in, the secrets list, a secret, tokens, audit, approvals and requests. Playwright logs in
// in the browser's default profile so Lighthouse's tabs carry the session cookie.
// Prints one JSON line last: {pages: {name: {performance, accessibility}}}.
//
// Driven by tests/e2e/console.rs, which passes CONSOLE_URL, CONSOLE_TENANT, CONSOLE_EMAIL,
// CONSOLE_PASSWORD, CONSOLE_SECRET (a path) and CONSOLE_SHOTS (where the reports go).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import lighthouse from "lighthouse";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`lighthouse.mjs: ${name} is not set`);
    process.exit(2);
  }
  return value;
};
const url = env("CONSOLE_URL");
const secret = env("CONSOLE_SECRET");
const shots = env("CONSOLE_SHOTS");

const port = await new Promise((resolve) => {
  const server = createServer().listen(0, "127.0.0.1", () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});
const profile = mkdtempSync(join(tmpdir(), "lighthouse-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", `--remote-debugging-port=${port}`],
});
const report = { pages: {} };
async function audit(name, target) {
  // A null score is a run Lighthouse could not measure (a runtimeError such as NO_FCP on the
  // first, cold load), not a low score: measure again, at most twice more.
  let result;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    result = await lighthouse(target, {
      port,
      output: "json",
      logLevel: "error",
      onlyCategories: ["performance", "accessibility"],
      // Keep the session cookie between runs (Lighthouse clears storage by default).
      disableStorageReset: true,
    });
    const scores = Object.values(result.lhr.categories).map((c) => c.score);
    if (scores.every((score) => score !== null)) break;
  }
  const { categories } = result.lhr;
  report.pages[name] = {
    performance: categories.performance.score,
    accessibility: categories.accessibility.score,
  };
  writeFileSync(join(shots, `lighthouse-${name}.json`), result.report);
}
try {
  await audit("login", url);
  const page = context.pages()[0] || (await context.newPage());
  await page.goto(url);
  await page.fill("#tenant", env("CONSOLE_TENANT"));
  await page.fill("#email", env("CONSOLE_EMAIL"));
  await page.fill("#password", env("CONSOLE_PASSWORD"));
  await page.click("#login button[type=submit]");
  await page.locator("main h1", { hasText: "Secrets" }).waitFor();
  await audit("secrets", `${url}#/secrets`);
  await audit("secret", `${url}#/secret/${encodeURIComponent(secret)}`);
  await audit("tokens", `${url}#/tokens`);
  await audit("audit", `${url}#/audit`);
  // Where approvers land from a message, often on a phone.
  await audit("approvals", `${url}#/approvals`);
  await audit("requests", `${url}#/requests`);
} catch (e) {
  report.error = e.message.split("\n")[0];
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(report));
process.exit(report.error ? 1 : 0);

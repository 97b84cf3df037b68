// A person authorizing an OAuth client of Latchkey's /mcp in headless Chromium (Debian's,
// driven by playwright-core): opens the authorize URL, signs in, and on the consent page
// allows (or denies). The client's redirect_uri needs no server: a request to it is
// answered here (a loopback listener, like a native client's, when its port is free) and its
// URL recorded. Prints one JSON line for the Rust e2e
// tests and tests/mcp/oauth_client.py.
//
// Usage: node tests/browser/consent.mjs <authorize URL> <tenant> <email> <password>
//          [--scope-text "secrets:use:prod/*"] [--tier standard] [--deny]
import http from "node:http";
import { chromium } from "playwright-core";

const [url, tenant, email, password, ...rest] = process.argv.slice(2);
if (!url || !tenant || !email || !password) {
  console.error(
    "usage: consent.mjs <authorize URL> <tenant> <email> <password> [--scope-text S] [--tier T] [--deny]",
  );
  process.exit(2);
}
const options = { scopeText: null, tier: null, deny: false };
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === "--scope-text") options.scopeText = rest[++i] ?? "";
  else if (rest[i] === "--tier") options.tier = rest[++i] ?? "";
  else if (rest[i] === "--deny") options.deny = true;
  else {
    console.error(`unknown option ${rest[i]}`);
    process.exit(2);
  }
}

// Where the client waits: everything under its redirect_uri (without the query) is caught.
const redirectUri = new URL(url).searchParams.get("redirect_uri") || "";
const caught = (() => {
  try {
    const target = new URL(redirectUri);
    return (u) => {
      const seen = new URL(u);
      return seen.origin === target.origin && seen.pathname === target.pathname;
    };
  } catch {
    return () => false;
  }
})();

const report = {
  authorize_status: null,
  pages: [],
  redirects: [],
  redirect: null,
  failed: [],
  console: [],
  scopes: [],
  tiers: [],
  error: null,
  outcome: null,
};

// One entry per page the person saw: its status, headers that matter, the ids on it.
async function describe(page, response, stage) {
  const headers = response ? await response.allHeaders() : {};
  const ids = await page
    .locator("[id]")
    .evaluateAll((els) => els.map((e) => e.id))
    .catch(() => []);
  const error = (await page.locator("#error").count())
    ? await page.locator("#error").first().innerText()
    : null;
  const entry = {
    stage,
    url: page.url(),
    status: response ? response.status() : null,
    csp: headers["content-security-policy"] ?? null,
    x_frame_options: headers["x-frame-options"] ?? null,
    content_type: headers["content-type"] ?? null,
    ids,
    error,
    text: await page
      .locator("body")
      .innerText()
      .catch(() => ""),
  };
  report.pages.push(entry);
  if (error !== null) report.error = error;
  return entry;
}

// The client's loopback listener, when the redirect URI is one and its port is free; otherwise
// (the echo server's port, a private-use scheme) the request is still recorded, whatever answers.
async function listen() {
  let target;
  try {
    target = new URL(redirectUri);
  } catch {
    return null;
  }
  const host = target.hostname.replace(/^\[|\]$/g, "");
  if (target.protocol !== "http:" || !["127.0.0.1", "localhost", "::1"].includes(host)) return null;
  const server = http.createServer((_, response) => {
    response.writeHead(200, { "content-type": "text/plain" });
    response.end("the client got its answer");
  });
  return new Promise((resolve) => {
    server.once("error", () => resolve(null));
    server.listen(Number(target.port || 80), host, () => resolve(server));
  });
}
const listener = await listen();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(20000);
  // Every 3xx the browser followed, with its Location (the 303 of the consent form included).
  page.on("response", async (response) => {
    const status = response.status();
    if (status >= 300 && status < 400) {
      report.redirects.push({
        url: response.url(),
        status,
        location: (await response.headerValue("location").catch(() => null)) ?? null,
      });
    }
  });
  // The redirect to the client, as the browser sends it (a route handler would not see it:
  // Playwright routes only the first URL of a redirect chain).
  page.on("request", (request) => {
    if (report.redirect === null && caught(request.url())) report.redirect = request.url();
  });
  // CSP violations land here (a form-action that forbids the redirect to the client, say).
  page.on("console", (message) => {
    if (message.type() === "error") report.console.push(message.text());
  });
  page.on("requestfailed", (request) => {
    report.failed.push({ url: request.url(), error: request.failure()?.errorText ?? null });
  });

  try {
    const first = await page.goto(url);
    report.authorize_status = first ? first.status() : null;
    if (report.redirect !== null) {
      report.outcome = "redirected_at_authorize";
    } else {
      const authorize = await describe(page, first, "authorize");
      if (!authorize.ids.includes("login")) {
        report.outcome = "no_login_form";
      } else {
        await page.fill("#tenant", tenant);
        await page.fill("#email", email);
        await page.fill("#password", password);
        const [signed] = await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
        const consent = await describe(page, signed, "consent");
        if (!consent.ids.includes("consent")) {
          report.outcome = "no_consent_form";
        } else {
          report.scopes = await page
            .locator("input[type=checkbox][name=scope]")
            .evaluateAll((els) => els.map((e) => ({ value: e.value, checked: e.checked })));
          report.tiers = await page
            .locator("#tier option")
            .evaluateAll((els) => els.map((e) => e.value))
            .catch(() => []);
          if (options.scopeText !== null) await page.fill("#scope-text", options.scopeText);
          if (options.tier !== null) await page.selectOption("#tier", options.tier);
          const button = options.deny ? "#deny" : "#allow";
          const [decided] = await Promise.all([page.waitForNavigation(), page.click(button)]);
          if (report.redirect !== null) {
            report.outcome = "redirected";
          } else {
            await describe(page, decided, "decided");
            report.outcome = "no_redirect";
          }
        }
      }
    }
  } catch (e) {
    // A step that never happened (a form that never navigated, a missing field): say so.
    report.outcome = `exception: ${e.message.split("\n")[0]}`;
  }
  if (report.redirect !== null) {
    const query = Object.fromEntries(new URL(report.redirect).searchParams);
    report.query = query;
  }
  console.log(JSON.stringify(report));
} finally {
  await browser.close();
  listener?.close();
}

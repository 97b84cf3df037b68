// The console's journeys in headless Chromium (Debian's, driven by playwright-core), against the
// local runtime: 1 log in, 2 create a secret, 3 reveal it and see the audit event, 4 rotate it,
// 9 verify the chain; plus delete/restore, the refusals a page can show (the cookie unreadable,
// the CSP blocking an injected inline script, a fetch without the CSRF token refused), axe-core
// on each page, and screenshots at desktop and phone width. Prints one JSON line last.
//
// Driven by tests/e2e/console.rs, which passes: CONSOLE_URL, CONSOLE_TENANT, CONSOLE_EMAIL,
// CONSOLE_PASSWORD, CONSOLE_VALUE, CONSOLE_ROTATED, CONSOLE_SHOTS (a directory).
import { readFileSync } from "node:fs";
import { harness, heading, DESKTOP, PHONE } from "./harness.mjs";

const { env, report, axe, shoot, journey, watch, launch } = harness("console.mjs");
const url = env("CONSOLE_URL");
const tenant = env("CONSOLE_TENANT");
const email = env("CONSOLE_EMAIL");
const password = env("CONSOLE_PASSWORD");
const value = env("CONSOLE_VALUE");
const rotated = env("CONSOLE_ROTATED");
const approver = env("CONSOLE_APPROVER_EMAIL");
const scope = env("CONSOLE_TOKEN_SCOPE");
const sensitive = env("CONSOLE_SENSITIVE");
const path = "console/db-password";

const browser = await launch();

try {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  watch(page);
  page.setDefaultTimeout(15000);
  // The page's clock, moved by hand to see a revealed value hidden after its time.
  await page.clock.install();

  await journey("1_log_in", async () => {
    await page.goto(url);
    await page.locator("#login").waitFor();
    await axe(page, "login");
    await shoot(page, "login");
    await page.fill("#tenant", tenant);
    await page.fill("#email", email);
    await page.fill("#password", password);
    await page.click("#login button[type=submit]");
    await heading(page, "Secrets");
    report.cookie_visible_to_script = await page.evaluate(() => document.cookie);
  });

  await journey("2_create", async () => {
    await page.click("#new-secret");
    await heading(page, "New secret");
    await axe(page, "new-secret");
    await shoot(page, "new-secret");
    const form = page.locator("#new-secret-form");
    await form.getByLabel("Path", { exact: true }).fill(path);
    await form.getByLabel("Value", { exact: true }).fill(value);
    await form.locator("input[name=tags]").fill("team:ops, env:test");
    await form.getByLabel("Description", { exact: true }).fill("created in the console");
    await form.locator("button[type=submit]").click();
    await heading(page, path);
    await page.locator("#metadata", { hasText: "team:ops" }).waitFor();
    // Browse by namespace, and search.
    await page.goto(`${url}#/secrets?namespace=console`);
    await page.locator("tbody a", { hasText: path }).waitFor();
    await axe(page, "secrets");
    await shoot(page, "secrets");
    await page.goto(`${url}#/secrets?q=nothing-like-it`);
    await page.locator("#secret-count", { hasText: "0 secrets" }).waitFor();
  });

  await journey("3_reveal_and_audit", async () => {
    await page.goto(`${url}#/secret/${encodeURIComponent(path)}`);
    await heading(page, path);
    if ((await page.content()).includes(value)) throw new Error("value on the page before reveal");
    await page.click("#reveal");
    const shown = await page.locator("#revealed-value").innerText();
    if (shown !== value) throw new Error(`revealed ${shown}`);
    await axe(page, "secret-revealed");
    await page.click("#hide");
    await page.locator("#revealed").waitFor({ state: "detached" });
    report.value_left_in_dom_after_hide = (await page.content()).includes(value);
    await shoot(page, "secret");
    // Revealed again, then left alone: gone after its time.
    await page.click("#reveal");
    await page.locator("#revealed-value").waitFor();
    await page.clock.fastForward(31000);
    await page.locator("#revealed").waitFor({ state: "detached" });
    report.value_left_in_dom_after_timeout = (await page.content()).includes(value);
    await page.goto(`${url}#/audit?type=secret.read`);
    await heading(page, "Audit");
    await page.locator("#events tbody tr", { hasText: path }).first().waitFor();
    const actor = await page.locator("#events tbody tr", { hasText: path }).first().innerText();
    if (!actor.includes(email)) throw new Error(`the read is not the person's: ${actor}`);
  });

  await journey("4_rotate", async () => {
    await page.goto(`${url}#/secret/${encodeURIComponent(path)}`);
    await heading(page, path);
    await page.locator("#current-version", { hasText: "1" }).waitFor();
    await page.locator("#rotate input[name=new_value]").fill(rotated);
    await page.locator("#rotate input[name=grace_period_seconds]").fill("300");
    await page.click("#rotate button[type=submit]");
    await page.locator("#current-version", { hasText: "2" }).waitFor();
    await page.locator("#versions tbody tr").nth(1).waitFor();
    await page.click("#reveal");
    const shown = await page.locator("#revealed-value").innerText();
    if (shown !== rotated) throw new Error(`after rotation revealed ${shown}`);
    await page.click("#hide");
  });

  await journey("edit_allowed_hosts", async () => {
    await page.fill("#edit input[name=value]", rotated);
    await page.fill("#edit input[name=allowed_hosts]", "api.example.com");
    await page.click("#edit button[type=submit]");
    await page.locator("#current-version", { hasText: "3" }).waitFor();
    await page.locator("#metadata", { hasText: "api.example.com" }).waitFor();
  });

  await journey("edit_metadata_only", async () => {
    // No value typed: the tags and tier change, the version stays (PATCH writes none).
    await page.fill("#edit input[name=tags]", "team:core");
    await page.selectOption("#edit select[name=tier]", "critical");
    await page.click("#edit button[type=submit]");
    await page.locator("#metadata", { hasText: "team:core" }).waitFor();
    report.version_after_metadata_edit = await page.locator("#current-version").innerText();
  });

  await journey("delete_restore", async () => {
    await page.click("#delete");
    await page.click("#delete");
    await page.locator("#restore").waitFor();
    await page.click("#restore");
    await page.locator("#delete").waitFor();
  });

  await journey("5_token_approved", async () => {
    await page.goto(`${url}#/tokens`);
    await heading(page, "Tokens");
    await page.fill("#mint input[name=scope]", scope);
    await page.fill("#mint input[name=description]", "console journey");
    await page.fill("#mint input[name=max_uses]", "5");
    await page.click("#mint button[type=submit]");
    await page.locator("#mint-pending").waitFor();
    await axe(page, "tokens");
    await shoot(page, "tokens");
    // The approver, in a browser of their own.
    const second = await browser.newContext({ viewport: DESKTOP });
    const review = await second.newPage();
    review.setDefaultTimeout(15000);
    await review.goto(url);
    await review.locator("#login").waitFor();
    await review.fill("#tenant", tenant);
    await review.fill("#email", approver);
    await review.fill("#password", password);
    await review.click("#login button[type=submit]");
    await review.locator("main h1", { hasText: "Secrets" }).waitFor();
    report.approver_sees_tokens_link = await review.locator("#nav a[href='#/tokens']").isVisible();
    report.approver_sees_agents_link = await review.locator("#nav a[href='#/agents']").isVisible();
    // Reached by its address anyway, the admin page shows only the API's refusal.
    await review.goto(`${url}#/agents`);
    report.approver_agents_page = await review.locator("main .error", { hasText: "agents:admin" }).innerText();
    report.approver_fleet_rows = await review.locator("#fleet tbody tr[data-agent]").count();
    report.approver_sees_people_link = await review.locator("#nav a[href='#/users']").isVisible();
    await review.goto(`${url}#/users`);
    report.approver_people_page = await review.locator("main .error", { hasText: "users:admin" }).innerText();
    report.approver_people_rows = await review.locator("#users tbody tr").count();
    await review.goto(`${url}#/approvals`);
    const card = review.locator("article[data-approval]", { hasText: scope });
    await card.waitFor();
    await axe(review, "approvals");
    await shoot(review, "approvals");
    await card.locator("input[name=note]").fill("approved in the console");
    await card.locator("button.approve").click();
    await review.locator("#inbox-empty").waitFor();
    await second.close();
    // The first person's page was waiting: the token arrives, once.
    await page.locator("#token-value").waitFor({ timeout: 20000 });
    report.token_value = await page.locator("#token-value .revealed").innerText();
    report.token_id = await page.locator("#token-id").innerText();
  });

  await journey("6_token_revoked", async () => {
    const id = report.token_id;
    await page.locator(`#tokens tr[data-id='${id}']`).waitFor();
    await page.click(`#tokens button[data-token='${id}']`);
    await page.locator(`#tokens tr[data-id='${id}'] .state`, { hasText: "revoked" }).waitFor();
  });

  await journey("7_agent_online", async () => {
    await page.goto(`${url}#/agents`);
    await heading(page, "Agents");
    await page.fill("#bootstrap input[name=labels]", "environment=test");
    await page.click("#bootstrap button[type=submit]");
    const token = await page.locator("#bootstrap-token .revealed").innerText();
    // The host's agent registers and reports its health, as an agent does (not the page).
    const base = new URL(url).origin;
    const registered = await fetch(`${base}/v1/agents/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token, name: "console-host-01", hostname: "console-host-01.example.com", os_type: "linux" }),
    });
    if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`);
    const { token: jwt } = await registered.json();
    const health = await fetch(`${base}/v1/agents/me/health`, {
      method: "POST",
      headers: { Authorization: `Bearer ${jwt}`, "Content-Type": "application/json" },
      body: JSON.stringify({ status: "healthy", uptime_seconds: 60 }),
    });
    if (health.status !== 200) throw new Error(`health: ${health.status} ${await health.text()}`);
    const row = page.locator("#fleet tr[data-agent='console-host-01']");
    await row.locator(".agent-status", { hasText: "online" }).waitFor({ timeout: 20000 });
    report.agent_row = await row.innerText();
    await axe(page, "agents");
    await shoot(page, "agents");
  });

  await journey("people_admin", async () => {
    await page.goto(`${url}#/users`);
    await heading(page, "People");
    await page.locator(`#users tr[data-user='${email}']`).waitFor();
    const added = `added-${Date.now()}@example.com`;
    await page.fill("#add-user input[name=email]", added);
    await page.fill("#add-user input[name=name]", "Added in the console");
    await page.fill("#add-user input[name=password]", password);
    await page.selectOption("#add-user select[name=role_id]", { label: "reader" });
    await page.click("#add-user button[type=submit]");
    await page.locator(`#users tr[data-user='${added}'] .roles`, { hasText: "reader" }).waitFor();
    report.added_person = added;
    // A role of its own: created, its permissions changed, then given to the new person.
    await page.fill("#add-role input[name=name]", "auditors");
    await page.fill("#add-role input[name=permissions]", "audit:read");
    await page.click("#add-role button[type=submit]");
    const role = page.locator("#roles tr[data-role='auditors']");
    await role.waitFor();
    await role.locator("input[name=permissions]").fill("audit:read, secrets:read:console/*");
    await role.locator("button", { hasText: "Save" }).click();
    await page.locator("#status", { hasText: "Saved the permissions of auditors" }).waitFor();
    await page.selectOption(`#users tr[data-user='${added}'] select`, { label: "auditors" });
    await page.locator(`#users tr[data-user='${added}'] .roles`, { hasText: "auditors" }).waitFor();
    await axe(page, "people");
    await shoot(page, "people");
  });

  await journey("access_request", async () => {
    // The approver cannot read vault/db: they ask, the admin approves, they retrieve it once.
    const second = await browser.newContext({ viewport: DESKTOP });
    const asker = await second.newPage();
    asker.setDefaultTimeout(15000);
    await asker.goto(url);
    await asker.locator("#login").waitFor();
    await asker.fill("#tenant", tenant);
    await asker.fill("#email", approver);
    await asker.fill("#password", password);
    await asker.click("#login button[type=submit]");
    await asker.locator("main h1", { hasText: "Secrets" }).waitFor();
    await asker.goto(`${url}#/requests`);
    await asker.locator("main h1", { hasText: "Requests" }).waitFor();
    await asker.fill("#ask input[name=path]", "vault/db");
    await asker.fill("#ask input[name=reason]", "incident 42");
    await asker.click("#ask button[type=submit]");
    await asker.locator("#my-requests article[data-status='pending']").waitFor();
    await axe(asker, "requests");
    await shoot(asker, "requests");
    const requestId = await asker.locator("#my-requests article[data-status='pending']").getAttribute("data-request");
    // The approver's message links to the console at the request, tenant filled in: opened
    // in a fresh browser (a phone), it asks for a login, then shows that request focused.
    const fresh = await browser.newContext({ viewport: PHONE });
    const linked = await fresh.newPage();
    linked.setDefaultTimeout(15000);
    await linked.goto(`${url}?tenant=${tenant}#/approvals?request=${requestId}`);
    await linked.locator("#login").waitFor();
    report.deep_link_tenant = await linked.inputValue("#tenant");
    await linked.fill("#email", email);
    await linked.fill("#password", password);
    await linked.click("#login button[type=submit]");
    const card = linked.locator(`article.wanted[data-id="${requestId}"]`);
    await card.waitFor();
    report.deep_link_focused = await linked.evaluate(() => {
      const article = document.activeElement && document.activeElement.closest("article");
      return article ? article.dataset.id : null;
    });
    report.deep_link_request = requestId;
    await shoot(linked, "approvals-linked");
    await card.locator("button.approve").click();
    await linked.locator("#inbox-empty").waitFor();
    await fresh.close();
    await asker.reload();
    await asker.locator("#my-requests button.retrieve").click();
    const got = await asker.locator("#wrapped-value .revealed").innerText();
    if (got !== sensitive) throw new Error("the retrieved value is not the secret's");
    await asker.locator("#my-requests article[data-status='approved']", { hasText: "retrieved" }).waitFor();
    report.retrieve_buttons_after = await asker.locator("#my-requests button.retrieve").count();
    await second.close();
  });

  await journey("8_live_tail", async () => {
    await page.goto(`${url}#/audit`);
    await heading(page, "Audit");
    await page.click("#tail");
    await page.locator("#tail-state", { hasText: "live" }).waitFor();
    // Another tab of the same person reads the secret; the tail shows the read.
    const other = await context.newPage();
    await other.goto(`${url}#/secret/${encodeURIComponent(path)}`);
    await other.locator("main h1", { hasText: path }).waitFor();
    await other.click("#reveal");
    await other.locator("#revealed-value").waitFor();
    await other.close();
    await page.locator("#live tbody tr[data-type='secret.read']", { hasText: path }).first().waitFor();
    await page.click("#tail");
    await page.locator("#tail-state", { hasText: "off" }).waitFor();
  });

  await journey("9_verify_chain", async () => {
    await page.goto(`${url}#/audit`);
    await heading(page, "Audit");
    await page.click("#verify");
    const verdict = await page.locator("#verdict .verdict").innerText();
    if (!verdict.startsWith("Intact")) throw new Error(verdict);
    await axe(page, "audit");
    await shoot(page, "audit");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
    const lines = readFileSync(await download.path(), "utf8").trim().split("\n");
    report.exported_events = lines.filter((line) => JSON.parse(line).type).length;
  });

  // What page script can and cannot do with the session.
  report.csp_blocked_inline_script = await page.evaluate(
    () =>
      new Promise((resolve) => {
        let violated = false;
        document.addEventListener("securitypolicyviolation", () => {
          violated = true;
        });
        const script = document.createElement("script");
        script.textContent = "window.__injected = true;";
        document.body.append(script);
        setTimeout(() => resolve(violated && window.__injected !== true), 300);
      }),
  );
  report.fetch_without_csrf_status = await page.evaluate(async () => {
    const response = await fetch("/v1/secrets", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ path: "console/forged", value: "x" }),
    });
    return response.status;
  });

  await journey("log_out", async () => {
    await page.click("#logout");
    await page.locator("#login").waitFor();
    const after = await page.evaluate(async () => (await fetch("/console/session")).status);
    if (after !== 401) throw new Error(`session after logout: ${after}`);
  });
} catch (e) {
  report.error = e.message.split("\n")[0];
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
process.exit(report.error ? 1 : 0);

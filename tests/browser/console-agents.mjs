// The console's agents pages in headless Chromium (driven by tests/e2e/console_agents.rs):
// the discoveries (certificates with their expiry, SSH keys, inventoried secrets; filters and
// a detail), grants (made and revoked on the page) and a command sent to an agent; axe-core
// on each page and screenshots at desktop and phone width. Prints one JSON line last.
//
// Environment: CONSOLE_URL, CONSOLE_TENANT, CONSOLE_EMAIL, CONSOLE_PASSWORD, CONSOLE_SHOTS,
// CONSOLE_AGENT (the agent with discoveries), CONSOLE_OTHER_AGENT (one without),
// CONSOLE_AGENT_JWT. CONSOLE_PHASE=import_ask / import_store runs one half of an import
// instead (the test approves and carries it out between them): CONSOLE_IMPORT_REF,
// CONSOLE_IMPORT_REQUEST, CONSOLE_IMPORT_PATH, CONSOLE_IMPORT_VALUE.
import { harness, heading as headingOf, DESKTOP } from "./harness.mjs";

const h = harness("console-agents.mjs");
const { env, report, axe, journey, watch } = h;
const url = env("CONSOLE_URL");
const phase = process.env.CONSOLE_PHASE || "pages";
const agent = phase === "pages" ? env("CONSOLE_AGENT") : "";
const other = phase === "pages" ? env("CONSOLE_OTHER_AGENT") : "";
// Every page here is also checked for nothing wider than the phone's screen (the tables
// scroll inside their own box).
const shoot = (page, name) => h.shoot(page, name, { overflow: true });

const browser = await h.launch();
let page = null;
const heading = (text) => headingOf(page, text);

try {
  const context = await browser.newContext({ viewport: DESKTOP });
  page = await context.newPage();
  watch(page);
  page.setDefaultTimeout(15000);

  await journey("log_in", async () => {
    await page.goto(url);
    await page.locator("#login").waitFor();
    await page.fill("#tenant", env("CONSOLE_TENANT"));
    await page.fill("#email", env("CONSOLE_EMAIL"));
    await page.fill("#password", env("CONSOLE_PASSWORD"));
    await page.click("#login button[type=submit]");
    await heading("Secrets");
  });

  if (phase === "import_ask") {
    await journey("import_ask", async () => {
      await page.goto(`${url}#/agents/discovery?type=secrets`);
      await page.locator("#discoveries[data-loaded]").waitFor();
      const ref = env("CONSOLE_IMPORT_REF");
      await page.locator("#discovered-secrets tr", { hasText: ref }).getByRole("button", { name: /Details/ }).click();
      await page.locator("#import").getByLabel("Reason").fill("bring it under Latchkey");
      await page.click("#import button[type=submit]");
      await page.locator("#import-result .ok").waitFor();
      report.import_result = await page.locator("#import-result").innerText();
      await axe(page, "discovered-import");
    });
  }
  if (phase === "import_store") {
    await journey("import_store", async () => {
      await page.goto(`${url}#/requests`);
      const card = page.locator(`article[data-request='${env("CONSOLE_IMPORT_REQUEST")}']`);
      await card.locator("form.store").waitFor();
      report.import_card = await card.innerText();
      await axe(page, "requests-import");
      await card.locator("form.store input[name=path]").fill(env("CONSOLE_IMPORT_PATH"));
      await card.locator("form.store button[type=submit]").click();
      report.imported = await page.locator("#imported").innerText();
      await shoot(page, "requests-import");
      report.value_on_page = (await page.content()).includes(env("CONSOLE_IMPORT_VALUE"));
      await page.locator("#imported a").click();
      await page.locator("main h1", { hasText: env("CONSOLE_IMPORT_PATH") }).waitFor();
      report.value_on_secret_page = (await page.content()).includes(env("CONSOLE_IMPORT_VALUE"));
    });
  }
  if (phase === "pages") {
    await journey("discovered_review", async () => {
      await page.click("#nav a[href='#/agents']");
      await heading("Agents");
      await page.click("nav.tabs a[href='#/agents/discovery']");
      await heading("Discovered");
      const certs = page.locator("#discovered-certificates tbody tr[data-fingerprint]");
      await certs.first().waitFor();
      report.certificates = await certs.count();
      report.expiry = {};
      for (const row of await certs.all()) {
        const subject = await row.locator("td").first().innerText();
        report.expiry[subject] = await row.locator(".expiry").getAttribute("data-expiry");
      }
      report.ssh_rows = await page.locator("#discovered-ssh-keys tbody tr[data-fingerprint]").allInnerTexts();
      report.secret_rows = await page.locator("#discovered-secrets tbody tr[data-id]").allInnerTexts();
      await axe(page, "discovered");
      await shoot(page, "discovered");
      // The detail of the certificate that expires soon.
      await page.locator("#discovered-certificates tr", { hasText: "soon.example" }).getByRole("button", { name: /Details/ }).click();
      await page.locator("#discovery-detail:not([hidden])").waitFor();
      report.detail = await page.locator("#discovery-detail").innerText();
      report.detail_focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
      await axe(page, "discovered-detail");
      // Closed, the focus is back on the button that opened it.
      await page.click("#discovery-detail button:has-text('Close')");
      report.focus_after_close = await page.evaluate(() => document.activeElement && document.activeElement.getAttribute("aria-label"));
      // Imported under management from its detail: the table then says so.
      const soon = page.locator("#discovered-certificates tr", { hasText: "soon.example" });
      await soon.getByRole("button", { name: /Details/ }).click();
      await page.click("#discovery-detail #manage");
      await page.locator("#manage-result .ok").waitFor();
      await soon.locator(".managed", { hasText: "imported" }).waitFor();
      report.managed_cell = await soon.locator(".managed").innerText();
      await page.click("#discovery-detail button:has-text('Close')");
    });

    await journey("discovered_filters", async () => {
      await page.selectOption("form[role=search] select[name=within]", "30");
      await page.click("form[role=search] button[type=submit]");
      await page.locator("#discoveries[data-loaded*='within=30']").waitFor();
      report.within_30 = await page.locator("#discovered-certificates tbody tr[data-fingerprint] td:first-child").allInnerTexts();
      report.within_30_ssh_table = await page.locator("#discovered-ssh-keys").count();
      await page.goto(`${url}#/agents/discovery?type=certificates&agent=${encodeURIComponent(other)}`);
      await page.locator(`#discoveries[data-loaded*='${other}']`).waitFor();
      report.other_agent_certificates = await page.locator("#discovered-certificates tbody tr[data-fingerprint]").count();
      report.other_agent_secrets_table = await page.locator("#discovered-secrets").count();
    });

    await journey("grants", async () => {
      await page.goto(`${url}#/agents/grants`);
      await heading("Grants");
      const form = page.locator("#grant");
      await form.locator("select[name=agent]").waitFor();
      await form.locator("select[name=agent]").selectOption(agent);
      await form.getByLabel("Path pattern").fill("console/web/*");
      await form.getByLabel("rotate").check();
      await form.locator("button[type=submit]").click();
      await page.locator("#grants tr[data-path='console/web/*']").waitFor();
      report.grant_row = await page.locator("#grants tr[data-path='console/web/*']").innerText();
      // A second one, revoked on the page: its row goes.
      await form.locator("select[name=agent]").selectOption(agent);
      await form.getByLabel("Path pattern").fill("console/tmp/*");
      await form.locator("button[type=submit]").click();
      const revoked = page.locator("#grants tr[data-path='console/tmp/*']");
      await revoked.waitFor();
      await revoked.getByRole("button", { name: /Revoke/ }).click();
      await revoked.waitFor({ state: "detached" });
      report.grant_rows_after_revoke = await page.locator("#grants tbody tr[data-grant]").count();
      await axe(page, "grants");
      await shoot(page, "grants");
    });

    await journey("command", async () => {
      await page.goto(`${url}#/agents`);
      await heading("Agents");
      await axe(page, "agents-fleet");
      await page.click("nav.tabs a[href='#/agents/commands']");
      await heading("Commands and jobs");
      await page.locator("form[aria-label='Choose an agent'] select[name=agent]").selectOption(agent);
      await page.click("form[aria-label='Choose an agent'] button[type=submit]");
      const form = page.locator("#command");
      await form.locator("select[name=type]").waitFor();
      // The job the test queued through the API is listed, queued.
      await page.locator("#jobs tbody tr[data-job]").first().waitFor();
      report.job_rows = await page.locator("#jobs tbody tr[data-job]").allInnerTexts();
      await form.locator("select[name=type]").selectOption("force_sync");
      await form.getByLabel("Parameters").fill('{"reason": "console"}');
      await form.locator("button[type=submit]").click();
      report.command_result = await page.locator("#command-result .ok").innerText();
      const row = page.locator("#commands tbody tr[data-command]", { hasText: "force_sync" });
      await row.and(page.locator("[data-state=waiting]")).waitFor();
      await axe(page, "commands");
      await shoot(page, "commands");
      // The agent's heartbeat (as an agent sends it, not the page) takes the command: the
      // page's next refresh shows it delivered.
      const health = await fetch(`${new URL(url).origin}/v1/agents/me/health`, {
        method: "POST",
        headers: { Authorization: `Bearer ${env("CONSOLE_AGENT_JWT")}`, "Content-Type": "application/json" },
        body: JSON.stringify({ status: "healthy", uptime_seconds: 60 }),
      });
      if (health.status !== 200) throw new Error(`health: ${health.status} ${await health.text()}`);
      report.heartbeat_commands = (await health.json()).commands.map((c) => c.type);
      await row.and(page.locator("[data-state=delivered]")).waitFor({ timeout: 20000 });
      report.command_row = await row.innerText();
      // A job queued on the page is listed, queued, beside the one the test queued.
      const jobs = page.locator("#job");
      await jobs.getByLabel("Job type").fill("sync");
      await jobs.getByLabel("Parameters").fill('{"scope": "console"}');
      await jobs.locator("button[type=submit]").click();
      await page.locator("#jobs tbody tr[data-job][data-status=queued]", { hasText: "sync" }).waitFor();
    });
  }
} catch (e) {
  report.error = e.message.split("\n")[0];
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
process.exit(report.error ? 1 : 0);

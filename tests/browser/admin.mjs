// The console's administration pages in headless Chromium (tests/browser/harness.mjs
// drives it): projects and environments (create both; the refusal to delete an environment that
// holds a secret, and to archive its project, then archiving anyway), workflows and policies
// (a two-stage workflow, edited into revision 2; a policy on the new environment, disabled;
// deleting the workflow refused while the policy names it), notification channels (a signed
// webhook and an email address saved, the secret never shown back), and revoking a connected
// OAuth app on the tokens page; axe-core and screenshots on each page; a person without the
// rights sees none of the links. Prints one JSON line last.
//
// Driven by tests/e2e/console_admin.rs, which passes: CONSOLE_URL, CONSOLE_TENANT,
// CONSOLE_EMAIL (an admin), CONSOLE_PASSWORD, CONSOLE_APPROVER_EMAIL, CONSOLE_SHOTS,
// CONSOLE_APP (the connected OAuth client's name), CONSOLE_WEBHOOK_SECRET.
import { harness, DESKTOP } from "./harness.mjs";

const { env, report, axe, shoot, journey, watch, launch } = harness("admin.mjs");
const url = env("CONSOLE_URL");
const tenant = env("CONSOLE_TENANT");
const email = env("CONSOLE_EMAIL");
const password = env("CONSOLE_PASSWORD");
const approver = env("CONSOLE_APPROVER_EMAIL");
const app = env("CONSOLE_APP");
const webhookSecret = env("CONSOLE_WEBHOOK_SECRET");

const browser = await launch();

async function logIn(context, who) {
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(url);
  await page.locator("#login").waitFor();
  await page.fill("#tenant", tenant);
  await page.fill("#email", who);
  await page.fill("#password", password);
  await page.click("#login button[type=submit]");
  await page.locator("main h1", { hasText: "Secrets" }).waitFor();
  return page;
}

try {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await logIn(context, email);
  watch(page);

  await journey("projects", async () => {
    await page.click("#nav a[href='#/projects']");
    await page.locator("main h1", { hasText: "Projects and environments" }).waitFor();
    await page.fill("#new-project input[name=name]", "shop");
    await page.fill("#new-project input[name=description]", "the web shop");
    await page.click("#new-project button[type=submit]");
    const card = page.locator("article[data-project='shop']");
    await card.waitFor();
    await page.locator("#new-environment select[name=project_id] option", { hasText: "shop" }).waitFor({ state: "attached" });
    await page.selectOption("#new-environment select[name=project_id]", { label: "shop" });
    await page.fill("#new-environment input[name=name]", "prod");
    await page.fill("#new-environment input[name=path_prefix]", "shop/prod/");
    await page.fill("#new-environment input[name=clusters]", "eks-prod");
    await page.click("#new-environment button[type=submit]");
    const row = card.locator("tr[data-environment='prod']");
    await row.waitFor();
    // It holds shop/prod/db: deleting it is refused, and the page says why.
    const remove = row.locator("button").first();
    await remove.click();
    await remove.click();
    report.environment_refusal = await card.locator(".notice .error").innerText();
    // Archiving the project is refused too, then done anyway (no secret is deleted).
    await card.locator("button.project-status").click();
    report.archive_refusal = await card.locator(".notice .error", { hasText: "project '" }).innerText();
    await card.locator(".notice button.force").click();
    await page.locator("article[data-project='shop'] .project-archived").waitFor();
    await axe(page, "projects");
    await shoot(page, "projects");
  });

  await journey("workflows", async () => {
    await page.click("#nav a[href='#/workflows']");
    await page.locator("main h1", { hasText: "Workflows and policies" }).waitFor();
    await page.locator("#workflows tr[data-workflow]").first().waitFor();
    await page.fill("#workflow-name", "two-step");
    const stages = page.locator("#stages fieldset.stage");
    await stages.nth(0).locator("input[name=name]").fill("leads");
    await stages.nth(0).locator("select[name=kind]").selectOption("role");
    await stages.nth(0).locator("select[name=role]").selectOption({ label: "approver" });
    await stages.nth(0).locator("input[name=timeout_seconds]").fill("3600");
    await page.click("#add-stage");
    await stages.nth(1).locator("input[name=name]").fill("owners");
    await stages.nth(1).locator("select[name=kind]").selectOption("users");
    await stages.nth(1).getByLabel(approver, { exact: true }).check();
    await stages.nth(1).getByLabel(email, { exact: true }).check();
    await stages.nth(1).locator("input[name=approvals]").fill("2");
    await page.click("#workflow-form button[type=submit]");
    const row = page.locator("#workflows tr[data-workflow='two-step']");
    await row.locator(".revision", { hasText: "revision 1" }).waitFor();
    // Edit: the second stage waits two hours now; a new revision.
    await row.locator("button", { hasText: "Edit" }).click();
    await stages.nth(1).locator("input[name=timeout_seconds]").fill("7200");
    await page.click("#workflow-form button[type=submit]");
    await row.locator(".revision", { hasText: "revision 2" }).waitFor();
    report.workflow_row = await row.innerText();
    await axe(page, "workflows");
    await shoot(page, "workflows");
  });

  await journey("policies", async () => {
    await page.locator("#policy-form select[name=workflow_id] option", { hasText: "two-step" }).waitFor({ state: "attached" });
    await page.fill("#policy-form input[name=name]", "prod-tokens");
    await page.selectOption("#policy-form select[name=workflow_id]", { label: "two-step" });
    await page.selectOption("#policy-form select[name=environment_id]", { label: "prod (shop)" });
    await page.selectOption("#policy-form select[name=kind]", "token");
    await page.click("#policy-form button[type=submit]");
    const row = page.locator("#policies tr[data-policy='prod-tokens']");
    await row.locator(".state", { hasText: "enabled" }).waitFor();
    await row.locator("button.toggle").click();
    await row.locator(".state", { hasText: "disabled" }).waitFor();
    report.policy_row = await row.innerText();
    // The workflow cannot go while the policy names it: the API's 409, on the page.
    const remove = page.locator("#workflows tr[data-workflow='two-step'] button.danger");
    await remove.click();
    await remove.click();
    report.workflow_delete_refusal = await page.locator("main .error", { hasText: "still named by" }).innerText();
    await axe(page, "policies");
    await shoot(page, "policies");
  });

  await journey("channels", async () => {
    await page.click("#nav a[href='#/channels']");
    await page.locator("main h1", { hasText: "Notification channels" }).waitFor();
    await page.locator("#channels-now dd").first().waitFor();
    await page.fill("#channels input[name=webhook_url]", "https://hooks.example.com/latchkey");
    await page.fill("#channels input[name=webhook_secret]", webhookSecret);
    await page.fill("#channels input[name=email_to]", "security@example.com");
    await page.click("#channels button[type=submit]");
    await page.locator("#channels-now", { hasText: "hooks.example.com" }).waitFor();
    report.secret_on_page_after_save = (await page.content()).includes(webhookSecret);
    // Saving again without the secret would turn the webhook off: the page refuses to.
    await page.click("#channels button[type=submit]");
    report.resave_without_secret = await page.locator("#channels .error").innerText();
    await axe(page, "channels");
    await shoot(page, "channels");
  });

  await journey("connected_app_revoked", async () => {
    await page.click("#nav a[href='#/tokens']");
    await page.locator("main h1", { hasText: "Tokens" }).waitFor();
    const row = page.locator("#connected tbody tr", { hasText: app });
    await row.locator(".state", { hasText: "active" }).waitFor();
    report.connected_row = await row.innerText();
    report.grant_in_tokens_table = await page.locator("#tokens tbody tr", { hasText: app }).count();
    await axe(page, "tokens-apps");
    await shoot(page, "tokens-apps");
    await row.locator("button", { hasText: "Revoke" }).click();
    await row.locator(".state", { hasText: "revoked" }).waitFor();
  });

  await journey("refused_without_rights", async () => {
    const other = await browser.newContext({ viewport: DESKTOP });
    const review = await logIn(other, approver);
    watch(review);
    for (const link of ["workflows", "projects", "channels"]) {
      report[`approver_sees_${link}_link`] = await review.locator(`#nav a[href='#/${link}']`).isVisible();
    }
    await review.goto(`${url}#/channels`);
    report.approver_channels_page = await review.locator("main .error", { hasText: "admin" }).innerText();
    await other.close();
    watch(page);
  });
} catch (e) {
  report.error = e.message.split("\n")[0];
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
process.exit(report.error ? 1 : 0);

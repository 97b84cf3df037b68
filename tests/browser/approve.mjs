// Opens an approver's link in headless Chromium (Debian's, driven by playwright-core), clicks
// Approve, then opens the same link again. Prints one JSON line for the Rust e2e test.
//
// Usage: node tests/browser/approve.mjs <review link>
import { chromium } from "playwright-core";

const link = process.argv[2];
if (!link) {
  console.error("usage: approve.mjs <review link>");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  const first = await page.goto(link);
  const buttons = await page.locator("button.approve").count();
  const shown = await page.locator("body").innerText();
  await page.fill("#note", "approved in a browser");
  const [decided] = await Promise.all([
    page.waitForNavigation(),
    page.click("button.approve"),
  ]);
  const outcome = await page.locator("#outcome").innerText();
  const second = await page.goto(link);
  const again = await page.locator("#outcome").innerText();
  console.log(
    JSON.stringify({
      first_status: first.status(),
      approve_buttons: buttons,
      shown,
      decided_status: decided ? decided.status() : null,
      outcome,
      second_status: second.status(),
      again,
    }),
  );
} finally {
  await browser.close();
}

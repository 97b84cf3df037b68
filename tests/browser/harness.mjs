// What the console's browser scripts share (console.mjs, admin.mjs, console-agents.mjs): the
// environment they are given, Debian's Chromium driven by playwright-core, axe-core on a page,
// screenshots at desktop and phone width, and journeys recorded in the one-line JSON report
// each prints last (its Rust test reads it).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** The harness of one script (`script` names it in its messages and failure screenshots). */
export function harness(script) {
  const env = (name) => {
    const value = process.env[name];
    if (!value) {
      console.error(`${script}: ${name} is not set`);
      process.exit(2);
    }
    return value;
  };
  const shots = env("CONSOLE_SHOTS");
  const report = { journeys: {}, axe_serious_or_critical: {}, screenshots: [] };
  // The page a failing journey's errors and screenshot are taken from.
  let current = null;

  return {
    env,
    report,
    shots,
    watch(page) {
      current = page;
    },

    launch() {
      return chromium.launch({
        executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
        headless: true,
        args: ["--no-sandbox", "--disable-dev-shm-usage"],
      });
    },

    /** axe-core on the page as it is: its serious and critical violations, by page name. */
    async axe(page, name) {
      await page.evaluate(axeSource);
      const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
      report.axe_serious_or_critical[name] = result.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    },

    /**
     * Full-page screenshots at desktop and phone width; with `overflow`, also whether the
     * phone's page is wider than its screen (`<name>_phone_overflow`).
     */
    async shoot(page, name, { overflow = false } = {}) {
      for (const [label, size] of [["desktop", DESKTOP], ["phone", PHONE]]) {
        await page.setViewportSize(size);
        const file = join(shots, `console-${name}-${label}.png`);
        await page.screenshot({ path: file, fullPage: true });
        report.screenshots.push(file);
        if (overflow && label === "phone") {
          report[`${name}_phone_overflow`] = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
        }
      }
      await page.setViewportSize(DESKTOP);
    },

    /** Runs one journey: `pass`, or why not (with the page's errors and a screenshot). */
    async journey(name, run) {
      try {
        await run();
        report.journeys[name] = "pass";
      } catch (e) {
        const shown = current ? await current.locator(".error").allInnerTexts().catch(() => []) : [];
        report.journeys[name] = `fail: ${e.message.split("\n").slice(0, 12).join(" ")} (page: ${shown.join(" | ")})`;
        if (current) {
          await current.screenshot({ path: join(shots, `${script}-failed-${name}.png`), fullPage: true }).catch(() => {});
        }
        throw e;
      }
    },
  };
}

/** A page after it drew: the named view's heading. */
export function heading(page, text) {
  return page.locator("main h1", { hasText: text }).first().waitFor();
}

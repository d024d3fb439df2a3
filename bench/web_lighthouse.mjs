// Lighthouse (npm, pinned in apps/web/package-lock.json) on the web app as a learner
// meets it, in one user flow in the machine's Chromium: the first visit (signed out:
// the sign-in screen), then sign-in through the provider's form, then the home page
// loaded again signed in (the session stays in the tab's sessionStorage, so the
// storage is not reset between the steps). Lighthouse's own "mobile" settings (its
// default: a phone screen, simulated slow 4G, 4x CPU slowdown) or "desktop" ones (as
// its desktop preset: a 1350x940 screen, 10 Mbit/s and 40 ms, no CPU slowdown).
// Run by bench/web_budgets.py:
//   node bench/web_lighthouse.mjs <origin> <person id> <chromium> <mobile|desktop> <out.json>
//     [first-visit]   (the smoke run: the first step only, no sign-in)
// Writes {step: {performance, accessibility, lcpMs, fcpMs, tbtMs, cls, failing}}.
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";

const require = createRequire(new URL("../apps/web/package.json", import.meta.url));
const { startFlow } = await import(require.resolve("lighthouse"));
const puppeteer = (await import(require.resolve("puppeteer-core"))).default;

const [origin, person, chromium, formFactor, output, only] = process.argv.slice(2);
const DESKTOP = {
  formFactor: "desktop",
  screenEmulation: { mobile: false, width: 1350, height: 940, deviceScaleFactor: 1, disabled: false },
  throttling: {
    rttMs: 40,
    throughputKbps: 10 * 1024,
    cpuSlowdownMultiplier: 1,
    requestLatencyMs: 0,
    downloadThroughputKbps: 0,
    uploadThroughputKbps: 0,
  },
  emulatedUserAgent: false,
};
if (formFactor !== "mobile" && formFactor !== "desktop") throw new Error(`form factor ${formFactor}?`);
const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ["--no-sandbox"], // root in a container: the sandbox cannot start
});
try {
  const page = await browser.newPage();
  const flow = await startFlow(page, {
    config: {
      extends: "lighthouse:default",
      settings: {
        onlyCategories: ["performance", "accessibility"],
        ...(formFactor === "desktop" ? DESKTOP : {}),
      },
    },
    flags: { disableStorageReset: true },
  });
  await flow.navigate(`${origin}/`, { name: "sign-in" });

  if (only !== "first-visit") {
    await page.evaluate(() => {
      const button = [...document.querySelectorAll("button")].find(
        (b) => b.textContent?.trim() === "Sign in",
      );
      if (!button) throw new Error("no Sign in button on the first visit");
      button.click();
    });
    await page.waitForSelector("input[name=login]", { timeout: 30_000 });
    await page.type("input[name=login]", person);
    await page.type("input[name=password]", "any");
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    await page.waitForSelector("[data-testid=assignments]", { timeout: 60_000 });

    await flow.navigate(`${origin}/`, { name: "home" });
  }
  const result = await flow.createFlowResult();
  const summary = {};
  for (const step of result.steps) {
    const { categories, audits } = step.lhr;
    summary[step.name] = {
      url: step.lhr.finalDisplayedUrl,
      performance: Math.round(categories.performance.score * 100),
      accessibility: Math.round(categories.accessibility.score * 100),
      lcpMs: audits["largest-contentful-paint"].numericValue,
      fcpMs: audits["first-contentful-paint"].numericValue,
      tbtMs: audits["total-blocking-time"].numericValue,
      cls: audits["cumulative-layout-shift"].numericValue,
      formFactor: step.lhr.configSettings.formFactor,
      throttling: step.lhr.configSettings.throttlingMethod,
      lighthouse: step.lhr.lighthouseVersion,
      failing: Object.values(audits)
        .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== "informative")
        .map((a) => ({ id: a.id, score: a.score, value: a.displayValue ?? null })),
    };
  }
  await writeFile(output, JSON.stringify(summary, null, 2));
} finally {
  await browser.close();
}

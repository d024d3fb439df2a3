// Opens a page in headless Chromium (the Debian package; Playwright never downloads a
// browser here) and prints the page's `window.agoraResult` as JSON.
// Usage: node run.mjs <chromium executable> <page URL>
import { chromium } from "playwright-core";

const [executablePath, url] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath,
  headless: true,
  // As root in a container Chromium's sandbox cannot start; the page is our own.
  args: ["--no-sandbox"],
});
try {
  const page = await browser.newPage();
  const console_lines = [];
  page.on("console", (message) => console_lines.push(message.text()));
  await page.goto(url);
  await page.waitForFunction(() => window.agoraResult !== undefined, null, { timeout: 30_000 });
  const result = await page.evaluate(() => window.agoraResult);
  process.stdout.write(JSON.stringify({ result, console: console_lines }));
} finally {
  await browser.close();
}

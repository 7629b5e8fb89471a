// Screenshot of the sample's Swagger UI (docs/openapi.png), in Debian's
// Chromium through playwright-core. Builds and starts nothing: it reads the
// sample that runs at the given URL, e.g.
//
//   npm run sample                      # builds dist/ and dist-sample/, serves :3000
//   node scripts/screenshot-openapi.mjs [http://127.0.0.1:3000] [docs/openapi.png]
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = (process.argv[2] ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const out = process.argv[3] ?? new URL('../docs/openapi.png', import.meta.url).pathname;
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  throw new Error(`Chromium not found at ${executablePath} (apt-get install -y chromium, or set CHROMIUM_PATH).`);
}

/** The operations shown open: a channel route with params, and a POST route. */
const OPEN = ['#operations-Rooms-RoomsController_chat', '#operations-Answers-AnswersController_ask'];

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(`${base}/docs`);
  await page.waitForSelector('.opblock');
  for (const operation of OPEN) {
    await page.click(`${operation} .opblock-summary-control`);
    await page.waitForSelector(`${operation} .responses-wrapper .response-control-media-type`);
  }
  await page.evaluate(() => document.activeElement?.blur());
  // From the title down to the models (the top bar and the models left out), in page coordinates.
  const [top, bottom] = await page.evaluate(() => {
    const y = (selector) => document.querySelector(selector).getBoundingClientRect().top + window.scrollY;
    return [y('.swagger-ui .information-container'), y('.swagger-ui section.models')];
  });
  await page.screenshot({ path: out, fullPage: true, clip: { x: 0, y: Math.floor(top) - 16, width: 1100, height: Math.ceil(bottom - top) + 16 } });
  console.log(`Saved ${out}`);
} finally {
  await browser.close();
}

// Drives the Swagger page the way a new user would: open /swagger, expand "POST /v1/completions", "Try it out",
// "Execute" with the example body as shown, and report the live response. Usage: node try-completions.mjs <base-url>.
// Prints one JSON object {status, body} on stdout; exits non-zero when a step cannot be done.
import { chromium } from 'playwright-core';

const base = process.argv[2];
if (!base) {
  console.error('usage: node try-completions.mjs <base-url>');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(60_000);
  await page.goto(`${base}/swagger`);
  const operation = page.locator('#operations-Completions-CreateCompletion');
  await operation.locator('.opblock-summary').click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  await operation.getByRole('button', { name: 'Execute' }).click();
  const live = operation.locator('.live-responses-table .response').first();
  const status = (await live.locator('.response-col_status').innerText({ timeout: 120_000 })).trim();
  const body = await live.locator('.response-col_description pre').first().innerText();
  const padlocks = {
    completions: await operation.locator('.authorization__btn').count(),
    health: await page.locator('#operations-Health-Live .authorization__btn').count(),
    healthShown: await page.locator('#operations-Health-Live').count(),
  };
  console.log(JSON.stringify({ status, body, padlocks }));
} finally {
  await browser.close();
}

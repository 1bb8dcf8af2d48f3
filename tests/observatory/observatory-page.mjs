// Drives the KV observatory page in headless Chromium. Usage: node observatory-page.mjs <base-url> <screenshot-dir> [api-key].
// Steps: load /ui (no console errors), a completion with a session (its cells on the block map must match the session's
// blocks), DELETE the session (its cells turn free), a burst of long requests on the tiny pool (a `preempted` line in the
// event list), and a chat turn in the playground (streamed reply with its KV receipt). Prints one JSON object on stdout.
import { chromium } from 'playwright-core';

const [base, shots, key] = process.argv.slice(2);
if (!base || !shots) {
  console.error('usage: node observatory-page.mjs <base-url> <screenshot-dir> [api-key]');
  process.exit(2);
}
const auth = key ? { Authorization: `Bearer ${key}` } : {};
const json = { 'Content-Type': 'application/json', ...auth };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});
const result = { consoleErrors: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(60_000);
  page.on('console', (m) => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => result.consoleErrors.push(String(e)));
  await page.goto(`${base}/`);
  result.url = page.url();
  if (key) {
    await page.locator('#key-form').waitFor({ state: 'visible' });
    await page.fill('#key', key);
    await page.click('#key-form button');
  }
  await page.locator('#status.live').waitFor();
  await page.locator('#block-map .cell').first().waitFor();
  result.cells = await page.locator('#block-map .cell').count();
  await page.screenshot({ path: `${shots}/observatory-loaded.png`, fullPage: true });

  // A completion that keeps its KV as a session.
  const completion = await fetch(`${base}/v1/completions`, { method: 'POST', headers: json,
    body: JSON.stringify({ prompt: 'Once upon a time', max_tokens: 40, temperature: 0, session_id: 'ui-test' }) });
  result.completionStatus = completion.status;
  const session = await (await fetch(`${base}/v1/sessions/ui-test`, { headers: auth })).json();
  result.sessionBlocks = session.blocks;
  await page.waitForFunction((n) => document.querySelectorAll('#block-map .cell[data-owner="session:ui-test"]').length === n, session.blocks);
  result.mapSessionBlocks = await page.locator('#block-map .cell[data-owner="session:ui-test"]').count();
  await page.locator('#owners tr[data-owner="session:ui-test"]').click();
  result.blockTable = await page.locator('#block-table').innerText();
  await page.screenshot({ path: `${shots}/observatory-session.png`, fullPage: true });

  const deleted = await fetch(`${base}/v1/sessions/ui-test`, { method: 'DELETE', headers: auth });
  result.deleteStatus = deleted.status;
  await page.waitForFunction(() => document.querySelectorAll('#block-map .cell[data-owner="session:ui-test"]').length === 0);
  result.freeCells = await page.locator('#block-map .cell[data-owner="free"]').count();

  // Long requests at once on the tiny pool: some must give their blocks back.
  const burst = Array.from({ length: 6 }, (_, i) => fetch(`${base}/v1/completions`, { method: 'POST', headers: json,
    body: JSON.stringify({ prompt: [1, 2 + i], max_tokens: 120, temperature: 0, ignore_eos: true }) }).then((r) => r.status));
  result.burstStatuses = await Promise.all(burst);
  await page.locator('#event-list li.preempted').first().waitFor();
  result.preemptionLine = await page.locator('#event-list li.preempted').first().innerText();
  await page.screenshot({ path: `${shots}/observatory-preemption.png`, fullPage: true });

  // The chat playground, kept as a session.
  await page.fill('#chat-input', 'Tell me a story.');
  await page.click('#chat-send');
  await page.locator('#chat-log .msg.assistant[data-state="done"]').waitFor({ timeout: 120_000 });
  result.chatReply = await page.locator('#chat-log .msg.assistant').last().innerText();
  result.chatReceipt = await page.locator('#chat-log .receipt').last().innerText();
  const chatSession = await page.inputValue('#chat-session');
  const chatInfo = await (await fetch(`${base}/v1/sessions/${chatSession}`, { headers: auth })).json();
  await page.waitForFunction(([s, n]) => document.querySelectorAll(`#block-map .cell[data-owner="session:${s}"]`).length === n,
    [chatSession, chatInfo.blocks]);
  result.chatSessionBlocks = chatInfo.blocks;
  await page.mouse.move(0, 0);
  await page.screenshot({ path: `${shots}/observatory-chat.png`, fullPage: true });
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}

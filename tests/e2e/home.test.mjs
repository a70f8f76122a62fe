// The release build loads in headless chromium: the wasm module runs with simd128 and computes PPQ's
// fake-quant of the self-check values; no console error, failed request or foreign request happens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, screenshot } from './harness.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

test('home page renders the wasm status line with simd128 on', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.goto(server.url);
  // Either the app mounts or boot.js reports the load failure; fail fast with what went wrong.
  await page.waitForSelector('#wasm-status, #wasm-error', { timeout: 20_000 });
  const failure = page.locator('#wasm-error');
  if (await failure.count()) {
    assert.fail(`${await failure.innerText()}\n${problems.join('\n')}`);
  }
  const status = page.locator('#wasm-status');
  assert.equal(await page.locator('h1').innerText(), 'PPQ Playground');
  assert.equal(await status.getAttribute('data-simd'), 'on', 'the wasm build must run with simd128');
  const text = await status.innerText();
  // Spec §11 row 1: int8 symmetric, s = 4/255 → these dequantized values, computed in wasm.
  assert.match(text, /simd128: on/);
  assert.match(text, /-2\.0078433, -1\.0039216, -0\.29803923, 0, 0\.37647063, 1\.0039216, 1\.992157, 1\.992157/);
  const shot = await screenshot(page, 'home');
  console.log(`screenshot: ${shot}`);
  assert.deepEqual(problems, []);
});

test('the page sends a Content-Security-Policy limiting requests to its own origin', async () => {
  const res = await fetch(server.url);
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /connect-src 'self'/);
  const html = await res.text();
  assert.match(html, /http-equiv="Content-Security-Policy"/);
});

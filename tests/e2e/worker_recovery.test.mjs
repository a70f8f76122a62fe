// Issue #20, "untrusted work off the main thread": a user's file is checked in the pipeline worker before the
// page draws it. If the worker dies on it (a trap, out of memory) or stays busy past the page's watchdog, the
// page names the file, starts a fresh worker, keeps the open model and the results on screen, and the fresh
// worker runs the next request.
//
// The bad worker is made by serving worker.js with one change: its message handler traps (throws a
// WebAssembly.RuntimeError, what a wasm `unreachable` raises) or loops forever on the `Open` request of one
// file, picked by its byte length. Every other request reaches the real wasm worker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, startServer, launchBrowser, openPage, screenshot } from './harness.mjs';

const TRAP = readFileSync(path.join(ROOT, 'tests/corpus/models/good_small.onnx'));
const HANG = readFileSync(path.join(ROOT, 'tests/corpus/models/input_negative_dim.onnx'));
const WORKER_JS = readFileSync(path.join(ROOT, 'dist/worker.js'), 'utf8');

let server;
let browser;
before(async () => {
  assert.notEqual(TRAP.length, HANG.length, 'the two files must differ in length');
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

/** worker.js whose handler traps on the Open of TRAP and never returns on the Open of HANG. */
function badWorker() {
  const call = 'wasm_bindgen.handle(String(';
  assert.ok(WORKER_JS.includes(call), 'worker.js hands messages to wasm_bindgen.handle');
  const guard = `
function guardedHandle(text) {
  if (text.startsWith('{"Open"')) {
    const n = JSON.parse(text).Open.model.length;
    if (n === ${TRAP.length}) throw new WebAssembly.RuntimeError('unreachable executed (test trap)');
    if (n === ${HANG.length}) for (;;) {}
  }
  wasm_bindgen.handle(text);
}
`;
  return guard + WORKER_JS.split(call).join('guardedHandle(String(');
}

async function openWithBadWorker() {
  const { page, problems } = await openPage(browser, server.url);
  let served = 0;
  await page.context().route('**/worker.js', async (route) => {
    served += 1;
    // the server's own response (its headers: type, CSP, cross-origin isolation) with the guarded body
    const response = await route.fetch();
    return route.fulfill({ response, body: badWorker() });
  });
  await page.goto(server.url);
  await page.waitForSelector('#sample-select option[value="b_residual"]', { state: 'attached' });
  await page.selectOption('#sample-select', 'b_residual');
  await page.waitForSelector('#model-name:text("b_residual")');
  return { page, problems, served: () => served };
}

async function runAll(page) {
  if (await page.locator('#run-all[disabled]').count() > 0) await page.click('#run-reset');
  await page.waitForSelector('#run-all:not([disabled])');
  await page.click('#run-all');
  await page.waitForFunction(() => /100 % · done/.test(document.querySelector('#run-progress-label')?.textContent ?? ''),
    null, { timeout: 60_000 });
  return page.locator('#result-source').innerText();
}

async function dropFile(page, name, bytes) {
  await page.setInputFiles('#file-input', { name, mimeType: 'application/octet-stream', buffer: bytes });
}

async function errorText(page, timeout) {
  const err = page.locator('#load-error');
  await err.waitFor({ timeout });
  const text = await err.innerText();
  await err.locator('button').click();
  await err.waitFor({ state: 'detached' });
  return text;
}

test('a worker that traps on a dropped file: the file is named, a fresh worker runs, model and results stay', async () => {
  const { page, problems, served } = await openWithBadWorker();
  const before = await runAll(page);
  assert.match(before, /^Ours: /);
  assert.equal(served(), 1, 'one worker so far');

  const t0 = Date.now();
  await dropFile(page, 'good_small.onnx', TRAP);
  const text = await errorText(page, 5_000);
  const ms = Date.now() - t0;
  console.log(`# trap reported in ${ms} ms: ${text}`);
  assert.match(text, /Could not open good_small\.onnx: the pipeline worker failed: .*unreachable/, text);
  assert.match(text, /a fresh worker was started/, text);
  assert.match(text, /previous model is still loaded/, text);
  await screenshot(page, 'worker-trap');
  // The open model and its result are still on screen, with the result's label unchanged.
  assert.equal(await page.locator('#model-name').innerText(), 'b_residual');
  assert.equal(await page.locator('#result-source').innerText(), before);
  assert.equal(await page.locator('#fatal-error, #wasm-error').count(), 0);
  assert.equal(served(), 2, 'a fresh worker was started');
  // The fresh worker runs the model again, and another sample opens.
  assert.match(await runAll(page), /^Ours: /);
  await page.selectOption('#sample-select', 'a_concat_pool');
  await page.waitForSelector('#model-name:text("a_concat_pool")');
  assert.match(await runAll(page), /^Ours: /);
  const noise = problems.filter((p) => !/unreachable executed \(test trap\)/.test(p));
  assert.deepEqual(noise, []);
});

test('a worker that never answers on a dropped file: the watchdog stops it and names the file', async () => {
  const { page, problems, served } = await openWithBadWorker();
  const before = await runAll(page);
  await dropFile(page, 'input_negative_dim.onnx', HANG);
  const text = await errorText(page, 30_000);
  assert.match(text, /Could not open input_negative_dim\.onnx: checking it took longer than 20 s/, text);
  assert.equal(await page.locator('#model-name').innerText(), 'b_residual');
  assert.equal(await page.locator('#result-source').innerText(), before);
  assert.equal(served(), 2, 'a fresh worker was started');
  assert.match(await runAll(page), /^Ours: /);
  assert.deepEqual(problems, []);
});

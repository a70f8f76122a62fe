// Robustness of the page, acting as a user who drops every malformed file of tests/corpus/ on it (issue #9):
// each bad model is dropped on the page (or picked with the file input) while a good sample is open, each bad
// calibration file goes through the pipeline panel's calibration input. Every time, a readable error must name
// the file and the problem (the corpus manifest's expected text), the previous model and data must stay, and the
// page must keep working (select an op, run the pipeline). A panic, a blank page or a console error fails it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, startServer, launchBrowser, openPage, screenshot } from './harness.mjs';

const CORPUS = path.join(ROOT, 'tests/corpus');
const manifest = JSON.parse(readFileSync(path.join(CORPUS, 'manifest.json'), 'utf8'));

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

/** Drops `file` (name, bytes) on the page the way a browser does: a drop event carrying a DataTransfer. */
async function drop(page, name, bytes) {
  await page.evaluate(({ name, data }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(data)], name));
    document.querySelector('.app').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { name, data: [...bytes] });
}

/** The page is alive: no crash banner, the app is mounted and not blank. */
async function assertAlive(page, what) {
  const fatal = page.locator('#fatal-error, #wasm-error');
  assert.equal(await fatal.count(), 0, `${what}: the page crashed: ${await fatal.allInnerTexts()}`);
  assert.ok((await page.locator('.app').count()) === 1, `${what}: the app is no longer mounted`);
}

/** Waits for the error banner, checks it names the file and the problem, dismisses it. */
async function expectError(page, file, expected, what) {
  const err = page.locator('#load-error');
  await err.waitFor({ timeout: 20_000 });
  const text = await err.innerText();
  assert.ok(text.includes(file), `${what}: the error names the file ${file}: ${text}`);
  assert.ok(text.includes(expected), `${what}: the error says ${JSON.stringify(expected)}: ${text}`);
  assert.doesNotMatch(text, /panicked|crashed|RuntimeError|unreachable/, `${what}: ${text}`);
  await err.locator('button').click();
  await err.waitFor({ state: 'detached' });
  return text;
}

async function runAll(page, what) {
  if (await page.locator('#run-all[disabled]').count() > 0) {
    // A finished run: back to the start first.
    await page.click('#run-reset');
  }
  await page.waitForSelector('#run-all:not([disabled])');
  await page.click('#run-all');
  await page.waitForFunction(() => /100 % · done/.test(document.querySelector('#run-progress-label')?.textContent ?? ''),
    null, { timeout: 60_000 });
  assert.match(await page.locator('#result-source').innerText(), /^Ours: /, what);
}

test('every corpus model dropped on the page: a named error, the sample stays, the page works', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.goto(server.url);
  await page.waitForSelector('#sample-select option[value="b_residual"]', { state: 'attached' });
  await page.selectOption('#sample-select', 'b_residual');
  await page.waitForSelector('#model-name:text("b_residual")');
  const ops = await page.locator('.op-node').count();
  assert.equal(ops, 5);

  const bad = manifest.models.filter((m) => m.error !== '');
  let slowest = 0;
  assert.ok(bad.length >= 40, `the corpus has ${bad.length} bad models`);
  for (const [i, m] of bad.entries()) {
    const name = path.basename(m.file);
    const bytes = readFileSync(path.join(CORPUS, m.file));
    // Half through drag-and-drop, half through the file input: both paths must hold.
    const t0 = Date.now();
    if (i % 2 === 0) await drop(page, name, bytes);
    else await page.setInputFiles('#file-input', { name, mimeType: 'application/octet-stream', buffer: bytes });
    const text = await expectError(page, name, m.error, name);
    const ms = Date.now() - t0;
    slowest = Math.max(slowest, ms);
    assert.ok(ms <= 5_000, `${name}: the error took ${ms} ms (issue #20 promises ≤ 5 s)`);
    assert.match(text, /previous model is still loaded/, name);
    await assertAlive(page, name);
    assert.equal(await page.locator('#model-name').innerText(), 'b_residual', `${name}: the previous model stays`);
    assert.equal(await page.locator('.op-node').count(), ops, `${name}: the graph stays`);
    // Still usable: select an op, the inspector follows.
    const op = ['add', 'conv1', 'conv2', 'relu1', 'relu_out'][i % 5];
    await page.locator(`.op-node[data-op="${op}"]`).click();
    await page.waitForFunction((o) => document.querySelector('#inspector')?.textContent.includes(o), op);
    if (i === 0) await screenshot(page, 'robust-model-error');
  }
  console.log(`# ${bad.length} bad models, slowest error ${slowest} ms`);
  // And the pipeline still runs on the sample.
  await runAll(page, 'after every bad model');
  await assertAlive(page, 'after every bad model');
  // The good corpus model still opens (the corpus's reference for the calibration files).
  await drop(page, 'good_small.onnx', readFileSync(path.join(CORPUS, 'models/good_small.onnx')));
  await page.waitForSelector('#model-name:text("good_small")');
  assert.deepEqual(problems, []);
});

// The page's calibration input reads the bundled-sample calib JSON and `.npy` through src/front/calib.rs, not yet
// the corpus's formats (src/graph/calib.rs; the two readers are being merged on another branch). So here every
// bad corpus file must be refused with the file named and a reason, the data and model must stay and the page
// must keep working; the corpus's exact messages are asserted for the CLI and wasm API (tests/robust_corpus.rs,
// tests/wasm_robust_corpus.rs). A good file in the page's format is generated here and must be accepted and run.
test('every bad corpus calibration file through the calibration input: a named error, the data stays, runs work', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.goto(server.url);
  await page.waitForSelector('#file-input', { state: 'attached' });
  await page.setInputFiles('#file-input', { name: 'good_small.onnx', mimeType: 'application/octet-stream',
    buffer: readFileSync(path.join(CORPUS, 'models/good_small.onnx')) });
  await page.waitForSelector('#model-name:text("good_small")');
  assert.match(await page.locator('#calib-label').innerText(), /random, \d+ samples/);

  // Good data in the page's format: 8 samples of [1, 3, 8, 8].
  const samples = Array.from({ length: 8 }, (_, k) => Array.from({ length: 192 }, (_, j) => Math.sin(k * 192 + j)));
  const good = JSON.stringify({ input_name: 'x', shape: [1, 3, 8, 8], samples });
  await page.setInputFiles('#calib-input', { name: 'mine.json', mimeType: 'application/json', buffer: Buffer.from(good) });
  await page.waitForSelector('#calib-label:text("mine.json, 8 samples")');
  await runAll(page, 'calibrating on mine.json');
  assert.match(await page.locator('#result-source').innerText(), /8 samples|mine\.json/);

  const bad = manifest.calib.filter((c) => c.error !== '');
  assert.ok(bad.length >= 35, `the corpus has ${bad.length} bad calibration files`);
  for (const [i, c] of bad.entries()) {
    assert.equal(c.model, 'models/good_small.onnx');
    const name = path.basename(c.file);
    const bytes = readFileSync(path.join(CORPUS, c.file));
    await page.setInputFiles('#calib-input', { name, mimeType: 'application/octet-stream', buffer: bytes });
    const text = await expectError(page, name, `${name}: `, name);
    assert.match(text, new RegExp(`Could not read calibration data: ${name.replace('.', '\\.')}: \\S.{8,}`), name);
    console.log(`${name}: ${text.split('\n')[0]}`);
    await assertAlive(page, name);
    assert.equal(await page.locator('#calib-label').innerText(), 'mine.json, 8 samples', `${name}: the previous data stays`);
    assert.equal(await page.locator('#model-name').innerText(), 'good_small', `${name}: the model stays`);
    // Usable: the pipeline runs again on the data that stayed.
    if (i % 10 === 9) await runAll(page, `after ${name}`);
    if (i === 4) await screenshot(page, 'robust-calib-error');
  }
  await runAll(page, 'after every calibration file');
  await assertAlive(page, 'after every calibration file');
  assert.deepEqual(problems, []);
});

// The panic hook, tested without a hook of our own: something outside the app (a browser extension, say)
// removes a node yew still manages; yew's next insertion before it fails and panics inside the wasm. The page
// must show that panic as a readable message instead of going blank.
test('a panic in the page is shown as an error message, not a blank page', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.goto(server.url);
  await page.waitForSelector('#file-input', { state: 'attached' });
  await page.setInputFiles('#file-input', { name: 'good_small.onnx', mimeType: 'application/octet-stream',
    buffer: readFileSync(path.join(CORPUS, 'models/good_small.onnx')) });
  await page.waitForSelector('#model-name:text("good_small")');
  // The error banner is inserted right before the page body: take that node away behind yew's back.
  // (the one settings panel sits between the banners and the body once a model is open: take it away too)
  await page.evaluate(() => { document.querySelector('.app > #settings')?.remove(); document.querySelector('.app > .body').remove(); });
  await drop(page, 'bad.onnx', Buffer.from('not a model'));
  const fatal = page.locator('#fatal-error');
  await fatal.waitFor({ timeout: 20_000 });
  const text = await fatal.innerText();
  console.log(`panic shown as: ${text}`);
  assert.match(text, /^The page crashed: panicked at .+\. Reload the page\.$/s);
  assert.equal(await fatal.getAttribute('role'), 'alert');
  assert.ok(await fatal.isVisible(), 'the message is visible');
  await screenshot(page, 'robust-panic');
  // Expected here: the panic itself reaches the console.
  assert.ok(problems.some((p) => /panicked|unreachable|RuntimeError|failed to insert/.test(p)), problems.join('\n'));
});

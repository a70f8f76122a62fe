// The analysis of a finished run, acting as a user on the digits CNN: keep one op in float and back (its TQCs'
// states and the output error change, then return), rank the layers by sensitivity and compare the ranking with
// the CLI's `analyse --json` on the same model, data and settings; the per-layer SNR table against the CLI's
// layers; colour the graph by error; an activation histogram with its clip range and saturation, and the
// per-channel weight ranges of a conv.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT, startServer, launchBrowser, openPage, screenshot } from './harness.mjs';

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

/** The CLI's `analyse --json` on the bundled digits CNN and its calibration JSON (debug CLI, rebuilt if stale). */
function cliAnalyse() {
  const b = spawnSync('cargo', ['build', '--quiet', '--bin', 'ppq-playground'], { cwd: ROOT, stdio: 'inherit' });
  assert.equal(b.status, 0, 'cargo build of the CLI');
  const r = spawnSync(path.join(ROOT, 'target/debug/ppq-playground'), ['analyse', 'www/samples/digits_cnn.onnx',
    '--calib', 'www/samples/calib/digits_cnn_calib.json', '--platform', 'TRT_INT8',
    '--calib-algorithm', 'minmax', '--steps', 'all', '--json'],
  { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** A number the page printed with 6 decimals equals the CLI's value to that precision. The page's wasm32
 *  kernels and the native CLI may differ by an f32 ulp in a scale, so one unit of the last digit is allowed. */
/** The page writes SNR in dB with PPQ's ratio in `data-snr`: the text must be that ratio in dB. */
function dbOf(text, snr, what) {
  const want = snr <= 0 ? '∞ dB' : `${(-10 * Math.log10(snr)).toFixed(1)} dB`;
  assert.equal(text.trim(), want, `${what}: shown as ${text}, ratio ${snr}`);
}

function samePrinted(shown, cli, what) {
  const d = Math.abs(Number(shown) - cli);
  assert.ok(d <= 1e-6 + 1e-9, `${what}: page ${shown}, CLI ${cli.toFixed(6)} (${cli})`);
  return shown === cli.toFixed(6);
}

async function openDigitsAndRun(page) {
  await page.goto(server.url);
  await page.waitForSelector('#sample-select option[value="digits_cnn"]', { state: 'attached' });
  await page.selectOption('#sample-select', 'digits_cnn');
  await page.waitForSelector('#run-all:not([disabled])');
  await page.click('#run-all');
  await page.waitForFunction(() => /100 % · done/.test(document.querySelector('#run-progress-label')?.textContent ?? ''),
    null, { timeout: 120_000 });
  await page.waitForSelector('#snr-table tbody tr');
}

async function selectOp(page, name) {
  await page.locator(`.op-node[data-op="${name}"]`).click();
  await page.waitForFunction((n) => document.querySelector('#inspector-title code')?.textContent === n, name);
}

/** State badge text of every TQC card of `op` in the inspector, by TQC id. */
async function inspectorStates(page, op) {
  return page.locator('#inspector .tqc').evaluateAll((els, o) => Object.fromEntries(els
    .filter((e) => e.dataset.tqc.startsWith(`${o}:`))
    .map((e) => [e.dataset.tqc, e.querySelector('.state-badge').textContent])), op);
}

test('digits_cnn: keep one op in float and back; sensitivity ranking equals the CLI analyse', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await openDigitsAndRun(page);
  const cli = cliAnalyse();

  // Keep /c2/Conv in float: its TQCs go to FP32, the output error changes.
  const op = '/c2/Conv';
  await selectOp(page, op);
  await page.waitForSelector('#keep-float-toggle:not([disabled])');
  const before = await inspectorStates(page, op);
  assert.ok(Object.keys(before).length >= 3, JSON.stringify(before));
  assert.ok(Object.values(before).some((s) => s !== 'FP32'), JSON.stringify(before));
  const errBefore = await page.locator('#model-output-error').getAttribute('data-snr');
  const layerBefore = await page.locator('#layer-error').innerText();
  const tToggle = Date.now();
  await page.click('#keep-float-toggle');
  await page.waitForSelector('#kept-float');
  const toggleMs = Date.now() - tToggle;
  await page.waitForFunction((o) => [...document.querySelectorAll('#inspector .tqc')]
    .filter((e) => e.dataset.tqc.startsWith(`${o}:`))
    .every((e) => e.querySelector('.state-badge').textContent === 'FP32'), op);
  const floated = await inspectorStates(page, op);
  assert.deepEqual(Object.keys(floated), Object.keys(before));
  const errFloat = await page.locator('#model-output-error').getAttribute('data-snr');
  assert.notEqual(errFloat, errBefore, 'the model output error changes');
  assert.ok(Number(errFloat) < Number(errBefore), `keeping a conv in float lowers the error: ${errBefore} → ${errFloat}`);
  assert.match(await page.locator('#kept-float').innerText(), /\/c2\/Conv/);
  // The graph's squares of that op show FP32 too; the stepper got the keep-in-float step.
  const squares = await page.locator(`.op-node[data-op="${op}"] .tqc-square`).evaluateAll((els) => els.map((e) => e.dataset.state));
  assert.ok(squares.length > 0 && squares.every((s) => s === 'FP32'), squares.join(','));
  assert.match(await page.locator('#pass-label').innerText(), /keep in float: \/c2\/Conv/);
  console.log(`keep /c2/Conv in float: output SNR ${errBefore} → ${errFloat}; layer error ${layerBefore} → ${await page.locator('#layer-error').innerText()}; ${toggleMs} ms from the click to the new state`);
  await screenshot(page, 'analysis-keep-float-on');

  // And back: the original states and the original error, exactly.
  await page.click('#keep-float-toggle');
  await page.waitForSelector('#kept-float', { state: 'detached' });
  assert.deepEqual(await inspectorStates(page, op), before);
  assert.equal(await page.locator('#model-output-error').getAttribute('data-snr'), errBefore);
  assert.equal(await page.locator('#layer-error').innerText(), layerBefore);
  await screenshot(page, 'analysis-keep-float-off');

  // Per-layer SNR: one row per quantized layer, the CLI's layers and values.
  const rows = await page.locator('#snr-table tbody tr').evaluateAll((els) => els.map((e) => [e.dataset.op, e.dataset.snr, e.querySelector('td:nth-child(3)').textContent]));
  assert.deepEqual(rows.map((r) => r[0]), cli.layers.map((l) => l.op));
  let exact = 0;
  rows.forEach(([name, snr, text], i) => {
    exact += samePrinted(Number(snr).toFixed(6), cli.layers[i].snr, `SNR of ${name}`);
    dbOf(text, Number(snr), `SNR of ${name}`);
  });
  samePrinted(Number(errBefore).toFixed(6), cli.outputs[0].snr, 'output SNR');
  console.log(`SNR table: ${rows.length} layers, ${exact} equal to the CLI's 6 decimals (the rest within one unit)`);

  // Sensitivity: progress while it runs (a fast machine may finish first), then the ranking.
  await page.evaluate(() => {
    window.__sens = [];
    new MutationObserver(() => {
      const bar = document.querySelector('#sensitivity-progress');
      if (bar) window.__sens.push(Number(bar.value));
    }).observe(document.querySelector('#sensitivity'), { subtree: true, childList: true, attributes: true });
  });
  const t0 = Date.now();
  await page.click('#run-sensitivity');
  await page.waitForSelector('#sensitivity-table tbody tr', { timeout: 120_000 });
  console.log(`sensitivity in the worker: ${Date.now() - t0} ms from the click to the table`);
  console.log(`sensitivity progress values seen: ${(await page.evaluate(() => window.__sens)).join(',') || '(none, finished first)'}`);
  const ranking = await page.locator('#sensitivity-table tbody tr').evaluateAll((els) => els.map((e) => ({
    op: e.dataset.op, whenFloat: Number(e.querySelector('.when-float .db').dataset.snr).toFixed(6),
    improvement: Number(e.dataset.improvement).toFixed(6),
  })));
  const want = cli.sensitivity.ranking;
  assert.equal(ranking.length, want.length);
  samePrinted(Number(await page.locator('#sensitivity-baseline .db').getAttribute('data-snr')).toFixed(6), cli.sensitivity.quantized_output_snr, 'baseline');
  // sortable: a click on the op head sorts by name, a second reverses
  await page.locator('#sensitivity-table th button', { hasText: 'op' }).click();
  const byName = await page.locator('#sensitivity-table tbody tr').evaluateAll((els) => els.map((e) => e.dataset.op));
  assert.deepEqual(byName, [...byName].sort(), 'sorted by op name');
  await page.locator('#sensitivity-table th button', { hasText: 'op' }).click();
  assert.deepEqual(await page.locator('#sensitivity-table tbody tr').evaluateAll((els) => els.map((e) => e.dataset.op)), [...byName].reverse());
  await page.locator('#sensitivity-table th button', { hasText: 'op' }).click();
  let same = 0;
  ranking.forEach((r, i) => {
    // Same order; two ops may only swap places when their improvements tie to within an f32-ulp difference.
    if (r.op !== want[i].op) {
      const other = want.find((w) => w.op === r.op);
      assert.ok(other && Math.abs(other.improvement - want[i].improvement) <= 2e-6, `rank ${i + 1}: page ${r.op}, CLI ${want[i].op}`);
    }
    const w = want.find((x) => x.op === r.op);
    same += samePrinted(r.whenFloat, w.output_snr_when_float, `error if ${r.op} is float`) & samePrinted(r.improvement, w.improvement, `improvement of ${r.op}`);
  });
  console.log(`sensitivity: ${ranking.length} ops, top ${ranking.slice(0, 3).map((r) => `${r.op} ${r.improvement}`).join(', ')}; ${same} rows equal to the CLI's 6 decimals`);
  await screenshot(page, 'analysis-sensitivity');

  // A row selects its op.
  await page.locator(`#sensitivity-table tbody tr[data-op="${ranking[0].op}"]`).click();
  await page.waitForFunction((n) => document.querySelector('#inspector-title code')?.textContent === n, ranking[0].op);

  // Colour the graph by error: every op of the SNR table gets a fill.
  await page.click('#color-by-error');
  const fills = await page.locator('.op-node .op-box').evaluateAll((els) => els.filter((e) => e.style.fill).length);
  assert.equal(fills, cli.layers.length);
  await screenshot(page, 'analysis-colour-by-error');

  // Cancel a ranking with /c2/Conv kept in float: the worker is replaced, the model quantized again and the op
  // kept in float again, so the page ends where it was. (A row of the SNR table selects and centres its op.)
  await page.locator(`#snr-table tbody tr[data-op="${op}"]`).click();
  await page.waitForFunction((n) => document.querySelector('#inspector-title code')?.textContent === n, op);
  await page.waitForSelector('#keep-float-toggle:not([disabled])');
  await page.click('#keep-float-toggle');
  await page.waitForSelector('#kept-float');
  await page.waitForFunction(() => document.querySelector('#run-sensitivity') && !document.querySelector('#run-sensitivity').disabled);
  const cancelled = await page.evaluate(async () => {
    // Notes whether the page went through the re-quantization (kept ops vanish while the model reloads).
    window.__reloaded = false;
    new MutationObserver(() => { if (!document.querySelector('#kept-float')) window.__reloaded = true; })
      .observe(document.body, { subtree: true, childList: true });
    document.querySelector('#run-sensitivity').click();
    await new Promise((r) => setTimeout(r, 0));
    const cancel = document.querySelector('#sensitivity-cancel');
    cancel?.click();
    return Boolean(cancel);
  });
  assert.ok(cancelled, 'the cancel button shows as soon as the ranking starts');
  await page.waitForSelector('#load-error');
  assert.match(await page.locator('#load-error').innerText(), /Sensitivity cancelled/);
  await page.waitForFunction((e) => window.__reloaded && document.querySelector('#kept-float')
    && document.querySelector('#model-output-error')?.dataset.snr === e, errFloat, { timeout: 120_000 });
  assert.match(await page.locator('#kept-float').innerText(), /\/c2\/Conv/);
  await screenshot(page, 'analysis-sensitivity-cancelled');
  // The fresh worker ranks again; its baseline is the error with /c2/Conv kept in float.
  await page.waitForSelector('#run-sensitivity:not([disabled])');
  await page.click('#run-sensitivity');
  await page.waitForFunction((e) => document.querySelector('#sensitivity-baseline .db')?.dataset.snr === e,
    errFloat, { timeout: 120_000 });
  assert.match(await page.locator('#sensitivity').innerText(), /with \/c2\/Conv kept in float/);
  assert.deepEqual(problems, []);
});

test('digits_cnn: activation histogram with its clip range and saturation, per-channel weight ranges', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await openDigitsAndRun(page);
  // /Relu's output: ACTIVATED, minmax-calibrated on these samples.
  await selectOp(page, '/Relu');
  const h = page.locator('#op-stats .histogram[data-var="/Relu_output_0"]');
  await h.waitFor();
  const sat = Number(await h.getAttribute('data-saturation'));
  const text = await h.innerText();
  console.log(`/Relu_output_0: ${text.replace(/\s+/g, ' ')}`);
  // PPQ's symmetric minmax puts the largest value at level 127.5, half a step past the clip range: at most the
  // few maximal values may round to 128 and clamp, nothing else.
  assert.ok(sat >= 0 && sat < 0.01, `saturation ${sat} %`);
  assert.match(text, /clip range 0\.0000|clip range -/);
  assert.equal(await h.locator('svg line.clip').count(), 2);
  assert.ok(await h.locator('svg rect.bar').count() > 5);
  const values = Number(/· (\d+) values from 64 samples/.exec(text)?.[1]);
  assert.equal(values, 64 * 8 * 8 * 8, 'every value of the 64 samples (8 channels of 8×8)');

  // /c2/Conv: its output is OVERLAPPED (fused with the ReLU), its weight per-channel.
  await selectOp(page, '/c2/Conv');
  const w = page.locator('#op-stats .weight-ranges[data-var="c2.weight"]');
  await w.waitFor();
  const channels = Number(await w.getAttribute('data-channels'));
  assert.ok(channels > 1);
  assert.equal(await w.locator('g.channel').count(), channels);
  assert.equal(await w.locator('g.channel rect.clip').count(), channels);
  assert.match(await page.locator('#op-stats .histogram').first().innerText(), /not quantized here \(OVERLAPPED\)/);
  await screenshot(page, 'analysis-histogram-weights');
  assert.deepEqual(problems, []);
});

// The playground page: open the b_residual sample, read its graph, inspect the `add` op's TQCs (real PPQ 0.6.6
// TRT_INT8 results bundled with the page), step back through the passes, and survive a malformed file.
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

test('b_residual: graph, TQC inspector, pass stepper, bad file', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.goto(server.url);
  await page.waitForSelector('#wasm-status', { timeout: 20_000 });
  await screenshot(page, 'playground-welcome');

  // Pick the sample from the toolbar (the welcome cards do the same).
  await page.waitForSelector('#sample-select option[value="b_residual"]', { state: 'attached' });
  await page.selectOption('#sample-select', 'b_residual');
  await page.waitForSelector('.op-node');
  assert.equal(await page.locator('.op-node').count(), 5, 'b_residual has 5 ops after formatting');
  const names = await page.locator('.op-node').evaluateAll((els) => els.map((e) => e.dataset.op).sort());
  assert.deepEqual(names, ['add', 'conv1', 'conv2', 'relu1', 'relu_out']);
  assert.match(await page.locator('#result-source').innerText(), /Result of real PPQ 0\.6\.6, TRT_INT8, minmax/);
  assert.ok(await page.locator('.edge-label').count() > 0, 'edges carry shape labels');

  // Inspect `add`: its two inputs are PASSIVE (aligned to the larger range), with add:in0:c2 as the root.
  await page.locator('.op-node[data-op="add"]').click();
  await page.waitForSelector('#inspector .tqc');
  const in0 = page.locator('#inspector .tqc[data-tqc="add:in0:c2"]');
  const in1 = page.locator('#inspector .tqc[data-tqc="add:in1:input"]');
  assert.equal(await in0.locator('.state-badge').innerText(), 'PASSIVE');
  assert.equal(await in1.locator('.state-badge').innerText(), 'PASSIVE');
  assert.match(await in0.locator('.scale').innerText(), /^0\.049171943/);
  assert.match(await in0.innerText(), /Root of an alignment group/);
  assert.equal(await in0.locator('.bit.on').count(), 3, 'PER_TENSOR, LINEAR, SYMMETRICAL');
  assert.equal(await in0.locator('.timeline li').count(), 9, 'one state per passes.json entry');
  await screenshot(page, 'playground-add');

  // Step back to the fusion pass: add:in0:c2 was still INITIAL then, and had no scale.
  while (!/Quantization Fusion Pass/.test(await page.locator('#pass-label').innerText())) {
    assert.ok(await page.locator('#pass-prev').isEnabled(), 'the fusion pass must be reachable');
    await page.locator('#pass-prev').click();
  }
  assert.equal(await in0.locator('.state-badge').innerText(), 'INITIAL');
  assert.equal(await in0.locator('.scale').innerText(), 'not set');
  assert.equal(await page.locator('.op-node[data-op="add"] .tqc-square[data-tqc="add:in0:c2"]').getAttribute('data-state'),
    'INITIAL', 'the graph is recoloured too');
  await screenshot(page, 'playground-fusion-pass');
  // The slider goes back to the final state.
  await page.locator('#pass-slider').fill('8');
  assert.equal(await in0.locator('.state-badge').innerText(), 'PASSIVE');

  // Search centres and highlights.
  await page.fill('#graph-search', 'relu_out');
  assert.equal(await page.locator('.op-node.match').count(), 1);
  await page.fill('#graph-search', '');

  // A malformed file: a readable error, and b_residual stays loaded.
  await page.setInputFiles('#file-input', { name: 'broken.onnx', mimeType: 'application/octet-stream',
    buffer: Buffer.from([0xff, 0xff, 0xff, 0x20, 0x6e, 0x6f, 0x74, 0x20, 0x6f, 0x6e, 0x6e, 0x78]) });
  const err = page.locator('#load-error');
  await err.waitFor();
  assert.match(await err.innerText(), /broken\.onnx: malformed ONNX/);
  assert.match(await err.innerText(), /previous model is still loaded/);
  assert.equal(await page.locator('#model-name').innerText(), 'b_residual');
  assert.equal(await page.locator('.op-node').count(), 5);
  await screenshot(page, 'playground-error');
  assert.deepEqual(problems, []);
});

test('every bundled sample opens and every platform run loads', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.goto(server.url);
  await page.waitForSelector('.card[data-sample="digits_cnn"]');
  await page.locator('.card[data-sample="digits_cnn"]').click();
  await page.waitForSelector('#model-name:text("digits_cnn")');
  await page.locator('.op-node').first().waitFor();
  for (const name of ['a_concat_pool', 'c_soi', 'd_passive']) {
    await page.selectOption('#sample-select', name);
    await page.waitForSelector(`#model-name:text("${name}")`);
    // the platform is the settings panel's: real PPQ's run of it is fetched beside ours
    await page.selectOption('#set-platform', 'PPL_DSP_INT8');
    await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('p') === 'PPL_DSP_INT8');
    await page.waitForSelector('#source-ppq:not([disabled])');
    await page.locator('#source-ppq').check();
    await page.waitForSelector('#result-source:text("PPL_DSP_INT8")');
  }
  // c_soi has SOI/FP32 ops, drawn dashed.
  await page.selectOption('#sample-select', 'c_soi');
  await page.waitForSelector('#model-name:text("c_soi")');
  assert.ok(await page.locator('.op-node.float').count() > 0);
  await screenshot(page, 'playground-c_soi');
  assert.deepEqual(problems, []);
});

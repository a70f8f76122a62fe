// Teaching features: every lesson step (the highlighted TQC shows the promised state), shared links reproduce
// the view in a fresh page, back/forward, garbage hashes, course mode, rule-set comparison and quirk badges.
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

/** Waits until no run is under way and the highlighted card (if any) shows TQC `id`. */
async function settled(page, id) {
  await page.waitForFunction((id) => {
    if (document.querySelector('.banner.busy')) return false;
    if (!id) return !!document.querySelector('.op-node');
    const card = document.querySelector(`#inspector .tqc[data-highlight][data-tqc="${id}"]`);
    return !!card;
  }, id, { timeout: 30_000 });
}

const param = (hash, key) => new URLSearchParams(hash.replace(/^#/, '')).get(key);

/** Checks what a step's extra views show: the sweep columns, the baking panel of a parameter. */
async function checkViews(page, hash, hl, label) {
  const sweep = param(hash, 'sweep');
  if (sweep) {
    const heads = await page.locator('#sweep thead th[data-variant]').allInnerTexts();
    const want = { ew: ['Align to Large', 'Align to Output', 'None'], cat: ['Align to Large', 'Align to Output', 'None'],
      fo: ['force_overlap on', 'force_overlap off'] }[sweep];
    assert.deepEqual(heads, want, `${label}: one column per setting`);
    const row = page.locator(`#sweep tr.sweep-tqc.hl[data-tqc="${hl}"] td`);
    assert.equal(await row.count(), want.length, `${label}: the highlighted TQC has a cell per column`);
    const snr = page.locator(`#sweep tr.sweep-layer[data-op="${param(hash, 'op')}"] td`);
    for (const v of await snr.evaluateAll((tds) => tds.map((t) => t.dataset.snr))) {
      assert.ok(Number.isFinite(Number(v)) && Number(v) >= 0, `${label}: per-layer SNR of every column (${v})`);
    }
  } else {
    assert.equal(await page.locator('#sweep').count(), 0, `${label}: no sweep without sweep=`);
  }
}

for (const lesson of ['states', 'alignment', 'baking']) {
  test(`lesson ${lesson}: each step highlights a TQC in the promised state`, async () => {
    const { page, problems } = await openPage(browser, server.url);
    await page.goto(`${server.url}#lesson=${lesson}`);
    await page.waitForSelector(`.lesson[data-lesson="${lesson}"] .lesson-step`);
    const steps = page.locator('.lesson-step');
    const n = await steps.count();
    assert.ok(n >= 3, 'at least three steps');
    for (let i = 0; i < n; i++) {
      const step = steps.nth(i);
      const hash = await step.getAttribute('data-hash');
      const expect = await step.getAttribute('data-expect');
      const hl = param(hash, 'hl');
      await step.click();
      // the button is pressed once the page took the step's experiment (and, when it needs a run, shows it busy)
      await page.waitForSelector(`.lesson-step[data-step="${i + 1}"][aria-pressed="true"]`);
      await settled(page, hl);
      const card = page.locator(`#inspector .tqc[data-highlight][data-tqc="${hl}"]`);
      assert.equal(await card.locator('.state-badge').innerText(), expect, `${lesson} step ${i + 1}: ${hl}`);
      assert.equal(await page.locator(`.tqc-square[data-highlight][data-tqc="${hl}"]`).count(), 1, 'the graph highlights it too');
      assert.equal(param(new URL(page.url()).hash, 'lesson'), lesson, 'the lesson stays in the URL');
      assert.equal(await step.getAttribute('aria-pressed'), 'true');
      if (param(hash, 'vs')) {
        await page.waitForSelector('#compare');
      }
      await checkViews(page, hash, hl, `${lesson} step ${i + 1}`);
    }
    // the final step's own view in sight: the side-by-side table, the baking panel, or the highlighted card
    for (const sel of ['#sweep', '#baking', '#inspector .tqc[data-highlight]']) {
      if (await page.locator(sel).count()) {
        await page.locator(sel).first().scrollIntoViewIfNeeded();
        break;
      }
    }
    await screenshot(page, `lesson-${lesson}-final`);
    // Each lesson ends with questions, and says where on the page their answers are.
    const last = page.locator('.lesson h3').last();
    assert.equal(await last.innerText(), 'Questions');
    assert.ok(await page.locator('.lesson ol').last().locator('li').count() >= 3, 'a few questions');
    assert.match(await page.locator('.lesson h3:text("Questions") + p').innerText(), /answers/i);
    // The lesson's runs are ordinary runs of the page's one worker (the pipeline panel's), none on the page.
    assert.equal(page.workers().length, 1, `workers: ${page.workers().length}`);
    assert.deepEqual(problems, []);
  });
}

/** Numbers in the sweep table: scale text of TQC `id` in column `col` (0-based). */
const sweepScale = (page, id, col) => page.locator(`#sweep tr.sweep-tqc[data-tqc="${id}"] td`).nth(col).locator('.scale').innerText();

test('alignment answers are on the page: shared scales under alignment, separate under None, SNR per column', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.addInitScript(() => {
    window.__longest = 0;
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longest = Math.max(window.__longest, e.duration); })
      .observe({ type: 'longtask', buffered: true });
  });
  await page.goto(`${server.url}#m=b_residual&sweep=ew&op=add&hl=add:in1:input&lesson=alignment`);
  await settled(page, 'add:in1:input');
  await page.waitForSelector('#sweep');
  const t0 = performance.now();
  // Align to Large (column 0) and Align to Output (1): one shared scale; None (2): two different ones.
  assert.equal(await sweepScale(page, 'add:in0:c2', 0), await sweepScale(page, 'add:in1:input', 0));
  assert.equal(await sweepScale(page, 'add:in0:c2', 1), await sweepScale(page, 'add:in1:input', 1));
  assert.notEqual(await sweepScale(page, 'add:in0:c2', 2), await sweepScale(page, 'add:in1:input', 2));
  const snr = await page.locator('#sweep tr.sweep-layer[data-op="add"] td').evaluateAll((tds) => tds.map((t) => Number(t.dataset.snr)));
  assert.equal(snr.length, 3);
  assert.notEqual(snr[0], snr[2], 'None changes the Add\'s error');
  assert.match(await page.locator('#sweep tr.sweep-layer[data-op="add"] td').nth(2).innerText(), /\(([+-])\d/, 'the change against column 1');
  // The page computed none of it: the longest main-thread task stays short while the worker runs three pipelines
  // (measured from here on, after the page's own start-up).
  await page.evaluate(() => { window.__longest = 0; });
  await page.goto(`${server.url}#m=a_concat_pool&sweep=cat&op=concat&hl=concat:in1:b2&lesson=alignment`);
  await settled(page, 'concat:in1:b2');
  await page.waitForSelector('#sweep tr.sweep-tqc[data-tqc="concat:in1:b2"]');
  const longest = await page.evaluate(() => window.__longest);
  // The same link in a fresh page gives the same side-by-side table.
  const table = await page.locator('#sweep table').innerText();
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const fresh = await ctx.newPage();
  await fresh.goto(page.url());
  await settled(fresh, 'concat:in1:b2');
  await fresh.waitForSelector('#sweep tr.sweep-tqc');
  assert.equal(await fresh.locator('#sweep table').innerText(), table);
  await ctx.close();
  console.log(`alignment sweep: longest main-thread task ${longest.toFixed(0)} ms (${(performance.now() - t0).toFixed(0)} ms)`);
  assert.ok(longest < 250, `longest task ${longest} ms`);
  await screenshot(page, 'teach-sweep-concat');
  // The sweep is a control too: choosing it writes the URL.
  await page.selectOption('#exp-sweep', 'fo');
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('sweep') === 'fo');
  await page.waitForSelector('#sweep th[data-variant="fo:0"]');
  assert.deepEqual(problems, []);
});

test('force_overlap at work: on e_resblock the ReLU feeding conv1 and the Add follows the group only when on', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.goto(`${server.url}#m=e_resblock&sweep=fo&op=relu0&hl=relu0:out0:r0&lesson=alignment`);
  await page.waitForSelector('#sweep tr.sweep-tqc[data-tqc="relu0:out0:r0"]');
  const cells = page.locator('#sweep tr.sweep-tqc[data-tqc="relu0:out0:r0"] td');
  const [on, off] = await cells.allInnerTexts();
  console.log(`e_resblock relu0:out0:r0 — on: ${on.replace(/\s+/g, ' ')} | off: ${off.replace(/\s+/g, ' ')}`);
  assert.match(on, /OVERLAPPED/, 'on: overridden by the Add\'s group');
  assert.match(off, /ACTIVATED/, 'off: a producer with two consumers keeps its own scale');
  assert.notEqual(await sweepScale(page, 'relu0:out0:r0', 0), await sweepScale(page, 'relu0:out0:r0', 1));
  await screenshot(page, 'teach-force-overlap');
  assert.deepEqual(problems, []);
});

test('baking panel: fp32 vs int vs baked rows, error histogram, bias precision with the op\'s numbers', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.goto(`${server.url}#m=d_passive&p=PPL_CUDA_INT8&op=conv1&hl=conv1:in1:c1_w&lesson=baking`);
  await settled(page, 'conv1:in1:c1_w');
  await page.waitForSelector('#baking[data-tqc="conv1:in1:c1_w"]');
  assert.match(await page.locator('#baking-status').innerText(), /BAKED/);
  // the rows' full-precision values (the cells show them rounded)
  const rows = await page.locator('#baking-rows tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    fp32: Number(tr.dataset.fp32), int: Number(tr.dataset.int), scale: Number(tr.dataset.scale),
    baked: Number(tr.dataset.baked), err: Number(tr.dataset.error), cells: tr.querySelectorAll('td').length })));
  assert.ok(rows.length >= 3);
  assert.ok(rows.some((r) => r.fp32 !== r.baked), 'baking changed some value');
  for (const r of rows) {
    const text = JSON.stringify(r);
    assert.equal(r.cells, 6, text);
    assert.ok(Math.abs(r.int * r.scale - r.baked) <= r.scale * 1e-4, `int × scale = baked: ${text}`);
    assert.ok(Math.abs((r.baked - r.fp32) / r.scale - r.err) < 1e-4, `error in scale units: ${text}`);
    assert.ok(Math.abs(r.err) <= 0.5 + 1e-4 || r.int === 127, `error within half a step unless clipped: ${text}`);
  }
  const bars = await page.locator('#baking-histogram rect.bar').evaluateAll((rs) => rs.map((r) => Number(r.dataset.count)));
  assert.equal(bars.length, 20);
  assert.ok(bars.reduce((a, b) => a + b, 0) > 0);
  assert.match(await page.locator('#baking-summary').innerText(), /mean \|error\| 0\.\d+/);
  // Before the Baking pass the same rows are announced as what baking will write.
  await page.locator('#pass-prev').click();
  await page.locator('#baking-status', { hasText: 'not baked yet' }).waitFor();
  // The bias: int32, its scale is input_scale × weight_scale, with the actual numbers.
  await page.goto(`${server.url}#m=d_passive&p=PPL_CUDA_INT8&op=conv1&hl=conv1:in2:c1_b&lesson=baking`);
  await settled(page, 'conv1:in2:c1_b');
  await page.waitForSelector('#bias-precision');
  const bias = await page.locator('#bias-precision').innerText();
  assert.match(bias, /32 bits, range \[-2147483647, 2147483647\]/);
  assert.match(bias, /conv1:in0:input/);
  const cells = await page.locator('#bias-precision tbody tr').first().locator('td').allInnerTexts();
  assert.ok(Math.abs(Number(cells[1]) / Number(cells[2]) - 1) < 1e-5, `product = bias scale: ${cells}`);
  await page.locator('#bias-precision').scrollIntoViewIfNeeded();
  await screenshot(page, 'teach-baking-bias');
  // On TRT_INT8 the bias has no scale: the panel says it stays float.
  await page.goto(`${server.url}#m=d_passive&op=conv1&hl=conv1:in2:c1_b&lesson=baking`);
  await settled(page, 'conv1:in2:c1_b');
  await page.locator('#baking-status', { hasText: 'leaves it in float32' }).waitFor();
  assert.deepEqual(problems, []);
});

test('the Learn panel fits 1280×800: it scrolls on its own and collapses to a strip', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.goto(`${server.url}#m=b_residual&sweep=ew&op=add&hl=add:in1:input&lesson=alignment`);
  await settled(page, 'add:in1:input');
  const box = async (sel) => page.locator(sel).boundingBox();
  const learn = await box('#learn');
  assert.ok(learn.y + learn.height <= 800 + 1, `the panel ends inside the window: ${JSON.stringify(learn)}`);
  assert.ok(await page.locator('#learn').evaluate((e) => e.scrollHeight > e.clientHeight), 'the lesson scrolls inside its panel');
  const graphBefore = (await box('.graph-pane')).width;
  await page.locator('#learn-collapse').click();
  await page.waitForSelector('#learn.collapsed');
  const graphAfter = (await box('.graph-pane')).width;
  assert.ok(graphAfter > graphBefore + 200, `collapsing gives the graph room: ${graphBefore} → ${graphAfter}`);
  await page.screenshot({ path: 'test-results/teach-1280x800-collapsed.png' });
  await page.locator('#learn-expand').click();
  await page.waitForSelector('.lesson-step');
  await page.screenshot({ path: 'test-results/teach-1280x800-learn.png' });
  assert.deepEqual(problems, []);
});

test('a shared link reproduces selection, pass and scales in a fresh page; back/forward walk through it', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.goto(`${server.url}#m=b_residual&ew=none&pass=6&op=add&hl=add:in1:input`);
  await settled(page, 'add:in1:input');
  const read = async (p) => ({
    title: await p.locator('#inspector-title').innerText(),
    pass: await p.locator('#pass-label').innerText(),
    scales: await p.locator('#inspector .tqc .scale').allInnerTexts(),
    states: await p.locator('#inspector .tqc .state-badge').allInnerTexts(),
    ew: await p.locator('#set-elementwise-alignment').inputValue(),
  });
  const first = await read(page);
  assert.match(first.pass, /Alignment/);
  assert.equal(first.ew, 'none');
  assert.equal(first.states.length, 3);
  const shared = page.url();
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const fresh = await ctx.newPage();
  await fresh.goto(shared);
  await settled(fresh, 'add:in1:input');
  assert.deepEqual(await read(fresh), first, 'the same view from the link alone');
  await ctx.close();

  // Back/forward: step back one pass, change a setting, then walk back.
  await page.locator('#pass-prev').click();
  await page.waitForFunction(() => /Calibration/.test(document.querySelector('#pass-label')?.textContent ?? ''));
  await page.selectOption('#set-elementwise-alignment', 'align-to-large');
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('ew') === 'align-to-large');
  await settled(page);
  await page.goBack();
  await page.waitForFunction(() => /Calibration/.test(document.querySelector('#pass-label')?.textContent ?? ''));
  assert.equal(await page.locator('#set-elementwise-alignment').inputValue(), 'none');
  await page.goBack();
  await page.waitForFunction(() => /Alignment/.test(document.querySelector('#pass-label')?.textContent ?? ''));
  await page.goForward();
  await page.waitForFunction(() => /Calibration/.test(document.querySelector('#pass-label')?.textContent ?? ''));
  assert.deepEqual(problems, []);
});

test('a hand-edited hash gives readable messages, not a crash', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.goto(`${server.url}#m=b_residual&p=NOPE&pass=abc&zz=1&op=nothere&ew=%zz`);
  await page.waitForSelector('#model-name:text("b_residual")');
  const warn = await page.locator('#link-warning').innerText();
  assert.match(warn, /unknown platform/);
  assert.match(warn, /pass position is a whole number/);
  assert.match(warn, /unknown setting 'zz'/);
  assert.match(warn, /no op named 'nothere'/);
  // A method PPQ forbids for the op group: PPQ's rule, in words.
  // (refused where the link is read, by the settings table, so nothing runs with it)
  await page.goto(`${server.url}#m=b_residual&ew=input`);
  await page.locator('#link-warning', { hasText: 'not allowed' }).waitFor();
  assert.match(await page.locator('#link-warning').innerText(), /Align to Input/);
  await page.goto(`${server.url}#m=no_such_model`);
  await page.locator('#link-warning', { hasText: 'no bundled sample' }).waitFor();
  await screenshot(page, 'teach-garbage-hash');
  assert.deepEqual(problems, []);
});

test('course mode hides the chosen controls', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.goto(`${server.url}#m=b_residual&lesson=states&hide=open,settings,compare`);
  await settled(page);
  await page.waitForSelector('.lesson-step');
  assert.equal(await page.locator('#sample-select').count(), 0);
  assert.equal(await page.locator('#set-platform').count(), 0);
  assert.equal(await page.locator('#exp-vs').count(), 0);
  assert.equal(await page.locator('#pass-slider').count(), 1, 'the stepper stays');
  await page.locator('.lesson-step').nth(1).click();
  await settled(page, 'conv1:in0:input');
  assert.match(page.url(), /hide=open%2Csettings%2Ccompare|hide=open,settings,compare/, 'course flags survive steps');
  await screenshot(page, 'teach-course-mode');
  assert.deepEqual(problems, []);
});

test('rule-set comparison and quirk badges', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.goto(`${server.url}#m=b_residual&vs=p:PPL_DSP_INT8`);
  await page.waitForSelector('#compare-count');
  assert.ok(await page.locator('.diff-row').count() > 0);
  assert.match(await page.locator('#compare-right').innerText(), /PPL_DSP_INT8/);
  assert.match(await page.locator('#compare-left-error').innerText(), /output: \d/);
  assert.match(await page.locator('#compare-right-error').innerText(), /output: \d/);
  // per-layer SNR of both runs, measured in the teaching worker
  const layerRows = await page.locator('#compare-layers tbody tr').count();
  assert.ok(layerRows >= 3, `per-layer rows: ${layerRows}`);
  assert.match(await page.locator('#compare-layers tbody tr[data-op="add"]').innerText(), /\d+\.\d dB\s+\d+\.\d dB/);
  await page.locator('.diff-row button').first().click();
  await page.waitForSelector('#inspector .tqc[data-highlight]');
  await screenshot(page, 'teach-compare');

  await page.goto(`${server.url}#m=c_soi&op=slice`);
  await page.waitForSelector('#quirk-notes');
  assert.equal(await page.locator('#inspector .tqc[data-quirk][data-tqc="slice:out0:sl"]').count(), 1);
  assert.ok(await page.locator('.tqc-square[data-quirk]').count() >= 1, 'the graph carries the badge too');
  assert.match(await page.locator('#quirk-notes').innerText(), /passive-operations-typo/);
  assert.match(await page.locator('#quirk-notes .fixed-value').first().innerText(), /fixed: [A-Z_]+/);
  await screenshot(page, 'teach-quirk');
  // Under quirks = fixed there is nothing left to badge.
  await page.selectOption('#set-quirks', 'fixed');
  await page.waitForFunction(() => !document.querySelector('.banner.busy') && !document.querySelector('#quirk-notes'));
  assert.deepEqual(problems, []);
});

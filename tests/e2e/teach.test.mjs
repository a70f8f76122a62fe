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
      await settled(page, hl);
      const card = page.locator(`#inspector .tqc[data-highlight][data-tqc="${hl}"]`);
      assert.equal(await card.locator('.state-badge').innerText(), expect, `${lesson} step ${i + 1}: ${hl}`);
      assert.equal(await page.locator(`.tqc-square[data-highlight][data-tqc="${hl}"]`).count(), 1, 'the graph highlights it too');
      assert.equal(param(new URL(page.url()).hash, 'lesson'), lesson, 'the lesson stays in the URL');
      assert.equal(await step.getAttribute('aria-pressed'), 'true');
      if (param(hash, 'vs')) {
        await page.waitForSelector('#compare');
      }
    }
    await screenshot(page, `lesson-${lesson}-final`);
    assert.deepEqual(problems, []);
  });
}

test('a shared link reproduces selection, pass and scales in a fresh page; back/forward walk through it', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.goto(`${server.url}#m=b_residual&ew=none&pass=6&op=add&hl=add:in1:input`);
  await settled(page, 'add:in1:input');
  const read = async (p) => ({
    title: await p.locator('#inspector-title').innerText(),
    pass: await p.locator('#pass-label').innerText(),
    scales: await p.locator('#inspector .tqc .scale').allInnerTexts(),
    states: await p.locator('#inspector .tqc .state-badge').allInnerTexts(),
    ew: await p.locator('#exp-ew').inputValue(),
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
  await page.selectOption('#exp-ew', 'large');
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('ew') === 'large');
  await settled(page);
  await page.goBack();
  await page.waitForFunction(() => /Calibration/.test(document.querySelector('#pass-label')?.textContent ?? ''));
  assert.equal(await page.locator('#exp-ew').inputValue(), 'none');
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
  assert.equal(await page.locator('#exp-platform').count(), 0);
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
  await page.selectOption('#exp-quirks', 'fixed');
  await page.waitForFunction(() => !document.querySelector('.banner.busy') && !document.querySelector('#quirk-notes'));
  assert.deepEqual(problems, []);
});

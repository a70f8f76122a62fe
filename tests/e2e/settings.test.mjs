// One settings model on one page, as a new user meets it: one settings panel whose controls are the session's
// option table (the same names and values as the CLI's flags), one worker for the pipeline panel and the
// experiments, one calibration source shown with its sample count and the steps the settings give, SNR in dB
// with the ratio on hover, sortable tables, no stale "not yet" texts.
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

/** The CLI's platforms of a profile, read from its --help (the same table the page's list comes from). */
function cliPlatforms(profile) {
  const b = spawnSync('cargo', ['build', '--quiet', '--bin', 'ppq-playground'], { cwd: ROOT, stdio: 'inherit' });
  assert.equal(b.status, 0, 'cargo build of the CLI');
  const r = spawnSync(path.join(ROOT, 'target/debug/ppq-playground'), ['quantize', '--help'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const help = r.stdout.replace(/\s+/g, ' ');
  const m = new RegExp(`${profile}: ([A-Z0-9_, ]+)`).exec(help);
  assert.ok(m, `quantize --help lists the platforms of ${profile}: ${help.slice(0, 400)}`);
  return m[1].split(',').map((s) => s.trim()).filter(Boolean);
}

async function settled(page) {
  await page.waitForFunction(() => !document.querySelector('.banner.busy') && document.querySelector('#result-source'),
    null, { timeout: 120_000 });
}

test('one settings panel, one worker, one calibration source with its count and steps', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.addInitScript(() => {
    window.__workers = 0;
    const W = window.Worker;
    window.Worker = class extends W { constructor(...a) { super(...a); window.__workers += 1; } };
  });
  await page.goto(`${server.url}#m=b_residual`);
  await settled(page);
  await page.waitForSelector('#output-error .db');

  // exactly one control per setting on the whole page
  for (const id of ['set-platform', 'set-profile', 'set-quirks', 'set-calib-algorithm', 'set-calib-steps']) {
    assert.equal(await page.locator(`#${id}`).count(), 1, `one #${id}`);
  }
  const pickers = await page.locator('select').evaluateAll((ss) => ss.filter((s) => [...s.options].some((o) => o.value === 'PPL_DSP_INT8')).length);
  assert.equal(pickers, 1, 'one platform picker');
  const body = await page.locator('body').innerText();
  assert.doesNotMatch(body, /not yet/i, 'no stale "not yet" texts');
  assert.doesNotMatch(body, /\d %\s*\(max \|Δ\|/, 'no output error as a percentage');

  // the platform list is the profile's, the same as the CLI's
  const pagePlatforms = async () => page.locator('#set-platform option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(await pagePlatforms(), cliPlatforms('ppq-0.6.6'));
  await page.selectOption('#set-profile', 'ppq-0.6.5');
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('sm') === 'ppq-0.6.5');
  await settled(page);
  assert.deepEqual(await pagePlatforms(), cliPlatforms('ppq-0.6.5'));
  await page.selectOption('#set-profile', 'ppq-0.6.6');
  await settled(page);

  // the calibration source the run read, with its sample count and the steps
  const label = await page.locator('#calib-label').innerText();
  assert.match(label, /^bundled, (\d+) samples$/);
  const n = Number(/(\d+) samples/.exec(label)[1]);
  const steps = await page.locator('#calib-steps').innerText();
  assert.match(steps, new RegExp(`^${n} calibration steps`), 'a sample runs one pass over its data, as its PPQ reference');
  assert.match(await page.locator('#result-source').innerText(), new RegExp(`${n} calibration steps`));
  await page.fill('#set-calib-steps', '40');
  await page.locator('#set-calib-steps').dispatchEvent('change');
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('steps') === '40');
  await settled(page);
  assert.match(await page.locator('#calib-steps').innerText(), /^40 calibration steps: the \d+ samples cycled/);
  assert.match(await page.locator('#result-source').innerText(), /40 calibration steps/);
  // a value PPQ refuses is said, and changes nothing
  const before = page.url();
  await page.fill('#set-calib-steps', '3');
  await page.locator('#set-calib-steps').dispatchEvent('change');
  await page.waitForSelector('#settings-error');
  assert.match(await page.locator('#settings-error').innerText(), /8 <= calib_steps <= 512/);
  assert.equal(page.url(), before);

  // a comparison and a sweep run in the same worker: still one
  await page.selectOption('#exp-vs', 'p:PPL_DSP_INT8');
  await page.waitForSelector('#compare-count', { timeout: 120_000 });
  assert.equal(await page.evaluate(() => window.__workers), 1, 'one worker for the panel and every experiment');

  // SNR: dB in the text, PPQ's ratio on hover
  const out = page.locator('#output-error .db').first();
  const snr = Number(await out.getAttribute('data-snr'));
  assert.equal((await out.innerText()).trim(), `${(-10 * Math.log10(snr)).toFixed(1)} dB`);
  assert.match(await out.getAttribute('title'), /noise \/ signal/);
  await screenshot(page, 'settings-one-panel');
  assert.deepEqual(problems, []);
});

test('the pipeline panel runs the settings of the panel above it, and sortable SNR tables', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.goto(`${server.url}#m=digits_cnn`);
  await settled(page);
  await page.selectOption('#set-calib-algorithm', 'percentile');
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('obs') === 'percentile');
  await settled(page);
  await page.waitForSelector('#run-all:not([disabled])');
  await page.click('#run-all');
  await page.waitForFunction(() => /100 % · done/.test(document.querySelector('#run-progress-label')?.textContent ?? ''),
    null, { timeout: 120_000 });
  assert.match(await page.locator('#result-source').innerText(), /percentile/);
  await page.waitForSelector('#snr-table tbody tr');
  const col = async () => page.locator('#snr-table tbody tr').evaluateAll((els) => els.map((e) => Number(e.dataset.snr)));
  const natural = await col();
  await page.locator('#snr-table th button', { hasText: 'SNR' }).click();
  const sorted = await col();
  // numeric heads sort largest dB first: smallest noise/signal ratio first
  assert.deepEqual(sorted, [...natural].sort((a, b) => a - b));
  assert.equal(await page.locator('#snr-table th[aria-sort=descending]').count(), 1);
  assert.deepEqual(problems, []);
});

test('a link with settings shows them in the one panel; changing the platform once, every view follows', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.goto(`${server.url}#m=b_residual&ew=none`);
  await settled(page);
  await page.waitForSelector('#output-error .db');
  assert.equal(await page.locator('#set-elementwise-alignment').inputValue(), 'none');
  assert.equal(await page.locator('#set-platform').inputValue(), 'TRT_INT8');
  const source = await page.locator('#result-source').innerText();
  assert.match(source, /^Our pipeline: .*none.* · 16 samples \(calibration JSON\) · 16 calibration steps$/);
  assert.match(await page.locator('#calib-label').innerText(), /^bundled, 16 samples$/);
  const before = {
    snr: await page.locator('#output-error .db').first().getAttribute('data-snr'),
    summary: await page.locator('#settings summary').innerText(),
  };
  await page.selectOption('#set-platform', 'PPL_DSP_INT8');
  await page.waitForFunction(() => /PPL_DSP_INT8/.test(document.querySelector('#result-source')?.textContent ?? ''),
    null, { timeout: 120_000 });
  await settled(page);
  // the panel, the result, the error, the URL: all the new run's
  assert.equal(await page.locator('#set-platform').inputValue(), 'PPL_DSP_INT8');
  assert.equal(await page.locator('#set-elementwise-alignment').inputValue(), 'none', 'other settings stay');
  assert.match(await page.locator('#settings summary').innerText(), /PPL_DSP_INT8/);
  assert.notEqual(await page.locator('#settings summary').innerText(), before.summary);
  assert.notEqual(await page.locator('#output-error .db').first().getAttribute('data-snr'), before.snr);
  assert.equal(new URLSearchParams(new URL(page.url()).hash.slice(1)).get('p'), 'PPL_DSP_INT8');
  // the inspector shows the new run's records: an op on a PPL_DSP run names that platform
  await page.locator('.op-node[data-op="add"]').click();
  await page.waitForSelector('#inspector .tqc');
  assert.match(await page.locator('#inspector').innerText(), /PPL_DSP_INT8/);
  await screenshot(page, 'settings-platform-follows');
  assert.deepEqual(problems, []);
});

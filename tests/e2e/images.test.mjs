// Calibration on the user's own PNG files, acting as a user: the test writes 16×16 grayscale PNGs of the
// digits samples (a tiny encoder over node's zlib), opens the digits CNN, chooses the images, sets mean/std in
// the preprocessing controls with the keyboard, runs every pass, and checks that the downloaded tqc.json equals
// the CLI's `quantize --calib DIR --image-size 8,8 --mean … --std …` on the same files; the progress label
// counts the calibration samples. Then a broken image and a mean per channel the input lacks: readable errors
// naming the problem, and the previous data stay in use.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { ROOT, RESULTS, startServer, launchBrowser, openPage, screenshot } from './harness.mjs';

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

/** A grayscale 8-bit PNG of `width`×`height` pixels (row-major, 0–255). */
function png(width, height, pixels) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8 bits, grayscale, deflate, filter 0, no interlace
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter: none
    for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = pixels[y * width + x];
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0))]);
}

/** Digits samples `from`…`from + n − 1` as 16×16 PNGs (each 8×8 pixel doubled), pixels = round(value · 255). */
function digitPngs(from, n) {
  const calib = JSON.parse(readFileSync(path.join(ROOT, 'www/samples/calib/digits_cnn_calib.json'), 'utf8'));
  return calib.samples.slice(from, from + n).map((s, i) => {
    const px = new Uint8Array(256);
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) px[y * 16 + x] = Math.round(s[(y >> 1) * 8 + (x >> 1)] * 255);
    return { name: `digit_${String(i).padStart(2, '0')}.png`, mimeType: 'image/png', buffer: png(16, 16, px) };
  });
}

/** Runs the CLI on a folder of the images; returns its tqc.json records. */
function cliOnImages(files, mean, std) {
  const dir = path.join(RESULTS, 'images-calib');
  const out = path.join(RESULTS, 'cli-digits-images');
  rmSync(dir, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(path.join(dir, f.name), f.buffer);
  const b = spawnSync('cargo', ['build', '--quiet', '--bin', 'ppq-playground'], { cwd: ROOT, stdio: 'inherit' });
  assert.equal(b.status, 0, 'cargo build of the CLI');
  const r = spawnSync(path.join(ROOT, 'target/debug/ppq-playground'), ['quantize', 'www/samples/digits_cnn.onnx',
    '--calib', dir, '--image-size', '8,8', '--mean', String(mean), '--std', String(std), '--platform', 'TRT_INT8',
    '--calib-algorithm', 'minmax', '--steps', 'all', '--out', out], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(readFileSync(path.join(out, 'tqc.json'), 'utf8'));
}

async function downloadText(page, suffix) {
  return page.evaluate(async (s) => {
    const a = document.querySelector(`#downloads a[data-file$="${s}"]`);
    return (await fetch(a.href)).text();
  }, suffix);
}

/** Types `value` into a preprocessing field and leaves it with Tab (the change event). */
async function typeInto(page, id, value) {
  await page.focus(id);
  await page.fill(id, value);
  await page.keyboard.press('Tab');
}

test('digits_cnn calibrated on PNG files in the page equals the CLI on the same folder', async () => {
  const { page, problems } = await openPage(browser, server.url);
  // Keep the worker's progress messages as the page receives them.
  await page.addInitScript(() => {
    window.__progress = [];
    const Base = window.Worker;
    window.Worker = class extends Base {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (e) => {
          if (typeof e.data === 'string' && e.data.startsWith('{"Progress"')) window.__progress.push(e.data);
        });
      }
    };
  });
  await page.goto(server.url);
  await page.waitForSelector('#sample-select option[value="digits_cnn"]', { state: 'attached' });
  await page.selectOption('#sample-select', 'digits_cnn');
  await page.waitForSelector('#run-all:not([disabled])');
  assert.match(await page.locator('#calib-label').innerText(), /bundled, 64 samples/);

  const files = digitPngs(0, 10);
  const [mean, std] = [8, 255];
  await page.setInputFiles('#calib-input', files);
  await page.waitForFunction(() => /^10 images, model size, mean 0, std 1, RGB/.test(
    document.querySelector('#calib-label').textContent));
  // The controls show the model input's 8×8 and are reached with the keyboard.
  assert.equal(await page.inputValue('#image-size'), '8×8');
  await typeInto(page, '#image-mean', String(mean));
  assert.equal(await page.evaluate(() => document.activeElement.id), 'image-std', 'Tab moves mean → std');
  await page.waitForFunction(() => /mean 8, std 1,/.test(document.querySelector('#calib-label').textContent));
  await typeInto(page, '#image-std', String(std));
  await page.waitForFunction(() => /^10 images, model size, mean 8, std 255, RGB/.test(
    document.querySelector('#calib-label').textContent));
  await screenshot(page, 'images-chosen');

  // Record what the progress label says while it runs (a short run may render only its start and end).
  await page.evaluate(() => {
    window.__labels = [];
    const label = document.querySelector('#run-progress-label');
    new MutationObserver(() => window.__labels.push(label.textContent))
      .observe(label, { childList: true, characterData: true, subtree: true });
  });
  await page.click('#run-all');
  await page.waitForFunction(() => /100 % · done/.test(document.querySelector('#run-progress-label')?.textContent ?? ''),
    null, { timeout: 120_000 });
  assert.match(await page.locator('#result-source').innerText(), /10 samples/);
  // The worker told the page of every calibration sample (what the label shows while a run is long enough).
  const said = await page.evaluate(() => window.__progress);
  for (let k = 1; k <= 10; k++) {
    assert.ok(said.some((m) => m.includes(`Runtime Calibration Pass · sample ${k} of 10`)), `sample ${k}: ${said.join(' | ')}`);
  }
  const labels = await page.evaluate(() => window.__labels);
  console.log(`progress label during the run: ${labels.join(' | ')}`);
  const ours = JSON.parse(await downloadText(page, '_tqc.json'));
  const cli = cliOnImages(files, mean, std);
  // Same records; scales within 1e-6 relative (the page's wasm simd128 sums and the native CLI's may differ
  // by an f32 ulp, as in pipeline.test.mjs).
  assert.equal(ours.length, cli.length);
  let maxRel = 0;
  let calibrated = 0;
  for (let i = 0; i < cli.length; i++) {
    const { scale: a, offset: ao, ...restA } = ours[i];
    const { scale: b, offset: bo, ...restB } = cli[i];
    assert.deepEqual(restA, restB, `record ${i}`);
    assert.deepEqual(ao, bo, `offset of ${cli[i].self ?? i}`);
    const [xs, ys] = [[a].flat(), [b].flat()];
    assert.equal(xs.length, ys.length);
    xs.forEach((x, k) => {
      if (x === null || ys[k] === null) return assert.equal(x, ys[k]);
      const rel = Math.abs(x - ys[k]) / Math.max(Math.abs(ys[k]), 1e-30);
      maxRel = Math.max(maxRel, rel);
      assert.ok(rel <= 1e-6, `scale of ${cli[i].self ?? i}: page ${x}, CLI ${ys[k]}`);
    });
    if (cli[i].state === 'ACTIVATED' && !Array.isArray(b)) calibrated++;
  }
  assert.ok(calibrated > 0, 'some activation scales were calibrated');
  console.log(`digits_cnn on 10 PNGs: page tqc.json vs CLI: ${cli.length} records, largest relative scale difference ${maxRel.toExponential(2)}`);
  await screenshot(page, 'images-done');

  // A broken image among good ones: an error naming it; the 10 images stay in use and the run stays.
  const label = await page.locator('#calib-label').innerText();
  const broken = { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('\x89PNG\r\n\x1a\nnot an image', 'latin1') };
  await page.setInputFiles('#calib-input', [...digitPngs(20, 3), broken]);
  await page.locator('#load-error').waitFor();
  assert.match(await page.locator('#load-error').innerText(), /Could not read calibration data: .*broken\.png/s);
  assert.equal(await page.locator('#calib-label').innerText(), label);
  assert.ok(await page.locator('#downloads a').count() > 0, 'our run stays');
  await screenshot(page, 'images-broken');

  // A mean per channel the 1-channel input lacks: named; the data stay.
  await page.setInputFiles('#calib-input', digitPngs(30, 8));
  await page.waitForFunction(() => /^8 images, model size, mean 0, std 1/.test(document.querySelector('#calib-label').textContent));
  await typeInto(page, '#image-mean', '1,2,3');
  await page.waitForFunction(() => /--mean has 3 values; the input has 1 channels/.test(
    document.querySelector('#load-error')?.textContent ?? ''));
  assert.match(await page.locator('#calib-label').innerText(), /^8 images, model size, mean 0, std 1/);
  // The page still works: run every pass on the 8 images.
  await page.click('#run-all');
  await page.waitForFunction(() => /100 % · done/.test(document.querySelector('#run-progress-label')?.textContent ?? ''),
    null, { timeout: 120_000 });
  assert.match(await page.locator('#result-source').innerText(), /8 samples/);
  assert.deepEqual(problems, []);
});

// Drives the browser bench in headless Debian Chromium (tests/e2e/harness.mjs): serves dist-bench/ on
// 127.0.0.1, waits for bench/bench.js to finish, prints a table and writes bench-results/browser.json.
// Also times the app's first render (dist/, from scripts/build-web.sh) and records the gzipped wasm sizes.
// Usage: node bench/run.mjs [--reps 7] [--mb 16] [--loads 5]
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startServer, launchBrowser, openPage } from '../tests/e2e/harness.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const reps = arg('reps', '7');
const mb = arg('mb', '16');
const loads = Number(arg('loads', '5'));
// --forward R: only the fp32 forwards, R interleaved rounds ours / onnxruntime-web (bench.js `forward=`).
const forward = arg('forward', '0');
// --alt a,b: with --forward, also time the bench builds copied into dist-bench/pkg-a/, pkg-b/ (an A/B of kernels).
const alt = arg('alt', '');

const gz = (file) => (existsSync(file) ? gzipSync(readFileSync(file), { level: 9 }).length : null);

/** Milliseconds from navigation start to the app's first rendered status line, median of `loads` loads. */
async function firstRender(browser) {
  const dist = path.join(ROOT, 'dist');
  if (!existsSync(path.join(dist, 'index.html'))) return null;
  const server = await startServer(dist);
  try {
    const times = [];
    for (let i = 0; i < loads; i++) {
      const { page } = await openPage(browser, server.url);
      await page.addInitScript(() => {
        new MutationObserver((_, obs) => {
          if (document.querySelector('#wasm-status')) {
            window.__firstRender = performance.now();
            obs.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });
      });
      await page.goto(server.url);
      await page.waitForSelector('#wasm-status', { timeout: 20_000 });
      times.push(await page.evaluate(() => window.__firstRender));
      await page.close();
    }
    times.sort((a, b) => a - b);
    return { median: times[times.length >> 1], min: times[0], max: times[times.length - 1], runs: times.length };
  } finally {
    server.stop();
  }
}

async function main() {
  const server = await startServer(path.join(ROOT, 'dist-bench'));
  const browser = await launchBrowser();
  let out;
  try {
    const { page, problems } = await openPage(browser, server.url);
    page.on('console', (m) => { if (m.type() === 'log') process.stderr.write(`  ${m.text()}\n`); });
    await page.goto(`${server.url}index.html?reps=${reps}&mb=${mb}&forward=${forward}&alt=${alt}`);
    await page.waitForFunction(() => window.__bench && window.__bench.done, null, { timeout: 30 * 60_000, polling: 500 });
    const bench = await page.evaluate(() => window.__bench);
    if (bench.error) throw new Error(`bench page failed: ${bench.error}`);
    await page.close();
    const render = forward !== '0' ? null : await firstRender(browser);
    out = {
      date: new Date().toISOString(),
      machine: `${os.cpus()[0]?.model} ×${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()}`,
      browser: `${browser.version()} (${bench.userAgent})`,
      reps: bench.reps,
      elements: bench.elements,
      problems,
      ortError: bench.ortError ?? null,
      firstRenderMs: render,
      wasmGzipBytes: {
        app: gz(path.join(ROOT, 'dist/pkg/app-ui_bg.wasm')),
        worker: gz(path.join(ROOT, 'dist/pkg/app-worker_bg.wasm')),
        benchSimd: gz(path.join(ROOT, 'dist-bench/pkg-simd/bench-wasm_bg.wasm')),
      },
      results: bench.results,
      profile: bench.profile ?? null,
    };
  } finally {
    await browser.close();
    server.stop();
  }
  const dir = path.join(ROOT, 'bench-results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, forward !== '0' ? 'browser-forward.json' : 'browser.json'), JSON.stringify(out, null, 1));
  console.log(`${out.browser}\n${out.machine}; median of ${out.reps} runs`);
  for (const r of out.results) {
    console.log(`${r.group.padEnd(12)} ${r.name.padEnd(52)} ${r.median.toFixed(3).padStart(9)} ${r.unit}  [${r.min.toFixed(3)}–${r.max.toFixed(3)}]`);
  }
  for (const [model, ops] of Object.entries(out.profile || {})) {
    const total = Object.values(ops).reduce((a, [ms]) => a + ms, 0);
    const rows = Object.entries(ops).sort((a, b) => b[1][0] - a[1][0]).slice(0, 6);
    console.log(`${model} per-op share: ${rows.map(([k, [ms, n]]) => `${k} ${(100 * ms / total).toFixed(0)}% (${n})`).join(', ')}`);
  }
  if (out.firstRenderMs) console.log(`app first render: ${out.firstRenderMs.median.toFixed(0)} ms (median of ${out.firstRenderMs.runs} loads)`);
  console.log(`wasm gzipped: page ${out.wasmGzipBytes.app}, worker ${out.wasmGzipBytes.worker} bytes`);
  if (out.problems.length) console.log(`page problems:\n  ${out.problems.join('\n  ')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// The browser bench: times, in one page load, the simd128 and the no-simd128 builds of src/bin/bench-wasm.rs,
// a same-size Float32Array copy (the JS memory ceiling) and onnxruntime-web (wasm backend, one thread) on the
// same models. Every figure is the median of `reps` timed runs after one warm-up run. Results go to
// `window.__bench` (read by bench/run.mjs) and to the table on the page.
// Query parameters: reps (default 7), mb (workload size in M f32, default 16), forward=R (only the fp32
// forwards: R interleaved rounds of ours then onnxruntime-web per model, `reps` timed runs each, with the
// per-round ratio ours / ort; nothing else runs), alt=a,b (with forward: also time the builds in pkg-a/, pkg-b/).

const params = new URLSearchParams(location.search);
const REPS = Number(params.get('reps') || 7);
const N = Number(params.get('mb') || 16) * (1 << 20);
const CHANNELS = 64;
const FORWARD_ROUNDS = Number(params.get('forward') || 0);
const results = [];
window.__bench = { done: false, results, error: null, reps: REPS, elements: N, userAgent: navigator.userAgent };

/** Median/min/max of `reps` runs of `fn` (ms per call); `inner` calls per run for sub-millisecond work. */
async function time(fn, reps = REPS, inner = 1) {
  await fn();
  const ms = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) await fn();
    ms.push((performance.now() - t0) / inner);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[ms.length >> 1], min: ms[0], max: ms[ms.length - 1], runs: reps, inner, all: ms };
}

function record(group, name, t, elems = null) {
  // Throughput cases report G elem/s (median of per-run rates = elems / median time); latency cases ms.
  const row = elems
    ? { group, name, unit: 'G elem/s', median: elems / t.median / 1e6, min: elems / t.max / 1e6, max: elems / t.min / 1e6 }
    : { group, name, unit: 'ms', median: t.median, min: t.min, max: t.max };
  Object.assign(row, { runs: t.runs, inner: t.inner, ms: t.all });
  results.push(row);
  const tr = document.createElement('tr');
  for (const v of [group, name, row.median.toFixed(3), row.unit, row.min.toFixed(3), row.max.toFixed(3), row.runs]) {
    const td = document.createElement('td');
    td.textContent = v;
    tr.append(td);
  }
  document.querySelector('#results tbody').append(tr);
  console.log(`${group} ${name}: ${row.median.toFixed(3)} ${row.unit}`);
}

async function fetchBytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function optionalBytes(url) {
  const res = await fetch(url);
  return res.ok ? new Uint8Array(await res.arrayBuffer()) : null;
}

function jsCopy() {
  const src = new Float32Array(N);
  for (let i = 0; i < N; i++) src[i] = (i % 1000) / 250 - 2;
  const dst = new Float32Array(N);
  return time(() => dst.set(src)).then((t) => record('js', 'Float32Array.set copy', t, N));
}

/** Kernel and observer throughput of one build (`tag` = simd128 | no-simd128). */
async function kernels(wasm, tag) {
  const w = new wasm.Workload(N, CHANNELS);
  try {
    record(tag, 'wasm copy_from_slice', await time(() => w.copy()), N);
    record(tag, 'fake-quant per-tensor (dispatch)', await time(() => w.fake_quant_per_tensor(true)), N);
    record(tag, 'fake-quant per-tensor (scalar oracle)', await time(() => w.fake_quant_per_tensor(false)), N);
    record(tag, 'fake-quant per-channel axis0 (dispatch)', await time(() => w.fake_quant_per_channel(true)), N);
    for (const [alg, label] of [['minmax', 'observer minmax'], ['minmax_channel', 'observer minmax per-channel'],
      ['mse', 'observer histogram 2048 (mse)'], ['kl', 'observer histogram 4096 (kl)'],
      ['percentile', 'observer percentile']]) {
      w.prepare_observer(alg);
      record(tag, label, await time(() => w.observe()), N);
    }
  } finally {
    w.free();
  }
}

/** fp32 latency and minmax calibration of a model on our wasm, and fp32 latency on onnxruntime-web. */
async function model(wasm, ort, name, bytes, calib, nCalib, latencyInner) {
  const m = new wasm.Model(bytes);
  const shape = Array.from(m.input_shape());
  try {
    record(name, 'fp32 latency (ours, simd128)', await time(() => m.run(), REPS, latencyInner));
    window.__bench.profile = { ...(window.__bench.profile || {}), [name]: JSON.parse(m.profile(Math.min(latencyInner * 5, 200))) };
  } finally {
    m.free();
  }
  if (calib) {
    const reps = Math.max(3, Math.min(REPS, nCalib > 16 ? REPS : 5));
    record(name, `calibrate minmax ${nCalib} samples incl. import (ours)`, await time(() => wasm.calibrate(bytes, calib, nCalib), reps));
    record(name, `quantize ${nCalib} samples, all passes incl. import (ours)`, await time(() => wasm.quantize(bytes, calib, nCalib), reps));
  }
  if (ort) {
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = ((i * 7919) % 1000) / 500 - 1;
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
    record(name, 'fp32 latency (onnxruntime-web wasm, 1 thread)', await time(() => session.run(feeds), REPS, latencyInner));
    await session.release();
  }
}

/** fp32 forward, ours and onnxruntime-web's, in interleaved rounds: each round times both, the ratio is per round. */
async function forwardRounds(wasm, ort, name, bytes, rounds, inner, others = []) {
  const m = new wasm.Model(bytes);
  const shape = Array.from(m.input_shape());
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = ((i * 7919) % 1000) / 500 - 1;
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  const ours = [], theirs = [], ratios = [];
  // Other builds of the bench wasm (pkg-<tag>/, e.g. the previous kernels), timed in the same rounds.
  const alts = others.map(([tag, w]) => ({ tag, m: new w.Model(bytes), ms: [], ratios: [] }));
  try {
    for (let r = 0; r < rounds; r++) {
      const a = await time(() => m.run(), REPS, inner);
      for (const alt of alts) {
        const t = await time(() => alt.m.run(), REPS, inner);
        alt.ms.push(t.median);
        alt.ratios.push(t.median / a.median);
      }
      const b = await time(() => session.run(feeds), REPS, inner);
      ours.push(a.median); theirs.push(b.median); ratios.push(a.median / b.median);
      console.log(`${name} round ${r + 1}: ours ${a.median.toFixed(3)} ms, ort ${b.median.toFixed(3)} ms, ratio ${(a.median / b.median).toFixed(3)}`);
    }
    window.__bench.profile = { ...(window.__bench.profile || {}), [name]: JSON.parse(m.profile(Math.min(inner * 5, 200))) };
  } finally {
    m.free();
    for (const alt of alts) alt.m.free();
    await session.release();
  }
  const row = (v) => {
    const sorted = [...v].sort((x, y) => x - y);
    return { median: sorted[v.length >> 1], min: sorted[0], max: sorted[sorted.length - 1], runs: v.length, inner, all: v };
  };
  record(name, `fp32 forward (ours, simd128), median of ${rounds} round medians`, row(ours));
  record(name, 'fp32 forward (onnxruntime-web wasm, 1 thread), same rounds', row(theirs));
  for (const alt of alts) {
    record(name, `fp32 forward (build pkg-${alt.tag}), same rounds`, row(alt.ms));
    const ar = row(alt.ratios);
    results.push({ group: name, name: `ratio pkg-${alt.tag} / ours, median of per-round ratios`, unit: '×',
      median: ar.median, min: ar.min, max: ar.max, runs: rounds, inner: 1, ms: alt.ratios });
  }
  const rr = row(ratios);
  results.push({ group: name, name: 'ratio ours / onnxruntime-web, median of per-round ratios', unit: '×',
    median: rr.median, min: rr.min, max: rr.max, runs: rounds, inner: 1, ms: ratios });
  console.log(`${name} ratio ours/ort: ${rr.median.toFixed(3)} [${rr.min.toFixed(3)}–${rr.max.toFixed(3)}]`);
}

async function forwardOnly(simd) {
  // Optional other builds for an A/B in the same rounds: ?alt=base,mr4 loads pkg-base/, pkg-mr4/.
  const others = [];
  for (const tag of (params.get('alt') || '').split(',').filter(Boolean)) {
    const w = await import(`./pkg-${tag}/bench-wasm.js`);
    await w.default();
    others.push([tag, w]);
  }
  const ort = await import('./ort/ort.wasm.min.mjs');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = new URL('./ort/', location.href).href;
  await forwardRounds(simd, ort, 'digits_cnn', await fetchBytes('./models/digits_cnn.onnx'), FORWARD_ROUNDS, 200, others);
  const mnv2 = await optionalBytes('./models/mobilenetv2.onnx');
  if (!mnv2) throw new Error('forward mode needs models/mobilenetv2.onnx (scripts/bench/make_mobilenetv2_onnx.py)');
  await forwardRounds(simd, ort, 'mobilenetv2', mnv2, FORWARD_ROUNDS, 1, others);
}

async function main() {
  const simd = await import('./pkg-simd/bench-wasm.js');
  await simd.default();
  // The no-simd128 build is optional (scripts/bench-web.sh with BENCH_NOSIMD=0 skips it).
  const nosimd = await import('./pkg-nosimd/bench-wasm.js').catch(() => null);
  if (nosimd) await nosimd.default();
  if (!simd.simd128() || nosimd?.simd128()) throw new Error('the two builds are not simd128 / no-simd128');
  if (FORWARD_ROUNDS > 0) return forwardOnly(simd);

  await jsCopy();
  await kernels(simd, 'simd128');
  if (nosimd) await kernels(nosimd, 'no-simd128');
  else window.__bench.nosimd = 'skipped (BENCH_NOSIMD=0)';

  let ort = null;
  try {
    ort = await import('./ort/ort.wasm.min.mjs');
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths = new URL('./ort/', location.href).href;
  } catch (e) {
    window.__bench.ortError = String(e);
  }
  const digits = await fetchBytes('./models/digits_cnn.onnx');
  const digitsCalib = new Float32Array((await fetchBytes('./models/digits_cnn_calib.f32')).buffer);
  await model(simd, ort, 'digits_cnn', digits, digitsCalib, 64, 200);
  const mnv2 = await optionalBytes('./models/mobilenetv2.onnx');
  if (mnv2) {
    const calib = new Float32Array((await fetchBytes('./models/mobilenetv2_calib.f32')).buffer);
    await model(simd, ort, 'mobilenetv2', mnv2, calib, 8, 1);
  }
}

main()
  .then(() => { document.getElementById('status').textContent = 'done'; })
  .catch((e) => {
    window.__bench.error = String(e && e.stack ? e.stack : e);
    document.getElementById('status').textContent = `failed: ${e}`;
  })
  .finally(() => { window.__bench.done = true; });

#!/usr/bin/env python3
"""Reads bench-results/{browser,python}.json and prints the BENCHMARKS.md target table: each figure (median),
the ratio it is judged by, the target and met/gap. Plain Python (no venv needed)."""
import json
import os
import sys

DIR = sys.argv[1] if len(sys.argv) > 1 else "bench-results"


def load(name):
    path = os.path.join(DIR, name)
    return json.load(open(path)) if os.path.exists(path) else {}


def main():
    b, p = load("browser.json"), load("python.json")
    r = {(x["group"], x["name"]): x["median"] for x in b.get("results", [])}
    k = p.get("kernels_1_thread", {})
    tk = lambda name: k.get(name, {}).get("median_rate")  # noqa: E731
    copy = r.get(("js", "Float32Array.set copy"))
    rows = []

    def row(what, value, unit, ratio_of, ratio, target, ok):
        rows.append((what, value, unit, ratio_of, ratio, target, ok))

    def check(what, value, unit, ref_name, ref, target):
        ratio = value / ref if value and ref else None
        ok = None if ratio is None else ratio >= target
        row(what, value, unit, ref_name, ratio, f">= {target}x", ok)

    fq = r.get(("simd128", "fake-quant per-tensor (dispatch)"))
    check("fake-quant per-tensor simd128", fq, "G/s", "Float32Array copy", copy, 0.8)
    check("fake-quant per-tensor simd128", fq, "G/s", "no-simd128 build",
          r.get(("no-simd128", "fake-quant per-tensor (dispatch)")), 3.5)
    fqc = r.get(("simd128", "fake-quant per-channel axis0 (dispatch)"))
    check("fake-quant per-channel simd128", fqc, "G/s", "no-simd128 build",
          r.get(("no-simd128", "fake-quant per-channel axis0 (dispatch)")), 3.5)
    check("fake-quant per-tensor simd128", fq, "G/s", "torch 1 thread", tk("fake_quantize_per_tensor_affine"), 1.0)
    check("observer minmax", r.get(("simd128", "observer minmax")), "G/s", "Float32Array copy", copy, 0.8)
    check("observer histogram 2048", r.get(("simd128", "observer histogram 2048 (mse)")), "G/s",
          "torch.histc 2048 1 thread", tk("histc_2048"), 1.0)
    check("observer histogram 4096", r.get(("simd128", "observer histogram 4096 (kl)")), "G/s",
          "torch.histc 4096 1 thread", tk("histc_4096"), 1.0)
    for m in ("digits_cnn", "mobilenetv2"):
        ours = r.get((m, "fp32 latency (ours, simd128)"))
        ort = r.get((m, "fp32 latency (onnxruntime-web wasm, 1 thread)"))
        if ours and ort:
            row(f"{m} fp32 latency", ours, "ms", "onnxruntime-web 1 thread", ours / ort, "<= 2x", ours / ort <= 2)
    for m, key, n, target in (("digits_cnn", "ppq_digits_64", 64, 0.1), ("mobilenetv2", "ppq_mobilenetv2_8", 8, 0.5)):
        ours = r.get((m, f"quantize {n} samples, all passes incl. import (ours)"))
        ppq = p.get(key, {}).get("median")
        if ours and ppq:
            row(f"{m} quantize ({n} samples)", ours, "ms", "PPQ 0.6.6 CPU", ours / ppq, f"<= {target}x", ours / ppq <= target)
    for part in ("app", "worker"):
        gz = b.get("wasmGzipBytes", {}).get(part)
        if gz:
            row(f"{part} wasm gzipped", gz / 1e6, "MB", "-", None, "<= 1 MB", gz <= 1e6)
    fr = b.get("firstRenderMs")
    if fr:
        row("app first render", fr["median"], "ms", "-", None, "<= 1000 ms", fr["median"] <= 1000)

    print(f"{'figure':34} {'median':>10} {'unit':5} {'ratio vs':28} {'ratio':>7}  {'target':11} verdict")
    for what, v, unit, of, ratio, target, ok in rows:
        vs = "-" if v is None else f"{v:.3f}"
        rs = "-" if ratio is None else f"{ratio:.3f}"
        verdict = "n/a" if ok is None else ("met" if ok else "GAP")
        print(f"{what:34} {vs:>10} {unit:5} {of:28} {rs:>7}  {target:11} {verdict}")
    print("quantize = import + format + dispatch + every pass of Pipeline::run_all (TRT_INT8, minmax)")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Reruns every figure of BENCHMARKS.md. Not part of scripts/test.sh (nothing in the tests depends on timing).
#   1 Python peers venv (.bench-venv/, gitignored; PyPI only) + the random-init MobileNetV2 (bench-models/)
#   2 native criterion benches: kernels, observers, ops, models
#   3 Python peers: torch one thread, PPQ 0.6.6 quantize_onnx_model on CPU  → bench-results/python.json
#   4 browser bench in headless Chromium (both wasm builds, onnxruntime-web) → bench-results/browser.json
# Options (environment): BENCH_REPS (default 7), SKIP_NATIVE=1, SKIP_PYTHON=1, SKIP_BROWSER=1.
# The machine has 2 shared cores: run it on a quiet machine, and read ratios measured in the same run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
REPS=${BENCH_REPS:-7}
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
mkdir -p bench-results

step "1/4 Python venv and MobileNetV2"
NEED_BROWSER=1 bash scripts/setup.sh
if [ ! -x .bench-venv/bin/python ] || [ scripts/bench/requirements.txt -nt .bench-venv/.installed ]; then
  python3 -m venv .bench-venv
  .bench-venv/bin/pip install --quiet -r scripts/bench/requirements.txt
  touch .bench-venv/.installed
fi
[ -f bench-models/mobilenetv2.onnx ] || .bench-venv/bin/python scripts/bench/make_mobilenetv2.py bench-models

if [ "${SKIP_NATIVE:-0}" != 1 ]; then
  step "2/4 native criterion benches"
  for b in kernels observers ops models; do
    cargo bench --bench "$b" -- --warm-up-time 1 --measurement-time 3 2>&1 | tee "bench-results/native-$b.txt" \
      | grep -E '^[a-z_0-9]+/|time:|thrpt:'
  done
fi

if [ "${SKIP_PYTHON:-0}" != 1 ]; then
  step "3/4 Python peers (torch one thread, PPQ 0.6.6 on CPU)"
  BENCH_REPS=$REPS .bench-venv/bin/python scripts/bench/peers.py bench-results 2>bench-results/python.log
fi

if [ "${SKIP_BROWSER:-0}" != 1 ]; then
  step "4/4 browser bench (headless Chromium)"
  bash scripts/build-web.sh
  bash scripts/bench-web.sh
  node bench/run.mjs --reps "$REPS"
fi

step "summary (ratios vs the targets of BENCHMARKS.md)"
python3 scripts/bench/summary.py bench-results

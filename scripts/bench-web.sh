#!/usr/bin/env bash
# Builds the browser bench into dist-bench/ (gitignored): the bench-wasm entry twice — with simd128 (the
# crate's wasm32 default) and without (RUSTFLAGS replaces the per-target flags, see guides/toolchain.md),
# each through wasm-bindgen + wasm-opt like the app — plus bench/{index.html,bench.js}, onnxruntime-web's
# wasm backend from node_modules (never a CDN), the digits CNN + its calibration data and, when present,
# bench-models/mobilenetv2.onnx. Serve with scripts/serve.py --dir dist-bench; drive with bench/run.mjs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
OUT=dist-bench
# The no-simd128 build gets wasm-opt -O1 (BENCH_NOSIMD_OPT): -O3 on it took over 5 min on the loaded 2-core
# machine. Both builds are LLVM -O3 + LTO already; wasm-opt adds little, and the no-simd128 figures are only
# the denominators of the simd128 ratios (see BENCHMARKS.md).
NOSIMD_OPT=${BENCH_NOSIMD_OPT:--O1}
SIMD_OPT=${BENCH_SIMD_OPT:--O3}
# wasm-bindgen + wasm-opt are skipped when their input .wasm and flags are unchanged (scripts/wasm-tools.sh).
. scripts/wasm-tools.sh

build() { # $1 = pkg dir name, $2 = cargo target dir, $3 = wasm-opt level; RUSTFLAGS from the caller's environment
  cargo build --release --target wasm32-unknown-unknown --bin bench-wasm --target-dir "$2"
  T=$2/wasm32-unknown-unknown STAGE=$2/wasm32-unknown-unknown/bench-stage/$1 stage_wasm bench-wasm web "$3"
  mkdir -p "$OUT/$1" && cp -r "$2/wasm32-unknown-unknown/bench-stage/$1/bench-wasm/." "$OUT/$1/" && rm -f "$OUT/$1/.stamp"
}

rm -rf "$OUT" && mkdir -p "$OUT/ort" "$OUT/models"
build pkg-simd target "$SIMD_OPT"
# BENCH_NOSIMD=0 skips the no-simd128 build (a cold one compiles every dependency again); the page then
# leaves out the no-simd128 rows.
if [ "${BENCH_NOSIMD:-1}" != 0 ]; then
  RUSTFLAGS="-C target-feature=-simd128" build pkg-nosimd target/nosimd "$NOSIMD_OPT"
  if wasm-dis "$OUT/pkg-nosimd/bench-wasm_bg.wasm" | grep -q "v128\."; then
    echo "the no-simd128 build contains v128 instructions" >&2; exit 1
  fi
fi
cp bench/index.html bench/bench.js "$OUT/"
ORT=node_modules/onnxruntime-web/dist
cp "$ORT/ort.wasm.min.mjs" "$ORT/ort-wasm-simd-threaded.mjs" "$ORT/ort-wasm-simd-threaded.wasm" "$OUT/ort/"
cp /work/shared/reference/models/digits_cnn.onnx "$OUT/models/"
python3 -c "
import json, struct, sys
d = json.load(open('/work/shared/reference/calib/digits_cnn_calib.json'))
flat = [x for s in d['samples'] for x in s]
open(sys.argv[1], 'wb').write(struct.pack('<%df' % len(flat), *flat))
" "$OUT/models/digits_cnn_calib.f32"
if [ -f bench-models/mobilenetv2.onnx ]; then
  cp bench-models/mobilenetv2.onnx bench-models/mobilenetv2_calib.f32 "$OUT/models/"
fi
size() { if [ -f "$1" ]; then du -h "$1" | cut -f1; else echo "not built"; fi; }
echo "built $OUT/ (simd128 wasm $(size $OUT/pkg-simd/bench-wasm_bg.wasm), no-simd $(size $OUT/pkg-nosimd/bench-wasm_bg.wasm))"

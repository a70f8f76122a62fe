#!/usr/bin/env bash
# Release build of the web app into dist/: cargo (wasm32 + simd128) → wasm-bindgen → wasm-opt → static files.
# Trunk-free on purpose (see guides/toolchain.md). Every step whose inputs did not change is skipped: cargo is
# incremental, and wasm-bindgen / wasm-opt results are kept in target/wasm32-unknown-unknown/web-stage/ under a
# stamp of (sha256 of their input .wasm, tool version, flags); a warm run with nothing changed takes seconds.
# WASM_OPT=/path/to/wasm-opt picks the optimiser (default: scripts/wasm-opt.sh's choice, see BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
. scripts/wasm-tools.sh

T=target/wasm32-unknown-unknown
STAGE=$T/web-stage

# The page (app-ui, an ES module) and its pipeline worker (app-worker, a classic worker script: --target no-modules).
cargo build --release --target wasm32-unknown-unknown --bin app-ui --bin app-worker
stage_wasm app-ui web "${WASM_OPT_LEVEL_UI:--O1}"
stage_wasm app-worker no-modules "${WASM_OPT_LEVEL_WORKER:--O1}"

# dist/ is assembled anew from the staged files (a few MB of copies, milliseconds).
rm -rf dist && mkdir -p dist/pkg
cp -r "$STAGE/app-ui/." "$STAGE/app-worker/." dist/pkg/
rm -f dist/pkg/.stamp
cp -r www dist/www
cp www/boot.js www/worker.js dist/
# index.html serves Trunk users as is; here its Trunk link becomes the module script that boots the app.
sed -e 's#<link data-trunk rel="rust"[^>]*>#<script type="module" src="./boot.js"></script>#' \
    -e '/<link data-trunk rel="copy-dir"/d' index.html > dist/index.html
echo "built dist/ ($(du -h dist/pkg/app-ui_bg.wasm | cut -f1) page wasm, $(du -h dist/pkg/app-worker_bg.wasm | cut -f1) worker wasm; wasm-opt: $WASM_OPT_DESC)"

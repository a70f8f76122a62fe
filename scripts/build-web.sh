#!/usr/bin/env bash
# Release build of the web app into dist/: cargo (wasm32 + simd128) → wasm-bindgen → wasm-opt → static files.
# Trunk-free on purpose (see guides/toolchain.md): ~10 s warm, no 10-minute install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# The page (app-ui, an ES module) and its pipeline worker (app-worker, a classic worker script: --target no-modules).
cargo build --release --target wasm32-unknown-unknown --bin app-ui --bin app-worker
rm -rf dist && mkdir -p dist/pkg
wasm-bindgen --target web --no-typescript --out-dir dist/pkg target/wasm32-unknown-unknown/release/app-ui.wasm
wasm-bindgen --target no-modules --no-typescript --out-dir dist/pkg target/wasm32-unknown-unknown/release/app-worker.wasm
# The worker gets -O1: -O3 on its 1.9 MB takes ~8 minutes of binaryen.js on two cores for little gain.
for w in app-ui:-O3 app-worker:-O1; do
  level="${w#*:}" w="${w%%:*}"
  wasm-opt "$level" --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "dist/pkg/${w}_bg.wasm" -o "dist/pkg/${w}_bg.wasm"
done
cp -r www dist/www
cp www/boot.js www/worker.js dist/
# index.html serves Trunk users as is; here its Trunk link becomes the module script that boots the app.
sed -e 's#<link data-trunk rel="rust"[^>]*>#<script type="module" src="./boot.js"></script>#' \
    -e '/<link data-trunk rel="copy-dir"/d' index.html > dist/index.html
echo "built dist/ ($(du -h dist/pkg/app-ui_bg.wasm | cut -f1) page wasm, $(du -h dist/pkg/app-worker_bg.wasm | cut -f1) worker wasm)"

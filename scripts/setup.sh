#!/usr/bin/env bash
# Installs what the build and the tests need, idempotently, only from package registries:
# the wasm32 target, wasm-bindgen-cli at the Cargo.lock version, npm dev tools, Debian chromium + chromedriver.
# Each step is skipped when its tool is already there. Sourced or run by serve.sh and test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need_browser=${NEED_BROWSER:-1}

# 1. Rust: wasm32 target and the fmt/clippy components.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for comp in rustfmt clippy; do
  rustup component list --installed | grep -q "^$comp" || rustup component add "$comp"
done

# 2. wasm-bindgen-cli exactly at the version Cargo.lock pins for the wasm-bindgen crate.
[ -f Cargo.lock ] || cargo generate-lockfile
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$wb_version" ]; then
  say "installing wasm-bindgen-cli $wb_version (found: ${have:-none}); takes ~2 minutes"
  cargo install wasm-bindgen-cli --version "$wb_version"
fi

# 3. npm dev tools (binaryen's wasm-opt, playwright-core) from the committed package-lock.json.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dev tools"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 4. Python referees for parity tests (onnx checker, onnxruntime), pinned in requirements-dev.txt.
# (find_spec looks for the packages without importing them: onnxruntime's import alone takes seconds.)
if ! python3 -c 'import importlib.util as u, sys; sys.exit(not all(u.find_spec(m) for m in ("numpy", "onnx", "onnxruntime")))' 2>/dev/null; then
  say "installing Python test referees (onnx, onnxruntime, numpy)"
  python3 -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
fi

# 5. Debian chromium + chromedriver for browser tests (never a downloaded browser build).
if [ "$need_browser" = 1 ] && { ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; }; then
  say "installing Debian chromium and chromium-driver"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium chromium-driver >/dev/null
fi
say "toolchain ready"

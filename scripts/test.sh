#!/usr/bin/env bash
# Command 2 of README: install what is missing, then run every check in order. Stops at the first failure.
#   1 cargo fmt --check          4 native cargo test            6 release build of the web app
#   2 clippy native              5 wasm32 tests (Node +         7 e2e: playwright-core drives Debian's chromium
#   3 clippy wasm32                headless Chromium)             against the served build
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "1/7 cargo fmt --check"
cargo fmt --all --check

step "2/7 cargo clippy --all-targets (native)"
cargo clippy --workspace --all-targets -- -D warnings

step "3/7 cargo clippy --all-targets (wasm32)"
cargo clippy --workspace --all-targets --target wasm32-unknown-unknown -- -D warnings

step "4/7 cargo test --workspace (native: every layer crate and the root tests)"
cargo test --workspace

step "5/7 cargo test --target wasm32-unknown-unknown (Node and headless Chromium)"
cargo test --target wasm32-unknown-unknown --tests

step "6/7 release build of the web app"
bash scripts/build-web.sh

step "7/7 end-to-end browser tests"
node --test tests/e2e/

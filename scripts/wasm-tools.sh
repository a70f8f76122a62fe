# Sourced by build-web.sh and bench-web.sh: wasm-bindgen + wasm-opt of one cargo-built .wasm, each step skipped
# when a stamp says its inputs are unchanged. The stamp is the sha256 of the step's input .wasm, the tool's
# version and its flags; outputs live in $STAGE/<name>/ (final files) and $STAGE/<name>.bindgen/ (wasm-bindgen's).
# Expects: T (cargo's wasm32 target dir, e.g. target/wasm32-unknown-unknown), STAGE (stage dir).

# wasm-opt: the one picked by WASM_OPT (a path), else npm's binaryen (node_modules/.bin/wasm-opt, installed by
# setup.sh). See BENCHMARKS.md "Build and serve" for why (Debian's binaryen 108 was measured against it).
WASM_OPT=${WASM_OPT:-$PWD/node_modules/.bin/wasm-opt}
WASM_OPT_FEATURES=(--enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)
WASM_OPT_DESC="$("$WASM_OPT" --version 2>/dev/null | head -1 || echo "missing: $WASM_OPT")"

say_step() { printf '  %-12s %s\n' "$1" "$2"; }

# stage_wasm NAME BINDGEN_TARGET OPT_LEVEL [RELEASE_DIR]: $RELEASE_DIR/NAME.wasm → $STAGE/NAME/{NAME.js,NAME_bg.wasm,…}
# OPT_LEVEL "none" skips wasm-opt.
stage_wasm() {
  local name=$1 target=$2 level=$3 release=${4:-$T/release}
  local input="$release/$name.wasm" bg="$STAGE/$name.bindgen" out="$STAGE/$name"
  [ -f "$input" ] || { echo "build-web: $input missing (cargo build failed?)" >&2; return 1; }
  local key
  key="$(sha256sum <"$input" | cut -d' ' -f1) $(wasm-bindgen --version) --target $target --no-typescript"
  if [ "$(cat "$bg/.stamp" 2>/dev/null)" != "$key" ]; then
    say_step wasm-bindgen "$name ($target)"
    rm -rf "$bg" && mkdir -p "$bg"
    local t0=$SECONDS
    wasm-bindgen --target "$target" --no-typescript --out-dir "$bg" "$input"
    say_step "" "  $((SECONDS - t0)) s"
    printf '%s' "$key" >"$bg/.stamp"
  else
    say_step unchanged "wasm-bindgen $name"
  fi
  key="$(sha256sum <"$bg/${name}_bg.wasm" | cut -d' ' -f1) $level $WASM_OPT_DESC ${WASM_OPT_FEATURES[*]}"
  if [ "$(cat "$out/.stamp" 2>/dev/null)" != "$key" ]; then
    rm -rf "$out.new" && cp -r "$bg" "$out.new" && rm -f "$out.new/.stamp"
    if [ "$level" != none ]; then
      say_step wasm-opt "$name $level ($WASM_OPT_DESC)"
      local t0=$SECONDS
      "$WASM_OPT" "$level" "${WASM_OPT_FEATURES[@]}" "$bg/${name}_bg.wasm" -o "$out.new/${name}_bg.wasm"
      say_step "" "  $((SECONDS - t0)) s, $(stat -c %s "$bg/${name}_bg.wasm") → $(stat -c %s "$out.new/${name}_bg.wasm") bytes"
    fi
    printf '%s' "$key" >"$out.new/.stamp"
    rm -rf "$out" && mv "$out.new" "$out"
  else
    say_step unchanged "wasm-opt $name $level"
  fi
}

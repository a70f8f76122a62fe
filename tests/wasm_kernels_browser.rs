//! simd128 fake-quant vs the scalar oracle, bit for bit, in headless Chromium (run_in_browser).
#![cfg(target_arch = "wasm32")]

#[path = "wasm_common/kernels.rs"]
mod kernels;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

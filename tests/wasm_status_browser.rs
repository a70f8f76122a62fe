//! The same self-check inside headless Chromium, so the browser's wasm engine is covered too.
#![cfg(target_arch = "wasm32")]

use ppq_playground::session::status;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn self_check_in_browser() {
    assert!(status::simd128_enabled());
    assert!(status::status_line().contains("simd128: on"));
    assert_eq!(status::sample_fake_quant()[4], 0.37647063);
}

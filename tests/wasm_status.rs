//! The wasm build (Node) runs the core with simd128 and reproduces spec §11's first fake-quant row.
#![cfg(target_arch = "wasm32")]

use ppq_playground::session::status;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn simd128_is_compiled_in() {
    assert!(status::simd128_enabled(), "wasm32 builds must carry +simd128 (.cargo/config.toml)");
}

#[wasm_bindgen_test]
fn self_check_matches_spec_row() {
    let want = [-2.0078433f32, -1.0039216, -0.29803923, 0.0, 0.37647063, 1.0039216, 1.992157, 1.992157];
    assert_eq!(status::sample_fake_quant(), want);
}

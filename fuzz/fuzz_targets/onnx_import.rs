//! Arbitrary bytes as an ONNX file (the body is in ../bodies/onnx_import.rs, shared with the wasm32 run).
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../bodies/onnx_import.rs");

fuzz_target!(|data: &[u8]| run(data));

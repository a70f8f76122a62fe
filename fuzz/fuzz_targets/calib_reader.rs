//! Arbitrary bytes as calibration data through every calibration reader against a fixed one-input model (the
//! body is in ../bodies/calib_reader.rs, shared with the wasm32 run).
#![no_main]

use libfuzzer_sys::fuzz_target;

const GOOD_SMALL: &[u8] = include_bytes!("../../tests/corpus/models/good_small.onnx");
include!("../bodies/calib_reader.rs");

fuzz_target!(|data: &[u8]| run(data));

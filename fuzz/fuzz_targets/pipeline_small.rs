//! The whole pre-quantization pipeline on mutations of a small valid model (tests/corpus/models/good_small.onnx:
//! Conv → Relu → MaxPool → Flatten → Gemm). The fuzz bytes do not replace the file; they edit its fields — input
//! dims, initializer dims and values, attribute ints, op types, wiring — so most runs are well-formed protobufs
//! that reach validation, formatting, dispatch, an fp32 forward pass on zeros and then the full TRT INT8
//! quantization pipeline (every pass) on one calibration sample. Any panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

const GOOD_SMALL: &[u8] = include_bytes!("../../tests/corpus/models/good_small.onnx");
include!("../bodies/pipeline_small.rs");

fuzz_target!(|data: &[u8]| run(data));

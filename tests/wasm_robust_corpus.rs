//! The malformed-input corpus in wasm32 (Node, wasm-bindgen-test-runner): the same files, embedded with
//! include_bytes!, through the same library calls as tests/robust_corpus.rs. Passing proves that no case panics
//! in wasm (a panic would abort the test instance) and that the messages are the native ones.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

include!("corpus/check.rs");

#[wasm_bindgen_test]
fn every_corpus_case_gives_its_expected_error_in_wasm() {
    let failures = corpus_failures();
    assert!(failures.is_empty(), "{} corpus case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[wasm_bindgen_test]
fn numpy_written_arrays_read_in_wasm() {
    let failures = numpy_failures();
    assert!(failures.is_empty(), "{} NumPy case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[wasm_bindgen_test]
fn wasm_messages_are_the_native_ones() {
    let failures = pinned_failures();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The pipeline_small fuzz crash (a zero dim hiding a huge one) is a clean error in wasm too.
#[wasm_bindgen_test]
fn fuzz_crash_reproducer_is_an_error_in_wasm() {
    let bytes = include_bytes!("corpus/fuzz/pipeline_small/crash-zero-dim-shape-overflow.onnx");
    let err = load_model(bytes).err().unwrap_or_default();
    assert!(err.starts_with("model too large: graph input 'x'"), "{err}");
}

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
fn wasm_messages_are_the_native_ones() {
    let failures = pinned_failures();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

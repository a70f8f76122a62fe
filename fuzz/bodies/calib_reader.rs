// The calib_reader fuzz body, shared by fuzz/fuzz_targets/calib_reader.rs (libFuzzer, native) and
// tests/wasm_fuzz.rs (wasm32 under Node). The includer defines `GOOD_SMALL` (the bytes of
// tests/corpus/models/good_small.onnx), since include_bytes! paths are relative to the including file.

use ppq_playground::session::calib::{calib_from_json, calib_from_npy, calib_from_npz};
use ppq_playground::graph::BaseGraph;
use ppq_playground::session::calib::{CalibSample, check_samples, read_calib_json, read_npy};
use ppq_playground::graph::validate::inspect_onnx;
use std::sync::OnceLock;

fn model() -> Option<&'static BaseGraph> {
    static MODEL: OnceLock<Option<BaseGraph>> = OnceLock::new();
    MODEL
        .get_or_init(|| inspect_onnx(GOOD_SMALL).ok().map(|m| m.0))
        .as_ref()
}

/// Arbitrary bytes as calibration data through every reader; byte 0 picks the reader. Any panic is a bug.
pub fn run(data: &[u8]) {
    let Some(graph) = model() else { return };
    // The first byte picks the reader so one corpus covers both formats.
    let Some((&which, rest)) = data.split_first() else { return };
    let samples = if which & 1 == 0 {
        read_calib_json(rest).ok()
    } else {
        read_npy("fuzz.npy", rest).ok().map(|t| vec![CalibSample::from([("x".to_string(), t)])])
    };
    if let Some(samples) = samples {
        let _ = check_samples(graph, &samples);
    }
    let front = match which % 3 {
        0 => std::str::from_utf8(rest).ok().and_then(|t| calib_from_json(t).ok()).into_iter().collect(),
        1 => calib_from_npy(rest).ok().into_iter().collect(),
        _ => calib_from_npz(rest).unwrap_or_default(),
    };
    for data in front {
        let _ = data.conform(Some(&[None, Some(3), Some(8), Some(8)])).check("x", Some(&[None, Some(3), Some(8), Some(8)]));
    }
}

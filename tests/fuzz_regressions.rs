//! The fuzzers' corpora and crash reproducers (tests/corpus/fuzz/<target>/, see fuzz/README.md) replayed through
//! the same library calls as the fuzz targets, so a fixed crash stays fixed without cargo-fuzz. pipeline_small
//! files are the mutated models themselves (dumped with PPQ_FUZZ_DUMP), not the raw fuzz bytes.

include!("corpus/check.rs");

use ppq_playground::graph::dispatch::dispatch_graph;
use ppq_playground::graph::format::{FormatVersion, format_graph};
use ppq_playground::graph::import::import_onnx;
use ppq_playground::graph::validate::inspect_onnx;
use ppq_playground::graph::validate::validate;
use std::path::Path;

fn files(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/fuzz").join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()))))
        .into_iter()
        .flatten()
        .filter_map(|(n, b)| b.ok().map(|b| (n, b)))
        .collect();
    out.sort();
    out
}

#[test]
fn onnx_import_corpus_replays_without_panic() {
    let files = files("onnx_import");
    for (_, bytes) in &files {
        let Ok(graph) = import_onnx(bytes) else { continue };
        let _ = validate(&graph);
        for version in [FormatVersion::V066, FormatVersion::V065] {
            let mut g = graph.clone();
            if format_graph(&mut g, version).is_ok() {
                dispatch_graph(&mut g, &["Conv", "Gemm", "MatMul", "Add", "Relu"], &[]);
            }
        }
    }
    println!("{} onnx_import files replayed", files.len());
}

#[test]
fn calib_reader_corpus_replays_without_panic() {
    let good = MODEL_CASES.iter().find(|c| c.0 == "good_small.onnx").map(|c| c.1).unwrap_or_default();
    let graph = load_model(good).expect("good_small.onnx loads");
    let files = files("calib_reader");
    for (_, bytes) in &files {
        let Some((&which, rest)) = bytes.split_first() else { continue };
        let name = if which & 1 == 0 { "fuzz.json" } else { "fuzz.npy" };
        let _ = load_calib(&graph, name, rest);
    }
    println!("{} calib_reader files replayed", files.len());
}

#[test]
fn pipeline_small_reproducers_load_or_fail_cleanly() {
    let files = files("pipeline_small");
    assert!(!files.is_empty(), "the pipeline_small crash reproducers are missing");
    // Validation and formatting only: a reproducer may be a legitimately heavy model to execute.
    for (name, bytes) in &files {
        let start = std::time::Instant::now();
        if let Ok((mut graph, _)) = inspect_onnx(bytes) {
            let _ = format_graph(&mut graph, FormatVersion::V066);
        }
        assert!(start.elapsed().as_secs() < 20, "{name}: validation took {:?}", start.elapsed());
    }
}

/// Fuzz crash (pipeline_small): im2col sliced `src[-1..]` when a Conv's output row was empty; now it runs.
#[test]
fn conv_with_an_empty_output_row_does_not_panic() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/fuzz/pipeline_small/crash-im2col-empty-output.onnx"
    ))
    .expect("reproducer");
    let _ = load_model(&bytes);
}

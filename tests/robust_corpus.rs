//! The malformed-input corpus (tests/corpus, from scripts/gen_bad_corpus.py) through the library API natively:
//! every file must be refused with its expected, named error — never a panic — and the good ones must load.
//! The same cases run in wasm32 in tests/wasm_robust_corpus.rs.

include!("corpus/check.rs");

#[test]
fn every_corpus_case_gives_its_expected_error() {
    let failures = corpus_failures();
    assert!(failures.is_empty(), "{} corpus case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

/// .npy/.npz files as NumPy writes them (float16/64, big-endian, Fortran order, all int widths, savez and
/// savez_compressed) read to exactly NumPy's values.
#[test]
fn numpy_written_arrays_read_as_numpy_shows_them() {
    assert!(NUMPY_CASES.len() >= 20, "the NumPy cases are missing; run scripts/gen_bad_corpus.py");
    let failures = numpy_failures();
    assert!(failures.is_empty(), "{} NumPy case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn pinned_messages_are_exact() {
    let failures = pinned_failures();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Formatting must not rely on validation having run: every importable corpus model goes through both
/// format versions and dispatch directly (errors are fine, panics are not).
#[test]
fn formatting_without_validation_never_panics() {
    use ppq_playground::graph::import::import_onnx;
    for (_, bytes, _) in MODEL_CASES {
        let Ok(graph) = import_onnx(bytes) else { continue };
        for version in [FormatVersion::V066, FormatVersion::V065] {
            let mut g = graph.clone();
            if format_graph(&mut g, version).is_ok() {
                dispatch_graph(&mut g, &["Conv", "Gemm"], &[]);
            }
        }
    }
}

/// Issue 20: a crafted model must get its answer fast (the bombs used to hang for a minute or run out of memory).
/// The bound is the 5 s per file on this debug build; the slowest case is printed.
#[test]
fn every_model_case_answers_within_five_seconds() {
    let mut times: Vec<(std::time::Duration, &str)> = MODEL_CASES
        .iter()
        .map(|(name, bytes, _)| {
            let start = std::time::Instant::now();
            let _ = load_model(bytes);
            (start.elapsed(), *name)
        })
        .collect();
    times.sort();
    let slow: Vec<String> =
        times.iter().filter(|(t, _)| t.as_secs_f64() > 5.0).map(|(t, n)| format!("{n}: {t:?}")).collect();
    println!("slowest: {:?}", &times[times.len().saturating_sub(5)..]);
    assert!(slow.is_empty(), "too slow: {slow:?}");
}

#[test]
fn corpus_errors_are_printed() {
    // Not an assertion: `cargo test -- --nocapture` shows what users see for each file.
    for (name, bytes, _) in MODEL_CASES {
        println!("{name}: {:?}", load_model(bytes).map(|_| "ok"));
    }
}

/// Fuzz crash (pipeline_small): a zero dim hid a huge one from the element-count check and ndarray panicked
/// allocating `[0, 2^40, …]`. Every limit now multiplies non-zero dims.
#[test]
fn zero_dims_do_not_hide_enormous_ones() {
    use ppq_playground::graph::ops::run_op;
    use ppq_playground::graph::{Attributes, GraphError};
    let shape = Tensor::I64(ndarray::arr1(&[0i64, 1 << 40, 1 << 40]).into_dyn());
    let r = run_op("ConstantOfShape", &[Some(&shape)], &Attributes::new("cos"));
    assert!(matches!(r, Err(GraphError::TooLarge(_))), "{r:?}");
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/fuzz/pipeline_small/crash-zero-dim-shape-overflow.onnx"
    ))
    .expect("reproducer");
    println!("{:?}", load_model(&bytes).err());
}

//! The malformed-input corpus (tests/corpus, from scripts/gen_bad_corpus.py) through the library API natively:
//! every file must be refused with its expected, named error — never a panic — and the good ones must load.
//! The same cases run in wasm32 in tests/wasm_robust_corpus.rs.

include!("corpus/check.rs");

use ppq_playground::graph::dispatch::dispatch_graph;
use ppq_playground::graph::executor::Executor;
use ppq_playground::graph::format::{FormatVersion, format_graph};

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

/// Models one referee refuses and the playground deliberately opens, each with why; each must still be
/// accepted by the other referee (onnxruntime), or the exception does not hold.
const ALLOWED_DIFFERENCES: &[(&str, &str)] = &[(
    "input_negative_dim.onnx",
    "issue #16: a negative dim_value is how exporters mark a dynamic size and onnxruntime runs it as dynamic; \
     onnx.checker's shape inference compares -3 as a value",
)];

/// Issue 20, "refuse what runtimes refuse": every corpus model that onnx.checker or onnxruntime refuses (their
/// verdicts recorded by scripts/check_corpus_runtimes.py in tests/corpus/runtimes.json) is refused here too,
/// except the [`ALLOWED_DIFFERENCES`].
#[test]
fn what_the_referees_refuse_is_refused() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/runtimes.json");
    let text = std::fs::read_to_string(path).expect("tests/corpus/runtimes.json: run scripts/check_corpus_runtimes.py");
    let json: serde_json::Value = serde_json::from_str(&text).expect("runtimes.json is JSON");
    let rows = json["models"].as_array().expect("a models list");
    let recorded: Vec<&str> = rows.iter().filter_map(|r| r["file"].as_str()).collect();
    let expected: Vec<String> = MODEL_CASES.iter().map(|c| format!("models/{}", c.0)).collect();
    assert_eq!(recorded, expected, "runtimes.json is stale: rerun scripts/check_corpus_runtimes.py");
    let mut failures = Vec::new();
    for (row, (name, bytes, _)) in rows.iter().zip(MODEL_CASES) {
        if ALLOWED_DIFFERENCES.iter().any(|(n, _)| n == name) {
            if let Some(why) = row["onnxruntime"].as_str() {
                failures.push(format!(
                    "{name}: allowed to differ from onnx.checker, but onnxruntime refuses it too: {why}"
                ));
            }
            if load_model(bytes).is_err() {
                failures.push(format!("{name}: allowed to differ from onnx.checker, but the playground refuses it"));
            }
            continue;
        }
        let referee = ["checker", "onnxruntime"].into_iter().find_map(|k| row[k].as_str().map(|m| (k, m)));
        if let (Some((who, why)), Ok(_)) = (referee, load_model(bytes)) {
            failures.push(format!("{name}: {who} refuses it ({why}), the playground loads it"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The run's memory budget (the page sets it from its wasm memory) refuses an output before allocating it, and
/// the same model runs under a budget that fits.
#[test]
fn the_memory_budget_is_checked_before_outputs() {
    use ppq_playground::graph::budget::{Budget, budget, with_budget};
    let good = MODEL_CASES.iter().find(|c| c.0 == "good_small.onnx").map(|c| c.1).expect("good_small.onnx");
    let roomy = Budget { memory_bytes: 1 << 20, ..budget() };
    assert!(with_budget(roomy, || load_model(good)).is_ok());
    let tight = Budget { memory_bytes: 4000, ..budget() };
    let err = with_budget(tight, || load_model(good)).expect_err("a 4000-byte budget cannot hold the Conv's columns");
    assert!(err.contains("op 'conv': ") && err.contains("over the memory budget of 4000 bytes"), "{err}");
    let cheap = Budget { op_cost: 1000, ..budget() };
    let err = with_budget(cheap, || load_model(good)).expect_err("the Conv needs 6912 multiply-adds");
    assert!(err.contains("op 'conv': 6912 multiply-adds, over the per-op limit of 1000"), "{err}");
}

/// A hook that looks at inputs makes the executor copy them per slot: the Concat listing one 1 MiB weight 50,000
/// times (imported, not formatted, so the weight is still shared) is refused before 50 GB of copies.
#[test]
fn input_copies_for_a_hook_are_bounded_before_copying() {
    use ppq_playground::graph::executor::ExecutionHook;
    use ppq_playground::graph::import::import_onnx;
    struct Observer;
    impl ExecutionHook for Observer {}
    let bytes = MODEL_CASES.iter().find(|c| c.0 == "concat_bomb.onnx").map(|c| c.1).expect("concat_bomb.onnx");
    let graph = import_onnx(bytes).expect("imports");
    let start = std::time::Instant::now();
    let err = Executor::new(&graph).and_then(|e| e.forward(&[], None, &mut Observer)).expect_err("refused");
    assert!(err.to_string().contains("op 'cat': the copies of its inputs for the hook needs 50000.0 MiB"), "{err}");
    assert!(start.elapsed().as_secs() < 1, "took {:?}", start.elapsed());
}

/// Issue 20, "never quantize garbage": a NaN/inf weight loads (fp32 runs it as it is) but quantizing it is
/// refused naming the tensor and the op; kept in float, its NaN outputs are refused by the next observer.
#[test]
fn non_finite_weights_are_refused_for_quantization_by_name() {
    use ppq_playground::core::platform::TargetPlatform;
    use ppq_playground::graph::format::format_graph;
    use ppq_playground::pipeline::{CalibrationData, Pipeline, QuantizationSetting};
    let bytes = MODEL_CASES.iter().find(|c| c.0 == "nan_weight.onnx").map(|c| c.1).expect("nan_weight.onnx");
    let samples: Vec<Vec<f32>> =
        (0..8).map(|k| (0..192).map(|i| ((i * 5 + k) % 17) as f32 / 8.0 - 1.0).collect()).collect();
    let calib = CalibrationData::single_input("x", &[1, 3, 8, 8], &samples).expect("calibration data");
    let setting = || {
        let mut s = QuantizationSetting::for_platform(TargetPlatform::TrtInt8);
        s.quantize_activation_setting.calib_steps = 8;
        s
    };
    let mut p = Pipeline::from_onnx(bytes, TargetPlatform::TrtInt8, setting()).expect("the model loads");
    let err = p.run_all(&calib).expect_err("a NaN weight must not be quantized").to_string();
    assert!(
        err.contains("parameter 'w' of op 'conv' holds 2 non-finite value(s) (first: NaN at flat index 0)"),
        "{err}"
    );
    // Kept in float, the Conv passes NaN on: the next observer refuses the activation, still with no NaN scale.
    let mut g = load_model(bytes).expect("fp32 runs it");
    format_graph(&mut g, FormatVersion::V066).ok();
    let keep = [("conv".to_string(), TargetPlatform::Fp32)];
    let mut p = Pipeline::with_dispatching(g, TargetPlatform::TrtInt8, setting(), &keep).expect("dispatch");
    let err = p.run_all(&calib).expect_err("NaN activations must not be calibrated").to_string();
    assert!(err.contains("at op 'relu'") && err.contains("NaN or infinite"), "{err}");
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

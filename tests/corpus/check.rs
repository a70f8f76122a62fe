// Shared by tests/robust_corpus.rs (native) and tests/wasm_robust_corpus.rs (wasm32), so both builds run the same
// library calls and must produce the same messages. Included with `include!`, hence no module docs.

use ppq_playground::session::calib::{CalibSample, check_samples, read_calib_json, read_npy};
use ppq_playground::graph::dispatch::dispatch_graph;
use ppq_playground::graph::executor::{Executor, NoHook};
use ppq_playground::graph::format::{FormatVersion, format_graph};
use ppq_playground::graph::validate::inspect_onnx;
use ppq_playground::graph::{BaseGraph, GraphError, Tensor};

include!("corpus.rs");

/// The page's load sequence on a model: inspect (import + validate), format, dispatch, then one fp32 run on
/// zeros of the inferred input shapes. The error text is what the user would see.
pub fn load_model(bytes: &[u8]) -> Result<BaseGraph, String> {
    let (mut graph, report) = inspect_onnx(bytes).map_err(|e| e.to_string())?;
    format_graph(&mut graph, FormatVersion::V066).map_err(|e| e.to_string())?;
    dispatch_graph(&mut graph, &["Conv", "Gemm", "Relu", "MaxPool", "Add"], &[]);
    let mut feeds = Vec::new();
    for input in &report.inputs {
        let Some(shape) = input.shape.as_ref().and_then(|s| s.iter().copied().collect::<Option<Vec<usize>>>()) else {
            continue;
        };
        feeds.push((input.name.as_str(), Tensor::F32(ndarray::ArrayD::zeros(ndarray::IxDyn(&shape)))));
    }
    let exec = Executor::new(&graph).map_err(|e| e.to_string())?;
    exec.forward(&feeds, None, &mut NoHook).map_err(|e: GraphError| e.to_string())?;
    Ok(graph)
}

/// Reads one calibration file (by extension) and checks it against `graph`.
pub fn load_calib(graph: &BaseGraph, name: &str, bytes: &[u8]) -> Result<(), String> {
    let samples: Vec<CalibSample> = if name.ends_with(".npy") {
        let t = read_npy(name, bytes).map_err(|e| e.to_string())?;
        vec![CalibSample::from([("x".to_string(), t)])]
    } else {
        read_calib_json(bytes).map_err(|e| e.to_string())?
    };
    check_samples(graph, &samples).map_err(|e| e.to_string())
}

/// Runs every case; returns one line per case whose outcome differs from the expectation.
pub fn corpus_failures() -> Vec<String> {
    let mut failures = Vec::new();
    let mut check = |kind: &str, name: &str, outcome: Result<(), String>, expected: &str| match (outcome, expected) {
        (Ok(()), "") => {}
        (Ok(()), e) => failures.push(format!("{kind} {name}: accepted, expected an error containing {e:?}")),
        (Err(msg), "") => failures.push(format!("{kind} {name}: refused with {msg:?}, expected to load")),
        (Err(msg), e) if !msg.contains(e) => failures.push(format!("{kind} {name}: error {msg:?} lacks {e:?}")),
        (Err(_), _) => {}
    };
    for (name, bytes, expected) in MODEL_CASES {
        check("model", name, load_model(bytes).map(|_| ()), expected);
    }
    let good = MODEL_CASES.iter().find(|c| c.0 == "good_small.onnx").map(|c| c.1).unwrap_or_default();
    match load_model(good) {
        Ok(graph) => {
            for (name, bytes, expected) in CALIB_CASES {
                check("calib", name, load_calib(&graph, name, bytes), expected);
            }
        }
        Err(e) => failures.push(format!("good_small.onnx does not load: {e}")),
    }
    failures
}

/// Full messages of representative files, pinned in both builds so native and wasm show the same text.
pub const PINNED: &[(&str, &str)] = &[
    ("empty.onnx", "malformed ONNX: the file is empty"),
    ("unknown_op.onnx", "unsupported op 'FooBar' (op 'foo')"),
    (
        "conv_weight_mismatch.onnx",
        "op 'conv': input 'x' has 3 channels (shape [1, 3, 8, 8]) but the weight 'w' [4, 2, 3, 3] expects 2 \
         (2 per group × 1 groups)",
    ),
    ("input_enormous_dim.onnx", "model too large: graph input 'x': shape [1, 1099511627776] is over the limit of 268435456 elements"),
];

/// Pinned messages that differ, one line each.
pub fn pinned_failures() -> Vec<String> {
    PINNED
        .iter()
        .filter_map(|&(name, want)| {
            let bytes = MODEL_CASES.iter().find(|c| c.0 == name).map(|c| c.1).unwrap_or_default();
            let got = load_model(bytes).err().unwrap_or_default();
            (got != want).then(|| format!("{name}: got {got:?}, want {want:?}"))
        })
        .collect()
}

// Shared by tests/robust_corpus.rs (native) and tests/wasm_robust_corpus.rs (wasm32), so both builds run the same
// library calls and must produce the same messages. Included with `include!`, hence no module docs.

use ppq_playground::session::calib::{CalibSample, check_samples, read_calib_json, read_npy, read_npz};
use ppq_playground::graph::{BaseGraph, Tensor};
use ppq_playground::session::open_model;

include!("corpus.rs");

/// The page's open sequence ([`open_model`], run by its worker): import + validate, format, then one fp32
/// probe run on zeros of the declared input shapes. The error text is what the user would see.
pub fn load_model(bytes: &[u8]) -> Result<BaseGraph, String> {
    open_model(bytes).map(|o| o.graph)
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

/// Every element of a tensor as f64 (exact for the values the NumPy cases hold), in C order.
pub fn values_f64(t: &Tensor) -> Vec<f64> {
    match t {
        Tensor::F32(a) => a.iter().map(|&v| f64::from(v)).collect(),
        Tensor::I64(a) => a.iter().map(|&v| v as f64).collect(),
        Tensor::I32(a) => a.iter().map(|&v| f64::from(v)).collect(),
        Tensor::I8(a) => a.iter().map(|&v| f64::from(v)).collect(),
        Tensor::U8(a) => a.iter().map(|&v| f64::from(v)).collect(),
        Tensor::Bool(a) => a.iter().map(|&v| f64::from(u8::from(v))).collect(),
        Tensor::I16(a) => a.iter().map(|&v| f64::from(v)).collect(),
        Tensor::U16(a) => a.iter().map(|&v| f64::from(v)).collect(),
        Tensor::U32(a) => a.iter().map(|&v| f64::from(v)).collect(),
        Tensor::U64(a) => a.iter().map(|&v| v as f64).collect(),
    }
}

/// Reads every NumPy-written array (tests/corpus/numpy) and compares dtype, shape and every value (bit-exact, so
/// -0.0 and half-float subnormals count) with what NumPy itself showed; one line per mismatch.
pub fn numpy_failures() -> Vec<String> {
    let mut failures = Vec::new();
    for &(file, bytes, member, dtype, shape, values, error) in NUMPY_CASES {
        let what = if member.is_empty() { file.to_string() } else { format!("{file}:{member}") };
        let read = if member.is_empty() {
            read_npy(file, bytes).map_err(|e| e.to_string())
        } else {
            read_npz(bytes).map_err(|e| e.to_string()).and_then(|arrays| {
                arrays.into_iter().find(|(n, _)| n == member).map(|(_, t)| t).ok_or_else(|| "no such member".into())
            })
        };
        match (read, error) {
            (Err(e), "") => failures.push(format!("{what}: refused with {e:?}")),
            (Err(e), want) if !e.contains(want) => failures.push(format!("{what}: error {e:?} lacks {want:?}")),
            (Err(_), _) => {}
            (Ok(_), want) if !want.is_empty() => failures.push(format!("{what}: accepted, expected {want:?}")),
            (Ok(t), _) => {
                let got = values_f64(&t);
                let same = got.len() == values.len() && got.iter().zip(values).all(|(a, b)| a.to_bits() == b.to_bits());
                if t.dtype_name() != dtype || t.shape() != shape || !same {
                    failures.push(format!(
                        "{what}: read {} {:?} {:?}, NumPy has {dtype} {shape:?} {values:?}",
                        t.dtype_name(),
                        t.shape(),
                        got
                    ));
                }
            }
        }
    }
    failures
}

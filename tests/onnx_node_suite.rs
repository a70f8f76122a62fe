//! ONNX's own backend node test suite (every `onnx.backend.test` node case: one op, or a function expanded
//! into a few ops, with inputs and expected outputs) run through the playground's importer and fp32 executor.
//!
//! The cases come from `scripts/fixtures/onnx_node_cases.py`, which writes them (ONNX's `model.onnx` +
//! `test_data_set_*/input_*.pb, output_*.pb` layout) into a cache folder, and records which ones onnxruntime
//! passes. The cache is `$ONNX_NODE_CASES`, else `<target dir>/onnx-node-cases`; it is filled on first use with
//! `$PYTHON` (default `python3`) and the test fails loudly if that cannot be done.
//!
//! Each case: import, feed all its inputs, compare every output (floats: rtol 1e-4 + atol 1e-5, NaN == NaN;
//! integers and bools exactly), on its own thread with a time limit, panics caught. Outcome: pass, wrong value,
//! error (a clear `Err`: refused at import, unsupported op or element type, …), panic, or hang.
//!
//! Fails on: any panic or hang; any wrong value not listed in `tests/onnx_node_known_wrong.txt`; and when, among
//! the cases whose ops are all in [`OPS_OF_INTEREST`] and that onnxruntime passes, the pass rate drops under
//! [`PASS_RATE_FLOOR_PERCENT`].
#![cfg(not(target_arch = "wasm32"))]

use ndarray::ArrayD;
use ppq_playground::graph::Tensor;
use ppq_playground::graph::executor::{Executor, NoHook};
use ppq_playground::graph::import::{import_onnx, tensor_from_proto};
use ppq_playground::graph::onnx::TensorProto;
use prost::Message;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Measured pass rate (rounded down) of the in-list, onnxruntime-passing cases; raise it as ops get fixed.
const PASS_RATE_FLOOR_PERCENT: f64 = 95.0;

/// A case taking longer than this (debug build) counts as a hang.
const CASE_TIME_LIMIT: Duration = Duration::from_secs(30);

#[rustfmt::skip]
const OPS_OF_INTEREST: &[&str] = &[
    "Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh", "AveragePool",
    "BatchNormalization", "BitShift", "Cast", "CastLike", "Ceil", "Celu", "Clip", "Concat", "Constant",
    "ConstantOfShape", "Conv", "ConvTranspose", "Cos", "Cosh", "CumSum", "DepthToSpace", "DequantizeLinear", "Div",
    "Dropout", "Einsum", "Elu", "Equal", "Erf", "Exp", "Expand", "EyeLike", "Flatten", "Floor", "Gather",
    "GatherElements", "GatherND", "Gelu", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "Greater", "GreaterOrEqual",
    "GroupNormalization", "HardSigmoid", "HardSwish", "Hardmax", "Identity", "InstanceNormalization", "IsInf",
    "IsNaN", "LRN", "LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log", "LogSoftmax",
    "LpNormalization", "MatMul", "Max", "MaxPool", "Mean", "Min", "Mish", "Mod", "Mul", "Neg", "Not", "OneHot", "Or",
    "PRelu", "Pad", "Pow", "QuantizeLinear", "Range", "Reciprocal", "ReduceL1", "ReduceL2", "ReduceLogSum",
    "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare", "Relu",
    "Reshape", "Resize", "Round", "ScatterElements", "ScatterND", "Selu", "Shape", "Shrink", "Sigmoid", "Sign", "Sin",
    "Sinh", "Size", "Slice", "Softmax", "Softplus", "Softsign", "SpaceToDepth", "Split", "Sqrt", "Squeeze", "Sub",
    "Sum", "Tan", "Tanh", "ThresholdedRelu", "Tile", "TopK", "Transpose", "Trilu", "Unsqueeze", "Upsample", "Where",
    "Xor",
];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Pass,
    Wrong(String),
    Error(String),
    Panic(String),
    Hang,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cache_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("ONNX_NODE_CASES") {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo().join("target"));
    target.join("onnx-node-cases")
}

/// Fills the cache with the Python script (it is a no-op when the cache is current). Panics with the reason
/// when Python, onnx or onnxruntime is missing: never a silent skip.
fn ensure_cache(dir: &Path) -> Value {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let script = repo().join("scripts/fixtures/onnx_node_cases.py");
    let t0 = Instant::now();
    let out = Command::new(&python).arg(&script).arg(dir).output().unwrap_or_else(|e| {
        panic!("cannot run `{python} {}`: {e} — install python3 with onnx==1.23.2 and onnxruntime", script.display())
    });
    assert!(
        out.status.success(),
        "`{python} {}` failed (python3 with onnx and onnxruntime is required; scripts/setup.sh installs them):\n{}\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{} ({:.1} s)", String::from_utf8_lossy(&out.stdout).trim(), t0.elapsed().as_secs_f64());
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest.json written by the script");
    serde_json::from_str(&text).expect("manifest.json is JSON")
}

fn read_tensor(path: &Path) -> Result<Tensor, String> {
    read_typed(path).map(|(t, _)| t)
}

/// The tensor and its ONNX element type code (float16/bfloat16/float64 files become float32 tensors).
fn read_typed(path: &Path) -> Result<(Tensor, i32), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let proto = TensorProto::decode(bytes.as_slice()).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((tensor_from_proto(&proto).map_err(|e| e.to_string())?, proto.data_type.unwrap_or(0)))
}

/// Relative tolerance for an expected output of ONNX element type `dtype`. The executor computes in f32 (issue
/// 16 point 3), so a float16/bfloat16 model's outputs are compared at their own format's precision: two units in
/// the last place (2^-9 for float16, 2^-6 for bfloat16), the spread fp16 arithmetic itself leaves.
fn rtol_of(dtype: i32) -> f32 {
    match dtype {
        10 => 2.0 / 1024.0,
        16 => 2.0 / 128.0,
        _ => 1e-4,
    }
}

fn close_f32(got: &ArrayD<f32>, want: &ArrayD<f32>, rtol: f32) -> Option<String> {
    let mut worst: Option<(usize, f32, f32)> = None;
    for (i, (&g, &w)) in got.iter().zip(want.iter()).enumerate() {
        let ok = if w.is_nan() {
            g.is_nan()
        } else if w.is_infinite() {
            g == w
        } else {
            (g - w).abs() <= 1e-5 + rtol * w.abs()
        };
        if !ok && worst.is_none() {
            worst = Some((i, g, w));
        }
    }
    worst.map(|(i, g, w)| format!("element {i}: got {g}, expected {w}"))
}

fn compare(got: &Tensor, want: &Tensor, rtol: f32) -> Option<String> {
    if got.dtype_name() != want.dtype_name() {
        return Some(format!("dtype {} != expected {}", got.dtype_name(), want.dtype_name()));
    }
    if got.shape() != want.shape() {
        return Some(format!("shape {:?} != expected {:?}", got.shape(), want.shape()));
    }
    let same = match (got, want) {
        (Tensor::F32(g), Tensor::F32(w)) => return close_f32(g, w, rtol),
        (Tensor::I64(g), Tensor::I64(w)) => g == w,
        (Tensor::I32(g), Tensor::I32(w)) => g == w,
        (Tensor::I8(g), Tensor::I8(w)) => g == w,
        (Tensor::U8(g), Tensor::U8(w)) => g == w,
        (Tensor::Bool(g), Tensor::Bool(w)) => g == w,
        (Tensor::I16(g), Tensor::I16(w)) => g == w,
        (Tensor::U16(g), Tensor::U16(w)) => g == w,
        (Tensor::U32(g), Tensor::U32(w)) => g == w,
        (Tensor::U64(g), Tensor::U64(w)) => g == w,
        _ => false,
    };
    (!same).then(|| "values differ".to_string())
}

/// One data set: the feeds (graph input name, tensor) and the expected outputs in graph order.
type DataSet = (Vec<(String, Tensor)>, Vec<(Tensor, i32)>);

/// Everything one case needs, read on the main thread (so a case thread only imports and runs).
struct Prepared {
    model: Vec<u8>,
    /// Per data set: feeds (name, tensor) and expected outputs.
    sets: Vec<DataSet>,
}

fn prepare(dir: &Path, case: &Value) -> Result<Prepared, String> {
    let model = std::fs::read(dir.join("model.onnx")).map_err(|e| e.to_string())?;
    let ins = case["inputs"].as_array().cloned().unwrap_or_default();
    let outs = case["outputs"].as_array().cloned().unwrap_or_default();
    for (what, list) in [("input", &ins), ("output", &outs)] {
        for v in list.iter() {
            if v["kind"] != "tensor" {
                return Err(format!("{what} '{}' is a {} (only tensors are supported)", v["name"], v["kind"]));
            }
        }
    }
    let mut sets = Vec::new();
    for k in 0..case["data_sets"].as_u64().unwrap_or(1) {
        let ds = dir.join(format!("test_data_set_{k}"));
        let mut feeds = Vec::new();
        for (j, v) in ins.iter().enumerate() {
            let t = read_tensor(&ds.join(format!("input_{j}.pb"))).map_err(|e| format!("input {j}: {e}"))?;
            feeds.push((v["name"].as_str().unwrap_or_default().to_string(), t));
        }
        let mut want = Vec::new();
        for j in 0..outs.len() {
            want.push(read_typed(&ds.join(format!("output_{j}.pb"))).map_err(|e| format!("output {j}: {e}"))?);
        }
        sets.push((feeds, want));
    }
    Ok(Prepared { model, sets })
}

fn run_case(p: Prepared) -> Outcome {
    let g = match import_onnx(&p.model) {
        Ok(g) => g,
        Err(e) => return Outcome::Error(format!("import: {e}")),
    };
    let exec = match Executor::new(&g) {
        Ok(x) => x,
        Err(e) => return Outcome::Error(format!("executor: {e}")),
    };
    for (k, (feeds, want)) in p.sets.iter().enumerate() {
        // A declared input no node reads is not part of the imported graph (it cannot change an output).
        let refs: Vec<(&str, Tensor)> = feeds
            .iter()
            .filter(|(n, _)| g.var_by_name(n).is_some_and(|v| g.inputs.contains(&v)))
            .map(|(n, t)| (n.as_str(), t.clone()))
            .collect();
        let got = match exec.forward(&refs, None, &mut NoHook) {
            Ok(o) => o,
            Err(e) => return Outcome::Error(format!("run: {e}")),
        };
        if got.len() != want.len() {
            return Outcome::Wrong(format!("data set {k}: {} outputs, expected {}", got.len(), want.len()));
        }
        for (j, (g, w)) in got.iter().zip(want).enumerate() {
            if let Some(why) = compare(g, &w.0, rtol_of(w.1)) {
                return Outcome::Wrong(format!("data set {k} output {j}: {why}"));
            }
        }
    }
    Outcome::Pass
}

fn run_with_limit(p: Prepared) -> Outcome {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new().stack_size(64 << 20).spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_case(p)));
        let _ = tx.send(match r {
            Ok(o) => o,
            Err(e) => Outcome::Panic(
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panic".into()),
            ),
        });
    });
    if let Err(e) = spawned {
        return Outcome::Error(format!("spawn: {e}"));
    }
    // A hung case's thread is left behind (detached); it no longer matters to the outcome.
    rx.recv_timeout(CASE_TIME_LIMIT).unwrap_or(Outcome::Hang)
}

fn known_wrong() -> BTreeSet<String> {
    let path = repo().join("tests/onnx_node_known_wrong.txt");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn onnx_node_suite() {
    let t_all = Instant::now();
    let dir = cache_dir();
    let manifest = ensure_cache(&dir);
    let cases = manifest["cases"].as_array().expect("manifest cases");
    assert!(cases.len() > 1000, "only {} node cases in {}", cases.len(), dir.display());
    let interest: BTreeSet<&str> = OPS_OF_INTEREST.iter().copied().collect();
    let known = known_wrong();

    // Panics are caught per case: keep their messages out of the report (the outcome records them).
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));

    let filter = std::env::var("ONNX_NODE_FILTER").ok();
    let t_run = Instant::now();
    let mut results: Vec<(String, Vec<String>, bool, bool, Outcome)> = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or_default().to_string();
        if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let ops: Vec<String> = case["op_types"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
            .unwrap_or_default();
        let in_list = !ops.is_empty() && ops.iter().all(|o| interest.contains(o.as_str()));
        let ort_pass = case["ort_pass"].as_bool().unwrap_or(false);
        let outcome = match prepare(&dir.join(case["dir"].as_str().unwrap_or_default()), case) {
            Ok(p) => run_with_limit(p),
            Err(e) => Outcome::Error(format!("data: {e}")),
        };
        results.push((name, ops, in_list, ort_pass, outcome));
    }
    std::panic::set_hook(default_hook);
    let run_secs = t_run.elapsed().as_secs_f64();

    // Per-op table: a case counts once for each op type it holds; "solo" are the cases made of that op alone
    // (not a function expanded into several ops), "focus" the in-list cases onnxruntime passes.
    let mut per_op: BTreeMap<&str, [usize; 10]> = BTreeMap::new();
    let mut totals = [0usize; 5];
    let idx = |o: &Outcome| match o {
        Outcome::Pass => 0,
        Outcome::Wrong(_) => 1,
        Outcome::Error(_) => 2,
        Outcome::Panic(_) => 3,
        Outcome::Hang => 4,
    };
    for (_, ops, in_list, ort, o) in &results {
        totals[idx(o)] += 1;
        for op in ops {
            let row = per_op.entry(op.as_str()).or_default();
            row[idx(o)] += 1;
            row[5] += 1;
            if ops.len() == 1 {
                row[6] += 1;
                row[7] += usize::from(*o == Outcome::Pass);
            }
            if *in_list && *ort {
                row[8] += 1;
                row[9] += usize::from(*o == Outcome::Pass);
            }
        }
    }
    println!(
        "\n{:<28} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>10} {:>10}",
        "op", "cases", "pass", "wrong", "error", "panic", "hang", "solo p/n", "focus p/n"
    );
    for (op, r) in &per_op {
        let mark = if interest.contains(op) { "" } else { " (not in list)" };
        println!(
            "{:<28} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>10} {:>10}{mark}",
            op,
            r[5],
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            format!("{}/{}", r[7], r[6]),
            format!("{}/{}", r[9], r[8])
        );
    }
    let mut weakest: Vec<(&str, usize, usize)> =
        per_op.iter().filter(|(op, r)| interest.contains(*op) && r[8] > 0).map(|(op, r)| (*op, r[9], r[8])).collect();
    weakest.sort_by(|a, b| (a.1 as f64 / a.2 as f64).total_cmp(&(b.1 as f64 / b.2 as f64)).then(b.2.cmp(&a.2)));
    let zero: Vec<String> = weakest.iter().filter(|w| w.1 == 0).map(|w| format!("{} (0/{})", w.0, w.2)).collect();
    println!("\nin-list ops passing none of their focus cases ({}): {}", zero.len(), zero.join(", "));
    let partial: Vec<String> =
        weakest.iter().filter(|w| w.1 > 0 && w.1 < w.2).map(|w| format!("{} ({}/{})", w.0, w.1, w.2)).collect();
    println!("in-list ops passing some of their focus cases ({}): {}", partial.len(), partial.join(", "));
    println!(
        "\nall node cases: {} — pass {}, wrong {}, error {}, panic {}, hang {}",
        results.len(),
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        totals[4]
    );

    let focus: Vec<_> = results.iter().filter(|r| r.2 && r.3).collect();
    let focus_pass = focus.iter().filter(|r| r.4 == Outcome::Pass).count();
    let rate = if focus.is_empty() { 0.0 } else { 100.0 * focus_pass as f64 / focus.len() as f64 };
    let mut focus_counts = [0usize; 5];
    for r in &focus {
        focus_counts[idx(&r.4)] += 1;
    }
    println!(
        "FIGURE: in-list ops & onnxruntime passes: {} cases; ours pass {} ({rate:.1}%), wrong {}, error {}, panic {}, hang {} (floor {PASS_RATE_FLOOR_PERCENT}%)",
        focus.len(),
        focus_pass,
        focus_counts[1],
        focus_counts[2],
        focus_counts[3],
        focus_counts[4]
    );
    let ort_fail_in_list = results.iter().filter(|r| r.2 && !r.3).count();
    println!("(in-list cases onnxruntime itself fails: {ort_fail_in_list}; not counted in the figure)");

    println!("\nerrors on in-list & onnxruntime-passing cases:");
    for (name, _, _, _, o) in &focus {
        if let Outcome::Error(e) = o {
            println!("  {name}: {}", e.lines().next().unwrap_or_default());
        }
    }
    let mut bad = Vec::new();
    let mut new_wrong = Vec::new();
    println!("\nwrong values / panics / hangs:");
    for (name, _, in_list, ort, o) in &results {
        match o {
            Outcome::Wrong(why) => {
                let listed = known.contains(name);
                println!(
                    "  WRONG{} {name} (in-list {in_list}, ort_pass {ort}): {why}",
                    if listed { " (known)" } else { "" }
                );
                if !listed {
                    new_wrong.push(name.clone());
                }
            }
            Outcome::Panic(m) => {
                println!("  PANIC {name}: {}", m.lines().next().unwrap_or_default());
                bad.push(format!("{name}: panic"));
            }
            Outcome::Hang => {
                println!("  HANG {name} (> {CASE_TIME_LIMIT:?})");
                bad.push(format!("{name}: hang"));
            }
            _ => {}
        }
    }
    let stale: Vec<_> =
        known.iter().filter(|k| results.iter().any(|r| &r.0 == *k && !matches!(r.4, Outcome::Wrong(_)))).collect();
    println!(
        "\n!!! tests/onnx_node_known_wrong.txt lists {} known wrong-value cases (tolerated here, still bugs) !!!",
        known.len()
    );
    if !stale.is_empty() {
        println!("    no longer wrong (remove them from the list): {stale:?}");
    }
    if let Ok(path) = std::env::var("ONNX_NODE_WRITE_WRONG") {
        let mut all: Vec<_> =
            results.iter().filter(|r| matches!(r.4, Outcome::Wrong(_))).map(|r| r.0.clone()).collect();
        all.sort();
        std::fs::write(&path, all.join("\n") + "\n").unwrap();
        println!("wrote {} wrong-value case names to {path}", all.len());
    }
    println!("node suite: {run_secs:.1} s for the cases, {:.1} s in all", t_all.elapsed().as_secs_f64());

    assert!(bad.is_empty(), "{} panics/hangs: {bad:?}", bad.len());
    assert!(
        new_wrong.is_empty(),
        "{} wrong values not in tests/onnx_node_known_wrong.txt: {new_wrong:?}",
        new_wrong.len()
    );
    if filter.is_none() {
        assert!(
            rate >= PASS_RATE_FLOOR_PERCENT,
            "pass rate {rate:.1}% of in-list onnxruntime-passing cases fell under the floor {PASS_RATE_FLOOR_PERCENT}%"
        );
    }
}

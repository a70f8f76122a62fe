#![cfg(not(target_arch = "wasm32"))]
//! Runs every fixture of `tests/fixtures/ops/` (single-op models run by onnxruntime, written by
//! `scripts/gen_op_fixtures.py`) through `run_op` and compares against onnxruntime's outputs: shapes and
//! dtypes exactly, integers exactly, floats within 1e-5 (scaled by magnitude). Reports failures by case name.
//! Each case runs with its opset; the `v_*` cases pin one version each of the ops whose meaning changed between
//! opsets (Softmax-11 vs 13, Resize-10/11/13/18/19, Upsample-9, Pad-11/19, Split-11/13/18, …).

use ndarray::{ArrayD, IxDyn};
use ppq_playground::graph::ops::{run_op, supported_ops};
use ppq_playground::graph::{AttrValue, Attributes, Tensor};
use serde_json::Value;
use std::path::PathBuf;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ops")
}

fn tensor(v: &Value) -> Result<Tensor, String> {
    let shape: Vec<usize> =
        v["shape"].as_array().ok_or("shape")?.iter().map(|d| d.as_u64().unwrap_or(0) as usize).collect();
    let data = v["data"].as_array().ok_or("data")?;
    let dt = v["dtype"].as_str().ok_or("dtype")?;
    let sh = IxDyn(&shape);
    let err = |e: ndarray::ShapeError| e.to_string();
    let ints = || data.iter().map(|x| x.as_i64().unwrap_or(i64::MIN)).collect::<Vec<_>>();
    Ok(match dt {
        "float32" => Tensor::F32(
            ArrayD::from_shape_vec(sh, data.iter().map(|x| x.as_f64().unwrap_or(f64::NAN) as f32).collect())
                .map_err(err)?,
        ),
        "int64" => Tensor::I64(ArrayD::from_shape_vec(sh, ints()).map_err(err)?),
        "int32" => {
            Tensor::I32(ArrayD::from_shape_vec(sh, ints().into_iter().map(|x| x as i32).collect()).map_err(err)?)
        }
        "int8" => Tensor::I8(ArrayD::from_shape_vec(sh, ints().into_iter().map(|x| x as i8).collect()).map_err(err)?),
        "uint8" => Tensor::U8(ArrayD::from_shape_vec(sh, ints().into_iter().map(|x| x as u8).collect()).map_err(err)?),
        "bool" => Tensor::Bool(
            ArrayD::from_shape_vec(sh, data.iter().map(|x| x.as_bool().unwrap_or(false)).collect()).map_err(err)?,
        ),
        other => return Err(format!("dtype {other}")),
    })
}

fn attribute(v: &Value) -> Result<AttrValue, String> {
    let val = &v["value"];
    let ints = |x: &Value| x.as_array().map(|a| a.iter().filter_map(Value::as_i64).collect::<Vec<_>>()).ok_or("ints");
    Ok(match v["type"].as_str().ok_or("type")? {
        "int" => AttrValue::Int(val.as_i64().ok_or("int")?),
        "ints" => AttrValue::Ints(ints(val)?),
        "float" => AttrValue::Float(val.as_f64().ok_or("float")? as f32),
        "floats" => AttrValue::Floats(
            val.as_array().ok_or("floats")?.iter().filter_map(|x| x.as_f64().map(|f| f as f32)).collect(),
        ),
        "string" => AttrValue::String(val.as_str().ok_or("string")?.as_bytes().to_vec()),
        "tensor" => AttrValue::Tensor(tensor(val)?),
        other => return Err(format!("attribute type {other}")),
    })
}

/// Compares one output; `None` when equal within tolerance.
fn compare(got: &Tensor, want: &Tensor) -> Option<String> {
    if got.shape() != want.shape() || got.dtype_name() != want.dtype_name() {
        return Some(format!(
            "got {} {:?}, want {} {:?}",
            got.dtype_name(),
            got.shape(),
            want.dtype_name(),
            want.shape()
        ));
    }
    match (got, want) {
        (Tensor::F32(g), Tensor::F32(w)) => {
            let mut worst = (0.0f32, 0usize);
            for (i, (&a, &b)) in g.iter().zip(w.iter()).enumerate() {
                let err = (a - b).abs() / b.abs().max(1.0);
                if err.is_nan() || err > worst.0 {
                    worst = (if err.is_nan() { f32::INFINITY } else { err }, i);
                }
            }
            (worst.0 > 1e-5).then(|| {
                let (a, b) = (g.iter().nth(worst.1), w.iter().nth(worst.1));
                format!("max rel err {:.3e} at flat index {} (got {a:?}, want {b:?})", worst.0, worst.1)
            })
        }
        _ => (got != want).then(|| format!("integer values differ: got {got:?}, want {want:?}")),
    }
}

fn run_case(doc: &Value) -> Result<(), String> {
    let op_type = doc["op_type"].as_str().ok_or("op_type")?;
    let mut attrs = Attributes::new(doc["name"].as_str().unwrap_or("?"));
    // The kernel gets the case's opset, as the importer passes the model's (Softmax-11 ≠ Softmax-13 …).
    attrs.opset = doc["opset"].as_i64().ok_or("opset")?;
    for (k, v) in doc["attributes"].as_object().ok_or("attributes")? {
        attrs = attrs.with(k, attribute(v)?);
    }
    let inputs: Vec<Option<Tensor>> = doc["inputs"]
        .as_array()
        .ok_or("inputs")?
        .iter()
        .map(|v| if v.is_null() { Ok(None) } else { tensor(v).map(Some) })
        .collect::<Result<_, _>>()?;
    let refs: Vec<Option<&Tensor>> = inputs.iter().map(Option::as_ref).collect();
    let want: Vec<Tensor> = doc["outputs"].as_array().ok_or("outputs")?.iter().map(tensor).collect::<Result<_, _>>()?;
    // As the executor runs a node (`validate::run_attributes`): a MaxPool listing Indices is asked for them, and
    // outputs beyond the node's (LayerNormalization's Mean/InvStdDev) are dropped.
    if op_type == "MaxPool" && want.len() > 1 {
        attrs = attrs.with("num_outputs", AttrValue::Int(2));
    }
    let mut got = run_op(op_type, &refs, &attrs).map_err(|e| format!("error: {e}"))?;
    got.truncate(want.len());
    if got.len() != want.len() {
        return Err(format!("{} outputs, want {}", got.len(), want.len()));
    }
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        if let Some(why) = compare(g, w) {
            return Err(format!("output {k}: {why}"));
        }
    }
    Ok(())
}

#[test]
fn every_fixture_matches_onnxruntime() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .expect("fixture dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 100, "expected the committed fixtures, found {}", paths.len());
    let mut failures = Vec::new();
    let mut op_types = std::collections::BTreeSet::new();
    for p in &paths {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json");
        op_types.insert(doc["op_type"].as_str().unwrap_or("").to_string());
        if let Err(why) = run_case(&doc) {
            failures.push(format!("{}: {why}", p.file_stem().unwrap_or_default().to_string_lossy()));
        }
    }
    println!("{} / {} op fixtures match onnxruntime", paths.len() - failures.len(), paths.len());
    assert!(failures.is_empty(), "{} failing cases:\n{}", failures.len(), failures.join("\n"));
    // The ~75 ops added for issue 16 (unary math, comparisons, Reduce*, indexing …) are measured on ONNX's own
    // node suite (tests/onnx_node_suite.rs) instead; the ops the playground had before must keep a fixture here.
    let untested: Vec<_> = supported_ops().iter().filter(|o| !op_types.contains(**o)).collect();
    println!("supported ops without a fixture here (covered by the ONNX node suite): {untested:?}");
    for op in ["Conv", "ConvTranspose", "Resize", "Upsample", "Einsum", "MaxPool", "AveragePool", "Pad", "Softmax"] {
        assert!(op_types.contains(op), "{op} lost its fixtures");
    }
}

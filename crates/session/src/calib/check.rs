//! Calibration samples against a model's inputs: names, dtypes, declared dims and finite values.

use super::{CalibSample, err};
use ppq_graph::ir::{BaseGraph, Dim, fmt_dims};
use ppq_graph::{GraphError, Tensor};

/// Checks samples against the model's graph inputs: every input present, no unknown names, the declared element
/// type and fixed dims (the leading batch dim may differ when symbolic), non-empty, and only finite float values.
pub fn check_samples(graph: &BaseGraph, samples: &[CalibSample]) -> Result<(), GraphError> {
    if samples.is_empty() {
        return Err(err("no calibration samples"));
    }
    let names: Vec<&str> = graph.inputs.iter().map(|&v| graph.var(v).name.as_str()).collect();
    for (k, sample) in samples.iter().enumerate() {
        if let Some(extra) = sample.keys().find(|n| !names.contains(&n.as_str())) {
            return Err(err(format!(
                "sample {k}: '{extra}' is not an input of the model (inputs: {})",
                names.join(", ")
            )));
        }
        for &v in &graph.inputs {
            let var = graph.var(v);
            let bad = |why: String| err(format!("sample {k}, input '{}': {why}", var.name));
            let t = sample.get(&var.name).ok_or_else(|| bad("missing".into()))?;
            if t.is_empty() {
                return Err(bad(format!("the array is empty (shape {:?})", t.shape())));
            }
            if let Some(dt) = var.dtype
                && dt != t.onnx_dtype()
            {
                return Err(bad(format!("has dtype {}, the model expects ONNX element type {dt}", t.dtype_name())));
            }
            if let Some(dims) = &var.shape {
                let fits = dims.len() == t.shape().len()
                    && dims
                        .iter()
                        .zip(t.shape())
                        .all(|(d, &s)| !matches!(d, Dim::Value(v) if usize::try_from(*v).ok() != Some(s)));
                if !fits {
                    return Err(bad(format!("has shape {:?}, the model declares {}", t.shape(), fmt_dims(dims))));
                }
            }
            if let Tensor::F32(a) = t {
                let mut bad_values = a.iter().enumerate().filter(|(_, x)| !x.is_finite());
                if let Some((i, x)) = bad_values.next() {
                    let n = 1 + bad_values.count();
                    return Err(bad(format!(
                        "{n} non-finite value(s) (first: {x} at flat index {i}); calibration data must be finite"
                    )));
                }
            }
        }
    }
    Ok(())
}

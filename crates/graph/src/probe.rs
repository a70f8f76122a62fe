//! The probe run: one fp32 forward pass on zeros of the declared input shapes, under the thread's budget.
//!
//! Static validation cannot see every size: a shape that comes out of a Shape → ConstantOfShape chain, pads read
//! from an initializer, a Gather over folded indices. Those are only known when the ops run, and a model that asks
//! for gigabytes there must be refused when the user opens it — not later, in the middle of a calibration, with
//! the page's earlier session already replaced. So opening a model (the page's worker, `inspect`, the corpus
//! tests) runs this probe after [`crate::validate`]: every op executes once with the budget's allocation and cost
//! checks, and the first refusal is the error the user sees. Symbolic, unknown and negative dims count as 1
//! (onnxruntime treats negative ones as dynamic too).

use crate::error::GraphError;
use crate::executor::{Executor, NoHook};
use crate::ir::{BaseGraph, Dim, VarId};
use crate::tensor::Tensor;
use ndarray::{ArrayD, IxDyn};

/// The shape the probe feeds input `v`: declared dims, 1 for symbolic/unknown/negative ones, `[1]` when no
/// shape is declared at all.
pub fn probe_shape(graph: &BaseGraph, v: VarId) -> Result<Vec<usize>, GraphError> {
    let var = graph.var(v);
    let Some(dims) = &var.shape else { return Ok(vec![1]) };
    dims.iter()
        .map(|d| match d {
            Dim::Value(x) if *x >= 0 => usize::try_from(*x).map_err(|_| {
                GraphError::TooLarge(format!("graph input '{}': dimension {x} does not fit this platform", var.name))
            }),
            _ => Ok(1),
        })
        .collect()
}

/// Zeros of ONNX element type `dtype` (float32 when undeclared) and shape `shape`.
fn zeros(name: &str, dtype: Option<i32>, shape: &[usize]) -> Result<Tensor, GraphError> {
    let s = IxDyn(shape);
    Ok(match dtype.unwrap_or(1) {
        1 => Tensor::F32(ArrayD::zeros(s)),
        2 => Tensor::U8(ArrayD::zeros(s)),
        3 => Tensor::I8(ArrayD::zeros(s)),
        4 => Tensor::U16(ArrayD::zeros(s)),
        5 => Tensor::I16(ArrayD::zeros(s)),
        6 => Tensor::I32(ArrayD::zeros(s)),
        7 => Tensor::I64(ArrayD::zeros(s)),
        9 => Tensor::Bool(ArrayD::from_elem(s, false)),
        12 => Tensor::U32(ArrayD::zeros(s)),
        13 => Tensor::U64(ArrayD::zeros(s)),
        t => {
            return Err(GraphError::Invalid(format!(
                "graph input '{name}': element type {t} cannot be fed (float32, integers or bool)"
            )));
        }
    })
}

/// Runs `graph` once in fp32 on zeros of its declared input shapes; the outputs are dropped. The feeds
/// themselves are checked against the budget before they are allocated.
pub fn probe_run(graph: &BaseGraph) -> Result<(), GraphError> {
    let mut feeds = Vec::with_capacity(graph.inputs.len());
    for &v in &graph.inputs {
        let var = graph.var(v);
        let shape = probe_shape(graph, v)?;
        let bytes = crate::checked::product(&shape).and_then(|n| n.checked_mul(crate::budget::ELEMENT_BYTES * 2));
        let limit = crate::budget::budget().memory_bytes;
        if bytes.is_none_or(|b| b > limit) {
            return Err(GraphError::TooLarge(format!(
                "graph input '{}': a probe input of shape {shape:?} is over the memory budget of {limit} bytes",
                var.name
            )));
        }
        feeds.push((var.name.as_str(), zeros(&var.name, var.dtype, &shape)?));
    }
    let exec = Executor::new(graph)?;
    exec.forward(&feeds, None, &mut NoHook)?;
    Ok(())
}

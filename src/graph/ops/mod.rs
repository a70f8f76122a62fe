//! The executor's op kernels: pure functions from input tensors and attributes to output tensors, on ndarray.
//! The executor knows nothing of individual ops; it calls [`run_op`].

use super::{Attributes, GraphError, Tensor};

/// Runs one ONNX op. `inputs` holds `None` for omitted optional inputs (empty names in ONNX).
/// Returns the op's outputs in order, or an error naming the op (`attrs.op`).
pub fn run_op(op_type: &str, inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Vec<Tensor>, GraphError> {
    let _ = inputs;
    Err(GraphError::UnsupportedOp { op: attrs.op.clone(), op_type: op_type.to_string() })
}

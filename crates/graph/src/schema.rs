//! The type constraints of the ONNX operator schemas, as far as the playground's kernels need them, checked at
//! load time. onnx.checker (with shape inference) and onnxruntime refuse a model that feeds an int64 tensor into
//! Conv or a float shape into Reshape; so does the playground, up front with a message naming the op, the
//! variable and the schema's input name, instead of failing halfway through a calibration run.
//!
//! Only element types known before running are checked (initializers, declared graph inputs, inferred outputs);
//! the kernels check the rest when they run.

use super::GraphError;

/// Which element types an input slot takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Allowed {
    /// float32 only (the kernels compute in f32; ONNX's float16/double are not [`crate::Tensor`] types).
    Float,
    /// int64 only (shapes, sizes, axes, pads).
    Int64,
    /// int32 or int64 (indices, Slice bounds).
    Index,
}

impl Allowed {
    fn admits(self, dtype: i32) -> bool {
        match self {
            Self::Float => dtype == 1,
            Self::Int64 => dtype == 7,
            Self::Index => dtype == 6 || dtype == 7,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Float => "float32",
            Self::Int64 => "int64",
            Self::Index => "int32 or int64",
        }
    }
}

/// (slot, schema input name, allowed types) for the inputs of `op_type` that have a fixed type; `n_inputs` tells
/// apart forms that changed with the opset (Resize's scales moved from slot 1 to 2).
pub fn input_constraints(op_type: &str, n_inputs: usize) -> &'static [(usize, &'static str, Allowed)] {
    use Allowed::{Float, Index, Int64};
    match op_type {
        "Conv" | "ConvTranspose" => &[(0, "X", Float), (1, "W", Float), (2, "B", Float)],
        "Gemm" => &[(0, "A", Float), (1, "B", Float), (2, "C", Float)],
        "MatMul" => &[(0, "A", Float), (1, "B", Float)],
        "BatchNormalization" => {
            &[(0, "X", Float), (1, "scale", Float), (2, "B", Float), (3, "input_mean", Float), (4, "input_var", Float)]
        }
        "LayerNormalization" => &[(0, "X", Float), (1, "Scale", Float), (2, "B", Float)],
        "PRelu" => &[(0, "X", Float), (1, "slope", Float)],
        "MaxPool" | "AveragePool" | "GlobalAveragePool" | "GlobalMaxPool" | "Relu" | "Sigmoid" | "Tanh"
        | "LeakyRelu" | "HardSigmoid" | "HardSwish" | "Erf" | "Gelu" | "Softmax" => &[(0, "X", Float)],
        "Resize" if n_inputs == 2 => &[(0, "X", Float), (1, "scales", Float)],
        "Resize" => &[(0, "X", Float), (2, "scales", Float), (3, "sizes", Int64)],
        "Reshape" => &[(1, "shape", Int64)],
        "Expand" => &[(1, "shape", Int64)],
        "ConstantOfShape" => &[(0, "input", Int64)],
        "Slice" => &[(1, "starts", Index), (2, "ends", Index), (3, "axes", Index), (4, "steps", Index)],
        "Gather" => &[(1, "indices", Index)],
        "Split" => &[(1, "split", Int64)],
        "Squeeze" | "Unsqueeze" => &[(1, "axes", Int64)],
        "ReduceMean" | "ReduceMax" | "ReduceMin" | "ReduceSum" => &[(1, "axes", Int64)],
        "Pad" => &[(1, "pads", Int64), (3, "axes", Index)],
        _ => &[],
    }
}

/// Ops whose inputs must all share one element type (the schema's single `T`).
const SAME_TYPE: &[&str] = &["Add", "Sub", "Mul", "Div", "Sum", "Concat"];

/// Checks the known input element types of one op. `inputs` holds (variable name, element type) per slot, `None`
/// for an omitted input or an unknown type.
pub fn check_inputs(op: &str, op_type: &str, inputs: &[Option<(&str, Option<i32>)>]) -> Result<(), GraphError> {
    for &(slot, schema_name, allowed) in input_constraints(op_type, inputs.len()) {
        if let Some(Some((var, Some(dt)))) = inputs.get(slot)
            && !allowed.admits(*dt)
        {
            return Err(GraphError::shape(
                op,
                format!(
                    "input '{var}' is {}, but {op_type} takes {} for input '{schema_name}'",
                    dtype_name(*dt),
                    allowed.describe()
                ),
            ));
        }
    }
    if SAME_TYPE.contains(&op_type) {
        let known: Vec<(&str, i32)> = inputs.iter().flatten().filter_map(|&(n, d)| Some((n, d?))).collect();
        if let Some(&(first, t)) = known.first()
            && let Some(&(other, u)) = known.iter().find(|&&(_, u)| u != t)
        {
            return Err(GraphError::shape(
                op,
                format!(
                    "inputs '{first}' ({}) and '{other}' ({}) must have the same element type for {op_type}",
                    dtype_name(t),
                    dtype_name(u)
                ),
            ));
        }
    }
    Ok(())
}

/// The ONNX element type's name for messages.
pub fn dtype_name(code: i32) -> String {
    let name = match code {
        1 => "float32",
        2 => "uint8",
        3 => "int8",
        4 => "uint16",
        5 => "int16",
        6 => "int32",
        7 => "int64",
        8 => "string",
        9 => "bool",
        10 => "float16",
        11 => "float64",
        12 => "uint32",
        13 => "uint64",
        16 => "bfloat16",
        other => return format!("element type {other}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_types_are_enforced_where_known() {
        let conv = [Some(("x", Some(7))), Some(("w", Some(1))), None];
        let e = check_inputs("c", "Conv", &conv).unwrap_err().to_string();
        assert_eq!(e, "op 'c': input 'x' is int64, but Conv takes float32 for input 'X'");
        assert!(check_inputs("c", "Conv", &[Some(("x", None)), Some(("w", Some(1)))]).is_ok(), "unknown is fine");
        let add = [Some(("a", Some(1))), Some(("b", Some(7)))];
        assert!(check_inputs("a", "Add", &add).unwrap_err().to_string().contains("'a' (float32) and 'b' (int64)"));
        assert!(check_inputs("s", "Slice", &[Some(("x", Some(1))), Some(("st", Some(6)))]).is_ok());
        assert!(check_inputs("r", "Resize", &[Some(("x", Some(1))), Some(("sc", Some(1)))]).is_ok());
        let sizes = [Some(("x", Some(1))), None, None, Some(("sz", Some(1)))];
        assert!(check_inputs("r", "Resize", &sizes).is_err());
    }
}

//! The values that flow through the executor: ndarray arrays of the ONNX element types the playground runs.
//! Quantized exports need integers, shape chains need int64, and everything else is f32.

use super::error::GraphError;
use ndarray::ArrayD;

/// A dense tensor value of one of the supported element types.
#[derive(Debug, Clone, PartialEq)]
pub enum Tensor {
    /// float32 (ONNX FLOAT = 1): activations and parameters.
    F32(ArrayD<f32>),
    /// int64 (ONNX INT64 = 7): shapes, indices, axes.
    I64(ArrayD<i64>),
    /// int32 (ONNX INT32 = 6): quantized biases.
    I32(ArrayD<i32>),
    /// int8 (ONNX INT8 = 3): symmetric quantized values.
    I8(ArrayD<i8>),
    /// uint8 (ONNX UINT8 = 2): asymmetric quantized values.
    U8(ArrayD<u8>),
    /// bool (ONNX BOOL = 9).
    Bool(ArrayD<bool>),
    /// int16 (ONNX INT16 = 5).
    I16(ArrayD<i16>),
    /// uint16 (ONNX UINT16 = 4).
    U16(ArrayD<u16>),
    /// uint32 (ONNX UINT32 = 12).
    U32(ArrayD<u32>),
    /// uint64 (ONNX UINT64 = 13).
    U64(ArrayD<u64>),
}

impl Tensor {
    /// The shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            Self::F32(a) => a.shape(),
            Self::I64(a) => a.shape(),
            Self::I32(a) => a.shape(),
            Self::I8(a) => a.shape(),
            Self::U8(a) => a.shape(),
            Self::Bool(a) => a.shape(),
            Self::I16(a) => a.shape(),
            Self::U16(a) => a.shape(),
            Self::U32(a) => a.shape(),
            Self::U64(a) => a.shape(),
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// True when the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ONNX `TensorProto.DataType` code.
    pub fn onnx_dtype(&self) -> i32 {
        match self {
            Self::F32(_) => 1,
            Self::U8(_) => 2,
            Self::I8(_) => 3,
            Self::I32(_) => 6,
            Self::I64(_) => 7,
            Self::Bool(_) => 9,
            Self::I16(_) => 5,
            Self::U16(_) => 4,
            Self::U32(_) => 12,
            Self::U64(_) => 13,
        }
    }

    /// A name of the element type for messages.
    pub fn dtype_name(&self) -> &'static str {
        match self {
            Self::F32(_) => "float32",
            Self::U8(_) => "uint8",
            Self::I8(_) => "int8",
            Self::I32(_) => "int32",
            Self::I64(_) => "int64",
            Self::Bool(_) => "bool",
            Self::I16(_) => "int16",
            Self::U16(_) => "uint16",
            Self::U32(_) => "uint32",
            Self::U64(_) => "uint64",
        }
    }

    /// Borrows the f32 array, or says which op needed it.
    pub fn as_f32(&self, op: &str) -> Result<&ArrayD<f32>, GraphError> {
        match self {
            Self::F32(a) => Ok(a),
            other => Err(GraphError::shape(op, format!("expected a float32 tensor, got {}", other.dtype_name()))),
        }
    }

    /// The values as i64 (for shape/index inputs given as int64 or int32).
    pub fn to_i64_vec(&self, op: &str) -> Result<Vec<i64>, GraphError> {
        match self {
            Self::I64(a) => Ok(a.iter().copied().collect()),
            Self::I32(a) => Ok(a.iter().map(|&v| v as i64).collect()),
            Self::I16(a) => Ok(a.iter().map(|&v| v as i64).collect()),
            Self::I8(a) => Ok(a.iter().map(|&v| v as i64).collect()),
            Self::U8(a) => Ok(a.iter().map(|&v| v as i64).collect()),
            Self::U16(a) => Ok(a.iter().map(|&v| v as i64).collect()),
            Self::U32(a) => Ok(a.iter().map(|&v| v as i64).collect()),
            other => Err(GraphError::shape(op, format!("expected an integer tensor, got {}", other.dtype_name()))),
        }
    }

    /// The values as f32 (for scalar float inputs such as Clip min/max).
    pub fn to_f32_vec(&self) -> Vec<f32> {
        match self {
            Self::F32(a) => a.iter().copied().collect(),
            Self::I64(a) => a.iter().map(|&v| v as f32).collect(),
            Self::I32(a) => a.iter().map(|&v| v as f32).collect(),
            Self::I8(a) => a.iter().map(|&v| v as f32).collect(),
            Self::U8(a) => a.iter().map(|&v| v as f32).collect(),
            Self::Bool(a) => a.iter().map(|&v| v as u8 as f32).collect(),
            Self::I16(a) => a.iter().map(|&v| v as f32).collect(),
            Self::U16(a) => a.iter().map(|&v| v as f32).collect(),
            Self::U32(a) => a.iter().map(|&v| v as f32).collect(),
            Self::U64(a) => a.iter().map(|&v| v as f32).collect(),
        }
    }
}

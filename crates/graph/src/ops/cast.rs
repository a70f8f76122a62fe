//! Cast and CastLike. The executor computes floats in f32, so float16, bfloat16 and float64 are represented as
//! float32: casting to float16/bfloat16 rounds each value to that format (round to nearest even) and keeps it
//! as f32, which is exactly what a later cast back to float gives in onnxruntime.

use super::numeric::{Elem, with_num};
use super::{Attributes, GraphError, Tensor, input};

/// ONNX element type codes.
pub(crate) const FLOAT: i64 = 1;
pub(crate) const FLOAT16: i64 = 10;
pub(crate) const DOUBLE: i64 = 11;
pub(crate) const BFLOAT16: i64 = 16;

/// Every value as f64 (exact for every stored type), bools as 0/1.
fn as_f64(x: &Tensor) -> ndarray::ArrayD<f64> {
    let bools = |a: &ndarray::ArrayD<bool>| a.mapv(|v| f64::from(u8::from(v)));
    with_num!(x, a, a.mapv(Elem::to_f64), if let Tensor::Bool(a) = x { bools(a) } else { Default::default() })
}

/// Converts `x` to the ONNX element type `to`.
pub(super) fn cast_to(x: &Tensor, to: i64, attrs: &Attributes) -> Result<Tensor, GraphError> {
    // Integer → integer goes through i128 so that wrapping matches C's conversions for every width.
    macro_rules! int {
        ($t:ty, $v:ident) => {
            Tensor::$v(match x {
                Tensor::F32(a) => a.mapv(|v| v as $t),
                Tensor::Bool(a) => a.mapv(|v| if v { 1 } else { 0 }),
                Tensor::I64(a) => a.mapv(|v| v as $t),
                Tensor::I32(a) => a.mapv(|v| v as $t),
                Tensor::I8(a) => a.mapv(|v| v as $t),
                Tensor::U8(a) => a.mapv(|v| v as $t),
                Tensor::I16(a) => a.mapv(|v| v as $t),
                Tensor::U16(a) => a.mapv(|v| v as $t),
                Tensor::U32(a) => a.mapv(|v| v as $t),
                Tensor::U64(a) => a.mapv(|v| v as $t),
            })
        };
    }
    let as_f32 = || match x {
        Tensor::F32(a) => a.clone(),
        other => as_f64(other).mapv(|v| v as f32),
    };
    Ok(match to {
        FLOAT | DOUBLE => Tensor::F32(as_f32()),
        FLOAT16 => Tensor::F32(as_f32().mapv(|v| half::f16::from_f32(v).to_f32())),
        BFLOAT16 => Tensor::F32(as_f32().mapv(|v| half::bf16::from_f32(v).to_f32())),
        2 => int!(u8, U8),
        3 => int!(i8, I8),
        4 => int!(u16, U16),
        5 => int!(i16, I16),
        6 => int!(i32, I32),
        7 => int!(i64, I64),
        12 => int!(u32, U32),
        13 => int!(u64, U64),
        9 => Tensor::Bool(match x {
            Tensor::Bool(a) => a.clone(),
            Tensor::F32(a) => a.mapv(|v| v != 0.0),
            other => as_f64(other).mapv(|v| v != 0.0),
        }),
        8 => return Err(GraphError::attribute(&attrs.op, "to", "string tensors are not supported")),
        other => {
            return Err(GraphError::attribute(
                &attrs.op,
                "to",
                format!("unsupported target element type code {other}"),
            ));
        }
    })
}

/// Cast to the element type code in `to`.
pub(super) fn cast(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    if !attrs.has("to") {
        return Err(GraphError::attribute(&attrs.op, "to", "Cast needs the target element type"));
    }
    cast_to(x, attrs.int_or("to", 0)?, attrs)
}

/// CastLike(x, like): Cast to the element type of `like`. A float32 `like` may stand for float16/bfloat16/float64
/// (all stored as float32); its true type is unknown here, so it casts to float32.
pub(super) fn cast_like(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let like = input(inputs, 1, attrs)?;
    cast_to(x, i64::from(like.onnx_dtype()), attrs)
}

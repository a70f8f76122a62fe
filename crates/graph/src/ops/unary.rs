//! Float elementwise math and activations that map each element on its own (Exp, Log, trigonometry,
//! Elu/Selu/Celu, Softplus, Mish …), plus the float predicates IsNaN and IsInf.

use super::{Attributes, GraphError, Tensor, f32_input};

/// The op types [`unary`] implements.
pub(super) const OPS: &[&str] = &[
    "Acos",
    "Acosh",
    "Asin",
    "Asinh",
    "Atan",
    "Atanh",
    "Ceil",
    "Celu",
    "Cos",
    "Cosh",
    "Elu",
    "Exp",
    "Floor",
    "Log",
    "Mish",
    "Reciprocal",
    "Round",
    "Selu",
    "Sin",
    "Sinh",
    "Softplus",
    "Softsign",
    "Sqrt",
    "Tan",
    "ThresholdedRelu",
];

/// ln(1 + e^x) without overflow for large x.
fn softplus(v: f32) -> f32 {
    if v > 0.0 { v + (-v).exp().ln_1p() } else { v.exp().ln_1p() }
}

/// One of [`OPS`] on a float32 tensor.
pub(super) fn unary(op_type: &str, inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let alpha = |d: f32| attrs.float_or("alpha", d);
    let y = match op_type {
        "Exp" => x.mapv(f32::exp),
        "Log" => x.mapv(f32::ln),
        "Sqrt" => x.mapv(f32::sqrt),
        "Reciprocal" => x.mapv(|v| 1.0 / v),
        "Ceil" => x.mapv(f32::ceil),
        "Floor" => x.mapv(f32::floor),
        // ONNX rounds halves to even, like numpy.
        "Round" => x.mapv(f32::round_ties_even),
        "Sin" => x.mapv(f32::sin),
        "Cos" => x.mapv(f32::cos),
        "Tan" => x.mapv(f32::tan),
        "Asin" => x.mapv(f32::asin),
        "Acos" => x.mapv(f32::acos),
        "Atan" => x.mapv(f32::atan),
        "Sinh" => x.mapv(f32::sinh),
        "Cosh" => x.mapv(f32::cosh),
        "Asinh" => x.mapv(f32::asinh),
        "Acosh" => x.mapv(f32::acosh),
        "Atanh" => x.mapv(f32::atanh),
        "Elu" => {
            let a = alpha(1.0)?;
            x.mapv(|v| if v < 0.0 { a * (v.exp() - 1.0) } else { v })
        }
        "Selu" => {
            let a = alpha(1.673_263_2)?;
            let g = attrs.float_or("gamma", 1.050_701)?;
            x.mapv(|v| if v > 0.0 { g * v } else { g * (a * v.exp() - a) })
        }
        "Celu" => {
            let a = alpha(1.0)?;
            if a == 0.0 {
                return Err(GraphError::attribute(&attrs.op, "alpha", "Celu's alpha must not be 0"));
            }
            x.mapv(|v| v.max(0.0) + (a * ((v / a).exp() - 1.0)).min(0.0))
        }
        "Softplus" => x.mapv(softplus),
        "Softsign" => x.mapv(|v| v / (1.0 + v.abs())),
        "ThresholdedRelu" => {
            let a = alpha(1.0)?;
            x.mapv(|v| if v > a { v } else { 0.0 })
        }
        "Mish" => x.mapv(|v| v * softplus(v).tanh()),
        _ => return Err(GraphError::UnsupportedOp { op: attrs.op.clone(), op_type: op_type.to_string() }),
    };
    Ok(Tensor::F32(y))
}

/// Shrink: `x + bias` below `-lambd`, `x - bias` above `lambd`, else 0 (float and integer inputs).
pub(super) fn shrink(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let lambd = attrs.float_or("lambd", 0.5)? as f64;
    let bias = attrs.float_or("bias", 0.0)? as f64;
    let f = |v: f64| {
        if v < -lambd {
            v + bias
        } else if v > lambd {
            v - bias
        } else {
            0.0
        }
    };
    let x = super::input(inputs, 0, attrs)?;
    use super::numeric::Elem;
    macro_rules! go {
        ($a:expr) => {
            $a.mapv(|v| Elem::from_f64(f(Elem::to_f64(v))))
        };
    }
    Ok(match x {
        Tensor::F32(a) => Tensor::F32(go!(a)),
        Tensor::I64(a) => Tensor::I64(go!(a)),
        Tensor::I32(a) => Tensor::I32(go!(a)),
        Tensor::I8(a) => Tensor::I8(go!(a)),
        Tensor::U8(a) => Tensor::U8(go!(a)),
        Tensor::I16(a) => Tensor::I16(go!(a)),
        Tensor::U16(a) => Tensor::U16(go!(a)),
        Tensor::U32(a) => Tensor::U32(go!(a)),
        Tensor::U64(a) => Tensor::U64(go!(a)),
        Tensor::Bool(_) => return Err(GraphError::shape(&attrs.op, "Shrink needs a numeric input, got bool")),
    })
}

/// IsNaN, and IsInf with its `detect_positive` / `detect_negative` switches.
pub(super) fn float_predicate(
    op_type: &str,
    inputs: &[Option<&Tensor>],
    attrs: &Attributes,
) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    if op_type == "IsNaN" {
        return Ok(Tensor::Bool(x.mapv(f32::is_nan)));
    }
    let pos = attrs.int_or("detect_positive", 1)? != 0;
    let neg = attrs.int_or("detect_negative", 1)? != 0;
    Ok(Tensor::Bool(x.mapv(|v| v.is_infinite() && ((v > 0.0 && pos) || (v < 0.0 && neg)))))
}

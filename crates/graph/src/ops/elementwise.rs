//! Elementwise ops: numpy-broadcast arithmetic (float and the integer types shape chains use) and activations.

use super::{Attributes, GraphError, Tensor, broadcast_shapes, f32_input, input, opt_input};
use ndarray::{ArrayD, IxDyn, Zip};

/// Broadcasts `a` and `b` to their common shape and combines them elementwise with `f`.
fn zip_broadcast<T: Copy, U>(
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    attrs: &Attributes,
    f: impl Fn(T, T) -> U,
) -> Result<ArrayD<U>, GraphError> {
    let shape = broadcast_shapes(a.shape(), b.shape(), attrs)?;
    let bad = || GraphError::shape(&attrs.op, format!("cannot broadcast {:?} with {:?}", a.shape(), b.shape()));
    let av = a.broadcast(IxDyn(&shape)).ok_or_else(bad)?;
    let bv = b.broadcast(IxDyn(&shape)).ok_or_else(bad)?;
    Ok(Zip::from(&av).and(&bv).map_collect(|&x, &y| f(x, y)))
}

/// Integer arithmetic with ONNX semantics (wrapping, truncating division); division by zero is an error
/// rather than a trap.
macro_rules! int_binary {
    ($a:expr, $b:expr, $op_type:expr, $attrs:expr, $variant:ident) => {{
        if $op_type == "Div" && $b.iter().any(|&v| v == 0) {
            return Err(GraphError::shape(&$attrs.op, "integer division by zero"));
        }
        Tensor::$variant(match $op_type {
            "Add" => zip_broadcast($a, $b, $attrs, |x, y| x.wrapping_add(y))?,
            "Sub" => zip_broadcast($a, $b, $attrs, |x, y| x.wrapping_sub(y))?,
            "Mul" => zip_broadcast($a, $b, $attrs, |x, y| x.wrapping_mul(y))?,
            _ => zip_broadcast($a, $b, $attrs, |x, y| x.wrapping_div(y))?,
        })
    }};
}

/// Add, Sub, Mul, Div with numpy broadcasting; both inputs must share a dtype (float32, int64 or int32).
pub(super) fn binary(op_type: &str, inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let a = input(inputs, 0, attrs)?;
    let b = input(inputs, 1, attrs)?;
    Ok(match (a, b) {
        (Tensor::F32(a), Tensor::F32(b)) => Tensor::F32(match op_type {
            "Add" => zip_broadcast(a, b, attrs, |x, y| x + y)?,
            "Sub" => zip_broadcast(a, b, attrs, |x, y| x - y)?,
            "Mul" => zip_broadcast(a, b, attrs, |x, y| x * y)?,
            _ => zip_broadcast(a, b, attrs, |x, y| x / y)?,
        }),
        (Tensor::I64(a), Tensor::I64(b)) => int_binary!(a, b, op_type, attrs, I64),
        (Tensor::I32(a), Tensor::I32(b)) => int_binary!(a, b, op_type, attrs, I32),
        _ => {
            return Err(GraphError::shape(
                &attrs.op,
                format!(
                    "{op_type} needs two float32, int64 or int32 inputs, got {} and {}",
                    a.dtype_name(),
                    b.dtype_name()
                ),
            ));
        }
    })
}

/// The error function in f64 (std has no stable `erf`): the Maclaurin series for |x| < 2 and the
/// continued fraction of erfc above, both far more accurate than f32 resolution.
pub(crate) fn erf(x: f64) -> f64 {
    let ax = x.abs();
    let r = if ax < 2.0 {
        // Maclaurin series: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)).
        let (mut term, mut sum, x2) = (ax, ax, ax * ax);
        for n in 1..80 {
            term *= -x2 / n as f64;
            let add = term / (2 * n + 1) as f64;
            sum += add;
            if add.abs() < 1e-17 {
                break;
            }
        }
        sum * std::f64::consts::FRAC_2_SQRT_PI
    } else if ax > 6.0 {
        1.0
    } else {
        1.0 - erfc_cf(ax)
    };
    if x < 0.0 { -r } else { r }
}

/// erfc(x) for x ≥ 2 by its continued fraction: erfc(x) = exp(-x²)/sqrt(pi) · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))).
fn erfc_cf(x: f64) -> f64 {
    // Evaluate K = x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))) bottom-up with enough terms for x ≥ 2.
    let mut k = x;
    for n in (1..200).rev() {
        k = x + (n as f64 / 2.0) / k;
    }
    (-x * x).exp() / std::f64::consts::PI.sqrt() / k
}

/// Activations that map each float element independently.
pub(super) fn unary(op_type: &str, inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let y = match op_type {
        "Relu" => x.mapv(|v| v.max(0.0)),
        "Sigmoid" => x.mapv(|v| 1.0 / (1.0 + (-v).exp())),
        "Tanh" => x.mapv(f32::tanh),
        "LeakyRelu" => {
            let alpha = attrs.float_or("alpha", 0.01)?;
            x.mapv(|v| if v < 0.0 { alpha * v } else { v })
        }
        "HardSigmoid" => {
            let alpha = attrs.float_or("alpha", 0.2)?;
            let beta = attrs.float_or("beta", 0.5)?;
            x.mapv(|v| (alpha * v + beta).clamp(0.0, 1.0))
        }
        "HardSwish" => x.mapv(|v| v * (v / 6.0 + 0.5).clamp(0.0, 1.0)),
        "Erf" => x.mapv(|v| erf(v as f64) as f32),
        "Gelu" => match attrs.string_or("approximate", "none")?.as_str() {
            "none" => x.mapv(|v| (0.5 * v as f64 * (1.0 + erf(v as f64 * std::f64::consts::FRAC_1_SQRT_2))) as f32),
            "tanh" => x.mapv(|v| {
                let v = v as f64;
                let c = (2.0 / std::f64::consts::PI).sqrt();
                (0.5 * v * (1.0 + (c * (v + 0.044715 * v * v * v)).tanh())) as f32
            }),
            other => {
                return Err(GraphError::attribute(&attrs.op, "approximate", format!("unknown value '{other}'")));
            }
        },
        _ => return Err(GraphError::UnsupportedOp { op: attrs.op.clone(), op_type: op_type.to_string() }),
    };
    Ok(Tensor::F32(y))
}

/// Reads a scalar bound given as an optional input (opset ≥ 11).
fn scalar_input(inputs: &[Option<&Tensor>], i: usize, attrs: &Attributes) -> Result<Option<f32>, GraphError> {
    match opt_input(inputs, i) {
        None => Ok(None),
        Some(t) if t.len() == 1 => Ok(t.to_f32_vec().first().copied()),
        Some(t) => Err(GraphError::shape(&attrs.op, format!("input #{i} must be a scalar, has shape {:?}", t.shape()))),
    }
}

/// Clip: bounds from the `min`/`max` attributes (opset < 11) or from inputs 1 and 2.
pub(super) fn clip(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let lo = match scalar_input(inputs, 1, attrs)? {
        Some(v) => v,
        None => attrs.float_or("min", f32::NEG_INFINITY)?,
    };
    let hi = match scalar_input(inputs, 2, attrs)? {
        Some(v) => v,
        None => attrs.float_or("max", f32::INFINITY)?,
    };
    // Not f32::clamp: it panics when lo > hi; ONNX (and onnxruntime) apply max then min.
    if lo.is_nan() || hi.is_nan() {
        return Ok(Tensor::F32(x.mapv(|v| v.max(lo).min(hi))));
    }
    // With both bounds numbers, `max(v, lo)` is `v >= lo ? v : lo` (a NaN v gives lo) and `min(a, hi)` is
    // `a <= hi ? a : hi`: plain compare-and-select that vectorises (simd128, SSE), unlike f32::max/min.
    let clip = |v: f32| {
        let a = if v >= lo { v } else { lo };
        if a <= hi { a } else { hi }
    };
    let x = x.as_standard_layout();
    let Some(src) = x.as_slice() else { return Ok(Tensor::F32(x.mapv(clip))) };
    let y = src.iter().map(|&v| clip(v)).collect();
    ArrayD::from_shape_vec(x.raw_dim(), y).map(Tensor::F32).map_err(|e| GraphError::shape(&attrs.op, e.to_string()))
}

/// PRelu: `slope` broadcasts unidirectionally to X (typically shape [C,1,1] against N×C×H×W).
pub(super) fn prelu(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let slope = f32_input(inputs, 1, attrs)?;
    let out = zip_broadcast(x, slope, attrs, |v, s| if v < 0.0 { v * s } else { v })?;
    if out.shape() != x.shape() {
        return Err(GraphError::shape(
            &attrs.op,
            format!("slope {:?} does not broadcast to X {:?}", slope.shape(), x.shape()),
        ));
    }
    Ok(Tensor::F32(out))
}

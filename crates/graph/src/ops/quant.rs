//! QuantizeLinear / DequantizeLinear, per-tensor and per-axis, int8/uint8/int32, so QDQ exports can be run
//! and checked against the fake-quant executor.

use super::{Attributes, GraphError, Tensor, f32_input, input, norm_axis, opt_input};
use ndarray::{ArrayD, IxDyn};

/// Expands a scale / zero-point of shape [] or [C] to X's shape along `axis` (per-tensor or per-axis).
fn per_axis<T: Clone>(p: &ArrayD<T>, x: &[usize], attrs: &Attributes, name: &str) -> Result<ArrayD<T>, GraphError> {
    if p.len() == 1 {
        let v = p.iter().next().cloned().ok_or_else(|| GraphError::shape(&attrs.op, format!("{name} is empty")))?;
        return Ok(ArrayD::from_elem(IxDyn(x), v));
    }
    if p.ndim() != 1 {
        return Err(GraphError::shape(&attrs.op, format!("{name} must be a scalar or 1-D, has shape {:?}", p.shape())));
    }
    let axis = norm_axis(attrs.int_or("axis", 1)?, x.len(), attrs)?;
    if x[axis] != p.len() {
        return Err(GraphError::shape(
            &attrs.op,
            format!("{name} has {} values but axis {axis} of X has size {}", p.len(), x[axis]),
        ));
    }
    let mut shape = vec![1; x.len()];
    shape[axis] = p.len();
    let v = p.view().into_shape_with_order(IxDyn(&shape)).map_err(|_| GraphError::shape(&attrs.op, "reshape"))?;
    v.broadcast(IxDyn(x)).map(|b| b.to_owned()).ok_or_else(|| GraphError::shape(&attrs.op, "broadcast"))
}

/// QuantizeLinear: `saturate(round_ties_even(x / scale) + zero_point)`; output dtype from the zero point
/// (uint8 when it is omitted).
pub(super) fn quantize(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let scale = per_axis(f32_input(inputs, 1, attrs)?, x.shape(), attrs, "y_scale")?;
    let zp = opt_input(inputs, 2);
    let zf = match zp {
        Some(z) => {
            let zs: Vec<f32> = z.to_f32_vec();
            let za = ArrayD::from_shape_vec(IxDyn(z.shape()), zs)
                .map_err(|_| GraphError::shape(&attrs.op, "y_zero_point"))?;
            per_axis(&za, x.shape(), attrs, "y_zero_point")?
        }
        None => ArrayD::zeros(IxDyn(x.shape())),
    };
    let mut q = ArrayD::<f64>::zeros(IxDyn(x.shape()));
    ndarray::Zip::from(&mut q).and(x).and(&scale).and(&zf).for_each(|q, &v, &s, &z| {
        *q = ((v / s) as f64).round_ties_even() + z as f64;
    });
    Ok(match zp {
        None | Some(Tensor::U8(_)) => Tensor::U8(q.mapv(|v| v.clamp(0.0, 255.0) as u8)),
        Some(Tensor::I8(_)) => Tensor::I8(q.mapv(|v| v.clamp(-128.0, 127.0) as i8)),
        Some(Tensor::I32(_)) => Tensor::I32(q.mapv(|v| v.clamp(i32::MIN as f64, i32::MAX as f64) as i32)),
        Some(other) => {
            return Err(GraphError::shape(&attrs.op, format!("unsupported zero-point dtype {}", other.dtype_name())));
        }
    })
}

/// DequantizeLinear: `(x − zero_point) · scale` as float32.
pub(super) fn dequantize(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    if !matches!(x, Tensor::I8(_) | Tensor::U8(_) | Tensor::I32(_)) {
        return Err(GraphError::shape(&attrs.op, format!("x must be int8, uint8 or int32, got {}", x.dtype_name())));
    }
    // Through f64, so int32 values above 2^24 stay exact.
    let xf: ArrayD<f64> = match x {
        Tensor::I8(a) => a.mapv(f64::from),
        Tensor::U8(a) => a.mapv(f64::from),
        Tensor::I32(a) => a.mapv(f64::from),
        _ => return Err(GraphError::shape(&attrs.op, "x must be an integer tensor")),
    };
    let scale = per_axis(f32_input(inputs, 1, attrs)?, x.shape(), attrs, "x_scale")?;
    let zp = match opt_input(inputs, 2) {
        Some(z) => {
            if z.dtype_name() != x.dtype_name() {
                return Err(GraphError::shape(&attrs.op, "x_zero_point must have the dtype of x"));
            }
            let za = ArrayD::from_shape_vec(IxDyn(z.shape()), z.to_f32_vec())
                .map_err(|_| GraphError::shape(&attrs.op, "zp"))?;
            per_axis(&za, x.shape(), attrs, "x_zero_point")?
        }
        None => ArrayD::zeros(IxDyn(x.shape())),
    };
    let mut y = ArrayD::<f32>::zeros(IxDyn(x.shape()));
    ndarray::Zip::from(&mut y).and(&xf).and(&scale).and(&zp).for_each(|y, &v, &s, &z| {
        *y = ((v - z as f64) * s as f64) as f32;
    });
    Ok(Tensor::F32(y))
}

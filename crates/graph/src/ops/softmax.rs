//! Softmax, LogSoftmax and Hardmax with both of ONNX's meanings: from opset 13 they work along one `axis`
//! (default -1); before 13 the input is flattened to 2-D at `axis` (default 1) and the op runs over each row of
//! the flattened tensor, i.e. over all axes from `axis` on.

use super::{Attributes, GraphError, Tensor, f32_input, norm_axis};
use ndarray::{ArrayD, Axis, IxDyn};

/// One op of the family over a contiguous row.
fn row(op_type: &str, r: &mut [f32]) {
    let m = r.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    match op_type {
        "Hardmax" => {
            // The first maximum gets 1 (onnxruntime and the reference agree on the first occurrence).
            let first = r.iter().position(|&v| v == m);
            for (i, v) in r.iter_mut().enumerate() {
                *v = if Some(i) == first { 1.0 } else { 0.0 };
            }
        }
        "LogSoftmax" => {
            let s: f32 = r.iter().map(|&v| (v - m).exp()).sum();
            let ls = s.ln();
            r.iter_mut().for_each(|v| *v = *v - m - ls);
        }
        _ => {
            r.iter_mut().for_each(|v| *v = (*v - m).exp());
            let s: f32 = r.iter().sum();
            r.iter_mut().for_each(|v| *v /= s);
        }
    }
}

/// Softmax / LogSoftmax / Hardmax at the op's opset.
pub(super) fn softmax_family(
    op_type: &str,
    inputs: &[Option<&Tensor>],
    attrs: &Attributes,
) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    if x.ndim() == 0 {
        return Err(GraphError::shape(&attrs.op, format!("{op_type} needs rank ≥ 1")));
    }
    if attrs.before(13) {
        // Flatten to [prod(shape[..axis]), prod(shape[axis..])] and work on rows.
        let axis = norm_axis(attrs.int_or("axis", 1)?, x.ndim(), attrs)?;
        let inner: usize = x.shape()[axis..].iter().product();
        let mut v: Vec<f32> = x.as_standard_layout().iter().copied().collect();
        if inner > 0 {
            v.chunks_mut(inner).for_each(|r| row(op_type, r));
        }
        return ArrayD::from_shape_vec(IxDyn(x.shape()), v)
            .map(Tensor::F32)
            .map_err(|e| GraphError::shape(&attrs.op, e.to_string()));
    }
    let axis = norm_axis(attrs.int_or("axis", -1)?, x.ndim(), attrs)?;
    let mut y = x.clone();
    let mut buf = Vec::new();
    for mut lane in y.lanes_mut(Axis(axis)) {
        buf.clear();
        buf.extend(lane.iter().copied());
        row(op_type, &mut buf);
        lane.iter_mut().zip(&buf).for_each(|(d, &s)| *d = s);
    }
    Ok(Tensor::F32(y))
}

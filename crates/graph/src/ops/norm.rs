//! Softmax, LayerNormalization and inference-mode BatchNormalization.

use super::{Attributes, GraphError, Tensor, f32_input, norm_axis, opt_input};
use ndarray::{ArrayD, Axis, IxDyn};

/// LayerNormalization: normalizes over axes `axis..rank`, then `· Scale + B` (both broadcast to those axes).
/// Outputs Y and the optional Mean and InvStdDev (shape `x.shape[..axis]` followed by ones).
pub(super) fn layer_norm(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Vec<Tensor>, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    if x.ndim() == 0 {
        return Err(GraphError::shape(&attrs.op, "LayerNormalization needs rank ≥ 1"));
    }
    let axis = norm_axis(attrs.int_or("axis", -1)?, x.ndim(), attrs)?;
    let eps = attrs.float_or("epsilon", 1e-5)?;
    let outer: usize = x.shape()[..axis].iter().product();
    let inner: usize = x.shape()[axis..].iter().product();
    let inner_shape = IxDyn(&x.shape()[axis..]);
    let expand = |t: &ArrayD<f32>, name: &str| -> Result<Vec<f32>, GraphError> {
        t.broadcast(inner_shape.clone()).map(|v| v.iter().copied().collect()).ok_or_else(|| {
            GraphError::shape(
                &attrs.op,
                format!("{name} {:?} does not broadcast to {:?}", t.shape(), &x.shape()[axis..]),
            )
        })
    };
    let scale = expand(f32_input(inputs, 1, attrs)?, "Scale")?;
    let bias = match opt_input(inputs, 2) {
        Some(b) => expand(b.as_f32(&attrs.op)?, "B")?,
        None => vec![0.0; inner],
    };
    let xs = x.as_standard_layout();
    let flat = xs.to_shape((outer, inner)).map_err(|_| GraphError::shape(&attrs.op, "input reshape"))?;
    let mut out = Vec::with_capacity(outer * inner);
    let (mut means, mut invs) = (Vec::with_capacity(outer), Vec::with_capacity(outer));
    for row in flat.outer_iter() {
        let mean = row.iter().map(|&v| v as f64).sum::<f64>() / inner.max(1) as f64;
        let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / inner.max(1) as f64;
        let inv = 1.0 / (var + eps as f64).sqrt();
        out.extend(row.iter().zip(&scale).zip(&bias).map(|((&v, &s), &b)| ((v as f64 - mean) * inv) as f32 * s + b));
        means.push(mean as f32);
        invs.push(inv as f32);
    }
    let y = ArrayD::from_shape_vec(IxDyn(x.shape()), out).map_err(|_| GraphError::shape(&attrs.op, "output"))?;
    let stat_shape: Vec<usize> = (0..x.ndim()).map(|i| if i < axis { x.shape()[i] } else { 1 }).collect();
    let stat = |v: Vec<f32>| {
        ArrayD::from_shape_vec(IxDyn(&stat_shape), v)
            .map(Tensor::F32)
            .map_err(|_| GraphError::shape(&attrs.op, "output"))
    };
    Ok(vec![Tensor::F32(y), stat(means)?, stat(invs)?])
}

/// BatchNormalization in inference mode: `(x − mean) / sqrt(var + ε) · scale + B` per channel (axis 1).
pub(super) fn batch_norm(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    if x.ndim() < 2 {
        return Err(GraphError::shape(&attrs.op, format!("input must be N×C×…, has shape {:?}", x.shape())));
    }
    if attrs.int_or("training_mode", 0)? != 0 {
        return Err(GraphError::attribute(&attrs.op, "training_mode", "only inference mode is supported"));
    }
    let c = x.shape()[1];
    let eps = attrs.float_or("epsilon", 1e-5)?;
    let mut params = Vec::with_capacity(4);
    for (i, name) in [(1, "scale"), (2, "B"), (3, "mean"), (4, "var")] {
        let p = f32_input(inputs, i, attrs)?;
        if p.shape() != [c] {
            return Err(GraphError::shape(&attrs.op, format!("{name} has shape {:?}, expected [{c}]", p.shape())));
        }
        params.push(p);
    }
    let mut y = x.clone();
    for (ch, mut plane) in y.axis_iter_mut(Axis(1)).enumerate() {
        let (s, b, m, v) = (params[0][[ch]], params[1][[ch]], params[2][[ch]], params[3][[ch]]);
        let k = s / (v + eps).sqrt();
        plane.mapv_inplace(|t| (t - m) * k + b);
    }
    Ok(Tensor::F32(y))
}

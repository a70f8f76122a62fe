//! Resize (nearest and linear) from scales or sizes. Both modes are separable, so the kernel resizes one axis
//! at a time; multilinear interpolation equals successive 1-D linear passes.

use super::{Attributes, GraphError, Tensor, f32_input, opt_input};
use ndarray::{ArrayD, Axis, IxDyn};

/// Maps an output coordinate to the input coordinate system.
fn source_coord(mode: &str, x: usize, scale: f64, in_len: usize, out_len: usize) -> Option<f64> {
    let x = x as f64;
    Some(match mode {
        "half_pixel" => (x + 0.5) / scale - 0.5,
        "pytorch_half_pixel" => {
            if out_len > 1 {
                (x + 0.5) / scale - 0.5
            } else {
                0.0
            }
        }
        "align_corners" => {
            if out_len == 1 {
                0.0
            } else {
                x * (in_len as f64 - 1.0) / (out_len as f64 - 1.0)
            }
        }
        "asymmetric" => x / scale,
        "half_pixel_symmetric" => {
            let adj = out_len as f64 / (scale * in_len as f64);
            let center = in_len as f64 / 2.0;
            let offset = center * (1.0 - adj);
            offset + (x + 0.5) / scale - 0.5
        }
        _ => return None,
    })
}

/// Rounds a source coordinate to an input index by `nearest_mode`.
fn nearest_index(mode: &str, c: f64, in_len: usize) -> Option<usize> {
    let i = match mode {
        "round_prefer_floor" => {
            if c.fract() == 0.5 || c.fract() == -0.5 {
                c.floor()
            } else {
                c.round()
            }
        }
        "round_prefer_ceil" => c.round(),
        "floor" => c.floor(),
        "ceil" => c.ceil(),
        _ => return None,
    };
    Some(i.clamp(0.0, in_len as f64 - 1.0) as usize)
}

/// Resize: inputs X, roi (ignored), scales, sizes (opset 11+), or X, scales (opset 10).
pub(super) fn resize(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let r = x.ndim();
    let non_empty = |i: usize| opt_input(inputs, i).filter(|t| !t.is_empty());
    let (scales_t, sizes_t) = if inputs.len() == 2 { (non_empty(1), None) } else { (non_empty(2), non_empty(3)) };
    if attrs.int_or("antialias", 0)? != 0 {
        return Err(GraphError::attribute(&attrs.op, "antialias", "antialiasing is not supported"));
    }
    if attrs.has("axes") {
        return Err(GraphError::attribute(&attrs.op, "axes", "the axes attribute is not supported"));
    }
    let (scales, out_shape): (Vec<f64>, Vec<usize>) = match (scales_t, sizes_t) {
        (_, Some(sz)) => {
            let sz = super::to_dims(&sz.to_i64_vec(&attrs.op)?, "sizes", attrs)?;
            if sz.len() != r {
                return Err(GraphError::shape(&attrs.op, format!("sizes has {} values for rank {r}", sz.len())));
            }
            let sc = sz.iter().zip(x.shape()).map(|(&o, &i)| o as f64 / i.max(1) as f64).collect();
            (sc, sz)
        }
        (Some(sc), None) => {
            let sc: Vec<f64> = sc.as_f32(&attrs.op)?.iter().map(|&v| v as f64).collect();
            if sc.len() != r || sc.iter().any(|&v| v.is_nan() || v <= 0.0 || !v.is_finite()) {
                return Err(GraphError::shape(&attrs.op, format!("scales {sc:?} must be {r} positive values")));
            }
            // ONNX computes the scale in float32, so floor the float32 product.
            // Clamped before the (saturating) cast so a huge scale gives the same size, and message, on wasm32.
            let cap = super::checked::MAX_USER_SIZE as f32;
            let out =
                sc.iter().zip(x.shape()).map(|(&s, &i)| (s as f32 * i as f32).floor().min(cap) as usize).collect();
            (sc, out)
        }
        (None, None) => return Err(GraphError::shape(&attrs.op, "Resize needs scales or sizes")),
    };
    super::element_count(&out_shape, attrs)?;
    let mode = attrs.string_or("mode", "nearest")?;
    let ctm = attrs.string_or("coordinate_transformation_mode", "half_pixel")?;
    let nearest_mode = attrs.string_or("nearest_mode", "round_prefer_floor")?;
    if !["nearest", "linear"].contains(&mode.as_str()) {
        return Err(GraphError::attribute(&attrs.op, "mode", format!("unsupported mode '{mode}'")));
    }
    let mut y = x.to_owned();
    for axis in 0..r {
        let (in_len, out_len) = (y.shape()[axis], out_shape[axis]);
        if in_len == out_len && scales[axis] == 1.0 {
            continue;
        }
        if in_len == 0 {
            return Err(GraphError::shape(&attrs.op, format!("cannot resize the empty axis {axis}")));
        }
        let coords = (0..out_len)
            .map(|o| source_coord(&ctm, o, scales[axis], in_len, out_len))
            .collect::<Option<Vec<f64>>>()
            .ok_or_else(|| {
                GraphError::attribute(&attrs.op, "coordinate_transformation_mode", format!("unsupported '{ctm}'"))
            })?;
        y = if mode == "nearest" {
            let idx = coords
                .iter()
                .map(|&c| nearest_index(&nearest_mode, c, in_len))
                .collect::<Option<Vec<usize>>>()
                .ok_or_else(|| {
                GraphError::attribute(&attrs.op, "nearest_mode", format!("unsupported '{nearest_mode}'"))
            })?;
            y.select(Axis(axis), &idx)
        } else {
            linear_axis(&y, axis, &coords)
        };
    }
    Ok(Tensor::F32(y))
}

/// 1-D linear interpolation along `axis` at source coordinates `coords` (clamped to the input, as onnxruntime does).
fn linear_axis(y: &ArrayD<f32>, axis: usize, coords: &[f64]) -> ArrayD<f32> {
    let in_len = y.shape()[axis];
    let mut shape = y.shape().to_vec();
    shape[axis] = coords.len();
    let mut out = ArrayD::<f32>::zeros(IxDyn(&shape));
    for (o, &c) in coords.iter().enumerate() {
        let c = c.clamp(0.0, in_len as f64 - 1.0);
        let i0 = (c.floor() as usize).min(in_len - 1);
        let i1 = (i0 + 1).min(in_len - 1);
        let t = (c - i0 as f64) as f32;
        let a = y.index_axis(Axis(axis), i0);
        let b = y.index_axis(Axis(axis), i1);
        let mut dst = out.index_axis_mut(Axis(axis), o);
        ndarray::Zip::from(&mut dst).and(&a).and(&b).for_each(|d, &p, &q| *d = p * (1.0 - t) + q * t);
    }
    out
}

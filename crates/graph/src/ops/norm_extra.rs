//! Normalizations beyond Batch/Layer: InstanceNormalization, GroupNormalization (per-group scale before opset
//! 21, per-channel from 21), LpNormalization and LRN; and the block rearrangements SpaceToDepth/DepthToSpace.

use super::{Attributes, GraphError, Tensor, f32_input, norm_axis};
use ndarray::{ArrayD, Axis, IxDyn};

fn build(shape: &[usize], v: Vec<f32>, attrs: &Attributes) -> Result<Tensor, GraphError> {
    ArrayD::from_shape_vec(IxDyn(shape), v).map(Tensor::F32).map_err(|e| GraphError::shape(&attrs.op, e.to_string()))
}

fn nc(x: &ArrayD<f32>, attrs: &Attributes) -> Result<(usize, usize, usize), GraphError> {
    if x.ndim() < 2 {
        return Err(GraphError::shape(&attrs.op, format!("input must be N×C×…, has shape {:?}", x.shape())));
    }
    let s = x.shape();
    Ok((s[0], s[1], s[2..].iter().product()))
}

/// Normalizes `v` in place (mean 0, variance 1 with `eps`), in f64.
fn standardize(v: &mut [f32], eps: f64) {
    let n = v.len().max(1) as f64;
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
    let inv = 1.0 / (var + eps).sqrt();
    v.iter_mut().for_each(|x| *x = ((*x as f64 - mean) * inv) as f32);
}

fn per_channel(t: &ArrayD<f32>, c: usize, what: &str, attrs: &Attributes) -> Result<Vec<f32>, GraphError> {
    if t.len() != c {
        return Err(GraphError::shape(&attrs.op, format!("{what} has {} values, expected {c}", t.len())));
    }
    Ok(t.iter().copied().collect())
}

/// InstanceNormalization(x, scale, B): per sample and channel over the spatial axes.
pub(super) fn instance_norm(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let (n, c, inner) = nc(x, attrs)?;
    let scale = per_channel(f32_input(inputs, 1, attrs)?, c, "scale", attrs)?;
    let bias = per_channel(f32_input(inputs, 2, attrs)?, c, "B", attrs)?;
    let eps = attrs.float_or("epsilon", 1e-5)? as f64;
    let mut v: Vec<f32> = x.as_standard_layout().iter().copied().collect();
    for (k, chunk) in v.chunks_mut(inner.max(1)).enumerate().take(n * c) {
        standardize(chunk, eps);
        let ch = k % c;
        chunk.iter_mut().for_each(|x| *x = *x * scale[ch] + bias[ch]);
    }
    build(x.shape(), v, attrs)
}

/// GroupNormalization(x, scale, bias) with `num_groups`.
pub(super) fn group_norm(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let (n, c, inner) = nc(x, attrs)?;
    let g = usize::try_from(attrs.int_or("num_groups", 0)?)
        .ok()
        .filter(|&g| g > 0 && c % g == 0)
        .ok_or_else(|| GraphError::attribute(&attrs.op, "num_groups", format!("must divide the {c} channels")))?;
    // Opset 18 gave scale and bias one value per group; opset 21 one per channel.
    let per_group = attrs.before(21);
    let want = if per_group { g } else { c };
    let scale = per_channel(f32_input(inputs, 1, attrs)?, want, "scale", attrs)?;
    let bias = per_channel(f32_input(inputs, 2, attrs)?, want, "bias", attrs)?;
    let eps = attrs.float_or("epsilon", 1e-5)? as f64;
    let cg = c / g;
    let mut v: Vec<f32> = x.as_standard_layout().iter().copied().collect();
    for (k, chunk) in v.chunks_mut((cg * inner).max(1)).enumerate().take(n * g) {
        standardize(chunk, eps);
        let grp = k % g;
        for (j, x) in chunk.iter_mut().enumerate() {
            let p = if per_group { grp } else { grp * cg + j / inner.max(1) };
            *x = *x * scale[p] + bias[p];
        }
    }
    build(x.shape(), v, attrs)
}

/// LpNormalization: divides each lane along `axis` by its L1 or L2 norm.
pub(super) fn lp_norm(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let axis = norm_axis(attrs.int_or("axis", -1)?, x.ndim(), attrs)?;
    let p = attrs.int_or("p", 2)?;
    if p != 1 && p != 2 {
        return Err(GraphError::attribute(&attrs.op, "p", format!("must be 1 or 2, got {p}")));
    }
    let mut y = x.clone();
    for mut lane in y.lanes_mut(Axis(axis)) {
        let norm = if p == 1 {
            lane.iter().map(|v| v.abs()).sum::<f32>()
        } else {
            lane.iter().map(|v| v * v).sum::<f32>().sqrt()
        };
        if norm != 0.0 {
            lane.mapv_inplace(|v| v / norm);
        }
    }
    Ok(Tensor::F32(y))
}

/// LRN across channels: `x / (bias + alpha/size · Σ x²)^beta` over a window of `size` channels.
pub(super) fn lrn(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let (n, c, inner) = nc(x, attrs)?;
    let size = usize::try_from(attrs.int_or("size", 0)?)
        .ok()
        .filter(|&s| s > 0)
        .ok_or_else(|| GraphError::attribute(&attrs.op, "size", "must be positive"))?;
    let alpha = attrs.float_or("alpha", 1e-4)? as f64;
    let beta = attrs.float_or("beta", 0.75)? as f64;
    let bias = attrs.float_or("bias", 1.0)? as f64;
    let v: Vec<f32> = x.as_standard_layout().iter().copied().collect();
    let (lo, hi) = ((size - 1) / 2, size.div_ceil(2) - 1);
    let mut out = vec![0f32; v.len()];
    for b in 0..n {
        for ch in 0..c {
            let (from, to) = (ch.saturating_sub(lo), (ch + hi).min(c - 1));
            for i in 0..inner {
                let sq: f64 = (from..=to).map(|k| (v[(b * c + k) * inner + i] as f64).powi(2)).sum();
                let at = (b * c + ch) * inner + i;
                out[at] = (v[at] as f64 / (bias + alpha / size as f64 * sq).powf(beta)) as f32;
            }
        }
    }
    build(x.shape(), out, attrs)
}

/// DepthToSpace (`mode` DCR or CRD) and SpaceToDepth (DCR order; CRD from opset 28) on N×C×H×W.
pub(super) fn space_depth(op_type: &str, inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = super::input(inputs, 0, attrs)?;
    let &[n, c, h, w] = x.shape() else {
        return Err(GraphError::shape(&attrs.op, format!("{op_type} needs an N×C×H×W input, got {:?}", x.shape())));
    };
    let b = usize::try_from(attrs.int_or("blocksize", 0)?)
        .ok()
        .filter(|&b| b > 0)
        .ok_or_else(|| GraphError::attribute(&attrs.op, "blocksize", "must be positive"))?;
    let crd = match attrs.string_or("mode", "DCR")?.as_str() {
        "DCR" => false,
        "CRD" => true,
        other => return Err(GraphError::attribute(&attrs.op, "mode", format!("unknown mode '{other}'"))),
    };
    let to_space = op_type == "DepthToSpace";
    let bad = || GraphError::shape(&attrs.op, format!("shape {:?} does not fit blocksize {b}", x.shape()));
    // Both are a reshape to 6-D, a transpose and a reshape back; do them on the ndarray itself.
    let (six, perm, out): (Vec<usize>, [usize; 6], Vec<usize>) = if to_space {
        if c % (b * b) != 0 {
            return Err(bad());
        }
        let cc = c / (b * b);
        if crd {
            (vec![n, cc, b, b, h, w], [0, 1, 4, 2, 5, 3], vec![n, cc, h * b, w * b])
        } else {
            (vec![n, b, b, cc, h, w], [0, 3, 4, 1, 5, 2], vec![n, cc, h * b, w * b])
        }
    } else {
        if h % b != 0 || w % b != 0 {
            return Err(bad());
        }
        let (hh, ww) = (h / b, w / b);
        if crd {
            (vec![n, c, hh, b, ww, b], [0, 1, 3, 5, 2, 4], vec![n, c * b * b, hh, ww])
        } else {
            (vec![n, c, hh, b, ww, b], [0, 3, 5, 1, 2, 4], vec![n, c * b * b, hh, ww])
        }
    };
    Ok(super::map_any!(x, a => {
        let s = a.as_standard_layout();
        let v = s.to_shape(IxDyn(&six)).map_err(|_| bad())?;
        let t = v.permuted_axes(IxDyn(&perm));
        let t = t.as_standard_layout();
        t.to_shape(IxDyn(&out)).map_err(|_| bad())?.to_owned()
    }))
}

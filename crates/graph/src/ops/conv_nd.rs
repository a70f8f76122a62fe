//! Conv and ConvTranspose over three or more spatial axes (video, volumes): direct loops beside the tuned 1-D/2-D
//! im2col + sgemm kernel of `conv.rs`, on the shared [`window_nd`] geometry. Groups, strides, dilations, pads,
//! auto_pad, and for ConvTranspose output_padding and output_shape, with the 2-D kernel's rules.

use super::window::{WindowNd, out_len_nd, window_nd};
use super::{Attributes, GraphError, MAX_WINDOW_PARAM, Tensor, budget, checked, element_count, f32_input, opt_input};
use ndarray::{ArrayD, IxDyn};

/// Row-major strides of `dims`.
fn strides(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * dims[i + 1];
    }
    s
}

/// Decodes the row-major position `flat` of `dims` into `idx`.
fn decode(mut flat: usize, dims: &[usize], idx: &mut [usize]) {
    for i in (0..dims.len()).rev() {
        idx[i] = flat % dims[i];
        flat /= dims[i];
    }
}

fn checks(x: &[usize], w: &[usize], attrs: &Attributes) -> Result<usize, GraphError> {
    if x.len() != w.len() || x.len() < 3 {
        return Err(GraphError::shape(&attrs.op, format!("X {x:?} and W {w:?} must be N×C×spatial of one rank")));
    }
    if w.iter().any(|&d| d == 0 || d as i64 > MAX_WINDOW_PARAM) {
        return Err(GraphError::shape(&attrs.op, format!("W has an empty or oversized dimension: {w:?}")));
    }
    let g = attrs.int_or("group", 1)?;
    if g < 1 {
        return Err(GraphError::attribute(&attrs.op, "group", format!("must be ≥ 1, got {g}")));
    }
    checked::to_usize(g, &attrs.op, "attribute 'group'")
}

fn bias(inputs: &[Option<&Tensor>], m: usize, attrs: &Attributes) -> Result<Vec<f32>, GraphError> {
    match opt_input(inputs, 2) {
        None => Ok(vec![0.0; m]),
        Some(b) => {
            let b = b.as_f32(&attrs.op)?;
            if b.shape() != [m] {
                return Err(GraphError::shape(&attrs.op, format!("bias has shape {:?}, expected [{m}]", b.shape())));
            }
            Ok(b.iter().copied().collect())
        }
    }
}

/// Conv with any number (≥ 1) of spatial axes, direct.
pub(super) fn conv_nd(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let wt = f32_input(inputs, 1, attrs)?;
    let g = checks(x.shape(), wt.shape(), attrs)?;
    let (batch, c, m, cg) = (x.shape()[0], x.shape()[1], wt.shape()[0], wt.shape()[1]);
    if m % g != 0 || cg * g != c {
        return Err(GraphError::shape(
            &attrs.op,
            format!(
                "X has {c} channels, W {:?} with group = {g} expects {} and M divisible by {g}",
                wt.shape(),
                cg * g
            ),
        ));
    }
    let kernel = wt.shape()[2..].to_vec();
    if let Some(ks) = attrs.ints("kernel_shape")?
        && ks != kernel.iter().map(|&v| v as i64).collect::<Vec<_>>()
    {
        return Err(GraphError::attribute(&attrs.op, "kernel_shape", format!("{ks:?} disagrees with W {kernel:?}")));
    }
    let isz = x.shape()[2..].to_vec();
    let w = window_nd(attrs, &kernel, &isz, true)?;
    let osz: Vec<usize> =
        (0..kernel.len()).map(|i| out_len_nd(&w, i, isz[i], false, attrs)).collect::<Result<_, _>>()?;
    let shape = [vec![batch, m], osz.clone()].concat();
    element_count(&shape, attrs)?;
    budget::check_cost(&attrs.op, "multiply-adds", checked::product(&[&shape[..], &[cg], &kernel[..]].concat()))?;
    let bias = bias(inputs, m, attrs)?;
    let (x, wt) = (x.as_standard_layout(), wt.as_standard_layout());
    let (xs, ws) = (x.as_slice().unwrap_or(&[]), wt.as_slice().unwrap_or(&[]));
    let (ist, plane, taps, outs) =
        (strides(&isz), isz.iter().product::<usize>(), kernel.iter().product::<usize>(), osz.iter().product::<usize>());
    let mg = m / g;
    let (mut o_idx, mut k_idx) = (vec![0; osz.len()], vec![0; kernel.len()]);
    let mut y = Vec::with_capacity(batch * m * outs);
    for b in 0..batch {
        for mo in 0..m {
            let gi = mo / mg;
            for o in 0..outs {
                decode(o, &osz, &mut o_idx);
                let mut acc = bias[mo];
                for t in 0..taps {
                    decode(t, &kernel, &mut k_idx);
                    let Some(at) = source(&w, &o_idx, &k_idx, &isz, &ist) else { continue };
                    for ci in 0..cg {
                        let xv = xs[(b * c + gi * cg + ci) * plane + at];
                        acc += xv * ws[(mo * cg + ci) * taps + t];
                    }
                }
                y.push(acc);
            }
        }
    }
    let y = ArrayD::from_shape_vec(IxDyn(&shape), y).map_err(|_| GraphError::shape(&attrs.op, "output reshape"))?;
    Ok(Tensor::F32(y))
}

/// The flat input position a Conv tap reads (`None` in the padding).
fn source(w: &WindowNd, o: &[usize], k: &[usize], isz: &[usize], ist: &[usize]) -> Option<usize> {
    let mut at = 0;
    for i in 0..o.len() {
        let p = (o[i] * w.s[i] + k[i] * w.d[i]).checked_sub(w.pb[i])?;
        if p >= isz[i] {
            return None;
        }
        at += p * ist[i];
    }
    Some(at)
}

/// ConvTranspose with any number (≥ 1) of spatial axes, direct scatter.
pub(super) fn conv_transpose_nd(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let wt = f32_input(inputs, 1, attrs)?;
    let g = checks(x.shape(), wt.shape(), attrs)?;
    let (batch, c, wc, mg) = (x.shape()[0], x.shape()[1], wt.shape()[0], wt.shape()[1]);
    if wc != c || c % g != 0 {
        return Err(GraphError::shape(
            &attrs.op,
            format!("X has {c} channels, W has {wc} input channels (group = {g})"),
        ));
    }
    let m = mg
        .checked_mul(g)
        .ok_or_else(|| GraphError::TooLarge(format!("op '{}': output channels overflow", attrs.op)))?;
    let cg = c / g;
    let kernel = wt.shape()[2..].to_vec();
    let n = kernel.len();
    let isz = x.shape()[2..].to_vec();
    let mut plain = attrs.clone();
    plain.values.remove("auto_pad");
    let mut w = window_nd(&plain, &kernel, &isz, true)?;
    let op = attrs.ints("output_padding")?.unwrap_or_else(|| vec![0; n]);
    if op.len() != n || op.iter().any(|&v| !(0..=MAX_WINDOW_PARAM).contains(&v)) {
        return Err(GraphError::attribute(&attrs.op, "output_padding", format!("expected {n} non-negative values")));
    }
    let overflow = || GraphError::TooLarge(format!("op '{}': the transposed output size overflows", attrs.op));
    let (strides_, spans): (Vec<usize>, Vec<u64>) = (w.s.clone(), (0..n).map(|i| w.span(i)).collect());
    let full = |i: usize| -> Result<usize, GraphError> {
        let v = checked::product(&[strides_[i], isz[i].max(1) - 1])
            .and_then(|a| a.checked_add(spans[i]))
            .and_then(|a| a.checked_add(op[i] as u64))
            .filter(|&v| v <= checked::MAX_USER_SIZE as u64)
            .ok_or_else(overflow)?;
        usize::try_from(v).map_err(|_| overflow())
    };
    let auto_pad = attrs.string_or("auto_pad", "NOTSET")?;
    let target: Option<Vec<usize>> = match attrs.ints("output_shape")? {
        // output_shape may list N and C too: the spatial part is its tail
        Some(os) if os.len() >= n && os.iter().all(|&v| v > 0) => {
            Some(checked::to_usizes(&os[os.len() - n..], &attrs.op, "attribute 'output_shape'")?)
        }
        Some(os) => return Err(GraphError::attribute(&attrs.op, "output_shape", format!("invalid {os:?}"))),
        None if auto_pad.starts_with("SAME") => {
            Some((0..n).map(|i| isz[i].checked_mul(w.s[i]).ok_or_else(overflow)).collect::<Result<_, _>>()?)
        }
        None => None,
    };
    if let Some(t) = &target {
        for (i, &ti) in t.iter().enumerate().take(n) {
            // beyond the full output: zero pads, the rest is bias only (onnxruntime clamps the padding at 0)
            let total = full(i)?.saturating_sub(ti);
            let half = total / 2;
            (w.pb[i], w.pe[i]) = if auto_pad == "SAME_UPPER" { (half, total - half) } else { (total - half, half) };
        }
    }
    let osz: Vec<usize> = (0..n)
        .map(|i| {
            if let Some(t) = &target {
                return Ok(t[i]);
            }
            full(i)?
                .checked_sub(w.pb[i] + w.pe[i])
                .filter(|&v| v > 0)
                .ok_or_else(|| GraphError::shape(&attrs.op, "pads remove the whole output"))
        })
        .collect::<Result<_, _>>()?;
    let shape = [vec![batch, m], osz.clone()].concat();
    element_count(&shape, attrs)?;
    budget::check_cost(
        &attrs.op,
        "multiply-adds",
        checked::product(&[&[batch, c, mg][..], &isz[..], &kernel[..]].concat()),
    )?;
    let bias = bias(inputs, m, attrs)?;
    let (x, wt) = (x.as_standard_layout(), wt.as_standard_layout());
    let (xs, ws) = (x.as_slice().unwrap_or(&[]), wt.as_slice().unwrap_or(&[]));
    let ost = strides(&osz);
    let (plane, taps, outs) =
        (isz.iter().product::<usize>(), kernel.iter().product::<usize>(), osz.iter().product::<usize>());
    let mut y = vec![0f32; batch * m * outs];
    for (k, v) in y.iter_mut().enumerate() {
        *v = bias[(k / outs.max(1)) % m];
    }
    let (mut i_idx, mut k_idx) = (vec![0; n], vec![0; n]);
    for b in 0..batch {
        for ci in 0..c {
            let gi = ci / cg;
            for p in 0..plane {
                decode(p, &isz, &mut i_idx);
                let xv = xs[(b * c + ci) * plane + p];
                for t in 0..taps {
                    decode(t, &kernel, &mut k_idx);
                    let mut at = 0;
                    let mut inside = true;
                    for a in 0..n {
                        match (i_idx[a] * w.s[a] + k_idx[a] * w.d[a]).checked_sub(w.pb[a]) {
                            Some(q) if q < osz[a] => at += q * ost[a],
                            _ => {
                                inside = false;
                                break;
                            }
                        }
                    }
                    if !inside {
                        continue;
                    }
                    for mi in 0..mg {
                        y[(b * m + gi * mg + mi) * outs + at] += xv * ws[(ci * mg + mi) * taps + t];
                    }
                }
            }
        }
    }
    let y = ArrayD::from_shape_vec(IxDyn(&shape), y).map_err(|_| GraphError::shape(&attrs.op, "output reshape"))?;
    Ok(Tensor::F32(y))
}

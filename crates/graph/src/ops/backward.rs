//! Backward kernels: the gradient of an op's inputs from the gradient of its outputs, for the ops PPQ's
//! training passes meet inside a block (Conv, Gemm, MatMul, Relu, Clip, Add/Sub/Mul, Concat, the pools and the
//! reshaping ops). They sit beside the forward kernels and share their window geometry, so a padding or
//! stride rule cannot differ between the two directions. The training passes chain them in reverse executing
//! order (a tape); torch's autograd does the same job in PPQ.
//!
//! Conventions follow torch's CPU autograd where it has a choice: Relu passes the gradient where the output is
//! positive; Clip (torch.clamp) where `min ≤ x ≤ max`, bounds included; MaxPool routes each output's gradient
//! to the first maximum of its window in scan order.

use super::conv::{Window, out_len, window};
use super::{Attributes, GraphError, Tensor, f32_input, norm_axis, opt_input};
use ndarray::{Array2, ArrayD, ArrayView2, Axis, IxDyn, Slice};

/// A gradient (float32, the shape of the value it belongs to).
pub type Grad = ArrayD<f32>;

/// The op types [`backward_op`] handles.
pub const DIFFERENTIABLE_OPS: &[&str] = &[
    "Conv",
    "Gemm",
    "MatMul",
    "Relu",
    "Clip",
    "Add",
    "Sub",
    "Mul",
    "Concat",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "Flatten",
    "Reshape",
    "Identity",
    "Squeeze",
    "Unsqueeze",
];

/// Gradients of every input of `op_type` (None for inputs that carry no gradient: shapes, omitted inputs),
/// given the op's inputs, its outputs and the gradient of output 0.
pub fn backward_op(
    op_type: &str,
    inputs: &[Option<&Tensor>],
    outputs: &[Tensor],
    grad: &Grad,
    attrs: &Attributes,
) -> Result<Vec<Option<Grad>>, GraphError> {
    let n = inputs.len();
    let mut out: Vec<Option<Grad>> = vec![None; n];
    match op_type {
        "Conv" => {
            let (dx, dw, db) = conv(inputs, grad, attrs)?;
            out[0] = Some(dx);
            out[1] = Some(dw);
            if n > 2 && opt_input(inputs, 2).is_some() {
                out[2] = Some(db);
            }
        }
        "Gemm" => return gemm(inputs, grad, attrs),
        "MatMul" => return matmul(inputs, grad, attrs),
        "Relu" => {
            let y = outputs.first().ok_or_else(|| missing(attrs, "output"))?.as_f32(&attrs.op)?;
            same_shape(y.shape(), grad.shape(), attrs)?;
            out[0] = Some(ndarray::Zip::from(grad).and(y).map_collect(|&g, &v| if v > 0.0 { g } else { 0.0 }));
        }
        "Clip" => {
            let x = f32_input(inputs, 0, attrs)?;
            same_shape(x.shape(), grad.shape(), attrs)?;
            let lo = scalar(inputs, 1, attrs)?.unwrap_or(attrs.float_or("min", f32::NEG_INFINITY)?);
            let hi = scalar(inputs, 2, attrs)?.unwrap_or(attrs.float_or("max", f32::INFINITY)?);
            out[0] =
                Some(ndarray::Zip::from(grad).and(x).map_collect(|&g, &v| if v >= lo && v <= hi { g } else { 0.0 }));
        }
        "Add" | "Sub" | "Mul" => {
            let a = f32_input(inputs, 0, attrs)?;
            let b = f32_input(inputs, 1, attrs)?;
            let (ga, gb) = match op_type {
                "Add" => (grad.clone(), grad.clone()),
                "Sub" => (grad.clone(), grad.mapv(|g| -g)),
                _ => (grad * b, grad * a),
            };
            out[0] = Some(reduce_to(ga, a.shape(), attrs)?);
            out[1] = Some(reduce_to(gb, b.shape(), attrs)?);
        }
        "Concat" => {
            let first = f32_input(inputs, 0, attrs)?;
            let axis = norm_axis(attrs.int_or("axis", 0)?, first.ndim(), attrs)?;
            let mut at = 0usize;
            for (i, t) in inputs.iter().enumerate() {
                let Some(t) = t else { continue };
                let len = t.shape().get(axis).copied().ok_or_else(|| missing(attrs, "axis"))?;
                if at + len > grad.shape()[axis] {
                    return Err(GraphError::shape(&attrs.op, "Concat gradient is shorter than its inputs"));
                }
                out[i] = Some(grad.slice_axis(Axis(axis), Slice::from(at..at + len)).to_owned());
                at += len;
            }
        }
        "MaxPool" | "AveragePool" => out[0] = Some(pool(op_type == "MaxPool", inputs, grad, attrs)?),
        "GlobalAveragePool" => {
            let x = f32_input(inputs, 0, attrs)?;
            let spatial: usize = x.shape().iter().skip(2).product();
            let (b, c) = (x.shape()[0], x.shape()[1]);
            let g = grad.to_shape((b, c)).map_err(|_| GraphError::shape(&attrs.op, "gradient shape"))?;
            let mut dx = ArrayD::<f32>::zeros(x.raw_dim());
            for ((bi, ci), v) in dx.indexed_iter_mut().map(|(ix, v)| ((ix[0], ix[1]), v)) {
                *v = g[[bi, ci]] / spatial as f32;
            }
            out[0] = Some(dx);
        }
        "Flatten" | "Reshape" | "Identity" | "Squeeze" | "Unsqueeze" => {
            let x = super::input(inputs, 0, attrs)?;
            let g = grad
                .to_shape(IxDyn(x.shape()))
                .map_err(|_| GraphError::shape(&attrs.op, "gradient does not reshape to the input"))?;
            out[0] = Some(g.to_owned());
        }
        other => {
            return Err(GraphError::shape(
                &attrs.op,
                format!("{other} has no backward kernel; training passes support {}", DIFFERENTIABLE_OPS.join(", ")),
            ));
        }
    }
    Ok(out)
}

fn missing(attrs: &Attributes, what: &str) -> GraphError {
    GraphError::shape(&attrs.op, format!("backward: missing {what}"))
}

fn same_shape(a: &[usize], b: &[usize], attrs: &Attributes) -> Result<(), GraphError> {
    if a == b {
        Ok(())
    } else {
        Err(GraphError::shape(&attrs.op, format!("gradient shape {b:?} does not match the value's {a:?}")))
    }
}

/// A scalar input (Clip min/max) if given.
fn scalar(inputs: &[Option<&Tensor>], i: usize, attrs: &Attributes) -> Result<Option<f32>, GraphError> {
    match opt_input(inputs, i) {
        None => Ok(None),
        Some(t) => Ok(t.as_f32(&attrs.op)?.iter().next().copied()),
    }
}

/// Sums a broadcast gradient back to `shape` (numpy broadcasting in reverse).
pub fn reduce_to(mut g: Grad, shape: &[usize], attrs: &Attributes) -> Result<Grad, GraphError> {
    while g.ndim() > shape.len() {
        g = g.sum_axis(Axis(0));
    }
    for (i, &d) in shape.iter().enumerate() {
        if d == 1 && g.shape()[i] != 1 {
            g = g.sum_axis(Axis(i)).insert_axis(Axis(i));
        } else if d != g.shape()[i] {
            return Err(GraphError::shape(
                &attrs.op,
                format!("gradient {:?} does not broadcast to {shape:?}", g.shape()),
            ));
        }
    }
    Ok(g)
}

/// Lifts an N×C×(H×)W shape to four axes.
fn lift4(s: &[usize]) -> [usize; 4] {
    if s.len() == 3 { [s[0], s[1], 1, s[2]] } else { [s[0], s[1], s[2], s[3]] }
}

/// Conv: dX, dW, dB by direct loops over the window geometry of the forward kernel.
fn conv(inputs: &[Option<&Tensor>], gy: &Grad, attrs: &Attributes) -> Result<(Grad, Grad, Grad), GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let wt = f32_input(inputs, 1, attrs)?;
    if !(x.ndim() == 3 || x.ndim() == 4) || wt.ndim() != x.ndim() || gy.ndim() != x.ndim() {
        return Err(GraphError::shape(&attrs.op, "backward: only 1-D and 2-D convolutions are supported"));
    }
    let n = x.ndim() - 2;
    let [b, c, ih, iw] = lift4(x.shape());
    let [m, cg, kh, kw] = lift4(wt.shape());
    let [gb, gm, oh, ow] = lift4(gy.shape());
    let g = attrs.int_or("group", 1)?.max(1) as usize;
    if gb != b || gm != m || cg * g != c || m % g != 0 {
        return Err(GraphError::shape(&attrs.op, "backward: inconsistent Conv shapes"));
    }
    let w: Window = window(attrs, n, [kh, kw], [ih, iw], true)?;
    if out_len(&w, 0, ih, false, attrs)? != oh || out_len(&w, 1, iw, false, attrs)? != ow {
        return Err(GraphError::shape(&attrs.op, "backward: output gradient has the wrong spatial size"));
    }
    let x = x.as_standard_layout();
    let xs = x.as_slice().ok_or_else(|| missing(attrs, "contiguous input"))?;
    let wt = wt.as_standard_layout();
    let ws = wt.as_slice().ok_or_else(|| missing(attrs, "contiguous weights"))?;
    let gy = gy.as_standard_layout();
    let gs = gy.as_slice().ok_or_else(|| missing(attrs, "contiguous gradient"))?;
    let mut dx = vec![0f32; xs.len()];
    let mut dw = vec![0f32; ws.len()];
    let mut db = vec![0f32; m];
    let mg = m / g;
    for bi in 0..b {
        for mi in 0..m {
            let gi = mi / mg;
            let gplane = &gs[(bi * m + mi) * oh * ow..][..oh * ow];
            db[mi] += gplane.iter().sum::<f32>();
            for ci in 0..cg {
                let xc = gi * cg + ci;
                let xplane = (bi * c + xc) * ih * iw;
                let wbase = (mi * cg + ci) * kh * kw;
                for ki in 0..kh {
                    for kj in 0..kw {
                        let wv = ws[wbase + ki * kw + kj];
                        let mut acc = 0f32;
                        for oy in 0..oh {
                            let iy = (oy * w.s[0] + ki * w.d[0]) as isize - w.pb[0] as isize;
                            if iy < 0 || iy >= ih as isize {
                                continue;
                            }
                            for ox in 0..ow {
                                let ix = (ox * w.s[1] + kj * w.d[1]) as isize - w.pb[1] as isize;
                                if ix < 0 || ix >= iw as isize {
                                    continue;
                                }
                                let gv = gplane[oy * ow + ox];
                                let p = xplane + iy as usize * iw + ix as usize;
                                acc += xs[p] * gv;
                                dx[p] += wv * gv;
                            }
                        }
                        dw[wbase + ki * kw + kj] += acc;
                    }
                }
            }
        }
    }
    let shape = |s: &[usize], v: Vec<f32>| {
        ArrayD::from_shape_vec(IxDyn(s), v).map_err(|_| GraphError::shape(&attrs.op, "backward reshape"))
    };
    Ok((shape(x.shape(), dx)?, shape(wt.shape(), dw)?, shape(&[m], db)?))
}

fn as2<'a>(a: &'a ArrayD<f32>, attrs: &Attributes) -> Result<ArrayView2<'a, f32>, GraphError> {
    a.view().into_dimensionality().map_err(|_| GraphError::shape(&attrs.op, "backward: expected a 2-D matrix"))
}

/// Gemm `Y = α·A'·B' + β·C` (A' = Aᵀ if transA, B' = Bᵀ if transB).
fn gemm(inputs: &[Option<&Tensor>], gy: &Grad, attrs: &Attributes) -> Result<Vec<Option<Grad>>, GraphError> {
    let a = f32_input(inputs, 0, attrs)?;
    let b = f32_input(inputs, 1, attrs)?;
    let alpha = attrs.float_or("alpha", 1.0)?;
    let beta = attrs.float_or("beta", 1.0)?;
    let (ta, tb) = (attrs.int_or("transA", 0)? != 0, attrs.int_or("transB", 0)? != 0);
    let (a2, b2, g2) = (as2(a, attrs)?, as2(b, attrs)?, as2(gy, attrs)?);
    let ap = if ta { a2.t() } else { a2.view() };
    let bp = if tb { b2.t() } else { b2.view() };
    if ap.ncols() != bp.nrows() || g2.dim() != (ap.nrows(), bp.ncols()) {
        return Err(GraphError::shape(&attrs.op, "backward: inconsistent Gemm shapes"));
    }
    let dap: Array2<f32> = g2.dot(&bp.t()) * alpha;
    let dbp: Array2<f32> = ap.t().dot(&g2) * alpha;
    let da = if ta { dap.t().as_standard_layout().into_owned() } else { dap };
    let db = if tb { dbp.t().as_standard_layout().into_owned() } else { dbp };
    let mut out = vec![Some(da.into_dyn()), Some(db.into_dyn())];
    out.resize(inputs.len(), None);
    if let Some(c) = opt_input(inputs, 2) {
        let c = c.as_f32(&attrs.op)?;
        out[2] = Some(reduce_to(gy.mapv(|g| g * beta), c.shape(), attrs)?);
    }
    Ok(out)
}

/// MatMul of two matrices.
fn matmul(inputs: &[Option<&Tensor>], gy: &Grad, attrs: &Attributes) -> Result<Vec<Option<Grad>>, GraphError> {
    let a = f32_input(inputs, 0, attrs)?;
    let b = f32_input(inputs, 1, attrs)?;
    let (a2, b2, g2) = (as2(a, attrs)?, as2(b, attrs)?, as2(gy, attrs)?);
    if a2.ncols() != b2.nrows() || g2.dim() != (a2.nrows(), b2.ncols()) {
        return Err(GraphError::shape(&attrs.op, "backward: only 2-D MatMul is supported"));
    }
    Ok(vec![Some(g2.dot(&b2.t()).into_dyn()), Some(a2.t().dot(&g2).into_dyn())])
}

/// MaxPool (first maximum of each window) and AveragePool (the forward kernel's divisor) backward.
fn pool(max: bool, inputs: &[Option<&Tensor>], gy: &Grad, attrs: &Attributes) -> Result<Grad, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    if !(x.ndim() == 3 || x.ndim() == 4) || gy.ndim() != x.ndim() {
        return Err(GraphError::shape(&attrs.op, "backward: only 1-D and 2-D pooling is supported"));
    }
    let n = x.ndim() - 2;
    let ks = attrs.ints("kernel_shape")?.ok_or_else(|| missing(attrs, "kernel_shape"))?;
    if ks.len() != n || ks.iter().any(|&k| k < 1) {
        return Err(GraphError::attribute(&attrs.op, "kernel_shape", "bad kernel"));
    }
    let kernel = if n == 1 { [1, ks[0] as usize] } else { [ks[0] as usize, ks[1] as usize] };
    let [b, c, ih, iw] = lift4(x.shape());
    let [_, _, oh, ow] = lift4(gy.shape());
    let w = window(attrs, n, kernel, [ih, iw], true)?;
    let include_pad = attrs.int_or("count_include_pad", 0)? != 0;
    let x = x.as_standard_layout();
    let xs = x.as_slice().ok_or_else(|| missing(attrs, "contiguous input"))?;
    let gy = gy.as_standard_layout();
    let gs = gy.as_slice().ok_or_else(|| missing(attrs, "contiguous gradient"))?;
    if gs.len() != b * c * oh * ow {
        return Err(GraphError::shape(&attrs.op, "backward: gradient size"));
    }
    let mut dx = vec![0f32; xs.len()];
    for p in 0..b * c {
        let plane = &xs[p * ih * iw..(p + 1) * ih * iw];
        let dplane = &mut dx[p * ih * iw..(p + 1) * ih * iw];
        for oy in 0..oh {
            for ox in 0..ow {
                let gv = gs[(p * oh + oy) * ow + ox];
                let taps = taps(&w, ih, iw, oy, ox);
                if max {
                    let mut best: Option<(usize, f32)> = None;
                    for &t in &taps {
                        if best.is_none_or(|(_, v)| plane[t] > v) {
                            best = Some((t, plane[t]));
                        }
                    }
                    if let Some((t, _)) = best {
                        dplane[t] += gv;
                    }
                } else {
                    let div = if include_pad { padded_count(&w, ih, iw, oy, ox) } else { taps.len() };
                    if div > 0 {
                        for &t in &taps {
                            dplane[t] += gv / div as f32;
                        }
                    }
                }
            }
        }
    }
    ArrayD::from_shape_vec(x.raw_dim(), dx).map_err(|_| GraphError::shape(&attrs.op, "backward reshape"))
}

/// Flat positions of the in-bounds taps of one output's window, in scan order.
fn taps(w: &Window, ih: usize, iw: usize, oy: usize, ox: usize) -> Vec<usize> {
    let y0 = (oy * w.s[0]) as isize - w.pb[0] as isize;
    let x0 = (ox * w.s[1]) as isize - w.pb[1] as isize;
    let mut v = Vec::with_capacity(w.k[0] * w.k[1]);
    for ki in 0..w.k[0] {
        let iy = y0 + (ki * w.d[0]) as isize;
        if iy < 0 || iy >= ih as isize {
            continue;
        }
        for kj in 0..w.k[1] {
            let ix = x0 + (kj * w.d[1]) as isize;
            if ix >= 0 && ix < iw as isize {
                v.push(iy as usize * iw + ix as usize);
            }
        }
    }
    v
}

/// The forward kernel's `count_include_pad` divisor: the window clipped to the padded input.
fn padded_count(w: &Window, ih: usize, iw: usize, oy: usize, ox: usize) -> usize {
    let mut n = 1usize;
    for (axis, (o, len)) in [(oy, ih), (ox, iw)].into_iter().enumerate() {
        let start = (o * w.s[axis]) as isize - w.pb[axis] as isize;
        let span = ((w.k[axis] - 1) * w.d[axis] + 1) as isize;
        let end = (start + span).min((len + w.pe[axis]) as isize);
        n *= (end - start).max(0) as usize;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::super::run_op;
    use super::*;
    use crate::AttrValue;

    fn t(shape: &[usize], seed: u32) -> Tensor {
        let mut s = seed;
        let v: Vec<f32> = (0..shape.iter().product::<usize>())
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2001) as f32 / 1000.0 - 1.0
            })
            .collect();
        Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
    }

    /// Checks `backward_op` against central differences of `Σ gy·op(inputs)` for every element of every
    /// differentiable input (the ops are piecewise linear, so away from kinks the difference is exact up to
    /// float error).
    fn check(op: &str, inputs: &[Tensor], attrs: &Attributes) {
        let refs: Vec<Option<&Tensor>> = inputs.iter().map(Some).collect();
        let y = run_op(op, &refs, attrs).unwrap();
        let gy = t(y[0].shape(), 99).as_f32("gy").unwrap().clone();
        let grads = backward_op(op, &refs, &y, &gy, attrs).unwrap();
        let f = |ins: &[Tensor]| -> f64 {
            let r: Vec<Option<&Tensor>> = ins.iter().map(Some).collect();
            let y = run_op(op, &r, attrs).unwrap();
            y[0].as_f32("y").unwrap().iter().zip(gy.iter()).map(|(a, b)| f64::from(a * b)).sum()
        };
        for (i, g) in grads.iter().enumerate() {
            let Some(g) = g else { continue };
            for e in 0..g.len() {
                let h = 1e-2f32;
                let mut plus = inputs.to_vec();
                let mut minus = inputs.to_vec();
                if let (Tensor::F32(p), Tensor::F32(m)) = (&mut plus[i], &mut minus[i]) {
                    p.as_slice_mut().unwrap()[e] += h;
                    m.as_slice_mut().unwrap()[e] -= h;
                }
                let numeric = (f(&plus) - f(&minus)) / f64::from(2.0 * h);
                let analytic = f64::from(g.as_slice().unwrap()[e]);
                assert!((numeric - analytic).abs() < 2e-2, "{op} input {i} element {e}: {analytic} vs {numeric}");
            }
        }
    }

    fn attrs(op: &str, a: &[(&str, AttrValue)]) -> Attributes {
        let mut at = Attributes::new(op);
        for (k, v) in a {
            at = at.with(k, v.clone());
        }
        at
    }

    #[test]
    fn conv_with_groups_strides_and_pads() {
        let a = attrs(
            "conv",
            &[
                ("group", AttrValue::Int(2)),
                ("strides", AttrValue::Ints(vec![2, 1])),
                ("pads", AttrValue::Ints(vec![1, 0, 1, 1])),
            ],
        );
        check("Conv", &[t(&[1, 4, 5, 5], 1), t(&[4, 2, 3, 3], 2), t(&[4], 3)], &a);
    }

    #[test]
    fn gemm_transposed_and_matmul() {
        let a = attrs("gemm", &[("transB", AttrValue::Int(1)), ("alpha", AttrValue::Float(0.5))]);
        check("Gemm", &[t(&[2, 3], 4), t(&[4, 3], 5), t(&[4], 6)], &a);
        check("MatMul", &[t(&[2, 3], 7), t(&[3, 4], 8)], &attrs("mm", &[]));
    }

    #[test]
    fn pools_add_concat_and_reshapes() {
        let k = ("kernel_shape", AttrValue::Ints(vec![2, 2]));
        check(
            "AveragePool",
            &[t(&[1, 2, 4, 4], 9)],
            &attrs("ap", &[k.clone(), ("pads", AttrValue::Ints(vec![1, 1, 0, 0]))]),
        );
        check("MaxPool", &[t(&[1, 2, 4, 4], 10)], &attrs("mp", &[k, ("strides", AttrValue::Ints(vec![2, 2]))]));
        check("GlobalAveragePool", &[t(&[1, 3, 2, 2], 11)], &attrs("gap", &[]));
        check("Add", &[t(&[2, 3], 12), t(&[3], 13)], &attrs("add", &[]));
        check("Mul", &[t(&[2, 3], 14), t(&[2, 1], 15)], &attrs("mul", &[]));
        check("Concat", &[t(&[1, 2, 2], 16), t(&[1, 3, 2], 17)], &attrs("cat", &[("axis", AttrValue::Int(1))]));
        check("Flatten", &[t(&[1, 2, 2, 2], 18)], &attrs("fl", &[]));
        check("Relu", &[t(&[3, 4], 19)], &attrs("relu", &[]));
    }
}

//! Index-driven ops: ArgMax/ArgMin, TopK, GatherElements, GatherND, ScatterElements, ScatterND, Trilu, EyeLike,
//! Tile, OneHot and CumSum. They work on flat row-major buffers with explicit strides; every index that comes
//! from the model is checked against its axis and turned into a clear error naming the op, never a panic.

use super::numeric::{Elem, with_num};
use super::{Attributes, GraphError, Tensor, element_count, input, map_any, norm_axis, opt_input};
use ndarray::{ArrayD, IxDyn};

/// Row-major strides of `shape`.
fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// An index from the model resolved against an axis of length `dim` (negative counts from the back).
fn resolve(v: i64, dim: usize, what: &str, attrs: &Attributes) -> Result<usize, GraphError> {
    let d = i64::try_from(dim).unwrap_or(i64::MAX);
    let r = if v < 0 { v + d } else { v };
    if (0..d).contains(&r) {
        usize::try_from(r).map_err(|_| GraphError::shape(&attrs.op, format!("{what} {v} is out of range")))
    } else {
        Err(GraphError::shape(&attrs.op, format!("{what} {v} is out of range for an axis of length {dim}")))
    }
}

/// A non-negative count from the model (K, repeats, depth …) as usize.
fn count(v: i64, what: &str, attrs: &Attributes) -> Result<usize, GraphError> {
    usize::try_from(v).map_err(|_| GraphError::shape(&attrs.op, format!("{what} must be ≥ 0, got {v}")))
}

/// The values of a tensor in row-major order.
fn flat<T: Clone>(a: &ArrayD<T>) -> Vec<T> {
    a.as_standard_layout().iter().cloned().collect()
}

fn build<T>(shape: &[usize], v: Vec<T>, attrs: &Attributes) -> Result<ArrayD<T>, GraphError> {
    ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| GraphError::shape(&attrs.op, e.to_string()))
}

/// ArgMax / ArgMin along `axis` (first occurrence, or last with `select_last_index`), int64 output.
pub(super) fn arg_extreme(op_type: &str, inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let axis = norm_axis(attrs.int_or("axis", 0)?, x.shape().len(), attrs)?;
    let keep = attrs.int_or("keepdims", 1)? != 0;
    let last = attrs.int_or("select_last_index", 0)? != 0;
    let max = op_type == "ArgMax";
    let shape = x.shape().to_vec();
    if shape[axis] == 0 {
        return Err(GraphError::shape(&attrs.op, format!("{op_type} over an empty axis")));
    }
    let vals: Vec<f64> = with_num!(x, a, flat(a).into_iter().map(Elem::to_f64).collect(), {
        return Err(GraphError::shape(&attrs.op, format!("{op_type} needs a numeric input, got bool")));
    });
    let st = strides(&shape);
    let (n, step) = (shape[axis], st[axis]);
    let outer: usize = shape[..axis].iter().product();
    let mut out = Vec::with_capacity(vals.len() / n.max(1));
    for o in 0..outer {
        for i in 0..step {
            let base = o * n * step + i;
            let mut best = 0usize;
            for k in 1..n {
                let (v, b) = (vals[base + k * step], vals[base + best * step]);
                let better = if max { v > b || (last && v == b) } else { v < b || (last && v == b) };
                if better {
                    best = k;
                }
            }
            out.push(i64::try_from(best).unwrap_or(i64::MAX));
        }
    }
    let mut oshape = shape.clone();
    if keep {
        oshape[axis] = 1;
    } else {
        oshape.remove(axis);
    }
    Ok(Tensor::I64(build(&oshape, out, attrs)?))
}

/// TopK(X, K): the K largest (or smallest) values along `axis` and their int64 indices; ties keep the lower index.
pub(super) fn top_k(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Vec<Tensor>, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let k_in = input(inputs, 1, attrs)?.to_i64_vec(&attrs.op)?;
    let k = match k_in.as_slice() {
        [k] => count(*k, "K", attrs)?,
        _ => return Err(GraphError::shape(&attrs.op, "K must hold exactly one value")),
    };
    let axis = norm_axis(attrs.int_or("axis", -1)?, x.shape().len(), attrs)?;
    let largest = attrs.int_or("largest", 1)? != 0;
    let shape = x.shape().to_vec();
    if k > shape[axis] {
        return Err(GraphError::shape(&attrs.op, format!("K = {k} exceeds the axis length {}", shape[axis])));
    }
    let st = strides(&shape);
    let (n, step) = (shape[axis], st[axis]);
    let outer: usize = shape[..axis].iter().product();
    let mut oshape = shape.clone();
    oshape[axis] = k;
    let mut picks: Vec<usize> = vec![0; outer * k * step];
    let keys: Vec<f64> = with_num!(x, a, flat(a).into_iter().map(Elem::to_f64).collect(), {
        return Err(GraphError::shape(&attrs.op, "TopK needs a numeric input, got bool"));
    });
    for o in 0..outer {
        for i in 0..step {
            let base = o * n * step + i;
            let mut idx: Vec<usize> = (0..n).collect();
            idx.sort_by(|&p, &q| {
                let (a, b) = (keys[base + p * step], keys[base + q * step]);
                let ord = if largest { b.total_cmp(&a) } else { a.total_cmp(&b) };
                ord.then(p.cmp(&q))
            });
            for (j, &src) in idx.iter().take(k).enumerate() {
                picks[o * k * step + j * step + i] = src;
            }
        }
    }
    let src_flat = |j: usize| {
        let (o, rest) = (j / (k * step), j % (k * step));
        o * n * step + picks[j] * step + rest % step
    };
    let values = map_any!(x, a => {
        let f = flat(a);
        build(&oshape, (0..picks.len()).map(|j| f[src_flat(j)]).collect(), attrs)?
    });
    let indices = picks.iter().map(|&p| i64::try_from(p).unwrap_or(i64::MAX)).collect();
    Ok(vec![values, Tensor::I64(build(&oshape, indices, attrs)?)])
}

/// GatherElements(data, indices, axis): `out[i] = data[i with i[axis] = indices[i]]`.
pub(super) fn gather_elements(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let data = input(inputs, 0, attrs)?;
    let ind = input(inputs, 1, attrs)?;
    let r = data.shape().len();
    let axis = norm_axis(attrs.int_or("axis", 0)?, r, attrs)?;
    if ind.shape().len() != r {
        return Err(GraphError::shape(&attrs.op, "indices must have the rank of data"));
    }
    let (ds, is) = (data.shape().to_vec(), ind.shape().to_vec());
    let idx = ind.to_i64_vec(&attrs.op)?;
    let (dst, ist) = (strides(&ds), strides(&is));
    let mut src = Vec::with_capacity(idx.len());
    for (j, &v) in idx.iter().enumerate() {
        let mut off = 0;
        for a in 0..r {
            let c = (j / ist[a]) % is[a].max(1);
            let c = if a == axis { resolve(v, ds[a], "index", attrs)? } else { c };
            if c >= ds[a] {
                return Err(GraphError::shape(&attrs.op, "indices are larger than data outside the gather axis"));
            }
            off += c * dst[a];
        }
        src.push(off);
    }
    Ok(map_any!(data, a => { let f = flat(a); build(&is, src.iter().map(|&s| f[s]).collect(), attrs)? }))
}

/// Combines an existing value with an update by Scatter's `reduction`.
fn reduce_into<T: Elem>(old: T, new: T, how: &str) -> T {
    match how {
        "add" => old.add(new),
        "mul" => old.mul(new),
        "max" => {
            if new > old {
                new
            } else {
                old
            }
        }
        "min" => {
            if new < old {
                new
            } else {
                old
            }
        }
        _ => new,
    }
}

fn reduction(attrs: &Attributes) -> Result<String, GraphError> {
    let r = attrs.string_or("reduction", "none")?;
    if matches!(r.as_str(), "none" | "add" | "mul" | "max" | "min") {
        Ok(r)
    } else {
        Err(GraphError::attribute(&attrs.op, "reduction", format!("unknown reduction '{r}'")))
    }
}

/// Writes `updates` into a copy of `data` at flat offsets `dst`, combining by `how`.
fn scatter_flat(
    data: &Tensor,
    updates: &Tensor,
    dst: &[usize],
    how: &str,
    attrs: &Attributes,
) -> Result<Tensor, GraphError> {
    macro_rules! go {
        ($a:expr, $u:expr, $v:ident) => {{
            let mut out = flat($a);
            let up = flat($u);
            for (&d, &u) in dst.iter().zip(&up) {
                out[d] = reduce_into(out[d], u, how);
            }
            Tensor::$v(build($a.shape(), out, attrs)?)
        }};
    }
    Ok(match (data, updates) {
        (Tensor::F32(a), Tensor::F32(u)) => go!(a, u, F32),
        (Tensor::I64(a), Tensor::I64(u)) => go!(a, u, I64),
        (Tensor::I32(a), Tensor::I32(u)) => go!(a, u, I32),
        (Tensor::I8(a), Tensor::I8(u)) => go!(a, u, I8),
        (Tensor::U8(a), Tensor::U8(u)) => go!(a, u, U8),
        (Tensor::Bool(a), Tensor::Bool(u)) if how == "none" => {
            let mut out = flat(a);
            for (&d, &v) in dst.iter().zip(&flat(u)) {
                out[d] = v;
            }
            Tensor::Bool(build(a.shape(), out, attrs)?)
        }
        _ => {
            return Err(GraphError::shape(
                &attrs.op,
                format!(
                    "data ({}) and updates ({}) must share a numeric type",
                    data.dtype_name(),
                    updates.dtype_name()
                ),
            ));
        }
    })
}

/// ScatterElements (and the deprecated Scatter): `data[i with i[axis] = indices[i]] = updates[i]`.
pub(super) fn scatter_elements(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let data = input(inputs, 0, attrs)?;
    let ind = input(inputs, 1, attrs)?;
    let upd = input(inputs, 2, attrs)?;
    let r = data.shape().len();
    let axis = norm_axis(attrs.int_or("axis", 0)?, r, attrs)?;
    if ind.shape() != upd.shape() || ind.shape().len() != r {
        return Err(GraphError::shape(&attrs.op, "indices and updates must share a shape of data's rank"));
    }
    let (ds, is) = (data.shape().to_vec(), ind.shape().to_vec());
    let (dst_st, ist) = (strides(&ds), strides(&is));
    let mut dst = Vec::new();
    for (j, &v) in ind.to_i64_vec(&attrs.op)?.iter().enumerate() {
        let mut off = 0;
        for a in 0..r {
            let c = if a == axis { resolve(v, ds[a], "index", attrs)? } else { (j / ist[a]) % is[a].max(1) };
            if c >= ds[a] {
                return Err(GraphError::shape(&attrs.op, "indices are larger than data outside the scatter axis"));
            }
            off += c * dst_st[a];
        }
        dst.push(off);
    }
    scatter_flat(data, upd, &dst, &reduction(attrs)?, attrs)
}

/// The flat offsets into `data` (shape `ds`) that GatherND/ScatterND address: one slice of `slice` elements per
/// index tuple of length `q` (the last dim of `indices`), with `b` leading batch dims.
fn nd_offsets(
    ds: &[usize],
    ind: &Tensor,
    b: usize,
    attrs: &Attributes,
) -> Result<(Vec<usize>, usize, Vec<usize>), GraphError> {
    let is = ind.shape().to_vec();
    let q = *is.last().ok_or_else(|| GraphError::shape(&attrs.op, "indices must have rank ≥ 1"))?;
    if b + q > ds.len() || b >= is.len() || is[..b] != ds[..b] {
        return Err(GraphError::shape(&attrs.op, format!("indices {is:?} do not fit data {ds:?} with batch_dims {b}")));
    }
    let st = strides(ds);
    let slice: usize = ds[b + q..].iter().product();
    let idx = ind.to_i64_vec(&attrs.op)?;
    let tuples = idx.len() / q.max(1);
    let per_batch = tuples / is[..b].iter().product::<usize>().max(1);
    let mut offs = Vec::with_capacity(tuples);
    for t in 0..tuples {
        let batch = t / per_batch.max(1);
        // batch offset: the batch coordinates in data's leading dims
        let mut off = 0;
        let mut rem = batch;
        for a in (0..b).rev() {
            off += (rem % ds[a]) * st[a];
            rem /= ds[a];
        }
        for j in 0..q {
            off += resolve(idx[t * q + j], ds[b + j], "index", attrs)? * st[b + j];
        }
        offs.push(off);
    }
    let mut oshape = is[..is.len() - 1].to_vec();
    oshape.extend_from_slice(&ds[b + q..]);
    Ok((offs, slice, oshape))
}

/// GatherND(data, indices, batch_dims).
pub(super) fn gather_nd(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let data = input(inputs, 0, attrs)?;
    let ind = input(inputs, 1, attrs)?;
    let b = count(attrs.int_or("batch_dims", 0)?, "batch_dims", attrs)?;
    let (offs, slice, oshape) = nd_offsets(data.shape(), ind, b, attrs)?;
    element_count(&oshape, attrs)?;
    Ok(map_any!(data, a => {
        let f = flat(a);
        build(&oshape, offs.iter().flat_map(|&o| f[o..o + slice].iter().cloned()).collect(), attrs)?
    }))
}

/// ScatterND(data, indices, updates) with `reduction`.
pub(super) fn scatter_nd(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let data = input(inputs, 0, attrs)?;
    let ind = input(inputs, 1, attrs)?;
    let upd = input(inputs, 2, attrs)?;
    let (offs, slice, oshape) = nd_offsets(data.shape(), ind, 0, attrs)?;
    if upd.shape() != oshape.as_slice() {
        return Err(GraphError::shape(&attrs.op, format!("updates {:?} should have shape {oshape:?}", upd.shape())));
    }
    let dst: Vec<usize> = offs.iter().flat_map(|&o| o..o + slice).collect();
    scatter_flat(data, upd, &dst, &reduction(attrs)?, attrs)
}

/// Trilu(input, k): keeps the upper (`upper = 1`) or lower triangle of the last two dims, shifted by k.
pub(super) fn trilu(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let k = match opt_input(inputs, 1) {
        Some(t) => t.to_i64_vec(&attrs.op)?.first().copied().unwrap_or(0),
        None => 0,
    };
    let upper = attrs.int_or("upper", 1)? != 0;
    let s = x.shape();
    if s.len() < 2 {
        return Err(GraphError::shape(&attrs.op, "Trilu needs rank ≥ 2"));
    }
    let (rows, cols) = (s[s.len() - 2], s[s.len() - 1]);
    let keep = |j: usize| {
        let (i, c) = ((j / cols.max(1)) % rows.max(1), j % cols.max(1));
        let d = i128::try_from(c).unwrap_or(0) - i128::try_from(i).unwrap_or(0);
        if upper { d >= i128::from(k) } else { d <= i128::from(k) }
    };
    Ok(map_any!(x, a => {
        let f = flat(a);
        let z = Default::default();
        build(s, f.into_iter().enumerate().map(|(j, v)| if keep(j) { v } else { z }).collect(), attrs)?
    }))
}

/// EyeLike(input): a 2-D identity-like tensor with ones on diagonal `k`, of `dtype` (default: the input's).
pub(super) fn eye_like(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let [r, c] = x.shape() else {
        return Err(GraphError::shape(&attrs.op, "EyeLike needs a 2-D input"));
    };
    let k = attrs.int_or("k", 0)?;
    let ones: Vec<f32> = (0..r * c)
        .map(|j| {
            let d = i128::try_from(j % c).unwrap_or(0) - i128::try_from(j / c).unwrap_or(0);
            if d == i128::from(k) { 1.0 } else { 0.0 }
        })
        .collect();
    let eye = Tensor::F32(build(&[*r, *c], ones, attrs)?);
    let to = attrs.int_or("dtype", i64::from(x.onnx_dtype()))?;
    super::cast::cast_to(&eye, to, attrs)
}

/// Tile(input, repeats).
pub(super) fn tile(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let reps = input(inputs, 1, attrs)?.to_i64_vec(&attrs.op)?;
    let s = x.shape().to_vec();
    if reps.len() != s.len() {
        return Err(GraphError::shape(&attrs.op, format!("repeats has {} values for rank {}", reps.len(), s.len())));
    }
    let reps: Vec<usize> = reps.iter().map(|&v| count(v, "repeats", attrs)).collect::<Result<_, _>>()?;
    let oshape: Vec<usize> = s.iter().zip(&reps).map(|(a, b)| a * b).collect();
    element_count(&oshape, attrs)?;
    let (ist, ost) = (strides(&s), strides(&oshape));
    let n: usize = oshape.iter().product();
    let src: Vec<usize> =
        (0..n).map(|j| (0..s.len()).map(|a| ((j / ost[a]) % oshape[a] % s[a].max(1)) * ist[a]).sum()).collect();
    Ok(map_any!(x, a => { let f = flat(a); build(&oshape, src.iter().map(|&i| f[i]).collect(), attrs)? }))
}

/// OneHot(indices, depth, values[off, on]) with the new axis at `axis`; negative indices count from `depth`.
pub(super) fn one_hot(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let ind = input(inputs, 0, attrs)?;
    let idx: Vec<f64> = with_num!(ind, a, flat(a).into_iter().map(Elem::to_f64).collect(), {
        return Err(GraphError::shape(&attrs.op, "OneHot's indices must be numeric"));
    });
    let depth_v = input(inputs, 1, attrs)?.to_f32_vec();
    let depth = match depth_v.as_slice() {
        [d] if *d >= 1.0 && d.is_finite() => *d as usize,
        _ => return Err(GraphError::shape(&attrs.op, "depth must be one positive value")),
    };
    let values = input(inputs, 2, attrs)?;
    if values.len() != 2 {
        return Err(GraphError::shape(&attrs.op, "values must hold [off_value, on_value]"));
    }
    let r = ind.shape().len();
    let axis = norm_axis(attrs.int_or("axis", -1)?, r + 1, attrs)?;
    let mut oshape = ind.shape().to_vec();
    oshape.insert(axis, depth);
    element_count(&oshape, attrs)?;
    let ost = strides(&oshape);
    let inner: usize = oshape[axis + 1..].iter().product();
    let n: usize = oshape.iter().product();
    let hot: Vec<bool> = (0..n)
        .map(|j| {
            let d = (j / ost[axis]) % depth;
            let (outer, rest) = (j / (depth * inner), j % inner);
            let v = idx[outer * inner + rest].trunc();
            let v = if v < 0.0 { v + depth as f64 } else { v };
            v >= 0.0 && v as usize == d
        })
        .collect();
    Ok(map_any!(values, a => {
        let f = flat(a);
        build(&oshape, hot.iter().map(|&h| f[usize::from(h)]).collect(), attrs)?
    }))
}

/// CumSum(x, axis) with `exclusive` and `reverse`.
pub(super) fn cum_sum(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let ax = input(inputs, 1, attrs)?.to_i64_vec(&attrs.op)?;
    let [ax] = ax.as_slice() else {
        return Err(GraphError::shape(&attrs.op, "axis must be a single value"));
    };
    let axis = norm_axis(*ax, x.shape().len(), attrs)?;
    let exclusive = attrs.int_or("exclusive", 0)? != 0;
    let reverse = attrs.int_or("reverse", 0)? != 0;
    let s = x.shape().to_vec();
    let st = strides(&s);
    let (n, step) = (s[axis], st[axis]);
    let outer: usize = s[..axis].iter().product();
    macro_rules! go {
        ($a:expr, $v:ident) => {{
            let f = flat($a);
            let mut out = f.clone();
            for o in 0..outer {
                for i in 0..step {
                    let mut acc = Default::default();
                    for t in 0..n {
                        let k = if reverse { n - 1 - t } else { t };
                        let at = o * n * step + k * step + i;
                        let v = f[at];
                        if exclusive {
                            out[at] = acc;
                            acc = Elem::add(acc, v);
                        } else {
                            acc = Elem::add(acc, v);
                            out[at] = acc;
                        }
                    }
                }
            }
            Tensor::$v(build(&s, out, attrs)?)
        }};
    }
    Ok(match x {
        Tensor::F32(a) => go!(a, F32),
        Tensor::I64(a) => go!(a, I64),
        Tensor::I32(a) => go!(a, I32),
        Tensor::U32(a) => go!(a, U32),
        Tensor::U64(a) => go!(a, U64),
        other => return Err(GraphError::shape(&attrs.op, format!("CumSum does not take {}", other.dtype_name()))),
    })
}

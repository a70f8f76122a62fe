//! Ops that select or assemble elements along axes: Concat, Split, Slice, Gather, Pad (dtype-agnostic, exact).

use super::shape::reshaped;
use super::{Attributes, GraphError, Tensor, checked, input, map_any, norm_axis, opt_input};
use ndarray::{ArrayD, Axis, IxDyn};

/// Concat along `axis`; all inputs must share dtype and every other dimension.
pub(super) fn concat(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let parts: Vec<&Tensor> = inputs.iter().flatten().copied().collect();
    let first = *parts.first().ok_or_else(|| GraphError::shape(&attrs.op, "Concat needs at least one input"))?;
    let r = first.shape().len();
    if !attrs.has("axis") {
        return Err(GraphError::attribute(&attrs.op, "axis", "required attribute is missing"));
    }
    let axis = norm_axis(attrs.int_or("axis", 0)?, r, attrs)?;
    for p in &parts {
        let same_rest = p.shape().len() == r && (0..r).all(|i| i == axis || p.shape()[i] == first.shape()[i]);
        if p.dtype_name() != first.dtype_name() || !same_rest {
            return Err(GraphError::shape(
                &attrs.op,
                format!(
                    "cannot concatenate {} {:?} with {} {:?} on axis {axis}",
                    first.dtype_name(),
                    first.shape(),
                    p.dtype_name(),
                    p.shape()
                ),
            ));
        }
    }
    // One input may be listed many times (50,000 × 1 MiB is a 50 GB output): bound it before concatenating.
    let total = parts.iter().try_fold(0usize, |acc, p| acc.checked_add(p.shape()[axis]));
    let mut out_shape = first.shape().to_vec();
    out_shape[axis] = total.ok_or_else(|| {
        GraphError::TooLarge(format!("op '{}': {} inputs concatenate to an overflowing size", attrs.op, parts.len()))
    })?;
    super::element_count(&out_shape, attrs)?;
    macro_rules! cat {
        ($variant:ident) => {{
            let views: Vec<_> =
                parts.iter().filter_map(|p| if let Tensor::$variant(a) = p { Some(a.view()) } else { None }).collect();
            Tensor::$variant(
                ndarray::concatenate(Axis(axis), &views).map_err(|e| GraphError::shape(&attrs.op, e.to_string()))?,
            )
        }};
    }
    Ok(match first {
        Tensor::F32(_) => cat!(F32),
        Tensor::I64(_) => cat!(I64),
        Tensor::I32(_) => cat!(I32),
        Tensor::I8(_) => cat!(I8),
        Tensor::U8(_) => cat!(U8),
        Tensor::Bool(_) => cat!(Bool),
        Tensor::I16(_) => cat!(I16),
        Tensor::U16(_) => cat!(U16),
        Tensor::U32(_) => cat!(U32),
        Tensor::U64(_) => cat!(U64),
    })
}

/// Takes the indices `idx` along `axis` (copying).
fn take(t: &Tensor, axis: usize, idx: &[usize]) -> Tensor {
    map_any!(t, a => a.select(Axis(axis), idx))
}

/// Split along `axis` by the `split` sizes (input #1 or attribute) or into `num_outputs` near-equal parts
/// (the last one smaller, as opset 18 specifies).
pub(super) fn split(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Vec<Tensor>, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let axis = norm_axis(attrs.int_or("axis", 0)?, x.shape().len(), attrs)?;
    let dim = x.shape()[axis];
    let sizes: Vec<usize> = match (opt_input(inputs, 1), attrs.ints("split")?) {
        (Some(t), _) => super::to_dims(&t.to_i64_vec(&attrs.op)?, "split", attrs)?,
        (None, Some(s)) => super::to_dims(&s, "split", attrs)?,
        (None, None) => {
            let n = attrs.int_or("num_outputs", 0)?;
            // Compared in i64 before any conversion: on wasm32 `2^32 as usize` is 0.
            if n < 1 || n > i64::try_from(dim.max(1)).unwrap_or(i64::MAX) {
                return Err(GraphError::attribute(
                    &attrs.op,
                    "num_outputs",
                    format!(
                        "Split needs split sizes or 1 ≤ num_outputs ≤ the axis size {dim} (the node's output count), \
                         got {n}"
                    ),
                ));
            }
            let n = checked::to_usize(n, &attrs.op, "attribute 'num_outputs'")?;
            let chunk = dim.div_ceil(n);
            (0..n).map(|i| chunk.min(dim.saturating_sub(i.saturating_mul(chunk)))).collect()
        }
    };
    if sizes.iter().try_fold(0usize, |a, &v| a.checked_add(v)) != Some(dim) {
        return Err(GraphError::shape(&attrs.op, format!("split sizes {sizes:?} do not sum to dimension {dim}")));
    }
    let mut start = 0;
    Ok(sizes
        .iter()
        .map(|&s| {
            let idx: Vec<usize> = (start..start + s).collect();
            start += s;
            take(x, axis, &idx)
        })
        .collect())
}

/// Slice with starts/ends/axes/steps from inputs (opset ≥ 10) or attributes (opset < 10); negative indices
/// count from the back and out-of-range ones are clamped, as ONNX specifies.
pub(super) fn slice(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let r = x.shape().len();
    let list = |i: usize, name: &str| -> Result<Option<Vec<i64>>, GraphError> {
        match opt_input(inputs, i) {
            Some(t) => Ok(Some(t.to_i64_vec(&attrs.op)?)),
            None => attrs.ints(name),
        }
    };
    let starts = list(1, "starts")?.ok_or_else(|| GraphError::shape(&attrs.op, "starts are required"))?;
    let ends = list(2, "ends")?.ok_or_else(|| GraphError::shape(&attrs.op, "ends are required"))?;
    let axes = list(3, "axes")?.unwrap_or_else(|| (0..starts.len() as i64).collect());
    let steps = list(4, "steps")?.unwrap_or_else(|| vec![1; starts.len()]);
    if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
        return Err(GraphError::shape(&attrs.op, "starts, ends, axes and steps must have the same length"));
    }
    let mut out = x.clone();
    let mut seen = vec![false; r];
    for i in 0..starts.len() {
        let axis = norm_axis(axes[i], r, attrs)?;
        if std::mem::replace(&mut seen[axis], true) {
            return Err(GraphError::shape(&attrs.op, format!("axis {axis} is sliced twice")));
        }
        let len = out.shape()[axis];
        let dim = i64::try_from(len).unwrap_or(i64::MAX);
        if steps[i] == 0 {
            return Err(GraphError::shape(&attrs.op, "slice step 0 is invalid"));
        }
        // A step longer than the axis selects one element, as does the axis length + 1: clamping keeps the
        // conversion exact on wasm32 (where `2^32 as usize` is 0 and `step_by(0)` panics).
        let step = steps[i].clamp(-dim - 1, dim + 1);
        let fix = |v: i64| if v < 0 { v.saturating_add(dim) } else { v };
        let (s, e) = (fix(starts[i]), fix(ends[i]));
        let (first, count, stride) = if step > 0 {
            let (s, e) = (s.clamp(0, dim), e.clamp(0, dim));
            (s, if e > s { (e - s - 1) / step + 1 } else { 0 }, step)
        } else {
            let (s, e) = (s.clamp(-1, dim - 1), e.clamp(-1, dim - 1));
            (s, if s > e { (s - e - 1) / -step + 1 } else { 0 }, step)
        };
        // first, count and stride are within ±(len + 1), so the indices are in 0..len
        let idx: Vec<usize> =
            (0..count).map(|k| usize::try_from(first + k * stride).unwrap_or(0).min(len.saturating_sub(1))).collect();
        out = take(&out, axis, &idx);
    }
    Ok(out)
}

/// Gather along `axis` with int64/int32 indices of any shape (negative indices count from the back).
pub(super) fn gather(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let ind = input(inputs, 1, attrs)?;
    let r = x.shape().len();
    let axis = norm_axis(attrs.int_or("axis", 0)?, r, attrs)?;
    let dim = i64::try_from(x.shape()[axis]).unwrap_or(i64::MAX);
    let mut shape: Vec<usize> = x.shape()[..axis].to_vec();
    shape.extend_from_slice(ind.shape());
    shape.extend_from_slice(&x.shape()[axis + 1..]);
    // Few indices can pick a large output (every row of a big constant, many times): bound it first.
    super::element_count(&shape, attrs)?;
    let idx: Vec<usize> = ind
        .to_i64_vec(&attrs.op)?
        .into_iter()
        .map(|i| {
            let j = if i < 0 { i.saturating_add(dim) } else { i };
            if (0..dim).contains(&j) {
                checked::to_usize(j, &attrs.op, "input 'indices'")
            } else {
                Err(GraphError::shape(&attrs.op, format!("index {i} is out of range for axis of size {dim}")))
            }
        })
        .collect::<Result<_, _>>()?;
    let picked = take(x, axis, &idx);
    reshaped(&picked, &shape, attrs)
}

/// Source index along an axis of length `n` for output position `p` (padded by `before`) in reflect/edge
/// mode, or `None` in the constant region.
fn pad_source(p: usize, before: i64, n: usize, mode: &str) -> Option<usize> {
    let i = p as i64 - before;
    let n = n as i64;
    if (0..n).contains(&i) {
        return Some(i as usize);
    }
    match mode {
        "edge" => Some(i.clamp(0, n - 1) as usize),
        "reflect" => {
            if n == 1 {
                return Some(0);
            }
            let period = 2 * (n - 1);
            let m = i.rem_euclid(period);
            Some((if m < n { m } else { period - m }) as usize)
        }
        _ => None,
    }
}

/// Pad in constant, reflect or edge mode; pads (and the constant) from inputs (opset ≥ 11) or attributes.
/// Negative pads crop.
pub(super) fn pad(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let r = x.shape().len();
    let mode = attrs.string_or("mode", "constant")?;
    if !["constant", "reflect", "edge"].contains(&mode.as_str()) {
        return Err(GraphError::attribute(&attrs.op, "mode", format!("unsupported mode '{mode}'")));
    }
    let raw = match opt_input(inputs, 1) {
        Some(t) => t.to_i64_vec(&attrs.op)?,
        None => attrs.ints("pads")?.ok_or_else(|| GraphError::shape(&attrs.op, "pads are required"))?,
    };
    let axes: Vec<usize> = match opt_input(inputs, 3) {
        Some(t) => t.to_i64_vec(&attrs.op)?.iter().map(|&a| norm_axis(a, r, attrs)).collect::<Result<_, _>>()?,
        None => (0..r).collect(),
    };
    if raw.len() != 2 * axes.len() {
        return Err(GraphError::shape(
            &attrs.op,
            format!("pads has {} values, expected {}", raw.len(), 2 * axes.len()),
        ));
    }
    let mut before = vec![0i64; r];
    let mut after = vec![0i64; r];
    for (k, &a) in axes.iter().enumerate() {
        (before[a], after[a]) = (raw[k], raw[k + axes.len()]);
    }
    let value = match opt_input(inputs, 2) {
        Some(t) => t.to_f32_vec().first().copied().unwrap_or(0.0),
        None => attrs.float_or("value", 0.0)?,
    };
    let mut out_shape = Vec::with_capacity(r);
    for a in 0..r {
        let n = (x.shape()[a] as i64).checked_add(before[a]).and_then(|v| v.checked_add(after[a])).unwrap_or(-1);
        if n < 0 {
            return Err(GraphError::shape(&attrs.op, format!("pads make axis {a} negative or overflow")));
        }
        if mode != "constant" && x.shape()[a] == 0 && n > 0 {
            return Err(GraphError::shape(&attrs.op, format!("cannot {mode}-pad the empty axis {a}")));
        }
        // Checked, not `as`: on wasm32 a pad of 2^32 would wrap to a plausible small axis.
        out_shape.push(
            checked::to_usize(n, &attrs.op, &format!("padded axis {a}"))
                .map_err(|_| GraphError::TooLarge(format!("op '{}': pads make axis {a} {n} long", attrs.op)))?,
        );
    }
    super::element_count(&out_shape, attrs)?;
    // Per axis, the source index of each output position (None = constant fill).
    let maps: Vec<Vec<Option<usize>>> =
        (0..r).map(|a| (0..out_shape[a]).map(|p| pad_source(p, before[a], x.shape()[a], &mode)).collect()).collect();
    macro_rules! fill {
        ($a:expr, $fill:expr) => {{
            let shape = IxDyn(&out_shape);
            ArrayD::from_shape_fn(shape, |ix| {
                let mut src = Vec::with_capacity(r);
                for a in 0..r {
                    match maps[a][ix[a]] {
                        Some(s) => src.push(s),
                        None => return $fill,
                    }
                }
                $a[IxDyn(&src)]
            })
        }};
    }
    Ok(match x {
        Tensor::F32(a) => Tensor::F32(fill!(a, value)),
        Tensor::I64(a) => Tensor::I64(fill!(a, value as i64)),
        Tensor::I32(a) => Tensor::I32(fill!(a, value as i32)),
        Tensor::I8(a) => Tensor::I8(fill!(a, value as i8)),
        Tensor::U8(a) => Tensor::U8(fill!(a, value as u8)),
        Tensor::Bool(a) => Tensor::Bool(fill!(a, value != 0.0)),
        Tensor::I16(a) => Tensor::I16(fill!(a, value as i16)),
        Tensor::U16(a) => Tensor::U16(fill!(a, value as u16)),
        Tensor::U32(a) => Tensor::U32(fill!(a, value as u32)),
        Tensor::U64(a) => Tensor::U64(fill!(a, value as u64)),
    })
}

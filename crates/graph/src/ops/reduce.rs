//! The Reduce* family with axes from the attribute (opset < 18, < 13 for ReduceSum) or input #1, `keepdims` and
//! `noop_with_empty_axes`. Floats reduce in f64 for accuracy; integers (and bools for ReduceMax/Min, opset 20)
//! exactly. A reduction over an empty set gives the operation's identity (0 for sums, 1 for products, -inf for
//! max and log-sums, +inf for min), as ONNX specifies.

use super::shape::axes_attr_or_input;
use super::{Attributes, GraphError, Tensor, input, norm_axis};
use ndarray::{ArrayD, IxDyn};

/// The op types [`reduce`] implements.
pub(super) const OPS: &[&str] = &[
    "ReduceL1",
    "ReduceL2",
    "ReduceLogSum",
    "ReduceLogSumExp",
    "ReduceMax",
    "ReduceMean",
    "ReduceMin",
    "ReduceProd",
    "ReduceSum",
    "ReduceSumSquare",
];

/// Reduces one lane of f64 values.
fn float_lane(op_type: &str, v: &[f64]) -> f64 {
    match op_type {
        "ReduceMax" => v.iter().copied().fold(f64::NEG_INFINITY, |m, x| if x.is_nan() || x > m { x } else { m }),
        "ReduceMin" => v.iter().copied().fold(f64::INFINITY, |m, x| if x.is_nan() || x < m { x } else { m }),
        "ReduceProd" => v.iter().product(),
        "ReduceMean" => v.iter().sum::<f64>() / v.len() as f64,
        "ReduceL1" => v.iter().map(|x| x.abs()).sum(),
        "ReduceL2" => v.iter().map(|x| x * x).sum::<f64>().sqrt(),
        "ReduceSumSquare" => v.iter().map(|x| x * x).sum(),
        "ReduceLogSum" => v.iter().sum::<f64>().ln(),
        "ReduceLogSumExp" => {
            let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if m.is_infinite() {
                return v.iter().map(|x| x.exp()).sum::<f64>().ln();
            }
            m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
        }
        _ => v.iter().sum(),
    }
}

/// Reduces one lane of i64 values (wrapping like the integer kernels of onnxruntime).
fn int_lane(op_type: &str, v: &[i64], attrs: &Attributes) -> Result<i64, GraphError> {
    Ok(match op_type {
        "ReduceMax" => v.iter().copied().max().unwrap_or(i64::MIN),
        "ReduceMin" => v.iter().copied().min().unwrap_or(i64::MAX),
        "ReduceProd" => v.iter().fold(1i64, |a, &x| a.wrapping_mul(x)),
        "ReduceSum" => v.iter().fold(0i64, |a, &x| a.wrapping_add(x)),
        "ReduceMean" if !v.is_empty() => v.iter().fold(0i64, |a, &x| a.wrapping_add(x)) / v.len() as i64,
        "ReduceL1" => v.iter().fold(0i64, |a, &x| a.wrapping_add(x.wrapping_abs())),
        "ReduceSumSquare" => v.iter().fold(0i64, |a, &x| a.wrapping_add(x.wrapping_mul(x))),
        _ => {
            return Err(GraphError::shape(&attrs.op, format!("{op_type} of integers is not supported")));
        }
    })
}

/// The reduced axes (sorted, unique), or None for `noop_with_empty_axes` with no axes.
fn reduced_axes(inputs: &[Option<&Tensor>], rank: usize, attrs: &Attributes) -> Result<Option<Vec<usize>>, GraphError> {
    let axes = axes_attr_or_input(inputs, 1, attrs)?.unwrap_or_default();
    if axes.is_empty() && attrs.int_or("noop_with_empty_axes", 0)? != 0 {
        return Ok(None);
    }
    let mut axes: Vec<usize> = if axes.is_empty() {
        (0..rank).collect()
    } else {
        axes.iter().map(|&a| norm_axis(a, rank, attrs)).collect::<Result<_, _>>()?
    };
    axes.sort_unstable();
    axes.dedup();
    Ok(Some(axes))
}

/// Gathers every output position's lane (the values over the reduced axes) and reduces it with `f`.
fn reduce_array<T: Copy, U>(
    x: &ArrayD<T>,
    axes: &[usize],
    keep: bool,
    attrs: &Attributes,
    mut f: impl FnMut(&[T]) -> Result<U, GraphError>,
) -> Result<ArrayD<U>, GraphError> {
    let r = x.ndim();
    let kept: Vec<usize> = (0..r).filter(|i| !axes.contains(i)).collect();
    // Move the kept axes first and the reduced ones last, so each output position is one contiguous lane.
    let perm: Vec<usize> = kept.iter().chain(axes).copied().collect();
    let moved = x.view().permuted_axes(IxDyn(&perm));
    let moved = moved.as_standard_layout();
    let lane: usize = axes.iter().map(|&a| x.shape()[a]).product();
    let outer: usize = kept.iter().map(|&a| x.shape()[a]).product();
    let flat = moved.as_slice().ok_or_else(|| GraphError::shape(&attrs.op, "non-contiguous input"))?;
    let mut out = Vec::with_capacity(outer);
    for k in 0..outer {
        out.push(f(&flat[k * lane..(k + 1) * lane])?);
    }
    let shape: Vec<usize> = if keep {
        (0..r).map(|i| if axes.contains(&i) { 1 } else { x.shape()[i] }).collect()
    } else {
        kept.iter().map(|&a| x.shape()[a]).collect()
    };
    ArrayD::from_shape_vec(IxDyn(&shape), out).map_err(|e| GraphError::shape(&attrs.op, e.to_string()))
}

/// One reduction of [`OPS`].
pub(super) fn reduce(op_type: &str, inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let keep = attrs.int_or("keepdims", 1)? != 0;
    let Some(axes) = reduced_axes(inputs, x.shape().len(), attrs)? else {
        return Ok(x.clone());
    };
    Ok(match x {
        Tensor::F32(a) => Tensor::F32(reduce_array(a, &axes, keep, attrs, |v| {
            let w: Vec<f64> = v.iter().map(|&x| x as f64).collect();
            Ok(float_lane(op_type, &w) as f32)
        })?),
        Tensor::Bool(a) if matches!(op_type, "ReduceMax" | "ReduceMin") => {
            let max = op_type == "ReduceMax";
            Tensor::Bool(reduce_array(a, &axes, keep, attrs, |v| {
                Ok(if max { v.iter().any(|&b| b) } else { v.iter().all(|&b| b) })
            })?)
        }
        Tensor::I64(a) => Tensor::I64(reduce_array(a, &axes, keep, attrs, |v| int_lane(op_type, v, attrs))?),
        Tensor::I32(a) => Tensor::I32(reduce_array(a, &axes, keep, attrs, |v| {
            let w: Vec<i64> = v.iter().map(|&x| i64::from(x)).collect();
            int_lane(op_type, &w, attrs).map(|r| r as i32)
        })?),
        Tensor::U8(a) if matches!(op_type, "ReduceMax" | "ReduceMin") => {
            Tensor::U8(reduce_array(a, &axes, keep, attrs, |v| {
                let w: Vec<i64> = v.iter().map(|&x| i64::from(x)).collect();
                int_lane(op_type, &w, attrs).map(|r| r.clamp(0, 255) as u8)
            })?)
        }
        Tensor::I8(a) if matches!(op_type, "ReduceMax" | "ReduceMin") => {
            Tensor::I8(reduce_array(a, &axes, keep, attrs, |v| {
                let w: Vec<i64> = v.iter().map(|&x| i64::from(x)).collect();
                int_lane(op_type, &w, attrs).map(|r| r.clamp(-128, 127) as i8)
            })?)
        }
        other => {
            return Err(GraphError::shape(&attrs.op, format!("{op_type} does not take {}", other.dtype_name())));
        }
    })
}

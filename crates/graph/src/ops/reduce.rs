//! ReduceMean/Max/Min/Sum over float32 with axes from the attribute or input #1, `keepdims` and
//! `noop_with_empty_axes`.

use super::shape::axes_attr_or_input;
use super::{Attributes, GraphError, Tensor, f32_input, norm_axis};
use ndarray::{ArrayD, Axis, IxDyn};

/// One reduction.
pub(super) fn reduce(op_type: &str, inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let r = x.ndim();
    let keep = attrs.int_or("keepdims", 1)? != 0;
    let axes = axes_attr_or_input(inputs, 1, attrs)?.unwrap_or_default();
    if axes.is_empty() && attrs.int_or("noop_with_empty_axes", 0)? != 0 {
        return Ok(Tensor::F32(x.clone()));
    }
    let mut axes: Vec<usize> = if axes.is_empty() {
        (0..r).collect()
    } else {
        axes.iter().map(|&a| norm_axis(a, r, attrs)).collect::<Result<_, _>>()?
    };
    axes.sort_unstable();
    axes.dedup();
    if matches!(op_type, "ReduceMax" | "ReduceMin") && axes.iter().any(|&a| x.shape()[a] == 0) {
        return Err(GraphError::shape(&attrs.op, "cannot take the max/min of an empty axis"));
    }
    let mut y = x.clone();
    // Reduce from the last axis so earlier indices stay valid; keep each reduced axis as size 1.
    for &a in axes.iter().rev() {
        let n = y.shape()[a];
        let red = match op_type {
            "ReduceMax" => y.fold_axis(Axis(a), f32::NEG_INFINITY, |&m, &v| m.max(v)),
            "ReduceMin" => y.fold_axis(Axis(a), f32::INFINITY, |&m, &v| m.min(v)),
            _ => y.sum_axis(Axis(a)),
        };
        y = red.insert_axis(Axis(a));
        if op_type == "ReduceMean" {
            y.mapv_inplace(|v| v / n as f32);
        }
    }
    if !keep {
        let shape: Vec<usize> = (0..r).filter(|i| !axes.contains(i)).map(|i| y.shape()[i]).collect();
        y = y.into_shape_with_order(IxDyn(&shape)).map_err(|_| GraphError::shape(&attrs.op, "output reshape"))?;
    }
    let y: ArrayD<f32> = y;
    Ok(Tensor::F32(y))
}

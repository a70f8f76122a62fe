//! Shape-only and constant-producing ops: Flatten, Reshape, Transpose, Squeeze, Unsqueeze, Shape,
//! ConstantOfShape, Constant, Cast, Expand. These are dtype-agnostic and exact.

use super::{
    Attributes, GraphError, Tensor, broadcast_shapes, checked, element_count, input, map_any, norm_axis, opt_input,
    to_dims,
};
use ndarray::{ArrayD, IxDyn};

/// Reshapes any tensor to `shape` (row-major), checking the element count.
pub(super) fn reshaped(t: &Tensor, shape: &[usize], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let count = element_count(shape, attrs)?;
    if count != t.len() {
        return Err(GraphError::shape(
            &attrs.op,
            format!("cannot reshape {:?} ({} elements) to {shape:?} ({count} elements)", t.shape(), t.len()),
        ));
    }
    let bad = |_| GraphError::shape(&attrs.op, "reshape failed");
    Ok(map_any!(t, a => a.as_standard_layout().into_owned().into_shape_with_order(IxDyn(shape)).map_err(bad)?))
}

/// Flatten to 2-D around `axis` (default 1; negative allowed, `axis == rank` allowed).
pub(super) fn flatten(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let r = x.shape().len() as i64;
    let axis = attrs.int_or("axis", 1)?;
    let a = if axis < 0 { axis + r } else { axis };
    if !(0..=r).contains(&a) {
        return Err(GraphError::attribute(&attrs.op, "axis", format!("{axis} is out of range for rank {r}")));
    }
    let outer: usize = x.shape()[..a as usize].iter().product();
    let inner: usize = x.shape()[a as usize..].iter().product();
    reshaped(x, &[outer, inner], attrs)
}

/// Reshape: `0` copies the input dimension (unless `allowzero`), one `-1` is inferred.
pub(super) fn reshape(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let spec = input(inputs, 1, attrs)?.to_i64_vec(&attrs.op)?;
    let allowzero = attrs.int_or("allowzero", 0)? != 0;
    let mut shape = Vec::with_capacity(spec.len());
    let mut infer = None;
    for (i, &d) in spec.iter().enumerate() {
        match d {
            -1 if infer.is_none() => {
                infer = Some(i);
                shape.push(1);
            }
            -1 => return Err(GraphError::shape(&attrs.op, "shape has more than one -1")),
            0 if !allowzero => shape.push(*x.shape().get(i).ok_or_else(|| {
                GraphError::shape(&attrs.op, format!("shape[{i}] = 0 copies a dimension the input does not have"))
            })?),
            d if d < 0 => return Err(GraphError::shape(&attrs.op, format!("invalid dimension {d} in shape"))),
            d => shape.push(checked::to_usize(d, &attrs.op, "input 'shape'")?),
        }
    }
    if let Some(i) = infer {
        let known: usize = shape.iter().product();
        if known == 0 || x.len() % known != 0 {
            return Err(GraphError::shape(
                &attrs.op,
                format!("cannot infer -1 in {spec:?} for an input of {} elements", x.len()),
            ));
        }
        shape[i] = x.len() / known;
    }
    reshaped(x, &shape, attrs)
}

/// Transpose by `perm` (default: reverse the axes).
pub(super) fn transpose(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let r = x.shape().len();
    let perm: Vec<usize> = match attrs.ints("perm")? {
        None => (0..r).rev().collect(),
        Some(p) => p.iter().map(|&a| norm_axis(a, r, attrs)).collect::<Result<_, _>>()?,
    };
    let mut seen = vec![false; r];
    for &p in &perm {
        seen[p] = true;
    }
    if perm.len() != r || seen.contains(&false) {
        return Err(GraphError::attribute(&attrs.op, "perm", format!("{perm:?} is not a permutation of {r} axes")));
    }
    Ok(map_any!(x, a => a.view().permuted_axes(IxDyn(&perm)).as_standard_layout().into_owned()))
}

/// Axes from the `axes` attribute (older opsets) or input `i` (newer ones); `None` when neither is given.
pub(super) fn axes_attr_or_input(
    inputs: &[Option<&Tensor>],
    i: usize,
    attrs: &Attributes,
) -> Result<Option<Vec<i64>>, GraphError> {
    if let Some(a) = attrs.ints("axes")? {
        return Ok(Some(a));
    }
    opt_input(inputs, i).map(|t| t.to_i64_vec(&attrs.op)).transpose()
}

/// Squeeze the listed unit axes, or every unit axis when none are listed.
pub(super) fn squeeze(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let r = x.shape().len();
    let drop: Vec<usize> = match axes_attr_or_input(inputs, 1, attrs)? {
        None => (0..r).filter(|&i| x.shape()[i] == 1).collect(),
        Some(ax) => {
            let ax: Vec<usize> = ax.iter().map(|&a| norm_axis(a, r, attrs)).collect::<Result<_, _>>()?;
            if let Some(&a) = ax.iter().find(|&&a| x.shape()[a] != 1) {
                return Err(GraphError::shape(&attrs.op, format!("axis {a} has size {}, not 1", x.shape()[a])));
            }
            ax
        }
    };
    let shape: Vec<usize> = (0..r).filter(|i| !drop.contains(i)).map(|i| x.shape()[i]).collect();
    reshaped(x, &shape, attrs)
}

/// Unsqueeze: insert unit axes at `axes` (indices into the output rank).
pub(super) fn unsqueeze(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let ax = axes_attr_or_input(inputs, 1, attrs)?
        .ok_or_else(|| GraphError::shape(&attrs.op, "axes are required (attribute or input #1)"))?;
    let out_r = x.shape().len() + ax.len();
    let mut is_new = vec![false; out_r];
    for &a in &ax {
        let a = norm_axis(a, out_r, attrs)?;
        if is_new[a] {
            return Err(GraphError::shape(&attrs.op, format!("axis {a} is listed twice")));
        }
        is_new[a] = true;
    }
    let mut src = x.shape().iter();
    let shape: Vec<usize> = is_new.iter().map(|&n| if n { 1 } else { src.next().copied().unwrap_or(1) }).collect();
    reshaped(x, &shape, attrs)
}

/// Shape as int64, sliced by `start`/`end` (clamped, negatives from the back).
pub(super) fn shape_of(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let r = x.shape().len() as i64;
    let clamp = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
    let start = clamp(attrs.int_or("start", 0)?);
    let end = clamp(attrs.int_or("end", r)?).max(start);
    let dims: Vec<i64> = x.shape()[start..end].iter().map(|&d| d as i64).collect();
    Ok(Tensor::I64(
        ArrayD::from_shape_vec(IxDyn(&[dims.len()]), dims).map_err(|_| GraphError::shape(&attrs.op, "shape"))?,
    ))
}

/// ConstantOfShape: a tensor of the given shape filled with the one-element `value` (default float 0).
pub(super) fn constant_of_shape(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let shape = to_dims(&input(inputs, 0, attrs)?.to_i64_vec(&attrs.op)?, "shape", attrs)?;
    let shape = IxDyn(&shape);
    let Some(v) = attrs.tensor("value")? else {
        return Ok(Tensor::F32(ArrayD::zeros(shape)));
    };
    if v.len() != 1 {
        return Err(GraphError::attribute(&attrs.op, "value", "must hold exactly one element"));
    }
    Ok(map_any!(v, a => ArrayD::from_elem(shape.clone(), a.iter().next().copied().unwrap_or_default())))
}

/// Constant from `value` (tensor), `value_float(s)` or `value_int(s)`.
pub(super) fn constant(attrs: &Attributes) -> Result<Tensor, GraphError> {
    if let Some(t) = attrs.tensor("value")? {
        return Ok(t.clone());
    }
    let vec1 = |n: usize| IxDyn(&[n]);
    if attrs.has("value_float") {
        return Ok(Tensor::F32(ArrayD::from_elem(IxDyn(&[]), attrs.float_or("value_float", 0.0)?)));
    }
    if let Some(v) = attrs.floats("value_floats")? {
        return Ok(Tensor::F32(
            ArrayD::from_shape_vec(vec1(v.len()), v).map_err(|_| GraphError::shape(&attrs.op, "value"))?,
        ));
    }
    if attrs.has("value_int") {
        return Ok(Tensor::I64(ArrayD::from_elem(IxDyn(&[]), attrs.int_or("value_int", 0)?)));
    }
    if let Some(v) = attrs.ints("value_ints")? {
        return Ok(Tensor::I64(
            ArrayD::from_shape_vec(vec1(v.len()), v).map_err(|_| GraphError::shape(&attrs.op, "value"))?,
        ));
    }
    Err(GraphError::attribute(&attrs.op, "value", "Constant needs value, value_float(s) or value_int(s)"))
}

/// Expand: bidirectional broadcast of the input with the given shape.
pub(super) fn expand(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = input(inputs, 0, attrs)?;
    let target = to_dims(&input(inputs, 1, attrs)?.to_i64_vec(&attrs.op)?, "shape", attrs)?;
    let shape = broadcast_shapes(x.shape(), &target, attrs)?;
    element_count(&shape, attrs)?;
    let bad = || GraphError::shape(&attrs.op, format!("cannot expand {:?} to {shape:?}", x.shape()));
    Ok(map_any!(x, a => a.broadcast(IxDyn(&shape)).ok_or_else(bad)?.to_owned()))
}

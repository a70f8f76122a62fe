//! Gemm and MatMul on ndarray's `general_mat_mul` (matrixmultiply's sgemm, simd128 on wasm).

use super::{Attributes, GraphError, Tensor, broadcast_shapes, budget, checked, f32_input, opt_input};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayD, ArrayView2, Axis, Ix2, IxDyn};

/// Views a rank-2 float array as `ArrayView2`, or reports which input is not a matrix.
fn as_matrix<'a>(a: &'a ArrayD<f32>, name: &str, attrs: &Attributes) -> Result<ArrayView2<'a, f32>, GraphError> {
    a.view()
        .into_dimensionality::<Ix2>()
        .map_err(|_| GraphError::shape(&attrs.op, format!("{name} must be 2-D, has shape {:?}", a.shape())))
}

/// Gemm: `Y = alpha · op(A) · op(B) + beta · C`, with `transA`/`transB` and C broadcast unidirectionally to (M, N).
pub(super) fn gemm(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let a = as_matrix(f32_input(inputs, 0, attrs)?, "A", attrs)?;
    let b = as_matrix(f32_input(inputs, 1, attrs)?, "B", attrs)?;
    let a = if attrs.int_or("transA", 0)? != 0 { a.reversed_axes() } else { a };
    let b = if attrs.int_or("transB", 0)? != 0 { b.reversed_axes() } else { b };
    let alpha = attrs.float_or("alpha", 1.0)?;
    let beta = attrs.float_or("beta", 1.0)?;
    let (m, k) = a.dim();
    let (k2, n) = b.dim();
    if k != k2 {
        return Err(GraphError::shape(
            &attrs.op,
            format!("inner dimensions differ: op(A) is {m}×{k}, op(B) is {k2}×{n}"),
        ));
    }
    super::element_count(&[m, n], attrs)?;
    budget::check_cost(&attrs.op, "multiply-adds", checked::product(&[m, n, k]))?;
    let mut y = Array2::<f32>::zeros((m, n));
    let mut c_beta = 0.0;
    if let Some(c) = opt_input(inputs, 2) {
        let c = c.as_f32(&attrs.op)?;
        let cb = c.broadcast(IxDyn(&[m, n])).ok_or_else(|| {
            GraphError::shape(&attrs.op, format!("C of shape {:?} does not broadcast to ({m}, {n})", c.shape()))
        })?;
        let cb = cb.into_dimensionality::<Ix2>().map_err(|_| GraphError::shape(&attrs.op, "C broadcast is not 2-D"))?;
        y.zip_mut_with(&cb, |o, &v| *o = beta * v);
        c_beta = 1.0;
    }
    general_mat_mul(alpha, &a, &b, c_beta, &mut y);
    Ok(Tensor::F32(y.into_dyn()))
}

/// MatMul with numpy semantics: 1-D operands are promoted (and the added axis removed afterwards), leading batch
/// dimensions broadcast.
pub(super) fn matmul(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let a = f32_input(inputs, 0, attrs)?;
    let b = f32_input(inputs, 1, attrs)?;
    if a.ndim() == 0 || b.ndim() == 0 {
        return Err(GraphError::shape(&attrs.op, "MatMul operands must have rank ≥ 1"));
    }
    let a_vec = a.ndim() == 1;
    let b_vec = b.ndim() == 1;
    let a = if a_vec { a.view().insert_axis(Axis(0)) } else { a.view() };
    let b = if b_vec { b.view().insert_axis(Axis(1)) } else { b.view() };
    let (ra, rb) = (a.ndim(), b.ndim());
    let (m, k) = (a.shape()[ra - 2], a.shape()[ra - 1]);
    let (k2, n) = (b.shape()[rb - 2], b.shape()[rb - 1]);
    if k != k2 {
        return Err(GraphError::shape(
            &attrs.op,
            format!("inner dimensions differ: {:?} × {:?}", a.shape(), b.shape()),
        ));
    }
    let batch = broadcast_shapes(&a.shape()[..ra - 2], &b.shape()[..rb - 2], attrs)?;
    let count = super::element_count(&batch, attrs)?;
    super::element_count(&[count, m, n], attrs)?;
    budget::check_cost(&attrs.op, "multiply-adds", checked::product(&[count, m, n, k]))?;
    // A broadcast operand is copied to (count, m, k) / (count, k, n) below: bound those copies too.
    if a.shape()[..ra - 2].iter().product::<usize>() != count {
        super::element_count(&[count, m, k], attrs)?;
    }
    if b.shape()[..rb - 2].iter().product::<usize>() != count {
        super::element_count(&[count, k, n], attrs)?;
    }
    let mut a_full = batch.clone();
    a_full.extend([m, k]);
    let mut b_full = batch.clone();
    b_full.extend([k, n]);
    let bad = || GraphError::shape(&attrs.op, "batch dimensions do not broadcast");
    let ab = a.broadcast(IxDyn(&a_full)).ok_or_else(bad)?;
    let bb = b.broadcast(IxDyn(&b_full)).ok_or_else(bad)?;
    let a3 = ab.to_shape((count, m, k)).map_err(|_| bad())?;
    let b3 = bb.to_shape((count, k, n)).map_err(|_| bad())?;
    let mut out = ndarray::Array3::<f32>::zeros((count, m, n));
    for ((am, bm), mut om) in a3.outer_iter().zip(b3.outer_iter()).zip(out.outer_iter_mut()) {
        general_mat_mul(1.0, &am, &bm, 0.0, &mut om);
    }
    let mut shape = batch;
    if !a_vec {
        shape.push(m);
    }
    if !b_vec {
        shape.push(n);
    }
    let out = out.into_shape_with_order(IxDyn(&shape)).map_err(|_| bad())?;
    Ok(Tensor::F32(out))
}

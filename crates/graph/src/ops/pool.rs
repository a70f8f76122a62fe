//! MaxPool, AveragePool (pads, strides, dilations, ceil_mode, count_include_pad) and the global pools.

use super::conv::{Window, out_len, window};
use super::{Attributes, GraphError, Tensor, f32_input};
use ndarray::{Array3, ArrayD, Axis, IxDyn};

/// MaxPool / AveragePool over 1 or 2 spatial axes.
pub(super) fn pool(max: bool, inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let rank = x.ndim();
    if !(rank == 3 || rank == 4) {
        return Err(GraphError::shape(
            &attrs.op,
            format!("only 1-D and 2-D pooling is supported, input has shape {:?}", x.shape()),
        ));
    }
    let n = rank - 2;
    let ks = attrs
        .ints("kernel_shape")?
        .ok_or_else(|| GraphError::attribute(&attrs.op, "kernel_shape", "required attribute is missing"))?;
    if ks.len() != n || ks.iter().any(|&k| !(1..=super::MAX_WINDOW_PARAM).contains(&k)) {
        return Err(GraphError::attribute(
            &attrs.op,
            "kernel_shape",
            format!("expected {n} positive values, got {ks:?}"),
        ));
    }
    let kernel = if n == 1 { [1, ks[0] as usize] } else { [ks[0] as usize, ks[1] as usize] };
    let (b, c) = (x.shape()[0], x.shape()[1]);
    let [ih, iw] = if n == 1 { [1, x.shape()[2]] } else { [x.shape()[2], x.shape()[3]] };
    // Dilations only exist for MaxPool before opset 19; accept them for both.
    let w = window(attrs, n, kernel, [ih, iw], true)?;
    let ceil = attrs.int_or("ceil_mode", 0)? != 0;
    let include_pad = attrs.int_or("count_include_pad", 0)? != 0;
    let (oh, ow) = (out_len(&w, 0, ih, ceil, attrs)?, out_len(&w, 1, iw, ceil, attrs)?);
    super::element_count(&[b, c, oh, ow], attrs)?;
    // Work is output × window, unbounded by either alone (a 512×512 window over 1024×1024 is 7·10^10 reads).
    super::budget::check_cost(
        &attrs.op,
        "window reads",
        super::checked::product(&[b, c, oh, ow, kernel[0], kernel[1]]),
    )?;
    let x = x.as_standard_layout();
    let xs = x.as_slice().ok_or_else(|| GraphError::shape(&attrs.op, "input is not contiguous"))?;
    let mut y = Array3::<f32>::zeros((b * c, oh, ow));
    for (p, mut out) in y.outer_iter_mut().enumerate() {
        let plane = &xs[p * ih * iw..(p + 1) * ih * iw];
        for oy in 0..oh {
            for ox in 0..ow {
                out[[oy, ox]] = window_value(plane, ih, iw, &w, oy, ox, max, include_pad);
            }
        }
    }
    let mut shape = vec![b, c];
    if n == 2 {
        shape.push(oh);
    }
    shape.push(ow);
    let y = y.into_shape_with_order(IxDyn(&shape)).map_err(|_| GraphError::shape(&attrs.op, "output reshape"))?;
    Ok(Tensor::F32(y))
}

/// The pooled value of one output position. The average divisor with `count_include_pad` counts the window
/// clipped to the padded input (a ceil-mode window hanging past the end padding is not counted beyond it).
#[allow(clippy::too_many_arguments)]
fn window_value(plane: &[f32], ih: usize, iw: usize, w: &Window, oy: usize, ox: usize, max: bool, inc: bool) -> f32 {
    let (mut acc, mut count) = (if max { f32::NEG_INFINITY } else { 0.0 }, 0usize);
    let y0 = (oy * w.s[0]) as isize - w.pb[0] as isize;
    let x0 = (ox * w.s[1]) as isize - w.pb[1] as isize;
    let mut padded_count = [0usize; 2];
    for (axis, (start, len)) in [(y0, ih), (x0, iw)].into_iter().enumerate() {
        let span = ((w.k[axis] - 1) * w.d[axis] + 1) as isize;
        let end = (start + span).min((len + w.pe[axis]) as isize);
        padded_count[axis] = (end - start).max(0) as usize;
    }
    for ki in 0..w.k[0] {
        let iy = y0 + (ki * w.d[0]) as isize;
        if iy < 0 || iy >= ih as isize {
            continue;
        }
        let row = &plane[iy as usize * iw..(iy as usize + 1) * iw];
        for kj in 0..w.k[1] {
            let ix = x0 + (kj * w.d[1]) as isize;
            if ix < 0 || ix >= iw as isize {
                continue;
            }
            let v = row[ix as usize];
            if max {
                acc = acc.max(v);
            } else {
                acc += v;
            }
            count += 1;
        }
    }
    if max {
        acc
    } else {
        let div = if inc { padded_count[0] * padded_count[1] } else { count };
        if div == 0 { 0.0 } else { acc / div as f32 }
    }
}

/// GlobalAveragePool / GlobalMaxPool: reduce every axis after the channel axis, keeping them as size 1.
pub(super) fn global_pool(max: bool, inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    if x.ndim() < 3 {
        return Err(GraphError::shape(&attrs.op, format!("input must be N×C×spatial, has shape {:?}", x.shape())));
    }
    let (b, c) = (x.shape()[0], x.shape()[1]);
    let spatial: usize = x.shape()[2..].iter().product();
    if spatial == 0 {
        return Err(GraphError::shape(&attrs.op, "input has an empty spatial extent"));
    }
    let flat = x.to_shape((b, c, spatial)).map_err(|_| GraphError::shape(&attrs.op, "input reshape"))?;
    let red = if max {
        flat.fold_axis(Axis(2), f32::NEG_INFINITY, |&a, &v| a.max(v))
    } else {
        flat.sum_axis(Axis(2)) / spatial as f32
    };
    let mut shape = vec![b, c];
    shape.extend(std::iter::repeat_n(1, x.ndim() - 2));
    let y: ArrayD<f32> =
        red.into_shape_with_order(IxDyn(&shape)).map_err(|_| GraphError::shape(&attrs.op, "output reshape"))?;
    Ok(Tensor::F32(y))
}

//! MaxPool, AveragePool (pads, strides, dilations, ceil_mode, count_include_pad) and the global pools.

use super::conv::{Window, out_len, window};
use super::window::{out_len_nd, pool_kernel, window_nd};
use super::{Attributes, GraphError, Tensor, f32_input};
use ndarray::{Array3, ArrayD, Axis, IxDyn};

/// MaxPool / AveragePool: 1-D and 2-D on the lifted 2-D kernel below, 3-D and more (and MaxPool's Indices
/// output, which the executor asks for with `num_outputs` = 2) on [`pool_nd`].
pub(super) fn pool(max: bool, inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Vec<Tensor>, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let indices = max && attrs.int_or("num_outputs", 1)? > 1;
    if x.ndim() > 4 || indices {
        return pool_nd(max, x, indices, attrs);
    }
    Ok(vec![pool_2d(max, x, attrs)?])
}

/// MaxPool / AveragePool over 1 or 2 spatial axes.
fn pool_2d(max: bool, x: &ArrayD<f32>, attrs: &Attributes) -> Result<Tensor, GraphError> {
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
        padded_count[axis] = taps_in_padding(start, w.k[axis], w.d[axis], len + w.pe[axis]);
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

/// The taps `start + j·d` (j < k) that lie inside the padded input, which ends at `end` (`start` is never before
/// the start padding): the divisor of an average with `count_include_pad`, as ONNX's reference counts it.
fn taps_in_padding(start: isize, k: usize, d: usize, end: usize) -> usize {
    (0..k).filter(|&j| start + ((j * d) as isize) < (end as isize)).count()
}

/// MaxPool (with its Indices output) / AveragePool over any number of spatial axes. Indices are flat positions
/// in the input (batch and channel included), row-major, or column-major over the spatial axes with
/// `storage_order` = 1; the first maximum wins, as in onnxruntime.
fn pool_nd(max: bool, x: &ArrayD<f32>, indices: bool, attrs: &Attributes) -> Result<Vec<Tensor>, GraphError> {
    if x.ndim() < 3 {
        return Err(GraphError::shape(&attrs.op, format!("input must be N×C×spatial, has shape {:?}", x.shape())));
    }
    let n = x.ndim() - 2;
    let (b, c) = (x.shape()[0], x.shape()[1]);
    let isz = x.shape()[2..].to_vec();
    let kernel = pool_kernel(attrs, n)?;
    let w = window_nd(attrs, &kernel, &isz, true)?;
    let ceil = attrs.int_or("ceil_mode", 0)? != 0;
    let include_pad = attrs.int_or("count_include_pad", 0)? != 0;
    let column_major = attrs.int_or("storage_order", 0)? != 0;
    let osz: Vec<usize> = (0..n).map(|i| out_len_nd(&w, i, isz[i], ceil, attrs)).collect::<Result<_, _>>()?;
    let mut shape = vec![b, c];
    shape.extend(&osz);
    super::element_count(&shape, attrs)?;
    let reads = [&shape[..], &kernel[..]].concat();
    super::budget::check_cost(&attrs.op, "window reads", super::checked::product(&reads))?;
    // Per axis and output position: the valid input positions of the taps, and the padded-tap count.
    let taps: Vec<Vec<(Vec<usize>, usize)>> = (0..n)
        .map(|i| {
            (0..osz[i])
                .map(|o| {
                    let start = (o * w.s[i]) as isize - w.pb[i] as isize;
                    let valid = (0..w.k[i])
                        .map(|j| start + (j * w.d[i]) as isize)
                        .filter(|&p| p >= 0 && p < isz[i] as isize)
                        .map(|p| p as usize)
                        .collect();
                    (valid, taps_in_padding(start, w.k[i], w.d[i], isz[i] + w.pe[i]))
                })
                .collect()
        })
        .collect();
    // Flat-index strides of the spatial axes, row- or column-major.
    let mut stride = vec![1usize; n];
    if column_major {
        for i in 1..n {
            stride[i] = stride[i - 1] * isz[i - 1];
        }
    } else {
        for i in (0..n.saturating_sub(1)).rev() {
            stride[i] = stride[i + 1] * isz[i + 1];
        }
    }
    let row_major: Vec<usize> = {
        let mut r = vec![1usize; n];
        for i in (0..n.saturating_sub(1)).rev() {
            r[i] = r[i + 1] * isz[i + 1];
        }
        r
    };
    let plane: usize = isz.iter().product();
    let outs: usize = osz.iter().product();
    let x = x.as_standard_layout();
    let xs = x.as_slice().ok_or_else(|| GraphError::shape(&attrs.op, "input is not contiguous"))?;
    let mut y = Vec::with_capacity(b * c * outs);
    let mut idx = Vec::with_capacity(if indices { b * c * outs } else { 0 });
    let mut pos = vec![0usize; n];
    let mut tap = vec![0usize; n];
    for p in 0..b * c {
        let base = &xs[p * plane..(p + 1) * plane];
        for o in 0..outs {
            let mut rest = o;
            for i in (0..n).rev() {
                pos[i] = rest % osz[i];
                rest /= osz[i];
            }
            let lists: Vec<&Vec<usize>> = (0..n).map(|i| &taps[i][pos[i]].0).collect();
            let (mut acc, mut best, mut count) = (if max { f32::NEG_INFINITY } else { 0.0 }, 0usize, 0usize);
            if lists.iter().all(|l| !l.is_empty()) {
                tap.iter_mut().for_each(|t| *t = 0);
                'taps: loop {
                    let at: usize = (0..n).map(|i| lists[i][tap[i]] * row_major[i]).sum();
                    let v = base[at];
                    if max {
                        if v > acc || count == 0 {
                            acc = v;
                            best = (0..n).map(|i| lists[i][tap[i]] * stride[i]).sum();
                        }
                    } else {
                        acc += v;
                    }
                    count += 1;
                    for i in (0..n).rev() {
                        tap[i] += 1;
                        if tap[i] < lists[i].len() {
                            continue 'taps;
                        }
                        tap[i] = 0;
                    }
                    break;
                }
            }
            y.push(if max {
                acc
            } else {
                let div = if include_pad { (0..n).map(|i| taps[i][pos[i]].1).product() } else { count };
                if div == 0 { 0.0 } else { acc / div as f32 }
            });
            if indices {
                idx.push(i64::try_from(p * plane + best).unwrap_or(i64::MAX));
            }
        }
    }
    let y = ArrayD::from_shape_vec(IxDyn(&shape), y).map_err(|_| GraphError::shape(&attrs.op, "output reshape"))?;
    let mut out = vec![Tensor::F32(y)];
    if indices {
        let i = ArrayD::from_shape_vec(IxDyn(&shape), idx).map_err(|_| GraphError::shape(&attrs.op, "indices"))?;
        out.push(Tensor::I64(i));
    }
    Ok(out)
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

//! Conv (im2col + sgemm, or the input itself as the column matrix for 1×1 stride-1 kernels) and ConvTranspose
//! (sgemm + col2im). 1-D ops are lifted to 2-D with a unit height, so one kernel serves both.

use super::{Attributes, GraphError, MAX_WINDOW_PARAM, Tensor, budget, checked, element_count, f32_input, opt_input};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, Array3, ArrayD, ArrayView2, Axis, IxDyn, s};
use ppq_core::kernels::Gemm;

/// Sliding-window geometry lifted to two spatial axes (a 1-D op gets a leading unit axis).
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    /// Kernel extent.
    pub k: [usize; 2],
    /// Strides.
    pub s: [usize; 2],
    /// Dilations.
    pub d: [usize; 2],
    /// Padding before.
    pub pb: [usize; 2],
    /// Padding after.
    pub pe: [usize; 2],
}

/// Reads an INTS attribute of `n` positive values (default all `default`), lifted to 2-D with `1` in front.
fn pos_ints(attrs: &Attributes, name: &str, n: usize, default: usize) -> Result<[usize; 2], GraphError> {
    let v = match attrs.ints(name)? {
        None => vec![default as i64; n],
        Some(v) => v,
    };
    if v.len() != n || v.iter().any(|&x| !(1..=MAX_WINDOW_PARAM).contains(&x)) {
        return Err(GraphError::attribute(&attrs.op, name, format!("expected {n} positive values, got {v:?}")));
    }
    Ok(if n == 1 { [1, v[0] as usize] } else { [v[0] as usize, v[1] as usize] })
}

/// Parses kernel/stride/dilation/pads/auto_pad for a window op with `n` (1 or 2) spatial axes, `kernel`
/// the kernel extent (lifted), and `input` the spatial input size (lifted).
pub(super) fn window(
    attrs: &Attributes,
    n: usize,
    kernel: [usize; 2],
    input: [usize; 2],
    dilations: bool,
) -> Result<Window, GraphError> {
    let s = pos_ints(attrs, "strides", n, 1)?;
    let d = if dilations { pos_ints(attrs, "dilations", n, 1)? } else { [1, 1] };
    let mut w = Window { k: kernel, s, d, pb: [0; 2], pe: [0; 2] };
    let auto_pad = attrs.string_or("auto_pad", "NOTSET")?;
    match auto_pad.as_str() {
        "NOTSET" => {
            if let Some(p) = attrs.ints("pads")? {
                if p.len() != 2 * n || p.iter().any(|&x| !(0..=MAX_WINDOW_PARAM).contains(&x)) {
                    return Err(GraphError::attribute(
                        &attrs.op,
                        "pads",
                        format!("expected {} non-negative values", 2 * n),
                    ));
                }
                let p: Vec<usize> = p.iter().map(|&x| x as usize).collect();
                if n == 1 {
                    (w.pb[1], w.pe[1]) = (p[0], p[1]);
                } else {
                    (w.pb, w.pe) = ([p[0], p[1]], [p[2], p[3]]);
                }
            }
        }
        "VALID" => {}
        "SAME_UPPER" | "SAME_LOWER" => {
            for (i, &len) in input.iter().enumerate() {
                let out = len.div_ceil(w.s[i]);
                // In u64: kernel × dilation (each up to 2^20) overflows a 32-bit usize.
                let total = checked::product(&[out.saturating_sub(1), w.s[i]])
                    .and_then(|a| a.checked_add(span(&w, i)))
                    .map(|a| a.saturating_sub(len as u64))
                    .filter(|&t| t <= checked::MAX_USER_SIZE as u64)
                    .and_then(|t| usize::try_from(t).ok())
                    .ok_or_else(|| {
                        GraphError::attribute(&attrs.op, "auto_pad", "the padding it implies is too large")
                    })?;
                let small = total / 2;
                (w.pb[i], w.pe[i]) =
                    if auto_pad == "SAME_UPPER" { (small, total - small) } else { (total - small, small) };
            }
        }
        other => return Err(GraphError::attribute(&attrs.op, "auto_pad", format!("unknown value '{other}'"))),
    }
    Ok(w)
}

/// Output length of one axis (floor or, for pools, ceil mode), or an error when the window does not fit.
pub(super) fn out_len(w: &Window, i: usize, input: usize, ceil: bool, attrs: &Attributes) -> Result<usize, GraphError> {
    let padded = input as u64 + w.pb[i] as u64 + w.pe[i] as u64;
    let span = span(w, i);
    if padded < span {
        return Err(GraphError::shape(
            &attrs.op,
            format!("kernel extent {span} is larger than the padded input {padded} on spatial axis {i}"),
        ));
    }
    // span ≤ padded, so the window arithmetic below (and in the kernels) fits a 32-bit usize too
    let steps = usize::try_from(padded - span)
        .map_err(|_| GraphError::shape(&attrs.op, format!("padded input {padded} on spatial axis {i} is too large")))?;
    let mut out = if ceil { steps.div_ceil(w.s[i]) + 1 } else { steps / w.s[i] + 1 };
    // A window that would start entirely in the end padding is dropped (ceil mode only).
    if ceil && (out - 1) * w.s[i] >= input + w.pb[i] {
        out -= 1;
    }
    Ok(out)
}

/// The extent `(k − 1)·d + 1` of the window on axis `i`, in u64 (k and d are each up to 2^20).
fn span(w: &Window, i: usize) -> u64 {
    (w.k[i] as u64 - 1) * w.d[i] as u64 + 1
}

/// Checks X/W ranks (3 or 4) and returns the spatial rank.
fn spatial_rank(x: &[usize], w: &[usize], attrs: &Attributes) -> Result<usize, GraphError> {
    if !(x.len() == 3 || x.len() == 4) || w.len() != x.len() {
        return Err(GraphError::shape(
            &attrs.op,
            format!("only 1-D and 2-D convolutions are supported: X {x:?}, W {w:?}"),
        ));
    }
    if w.iter().any(|&d| d == 0 || d as i64 > MAX_WINDOW_PARAM) {
        return Err(GraphError::shape(&attrs.op, format!("W has an empty or oversized dimension: {w:?}")));
    }
    Ok(x.len() - 2)
}

/// Lifts the trailing spatial dims of `shape` to two axes.
fn lift(shape: &[usize]) -> [usize; 2] {
    if shape.len() == 3 { [1, shape[2]] } else { [shape[2], shape[3]] }
}

#[allow(clippy::too_many_arguments)]
/// Fills `col` ([c·kh·kw, oh·ow], row-major) with the im2col of `planes` ([c, ih·iw]).
fn im2col(planes: &[f32], c: usize, ih: usize, iw: usize, w: &Window, oh: usize, ow: usize, col: &mut [f32]) {
    let [kh, kw] = w.k;
    for ci in 0..c {
        let plane = &planes[ci * ih * iw..(ci + 1) * ih * iw];
        for ki in 0..kh {
            for kj in 0..kw {
                let row = &mut col[((ci * kh + ki) * kw + kj) * oh * ow..][..oh * ow];
                let off_x = (kj * w.d[1]) as isize - w.pb[1] as isize;
                let sw = w.s[1] as isize;
                // Valid output columns: 0 ≤ ox·sw + off_x < iw.
                let lo = if off_x >= 0 { 0 } else { ((-off_x + sw - 1) / sw) as usize };
                let room = iw as isize - off_x;
                let hi = if room <= 0 { 0 } else { (((room + sw - 1) / sw) as usize).min(ow) };
                let lo = lo.min(hi);
                for oy in 0..oh {
                    let dst = &mut row[oy * ow..(oy + 1) * ow];
                    let iy = (oy * w.s[0] + ki * w.d[0]) as isize - w.pb[0] as isize;
                    if iy < 0 || iy >= ih as isize {
                        dst.fill(0.0);
                        continue;
                    }
                    let src = &plane[iy as usize * iw..(iy as usize + 1) * iw];
                    dst[..lo].fill(0.0);
                    dst[hi..].fill(0.0);
                    if hi == lo {
                        continue; // no valid column (e.g. an empty output): `start` would be negative
                    }
                    let start = (lo as isize * sw + off_x) as usize;
                    if sw == 1 {
                        dst[lo..hi].copy_from_slice(&src[start..start + (hi - lo)]);
                    } else {
                        for (j, d) in dst[lo..hi].iter_mut().enumerate() {
                            *d = src[start + j * w.s[1]];
                        }
                    }
                }
            }
        }
    }
}

/// Reads the optional bias (input 2) of length `m`.
fn bias(inputs: &[Option<&Tensor>], m: usize, attrs: &Attributes) -> Result<Option<Vec<f32>>, GraphError> {
    match opt_input(inputs, 2) {
        None => Ok(None),
        Some(b) => {
            let b = b.as_f32(&attrs.op)?;
            if b.shape() != [m] {
                return Err(GraphError::shape(&attrs.op, format!("bias has shape {:?}, expected [{m}]", b.shape())));
            }
            Ok(Some(b.iter().copied().collect()))
        }
    }
}

/// Checks `group` and that `total` splits into equal groups; returns the group count.
fn groups(attrs: &Attributes, what: &[(usize, &str)]) -> Result<usize, GraphError> {
    let g = attrs.int_or("group", 1)?;
    if g < 1 {
        return Err(GraphError::attribute(&attrs.op, "group", format!("must be ≥ 1, got {g}")));
    }
    let g = checked::to_usize(g, &attrs.op, "attribute 'group'")?;
    for &(n, name) in what {
        if n % g != 0 {
            return Err(GraphError::shape(&attrs.op, format!("{name} = {n} is not divisible by group = {g}")));
        }
    }
    Ok(g)
}

/// Conv: N×C×(H×)W input, M×C/g×(kh×)kw weights, optional bias; groups (incl. depthwise), strides, dilations,
/// pads and auto_pad.
pub(super) fn conv(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let wt = f32_input(inputs, 1, attrs)?;
    let n = spatial_rank(x.shape(), wt.shape(), attrs)?;
    let (batch, c, m, cg) = (x.shape()[0], x.shape()[1], wt.shape()[0], wt.shape()[1]);
    let g = groups(attrs, &[(c, "input channels"), (m, "output channels")])?;
    if cg * g != c {
        return Err(GraphError::shape(
            &attrs.op,
            format!("X has {c} channels but W expects {} ({cg} per group × {g} groups)", cg * g),
        ));
    }
    let kernel = lift(wt.shape());
    if let Some(ks) = attrs.ints("kernel_shape")? {
        let want: Vec<i64> = wt.shape()[2..].iter().map(|&v| v as i64).collect();
        if ks != want {
            return Err(GraphError::attribute(&attrs.op, "kernel_shape", format!("{ks:?} disagrees with W {want:?}")));
        }
    }
    let [ih, iw] = lift(x.shape());
    let w = window(attrs, n, kernel, [ih, iw], true)?;
    let (oh, ow) = (out_len(&w, 0, ih, false, attrs)?, out_len(&w, 1, iw, false, attrs)?);
    element_count(&[batch, m, oh, ow], attrs)?;
    budget::check_cost(&attrs.op, "multiply-adds", checked::product(&[batch, m, oh, ow, cg, kernel[0], kernel[1]]))?;
    let bias = bias(inputs, m, attrs)?;
    let x = x.as_standard_layout();
    let xs = x.as_slice().ok_or_else(|| GraphError::shape(&attrs.op, "input is not contiguous"))?;
    let wt = wt.as_standard_layout();
    let mg = m / g;
    let krow = cg * kernel[0] * kernel[1];
    let ohw = oh * ow;
    let mut y = vec![0f32; batch * m * ohw];
    let ws = wt.as_slice().ok_or_else(|| GraphError::shape(&attrs.op, "weights are not contiguous"))?;
    if cg == 1 && mg == 1 {
        let taps = kernel[0] * kernel[1];
        let mut scratch = Vec::new();
        for (p, out) in y.chunks_exact_mut(ohw.max(1)).enumerate() {
            let ch = p % m;
            let plane = &xs[p * ih * iw..(p + 1) * ih * iw];
            let bv = bias.as_ref().map_or(0.0, |b| b[ch]);
            depthwise_plane(plane, [ih, iw], &w, &ws[ch * taps..(ch + 1) * taps], bv, [oh, ow], out, &mut scratch)
                .map_err(|e| GraphError::shape(&attrs.op, e))?;
        }
        return finish(y, batch, m, n, oh, ow, attrs);
    }
    let direct = kernel == [1, 1] && w.s == [1, 1] && w.pb == [0, 0] && w.pe == [0, 0];
    // The column matrix can be far larger than the output (kernel taps × output positions): bound it too.
    element_count(&[krow, ohw], attrs)?;
    let mut col = if direct { Vec::new() } else { vec![0f32; krow * ohw] };
    for b in 0..batch {
        for gi in 0..g {
            let planes = &xs[(b * c + gi * cg) * ih * iw..(b * c + (gi + 1) * cg) * ih * iw];
            let cols: &[f32] = if direct {
                planes
            } else {
                im2col(planes, cg, ih, iw, &w, oh, ow, &mut col);
                &col
            };
            let gemm = Gemm {
                m: mg,
                n: ohw,
                k: krow,
                a: &ws[gi * mg * krow..(gi + 1) * mg * krow],
                b: cols,
                ldb: ohw,
                bias: bias.as_ref().map(|v| &v[gi * mg..(gi + 1) * mg]),
            };
            let out = &mut y[(b * m + gi * mg) * ohw..(b * m + (gi + 1) * mg) * ohw];
            product(&gemm, out).map_err(|e| GraphError::shape(&attrs.op, e))?;
        }
    }
    finish(y, batch, m, n, oh, ow, attrs)
}

/// One group's `out = W·cols + bias` (`out` is m rows of n, B's row stride n).
///
/// wasm32: the core's simd128 micro-kernel. matrixmultiply has no simd128 kernel; its generic one sums in the
/// same order (`(Σₖ a·b) + bias`, unfused) up to its k-block of 256, so the page's activations on the
/// reference models are unchanged; beyond (MobileNetV2's 320–960-channel 1×1 convs) it added the bias after
/// the first block, a few ulps' difference.
/// Native: matrixmultiply's FMA kernel, whose sums equal torch's CPU convolutions bit for bit on the reference
/// models (`front::run`'s parity test compares scales exactly), which the unfused kernel does not.
fn product(g: &Gemm<'_>, out: &mut [f32]) -> Result<(), String> {
    if cfg!(target_arch = "wasm32") {
        return g.run(out, g.n).map_err(|e| e.to_string());
    }
    let a = ArrayView2::from_shape((g.m, g.k), g.a.get(..g.m * g.k).ok_or("weights are too short")?)
        .map_err(|e| e.to_string())?;
    let b = ArrayView2::from_shape((g.k, g.n), g.b.get(..g.k * g.n).ok_or("columns are too short")?)
        .map_err(|e| e.to_string())?;
    let len = g.m * g.n;
    let mut c = ndarray::ArrayViewMut2::from_shape((g.m, g.n), out.get_mut(..len).ok_or("output is too short")?)
        .map_err(|e| e.to_string())?;
    match g.bias {
        Some(bias) => {
            for (mut row, &bv) in c.outer_iter_mut().zip(bias) {
                row.fill(bv);
            }
        }
        None => c.fill(0.0),
    }
    general_mat_mul(1.0, &a, &b, 1.0, &mut c);
    Ok(())
}

/// Reshapes the [N, M, oh·ow] result to N×M×(oh×)ow.
fn finish(
    y: Vec<f32>,
    b: usize,
    m: usize,
    n: usize,
    oh: usize,
    ow: usize,
    attrs: &Attributes,
) -> Result<Tensor, GraphError> {
    let shape: Vec<usize> = if n == 2 { vec![b, m, oh, ow] } else { vec![b, m, ow] };
    let y = ArrayD::from_shape_vec(IxDyn(&shape), y).map_err(|_| GraphError::shape(&attrs.op, "output reshape"))?;
    Ok(Tensor::F32(y))
}

/// Depthwise (one input and one output channel per group) direct convolution of one plane: a gemm with a single
/// row would spend its time in im2col. The plane is copied once into `scratch`, zero-padded horizontally and
/// split into `stride` phases per row, so every tap of every output row reads one contiguous run; each output
/// row is `bias + tap₀·x₀ + tap₁·x₁ + …` in tap order, kept in L1 while all taps pass over it. The loops are
/// independent per output column, so LLVM vectorises them (simd128, SSE) without changing any sum.
#[allow(clippy::too_many_arguments)]
fn depthwise_plane(
    plane: &[f32],
    [ih, iw]: [usize; 2],
    w: &Window,
    taps: &[f32],
    bias: f32,
    [oh, ow]: [usize; 2],
    out: &mut [f32],
    scratch: &mut Vec<f32>,
) -> Result<(), String> {
    let [kh, kw] = w.k;
    let [sh, sw] = w.s;
    let padded = iw + w.pb[1] + w.pe[1];
    let phase = padded.div_ceil(sw);
    // scratch[(iy·sw + p)·phase + q] = padded row iy at column q·sw + p.
    scratch.clear();
    scratch.resize(ih * sw * phase, 0.0);
    for (iy, row) in plane.chunks_exact(iw.max(1)).take(ih).enumerate() {
        let base = iy * sw * phase;
        if sw == 1 {
            scratch[base + w.pb[1]..base + w.pb[1] + iw].copy_from_slice(row);
        } else {
            for (ix, &v) in row.iter().enumerate() {
                let at = ix + w.pb[1];
                scratch[base + (at % sw) * phase + at / sw] = v;
            }
        }
    }
    let short = || format!("depthwise window {kh}×{kw} does not fit the padded input {ih}×{padded}");
    for (oy, dst) in out.chunks_exact_mut(ow.max(1)).take(oh).enumerate() {
        dst.fill(bias);
        for ki in 0..kh {
            let iy = (oy * sh + ki * w.d[0]) as isize - w.pb[0] as isize;
            if iy < 0 || iy >= ih as isize {
                continue;
            }
            for kj in 0..kw {
                let tap = taps[ki * kw + kj];
                let off = kj * w.d[1];
                let start = (iy as usize * sw + off % sw) * phase + off / sw;
                let src = scratch.get(start..start + ow).ok_or_else(short)?;
                for (d, &v) in dst.iter_mut().zip(src) {
                    *d += tap * v;
                }
            }
        }
    }
    Ok(())
}

/// ConvTranspose: sgemm of Wᵀ with each input image, then col2im scatter-add; pads, output_padding, output_shape,
/// strides, dilations and groups.
pub(super) fn conv_transpose(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let wt = f32_input(inputs, 1, attrs)?;
    let n = spatial_rank(x.shape(), wt.shape(), attrs)?;
    let (batch, c, wc, mg) = (x.shape()[0], x.shape()[1], wt.shape()[0], wt.shape()[1]);
    if wc != c {
        return Err(GraphError::shape(&attrs.op, format!("X has {c} channels but W has {wc} input channels")));
    }
    let g = groups(attrs, &[(c, "input channels")])?;
    // g ≤ c, but mg·g can still overflow a 32-bit usize
    let m = mg.checked_mul(g).ok_or_else(|| {
        GraphError::TooLarge(format!("op '{}': {mg} output channels × {g} groups overflow", attrs.op))
    })?;
    let cg = c / g;
    let kernel = lift(wt.shape());
    let [ih, iw] = lift(x.shape());
    let mut attrs_np = attrs.clone();
    attrs_np.values.remove("auto_pad");
    let mut w = window(&attrs_np, n, kernel, [ih, iw], true)?;
    let op = pos_ints_or_zero(attrs, "output_padding", n)?;
    // In u64: stride × input overflows a 32-bit usize long before the element limit refuses the output.
    let overflow = || GraphError::TooLarge(format!("op '{}': the transposed output size overflows", attrs.op));
    let full = |i: usize, inp: usize| -> Result<usize, GraphError> {
        let v = checked::product(&[w.s[i], inp.max(1) - 1])
            .and_then(|a| a.checked_add(checked::product(&[w.k[i] - 1, w.d[i]])? + 1))
            .and_then(|a| a.checked_add(u64::try_from(op[i]).ok()?))
            .filter(|&v| v <= checked::MAX_USER_SIZE as u64)
            .ok_or_else(overflow)?;
        usize::try_from(v).map_err(|_| overflow())
    };
    let auto_pad = attrs.string_or("auto_pad", "NOTSET")?;
    let target: Option<[usize; 2]> = match attrs.ints("output_shape")? {
        Some(os) if os.len() == n && os.iter().all(|&v| v > 0) => {
            let os = checked::to_usizes(&os, &attrs.op, "attribute 'output_shape'")?;
            Some(if n == 1 { [1, os[0]] } else { [os[0], os[1]] })
        }
        Some(os) => return Err(GraphError::attribute(&attrs.op, "output_shape", format!("invalid {os:?}"))),
        None if auto_pad.starts_with("SAME") => {
            let same = |i: usize, inp: usize| inp.checked_mul(w.s[i]).ok_or_else(overflow);
            Some([same(0, ih)?, same(1, iw)?])
        }
        None => None,
    };
    if let Some(t) = target {
        for (i, inp) in [ih, iw].into_iter().enumerate() {
            let total = full(i, inp)?.checked_sub(t[i]).ok_or_else(|| {
                GraphError::attribute(&attrs.op, "output_shape", "larger than the full transposed output")
            })?;
            let half = total / 2;
            (w.pb[i], w.pe[i]) = if auto_pad == "SAME_UPPER" { (half, total - half) } else { (total - half, half) };
        }
    }
    let mut osz = [0usize; 2];
    for (i, inp) in [ih, iw].into_iter().enumerate() {
        osz[i] = full(i, inp)?
            .checked_sub(w.pb[i] + w.pe[i])
            .filter(|&v| v > 0)
            .ok_or_else(|| GraphError::shape(&attrs.op, "pads remove the whole output"))?;
    }
    let [oh, ow] = osz;
    element_count(&[batch, m, oh, ow], attrs)?;
    let [kh, kw] = kernel;
    budget::check_cost(&attrs.op, "multiply-adds", checked::product(&[batch, c, ih, iw, mg, kh, kw]))?;
    let bias = bias(inputs, m, attrs)?;
    let x = x.as_standard_layout();
    let xs = x.as_slice().ok_or_else(|| GraphError::shape(&attrs.op, "input is not contiguous"))?;
    let wt = wt.as_standard_layout();
    let w2 = wt.to_shape((c, mg * kh * kw)).map_err(|_| GraphError::shape(&attrs.op, "weights are not contiguous"))?;
    let mut y = Array3::<f32>::zeros((batch, m, oh * ow));
    element_count(&[mg * kh * kw, ih * iw], attrs)?;
    let mut cols = Array2::<f32>::zeros((mg * kh * kw, ih * iw));
    for b in 0..batch {
        for gi in 0..g {
            let planes = &xs[(b * c + gi * cg) * ih * iw..(b * c + (gi + 1) * cg) * ih * iw];
            let xg =
                ArrayView2::from_shape((cg, ih * iw), planes).map_err(|_| GraphError::shape(&attrs.op, "input"))?;
            let wg = w2.slice(s![gi * cg..(gi + 1) * cg, ..]);
            general_mat_mul(1.0, &wg.t(), &xg, 0.0, &mut cols);
            for (r, row) in cols.axis_iter(Axis(0)).enumerate() {
                let (mi, ki, kj) = (r / (kh * kw), (r / kw) % kh, r % kw);
                let mut out = y.slice_mut(s![b, gi * mg + mi, ..]);
                for iy in 0..ih {
                    let oy = (iy * w.s[0] + ki * w.d[0]) as isize - w.pb[0] as isize;
                    if oy < 0 || oy >= oh as isize {
                        continue;
                    }
                    for ix in 0..iw {
                        let ox = (ix * w.s[1] + kj * w.d[1]) as isize - w.pb[1] as isize;
                        if ox >= 0 && ox < ow as isize {
                            out[oy as usize * ow + ox as usize] += row[iy * iw + ix];
                        }
                    }
                }
            }
        }
    }
    if let Some(bv) = &bias {
        for mut img in y.outer_iter_mut() {
            for (mut row, &v) in img.outer_iter_mut().zip(bv) {
                row += v;
            }
        }
    }
    let mut shape = vec![batch, m];
    if n == 2 {
        shape.push(oh);
    }
    shape.push(ow);
    let y = y.into_shape_with_order(IxDyn(&shape)).map_err(|_| GraphError::shape(&attrs.op, "output reshape"))?;
    Ok(Tensor::F32(y))
}

/// Reads a non-negative INTS attribute of `n` values (default zeros), lifted to 2-D.
fn pos_ints_or_zero(attrs: &Attributes, name: &str, n: usize) -> Result<[usize; 2], GraphError> {
    let v = attrs.ints(name)?.unwrap_or_else(|| vec![0; n]);
    if v.len() != n || v.iter().any(|&x| !(0..=MAX_WINDOW_PARAM).contains(&x)) {
        return Err(GraphError::attribute(&attrs.op, name, format!("expected {n} non-negative values, got {v:?}")));
    }
    Ok(if n == 1 { [0, v[0] as usize] } else { [v[0] as usize, v[1] as usize] })
}

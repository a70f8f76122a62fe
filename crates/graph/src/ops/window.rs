//! Sliding-window geometry over any number of spatial axes (kernel, strides, dilations, pads, auto_pad, ceil
//! mode): the one shape function of Conv, ConvTranspose's inputs, MaxPool and AveragePool, used by the kernels
//! and by validation alike. The 2-D kernels in `conv.rs` and `pool.rs` lift their 1-D/2-D views from it.

use super::{Attributes, GraphError, MAX_WINDOW_PARAM, checked};

/// Window geometry on `k.len()` spatial axes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WindowNd {
    /// Kernel extent.
    pub k: Vec<usize>,
    /// Strides.
    pub s: Vec<usize>,
    /// Dilations.
    pub d: Vec<usize>,
    /// Padding before.
    pub pb: Vec<usize>,
    /// Padding after.
    pub pe: Vec<usize>,
}

impl WindowNd {
    /// The extent `(k − 1)·d + 1` of the window on axis `i`, in u64 (k and d are each up to 2^20).
    pub fn span(&self, i: usize) -> u64 {
        (self.k[i] as u64 - 1) * self.d[i] as u64 + 1
    }
}

/// Reads an INTS attribute of `n` positive values (default all `default`).
fn pos_ints(attrs: &Attributes, name: &str, n: usize, default: usize) -> Result<Vec<usize>, GraphError> {
    let v = attrs.ints(name)?.unwrap_or_else(|| vec![default as i64; n]);
    if v.len() != n || v.iter().any(|&x| !(1..=MAX_WINDOW_PARAM).contains(&x)) {
        return Err(GraphError::attribute(&attrs.op, name, format!("expected {n} positive values, got {v:?}")));
    }
    Ok(v.iter().map(|&x| x as usize).collect())
}

/// Parses strides/dilations/pads/auto_pad for a window of extent `kernel` over the spatial input `input`.
pub(crate) fn window_nd(
    attrs: &Attributes,
    kernel: &[usize],
    input: &[usize],
    dilations: bool,
) -> Result<WindowNd, GraphError> {
    let n = kernel.len();
    let s = pos_ints(attrs, "strides", n, 1)?;
    let d = if dilations { pos_ints(attrs, "dilations", n, 1)? } else { vec![1; n] };
    let mut w = WindowNd { k: kernel.to_vec(), s, d, pb: vec![0; n], pe: vec![0; n] };
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
                for i in 0..n {
                    (w.pb[i], w.pe[i]) = (p[i] as usize, p[n + i] as usize);
                }
            }
        }
        "VALID" => {}
        "SAME_UPPER" | "SAME_LOWER" => {
            for (i, &len) in input.iter().enumerate().take(n) {
                let out = len.div_ceil(w.s[i]);
                // In u64: kernel × dilation (each up to 2^20) overflows a 32-bit usize.
                let total = checked::product(&[out.saturating_sub(1), w.s[i]])
                    .and_then(|a| a.checked_add(w.span(i)))
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

/// Output length of spatial axis `i` (floor or, for pools, ceil mode), or an error when the window does not fit.
pub(crate) fn out_len_nd(
    w: &WindowNd,
    i: usize,
    input: usize,
    ceil: bool,
    attrs: &Attributes,
) -> Result<usize, GraphError> {
    let padded = input as u64 + w.pb[i] as u64 + w.pe[i] as u64;
    let span = w.span(i);
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

/// The spatial output shape of a window op: `kernel` over the spatial `input`.
pub(crate) fn window_out_shape(
    attrs: &Attributes,
    kernel: &[usize],
    input: &[usize],
    ceil: bool,
) -> Result<Vec<usize>, GraphError> {
    let w = window_nd(attrs, kernel, input, true)?;
    (0..kernel.len()).map(|i| out_len_nd(&w, i, input[i], ceil, attrs)).collect()
}

/// A pool's `kernel_shape` attribute: `n` values in 1..=[`MAX_WINDOW_PARAM`].
pub(crate) fn pool_kernel(attrs: &Attributes, n: usize) -> Result<Vec<usize>, GraphError> {
    let ks = attrs
        .ints("kernel_shape")?
        .ok_or_else(|| GraphError::attribute(&attrs.op, "kernel_shape", "required attribute is missing"))?;
    if ks.len() != n || ks.iter().any(|&k| !(1..=MAX_WINDOW_PARAM).contains(&k)) {
        return Err(GraphError::attribute(
            &attrs.op,
            "kernel_shape",
            format!("expected {n} positive values, got {ks:?}"),
        ));
    }
    Ok(ks.iter().map(|&k| k as usize).collect())
}

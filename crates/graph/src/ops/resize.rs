//! Resize (opsets 10, 11, 13, 18, 19) and Upsample (7, 9): nearest, linear and cubic, with antialias,
//! `exclude_outside`, `axes`, `keep_aspect_ratio_policy` and every coordinate transformation mode.
//!
//! Every mode is separable, so the kernel resizes one axis at a time: each output position of an axis is a
//! weighted sum of a few input positions (a tap table), which is what ONNX's reference computes per axis.
//! Versions: Resize-10 and Upsample map coordinates asymmetrically and round nearest like onnxruntime's
//! "simple" rule (floor when enlarging, ceil when shrinking); Resize-11 has `tf_half_pixel_for_nn`; Resize-18
//! adds `antialias`, `axes` and `keep_aspect_ratio_policy`; Resize-19 `half_pixel_symmetric`.

use super::{Attributes, GraphError, Tensor, f32_input, opt_input};
use ndarray::{ArrayD, Axis, IxDyn};

/// How one axis is resized: per output position, the (input index, weight) taps, or `None` for a position
/// outside the crop (tf_crop_and_resize), which takes the extrapolation value.
type Taps = Vec<Option<Vec<(usize, f32)>>>;

/// The interpolation a Resize/Upsample runs with, read once from the attributes and the opset.
struct Mode {
    kind: Kind,
    ctm: String,
    nearest: String,
    /// Resize-10 and Upsample: onnxruntime's rounding before `nearest_mode` existed.
    simple_nearest: bool,
    cubic_a: f64,
    exclude_outside: bool,
    antialias: bool,
    extrapolation: f32,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Nearest,
    Linear,
    Cubic,
}

impl Mode {
    fn read(attrs: &Attributes, legacy: bool) -> Result<Self, GraphError> {
        let mode = attrs.string_or("mode", "nearest")?;
        let kind = match mode.as_str() {
            "nearest" => Kind::Nearest,
            // Upsample-7/9 spell bilinear "linear" too; "bilinear" was Upsample-7's alias in some exporters.
            "linear" | "bilinear" => Kind::Linear,
            "cubic" if !legacy => Kind::Cubic,
            other => return Err(GraphError::attribute(&attrs.op, "mode", format!("unsupported mode '{other}'"))),
        };
        let ctm = if legacy {
            "asymmetric".to_string()
        } else {
            attrs.string_or("coordinate_transformation_mode", "half_pixel")?
        };
        let known = [
            "half_pixel",
            "pytorch_half_pixel",
            "align_corners",
            "asymmetric",
            "tf_crop_and_resize",
            "half_pixel_symmetric",
            "tf_half_pixel_for_nn",
        ];
        if !known.contains(&ctm.as_str())
            || (ctm == "half_pixel_symmetric" && attrs.before(19))
            || (ctm == "tf_half_pixel_for_nn" && !(attrs.opset == 11 || attrs.opset == 12))
        {
            return Err(GraphError::attribute(
                &attrs.op,
                "coordinate_transformation_mode",
                format!("'{ctm}' is not defined for Resize-{}", attrs.opset),
            ));
        }
        let nearest = attrs.string_or("nearest_mode", "round_prefer_floor")?;
        if !["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].contains(&nearest.as_str()) {
            return Err(GraphError::attribute(&attrs.op, "nearest_mode", format!("unsupported '{nearest}'")));
        }
        let antialias = attrs.int_or("antialias", 0)? != 0;
        if antialias && attrs.before(18) {
            return Err(GraphError::attribute(&attrs.op, "antialias", "antialias needs Resize-18 or later"));
        }
        if antialias && kind == Kind::Nearest {
            return Err(GraphError::attribute(&attrs.op, "antialias", "antialias is not defined for mode 'nearest'"));
        }
        Ok(Self {
            kind,
            ctm,
            nearest,
            simple_nearest: legacy,
            cubic_a: f64::from(attrs.float_or("cubic_coeff_a", -0.75)?),
            exclude_outside: attrs.int_or("exclude_outside", 0)? != 0,
            antialias,
            extrapolation: attrs.float_or("extrapolation_value", 0.0)?,
        })
    }

    /// The source coordinate of output position `x` on an axis, or `None` when it falls outside the crop.
    fn source(&self, x: usize, scale: f64, in_len: usize, out_len: usize, roi: (f64, f64)) -> Option<f64> {
        let x = x as f64;
        let (inl, outf) = (in_len as f64, scale * in_len as f64);
        Some(match self.ctm.as_str() {
            "half_pixel" => (x + 0.5) / scale - 0.5,
            "pytorch_half_pixel" => {
                if out_len > 1 {
                    (x + 0.5) / scale - 0.5
                } else {
                    -0.5
                }
            }
            // As ONNX's reference (the node suite's expected values): the resized length is scale × input, not
            // the floored output length; they differ only when scales (not sizes) give a fractional product.
            // onnxruntime uses the floored length and fails those two node cases.
            "align_corners" => {
                if outf == 1.0 {
                    0.0
                } else {
                    x * (inl - 1.0) / (outf - 1.0)
                }
            }
            "asymmetric" => x / scale,
            "tf_half_pixel_for_nn" => (x + 0.5) / scale,
            "half_pixel_symmetric" => {
                let adj = out_len as f64 / outf;
                let offset = inl / 2.0 * (1.0 - adj);
                offset + (x + 0.5) / scale - 0.5
            }
            _ => {
                // tf_crop_and_resize
                let c = if out_len == 1 {
                    (roi.1 - roi.0) * (inl - 1.0) / 2.0
                } else {
                    x * (roi.1 - roi.0) * (inl - 1.0) / (out_len as f64 - 1.0)
                } + roi.0 * (inl - 1.0);
                if c < 0.0 || c > inl - 1.0 {
                    return None;
                }
                c
            }
        })
    }

    /// The taps of one output position at source coordinate `c`.
    fn taps_at(&self, c: f64, scale: f64, in_len: usize) -> Vec<(usize, f32)> {
        let last = in_len as i64 - 1;
        let clamp = |i: i64| i.clamp(0, last) as usize;
        if self.kind == Kind::Nearest {
            let i = if self.simple_nearest {
                if scale < 1.0 { c.ceil() } else { c.floor() }
            } else {
                match self.nearest.as_str() {
                    "round_prefer_floor" if c.fract().abs() == 0.5 => c.floor(),
                    "round_prefer_floor" | "round_prefer_ceil" => c.round(),
                    "floor" => c.floor(),
                    _ => c.ceil(),
                }
            };
            return vec![(clamp(i as i64), 1.0)];
        }
        // Base index and fraction, with an exact coordinate taken as fraction 1 of the index below (ONNX's
        // reference does so; with the kernels below it weighs the exact index 1 and its neighbours 0).
        let mut f = c.floor();
        let mut r = c - f;
        if r == 0.0 {
            f -= 1.0;
            r = 1.0;
        }
        let f = f as i64;
        let s = if self.antialias { scale.min(1.0) } else { 1.0 };
        let (start, weights): (i64, Vec<f64>) = match self.kind {
            Kind::Linear => {
                let start = (-1.0 / s).floor() as i64 + 1;
                let n = 2 - 2 * start;
                (start, (0..n).map(|j| (1.0 - ((start + j) as f64 - r).abs() * s).clamp(0.0, 1.0)).collect())
            }
            _ => {
                let start = (-2.0 / s).floor() as i64 + 1;
                let n = 2 - 2 * start;
                (start, (0..n).map(|j| cubic(((start + j) as f64 - r) * s, self.cubic_a)).collect())
            }
        };
        let mut taps: Vec<(i64, f64)> =
            weights.into_iter().enumerate().map(|(j, w)| (f + start + j as i64, w)).collect();
        if self.exclude_outside {
            for t in &mut taps {
                if t.0 < 0 || t.0 > last {
                    t.1 = 0.0;
                }
            }
        }
        // Antialias kernels and exclude_outside renormalise to a unit sum (plain linear/cubic already sum to 1).
        if self.antialias || self.exclude_outside {
            let sum: f64 = taps.iter().map(|t| t.1).sum();
            if sum != 0.0 {
                taps.iter_mut().for_each(|t| t.1 /= sum);
            }
        }
        taps.into_iter().filter(|t| t.1 != 0.0).map(|(i, w)| (clamp(i), w as f32)).collect()
    }
}

/// Keys' cubic convolution kernel with coefficient `a` at distance `x`.
fn cubic(x: f64, a: f64) -> f64 {
    let x = x.abs();
    if x <= 1.0 {
        ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
    } else {
        0.0
    }
}

/// Upsample-7 (scales attribute) and Upsample-9 (scales input): nearest or linear, asymmetric coordinates.
pub(super) fn upsample(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let scales: Vec<f64> = match (opt_input(inputs, 1), attrs.floats("scales")?) {
        (Some(s), _) => s.as_f32(&attrs.op)?.iter().map(|&v| f64::from(v)).collect(),
        (None, Some(s)) => s.iter().map(|&v| f64::from(v)).collect(),
        (None, None) => return Err(GraphError::shape(&attrs.op, "Upsample needs scales (input or attribute)")),
    };
    if scales.len() != x.ndim() || scales.iter().any(|&s| !(s >= 1.0 && s.is_finite())) {
        return Err(GraphError::shape(
            &attrs.op,
            format!("scales {scales:?} must be {} finite values ≥ 1 (Upsample only enlarges)", x.ndim()),
        ));
    }
    let mode = Mode::read(attrs, true)?;
    let out = out_from_scales(&scales, x.shape());
    resize_axes(x, &mode, &scales, &out, &[], attrs)
}

/// `floor(scale × input)` per axis, as ONNX computes it (the product in float32), capped so a huge scale gives
/// the same size, and message, on wasm32.
fn out_from_scales(scales: &[f64], shape: &[usize]) -> Vec<usize> {
    let cap = super::checked::MAX_USER_SIZE as f32;
    scales.iter().zip(shape).map(|(&s, &i)| (s as f32 * i as f32).floor().min(cap) as usize).collect()
}

/// Resize: X, scales (opset 10), or X, roi, scales, sizes (11+; empty or omitted optional inputs).
pub(super) fn resize(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let x = f32_input(inputs, 0, attrs)?;
    let r = x.ndim();
    let non_empty = |i: usize| opt_input(inputs, i).filter(|t| !t.is_empty());
    // Resize-10 has (X, scales); the formatter gives it an empty roi slot, so the opset decides the meaning.
    let legacy = attrs.before(11) || inputs.len() == 2;
    let (roi_t, scales_t, sizes_t) =
        if inputs.len() == 2 { (None, non_empty(1), None) } else { (non_empty(1), non_empty(2), non_empty(3)) };
    let mode = Mode::read(attrs, legacy)?;
    let axes: Vec<usize> = match attrs.ints("axes")? {
        None => (0..r).collect(),
        Some(_) if attrs.before(18) => {
            return Err(GraphError::attribute(&attrs.op, "axes", "axes needs Resize-18 or later"));
        }
        Some(a) => {
            let mut seen = vec![false; r];
            let mut out = Vec::with_capacity(a.len());
            for v in a {
                let k = super::norm_axis(v, r, attrs)?;
                if std::mem::replace(&mut seen[k], true) {
                    return Err(GraphError::attribute(&attrs.op, "axes", format!("axis {v} is repeated")));
                }
                out.push(k);
            }
            out
        }
    };
    let na = axes.len();
    let policy = attrs.string_or("keep_aspect_ratio_policy", "stretch")?;
    if !["stretch", "not_larger", "not_smaller"].contains(&policy.as_str()) {
        return Err(GraphError::attribute(&attrs.op, "keep_aspect_ratio_policy", format!("unknown '{policy}'")));
    }
    let (mut scales, mut out_shape) = (vec![1.0f64; r], x.shape().to_vec());
    match (scales_t, sizes_t) {
        (Some(_), Some(_)) => return Err(GraphError::shape(&attrs.op, "only one of scales and sizes may be given")),
        (_, Some(sz)) => {
            let sz = super::to_dims(&sz.to_i64_vec(&attrs.op)?, "sizes", attrs)?;
            if sz.len() != na {
                return Err(GraphError::shape(&attrs.op, format!("sizes has {} values for {na} axes", sz.len())));
            }
            for (&a, &o) in axes.iter().zip(&sz) {
                scales[a] = o as f64 / x.shape()[a].max(1) as f64;
                out_shape[a] = o;
            }
            if policy != "stretch" {
                let pick = axes.iter().map(|&a| scales[a]);
                let s =
                    if policy == "not_larger" { pick.fold(f64::INFINITY, f64::min) } else { pick.fold(0.0, f64::max) };
                for &a in &axes {
                    scales[a] = s;
                    out_shape[a] =
                        (s * x.shape()[a] as f64 + 0.5).floor().min(super::checked::MAX_USER_SIZE as f64) as usize;
                }
            }
        }
        (Some(sc), None) => {
            let sc: Vec<f64> = sc.as_f32(&attrs.op)?.iter().map(|&v| f64::from(v)).collect();
            if sc.len() != na || sc.iter().any(|&v| !(v > 0.0 && v.is_finite())) {
                return Err(GraphError::shape(&attrs.op, format!("scales {sc:?} must be {na} positive values")));
            }
            let sizes = out_from_scales(&sc, &axes.iter().map(|&a| x.shape()[a]).collect::<Vec<_>>());
            for ((&a, &s), o) in axes.iter().zip(&sc).zip(sizes) {
                scales[a] = s;
                out_shape[a] = o;
            }
        }
        (None, None) => return Err(GraphError::shape(&attrs.op, "Resize needs scales or sizes")),
    }
    // roi: [starts…, ends…] over the axes; only tf_crop_and_resize reads it.
    let mut roi = vec![(0.0, 1.0); r];
    if mode.ctm == "tf_crop_and_resize" {
        let v = roi_t
            .ok_or_else(|| GraphError::shape(&attrs.op, "tf_crop_and_resize needs the roi input"))?
            .as_f32(&attrs.op)?
            .iter()
            .map(|&v| f64::from(v))
            .collect::<Vec<_>>();
        if v.len() != 2 * na {
            return Err(GraphError::shape(&attrs.op, format!("roi has {} values, expected {}", v.len(), 2 * na)));
        }
        for (i, &a) in axes.iter().enumerate() {
            roi[a] = (v[i], v[na + i]);
        }
    }
    super::element_count(&out_shape, attrs)?;
    resize_axes(x, &mode, &scales, &out_shape, &roi, attrs)
}

/// Resizes `x` axis by axis to `out_shape` (axes whose size and scale are unchanged, and not cropped, are kept).
fn resize_axes(
    x: &ArrayD<f32>,
    mode: &Mode,
    scales: &[f64],
    out_shape: &[usize],
    roi: &[(f64, f64)],
    attrs: &Attributes,
) -> Result<Tensor, GraphError> {
    super::element_count(out_shape, attrs)?;
    let mut y = x.to_owned();
    for axis in 0..x.ndim() {
        let (in_len, out_len) = (y.shape()[axis], out_shape[axis]);
        let crop = roi.get(axis).copied().unwrap_or((0.0, 1.0));
        let cropped = mode.ctm == "tf_crop_and_resize" && crop != (0.0, 1.0);
        if in_len == out_len && scales[axis] == 1.0 && !cropped {
            continue;
        }
        if in_len == 0 {
            return Err(GraphError::shape(&attrs.op, format!("cannot resize the empty axis {axis}")));
        }
        let taps: Taps = (0..out_len)
            .map(|o| mode.source(o, scales[axis], in_len, out_len, crop).map(|c| mode.taps_at(c, scales[axis], in_len)))
            .collect();
        y = apply_taps(&y, axis, &taps, mode.extrapolation);
    }
    Ok(Tensor::F32(y))
}

/// One axis of the resize: every output slice along `axis` is the weighted sum of its taps' input slices.
fn apply_taps(y: &ArrayD<f32>, axis: usize, taps: &Taps, extrapolation: f32) -> ArrayD<f32> {
    let mut shape = y.shape().to_vec();
    shape[axis] = taps.len();
    let mut out = ArrayD::<f32>::zeros(IxDyn(&shape));
    for (o, t) in taps.iter().enumerate() {
        let mut dst = out.index_axis_mut(Axis(axis), o);
        match t {
            None => dst.fill(extrapolation),
            Some(t) if t.len() == 1 && t[0].1 == 1.0 => dst.assign(&y.index_axis(Axis(axis), t[0].0)),
            Some(t) => {
                for &(i, w) in t {
                    dst.scaled_add(w, &y.index_axis(Axis(axis), i));
                }
            }
        }
    }
    out
}

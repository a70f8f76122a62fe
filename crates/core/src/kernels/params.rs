//! The kernel's view of a linear TQC: scale, offset, range, rounding and channel axis, validated once
//! so that the loops never fail half-way through a tensor.

use crate::error::QuantError;
use crate::rounding::RoundingPolicy;

/// Everything PPQ's `PPQLinearQuantFunction` reads from a `TensorQuantizationConfig`, borrowed as slices.
///
/// Kept independent of the TQC type so the kernels can be tested, benched and called from the browser
/// without building a full config. Construct with [`LinearQuantParams::new`]; the fields are private
/// so an unchecked scale (zero, negative, NaN) can never reach a kernel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearQuantParams<'a> {
    scale: &'a [f32],
    offset: &'a [f32],
    quant_min: i32,
    quant_max: i32,
    rounding: RoundingPolicy,
    channel_axis: Option<usize>,
}

impl<'a> LinearQuantParams<'a> {
    /// Validates and bundles the parameters.
    ///
    /// `channel_axis = None` is PER_TENSOR and needs exactly one scale and one offset; `Some(axis)` is
    /// PER_CHANNEL and needs one of each per channel (checked against the tensor's shape at call time).
    /// Scales must be finite and > 0 (PPQ clamps them to ≥ 1e-8 upstream; a zero scale would turn x / s
    /// into ±inf/NaN), offsets finite, `quant_min <= quant_max`, and the rounding must have a tensor path
    /// (PPQ raises NotImplementedError for ROUND_TO_NEAR_INT).
    pub fn new(
        scale: &'a [f32],
        offset: &'a [f32],
        quant_min: i32,
        quant_max: i32,
        rounding: RoundingPolicy,
        channel_axis: Option<usize>,
    ) -> Result<Self, QuantError> {
        rounding.check_tensor_path()?;
        if scale.is_empty() || scale.len() != offset.len() {
            return Err(QuantError::InvalidConfig(format!(
                "scale has {} values and offset {}; both need the same non-zero length",
                scale.len(),
                offset.len()
            )));
        }
        if channel_axis.is_none() && scale.len() != 1 {
            return Err(QuantError::InvalidConfig(format!("a per-tensor config needs one scale, got {}", scale.len())));
        }
        if let Some((i, s)) = scale.iter().enumerate().find(|(_, s)| !(s.is_finite() && **s > 0.0)) {
            return Err(QuantError::InvalidConfig(format!("scale[{i}] = {s} must be finite and > 0")));
        }
        if let Some((i, o)) = offset.iter().enumerate().find(|(_, o)| !o.is_finite()) {
            return Err(QuantError::InvalidConfig(format!("offset[{i}] = {o} must be finite")));
        }
        if quant_min > quant_max {
            return Err(QuantError::InvalidConfig(format!("quant_min {quant_min} > quant_max {quant_max}")));
        }
        Ok(Self { scale, offset, quant_min, quant_max, rounding, channel_axis })
    }

    /// The scales (one, or one per channel).
    pub fn scale(&self) -> &'a [f32] {
        self.scale
    }

    /// The offsets (PPQ stores them as floats holding integers).
    pub fn offset(&self) -> &'a [f32] {
        self.offset
    }

    /// Lower clamp bound of q.
    pub fn quant_min(&self) -> i32 {
        self.quant_min
    }

    /// Upper clamp bound of q.
    pub fn quant_max(&self) -> i32 {
        self.quant_max
    }

    /// The tensor-path rounding R.
    pub fn rounding(&self) -> RoundingPolicy {
        self.rounding
    }

    /// `None` for PER_TENSOR, the broadcast axis for PER_CHANNEL.
    pub fn channel_axis(&self) -> Option<usize> {
        self.channel_axis
    }

    /// The clamp bounds as torch sees them: `torch.clamp(t, int, int)` converts the bounds to the
    /// tensor's float32 dtype (so ±(2^31 − 1) become ±2^31).
    pub(crate) fn bounds_f32(&self) -> (f32, f32) {
        (self.quant_min as f32, self.quant_max as f32)
    }

    /// Splits a row-major `shape` into outer × channels × inner around the channel axis
    /// (per-tensor: 1 × 1 × len), checking it against the data length and the parameter count.
    pub(crate) fn layout(&self, shape: &[usize], len: usize) -> Result<Layout, QuantError> {
        channel_layout(shape, len, self.channel_axis, self.scale.len())
    }
}

/// Splits a row-major `shape` into outer × channels × inner around `channel_axis` (per-tensor: 1 × 1 × len),
/// checking it against the data length and the number of per-channel parameters.
pub(crate) fn channel_layout(
    shape: &[usize],
    len: usize,
    channel_axis: Option<usize>,
    n_params: usize,
) -> Result<Layout, QuantError> {
    let numel = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if numel != Some(len) {
        return Err(QuantError::BadData(format!("shape {shape:?} does not describe {len} elements")));
    }
    let Some(axis) = channel_axis else {
        return Ok(Layout { outer: 1, channels: 1, inner: len });
    };
    let Some(&channels) = shape.get(axis) else {
        return Err(QuantError::InvalidConfig(format!("channel_axis {axis} out of range for shape {shape:?}")));
    };
    if channels != n_params {
        return Err(QuantError::InvalidConfig(format!(
            "shape {shape:?} has {channels} channels on axis {axis}, config has {n_params} scales"
        )));
    }
    let outer = shape[..axis].iter().product();
    let inner = shape[axis + 1..].iter().product();
    Ok(Layout { outer, channels, inner })
}

/// A row-major tensor seen as `outer × channels × inner`: element (o, c, i) sits at
/// `(o * channels + c) * inner + i` and uses the parameters of channel c.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    pub outer: usize,
    pub channels: usize,
    pub inner: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use RoundingPolicy as R;

    #[test]
    fn rejects_bad_configs() {
        let ok = LinearQuantParams::new(&[0.1], &[0.0], -128, 127, R::ROUND_HALF_EVEN, None);
        assert!(ok.is_ok());
        for s in [0.0, -1.0, f32::NAN, f32::INFINITY] {
            assert!(LinearQuantParams::new(&[s], &[0.0], -128, 127, R::ROUND_HALF_EVEN, None).is_err(), "{s}");
        }
        assert!(LinearQuantParams::new(&[0.1], &[f32::NAN], -128, 127, R::ROUND_HALF_EVEN, None).is_err());
        assert!(LinearQuantParams::new(&[0.1], &[0.0], 1, 0, R::ROUND_HALF_EVEN, None).is_err());
        assert!(LinearQuantParams::new(&[0.1, 0.2], &[0.0], -128, 127, R::ROUND_HALF_EVEN, Some(0)).is_err());
        assert!(LinearQuantParams::new(&[0.1, 0.2], &[0.0, 0.0], -128, 127, R::ROUND_HALF_EVEN, None).is_err());
        let e = LinearQuantParams::new(&[0.1], &[0.0], -128, 127, R::ROUND_TO_NEAR_INT, None).unwrap_err();
        assert!(matches!(e, QuantError::RoundingNotImplemented { .. }));
    }

    #[test]
    fn layout_around_any_axis() {
        let s = [1.0; 3];
        let p = LinearQuantParams::new(&s, &s, 0, 255, R::ROUND_HALF_EVEN, Some(1)).unwrap();
        assert_eq!(p.layout(&[2, 3, 4, 5], 120), Ok(Layout { outer: 2, channels: 3, inner: 20 }));
        let p = LinearQuantParams::new(&s, &s, 0, 255, R::ROUND_HALF_EVEN, Some(2)).unwrap();
        assert_eq!(p.layout(&[2, 5, 3], 30), Ok(Layout { outer: 10, channels: 3, inner: 1 }));
        assert!(p.layout(&[2, 5, 3], 29).is_err());
        assert!(p.layout(&[2, 3], 6).is_err());
        assert!(p.layout(&[3, 2, 2], 12).is_err());
    }
}

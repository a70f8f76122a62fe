//! FP8 (FLOATING) fake-quant in scalar form (spec §4.3), following PPQ's CUDA `QuantizeScalarFloating`
//! (PPQ has no CPU path for it): clip to the format's theoretical maximum, a subnormal branch on a fixed
//! grid, and mantissa rounding by bit manipulation with the rounding applied to the discarded fraction.
//!
//! The rounding here is CUDA's `_round2int`, not the tensor path: it returns an `int`, so ±0 become +0, and
//! HALF_UP / HALF_DOWN compute `value ± .5` in double (the literal `.5` is a double in C++). TO_NEAR_INT
//! uses `round()` (ties away), which the CUDA switch reaches through its default branch.

use super::error::QuantError;
use super::kernels::{channel_layout, for_each_block};
use super::rounding::RoundingPolicy;

/// An FP8-style format: exponent and mantissa widths (PPQ's `exponent_bits` / `mantissa_bits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloatingFormat {
    exponent_bits: u32,
    mantissa_bits: u32,
}

impl FloatingFormat {
    /// E4M3 (clip ±448 in PPQ's TRT_FP8 configs).
    pub const E4M3: Self = Self { exponent_bits: 4, mantissa_bits: 3 };
    /// E5M2 (clip ±57344).
    pub const E5M2: Self = Self { exponent_bits: 5, mantissa_bits: 2 };

    /// Checks that PPQ's bit tricks stay defined: the mantissa fits float32's 23 bits and the shifts
    /// `1 << (2^(e−1) + m − 2)` and `(2^(e−1) + 127) << 23` neither overflow nor go negative.
    pub fn new(exponent_bits: u32, mantissa_bits: u32) -> Result<Self, QuantError> {
        let ok = (1..=7).contains(&exponent_bits) && mantissa_bits <= 22 && {
            let shift = (1i64 << (exponent_bits - 1)) + i64::from(mantissa_bits) - 2;
            (0..=30).contains(&shift)
        };
        if ok {
            Ok(Self { exponent_bits, mantissa_bits })
        } else {
            Err(QuantError::InvalidConfig(format!(
                "floating format E{exponent_bits}M{mantissa_bits} is outside what PPQ's kernel can represent"
            )))
        }
    }

    /// Exponent width.
    pub fn exponent_bits(self) -> u32 {
        self.exponent_bits
    }

    /// Mantissa width.
    pub fn mantissa_bits(self) -> u32 {
        self.mantissa_bits
    }

    /// PPQ's `theoretical_maximum`: exponent 2^(e−1) (unbiased) with an all-ones mantissa, 480 for E4M3.
    pub fn theoretical_maximum(self) -> f32 {
        let exp = ((1u32 << (self.exponent_bits - 1)) + 127) << 23;
        let mantissa = !(0x007F_FFFFu32 >> self.mantissa_bits) & 0x007F_FFFF;
        f32::from_bits(exp + mantissa)
    }

    /// Grid step of the subnormal branch, 2^−(2^(e−1) + m − 2): 2^−9 for E4M3.
    pub fn min_subnormal(self) -> f32 {
        1.0 / (1u32 << ((1u32 << (self.exponent_bits - 1)) + self.mantissa_bits - 2)) as f32
    }
}

/// PPQ's CUDA `_round2int` (see the module docs for how it differs from the tensor path).
pub fn cuda_round2int(value: f32, rounding: RoundingPolicy) -> i32 {
    use RoundingPolicy as R;
    let v = f64::from(value);
    // `as i32` saturates and maps NaN to 0, like CUDA's float-to-int conversion.
    match rounding {
        R::ROUND_HALF_EVEN => value.round_ties_even() as i32,
        R::ROUND_HALF_UP => (v + 0.5).floor() as i32,
        R::ROUND_HALF_DOWN => (v - 0.5).ceil() as i32,
        R::ROUND_HALF_TOWARDS_ZERO if value > 0.0 => (v - 0.5).ceil() as i32,
        R::ROUND_HALF_TOWARDS_ZERO => (v + 0.5).floor() as i32,
        R::ROUND_HALF_FAR_FORM_ZERO if value > 0.0 => (v + 0.5).floor() as i32,
        R::ROUND_HALF_FAR_FORM_ZERO => (v - 0.5).ceil() as i32,
        R::ROUND_UP => value.ceil() as i32,
        R::ROUND_DOWN => value.floor() as i32,
        R::ROUND_TO_NEAR_INT => value.round() as i32,
    }
}

/// PPQ's `QuantizeScalarFloating`: the FP8 value (still in float32) of `x / scale`. The offset is ignored
/// here, as in PPQ. NaN in → NaN out (PPQ does not model NaN; its bit manipulation would give garbage).
pub fn quantize_scalar_floating(
    x: f32,
    scale: f32,
    format: FloatingFormat,
    clip_min: f32,
    clip_max: f32,
    rounding: RoundingPolicy,
) -> f32 {
    let u = x / scale;
    if u.is_nan() {
        return u;
    }
    let t = format.theoretical_maximum();
    let (hi, lo) = (clip_max.min(t), clip_min.max(-t));
    if u > hi {
        return hi;
    }
    if u < lo {
        return lo;
    }
    let bits = u.to_bits();
    let (sign, exp, mantissa) = (bits & 0x8000_0000, bits & 0x7F80_0000, bits & 0x007F_FFFF);
    let exponent_min = 1 - (1i32 << (format.exponent_bits - 1));
    if ((exp >> 23) as i32 - 127) < exponent_min + 1 {
        // Subnormal: a fixed grid of min_subnormal; int × float, so a zero result is +0.
        let d = format.min_subnormal();
        return cuda_round2int(u / d, rounding) as f32 * d;
    }
    // The discarded low mantissa bits as a fraction f in [0, 1): build 1.f and subtract 1 (exact).
    let m = format.mantissa_bits;
    let f = f32::from_bits(((mantissa << m) & 0x007F_FFFF) + 0x3F80_0000) - 1.0;
    // QUIRK: HALF_EVEN on f = 0.5 gives 0, so exact ties truncate instead of rounding to an even mantissa.
    let round_bit = cuda_round2int(f, rounding) as u32;
    let kept = ((mantissa >> (23 - m)) + round_bit) << (23 - m); // a carry ripples into the exponent
    let v = f32::from_bits(sign.wrapping_add(kept).wrapping_add(exp));
    if v > clip_max {
        clip_max
    } else if v < clip_min {
        clip_min
    } else {
        v
    }
}

/// FP8 fake-quant of one element: `(QuantizeScalarFloating(x) − o) · s` in float32 (PPQ's `DequantizeScalar`).
pub fn floating_fake_quant_one(
    x: f32,
    scale: f32,
    offset: f32,
    format: FloatingFormat,
    clip_min: f32,
    clip_max: f32,
    rounding: RoundingPolicy,
) -> f32 {
    (quantize_scalar_floating(x, scale, format, clip_min, clip_max, rounding) - offset) * scale
}

/// What PPQ's floating kernels read from a FLOATING TQC, validated once (like
/// [`crate::kernels::LinearQuantParams`] for LINEAR): one scale/offset per tensor, or one per channel
/// along `channel_axis` of a row-major tensor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloatingQuantParams<'a> {
    scale: &'a [f32],
    offset: &'a [f32],
    format: FloatingFormat,
    clip_min: f32,
    clip_max: f32,
    rounding: RoundingPolicy,
    channel_axis: Option<usize>,
}

impl<'a> FloatingQuantParams<'a> {
    /// Checks scales (finite, > 0), offsets (finite), matching lengths (one value per tensor when
    /// `channel_axis` is `None`) and a non-empty clip range (PPQ's quant_min/quant_max, e.g. ±448).
    /// Every rounding policy is accepted: CUDA's `_round2int` implements all of them.
    pub fn new(
        scale: &'a [f32],
        offset: &'a [f32],
        format: FloatingFormat,
        clip_min: f32,
        clip_max: f32,
        rounding: RoundingPolicy,
        channel_axis: Option<usize>,
    ) -> Result<Self, QuantError> {
        if scale.is_empty() || scale.len() != offset.len() || (channel_axis.is_none() && scale.len() != 1) {
            return Err(QuantError::InvalidConfig(format!(
                "floating config has {} scales and {} offsets",
                scale.len(),
                offset.len()
            )));
        }
        if !scale.iter().all(|s| s.is_finite() && *s > 0.0) || !offset.iter().all(|o| o.is_finite()) {
            return Err(QuantError::InvalidConfig("scales must be finite and > 0, offsets finite".into()));
        }
        if clip_min.is_nan() || clip_max.is_nan() || clip_min > clip_max {
            return Err(QuantError::InvalidConfig(format!("clip range [{clip_min}, {clip_max}] is empty")));
        }
        Ok(Self { scale, offset, format, clip_min, clip_max, rounding, channel_axis })
    }
}

/// FP8 fake-quant in place of a row-major tensor of `shape` (PPQ's `QuantizeTensor_FT` / `_FC`, scalar).
pub fn floating_fake_quant_in_place(
    data: &mut [f32],
    shape: &[usize],
    p: &FloatingQuantParams<'_>,
) -> Result<(), QuantError> {
    let layout = channel_layout(shape, data.len(), p.channel_axis, p.scale.len())?;
    for_each_block(layout, |range, c| {
        let (s, o) = (p.scale[c], p.offset[c]);
        for v in &mut data[range] {
            *v = floating_fake_quant_one(*v, s, o, p.format, p.clip_min, p.clip_max, p.rounding);
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use RoundingPolicy as R;

    fn e4m3(x: f32, r: RoundingPolicy) -> f32 {
        quantize_scalar_floating(x, 1.0, FloatingFormat::E4M3, -448.0, 448.0, r)
    }
    fn e5m2(x: f32, r: RoundingPolicy) -> f32 {
        quantize_scalar_floating(x, 1.0, FloatingFormat::E5M2, -57344.0, 57344.0, r)
    }

    #[test]
    fn format_constants() {
        assert_eq!(FloatingFormat::E4M3.theoretical_maximum(), 480.0);
        assert_eq!(FloatingFormat::E5M2.theoretical_maximum(), 114688.0);
        assert_eq!(FloatingFormat::E4M3.min_subnormal(), 2f32.powi(-9));
        assert_eq!(FloatingFormat::E5M2.min_subnormal(), 2f32.powi(-16));
        assert_eq!(FloatingFormat::new(4, 3), Ok(FloatingFormat::E4M3));
        assert!(FloatingFormat::new(0, 3).is_err());
        assert!(FloatingFormat::new(8, 3).is_err());
        assert!(FloatingFormat::new(4, 23).is_err());
    }

    #[test]
    fn e4m3_hand_values() {
        assert_eq!(e4m3(1.0, R::ROUND_HALF_EVEN), 1.0);
        // 1.2 = 1.0011001…b: keep 001, fraction ≈ 0.6 rounds up → 1.010b = 1.25.
        assert_eq!(e4m3(1.2, R::ROUND_HALF_EVEN), 1.25);
        assert_eq!(e4m3(-1.2, R::ROUND_HALF_EVEN), -1.25);
        // 1.1875 = 1.0011b: a tie. QUIRK: HALF_EVEN truncates to 1.001b = 1.125 (IEEE RNE gives 1.25).
        assert_eq!(e4m3(1.1875, R::ROUND_HALF_EVEN), 1.125);
        assert_eq!(e4m3(1.1875, R::ROUND_HALF_UP), 1.25);
        // 15.5 = 1.1111b·2³: tie; HALF_EVEN truncates to 15, HALF_UP carries into the exponent → 16.
        assert_eq!(e4m3(15.5, R::ROUND_HALF_EVEN), 15.0);
        assert_eq!(e4m3(15.5, R::ROUND_HALF_UP), 16.0);
        assert_eq!(e4m3(1.9375, R::ROUND_UP), 2.0);
        assert_eq!(e4m3(1.9375, R::ROUND_DOWN), 1.875);
        // Saturation: clip_max (448) is below the theoretical maximum (480).
        assert_eq!(e4m3(460.0, R::ROUND_HALF_EVEN), 448.0);
        assert_eq!(e4m3(-1e30, R::ROUND_HALF_EVEN), -448.0);
        assert_eq!(e4m3(f32::INFINITY, R::ROUND_HALF_EVEN), 448.0);
        assert!(e4m3(f32::NAN, R::ROUND_HALF_EVEN).is_nan());
        // Without a tighter clip, the theoretical maximum applies.
        assert_eq!(quantize_scalar_floating(1000.0, 1.0, FloatingFormat::E4M3, -1e9, 1e9, R::ROUND_HALF_EVEN), 480.0);
    }

    #[test]
    fn e4m3_subnormal_branch() {
        // 0.01 has unbiased exponent −7 < −6: grid 2^−9, 0.01 / 2^−9 = 5.12 → 5.
        assert_eq!(e4m3(0.01, R::ROUND_HALF_EVEN), 5.0 * 2f32.powi(-9));
        // 2^−6 is the smallest normal: kept exactly.
        assert_eq!(e4m3(0.015625, R::ROUND_HALF_EVEN), 0.015625);
        // 2.5 grid steps: ties follow the rounding policy here (no truncation quirk).
        assert_eq!(e4m3(2.5 * 2f32.powi(-9), R::ROUND_HALF_EVEN), 2.0 * 2f32.powi(-9));
        assert_eq!(e4m3(2.5 * 2f32.powi(-9), R::ROUND_HALF_UP), 3.0 * 2f32.powi(-9));
        assert_eq!(e4m3(-2.5 * 2f32.powi(-9), R::ROUND_HALF_TOWARDS_ZERO), -2.0 * 2f32.powi(-9));
        // Zeros come back as +0 (int 0 × float).
        assert_eq!(e4m3(-0.0, R::ROUND_HALF_EVEN).to_bits(), 0);
        assert_eq!(e4m3(-1e-4, R::ROUND_HALF_EVEN).to_bits(), 0);
    }

    #[test]
    fn e5m2_hand_values() {
        assert_eq!(e5m2(1.2, R::ROUND_HALF_EVEN), 1.25);
        assert_eq!(e5m2(3.0, R::ROUND_HALF_EVEN), 3.0);
        // 1.125 = 1.001b: keep 00, fraction 0.5: QUIRK truncation → 1.0.
        assert_eq!(e5m2(1.125, R::ROUND_HALF_EVEN), 1.0);
        assert_eq!(e5m2(1.125, R::ROUND_HALF_FAR_FORM_ZERO), 1.25);
        assert_eq!(e5m2(60000.0, R::ROUND_HALF_EVEN), 57344.0);
        // Subnormal below 2^−14: grid 2^−16.
        assert_eq!(e5m2(3.3 * 2f32.powi(-16), R::ROUND_HALF_EVEN), 3.0 * 2f32.powi(-16));
    }

    #[test]
    fn dequantize_with_scale_per_tensor_and_per_channel() {
        let fmt = FloatingFormat::E4M3;
        let p = FloatingQuantParams::new(&[2.0], &[0.0], fmt, -448.0, 448.0, R::ROUND_HALF_EVEN, None).unwrap();
        let mut x = [2.4f32, -2.4, 0.0, 1000.0];
        floating_fake_quant_in_place(&mut x, &[4], &p).unwrap();
        assert_eq!(x, [2.5, -2.5, 0.0, 896.0]);
        // Channel axis 1 of [2, 2]: columns use scales 2 and 0.5.
        let (s, o) = ([2.0f32, 0.5], [0.0f32, 0.0]);
        let p = FloatingQuantParams::new(&s, &o, fmt, -448.0, 448.0, R::ROUND_HALF_EVEN, Some(1)).unwrap();
        let mut x = [2.4f32, 0.6, 1000.0, 1000.0];
        floating_fake_quant_in_place(&mut x, &[2, 2], &p).unwrap();
        assert_eq!(x, [2.5, 0.625, 896.0, 224.0]);
        assert!(floating_fake_quant_in_place(&mut x, &[4], &p).is_err());
        assert!(FloatingQuantParams::new(&[0.0], &[0.0], fmt, -1.0, 1.0, R::ROUND_UP, None).is_err());
        assert!(FloatingQuantParams::new(&[1.0], &[0.0], fmt, 1.0, -1.0, R::ROUND_UP, None).is_err());
    }

    #[test]
    fn cuda_rounding_uses_double_for_half_up() {
        // In float32, 0.49999997 + 0.5 rounds to 1.0; CUDA adds the double .5 exactly → floor 0.
        assert_eq!(cuda_round2int(0.49999997, R::ROUND_HALF_UP), 0);
        assert_eq!(cuda_round2int(-2.5, R::ROUND_HALF_TOWARDS_ZERO), -2);
        assert_eq!(cuda_round2int(-2.5, R::ROUND_HALF_FAR_FORM_ZERO), -3);
        assert_eq!(cuda_round2int(2.5, R::ROUND_TO_NEAR_INT), 3);
        assert_eq!(cuda_round2int(f32::NAN, R::ROUND_HALF_EVEN), 0);
    }
}

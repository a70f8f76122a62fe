//! PPQ's `minmax_to_scale_offset` (spec §5.1): the one formula every range-based observer ends in.

use super::{ObserverTarget, observer_error};
use crate::error::QuantError;
use crate::policy::QuantizationProperty as P;
use crate::quirks::Quirks;
use crate::rounding::{RoundingPolicy, numerical_round, round_to_power_of_2};

/// Per-tensor min/max → (scale, offset), in float64 like PPQ's Python floats (callers store float32).
///
/// The range is forced to include 0; the scale is clamped to `target.min_scale`; SYM uses
/// 2·absmax/(qmax−qmin); ASYM rounds −min/s with the numerical HALF_EVEN path regardless of the TQC's
/// rounding and does not clamp the offset; POWER_OF_2 rounds log2(s) up (after the offset is computed,
/// as PPQ does). With `Quirks::Fixed` the ASYM offset is shifted by quant_min so signed ranges work.
pub fn minmax_to_scale_offset(min: f64, max: f64, target: &ObserverTarget) -> Result<(f64, f64), QuantError> {
    let min = if min > 0.0 { 0.0 } else { min };
    let max = if max < 0.0 { 0.0 } else { max };
    let width = grid_width(target)?;
    let (scale, offset) = if target.has(P::ASYMMETRICAL) {
        let scale = ((max - min) / width).max(target.min_scale);
        (scale, asym_offset(-min / scale, target))
    } else if target.has(P::SYMMETRICAL) {
        let scale = (2.0 * min.abs().max(max.abs()) / width).max(target.min_scale);
        (scale, 0.0)
    } else {
        return Err(neither_sym_nor_asym());
    };
    Ok((pow2_up(scale, target), offset))
}

/// Per-channel min/max (numpy float32 values in PPQ) → (scale, offset).
///
/// SYM is the per-tensor formula on the float32 absmax. ASYM subtracts max − min in float32, and then
/// PPQ 0.6.6 under numpy ≥ 2 fails: −min/s stays a numpy float32 and `ppq_numerical_round` asserts a
/// Python float (quirk `per-channel-asym-numpy2-assert`). `Quirks::Faithful` returns that failure as
/// `QuantError::Observer` whenever PPQ would hit it (min ≤ 0; a positive min becomes the int 0 first);
/// `Quirks::Fixed` computes the offset in float64, as PPQ did under numpy 1.
pub fn channel_minmax_to_scale_offset(min: f32, max: f32, target: &ObserverTarget) -> Result<(f64, f64), QuantError> {
    let width = grid_width(target)?;
    if target.has(P::ASYMMETRICAL) {
        let min_is_python_int = min > 0.0;
        let min = if min_is_python_int { 0.0 } else { min };
        let max = if max < 0.0 { 0.0 } else { max };
        let scale = (f64::from(max - min) / width).max(target.min_scale);
        if !min_is_python_int && target.quirks == Quirks::Faithful {
            return Err(observer_error(
                "minmax",
                "PPQ 0.6.6 raises AssertionError for per-channel ASYMMETRICAL minmax under numpy >= 2 \
                 (quirk per-channel-asym-numpy2-assert: -min/scale stays numpy float32); use quirks=fixed",
            ));
        }
        let offset = asym_offset(-f64::from(min) / scale, target);
        Ok((pow2_up(scale, target), offset))
    } else if target.has(P::SYMMETRICAL) {
        let min = min.min(0.0);
        let max = max.max(0.0);
        let scale = (2.0 * f64::from(min.abs().max(max.abs())) / width).max(target.min_scale);
        Ok((pow2_up(scale, target), 0.0))
    } else {
        Err(neither_sym_nor_asym())
    }
}

fn grid_width(target: &ObserverTarget) -> Result<f64, QuantError> {
    let width = f64::from(target.quant_max) - f64::from(target.quant_min);
    if width > 0.0 {
        Ok(width)
    } else {
        Err(QuantError::InvalidConfig(format!(
            "quant_max ({}) must be greater than quant_min ({})",
            target.quant_max, target.quant_min
        )))
    }
}

/// round_HALF_EVEN(−min/s), plus quant_min under `Fixed` (quirk `asym-offset-signed-range`).
fn asym_offset(neg_min_over_s: f64, target: &ObserverTarget) -> f64 {
    let o = numerical_round(neg_min_over_s, RoundingPolicy::ROUND_HALF_EVEN, target.quirks);
    match target.quirks {
        Quirks::Faithful => o,
        Quirks::Fixed => o + f64::from(target.quant_min),
    }
}

fn pow2_up(scale: f64, target: &ObserverTarget) -> f64 {
    if target.has(P::POWER_OF_2) { round_to_power_of_2(scale, RoundingPolicy::ROUND_UP, target.quirks) } else { scale }
}

fn neither_sym_nor_asym() -> QuantError {
    observer_error("minmax", "minmax_to_scale_offset expects either an ASYMMETRICAL or a SYMMETRICAL policy")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::QuantizationPolicy;
    use crate::state::StateModel;

    fn t(bits: u32, qmin: i32, qmax: i32) -> ObserverTarget {
        ObserverTarget::new(QuantizationPolicy::new(bits, StateModel::Ppq066).unwrap(), qmin, qmax, 8)
    }

    #[test]
    fn spec_11_rows() {
        let f = |min, max, t: &ObserverTarget| {
            let (s, o) = minmax_to_scale_offset(min, max, t).unwrap();
            (s as f32, o as f32)
        };
        assert_eq!(f(-1.0, 2.0, &t(0x15, -128, 127)), (4.0 / 255.0, 0.0));
        assert_eq!(f(-1.0, 2.0, &t(0x15, -127, 127)), (0.015748031, 0.0));
        assert_eq!(f(-1.0, 3.0, &t(0x25, 0, 255)), (0.015686275, 64.0));
        assert_eq!(f(0.5, 2.0, &t(0x25, 0, 255)), (0.007843138, 0.0));
        assert_eq!(f(-1.0, 2.0, &t(0x55, -128, 127)), (0.03125, 0.0));
        assert_eq!(f(-1.0, 3.0, &t(0x25, -128, 127)), (0.015686275, 64.0));
        assert_eq!(f(0.0, 0.0, &t(0x15, -128, 127)), (1e-8, 0.0));
        // Fixed corrects the signed-range offset: min maps to quant_min.
        let fixed = t(0x25, -128, 127).with_quirks(Quirks::Fixed);
        assert_eq!(f(-1.0, 3.0, &fixed), (0.015686275, -64.0));
    }

    #[test]
    fn offset_ties_are_half_even() {
        // s = 1, so −min/s = 0.5 and 1.5 exactly: 0 and 2, even with a HALF_UP TQC (the rounding is not read).
        let (_, o) = minmax_to_scale_offset(-0.5, 254.5, &t(0x25, 0, 255)).unwrap();
        assert_eq!(o, 0.0);
        let (_, o) = minmax_to_scale_offset(-1.5, 253.5, &t(0x25, 0, 255)).unwrap();
        assert_eq!(o, 2.0);
    }

    #[test]
    fn per_channel_sym_and_asym_quirk() {
        let s = t(0x16, -128, 127);
        assert_eq!(channel_minmax_to_scale_offset(-1.0, 2.0, &s).unwrap().0 as f32, 0.015686275);
        assert_eq!(channel_minmax_to_scale_offset(-0.3, 0.7, &s).unwrap().0 as f32, 0.005490196);
        let a = t(0x26, 0, 255);
        let e = channel_minmax_to_scale_offset(-1.0, 3.0, &a).unwrap_err();
        assert!(e.to_string().contains("per-channel-asym-numpy2-assert"), "{e}");
        // A positive min becomes Python's int 0, so PPQ does not trip.
        assert_eq!(channel_minmax_to_scale_offset(0.5, 2.0, &a).unwrap(), (2.0f32 as f64 / 255.0, 0.0));
        let fixed = a.with_quirks(Quirks::Fixed);
        let (sc, o) = channel_minmax_to_scale_offset(-1.0, 3.0, &fixed).unwrap();
        assert_eq!((sc as f32, o), (0.015686275, 64.0));
    }
}

//! The backward of fake-quantization as PPQ's LearnedStepSizePass computes it on CPU (`LSQDelegator.__call__`
//! in `ppq/quantization/algorithm/training.py`): the forward is the ordinary `y = (clamp(R(x/s) + o) − o)·s`
//! with R's gradient taken as 1 (PPQ's `PPQTensorRoundImpl` is a straight-through estimator) and the offset
//! detached; torch's clamp passes the gradient where `qmin ≤ R(x/s) + o ≤ qmax`, bounds included. Hence per
//! element, with `q = R(x/s) + o`:
//!
//! * inside the range: `∂y/∂x = 1`, `∂y/∂s = R(x/s) − x/s`;
//! * outside: `∂y/∂x = 0`, `∂y/∂s = clamp(q) − o` (the bound, less the offset).
//!
//! `∂y/∂s` here is the raw derivative; LSQ's gradient scaling (`1/√(numel·qmax)`) and the sign of `|s|` are
//! applied by the caller, which knows whether the scale is trainable (see the training pass).

use super::params::LinearQuantParams;
use super::scalar::{clamp, for_each_block};
use crate::error::QuantError;
use crate::rounding::tensor_round;

/// Gradients of one fake-quant: `dx` per element, `dscale` per channel (one value per tensor), raw.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeQuantGrad {
    /// ∂L/∂x.
    pub dx: Vec<f32>,
    /// ∂L/∂s, summed over each channel's elements (accumulated in f64).
    pub dscale: Vec<f64>,
}

/// The straight-through/LSQ backward of fake-quantizing `x` (row-major, `shape`) with `p`, given ∂L/∂y `dy`.
pub fn fake_quant_backward(
    x: &[f32],
    shape: &[usize],
    p: &LinearQuantParams<'_>,
    dy: &[f32],
) -> Result<FakeQuantGrad, QuantError> {
    if x.len() != dy.len() {
        return Err(QuantError::BadData(format!("value has {} elements, its gradient {}", x.len(), dy.len())));
    }
    let layout = p.layout(shape, x.len())?;
    let (lo, hi) = p.bounds_f32();
    let (scale, offset, r) = (p.scale(), p.offset(), p.rounding());
    let mut dx = vec![0f32; x.len()];
    let mut dscale = vec![0f64; scale.len()];
    for_each_block(layout, |range, c| {
        let (s, o) = (scale[c], offset[c]);
        let mut acc = 0f64;
        for i in range {
            let t = x[i] / s;
            let rounded = tensor_round(t, r);
            let q = rounded + o;
            if q >= lo && q <= hi {
                dx[i] = dy[i];
                acc += f64::from(dy[i]) * f64::from(rounded - t);
            } else {
                acc += f64::from(dy[i]) * f64::from(clamp(q, lo, hi) - o);
            }
        }
        dscale[c] += acc;
    });
    Ok(FakeQuantGrad { dx, dscale })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::fake_quant_one;
    use crate::rounding::RoundingPolicy;

    /// The analytic scale gradient against a central finite difference of the forward where the rounding does
    /// not jump, and the STE mask against the range.
    #[test]
    fn gradients_match_the_formula_and_the_mask() {
        let x = [0.26f32, -0.9, 3.0, -3.0, 0.0];
        let (s, o) = ([0.1f32], [0.0f32]);
        let p = LinearQuantParams::new(&s, &o, -8, 7, RoundingPolicy::ROUND_HALF_EVEN, None).unwrap();
        let g = fake_quant_backward(&x, &[5], &p, &[1.0; 5]).unwrap();
        // -0.9/0.1 = -9 < -8, 3.0/0.1 = 30 > 7, -30 < -8: only 0.26 and 0 are inside
        assert_eq!(g.dx, vec![1.0, 0.0, 0.0, 0.0, 1.0]);
        // inside: R(t) − t; outside: bound − o
        let want = (3.0 - 2.6) + (-8.0) + 7.0 + (-8.0) + 0.0;
        assert!((g.dscale[0] - want).abs() < 1e-4, "{} vs {want}", g.dscale[0]);
        // finite difference of Σ y with respect to s, away from rounding jumps, for the clamped elements
        let f = |s: f32| fake_quant_one(3.0, s, 0.0, -8.0, 7.0, RoundingPolicy::ROUND_HALF_EVEN);
        let fd = (f(0.1001) - f(0.0999)) / 0.0002;
        assert!((fd - 7.0).abs() < 1e-2, "{fd}");
    }
}

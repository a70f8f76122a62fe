//! The scalar oracle: PPQ's CPU fake-quant written one element at a time, as plainly as possible.
//! Every SIMD path is tested bit for bit against these functions.

use super::params::{Layout, LinearQuantParams};
use crate::rounding::{RoundingPolicy, tensor_round};

/// `torch.clamp` on one float32: NaN stays NaN, and a value equal to a bound (including −0 against +0)
/// is returned unchanged, exactly as `f32::clamp` does. Written out because `f32::clamp` asserts.
#[inline(always)]
pub fn clamp(q: f32, lo: f32, hi: f32) -> f32 {
    let mut q = q;
    if q < lo {
        q = lo;
    }
    if q > hi {
        q = hi;
    }
    q
}

/// PPQ's q for one element: `clamp(R(x / s) + o, qmin, qmax)` in float32, with a true division and the
/// offset added after rounding, as `PPQLinearQuantFunction` does on CPU. NaN in gives NaN out.
#[inline(always)]
pub fn quantize_one(x: f32, s: f32, o: f32, lo: f32, hi: f32, rounding: RoundingPolicy) -> f32 {
    clamp(tensor_round(x / s, rounding) + o, lo, hi)
}

/// PPQ's fake-quant of one element: `(q − o) · s` in float32.
#[inline(always)]
pub fn fake_quant_one(x: f32, s: f32, o: f32, lo: f32, hi: f32, rounding: RoundingPolicy) -> f32 {
    (quantize_one(x, s, o, lo, hi, rounding) - o) * s
}

/// Calls `f(range, channel)` for every contiguous block of one channel, in memory order.
#[inline(always)]
pub(crate) fn for_each_block(layout: Layout, mut f: impl FnMut(core::ops::Range<usize>, usize)) {
    let Layout { outer, channels, inner } = layout;
    for o in 0..outer {
        for c in 0..channels {
            let start = (o * channels + c) * inner;
            f(start..start + inner, c);
        }
    }
}

/// Oracle fake-quant in place over an already checked layout.
pub(crate) fn fake_quant_in_place(data: &mut [f32], layout: Layout, p: &LinearQuantParams<'_>) {
    let (lo, hi) = p.bounds_f32();
    let (scale, offset, r) = (p.scale(), p.offset(), p.rounding());
    for_each_block(layout, |range, c| {
        let (s, o) = (scale[c], offset[c]);
        for v in &mut data[range] {
            *v = fake_quant_one(*v, s, o, lo, hi, r);
        }
    });
}

/// Oracle fake-quant from `input` into `output` (same length, checked by the caller).
pub(crate) fn fake_quant_into(input: &[f32], output: &mut [f32], layout: Layout, p: &LinearQuantParams<'_>) {
    let (lo, hi) = p.bounds_f32();
    let (scale, offset, r) = (p.scale(), p.offset(), p.rounding());
    for_each_block(layout, |range, c| {
        let (s, o) = (scale[c], offset[c]);
        for (y, &x) in output[range.clone()].iter_mut().zip(&input[range]) {
            *y = fake_quant_one(x, s, o, lo, hi, r);
        }
    });
}

/// Oracle q (no dequantization) from `input` into `output`, for the integer export.
pub(crate) fn quantize_into(input: &[f32], output: &mut [f32], layout: Layout, p: &LinearQuantParams<'_>) {
    let (lo, hi) = p.bounds_f32();
    let (scale, offset, r) = (p.scale(), p.offset(), p.rounding());
    for_each_block(layout, |range, c| {
        let (s, o) = (scale[c], offset[c]);
        for (y, &x) in output[range.clone()].iter_mut().zip(&input[range]) {
            *y = quantize_one(x, s, o, lo, hi, r);
        }
    });
}

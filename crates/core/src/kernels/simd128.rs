//! wasm32 simd128 lanes for the generic kernel in [`super::simd`].
//!
//! Choices (toolchain guide, measured in Node 20 on 16M f32): `f32x4_pmin`/`f32x4_pmax` instead of
//! `f32x4_min`/`f32x4_max` (V8 lowers the latter to a NaN/±0-fixing sequence, ~2× slower); with the operand
//! order below they are *exactly* the oracle's `if q < lo { lo }` / `if q > hi { hi }`, so NaN and −0 pass
//! through as in the oracle. `f32x4_nearest` is `round_ties_even`; `f32x4_div` is the IEEE division.

use super::simd::F32x4;
use core::arch::wasm32::*;

/// Four f32 lanes in a wasm `v128`.
#[derive(Clone, Copy)]
pub(crate) struct Wasm(v128);

impl F32x4 for Wasm {
    #[inline(always)]
    fn splat(v: f32) -> Self {
        Wasm(f32x4_splat(v))
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees 16 readable bytes at p; v128_load has no alignment requirement.
        Wasm(unsafe { v128_load(p as *const v128) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees 16 writable bytes at p; no alignment requirement.
        unsafe { v128_store(p as *mut v128, self.0) }
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        Wasm(f32x4_div(self.0, o.0))
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Wasm(f32x4_add(self.0, o.0))
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Wasm(f32x4_sub(self.0, o.0))
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Wasm(f32x4_mul(self.0, o.0))
    }
    #[inline(always)]
    fn floor(self) -> Self {
        Wasm(f32x4_floor(self.0))
    }
    #[inline(always)]
    fn ceil(self) -> Self {
        Wasm(f32x4_ceil(self.0))
    }
    #[inline(always)]
    fn round_ties_even(self) -> Self {
        Wasm(f32x4_nearest(self.0))
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Wasm(f32x4_abs(self.0))
    }
    #[inline(always)]
    fn sign(self) -> Self {
        let zero = f32x4_splat(0.0);
        let neg_or_v = v128_bitselect(f32x4_splat(-1.0), self.0, f32x4_lt(self.0, zero));
        Wasm(v128_bitselect(f32x4_splat(1.0), neg_or_v, f32x4_gt(self.0, zero)))
    }
    #[inline(always)]
    fn clamp(self, lo: Self, hi: Self) -> Self {
        // pmax(q, lo) = q < lo ? lo : q, then pmin(q, hi) = hi < q ? hi : q: the oracle's clamp.
        Wasm(f32x4_pmin(f32x4_pmax(self.0, lo.0), hi.0))
    }
}

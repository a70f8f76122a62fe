//! x86-64 SSE4.1 lanes for the generic kernel in [`super::simd`] (compiled when SSE4.1 is a compile-time
//! target feature; `.cargo/config.toml` sets `target-cpu=x86-64-v2` for native builds).
//!
//! `_mm_round_ps` gives floor/ceil/ties-to-even in one instruction. `_mm_max_ps(lo, q)` is `lo > q ? lo : q`
//! and `_mm_min_ps(hi, q)` is `hi < q ? hi : q`: with the bound first, a NaN or a ±0 q passes through
//! exactly as in the oracle's `if q < lo { lo }` / `if q > hi { hi }`.

use super::simd::F32x4;
use core::arch::x86_64::*;

/// Four f32 lanes in an SSE register.
#[derive(Clone, Copy)]
pub(crate) struct Sse(__m128);

impl F32x4 for Sse {
    #[inline(always)]
    fn splat(v: f32) -> Self {
        // SAFETY: this module is compiled only with SSE4.1 enabled at compile time (see the cfg in
        // kernels/mod.rs), so these register-only intrinsics are available; they touch no memory.
        unsafe { Sse(_mm_set1_ps(v)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees 16 readable bytes at p; loadu has no alignment requirement.
        Sse(unsafe { _mm_loadu_ps(p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees 16 writable bytes at p; storeu has no alignment requirement.
        unsafe { _mm_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        // SAFETY: this module is compiled only with SSE4.1 enabled at compile time (see the cfg in
        // kernels/mod.rs), so these register-only intrinsics are available; they touch no memory.
        unsafe { Sse(_mm_div_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        // SAFETY: this module is compiled only with SSE4.1 enabled at compile time (see the cfg in
        // kernels/mod.rs), so these register-only intrinsics are available; they touch no memory.
        unsafe { Sse(_mm_add_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        // SAFETY: this module is compiled only with SSE4.1 enabled at compile time (see the cfg in
        // kernels/mod.rs), so these register-only intrinsics are available; they touch no memory.
        unsafe { Sse(_mm_sub_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        // SAFETY: this module is compiled only with SSE4.1 enabled at compile time (see the cfg in
        // kernels/mod.rs), so these register-only intrinsics are available; they touch no memory.
        unsafe { Sse(_mm_mul_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn floor(self) -> Self {
        // SAFETY: this module is compiled only with SSE4.1 enabled at compile time (see the cfg in
        // kernels/mod.rs), so these register-only intrinsics are available; they touch no memory.
        unsafe { Sse(_mm_round_ps::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(self.0)) }
    }
    #[inline(always)]
    fn ceil(self) -> Self {
        // SAFETY: this module is compiled only with SSE4.1 enabled at compile time (see the cfg in
        // kernels/mod.rs), so these register-only intrinsics are available; they touch no memory.
        unsafe { Sse(_mm_round_ps::<{ _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC }>(self.0)) }
    }
    #[inline(always)]
    fn round_ties_even(self) -> Self {
        // SAFETY: this module is compiled only with SSE4.1 enabled at compile time (see the cfg in
        // kernels/mod.rs), so these register-only intrinsics are available; they touch no memory.
        unsafe { Sse(_mm_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(self.0)) }
    }
    #[inline(always)]
    fn abs(self) -> Self {
        // SAFETY: this module is compiled only with SSE4.1 enabled at compile time (see the cfg in
        // kernels/mod.rs), so these register-only intrinsics are available; they touch no memory.
        unsafe { Sse(_mm_andnot_ps(_mm_set1_ps(-0.0), self.0)) }
    }
    #[inline(always)]
    fn sign(self) -> Self {
        // SAFETY: this module is compiled only with SSE4.1 enabled at compile time (see the cfg in
        // kernels/mod.rs), so these register-only intrinsics are available; they touch no memory.
        unsafe {
            let zero = _mm_setzero_ps();
            let neg_or_v = _mm_blendv_ps(self.0, _mm_set1_ps(-1.0), _mm_cmplt_ps(self.0, zero));
            Sse(_mm_blendv_ps(neg_or_v, _mm_set1_ps(1.0), _mm_cmpgt_ps(self.0, zero)))
        }
    }
    #[inline(always)]
    fn clamp(self, lo: Self, hi: Self) -> Self {
        // SAFETY: this module is compiled only with SSE4.1 enabled at compile time (see the cfg in
        // kernels/mod.rs), so these register-only intrinsics are available; they touch no memory.
        unsafe { Sse(_mm_min_ps(hi.0, _mm_max_ps(lo.0, self.0))) }
    }
}

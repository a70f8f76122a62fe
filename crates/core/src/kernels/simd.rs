//! The fake-quant kernel written once over a four-lane float vector, instantiated per target
//! (simd128 on wasm32, SSE4.1 on x86-64) and per rounding policy.
//!
//! Every lane computes exactly the oracle's float32 operations in the same order (IEEE division, the
//! policy's floor/ceil/ties-even formula, `+ o`, the clamp, `− o`, `· s`), so results are bit-identical;
//! tails shorter than four lanes call the oracle itself.

use super::params::{Layout, LinearQuantParams};
use super::scalar::fake_quant_one;
use crate::rounding::RoundingPolicy;

/// The few lane operations the kernel needs. Each must round exactly like its scalar f32 counterpart.
pub(crate) trait F32x4: Copy {
    /// All lanes = v.
    fn splat(v: f32) -> Self;
    /// Unaligned load of four f32.
    ///
    /// # Safety
    /// `p` must be valid for reading four f32.
    unsafe fn load(p: *const f32) -> Self;
    /// Unaligned store of four f32.
    ///
    /// # Safety
    /// `p` must be valid for writing four f32.
    unsafe fn store(self, p: *mut f32);
    /// IEEE division (never a reciprocal multiply).
    fn div(self, o: Self) -> Self;
    /// IEEE addition.
    fn add(self, o: Self) -> Self;
    /// IEEE subtraction.
    fn sub(self, o: Self) -> Self;
    /// IEEE multiplication (never fused).
    fn mul(self, o: Self) -> Self;
    /// `f32::floor`.
    fn floor(self) -> Self;
    /// `f32::ceil`.
    fn ceil(self) -> Self;
    /// `f32::round_ties_even`.
    fn round_ties_even(self) -> Self;
    /// `f32::abs` (clears the sign bit, NaN included).
    fn abs(self) -> Self;
    /// torch.sign as the oracle computes it: +1, −1, or the lane itself for ±0 and NaN.
    fn sign(self) -> Self;
    /// `if q < lo { lo }; if q > hi { hi }` per lane: NaN and a zero equal to a bound pass unchanged.
    fn clamp(self, lo: Self, hi: Self) -> Self;
}

/// `RoundingPolicy` discriminants as const-generic parameters.
const HALF_EVEN: u8 = RoundingPolicy::ROUND_HALF_EVEN as u8;
const HALF_UP: u8 = RoundingPolicy::ROUND_HALF_UP as u8;
const HALF_DOWN: u8 = RoundingPolicy::ROUND_HALF_DOWN as u8;
const HALF_TOWARDS_ZERO: u8 = RoundingPolicy::ROUND_HALF_TOWARDS_ZERO as u8;
const HALF_FAR_FORM_ZERO: u8 = RoundingPolicy::ROUND_HALF_FAR_FORM_ZERO as u8;
const UP: u8 = RoundingPolicy::ROUND_UP as u8;
const DOWN: u8 = RoundingPolicy::ROUND_DOWN as u8;

/// `tensor_round` lane-wise, same formulas as `crate::rounding::tensor_round`.
#[inline(always)]
fn round<V: F32x4, const P: u8>(v: V) -> V {
    let half = V::splat(0.5);
    match P {
        HALF_UP => v.add(half).floor(),
        HALF_DOWN => v.sub(half).ceil(),
        HALF_TOWARDS_ZERO => v.sign().mul(v.abs().sub(half).ceil()),
        HALF_FAR_FORM_ZERO => v.sign().mul(v.abs().add(half).floor()),
        UP => v.ceil(),
        DOWN => v.floor(),
        _ => v.round_ties_even(),
    }
}

#[inline(always)]
fn fake_quant4<V: F32x4, const P: u8>(x: V, s: V, o: V, lo: V, hi: V) -> V {
    round::<V, P>(x.div(s)).add(o).clamp(lo, hi).sub(o).mul(s)
}

/// `n` elements sharing one scale/offset.
///
/// # Safety
/// `src` readable and `dst` writable for `n` f32s, either the same pointer or disjoint.
#[inline(always)]
unsafe fn block<V: F32x4, const P: u8>(src: *const f32, dst: *mut f32, n: usize, so: (f32, f32), b: (f32, f32)) {
    let (vs, vo, vlo, vhi) = (V::splat(so.0), V::splat(so.1), V::splat(b.0), V::splat(b.1));
    let mut i = 0;
    while i + 4 <= n {
        // SAFETY: i + 4 <= n keeps the four lanes inside the caller's ranges; in place, lanes are read first.
        unsafe { fake_quant4::<V, P>(V::load(src.add(i)), vs, vo, vlo, vhi).store(dst.add(i)) };
        i += 4;
    }
    let r = policy(P);
    while i < n {
        // SAFETY: i < n.
        unsafe { *dst.add(i) = fake_quant_one(*src.add(i), so.0, so.1, b.0, b.1, r) };
        i += 1;
    }
}

/// A row of `scale.len()` elements where element j is channel j (channel axis last).
///
/// # Safety
/// `src` readable and `dst` writable for `scale.len()` f32s, same pointer or disjoint; `offset` as long.
#[inline(always)]
unsafe fn lanes<V: F32x4, const P: u8>(src: *const f32, dst: *mut f32, scale: &[f32], offset: &[f32], b: (f32, f32)) {
    let n = scale.len().min(offset.len());
    let (vlo, vhi) = (V::splat(b.0), V::splat(b.1));
    let mut i = 0;
    while i + 4 <= n {
        // SAFETY: i + 4 <= n <= both parameter lengths and the caller's element ranges.
        unsafe {
            let (vs, vo) = (V::load(scale.as_ptr().add(i)), V::load(offset.as_ptr().add(i)));
            fake_quant4::<V, P>(V::load(src.add(i)), vs, vo, vlo, vhi).store(dst.add(i));
        }
        i += 4;
    }
    let r = policy(P);
    while i < n {
        // SAFETY: i < n.
        unsafe { *dst.add(i) = fake_quant_one(*src.add(i), scale[i], offset[i], b.0, b.1, r) };
        i += 1;
    }
}

fn policy(p: u8) -> RoundingPolicy {
    RoundingPolicy::ALL.get(p as usize).copied().unwrap_or_default()
}

/// Walks the layout with one policy instantiation.
///
/// # Safety
/// `src` readable and `dst` writable for `outer·channels·inner` f32s, same pointer or disjoint; the layout
/// was checked against the parameters (`channels` scales and offsets).
#[inline(always)]
unsafe fn walk<V: F32x4, const P: u8>(src: *const f32, dst: *mut f32, l: Layout, p: &LinearQuantParams<'_>) {
    let (scale, offset, b) = (p.scale(), p.offset(), p.bounds_f32());
    let (Some(&s0), Some(&o0)) = (scale.first(), offset.first()) else { return };
    // SAFETY (all three branches): every range below lies inside outer·channels·inner elements.
    unsafe {
        if l.channels == 1 {
            block::<V, P>(src, dst, l.outer * l.inner, (s0, o0), b);
        } else if l.inner == 1 {
            for o in 0..l.outer {
                let at = o * l.channels;
                lanes::<V, P>(src.add(at), dst.add(at), &scale[..l.channels], &offset[..l.channels], b);
            }
        } else {
            for o in 0..l.outer {
                for c in 0..l.channels {
                    let at = (o * l.channels + c) * l.inner;
                    block::<V, P>(src.add(at), dst.add(at), l.inner, (scale[c], offset[c]), b);
                }
            }
        }
    }
}

/// Fake-quant of a whole checked tensor on lanes `V`, choosing the policy instantiation once.
///
/// # Safety
/// As [`walk`]. The parameters' rounding has a tensor path (checked by `LinearQuantParams::new`).
pub(crate) unsafe fn fake_quant<V: F32x4>(src: *const f32, dst: *mut f32, l: Layout, p: &LinearQuantParams<'_>) {
    use RoundingPolicy as R;
    // SAFETY: forwarded caller contract.
    unsafe {
        match p.rounding() {
            R::ROUND_HALF_UP => walk::<V, HALF_UP>(src, dst, l, p),
            R::ROUND_HALF_DOWN => walk::<V, HALF_DOWN>(src, dst, l, p),
            R::ROUND_HALF_TOWARDS_ZERO => walk::<V, HALF_TOWARDS_ZERO>(src, dst, l, p),
            R::ROUND_HALF_FAR_FORM_ZERO => walk::<V, HALF_FAR_FORM_ZERO>(src, dst, l, p),
            R::ROUND_UP => walk::<V, UP>(src, dst, l, p),
            R::ROUND_DOWN => walk::<V, DOWN>(src, dst, l, p),
            // ROUND_TO_NEAR_INT never gets here (no tensor path); HALF_EVEN is the default.
            R::ROUND_HALF_EVEN | R::ROUND_TO_NEAR_INT => walk::<V, HALF_EVEN>(src, dst, l, p),
        }
    }
}

//! Fake-quant kernels: one interface, a scalar oracle and SIMD paths that are bit-identical to it (spec §4.2).
//!
//! PPQ's CPU formula, per element and entirely in float32:
//! `q = clamp(R(x / s) + o, quant_min, quant_max)`, `y = (q − o) · s`, with R the tensor rounding path.
//!
//! **Special values** (identical on every path, tested bit for bit): NaN in → NaN out (torch.clamp keeps
//! NaN; the NaN payload is not promised, wasm may canonicalise it); ±inf saturate to the dequantized bound;
//! the sign of a zero output follows the float32 operations (e.g. `−0 + 0 = +0`, so with offset +0 the
//! output zeros are +0, as in torch).
//!
//! **Dispatch** ([`KernelPath::best`]): wasm32 with simd128 → `simd128` lanes; x86-64 with SSE4.1 at
//! compile time → `x86` (SSE4.1) lanes; otherwise the scalar oracle. The bench figures that justified the choice
//! are next to [`KernelPath::best`] (SSE4.1 1.46 G elem/s vs oracle 0.38 G, copy ceiling 1.52 G).

mod gemm;
mod int;
mod lsq;
mod params;
mod scalar;
mod simd;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128;
#[cfg(all(target_arch = "x86_64", target_feature = "sse4.1"))]
mod x86;

pub use gemm::Gemm;
pub use int::{QuantizedInts, quantize_to_int};
pub use lsq::{FakeQuantGrad, fake_quant_backward};
pub use params::LinearQuantParams;
pub(crate) use params::{Layout, channel_layout};
pub(crate) use scalar::for_each_block;
pub use scalar::{fake_quant_one, quantize_one};

use crate::error::QuantError;

/// Which implementation runs a kernel. Tests and benches pick one explicitly; everything else uses
/// [`KernelPath::best`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KernelPath {
    /// The element-by-element oracle (natively not auto-vectorised, measured 0.38 G elem/s; under wasm
    /// +simd128 LLVM may vectorise it, with the same bits either way).
    Scalar,
    /// The explicit four-lane path (simd128 or SSE4.1); the oracle where neither is compiled in.
    Simd,
}

impl KernelPath {
    /// Whether [`KernelPath::Simd`] is a real SIMD path on this build.
    pub const fn simd_available() -> bool {
        cfg!(any(
            all(target_arch = "wasm32", target_feature = "simd128"),
            all(target_arch = "x86_64", target_feature = "sse4.1")
        ))
    }

    /// The path library code uses.
    ///
    /// SIMD whenever it is compiled in. Measured natively (x86-64-v2, 16M f32, HALF_EVEN, out of place,
    /// `cargo bench --bench kernels`, machine shared with other jobs): copy ceiling 1.52 G elem/s; per-tensor
    /// oracle 0.38 G vs SSE4.1 1.46 G; per-channel axis 0: 0.45 G vs 1.57 G; channel-last (axis 1 of
    /// [262144, 64]): 0.17 G vs 1.18 G. LLVM does not auto-vectorise the oracle natively (the per-element
    /// policy match and clamp stay scalar), so the explicit path is ~4× faster and memory-bound. In wasm
    /// (Node 20, release, +simd128, `throughput_16m` in `tests/wasm_kernels_node.rs`, best of 5, ms timer):
    /// copy 2.80 G elem/s; per-tensor oracle 0.58 G vs simd128 3.36 G; channel-last 0.17 G vs 2.80 G — the
    /// oracle is not usefully auto-vectorised there either.
    pub const fn best() -> Self {
        if Self::simd_available() { Self::Simd } else { Self::Scalar }
    }
}

/// Fake-quantizes `data` (a row-major tensor of `shape`) in place on the best path.
pub fn fake_quant_in_place(
    data: &mut [f32],
    shape: &[usize],
    params: &LinearQuantParams<'_>,
) -> Result<(), QuantError> {
    fake_quant_in_place_with(KernelPath::best(), data, shape, params)
}

/// Fake-quantizes `input` into `output` (same length) on the best path.
pub fn fake_quant(
    input: &[f32],
    output: &mut [f32],
    shape: &[usize],
    params: &LinearQuantParams<'_>,
) -> Result<(), QuantError> {
    fake_quant_with(KernelPath::best(), input, output, shape, params)
}

/// [`fake_quant_in_place`] on an explicit path (tests compare the paths; benches time them).
pub fn fake_quant_in_place_with(
    path: KernelPath,
    data: &mut [f32],
    shape: &[usize],
    params: &LinearQuantParams<'_>,
) -> Result<(), QuantError> {
    let layout = params.layout(shape, data.len())?;
    match path {
        KernelPath::Simd if KernelPath::simd_available() => {
            let p = data.as_mut_ptr();
            // SAFETY: layout() checked that data holds exactly outer·channels·inner elements and that the
            // parameters have one value per channel; src and dst are the same pointer (in place).
            unsafe { simd_fake_quant(p, p, layout, params) };
        }
        _ => scalar::fake_quant_in_place(data, layout, params),
    }
    Ok(())
}

/// [`fake_quant`] on an explicit path.
pub fn fake_quant_with(
    path: KernelPath,
    input: &[f32],
    output: &mut [f32],
    shape: &[usize],
    params: &LinearQuantParams<'_>,
) -> Result<(), QuantError> {
    if input.len() != output.len() {
        return Err(QuantError::BadData(format!("input has {} elements, output {}", input.len(), output.len())));
    }
    let layout = params.layout(shape, input.len())?;
    match path {
        KernelPath::Simd if KernelPath::simd_available() => {
            // SAFETY: both slices hold exactly the layout's element count (checked above) and a `&` and a
            // `&mut` slice cannot overlap.
            unsafe { simd_fake_quant(input.as_ptr(), output.as_mut_ptr(), layout, params) };
        }
        _ => scalar::fake_quant_into(input, output, layout, params),
    }
    Ok(())
}

/// The compiled-in SIMD lanes.
///
/// # Safety
/// `src`/`dst` valid for the layout's element count, the same pointer or disjoint; layout checked.
#[allow(unused_variables)]
unsafe fn simd_fake_quant(src: *const f32, dst: *mut f32, layout: Layout, p: &LinearQuantParams<'_>) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    // SAFETY: forwarded caller contract.
    unsafe {
        simd::fake_quant::<simd128::Wasm>(src, dst, layout, p)
    }
    #[cfg(all(target_arch = "x86_64", target_feature = "sse4.1"))]
    // SAFETY: forwarded caller contract.
    unsafe {
        simd::fake_quant::<x86::Sse>(src, dst, layout, p)
    }
}

/// A deterministic workload for benches (criterion natively, the browser bench page in wasm): `len`
/// pseudo-random values in about [−4, 4) from a xorshift32 seeded with `seed`, with some exact ties
/// (multiples of half the scale 1/32) mixed in so every rounding branch is exercised.
pub fn bench_workload(len: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.max(1);
    (0..len)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            if i % 8 == 0 {
                ((state % 512) as f32 - 256.0) / 64.0
            } else {
                (state >> 8) as f32 / (1u32 << 24) as f32 * 8.0 - 4.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;

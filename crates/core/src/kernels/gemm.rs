//! Single-precision matrix product for the executor's convolutions: `C = A·B (+ bias per row of C)`, with
//! a 4×8 register-blocked micro-kernel over four-lane vectors (simd128 on wasm32, SSE on x86-64, plain
//! `[f32; 4]` elsewhere, e.g. the no-simd128 bench build).
//!
//! Why not ndarray's `general_mat_mul`: on wasm32 matrixmultiply has no simd128 kernel (its generic one ran
//! MobileNetV2's 1×1 convolutions at about a third of onnxruntime-web's speed, see BENCHMARKS.md), and its
//! native kernel uses FMA, so the page and the CLI summed activations differently.
//!
//! **Summation order** is fixed and the same on every path: each element of C is
//! `((0 + a₀·b₀) + a₁·b₁) + …` in k order, every product rounded to f32 before its add (never fused), then
//! `+ bias`. The lanes only ever hold different output columns, so simd128, SSE and the scalar lanes give
//! bit-identical results (tested against a naive loop in `tests.rs`).

use super::KernelPath;
use super::simd::F32x4;
use crate::error::QuantError;

/// Rows of C per micro-kernel tile.
const MR: usize = 4;
/// Columns of C per micro-kernel tile (two four-lane vectors).
const NR: usize = 8;
/// Bytes of B a column panel may hold, so the packed panel stays in L2 while every row block of A passes
/// over it.
const PANEL_BYTES: usize = 128 << 10;
/// Widest column panel.
const MAX_PANEL: usize = 512;

/// The lane operations the micro-kernel needs: a subset of [`F32x4`], plus a plain-array implementation.
pub(crate) trait Lanes: Copy {
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
    /// IEEE addition per lane.
    fn add(self, o: Self) -> Self;
    /// IEEE multiplication per lane (never fused with an add).
    fn mul(self, o: Self) -> Self;
}

impl<T: F32x4> Lanes for T {
    #[inline(always)]
    fn splat(v: f32) -> Self {
        F32x4::splat(v)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: forwarded caller contract.
        unsafe { F32x4::load(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: forwarded caller contract.
        unsafe { F32x4::store(self, p) }
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        F32x4::add(self, o)
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        F32x4::mul(self, o)
    }
}

/// Four f32 in an array: the fallback lanes, computing exactly what the vector lanes compute.
#[derive(Clone, Copy)]
pub(crate) struct Scalar4([f32; 4]);

impl Lanes for Scalar4 {
    #[inline(always)]
    fn splat(v: f32) -> Self {
        Scalar4([v; 4])
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees four readable f32 at p; read_unaligned has no alignment requirement.
        Scalar4(unsafe { p.cast::<[f32; 4]>().read_unaligned() })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees four writable f32 at p.
        unsafe { p.cast::<[f32; 4]>().write_unaligned(self.0) }
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Scalar4(std::array::from_fn(|i| self.0[i] + o.0[i]))
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Scalar4(std::array::from_fn(|i| self.0[i] * o.0[i]))
    }
}

/// One product: `C[i][j] = Σₖ A[i·k + kk] · B[kk·ldb + j] (+ bias[i])` for i < m, j < n, written to
/// `C[i·ldc + j]` (overwritten, not accumulated). A is row-major m×k; B and C are row-major with row strides
/// `ldb`, `ldc` ≥ n (so a block of NCHW planes is B or C as it lies).
#[derive(Debug, Clone, Copy)]
pub struct Gemm<'a> {
    /// Rows of A and C.
    pub m: usize,
    /// Columns of B and C.
    pub n: usize,
    /// Columns of A, rows of B.
    pub k: usize,
    /// A, row-major, m·k values.
    pub a: &'a [f32],
    /// B, k rows of stride `ldb`.
    pub b: &'a [f32],
    /// Row stride of B.
    pub ldb: usize,
    /// Per-row bias added after the sum, m values.
    pub bias: Option<&'a [f32]>,
}

impl Gemm<'_> {
    /// Checks every slice against the shape, so the kernel's unchecked loads stay in bounds.
    fn check(&self, c: &[f32], ldc: usize) -> Result<(), QuantError> {
        let (m, n, k) = (self.m, self.n, self.k);
        let span = |rows: usize, ld: usize| {
            if rows == 0 || n == 0 { Some(0) } else { (rows - 1).checked_mul(ld)?.checked_add(n) }
        };
        let bad = |what: &str| Err(QuantError::BadData(format!("gemm {m}×{k}·{k}×{n}: {what}")));
        if m.checked_mul(k).is_none_or(|len| self.a.len() < len) {
            return bad("A is too short");
        }
        if self.ldb < n || span(k, self.ldb).is_none_or(|len| self.b.len() < len) {
            return bad("B is too short");
        }
        if ldc < n || span(m, ldc).is_none_or(|len| c.len() < len) {
            return bad("C is too short");
        }
        if self.bias.is_some_and(|b| b.len() < m) {
            return bad("bias is too short");
        }
        Ok(())
    }

    /// Computes C with the best lanes of this build ([`KernelPath::best`]).
    pub fn run(&self, c: &mut [f32], ldc: usize) -> Result<(), QuantError> {
        self.run_with(KernelPath::best(), c, ldc)
    }

    /// Computes C with the given path (`Scalar`: the `[f32; 4]` lanes); results are identical on every path.
    pub fn run_with(&self, path: KernelPath, c: &mut [f32], ldc: usize) -> Result<(), QuantError> {
        self.check(c, ldc)?;
        if self.m == 0 || self.n == 0 {
            return Ok(());
        }
        match path {
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            KernelPath::Simd => product::<super::simd128::Wasm>(self, c, ldc),
            #[cfg(all(target_arch = "x86_64", target_feature = "sse4.1"))]
            KernelPath::Simd => product::<super::x86::Sse>(self, c, ldc),
            _ => product::<Scalar4>(self, c, ldc),
        }
        Ok(())
    }
}

/// The blocked product: column panels of B packed as NR-wide strips (zero-padded), every MR-row block of A
/// run over every strip.
fn product<V: Lanes>(g: &Gemm<'_>, c: &mut [f32], ldc: usize) {
    let (m, n, k) = (g.m, g.n, g.k);
    let panel = (PANEL_BYTES / 4 / k.max(1) / NR * NR).clamp(NR, MAX_PANEL);
    let mut strips = vec![0f32; panel.min(n).div_ceil(NR) * NR * k];
    let zero_row = if m % MR != 0 { vec![0f32; k] } else { Vec::new() };
    let mut j0 = 0;
    while j0 < n {
        let width = panel.min(n - j0);
        let count = width.div_ceil(NR);
        // strips[t][kk][0..NR] = B[kk][j0 + t·NR ..], zero past column n.
        for kk in 0..k {
            let row = &g.b[kk * g.ldb + j0..kk * g.ldb + j0 + width];
            for (t, src) in row.chunks(NR).enumerate() {
                let dst = &mut strips[(t * k + kk) * NR..(t * k + kk + 1) * NR];
                match <&[f32; NR]>::try_from(src) {
                    // A fixed-size copy is two vector moves, not a memcpy call.
                    Ok(full) => dst.copy_from_slice(full),
                    Err(_) => {
                        dst[..src.len()].copy_from_slice(src);
                        dst[src.len()..].fill(0.0);
                    }
                }
            }
        }
        for i0 in (0..m).step_by(MR) {
            let rows: [&[f32]; MR] =
                std::array::from_fn(|r| if i0 + r < m { &g.a[(i0 + r) * k..(i0 + r + 1) * k] } else { &zero_row[..] });
            let bias: [f32; MR] = std::array::from_fn(|r| g.bias.and_then(|b| b.get(i0 + r).copied()).unwrap_or(0.0));
            for t in 0..count {
                let strip = &strips[t * k * NR..(t + 1) * k * NR];
                let acc = tile::<V>(&rows, strip, k);
                let j = j0 + t * NR;
                let cols = NR.min(n - j);
                for (r, (lanes, &bv)) in acc.iter().zip(&bias).enumerate() {
                    if i0 + r >= m {
                        break;
                    }
                    let bv = V::splat(bv);
                    let at = (i0 + r) * ldc + j;
                    let mut spill = [0f32; NR];
                    let dst = match c.get_mut(at..at + NR) {
                        Some(full) if cols == NR => full,
                        _ => &mut spill[..],
                    };
                    // SAFETY: `dst` holds NR = 8 floats: two four-lane stores in bounds.
                    unsafe {
                        lanes[0].add(bv).store(dst.as_mut_ptr());
                        lanes[1].add(bv).store(dst.as_mut_ptr().add(4));
                    }
                    if cols < NR {
                        c[at..at + cols].copy_from_slice(&spill[..cols]);
                    }
                }
            }
        }
        j0 += width;
    }
}

/// One MR×NR tile of sums over all k: `rows` are MR rows of A (k values each), `strip` is k·NR packed values
/// of B.
#[inline(always)]
fn tile<V: Lanes>(rows: &[&[f32]; MR], strip: &[f32], k: usize) -> [[V; 2]; MR] {
    let mut acc = [[V::splat(0.0); 2]; MR];
    debug_assert!(rows.iter().all(|r| r.len() == k) && strip.len() == k * NR);
    let a: [*const f32; MR] = std::array::from_fn(|r| rows[r].as_ptr());
    let b = strip.as_ptr();
    for kk in 0..k {
        // SAFETY: every row of A holds k values and the strip k·NR (checked by `Gemm::check` and the
        // packing in `product`), so kk < k keeps all MR scalar reads and both four-lane loads in bounds.
        unsafe {
            let b0 = V::load(b.add(kk * NR));
            let b1 = V::load(b.add(kk * NR + 4));
            for (lanes, &ar) in acc.iter_mut().zip(&a) {
                let a = V::splat(*ar.add(kk));
                lanes[0] = lanes[0].add(a.mul(b0));
                lanes[1] = lanes[1].add(a.mul(b1));
            }
        }
    }
    acc
}

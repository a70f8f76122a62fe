#![cfg(not(target_arch = "wasm32"))]
//! Our FP8 kernel (`ppq_core::fp8`) bit for bit against PPQ's formula and against onnx's float8 casts, on
//! the vectors of `scripts/reference/make_fp8_vectors.py` (tests/reference/fp8/):
//! - `ppq_*`: PPQ's CUDA `QuantizeScalarFloating` + `DequantizeScalar`, as the numpy port in
//!   `scripts/reference/referee_patches.py` computes them (the port the TRT_FP8 / GRAPHCORE_FP8 PPQ
//!   references ran with), for E4M3 / E5M2, HALF_EVEN / HALF_UP and three scales;
//! - `onnx_*`: onnx.reference's Cast to FLOAT8E4M3FN / FLOAT8E5M2 (saturate) and back. PPQ's kernel and
//!   onnx differ exactly on mantissa ties (PPQ's HALF_EVEN rounds the discarded fraction 0.5 to 0, i.e.
//!   truncates; onnx rounds to even), which the test checks: every difference is such a tie.

mod parity_common;

use parity_common::{fixtures_dir, read_npy_f32};
use ppq_playground::core::RoundingPolicy;
use ppq_playground::core::fp8::{FloatingFormat, floating_fake_quant_one};

fn vectors(name: &str) -> Vec<f32> {
    read_npy_f32(&fixtures_dir().join(format!("fp8/{name}.npy"))).1
}

fn formats() -> [(&'static str, FloatingFormat, f32); 2] {
    [("e4m3", FloatingFormat::E4M3, 448.0), ("e5m2", FloatingFormat::E5M2, 57344.0)]
}

#[test]
fn fp8_kernel_equals_ppq_formula_bit_for_bit() {
    let x = vectors("inputs");
    assert!(x.len() > 1000, "too few FP8 vectors");
    let mut checked = 0;
    for (fname, fmt, clip) in formats() {
        for (rname, r) in [("half_even", RoundingPolicy::ROUND_HALF_EVEN), ("half_up", RoundingPolicy::ROUND_HALF_UP)] {
            for (sname, s) in [("s1", 1.0f32), ("s0125", 0.125), ("s37", 3.7)] {
                let want = vectors(&format!("ppq_{fname}_{rname}_{sname}"));
                assert_eq!(want.len(), x.len());
                let bad: Vec<_> = x
                    .iter()
                    .zip(&want)
                    .filter_map(|(&v, &w)| {
                        let o = floating_fake_quant_one(v, s, 0.0, fmt, -clip, clip, r);
                        // +0 and -0 compare equal: PPQ's subnormal branch returns int × float (+0), its
                        // normal branch keeps the sign bit; both sides follow the same branch here.
                        (o.to_bits() != w.to_bits() && !(o == 0.0 && w == 0.0)).then_some((v, o, w))
                    })
                    .collect();
                assert!(
                    bad.is_empty(),
                    "{fname} {rname} {sname}: {} of {} differ, first {:?}",
                    bad.len(),
                    x.len(),
                    &bad[..bad.len().min(5)]
                );
                checked += x.len();
            }
        }
    }
    println!("{checked} FP8 values equal PPQ's formula bit for bit");
}

#[test]
fn fp8_kernel_equals_onnx_cast_except_mantissa_ties() {
    let x = vectors("inputs");
    for (fname, fmt, clip) in formats() {
        let want = vectors(&format!("onnx_{fname}"));
        let m = fmt.mantissa_bits();
        let (mut same, mut ties) = (0, 0);
        for (&v, &w) in x.iter().zip(&want) {
            let o = floating_fake_quant_one(v, 1.0, 0.0, fmt, -clip, clip, RoundingPolicy::ROUND_HALF_EVEN);
            if o.to_bits() == w.to_bits() || (o == 0.0 && w == 0.0) {
                same += 1;
                continue;
            }
            // a tie: the bits below the kept mantissa are exactly 100…0 (normal numbers only)
            let discarded = v.to_bits() & ((1u32 << (23 - m)) - 1);
            let is_tie = discarded == 1u32 << (22 - m);
            assert!(is_tie, "{fname}: {v:e} -> ours {o:e}, onnx {w:e}, and it is not a mantissa tie");
            assert!(o.abs() < w.abs(), "{fname}: at a tie PPQ truncates: {v:e} -> ours {o:e}, onnx {w:e}");
            ties += 1;
        }
        println!("{fname}: {same} equal onnx's cast, {ties} ties truncated (PPQ's quirk)");
        assert!(ties > 0, "{fname}: the vectors must exercise ties");
        assert!(same > x.len() / 2);
    }
}

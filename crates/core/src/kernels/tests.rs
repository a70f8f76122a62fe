//! Unit tests beside the kernels: the paths agree on edge values; the oracle matches hand-computed values.

use super::*;
use crate::rounding::RoundingPolicy;

const TENSOR_PATH: [RoundingPolicy; 7] = [
    RoundingPolicy::ROUND_HALF_EVEN,
    RoundingPolicy::ROUND_HALF_UP,
    RoundingPolicy::ROUND_HALF_DOWN,
    RoundingPolicy::ROUND_HALF_TOWARDS_ZERO,
    RoundingPolicy::ROUND_HALF_FAR_FORM_ZERO,
    RoundingPolicy::ROUND_UP,
    RoundingPolicy::ROUND_DOWN,
];

fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn edges() -> Vec<f32> {
    let mut v = vec![
        0.0,
        -0.0,
        0.5,
        -0.5,
        1.5,
        -1.5,
        2.5,
        -2.5,
        0.49999997,
        -0.49999997,
        127.5,
        -128.5,
        f32::NAN,
        -f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        1e-45,
        -1e-45,
        8388607.5,
        -8388608.5,
        16777217.0,
    ];
    v.extend((0..39).map(|i| (i as f32 - 19.0) * 0.25));
    v
}

#[test]
fn simd_matches_oracle_on_edges() {
    let x = edges();
    for r in TENSOR_PATH {
        for (s, o) in [(1.0, 0.0), (0.25, 3.0), (1e-8, -2.0), (1e8, 0.0), (1e-40, 0.0), (0.1, -0.0)] {
            let (sv, ov) = ([s], [o]);
            let p = LinearQuantParams::new(&sv, &ov, -128, 127, r, None).unwrap();
            let mut a = x.clone();
            let mut b = x.clone();
            fake_quant_in_place_with(KernelPath::Scalar, &mut a, &[x.len()], &p).unwrap();
            fake_quant_in_place_with(KernelPath::Simd, &mut b, &[x.len()], &p).unwrap();
            for i in 0..x.len() {
                assert!(same(a[i], b[i]), "{r:?} s={s} o={o} x={} oracle={} simd={}", x[i], a[i], b[i]);
            }
        }
    }
}

#[test]
fn oracle_special_values() {
    let (s, o) = ([0.5f32], [0.0f32]);
    let p = LinearQuantParams::new(&s, &o, -128, 127, RoundingPolicy::ROUND_HALF_EVEN, None).unwrap();
    let mut x = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, -0.2, 0.25, 0.75];
    fake_quant_in_place(&mut x, &[7], &p).unwrap();
    assert!(x[0].is_nan());
    assert_eq!(x[1], 63.5);
    assert_eq!(x[2], -64.0);
    // −0/s = −0, round(−0) = −0, −0 + 0 = +0: zeros come out positive, as in torch.
    assert_eq!(x[3].to_bits(), 0);
    assert_eq!(x[4].to_bits(), 0);
    assert_eq!(x[5], 0.0); // 0.5 is a tie → 0 under HALF_EVEN
    assert_eq!(x[6], 1.0); // 1.5 → 2 → 1.0
}

#[test]
fn per_channel_layouts_agree() {
    let data = bench_workload(2 * 3 * 5 * 7, 7);
    let scales: Vec<f32> = (0..7).map(|c| 0.01 * (c + 1) as f32).collect();
    let offsets: Vec<f32> = (0..7).map(|c| c as f32 - 3.0).collect();
    for (axis, shape) in [(0usize, [7usize, 2, 3, 5]), (1, [2, 7, 3, 5]), (3, [2, 3, 5, 7])] {
        let (s, o) = (&scales[..], &offsets[..]);
        let p = LinearQuantParams::new(s, o, -100, 100, RoundingPolicy::ROUND_HALF_UP, Some(axis)).unwrap();
        let mut a = vec![0.0; data.len()];
        let mut b = vec![0.0; data.len()];
        fake_quant_with(KernelPath::Scalar, &data, &mut a, &shape, &p).unwrap();
        fake_quant_with(KernelPath::Simd, &data, &mut b, &shape, &p).unwrap();
        assert!(a.iter().zip(&b).all(|(x, y)| same(*x, *y)), "axis {axis}");
        // hand check one element per layout: element index 0 is channel 0
        let want = fake_quant_one(data[0], scales[0], offsets[0], -100.0, 100.0, RoundingPolicy::ROUND_HALF_UP);
        assert_eq!(a[0], want);
    }
}

#[test]
fn errors_instead_of_panics() {
    let (s, o) = ([0.5f32, 0.25], [0.0f32, 0.0]);
    let p = LinearQuantParams::new(&s, &o, -128, 127, RoundingPolicy::ROUND_HALF_EVEN, Some(1)).unwrap();
    let mut x = [0.0f32; 6];
    assert!(fake_quant_in_place(&mut x, &[3, 2], &p).is_ok());
    assert!(fake_quant_in_place(&mut x, &[2, 3], &p).is_err());
    assert!(fake_quant_in_place(&mut x, &[6], &p).is_err());
    let mut y = [0.0f32; 5];
    assert!(fake_quant(&x, &mut y, &[3, 2], &p).is_err());
}

#[test]
fn to_int_dtypes() {
    let (s, o) = ([0.015686275f32], [0.0f32]);
    let x = [-3.0f32, -1.0, -0.3, 0.0, 0.37, 1.0, 2.0, 3.0];
    let p = LinearQuantParams::new(&s, &o, -128, 127, RoundingPolicy::ROUND_HALF_EVEN, None).unwrap();
    let q = quantize_to_int(&x, &[8], &p, 8, true).unwrap();
    assert_eq!(q, QuantizedInts::I8(vec![-128, -64, -19, 0, 24, 64, 127, 127]));
    assert!(quantize_to_int(&x, &[8], &p, 8, false).is_err()); // signed range into uint8
    assert!(quantize_to_int(&x, &[8], &p, 4, true).is_err());
    assert!(matches!(quantize_to_int(&x, &[8], &p, 16, true), Ok(QuantizedInts::I32(_))));
    assert!(quantize_to_int(&[f32::NAN], &[1], &p, 8, true).is_err());
    let o64 = [64.0f32];
    let pa = LinearQuantParams::new(&s, &o64, 0, 255, RoundingPolicy::ROUND_HALF_EVEN, None).unwrap();
    let q = quantize_to_int(&x, &[8], &pa, 8, false).unwrap();
    assert_eq!(q, QuantizedInts::U8(vec![0, 0, 45, 64, 88, 128, 191, 255]));
}

/// The naive product in the order the gemm promises: `((0 + a₀·b₀) + a₁·b₁) + …`, then `+ bias`.
fn naive_gemm(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], ldb: usize, bias: Option<&[f32]>) -> Vec<f32> {
    let mut c = vec![0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0f32;
            for kk in 0..k {
                acc += a[i * k + kk] * b[kk * ldb + j];
            }
            c[i * n + j] = acc + bias.map_or(0.0, |b| b[i]);
        }
    }
    c
}

#[test]
fn gemm_paths_equal_the_naive_order_bit_for_bit() {
    // Odd sizes hit the partial row blocks, partial column strips and several column panels.
    for &(m, n, k, ldb) in
        &[(1, 1, 1, 1), (3, 5, 2, 7), (4, 8, 16, 8), (7, 13, 27, 13), (9, 1100, 40, 1111), (6, 9, 0, 9)]
    {
        let a = bench_workload(m * k, 3);
        let b = bench_workload(k * ldb, 5);
        let bias = bench_workload(m, 11);
        for with_bias in [false, true] {
            let bias = with_bias.then_some(&bias[..]);
            let want = naive_gemm(m, n, k, &a, &b, ldb, bias);
            for path in [KernelPath::Scalar, KernelPath::Simd] {
                let mut c = vec![f32::NAN; m * n];
                Gemm { m, n, k, a: &a, b: &b, ldb, bias }.run_with(path, &mut c, n).unwrap();
                let bad = want.iter().zip(&c).position(|(x, y)| x.to_bits() != y.to_bits());
                assert_eq!(bad, None, "{m}×{k}·{k}×{n} ({path:?}, bias {with_bias})");
            }
        }
    }
}

#[test]
fn gemm_rejects_short_slices() {
    let (a, b) = (vec![1f32; 6], vec![1f32; 6]);
    let mut c = vec![0f32; 4];
    assert!(Gemm { m: 2, n: 2, k: 3, a: &a, b: &b, ldb: 2, bias: None }.run(&mut c, 2).is_ok());
    assert!(Gemm { m: 2, n: 2, k: 4, a: &a, b: &b, ldb: 2, bias: None }.run(&mut c, 2).is_err());
    assert!(Gemm { m: 2, n: 2, k: 3, a: &a, b: &b, ldb: 2, bias: Some(&[1.0]) }.run(&mut c, 2).is_err());
    assert!(Gemm { m: 2, n: 2, k: 3, a: &a, b: &b, ldb: 2, bias: None }.run(&mut c[..3], 2).is_err());
}

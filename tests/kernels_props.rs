//! Native property tests: the SIMD path equals the scalar oracle bit for bit, and the oracle reproduces the
//! spec §11 vectors confirmed against real PPQ 0.6.6.
#![cfg(not(target_arch = "wasm32"))]

use ppq_playground::core::RoundingPolicy;
use ppq_playground::core::kernels::{
    KernelPath, LinearQuantParams, QuantizedInts, fake_quant_in_place_with, fake_quant_with, quantize_to_int,
};
use proptest::prelude::*;

const TENSOR_PATH: [RoundingPolicy; 7] = [
    RoundingPolicy::ROUND_HALF_EVEN,
    RoundingPolicy::ROUND_HALF_UP,
    RoundingPolicy::ROUND_HALF_DOWN,
    RoundingPolicy::ROUND_HALF_TOWARDS_ZERO,
    RoundingPolicy::ROUND_HALF_FAR_FORM_ZERO,
    RoundingPolicy::ROUND_UP,
    RoundingPolicy::ROUND_DOWN,
];

fn same(a: &[f32], b: &[f32]) -> Result<(), String> {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x.to_bits() != y.to_bits() && !(x.is_nan() && y.is_nan()) {
            return Err(format!("element {i}: oracle {x:e} ({:#x}) simd {y:e} ({:#x})", x.to_bits(), y.to_bits()));
        }
    }
    Ok(())
}

/// Any float: moderate values, exact half-integers (ties after s = 1 or 0.5), and raw bit patterns.
fn any_value() -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => -1000.0f32..1000.0,
        2 => (-2048i32..2048).prop_map(|k| k as f32 * 0.25),
        1 => any::<u32>().prop_map(f32::from_bits),
        1 => prop::sample::select(vec![0.0, -0.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MAX, f32::MIN,
            f32::MIN_POSITIVE, 1e-45, -1e-45, 0.49999997, -0.49999997, 8388607.5, -8388608.5]),
    ]
}

fn any_scale() -> impl Strategy<Value = f32> {
    prop_oneof![
        3 => 1e-4f32..10.0,
        1 => prop::sample::select(vec![1e-8, 1e8, 0.25, 0.5, 1.0, 1e-40, 0.015686275, 3.4e38]),
        1 => (-30i32..30).prop_map(|e| 2f32.powi(e)),
    ]
}

fn any_offset() -> impl Strategy<Value = f32> {
    prop_oneof![3 => (-300i32..300).prop_map(|o| o as f32), 1 => Just(-0.0f32), 1 => -5.0f32..5.0]
}

fn any_range() -> impl Strategy<Value = (i32, i32)> {
    prop::sample::select(vec![
        (-128, 127),
        (-127, 127),
        (0, 255),
        (-32768, 32767),
        (i32::MIN + 1, i32::MAX),
        (-8, 7),
        (0, 0),
    ])
}

fn any_rounding() -> impl Strategy<Value = RoundingPolicy> {
    prop::sample::select(TENSOR_PATH.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn per_tensor_simd_is_oracle(
        data in prop::collection::vec(any_value(), 0..200),
        s in any_scale(), o in any_offset(), range in any_range(), r in any_rounding(),
    ) {
        let (sv, ov) = ([s], [o]);
        let p = LinearQuantParams::new(&sv, &ov, range.0, range.1, r, None).unwrap();
        let mut a = data.clone();
        let mut b = vec![0.0; data.len()];
        fake_quant_in_place_with(KernelPath::Scalar, &mut a, &[data.len()], &p).unwrap();
        fake_quant_with(KernelPath::Simd, &data, &mut b, &[data.len()], &p).unwrap();
        prop_assert!(same(&a, &b).is_ok(), "{r:?} s={s:e} o={o} {:?}: {}", range, same(&a, &b).unwrap_err());
    }

    #[test]
    fn per_channel_simd_is_oracle(
        shape in prop::collection::vec(1usize..9, 1..5),
        axis_pick in any::<prop::sample::Index>(),
        seed in prop::collection::vec(any_value(), 64),
        params in prop::collection::vec((any_scale(), any_offset()), 8),
        range in any_range(), r in any_rounding(),
    ) {
        let axis = axis_pick.index(shape.len());
        let n: usize = shape.iter().product();
        let data: Vec<f32> = (0..n).map(|i| seed[(i * 7 + i / 64) % 64]).collect();
        let c = shape[axis];
        let scale: Vec<f32> = params[..c].iter().map(|p| p.0).collect();
        let offset: Vec<f32> = params[..c].iter().map(|p| p.1).collect();
        let p = LinearQuantParams::new(&scale, &offset, range.0, range.1, r, Some(axis)).unwrap();
        let mut a = vec![0.0; n];
        let mut b = data.clone();
        fake_quant_with(KernelPath::Scalar, &data, &mut a, &shape, &p).unwrap();
        fake_quant_in_place_with(KernelPath::Simd, &mut b, &shape, &p).unwrap();
        prop_assert!(same(&a, &b).is_ok(), "{r:?} shape {shape:?} axis {axis}: {}", same(&a, &b).unwrap_err());
    }
}

const X: [f32; 8] = [-3.0, -1.0, -0.3, 0.0, 0.37, 1.0, 2.0, 3.0];

/// One §11 row: q via the integer export (32-bit dtype so every range fits), y via both kernel paths.
fn check_row(scale: f32, offset: f32, range: (i32, i32), q: [i64; 8], y: [&str; 8]) {
    let (s, o) = ([scale], [offset]);
    let p = LinearQuantParams::new(&s, &o, range.0, range.1, RoundingPolicy::ROUND_HALF_EVEN, None).unwrap();
    let got_q = quantize_to_int(&X, &[8], &p, 32, offset == 0.0).unwrap().to_i64();
    assert_eq!(got_q, q, "q for s={scale} o={offset}");
    let want: Vec<f32> = y.iter().map(|v| v.parse::<f32>().unwrap()).collect();
    for path in [KernelPath::Scalar, KernelPath::Simd] {
        let mut got = [0.0f32; 8];
        fake_quant_with(path, &X, &mut got, &[8], &p).unwrap();
        for i in 0..8 {
            // Compare values (0.0 == -0.0): the table writes 0 without a sign.
            assert_eq!(got[i], want[i], "{path:?} y[{i}] for s={scale} o={offset}");
        }
    }
}

#[test]
fn spec_11_table_rows() {
    let sym = (-128, 127);
    check_row(
        0.015686275,
        0.0,
        sym,
        [-128, -64, -19, 0, 24, 64, 127, 127],
        ["-2.0078433", "-1.0039216", "-0.29803923", "0", "0.37647063", "1.0039216", "1.992157", "1.992157"],
    );
    check_row(
        0.015748031,
        0.0,
        (-127, 127),
        [-127, -64, -19, 0, 23, 64, 127, 127],
        ["-2.0", "-1.007874", "-0.2992126", "0", "0.36220473", "1.007874", "2.0", "2.0"],
    );
    check_row(
        0.015686275,
        64.0,
        (0, 255),
        [0, 0, 45, 64, 88, 128, 191, 255],
        ["-1.0039216", "-1.0039216", "-0.29803923", "0", "0.37647063", "1.0039216", "1.992157", "2.9960785"],
    );
    check_row(
        0.007843138,
        0.0,
        (0, 255),
        [0, 0, 0, 0, 47, 127, 255, 255],
        ["0", "0", "0", "0", "0.36862746", "0.9960785", "2.0", "2.0"],
    );
    check_row(
        0.03125,
        0.0,
        sym,
        [-96, -32, -10, 0, 12, 32, 64, 96],
        ["-3.0", "-1.0", "-0.3125", "0", "0.375", "1.0", "2.0", "3.0"],
    );
    // QUIRK row: asymmetric offset with a signed range; the top saturates at 0.98823535.
    check_row(
        0.015686275,
        64.0,
        sym,
        [-127, 0, 45, 64, 88, 127, 127, 127],
        ["-2.9960785", "-1.0039216", "-0.29803923", "0", "0.37647063", "0.98823535", "0.98823535", "0.98823535"],
    );
    check_row(
        1e-8,
        0.0,
        sym,
        [-128, -128, -128, 0, 127, 127, 127, 127],
        ["-1.28e-6", "-1.28e-6", "-1.28e-6", "0", "1.27e-6", "1.27e-6", "1.27e-6", "1.27e-6"],
    );
}

#[test]
fn spec_11_bias_row() {
    // b_scale = w_scale · i_scale in float32, PASSIVE per-channel 32-bit TQC.
    let scale = [0.001f32 * 0.02, 0.004f32 * 0.02];
    assert_eq!(scale, [2.0000001e-5, 8.0000005e-5]);
    let offset = [0.0f32; 2];
    let p = LinearQuantParams::new(&scale, &offset, i32::MIN + 1, i32::MAX, RoundingPolicy::ROUND_HALF_EVEN, Some(0))
        .unwrap();
    let b = [-0.123f32, -0.123];
    assert_eq!(quantize_to_int(&b, &[2], &p, 32, true).unwrap(), QuantizedInts::I32(vec![-6150, -1538]));
    for path in [KernelPath::Scalar, KernelPath::Simd] {
        let mut y = [0.0f32; 2];
        fake_quant_with(path, &b, &mut y, &[2], &p).unwrap();
        assert_eq!(y, [-0.12300001, -0.123040006], "{path:?}");
        assert_ne!(y[1], -0.12304001f32);
    }
}

#[test]
fn edge_list_every_policy_every_path() {
    let edges = [
        0.0f32,
        -0.0,
        0.5,
        -0.5,
        1.5,
        -1.5,
        2.5,
        -2.5,
        127.5,
        -128.5,
        255.5,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        f32::MIN,
        1e-45,
        -1e-45,
        f32::MIN_POSITIVE,
        0.49999997,
        -0.49999997,
    ];
    for r in TENSOR_PATH {
        for (s, o) in [(1.0f32, 0.0f32), (1.0, 128.0), (1e-8, 0.0), (1e8, -3.0), (1e-45, 0.0)] {
            let (sv, ov) = ([s], [o]);
            let p = LinearQuantParams::new(&sv, &ov, -128, 127, r, None).unwrap();
            let mut a = edges;
            let mut b = edges;
            fake_quant_in_place_with(KernelPath::Scalar, &mut a, &[edges.len()], &p).unwrap();
            fake_quant_in_place_with(KernelPath::Simd, &mut b, &[edges.len()], &p).unwrap();
            assert_eq!(same(&a, &b), Ok(()), "{r:?} s={s} o={o}");
            assert!(a[11].is_nan(), "NaN in → NaN out");
            assert_eq!(a[12], (127.0 - o) * s, "+inf saturates at qmax");
        }
    }
}

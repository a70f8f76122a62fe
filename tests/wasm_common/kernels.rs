//! The simd128-vs-scalar-oracle checks shared by the Node and headless-Chromium wasm test binaries.

use ppq_playground::core::RoundingPolicy;
use ppq_playground::core::kernels::{KernelPath, LinearQuantParams, fake_quant_in_place_with, fake_quant_with};
use wasm_bindgen_test::wasm_bindgen_test;

const TENSOR_PATH: [RoundingPolicy; 7] = [
    RoundingPolicy::ROUND_HALF_EVEN,
    RoundingPolicy::ROUND_HALF_UP,
    RoundingPolicy::ROUND_HALF_DOWN,
    RoundingPolicy::ROUND_HALF_TOWARDS_ZERO,
    RoundingPolicy::ROUND_HALF_FAR_FORM_ZERO,
    RoundingPolicy::ROUND_UP,
    RoundingPolicy::ROUND_DOWN,
];

struct XorShift(u32);
impl XorShift {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
    /// Mostly moderate values, some exact ties, some raw bit patterns (NaN, inf, subnormals included).
    fn value(&mut self) -> f32 {
        match self.next() % 8 {
            0 => f32::from_bits(self.next()),
            1 => (self.next() % 1024) as f32 / 2.0 - 256.0,
            _ => (self.next() >> 8) as f32 / 16777216.0 * 600.0 - 300.0,
        }
    }
}

fn same(a: &[f32], b: &[f32]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

fn edges() -> Vec<f32> {
    let mut v = vec![
        0.0,
        -0.0,
        0.5,
        -0.5,
        2.5,
        -2.5,
        0.49999997,
        127.5,
        -128.5,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE,
        1e-45,
        -1e-45,
        8388607.5,
    ];
    v.extend((0..40).map(|i| (i as f32 - 20.0) * 0.25));
    v
}

#[wasm_bindgen_test]
fn simd128_is_compiled_in() {
    assert!(KernelPath::simd_available());
    assert_eq!(KernelPath::best(), KernelPath::Simd);
}

#[wasm_bindgen_test]
fn per_tensor_random_and_edges() {
    let mut rng = XorShift(0x9E37_79B9);
    let mut data: Vec<f32> = (0..4099).map(|_| rng.value()).collect();
    data.extend(edges());
    for r in TENSOR_PATH {
        for (s, o, lo, hi) in [
            (0.5f32, 0.0f32, -128, 127),
            (0.015686275, 64.0, 0, 255),
            (1e-8, -3.0, -128, 127),
            (1e8, 0.0, -32768, 32767),
        ] {
            let (sv, ov) = ([s], [o]);
            let p = LinearQuantParams::new(&sv, &ov, lo, hi, r, None).unwrap();
            let mut a = data.clone();
            let mut b = vec![0.0; data.len()];
            fake_quant_in_place_with(KernelPath::Scalar, &mut a, &[data.len()], &p).unwrap();
            fake_quant_with(KernelPath::Simd, &data, &mut b, &[data.len()], &p).unwrap();
            assert!(same(&a, &b), "{r:?} s={s} o={o}");
        }
    }
}

#[wasm_bindgen_test]
fn per_channel_any_axis() {
    let mut rng = XorShift(12345);
    let shape = [3usize, 5, 6, 7];
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n).map(|_| rng.value() / 64.0).collect();
    for axis in 0..shape.len() {
        let c = shape[axis];
        let scales: Vec<f32> = (0..c).map(|i| 0.003 * (i + 1) as f32).collect();
        let offsets: Vec<f32> = (0..c).map(|i| (i % 3) as f32 * 10.0).collect();
        for r in TENSOR_PATH {
            let p = LinearQuantParams::new(&scales, &offsets, 0, 255, r, Some(axis)).unwrap();
            let mut a = data.clone();
            let mut b = data.clone();
            fake_quant_in_place_with(KernelPath::Scalar, &mut a, &shape, &p).unwrap();
            fake_quant_in_place_with(KernelPath::Simd, &mut b, &shape, &p).unwrap();
            assert!(same(&a, &b), "{r:?} axis {axis}");
        }
    }
}

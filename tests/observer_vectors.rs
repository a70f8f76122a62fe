//! Spec §11 and §11.1: scales and offsets confirmed against real PPQ 0.6.6, reproduced bit for bit.

use ppq_playground::core::observer::{
    KlObserver, MinMaxObserver, MseObserver, Observer, ObserverTarget, PercentileObserver, ScaleOffset,
    channel_minmax_to_scale_offset, create_observer, minmax_to_scale_offset,
};
use ppq_playground::core::state::StateModel;
use ppq_playground::core::{QuantError, QuantizationPolicy};

const SYM: u32 = 0x15; // PER_TENSOR | LINEAR | SYMMETRICAL
const ASYM: u32 = 0x25; // PER_TENSOR | LINEAR | ASYMMETRICAL

fn target(bits: u32) -> ObserverTarget {
    let (qmin, qmax) = if bits & 0x20 != 0 { (0, 255) } else { (-128, 127) };
    ObserverTarget::new(QuantizationPolicy::new(bits, StateModel::Ppq066).unwrap(), qmin, qmax, 8)
}

/// The §11.1 input: v = 3·sin(0.37·i) + 0.1·(i mod 7) in f64, four outliers, rounded to f32.
fn input() -> Vec<f32> {
    (0..65536usize)
        .map(|i| {
            let v = if i % 16384 == 5 {
                8.0 + (i / 16384) as f64
            } else {
                3.0 * (0.37 * i as f64).sin() + 0.1 * (i % 7) as f64
            };
            v as f32
        })
        .collect()
}

fn batches(x: &[f32]) -> impl Iterator<Item = &[f32]> {
    x.chunks_exact(16384)
}

/// Runs an observer over the 4 batches (twice with a phase switch for kl/mse).
fn calibrate(o: &mut dyn Observer, x: &[f32]) -> ScaleOffset {
    for b in batches(x) {
        o.observe(b, &[b.len()]).unwrap();
    }
    if o.needs_second_phase() {
        o.start_second_phase().unwrap();
        for b in batches(x) {
            o.observe(b, &[b.len()]).unwrap();
        }
    }
    o.render().unwrap()
}

fn assert_scale(r: &ScaleOffset, exact: f64, offset: f32) {
    assert!(!r.per_channel);
    assert_eq!(r.scale.len(), 1);
    assert_eq!(r.scale[0].to_bits(), (exact as f32).to_bits(), "scale {} != {exact}", r.scale[0]);
    assert_eq!(f64::from(r.scale[0]), exact, "the listed value is the exact float32");
    assert_eq!(r.offset, vec![offset]);
}

#[test]
fn input_check_values() {
    let x = input();
    assert_eq!(&x[..8], &[0.0, 1.1848463, 2.2228637, 2.987096, 3.3876426, 8.0, 2.9896965, 1.5721331]);
    assert_eq!(x.iter().copied().fold(f32::INFINITY, f32::min), -3.0);
    assert_eq!(x.iter().copied().fold(f32::NEG_INFINITY, f32::max), 11.0);
    assert_eq!(x.iter().map(|&v| f64::from(v)).sum::<f64>(), 19702.498172084364);
}

#[test]
fn spec_11_minmax_rows() {
    let f = |min: f64, max: f64, bits: u32, qmin: i32, qmax: i32| {
        let t = ObserverTarget::new(QuantizationPolicy::new(bits, StateModel::Ppq066).unwrap(), qmin, qmax, 8);
        let (s, o) = minmax_to_scale_offset(min, max, &t).unwrap();
        ((s as f32).to_bits(), o as f32)
    };
    assert_eq!(f(-1.0, 2.0, SYM, -128, 127), (0.015686275f32.to_bits(), 0.0));
    assert_eq!(f(-1.0, 2.0, SYM, -127, 127), (0.015748031f32.to_bits(), 0.0));
    assert_eq!(f(-1.0, 3.0, ASYM, 0, 255), (0.015686275f32.to_bits(), 64.0));
    assert_eq!(f(0.5, 2.0, ASYM, 0, 255), (0.007843138f32.to_bits(), 0.0));
    assert_eq!(f(-1.0, 2.0, 0x55, -128, 127), (0.03125f32.to_bits(), 0.0));
    assert_eq!(f(-1.0, 3.0, ASYM, -128, 127), (0.015686275f32.to_bits(), 64.0)); // the signed-range quirk
    assert_eq!(f(0.0, 0.0, SYM, -128, 127), (1e-8f32.to_bits(), 0.0));
}

#[test]
fn minmax_vectors() {
    let x = input();
    let mut o = MinMaxObserver::new(target(SYM)).unwrap();
    assert_scale(&calibrate(&mut o, &x), 0.08627451211214066, 0.0);
    let mut o = MinMaxObserver::new(target(ASYM)).unwrap();
    assert_scale(&calibrate(&mut o, &x), 0.054901961237192154, 55.0);
}

#[test]
fn percentile_vectors() {
    let x = input();
    let mut o = PercentileObserver::new(target(SYM)).unwrap();
    let r = calibrate(&mut o, &x);
    let want = [(-2.9999928f32, 3.5999985f32), (-2.9999778, 3.5999904), (-2.9999957, 3.5999997), (-2.9999976, 3.6)];
    assert_eq!(o.collected(), &want);
    assert_eq!(o.means(), Some((-2.999991, 3.599997)));
    assert_scale(&r, 0.02823527157306671, 0.0);
    let mut o = PercentileObserver::new(target(ASYM)).unwrap();
    assert_scale(&calibrate(&mut o, &x), 0.025882305577397346, 116.0);
}

#[test]
fn kl_vectors() {
    let x = input();
    let mut o = KlObserver::new(target(SYM)).unwrap();
    let r = calibrate(&mut o, &x);
    let (hist, hist_scale) = o.histogram().unwrap();
    assert_eq!(hist_scale, 0.002685546875);
    assert_eq!(hist.iter().sum::<u64>(), 65536);
    let c = o.candidates().unwrap();
    let best = c.iter().copied().reduce(|b, x| if x.kl < b.kl { x } else { b }).unwrap();
    assert_eq!(best.bin_range, 1664);
    assert!((best.kl - 0.00901420959440349).abs() < 1e-12, "{}", best.kl);
    assert_scale(&r, 0.034912109375, 0.0);
    // ASYM: PermissionError at the phase-2 render.
    let mut a = KlObserver::new(target(ASYM)).unwrap();
    for b in batches(&x) {
        a.observe(b, &[b.len()]).unwrap();
    }
    a.start_second_phase().unwrap();
    for b in batches(&x) {
        a.observe(b, &[b.len()]).unwrap();
    }
    assert!(matches!(a.render(), Err(QuantError::Observer { .. })));
}

#[test]
fn mse_vectors() {
    let x = input();
    let mut o = MseObserver::new(target(SYM)).unwrap();
    let r = calibrate(&mut o, &x);
    let c = o.candidates().unwrap();
    assert_eq!(c.len(), 9);
    let best = o.best().unwrap();
    assert_eq!((best.start, best.step, best.end), (0, 7, 1792));
    assert!((best.loss - 5.086504936218262).abs() < 1e-12, "{}", best.loss);
    assert_scale(&r, 0.07549019902944565, 0.0);

    let mut o = MseObserver::new(target(ASYM)).unwrap();
    let r = calibrate(&mut o, &x);
    assert_eq!(o.candidates().unwrap().len(), 419);
    let best = o.best().unwrap();
    assert_eq!((best.start, best.step, best.end), (0, 8, 2048));
    assert!((best.loss - 5.2449951171875).abs() < 1e-12, "{}", best.loss);
    assert_scale(&r, 0.054901961237192154, 55.0);
}

#[test]
fn per_channel_minmax_vector() {
    let w = [-1.0f32, 2.0, -0.3, 0.7];
    let mut t = target(SYM);
    t.policy = QuantizationPolicy::new(0x16, StateModel::Ppq066).unwrap();
    let mut o = create_observer("minmax", t.with_channel_axis(0)).unwrap();
    o.observe(&w, &[2, 2]).unwrap();
    let r = o.render().unwrap();
    assert!(r.per_channel);
    assert_eq!(
        r.scale.iter().map(|s| s.to_bits()).collect::<Vec<_>>(),
        [0.015686275f32.to_bits(), 0.005490196f32.to_bits()]
    );
    assert_eq!(r.offset, vec![0.0, 0.0]);
    // ASYM per channel: AssertionError under numpy 2 in PPQ 0.6.6.
    let mut a = target(ASYM);
    a.policy = QuantizationPolicy::new(0x26, StateModel::Ppq066).unwrap();
    let e = channel_minmax_to_scale_offset(-1.0, 2.0, &a).unwrap_err();
    assert!(e.to_string().contains("AssertionError"), "{e}");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn policy_bits() -> impl Strategy<Value = u32> {
        prop_oneof![Just(SYM), Just(ASYM), Just(0x55u32), Just(0x65u32)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Scale ≥ min_scale; the range includes 0 so 0 dequantizes exactly; POW2 scales are powers of 2.
        #[test]
        fn minmax_invariants(bits in policy_bits(), a in -1e4f32..1e4, b in -1e4f32..1e4) {
            let t = target(bits);
            let (s, o) = minmax_to_scale_offset(f64::from(a.min(b)), f64::from(a.max(b)), &t).unwrap();
            prop_assert!(s >= t.min_scale);
            let s32 = s as f32;
            // q(0) = round(0 / s) + o = o, and (q − o)·s = 0 exactly.
            let q0 = (0.0f32 / s32).round_ties_even() + o as f32;
            prop_assert_eq!((q0 - o as f32) * s32, 0.0);
            prop_assert_eq!(o, o.round());
            if bits & 0x40 != 0 {
                prop_assert_eq!(s.log2().fract(), 0.0, "{} is not a power of two", s);
            }
        }

        /// Per-channel minmax equals per-tensor minmax applied to each channel's slice.
        #[test]
        fn per_channel_is_per_tensor_per_slice(
            shape in proptest::collection::vec(1usize..4, 1..4),
            axis_seed in 0usize..8,
            seed in proptest::collection::vec(-5f32..5.0, 64),
        ) {
            let numel: usize = shape.iter().product();
            let data: Vec<f32> = (0..numel).map(|i| seed[i % seed.len()] * (1.0 + i as f32 * 0.01)).collect();
            let axis = axis_seed % shape.len();
            let mut t = target(SYM);
            t.policy = QuantizationPolicy::new(0x56, StateModel::Ppq066).unwrap(); // SYM | POW2 | PER_CHANNEL
            let mut o = MinMaxObserver::new(t.with_channel_axis(axis)).unwrap();
            o.observe(&data, &shape).unwrap();
            let pc = o.render().unwrap();
            let inner: usize = shape[axis + 1..].iter().product();
            for c in 0..shape[axis] {
                let slice: Vec<f32> =
                    (0..numel).filter(|i| (i / inner) % shape[axis] == c).map(|i| data[i]).collect();
                let mut pt = MinMaxObserver::new(target(0x55)).unwrap();
                pt.observe(&slice, &[slice.len()]).unwrap();
                let r = pt.render().unwrap();
                prop_assert_eq!(pc.scale[c].to_bits(), r.scale[0].to_bits());
                prop_assert_eq!(pc.offset[c], r.offset[0]);
            }
        }
    }
}

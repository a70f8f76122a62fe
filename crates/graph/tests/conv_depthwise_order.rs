//! The depthwise Conv path sums every output as `bias + tap₀·x₀ + tap₁·x₁ + …` in (kh, kw) tap order, skipping
//! taps whose input row is padding and adding `tap·0` for padded columns. The register-blocked kernel must give
//! exactly (bit for bit) what that plain loop gives, for every row width (blocks of 16, 8, 4 and the tail),
//! strides, dilations and pads MobileNet-like models use.

use ndarray::{ArrayD, IxDyn};
use ppq_graph::ops::run_op;
use ppq_graph::{AttrValue, Attributes, Tensor};

fn values(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s % 20_001) as f32 / 10_000.0 - 1.0
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn reference(
    x: &[f32],
    [c, ih, iw]: [usize; 3],
    w: &[f32],
    [kh, kw]: [usize; 2],
    bias: &[f32],
    [sh, sw]: [usize; 2],
    [dh, dw]: [usize; 2],
    [pt, pl]: [usize; 2],
    [oh, ow]: [usize; 2],
) -> Vec<f32> {
    let mut y = vec![0f32; c * oh * ow];
    for ch in 0..c {
        for oy in 0..oh {
            for ox in 0..ow {
                let mut acc = bias[ch];
                for ki in 0..kh {
                    let iy = (oy * sh + ki * dh) as isize - pt as isize;
                    if iy < 0 || iy >= ih as isize {
                        continue;
                    }
                    for kj in 0..kw {
                        let ix = (ox * sw + kj * dw) as isize - pl as isize;
                        let v = if ix < 0 || ix >= iw as isize {
                            0.0
                        } else {
                            x[(ch * ih + iy as usize) * iw + ix as usize]
                        };
                        acc += w[(ch * kh + ki) * kw + kj] * v;
                    }
                }
                y[(ch * oh + oy) * ow + ox] = acc;
            }
        }
    }
    y
}

#[test]
fn depthwise_sums_equal_the_plain_loop_bit_for_bit() {
    let mut checked = 0;
    for &(ih, iw) in &[(7, 7), (14, 14), (28, 28), (5, 57), (112, 112), (9, 3), (3, 21)] {
        for &(s, d, p) in &[(1, 1, 1), (2, 1, 1), (1, 2, 2), (2, 1, 0), (1, 1, 0)] {
            let (c, k) = (3, 3);
            let span = d * (k - 1) + 1;
            if ih + 2 * p < span || iw + 2 * p < span {
                continue;
            }
            let (oh, ow) = ((ih + 2 * p - span) / s + 1, (iw + 2 * p - span) / s + 1);
            let x = values(c * ih * iw, (ih * 31 + iw * 7 + s) as u32);
            let w = values(c * k * k, 5);
            let b = values(c, 9);
            let t = |shape: &[usize], v: &[f32]| Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), v.to_vec()).unwrap());
            let ints = |v: &[usize]| AttrValue::Ints(v.iter().map(|&a| a as i64).collect());
            let attrs = Attributes::new("dw")
                .with("group", AttrValue::Int(c as i64))
                .with("strides", ints(&[s, s]))
                .with("dilations", ints(&[d, d]))
                .with("pads", ints(&[p, p, p, p]));
            let (xt, wt, bt) = (t(&[1, c, ih, iw], &x), t(&[c, 1, k, k], &w), t(&[c], &b));
            let out = run_op("Conv", &[Some(&xt), Some(&wt), Some(&bt)], &attrs).unwrap();
            let Tensor::F32(y) = &out[0] else { panic!("float output") };
            assert_eq!(y.shape(), &[1, c, oh, ow]);
            let want = reference(&x, [c, ih, iw], &w, [k, k], &b, [s, s], [d, d], [p, p], [oh, ow]);
            let got: Vec<u32> = y.iter().map(|v| v.to_bits()).collect();
            let want: Vec<u32> = want.iter().map(|v| v.to_bits()).collect();
            assert_eq!(got, want, "{ih}×{iw} stride {s} dilation {d} pad {p}");
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} cases ran");
}

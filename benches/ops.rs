//! Criterion bench of the conv kernel: a 3×3, 32→32-channel conv on 1×32×56×56 (a typical mid-network layer),
//! reported as throughput in FLOPs (criterion's "elem/s" = FLOP/s here), so im2col + sgemm changes show up.
//! Measured natively (2 shared cores, x86-64-v2): 3×3 conv 1.5–2.0 ms = 29–39 GFLOP/s; depthwise 0.21 ms =
//! 8.5 GFLOP/s with the direct kernel (1.6 GFLOP/s through im2col + sgemm).

// criterion is a native-only dev-dependency: on wasm32 this bench is an empty binary.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{Criterion, Throughput};
    use ndarray::{ArrayD, IxDyn};
    use ppq_playground::graph::ops::run_op;
    use ppq_playground::graph::{AttrValue, Attributes, Tensor};
    use std::hint::black_box;

    fn filled(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        let data = (0..n).map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0).collect();
        Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), data).expect("shape"))
    }

    fn conv(c: &mut Criterion) {
        let (x, w, b) = (filled(&[1, 32, 56, 56]), filled(&[32, 32, 3, 3]), filled(&[32]));
        let attrs = Attributes::new("bench_conv").with("pads", AttrValue::Ints(vec![1, 1, 1, 1]));
        let flops = 2 * 32 * 32 * 9 * 56 * 56;
        let mut g = c.benchmark_group("conv");
        g.throughput(Throughput::Elements(flops as u64));
        g.sample_size(20);
        g.bench_function("3x3_32to32_56x56", |bch| {
            bch.iter(|| run_op("Conv", black_box(&[Some(&x), Some(&w), Some(&b)]), &attrs).expect("conv"))
        });
        let w1 = filled(&[32, 1, 3, 3]);
        let dw = attrs.clone().with("group", AttrValue::Int(32));
        g.throughput(Throughput::Elements(2 * 32 * 9 * 56 * 56));
        g.bench_function("depthwise_3x3_32_56x56", |bch| {
            bch.iter(|| run_op("Conv", black_box(&[Some(&x), Some(&w1), Some(&b)]), &dw).expect("conv"))
        });
        g.finish();
    }

    criterion::criterion_group!(benches, conv);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

//! Criterion benches of the fake-quant kernels on 16M f32 (out of place, so every iteration sees the same
//! input): per-tensor and per-channel (channel axis first and last), scalar oracle vs SIMD, and a plain
//! copy as the memory-bandwidth ceiling.
//!
//! Run: `cargo bench --bench kernels -- --warm-up-time 1 --measurement-time 3`. Figures are recorded in
//! the kernels module docs / the branch report; the machine is shared, so treat them as ±20 %.

// criterion is a native-only dev-dependency; on wasm32 this bench is an empty binary (the browser bench calls
// `ppq_playground::core::kernels::{bench_workload, fake_quant_with}` itself).
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
#[cfg(not(target_arch = "wasm32"))]
use ppq_playground::core::RoundingPolicy;
#[cfg(not(target_arch = "wasm32"))]
use ppq_playground::core::kernels::{KernelPath, LinearQuantParams, bench_workload, fake_quant_with};
#[cfg(not(target_arch = "wasm32"))]
use std::hint::black_box;

#[cfg(not(target_arch = "wasm32"))]
const N: usize = 16 << 20;
#[cfg(not(target_arch = "wasm32"))]
const CHANNELS: usize = 64;

#[cfg(not(target_arch = "wasm32"))]
fn kernels(c: &mut Criterion) {
    let input = bench_workload(N, 42);
    let mut output = vec![0.0f32; N];
    let mut g = c.benchmark_group("fake_quant_16M");
    g.throughput(Throughput::Elements(N as u64)).sample_size(10);

    g.bench_function("copy", |b| b.iter(|| output.copy_from_slice(black_box(&input))));

    let (s, o) = ([1.0f32 / 32.0], [0.0f32]);
    let per_tensor = LinearQuantParams::new(&s, &o, -128, 127, RoundingPolicy::ROUND_HALF_EVEN, None);
    let scales: Vec<f32> = (0..CHANNELS).map(|i| 0.01 + i as f32 * 0.001).collect();
    let offsets: Vec<f32> = (0..CHANNELS).map(|i| (i % 5) as f32).collect();
    let per_channel_first =
        LinearQuantParams::new(&scales, &offsets, -128, 127, RoundingPolicy::ROUND_HALF_EVEN, Some(0));
    let per_channel_last =
        LinearQuantParams::new(&scales, &offsets, -128, 127, RoundingPolicy::ROUND_HALF_EVEN, Some(1));
    let cases = [
        ("per_tensor", per_tensor, [1, N]),
        ("per_channel_axis0", per_channel_first, [CHANNELS, N / CHANNELS]),
        ("per_channel_last", per_channel_last, [N / CHANNELS, CHANNELS]),
    ];
    for (name, params, shape) in cases {
        let Ok(params) = params else { continue };
        for path in [KernelPath::Scalar, KernelPath::Simd] {
            g.bench_function(format!("{name}/{path:?}"), |b| {
                b.iter(|| fake_quant_with(path, black_box(&input), &mut output, &shape, &params))
            });
        }
    }
    // Every tensor-path rounding on the SIMD path, per tensor (the sign()-based ones cost the most).
    for r in [RoundingPolicy::ROUND_HALF_UP, RoundingPolicy::ROUND_HALF_TOWARDS_ZERO] {
        let Ok(params) = LinearQuantParams::new(&s, &o, -128, 127, r, None) else { continue };
        g.bench_function(format!("per_tensor_{}/Simd", r.name()), |b| {
            b.iter(|| fake_quant_with(KernelPath::Simd, black_box(&input), &mut output, &[N], &params))
        });
    }
    g.finish();
}

#[cfg(not(target_arch = "wasm32"))]
criterion_group!(benches, kernels);
#[cfg(not(target_arch = "wasm32"))]
criterion_main!(benches);

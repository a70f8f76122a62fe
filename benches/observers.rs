//! Criterion benches of the observers' per-batch work on 16M f32: minmax (per tensor and per channel along
//! axis 0 of [64, 262144]), the histogram pass of mse (2048 bins) and kl (4096 bins) — PPQ's `torch.histc` —
//! and percentile (two `kthvalue` selections), with a plain copy as the memory ceiling.
//!
//! Run: `cargo bench --bench observers -- --warm-up-time 1 --measurement-time 3`. Figures: BENCHMARKS.md.

// criterion is a native-only dev-dependency: on wasm32 this bench is an empty binary (the browser bench page
// times the same `ppq_playground::bench::ready_observer` workloads).
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{Criterion, Throughput};
    use ppq_playground::bench::ready_observer;
    use ppq_playground::core::kernels::bench_workload;
    use std::hint::black_box;

    const N: usize = 16 << 20;
    const CHANNELS: usize = 64;

    fn observers(c: &mut Criterion) {
        let input = bench_workload(N, 42);
        let mut output = vec![0.0f32; N];
        let mut g = c.benchmark_group("observers_16M");
        g.throughput(Throughput::Elements(N as u64)).sample_size(10);
        g.bench_function("copy", |b| b.iter(|| output.copy_from_slice(black_box(&input))));
        let cases: [(&str, &str, Vec<usize>); 5] = [
            ("minmax", "minmax", vec![N]),
            ("minmax_per_channel", "minmax", vec![CHANNELS, N / CHANNELS]),
            ("hist_2048_mse", "mse", vec![N]),
            ("hist_4096_kl", "kl", vec![N]),
            ("percentile", "percentile", vec![N]),
        ];
        for (name, algorithm, shape) in cases {
            let mut o = ready_observer(algorithm, &input, &shape).expect("observer");
            g.bench_function(name, |b| b.iter(|| o.observe(black_box(&input), &shape).expect("observe")));
        }
        g.finish();
    }

    criterion::criterion_group!(benches, observers);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

//! simd128 fake-quant vs the scalar oracle, bit for bit, in Node (wasm-bindgen-test-runner).
#![cfg(target_arch = "wasm32")]

#[path = "wasm_common/kernels.rs"]
mod kernels;

/// Throughput in Node, release builds only (debug timings mean nothing):
/// `cargo test --release --target wasm32-unknown-unknown --test wasm_kernels_node -- --nocapture`.
#[cfg(not(debug_assertions))]
#[wasm_bindgen_test::wasm_bindgen_test]
fn throughput_16m() {
    use ppq_playground::core::RoundingPolicy;
    use ppq_playground::core::kernels::{KernelPath, LinearQuantParams, bench_workload, fake_quant_with};
    const N: usize = 16 << 20;
    let input = bench_workload(N, 42);
    let mut output = vec![0.0f32; N];
    let (s, o) = ([1.0f32 / 32.0], [0.0f32]);
    let p = LinearQuantParams::new(&s, &o, -128, 127, RoundingPolicy::ROUND_HALF_EVEN, None).unwrap();
    let scales: Vec<f32> = (0..64).map(|i| 0.01 + i as f32 * 0.001).collect();
    let offsets: Vec<f32> = (0..64).map(|i| (i % 5) as f32).collect();
    let pc = LinearQuantParams::new(&scales, &offsets, -128, 127, RoundingPolicy::ROUND_HALF_EVEN, Some(1)).unwrap();
    let best_of = |f: &mut dyn FnMut()| {
        (0..5)
            .map(|_| {
                let t = js_sys::Date::now();
                f();
                js_sys::Date::now() - t
            })
            .fold(f64::INFINITY, f64::min)
    };
    let g = |ms: f64| N as f64 / ms / 1e6;
    let copy = best_of(&mut || output.copy_from_slice(&input));
    wasm_bindgen_test::console_log!("copy: {:.2} G elem/s", g(copy));
    for path in [KernelPath::Scalar, KernelPath::Simd] {
        let pt = best_of(&mut || fake_quant_with(path, &input, &mut output, &[N], &p).unwrap());
        let last = best_of(&mut || fake_quant_with(path, &input, &mut output, &[N / 64, 64], &pc).unwrap());
        wasm_bindgen_test::console_log!(
            "{path:?}: per-tensor {:.2} G elem/s, channel-last {:.2} G elem/s",
            g(pt),
            g(last)
        );
    }
}

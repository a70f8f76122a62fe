//! Criterion benches of whole models natively: fp32 latency (import + format once, then one forward) and
//! minmax calibration of every activation (import + format + forwards + render) and the whole quantize
//! (`Pipeline::run_all`, TRT_INT8 minmax, as PPQ's `quantize_onnx_model`) on the digits CNN (64 reference
//! samples) and on a random-init
//! MobileNetV2 (8 samples) when `bench-models/mobilenetv2.onnx` exists (`scripts/bench/make_mobilenetv2.py`).
//!
//! Run: `cargo bench --bench models -- --warm-up-time 1 --measurement-time 5`. Figures: BENCHMARKS.md.

// criterion is a native-only dev-dependency: on wasm32 this bench is an empty binary.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::Criterion;
    use ppq_playground::bench::{calibrate_minmax, first_input, infer, prepare_graph, quantize, random_tensor};
    use ppq_playground::graph::executor::Executor;
    use std::hint::black_box;

    const DIGITS: &str = "/work/shared/reference/models/digits_cnn.onnx";
    const DIGITS_CALIB: &str = "/work/shared/reference/calib/digits_cnn_calib.json";
    const MOBILENET: &str = "bench-models/mobilenetv2.onnx";
    const MOBILENET_CALIB: &str = "bench-models/mobilenetv2_calib.f32";

    fn digits_samples() -> Vec<Vec<f32>> {
        let text = std::fs::read_to_string(DIGITS_CALIB).expect("digits calibration json");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        v["samples"]
            .as_array()
            .expect("samples")
            .iter()
            .map(|s| s.as_array().expect("sample").iter().map(|x| x.as_f64().expect("number") as f32).collect())
            .collect()
    }

    fn f32_file(path: &str, n: usize) -> Vec<Vec<f32>> {
        let bytes = std::fs::read(path).expect("calibration file");
        let all: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        all.chunks_exact(all.len() / n).map(<[f32]>::to_vec).collect()
    }

    fn model(c: &mut Criterion, name: &str, bytes: &[u8], samples: &[Vec<f32>]) {
        let graph = prepare_graph(bytes).expect("model imports");
        let (input, shape) = first_input(&graph).expect("input");
        let x = random_tensor(&shape, 7);
        let exec = Executor::new(&graph).expect("executor");
        let mut g = c.benchmark_group(name);
        g.sample_size(10);
        g.bench_function("fp32_forward", |b| b.iter(|| infer(&exec, &input, black_box(&x)).expect("forward")));
        let refs: Vec<&[f32]> = samples.iter().map(Vec::as_slice).collect();
        g.bench_function(format!("calibrate_minmax_{}", samples.len()), |b| {
            b.iter(|| calibrate_minmax(black_box(bytes), &refs).expect("calibrate"))
        });
        g.bench_function(format!("quantize_{}", samples.len()), |b| {
            b.iter(|| quantize(black_box(bytes), &refs).expect("quantize"))
        });
        g.finish();
    }

    fn models(c: &mut Criterion) {
        let digits = std::fs::read(DIGITS).expect("digits model");
        model(c, "digits_cnn", &digits, &digits_samples());
        if let Ok(bytes) = std::fs::read(MOBILENET) {
            model(c, "mobilenetv2", &bytes, &f32_file(MOBILENET_CALIB, 8));
        } else {
            eprintln!("skipping MobileNetV2: run scripts/bench/make_mobilenetv2.py first");
        }
    }

    criterion::criterion_group!(benches, models);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

//! The nine "light" ONNX models shipped in the `onnx` PyPI package (bvlc_alexnet, densenet121, inception_v1/v2,
//! resnet50, shufflenet, squeezenet, vgg19, zfnet512; opset 9) run through the playground's importer, validator
//! and fp32 executor, compared with the expected outputs shipped beside them in the wheel.
//!
//! The wheel ships no inputs: `scripts/fixtures/onnx_node_cases.py` (the node suite's cache writer, a no-op when
//! current) lays each model out as `<cache>/light/<model>/model.onnx` with `test_data_set_0/input_0.pb` (what
//! onnx's own runner feeds: `arange(n)/n` float32 of the declared shape), the shipped `output_0.pb` and
//! onnxruntime's `ort_output_0.pb`. Each output must be within 1e-4 of the expected output's scale (its range,
//! or its largest magnitude when larger: several of these outputs are constant), element by element. The cache is `$ONNX_NODE_CASES`, else `<target>/onnx-node-cases`,
//! filled with `$PYTHON` (default `python3`); the test fails loudly when that cannot be done.
#![cfg(not(target_arch = "wasm32"))]

use ppq_playground::graph::Tensor;
use ppq_playground::graph::executor::{Executor, NoHook};
use ppq_playground::graph::import::tensor_from_proto;
use ppq_playground::graph::onnx::TensorProto;
use ppq_playground::graph::validate::inspect_onnx;
use prost::Message;
use std::path::{Path, PathBuf};

const LIGHT_MODELS: &[&str] = &[
    "bvlc_alexnet",
    "densenet121",
    "inception_v1",
    "inception_v2",
    "resnet50",
    "shufflenet",
    "squeezenet",
    "vgg19",
    "zfnet512",
];

fn cache_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("ONNX_NODE_CASES") {
        return PathBuf::from(p);
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"))
        .join("onnx-node-cases")
}

fn ensure_cache(dir: &Path) {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/fixtures/onnx_node_cases.py");
    let out =
        std::process::Command::new(&python).arg(&script).arg(dir).output().unwrap_or_else(|e| {
            panic!("cannot run `{python} {}`: {e} — python3 with onnx is required", script.display())
        });
    assert!(
        out.status.success(),
        "`{python} {}` failed:\n{}\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read_pb(path: &Path) -> Tensor {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let proto = TensorProto::decode(bytes.as_slice()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    tensor_from_proto(&proto).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Largest |got − want| and the expected output's scale: its range (max − min), or its largest magnitude when
/// that is larger — several light models' outputs are constant (a uniform softmax: range 0), where "1e-4 of the
/// range" would demand bit equality.
fn deviation(got: &Tensor, want: &Tensor, name: &str) -> (f32, f32) {
    let (g, w) = (got.as_f32(name).unwrap(), want.as_f32(name).unwrap());
    assert_eq!(g.shape(), w.shape(), "{name}: output shape");
    let worst = g.iter().zip(w.iter()).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    let (lo, hi) = w.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
    (worst, (hi - lo).max(lo.abs()).max(hi.abs()))
}

#[test]
fn light_models_match_their_shipped_outputs() {
    let dir = cache_dir();
    ensure_cache(&dir);
    let mut failures = Vec::new();
    for name in LIGHT_MODELS {
        let d = dir.join("light").join(name);
        let bytes = std::fs::read(d.join("model.onnx")).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (g, _) = match inspect_onnx(&bytes) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: refused: {e}"));
                continue;
            }
        };
        let x = read_pb(&d.join("test_data_set_0/input_0.pb"));
        let want = read_pb(&d.join("test_data_set_0/output_0.pb"));
        let ort = read_pb(&d.join("test_data_set_0/ort_output_0.pb"));
        let input = g.var(g.inputs[0]).name.clone();
        let exec = Executor::new(&g).unwrap();
        let out = match exec.forward(&[(input.as_str(), x)], None, &mut NoHook) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{name}: run failed: {e}"));
                continue;
            }
        };
        let (worst, range) = deviation(&out[0], &want, name);
        let (ort_worst, _) = deviation(&ort, &want, name);
        println!(
            "{name:<14} max |ours − shipped| = {worst:.3e}  ({:.2e} of scale {range:.3e}); onnxruntime {ort_worst:.3e}",
            worst / range.max(f32::MIN_POSITIVE)
        );
        if worst.is_nan() || worst > 1e-4 * range {
            failures.push(format!("{name}: max deviation {worst:e} over 1e-4 of the scale {range:e}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} light models:\n{}", failures.len(), LIGHT_MODELS.len(), failures.join("\n"));
}

//! The "light" ONNX models shipped in the `onnx` PyPI package (resnet50, squeezenet, shufflenet …, opset 9,
//! installed by scripts/setup.sh) either load and run to finite outputs of the declared size, or are refused
//! before anything runs with a message naming every unsupported op.
#![cfg(not(target_arch = "wasm32"))]

use ndarray::{ArrayD, IxDyn};
use ppq_playground::graph::executor::{Executor, NoHook};
use ppq_playground::graph::import::import_onnx;
use ppq_playground::graph::ir::Dim;
use ppq_playground::graph::ops::supported_ops;
use ppq_playground::graph::{GraphError, Tensor};
use std::path::PathBuf;

fn light_dir() -> PathBuf {
    let out = std::process::Command::new("python3")
        .args(["-c", "import onnx, os; print(os.path.dirname(onnx.__file__))"])
        .output()
        .expect("python3 with onnx (scripts/setup.sh installs it)");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("backend/test/data/light")
}

/// What the playground says before running a model: the unsupported op types, all named at once.
fn refuse_unsupported(types: &[String]) -> Result<(), GraphError> {
    let supported = supported_ops();
    let mut missing: Vec<&str> = types.iter().map(String::as_str).filter(|t| !supported.contains(t)).collect();
    missing.sort_unstable();
    missing.dedup();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(GraphError::Invalid(format!("unsupported ops: {}", missing.join(", "))))
    }
}

#[test]
fn light_models_run_or_are_refused_by_name() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(light_dir())
        .expect("onnx's light models")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "found {} light models", files.len());
    let (mut ran, mut refused) = (0, 0);
    for f in files {
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        let g = match import_onnx(&std::fs::read(&f).unwrap()) {
            Ok(g) => g,
            Err(e) => {
                println!("{name}: refused at import: {e}");
                assert!(!e.to_string().is_empty());
                refused += 1;
                continue;
            }
        };
        let types: Vec<String> = g.operations().map(|(_, op)| op.op_type.clone()).collect();
        if let Err(e) = refuse_unsupported(&types) {
            println!("{name}: {e}");
            assert!(e.to_string().contains("unsupported ops: "));
            refused += 1;
            continue;
        }
        let input = g.var(g.inputs[0]);
        let dims: Vec<usize> = input
            .shape
            .as_ref()
            .map(|d| d.iter().map(|d| if let Dim::Value(v) = d { *v as usize } else { 1 }).collect())
            .unwrap_or_default();
        let n: usize = dims.iter().product();
        let x = ArrayD::from_shape_vec(IxDyn(&dims), (0..n).map(|i| ((i % 255) as f32) / 255.0).collect()).unwrap();
        let exec = Executor::new(&g).unwrap();
        let out = exec.forward(&[(input.name.as_str(), Tensor::F32(x))], None, &mut NoHook);
        match out {
            Ok(out) => {
                let y = out[0].as_f32("out").unwrap();
                assert!(y.iter().all(|v| v.is_finite()), "{name}: non-finite output");
                println!("{name}: ran, output shape {:?}", y.shape());
                ran += 1;
            }
            Err(e) => panic!("{name}: every op is supported but the run failed: {e}"),
        }
    }
    println!("light models: {ran} ran, {refused} refused by name");
}

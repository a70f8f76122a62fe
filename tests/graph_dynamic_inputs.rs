//! Multi-input, multi-output models with symbolic dims: a `dim_param` batch and a negative `dim_value` height
//! (`tests/fixtures/io/multi_io_dynamic.onnx`, from `scripts/fixtures/make_graph_io_models.py`, with
//! onnxruntime's outputs) and the torch fixture `dynamic_batch_ts17`. The graph layer resolves the dims from the
//! data (`validate_with_inputs`), says what they became, refuses data that contradicts a fixed dim naming the
//! input, and runs every output to onnxruntime's values.
#![cfg(not(target_arch = "wasm32"))]

use ppq_playground::graph::Tensor;
use ppq_playground::graph::executor::{Executor, NoHook};
use ppq_playground::graph::validate::{inspect_onnx, validate_with_inputs};
use ppq_playground::session::calib::read_npz;
use std::path::PathBuf;

fn fixture(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn symbolic_and_negative_dims_resolve_from_the_data_and_every_output_matches_onnxruntime() {
    let (g, declared) = inspect_onnx(&fixture("io/multi_io_dynamic.onnx")).unwrap();
    // Without data: batch taken as 1, the -1 height unknown, noted.
    assert_eq!(declared.outputs[1].shape, Some(vec![Some(1), Some(4)]), "{declared:?}");
    assert_eq!(declared.outputs[0].shape, Some(vec![Some(1), Some(4), None, Some(8)]));
    assert!(declared.notes.iter().any(|n| n.contains("'x'") && n.contains("dimension 2")), "{:?}", declared.notes);

    let feeds = read_npz(&fixture("io/multi_io_dynamic.inputs.npz")).unwrap();
    let want = read_npz(&fixture("io/multi_io_dynamic.outputs.npz")).unwrap();
    let shapes: Vec<(&str, &[usize])> = feeds.iter().map(|(n, t)| (n.as_str(), t.shape())).collect();
    let r = validate_with_inputs(&g, &shapes).unwrap();
    let out = |k: usize| r.outputs[k].shape.clone().unwrap();
    assert_eq!(out(0), vec![Some(2), Some(4), Some(6), Some(8)]);
    assert_eq!(out(1), vec![Some(2), Some(4)]);
    assert_eq!(out(2), vec![Some(1)]);
    let note = r.notes.iter().find(|n| n.contains("graph input 'x'")).expect("a note on x");
    assert!(note.contains("'N' (dim 0) = 2") && note.contains("dim 2 = 6"), "{note}");

    let exec = Executor::new(&g).unwrap();
    let refs: Vec<(&str, Tensor)> = feeds.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let got = exec.forward(&refs, None, &mut NoHook).unwrap();
    assert_eq!(got.len(), 3, "every graph output");
    for ((name, w), g) in want.iter().zip(&got) {
        assert_eq!(g.shape(), w.shape(), "{name}");
        match (g, w) {
            (Tensor::F32(a), Tensor::F32(b)) => {
                let range = b.iter().fold(0f32, |m, v| m.max(v.abs()));
                let worst = a.iter().zip(b.iter()).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
                assert!(worst <= 1e-4 * range, "{name}: {worst} vs range {range}");
            }
            (Tensor::I64(a), Tensor::I64(b)) => assert_eq!(a, b, "{name}"),
            _ => panic!("{name}: dtype {} vs onnxruntime {}", g.dtype_name(), w.dtype_name()),
        }
    }
}

#[test]
fn data_contradicting_the_model_is_refused_naming_the_input() {
    let (g, _) = inspect_onnx(&fixture("io/multi_io_dynamic.onnx")).unwrap();
    let e = validate_with_inputs(&g, &[("x", &[2, 3, 6, 9])]).unwrap_err().to_string();
    assert!(e.contains("input 'x'") && e.contains("dimension 3 is 9 in the data but 8"), "{e}");
    let e = validate_with_inputs(&g, &[("x", &[2, 3, 6])]).unwrap_err().to_string();
    assert!(e.contains("input 'x'") && e.contains("[2, 3, 6]"), "{e}");
    let e = validate_with_inputs(&g, &[("z", &[1])]).unwrap_err().to_string();
    assert!(e.contains("'z'") && e.contains("x, y"), "{e}");
    // the batch of the two inputs must agree: found at the Add
    let e = validate_with_inputs(&g, &[("x", &[2, 3, 6, 8]), ("y", &[3, 4])]).unwrap_err().to_string();
    assert!(e.contains("add") && e.contains("broadcast"), "{e}");
}

#[test]
fn torch_dynamic_batch_resolves_to_the_sample_batch() {
    let (g, _) = inspect_onnx(&fixture("models/dynamic_batch_ts17.onnx")).unwrap();
    let r = validate_with_inputs(&g, &[("input", &[5, 3, 32, 32])]).unwrap();
    assert_eq!(r.outputs[0].shape, Some(vec![Some(5), Some(4)]));
    assert!(r.notes.iter().any(|n| n.contains("'batch' (dim 0) = 5")), "{:?}", r.notes);
}

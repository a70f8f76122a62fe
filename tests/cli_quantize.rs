//! `ppq-playground quantize` end to end: the CLI's tqc.json equals real PPQ 0.6.6's (or, with
//! `--profile ppq-0.6.5`, PPQ 0.6.5.1's) for the same model, platform and calibration data, and every
//! export file is written.
#![cfg(not(target_arch = "wasm32"))]

use ppq_playground::pipeline::record::{Record, ScaleValue};
use ppq_playground::reference::reference_dir;
use std::process::Command;

fn close(a: &Option<ScaleValue>, b: &Option<ScaleValue>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            let (a, b) = (a.values(), b.values());
            a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| (x - y).abs() <= 1e-6 * y.abs().max(1e-12))
        }
        _ => false,
    }
}

fn quantize_and_compare(model: &str, platform: &str) {
    quantize_and_compare_with(model, platform, "ppq-0.6.6");
}

/// Runs the CLI with `--state-model <version>` and compares with `reference/<version>/…/tqc.json`.
fn quantize_and_compare_with(model: &str, platform: &str, version: &str) {
    let r = reference_dir();
    let out = std::env::temp_dir().join(format!("ppq-cli-{model}-{platform}-{version}-{}", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_ppq-playground"))
        .args(["quantize", r.join(format!("models/{model}.onnx")).to_str().unwrap()])
        .args(["--calib", r.join(format!("calib/{model}_calib.npy")).to_str().unwrap()])
        .args([
            "--platform",
            platform,
            "--calib-algorithm",
            "minmax",
            // the reference runs fed every sample once (calib_steps = len(dataloader))
            "--steps",
            "all",
            "--profile",
            version,
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    for f in ["tqc.json", "trace.json", "quant_config.json", "model.baked.onnx", "model.qdq.onnx", "report.md"] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let ours: Vec<Record> = serde_json::from_slice(&std::fs::read(out.join("tqc.json")).unwrap()).unwrap();
    let theirs: Vec<Record> = serde_json::from_slice(
        &std::fs::read(r.join(format!("{version}/{model}/{platform}__minmax/tqc.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(ours.len(), theirs.len());
    for (a, b) in ours.iter().zip(&theirs) {
        match (a, b) {
            (Record::Tqc(a), Record::Tqc(b)) => {
                assert_eq!((&a.id, &a.state, &a.dominated_by), (&b.id, &b.state, &b.dominated_by));
                assert!(
                    close(&a.scale, &b.scale) && close(&a.offset, &b.offset),
                    "{}: {:?} vs {:?}",
                    a.id,
                    a.scale,
                    b.scale
                );
            }
            (a, b) => assert_eq!(a, b),
        }
    }
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn quantize_b_residual_trt_matches_ppq() {
    quantize_and_compare("b_residual", "TRT_INT8");
}

#[test]
fn quantize_digits_cnn_trt_matches_ppq() {
    quantize_and_compare("digits_cnn", "TRT_INT8");
}

#[test]
fn quantize_d_passive_pplcuda_matches_ppq() {
    quantize_and_compare("d_passive", "PPL_CUDA_INT8");
}

#[test]
fn quantize_b_residual_pplcuda_classic_matches_ppq_065() {
    // Add → Relu fused, SLAVE TQCs from Align to Large, ACTIVATED master
    quantize_and_compare_with("b_residual", "PPL_CUDA_INT8", "ppq-0.6.5");
}

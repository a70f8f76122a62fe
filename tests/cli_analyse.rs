#![cfg(not(target_arch = "wasm32"))]
//! `ppq-playground analyse` and `quantize --keep-float` on the digits CNN with its reference calibration data.

use ppq_playground::pipeline::record::Record;
use ppq_playground::reference::reference_dir;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    let r = reference_dir();
    let model = r.join("models/digits_cnn.onnx");
    let calib = r.join("calib/digits_cnn_calib.npy");
    Command::new(env!("CARGO_BIN_EXE_ppq-playground"))
        .arg(args[0])
        .arg(model)
        .arg("--calib")
        .arg(calib)
        .args(&args[1..])
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn analyse_json_ranks_every_quantable_op() {
    let out = stdout(&run(&["analyse", "--platform", "TRT_INT8", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ranking = v["sensitivity"]["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 13);
    let imp: Vec<f64> = ranking.iter().map(|r| r["improvement"].as_f64().unwrap()).collect();
    assert!(imp.windows(2).all(|w| w[0] >= w[1]), "{imp:?}");
    assert!(imp[0] > 0.0);
    assert!(ranking.iter().all(|r| r["op"].is_string() && r["op_type"].is_string()));
    assert_eq!(v["layers"].as_array().unwrap().len(), 13);
    let snr = v["outputs"][0]["snr"].as_f64().unwrap();
    assert!(snr > 0.0 && snr < 0.1, "{snr}");
    assert!(v["sensitivity_ms"].as_f64().unwrap() > 0.0);
}

#[test]
fn analyse_text_prints_the_ranking_and_the_layers() {
    let out = stdout(&run(&["analyse"]));
    assert!(out.contains("Sensitivity"), "{out}");
    assert!(out.contains("Per-layer SNR"), "{out}");
    assert!(out.contains("/fc/Gemm") && out.contains("/c1/Conv"), "{out}");
}

#[test]
fn quantize_keep_float_dispatches_ops_to_fp32_and_reports_layer_snr() {
    let dir = std::env::temp_dir().join(format!("ppq-cli-keep-float-{}", std::process::id()));
    let o = run(&["quantize", "--keep-float", "/fc/Gemm,/c1/Conv", "--out", dir.to_str().unwrap()]);
    stdout(&o);
    let records: Vec<Record> = serde_json::from_slice(&std::fs::read(dir.join("tqc.json")).unwrap()).unwrap();
    for name in ["/fc/Gemm", "/c1/Conv"] {
        assert!(
            records.iter().any(|r| matches!(r, Record::Op(op) if op.op == name && op.platform == "FP32")),
            "{name} is an FP32 op record"
        );
        assert!(!records.iter().any(|r| matches!(r, Record::Tqc(t) if t.op == name)), "{name} has no TQC");
    }
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(report.contains("**Keep in float**: /fc/Gemm,/c1/Conv"), "{report}");
    let c2 = report.lines().find(|l| l.starts_with("| /c2/Conv |") && l.contains("| out0 |")).unwrap();
    let snr: f64 = c2.trim_end_matches('|').rsplit('|').next().unwrap().trim().parse().unwrap();
    assert!(snr > 10.0, "{c2}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn keep_float_names_an_unknown_op() {
    let dir = std::env::temp_dir().join(format!("ppq-cli-keep-float-bad-{}", std::process::id()));
    let o = run(&["quantize", "--keep-float", "/c1/Conv,/c9/Conv", "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.starts_with("error:") && err.contains("'/c9/Conv'"), "{err}");
    assert!(!dir.exists());
}

#![cfg(not(target_arch = "wasm32"))]
//! The built `ppq-playground` binary: `--help` everywhere, `inspect` on every reference model, `export` end to
//! end, and bad input → exit 1 with an `error:` line (never a panic), usage errors → exit 2.

use ppq_playground::reference::reference_dir;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MODELS: &[&str] = &["a_concat_pool", "b_residual", "c_soi", "d_passive", "digits_cnn"];

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ppq-playground")).args(args).output().expect("run ppq-playground")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn model(m: &str) -> String {
    reference_dir().join(format!("models/{m}.onnx")).display().to_string()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ppq_cli_{}_{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Exit 1, an `error:` line naming `needle`, and no panic message.
fn assert_user_error(o: &Output, needle: &str) {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert!(err.lines().any(|l| l.starts_with("error: ")), "no error line: {err}");
    assert!(err.contains(needle), "error does not mention '{needle}': {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn help_on_every_subcommand() {
    let top = bin(&["--help"]);
    assert_eq!(top.status.code(), Some(0));
    for sub in ["selfcheck", "states", "inspect", "quantize", "analyse", "run", "export"] {
        assert!(text(&top.stdout).contains(sub), "top-level help lists {sub}");
        let o = bin(&[sub, "--help"]);
        assert_eq!(o.status.code(), Some(0), "{sub} --help");
        assert!(text(&o.stdout).contains("Usage"), "{sub} --help prints usage");
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["frobnicate"][..],
        &["inspect"],
        &["quantize", "m.onnx"],
        &["quantize", "m.onnx", "--calib", "c.npy", "--out", "o", "--observer", "best"],
        &["quantize", "m.onnx", "--calib", "c.npy", "--out", "o", "--calib-algorithm", "best"],
        &["quantize", "m.onnx", "--calib", "c.npy", "--out", "o", "--profile", "ppq-0.7"],
        &["quantize", "m.onnx", "--calib", "c.npy", "--out", "o", "--concat-alignment", "Align to Middle"],
        &["quantize", "m.onnx", "--calib", "c.npy", "--out", "o", "--force-overlap", "maybe"],
        &["run", "m.onnx", "--out", "y.npy"],
        &["run", "m.onnx", "--input", "x.npy"],
    ] {
        let o = bin(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
    }
}

#[test]
fn inspect_reference_models() {
    for m in MODELS {
        let o = bin(&["inspect", &model(m)]);
        assert_eq!(o.status.code(), Some(0), "{m}: {}", text(&o.stderr));
        let out = text(&o.stdout);
        assert!(out.contains("opsets: ai.onnx=13") && out.contains("unsupported ops: none"), "{m}: {out}");
        let j = bin(&["inspect", &model(m), "--json"]);
        assert_eq!(j.status.code(), Some(0));
        let v: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
        assert_eq!(v["inputs"].as_array().unwrap().len(), 1, "{m}");
        assert!(v["num_ops"].as_u64().unwrap() > 0 && v["num_parameters"].as_u64().unwrap() > 0);
        let counted: u64 = v["op_types"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
        assert_eq!(counted, v["num_ops"].as_u64().unwrap(), "{m}: op counts add up");
    }
    let v: serde_json::Value =
        serde_json::from_slice(&bin(&["inspect", &model("b_residual"), "--json"]).stdout).unwrap();
    assert_eq!(v["op_types"], serde_json::json!({"Add": 1, "Conv": 2, "Relu": 2}));
    assert_eq!(v["inputs"][0]["shape"], serde_json::json!([1, 4, 8, 8]));
}

/// A model with several op types the playground cannot run (scripts/fixtures/make_unsupported_model.py): inspect
/// lists every one of them, says why the model will not run, and exits 0 — it could read the model.
#[test]
fn inspect_lists_every_unsupported_op() {
    let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/unsupported_ops.onnx");
    let o = bin(&["inspect", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for line in [
        "unsupported ops (4):",
        "LSTM ×2 (recurrent layers",
        "If (control flow",
        "NonMaxSuppression (detection",
        "com.microsoft::FusedGemm",
    ] {
        assert!(out.contains(line), "missing '{line}' in:\n{out}");
    }
    assert!(out.lines().any(|l| l.starts_with("validation: unsupported op") && l.contains("4 op types")), "{out}");
    let j = bin(&["inspect", m.to_str().unwrap(), "--json"]);
    assert_eq!(j.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    assert_eq!(v["unsupported_ops"].as_array().unwrap().len(), 4, "{v}");
    assert!(v["validation_error"].as_str().unwrap().contains("lstm_a"), "{v}");
    let ok: serde_json::Value =
        serde_json::from_slice(&bin(&["inspect", &model("b_residual"), "--json"]).stdout).unwrap();
    assert!(ok["validation_error"].is_null() && ok["inferred_outputs"][0]["shape"] == serde_json::json!([1, 4, 8, 8]));
}

#[test]
fn bad_model_files_are_errors() {
    let d = tmp("bad_model");
    let garbage = d.join("garbage.onnx");
    std::fs::write(&garbage, b"\xff\xfe not a protobuf \x00\x01\x02").unwrap();
    let full = std::fs::read(model("digits_cnn")).unwrap();
    let truncated = d.join("truncated.onnx");
    std::fs::write(&truncated, &full[..full.len() / 2]).unwrap();
    assert_user_error(&bin(&["inspect", "/nonexistent/model.onnx"]), "/nonexistent/model.onnx");
    assert_user_error(&bin(&["inspect", garbage.to_str().unwrap()]), "garbage.onnx");
    assert_user_error(&bin(&["inspect", truncated.to_str().unwrap(), "--json"]), "truncated.onnx");
    let x = reference_dir().join("calib/b_residual_calib.npy");
    let y = d.join("y.npy");
    let run =
        |m: &Path| bin(&["run", m.to_str().unwrap(), "--input", x.to_str().unwrap(), "--out", y.to_str().unwrap()]);
    assert_user_error(&run(&garbage), "garbage.onnx");
    assert_user_error(&run(&truncated), "truncated.onnx");
    let (g, o) = (garbage.to_str().unwrap(), d.join("out"));
    for sub in ["quantize", "analyse"] {
        let mut args = vec![sub, g, "--calib", x.to_str().unwrap()];
        if sub == "quantize" {
            args.extend(["--out", o.to_str().unwrap()]);
        }
        assert_user_error(&bin(&args), "garbage.onnx");
    }
    let tqc = reference_dir().join("ppq-0.6.6/b_residual/TRT_INT8__minmax/tqc.json");
    assert_user_error(
        &bin(&["export", g, "--tqc", tqc.to_str().unwrap(), "--out", o.to_str().unwrap()]),
        "garbage.onnx",
    );
    let _ = std::fs::remove_dir_all(&d);
}

fn npy(shape: &[usize], data: &[f32]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let mut h = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({},), }}", dims.join(", "));
    while !(h.len() + 11).is_multiple_of(16) {
        h.push(' ');
    }
    h.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((h.len() as u16).to_le_bytes());
    b.extend(h.as_bytes());
    b.extend(data.iter().flat_map(|v| v.to_le_bytes()));
    b
}

fn quantize(m: &str, calib: &Path, out: &Path) -> Output {
    bin(&[
        "quantize",
        &model(m),
        "--calib",
        calib.to_str().unwrap(),
        "--platform",
        "TRT_INT8",
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn bad_calibration_data_is_an_error_naming_the_input() {
    let d = tmp("bad_calib");
    let out = d.join("out");
    let nan = d.join("nan.npy");
    let mut v = vec![0.5f32; 2 * 256];
    v[300] = f32::NAN;
    std::fs::write(&nan, npy(&[2, 1, 4, 8, 8], &v)).unwrap();
    assert_user_error(&quantize("b_residual", &nan, &out), "'input'");
    let wrong = d.join("wrong.npy");
    std::fs::write(&wrong, npy(&[2, 1, 3, 8, 8], &[0.0; 2 * 192])).unwrap();
    assert_user_error(&quantize("b_residual", &wrong, &out), "'input'");
    let garbage = d.join("garbage.npy");
    std::fs::write(&garbage, b"\x93NUMPY\x01\x00\xff\xff{'descr'").unwrap();
    assert_user_error(&quantize("b_residual", &garbage, &out), "garbage.npy");
    let json = d.join("bad.json");
    std::fs::write(&json, r#"{"input_name": "input", "shape": [1, 4, 8, 8], "samples": [[1.0, 2.0]]}"#).unwrap();
    assert_user_error(&quantize("b_residual", &json, &out), "sample 0");
    assert_user_error(&quantize("b_residual", &d.join("missing.npy"), &out), "missing.npy");
    let good = reference_dir().join("calib/b_residual_calib.npy");
    let o =
        bin(&["quantize", &model("b_residual"), "--calib", good.to_str().unwrap(), "--platform", "NOPE", "--out", "x"]);
    // a value the settings table refuses is a usage error (clap's exit code 2), naming the value and the choices
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains("NOPE") && err.contains("TRT_INT8") && !err.contains("panicked"), "{err}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn export_writes_every_file_and_trt_json_matches_ppq() {
    for run in ["b_residual/TRT_INT8__minmax", "d_passive/PPL_CUDA_INT8__minmax"] {
        let d = tmp(&run.replace('/', "_"));
        let dir = reference_dir().join("ppq-0.6.6").join(run);
        let m = run.split('/').next().unwrap();
        let o =
            bin(&["export", &model(m), "--tqc", dir.join("tqc.json").to_str().unwrap(), "--out", d.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{run}: {}", text(&o.stderr));
        for f in ["tqc.json", "quant_config.json", "model.baked.onnx", "model.qdq.onnx", "report.md"] {
            assert!(d.join(f).is_file(), "{run}: {f} written");
        }
        let ours: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("tqc.json")).unwrap()).unwrap();
        let theirs: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("tqc.json")).unwrap()).unwrap();
        assert_eq!(ours, theirs, "{run}: tqc.json round-trips");
        assert_eq!(d.join("trt.json").is_file(), run.contains("TRT"), "{run}: trt.json only for TRT");
        if run.contains("TRT") {
            let ours: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(d.join("trt.json")).unwrap()).unwrap();
            let want: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join("trt.json")).unwrap()).unwrap();
            for (k, v) in want["act_quant_info"].as_object().unwrap() {
                let (a, b) = (v.as_f64().unwrap(), ours["act_quant_info"][k].as_f64().unwrap());
                assert!((a - b).abs() <= 1e-6 * a.abs(), "{run}: {k}");
            }
        }
        let report = std::fs::read_to_string(d.join("report.md")).unwrap();
        assert!(report.contains("| ACTIVATED |"), "{report}");
        let _ = std::fs::remove_dir_all(&d);
    }
    let bad = tmp("bad_tqc");
    std::fs::write(bad.join("tqc.json"), "[{\"op\": 1}]").unwrap();
    let o = bin(&[
        "export",
        &model("b_residual"),
        "--tqc",
        bad.join("tqc.json").to_str().unwrap(),
        "--out",
        bad.to_str().unwrap(),
    ]);
    assert_user_error(&o, "tqc.json");
    let _ = std::fs::remove_dir_all(&bad);
}

/// A reader that stops early (`ppq-playground states | head -1`) ends the CLI quietly instead of a panic.
#[cfg(unix)]
#[test]
fn closed_stdout_is_not_a_panic() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ppq-playground"))
        .arg("states")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ppq-playground");
    drop(child.stdout.take()); // close the read end before the CLI writes its table
    let mut err = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut err).expect("read stderr");
    let status = child.wait().expect("wait");
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(status.code(), Some(101), "{err}");
}

/// `inspect` says "ok" only for a model that runs: sizes that exist only at run time (a ConstantOfShape
/// feeding a Gather) are found by the probe run; the budget flags bound a run, and a bad value is a usage error.
#[test]
fn the_probe_and_the_budget_flags() {
    let bomb = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/models/gather_bomb.onnx");
    let o = bin(&["inspect", bomb]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("validation: the fp32 probe run on zeros of the declared input shapes: model too large: op 'gather': output shape [1048576, 1024] is too large"),
        "{}",
        text(&o.stdout)
    );
    let o = bin(&["inspect", &model("b_residual"), "--op-cost", "10"]);
    assert!(text(&o.stdout).contains("over the per-op limit of 10"), "{}", text(&o.stdout));
    let o = bin(&["inspect", &model("b_residual"), "--memory-budget", "64"]);
    assert!(text(&o.stdout).contains("validation: ok"), "{}", text(&o.stdout));
    let o = bin(&["inspect", &model("b_residual"), "--memory-budget", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    // A quantize run under a per-op bound its first Conv exceeds: exit 1, the op named.
    let calib = reference_dir().join("calib/b_residual_calib.json");
    let out = tmp("budget_quantize");
    let o = bin(&[
        "quantize",
        &model("b_residual"),
        "--calib",
        calib.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--op-cost",
        "10",
    ]);
    assert_user_error(&o, "over the per-op limit of 10");
}

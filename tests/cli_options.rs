#![cfg(not(target_arch = "wasm32"))]
//! The CLI's PPQ-named options and calibration formats: aliases give the same run, alignment and baking
//! choices change the TQCs the way PPQ's settings do, `.npz` and an image folder calibrate exactly like the
//! equivalent `.npy`, and `run --quantized` (records replayed) equals the live pipeline's simulation.

use ppq_playground::graph::Tensor;
use ppq_playground::graph::validate::inspect_onnx;
use ppq_playground::pipeline::export::{ExportInput, ppq_default_visibility, tqc_records};
use ppq_playground::pipeline::record::Record;
use ppq_playground::pipeline::replay::Replay;
use ppq_playground::reference::reference_dir;
use ppq_playground::session::calib::calib_from_npy;
use ppq_playground::session::{self, SessionSettings};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ppq-playground")).args(args).output().expect("run ppq-playground")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ppq_cli_opts_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn model(m: &str) -> String {
    reference_dir().join(format!("models/{m}.onnx")).to_str().unwrap().to_string()
}

fn calib(m: &str) -> String {
    reference_dir().join(format!("calib/{m}_calib.npy")).to_str().unwrap().to_string()
}

/// Runs `quantize` with `extra` options into `out`; returns the tqc.json.
fn quantize(m: &str, data: &str, out: &Path, extra: &[&str]) -> Value {
    let m = model(m);
    let mut args = vec!["quantize", m.as_str(), "--calib", data, "--out", out.to_str().unwrap()];
    args.extend(extra);
    let o = bin(&args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&std::fs::read(out.join("tqc.json")).unwrap()).unwrap()
}

/// The TQC record of `op`'s input (`io` = "in") or output `index`.
fn tqc<'a>(records: &'a Value, op: &str, io: &str, index: u64) -> &'a Value {
    let found = records.as_array().unwrap().iter().find(|r| r["op"] == op && r["io"] == io && r["index"] == index);
    found.unwrap_or_else(|| panic!("no TQC {op}:{io}{index}"))
}

#[test]
fn aliases_and_ppq_spellings_give_the_same_run() {
    let d = tmp("aliases");
    let c = calib("b_residual");
    let a = quantize("b_residual", &c, &d.join("a"), &["--observer", "minmax", "--state-model", "ppq-0.6.6"]);
    let b = quantize("b_residual", &c, &d.join("b"), &["--calib-algorithm", "minmax", "--profile", "ppq-0.6.6"]);
    assert_eq!(a, b);
    let ppq = quantize("b_residual", &c, &d.join("c"), &["--elementwise-alignment", "None"]);
    let kebab = quantize("b_residual", &c, &d.join("d"), &["--elementwise-alignment", "none"]);
    assert_eq!(ppq, kebab);
    let large = quantize(
        "b_residual",
        &c,
        &d.join("e"),
        &["--elementwise-alignment", "align-to-large", "--observer", "minmax"],
    );
    assert_eq!(large, a, "'Align to Large' is TRT_INT8's default");
    // without --calib-algorithm each activation keeps its quantizer's observer (TRT_INT8: percentile), as PPQ
    let platform = quantize("b_residual", &c, &d.join("f"), &[]);
    let observers = |r: &Value| -> Vec<Value> {
        r.as_array().unwrap().iter().filter(|t| t["is_parameter"] == false).map(|t| t["observer"].clone()).collect()
    };
    assert!(observers(&platform).iter().all(|o| o == "percentile"), "{:?}", observers(&platform));
    assert!(observers(&a).iter().all(|o| o == "minmax"));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn alignment_overlap_and_baking_choices_reach_the_pipeline() {
    let d = tmp("choices");
    let c = calib("b_residual");
    let default = quantize("b_residual", &c, &d.join("default"), &[]);
    // Align to Large ties the Add's inputs (one PASSIVE master, one dominated); 'None' leaves input 1 alone.
    assert_eq!(tqc(&default, "add", "in", 1)["dominated_by"], tqc(&default, "add", "in", 0)["self"]);
    let none = quantize("b_residual", &c, &d.join("none"), &["--elementwise-alignment", "None"]);
    assert_eq!(tqc(&none, "add", "in", 1)["dominated_by"], Value::Null);
    assert_eq!(tqc(&none, "add", "in", 1)["state"], "ACTIVATED");
    assert_ne!(tqc(&none, "add", "in", 1)["scale"], tqc(&default, "add", "in", 1)["scale"]);
    // Without ParameterBakingPass the weights stay ACTIVATED, and the simulation is unchanged.
    let nb = d.join("no_baking");
    let records = quantize("b_residual", &c, &nb, &["--no-baking", "--force-overlap", "false"]);
    assert_eq!(tqc(&records, "conv1", "in", 1)["state"], "ACTIVATED");
    assert_eq!(tqc(&default, "conv1", "in", 1)["state"], "BAKED");
    let report = std::fs::read_to_string(nb.join("report.md")).unwrap();
    assert!(report.contains("**Bake parameters**: off") && report.contains("**force_overlap**: off"), "{report}");
    let sim = |dir: &Path| {
        let y = dir.join("y.npy");
        let o = bin(&[
            "run",
            &model("b_residual"),
            "--input",
            &c,
            "--quantized",
            dir.to_str().unwrap(),
            "--out",
            y.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read(y).unwrap()
    };
    assert_eq!(sim(&nb), sim(&d.join("default")), "baked or not, the same fake-quantized weights");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn npz_and_image_folders_calibrate_like_the_npy() {
    let d = tmp("formats");
    // .npz: the reference .npy as the member named after the input, deflated.
    let npy = std::fs::read(calib("b_residual")).unwrap();
    let npz = d.join("calib.npz");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&npz).unwrap());
    let deflate = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    w.start_file("other.npy", deflate).unwrap();
    w.write_all(&npy).unwrap();
    w.start_file("input.npy", deflate).unwrap();
    w.write_all(&npy).unwrap();
    w.finish().unwrap();
    let want = quantize("b_residual", &calib("b_residual"), &d.join("npy"), &[]);
    assert_eq!(quantize("b_residual", npz.to_str().unwrap(), &d.join("npz"), &[]), want);
    // digits_cnn: 64 grayscale 8×8 inputs in sixteenths of [0, 1], written as PNGs of value·240.
    let data = calib_from_npy(&std::fs::read(calib("digits_cnn")).unwrap()).unwrap();
    let images = d.join("images");
    std::fs::create_dir_all(&images).unwrap();
    for (k, s) in data.samples.iter().enumerate() {
        let px: Vec<u8> = s.iter().map(|v| (v * 240.0).round() as u8).collect();
        let img = image::GrayImage::from_raw(8, 8, px).unwrap();
        img.save_with_format(images.join(format!("{k:03}.png")), image::ImageFormat::Png).unwrap();
    }
    std::fs::write(images.join("notes.txt"), "not an image").unwrap();
    let want = quantize("digits_cnn", &calib("digits_cnn"), &d.join("digits_npy"), &[]);
    let got = quantize("digits_cnn", images.to_str().unwrap(), &d.join("digits_png"), &["--std", "240"]);
    assert_eq!(got, want);
    // errors name the problem
    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = bin(&[
        "quantize",
        &model("digits_cnn"),
        "--calib",
        empty.to_str().unwrap(),
        "--out",
        d.join("x").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no PNG or JPEG"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = bin(&[
        "quantize",
        &model("digits_cnn"),
        "--calib",
        npz.to_str().unwrap(),
        "--out",
        d.join("x").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("shape") && err.contains("'input'"), "{err}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn run_writes_npz_for_all_outputs_and_single_samples() {
    let d = tmp("run");
    let y = d.join("y.npz");
    let x = calib("digits_cnn");
    let o = bin(&["run", &model("digits_cnn"), "--input", &x, "--out", y.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let arrays = ppq_playground::session::calib::read_npz(&std::fs::read(&y).unwrap()).unwrap();
    assert_eq!(arrays.len(), 1);
    assert_eq!((arrays[0].0.as_str(), arrays[0].1.shape()), ("output", &[64, 1, 10][..]));
    // one sample of the input's own shape gives the output's own shape
    let data = calib_from_npy(&std::fs::read(&x).unwrap()).unwrap();
    let one = d.join("one.npy");
    std::fs::write(&one, ppq_playground::session::calib::write_npy_f32(&[1, 1, 8, 8], &data.samples[0]).unwrap())
        .unwrap();
    let y1 = d.join("y1.npy");
    let o = bin(&["run", &model("digits_cnn"), "--input", one.to_str().unwrap(), "--out", y1.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let Tensor::F32(first) = ppq_playground::session::calib::read_npy("y1", &std::fs::read(&y1).unwrap()).unwrap()
    else {
        panic!("float32 output")
    };
    assert_eq!(first.shape(), &[1, 10]);
    let Tensor::F32(all) = &arrays[0].1 else { panic!("float32 output") };
    assert_eq!(first.iter().collect::<Vec<_>>(), all.iter().take(10).collect::<Vec<_>>());
    // a wrong input shape and a missing quantized folder are errors naming them
    let o = bin(&["run", &model("b_residual"), "--input", &x, "--out", y.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("'input'"), "{}", String::from_utf8_lossy(&o.stderr));
    let gone = d.join("nothing_here");
    let o = bin(&[
        "run",
        &model("digits_cnn"),
        "--input",
        &x,
        "--quantized",
        gone.to_str().unwrap(),
        "--out",
        y.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing_here"), "{}", String::from_utf8_lossy(&o.stderr));
    let _ = std::fs::remove_dir_all(&d);
}

/// The records replay (what `run --quantized` does) equals the live pipeline's fake-quant simulation bit for
/// bit, for a 0.6.6 and a 0.6.5 run.
#[test]
fn replayed_records_equal_the_live_simulation() {
    for (m, platform, profile) in [
        ("b_residual", "PPL_CUDA_INT8", "ppq-0.6.6"),
        ("b_residual", "PPL_CUDA_INT8", "ppq-0.6.5"),
        ("a_concat_pool", "TRT_INT8", "ppq-0.6.6"),
    ] {
        let (g, _) = inspect_onnx(&std::fs::read(model(m)).unwrap()).unwrap();
        let data = calib_from_npy(&std::fs::read(calib(m)).unwrap()).unwrap();
        let mut settings = SessionSettings { platform: platform.into(), ..SessionSettings::default() };
        settings.set_by_url("sm", profile).unwrap();
        let (mut p, c, _) = session::prepare(g, &data, &settings).unwrap();
        p.run_all(&c).unwrap();
        let records: Vec<Record> = p.records().unwrap();
        let tqcs = tqc_records(&records);
        let graph = p.context().graph.clone();
        let input = ExportInput::new(&graph, &tqcs, &ppq_default_visibility(&tqcs)).unwrap();
        let replay = Replay::new(&input).unwrap();
        for batch in c.batches.iter().take(4) {
            let feeds: Vec<(&str, Tensor)> = batch.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
            let (live, replayed) = (p.simulate(&feeds).unwrap(), replay.run(&feeds).unwrap());
            assert_eq!(live, replayed, "{m} {platform} {profile}");
        }
    }
}

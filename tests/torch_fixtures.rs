//! The torch-exported fixtures of `tests/fixtures/models/` (written by `scripts/fixtures/make_torch_fixtures.py`:
//! torchvision's ResNet-18, MobileNetV3-small, EfficientNet-B0, ShuffleNetV2, a TransformerEncoderLayer and a
//! YOLO-like head, each exported by the TorchScript exporter at opset 17 and the dynamo exporter at opset 18,
//! plus fp16-weight, two-input and dynamic-batch models) import and run in fp32, and every output matches
//! onnxruntime's (`<name>.outputs.npz`) within 1e-4 of that output's range.
//!
//! Fixtures that do not today are listed, with the reason, in `tests/torch_fixtures_known_failing.txt`
//! (`name: reason` per line); the test fails on any other failure and prints the list loudly.
#![cfg(not(target_arch = "wasm32"))]

use ppq_playground::graph::Tensor;
use ppq_playground::graph::executor::{Executor, NoHook};
use ppq_playground::graph::validate::inspect_onnx;
use ppq_playground::session::calib::read_npz;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models")
}

fn npz(name: &str, what: &str) -> Result<Vec<(String, Tensor)>, String> {
    let p = dir().join(format!("{name}.{what}.npz"));
    read_npz(&std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?).map_err(|e| e.to_string())
}

/// Imports, runs and compares one fixture; Err says why it failed.
fn check(name: &str) -> Result<String, String> {
    let bytes = std::fs::read(dir().join(format!("{name}.onnx"))).map_err(|e| e.to_string())?;
    // the load path of the CLI and the page: import + full validation (which must not refuse a valid model)
    let (g, _) = inspect_onnx(&bytes).map_err(|e| format!("inspect: {e}"))?;
    let feeds = npz(name, "inputs")?;
    let want = npz(name, "outputs")?;
    let exec = Executor::new(&g).map_err(|e| format!("executor: {e}"))?;
    let refs: Vec<(&str, Tensor)> = feeds.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let names: Vec<&str> = want.iter().map(|(n, _)| n.as_str()).collect();
    let got = exec.forward(&refs, Some(&names), &mut NoHook).map_err(|e| format!("run: {e}"))?;
    let mut report = Vec::new();
    for ((oname, w), g) in want.iter().zip(&got) {
        let w = w.as_f32(oname).map_err(|e| e.to_string())?;
        let g = g.as_f32(oname).map_err(|e| format!("output '{oname}': {e}"))?;
        if g.shape() != w.shape() {
            return Err(format!("output '{oname}': shape {:?}, onnxruntime {:?}", g.shape(), w.shape()));
        }
        let (lo, hi) = w.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
        let range = (hi - lo).max(1e-6);
        let diff = g
            .iter()
            .zip(w.iter())
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, |m, d| if d.is_nan() { f32::INFINITY } else { m.max(d) });
        if diff > 1e-4 * range {
            return Err(format!("output '{oname}': max |diff| {diff:.3e} > 1e-4 x range {range:.3e}"));
        }
        report.push(format!("{oname} {:?} max|diff| {diff:.2e} (range {range:.2e})", g.shape()));
    }
    Ok(report.join("; "))
}

fn known_failing() -> BTreeMap<String, String> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/torch_fixtures_known_failing.txt");
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| {
            let (n, why) = l.split_once(':').unwrap_or((l, ""));
            (n.trim().to_string(), why.trim().to_string())
        })
        .collect()
}

#[test]
fn torch_fixtures_match_onnxruntime() {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("MANIFEST.json")).expect("MANIFEST.json")).unwrap();
    let models = manifest["models"].as_array().expect("models");
    assert!(models.len() >= 15, "{} fixtures in MANIFEST.json", models.len());
    let known = known_failing();
    let (mut unexpected, mut now_pass, mut passed) = (Vec::new(), Vec::new(), 0);
    for m in models {
        let name = m["name"].as_str().unwrap();
        let t0 = Instant::now();
        let r = std::panic::catch_unwind(|| check(name)).unwrap_or_else(|_| Err("panic".into()));
        let ms = t0.elapsed().as_millis();
        match (&r, known.get(name)) {
            (Ok(rep), None) => {
                passed += 1;
                println!("ok    {name} ({ms} ms): {rep}");
            }
            (Ok(rep), Some(_)) => {
                passed += 1;
                println!("ok    {name} ({ms} ms) — listed as known-failing, remove it: {rep}");
                now_pass.push(name.to_string());
            }
            (Err(e), Some(why)) => println!("KNOWN {name} ({ms} ms): {e}   [listed: {why}]"),
            (Err(e), None) => {
                println!("FAIL  {name} ({ms} ms): {e}");
                unexpected.push(format!("{name}: {e}"));
            }
        }
    }
    println!(
        "\n!!! {} of {} torch fixtures are known to fail (tests/torch_fixtures_known_failing.txt) !!!",
        known.len(),
        models.len()
    );
    for (n, why) in &known {
        println!("    {n}: {why}");
    }
    println!(
        "torch fixtures: {passed} passed, {} known failing, {} unexpected failures",
        known.len() - now_pass.len(),
        unexpected.len()
    );
    assert!(unexpected.is_empty(), "fixtures failing outside the known list: {unexpected:#?}");
}

#![cfg(not(target_arch = "wasm32"))]
//! Exporters against real PPQ 0.6.6: for every reference run, the export input is built from the reference
//! `tqc.json` and the formatted reference model, then
//! - our `trt.json` equals PPQ's (values to 1e-6 relative);
//! - our `onnx_cfg.json` is PPQ's up to the time-seeded ids (same op/variable entries and fields, the same
//!   dominator groups, the same `values` reached through them, the same dispatchings);
//! - our QDQ model passes `onnx.checker`, loads in onnxruntime (PPL_CUDA_INT8 included) and its outputs on the
//!   calibration samples are close to PPQ's simulated outputs; the baked model passes `onnx.checker`.

use ppq_playground::graph::BaseGraph;
use ppq_playground::graph::format::{FormatVersion, format_graph};
use ppq_playground::graph::import::import_onnx;
use ppq_playground::pipeline::export::{
    ExportInput, baked_onnx, onnx_config_json, ppq_default_visibility, qdq_onnx, tqc_records, trt_json,
};
use ppq_playground::pipeline::record::{Record, TqcRecord};
use ppq_playground::reference::reference_dir;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn runs() -> Vec<PathBuf> {
    let root = reference_dir().join("ppq-0.6.6");
    let mut out = Vec::new();
    for model in std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display())).flatten() {
        for run in std::fs::read_dir(model.path()).into_iter().flatten().flatten() {
            if run.path().join("tqc.json").is_file() {
                out.push(run.path());
            }
        }
    }
    out.sort();
    assert_eq!(out.len(), 13, "expected the 13 ppq-0.6.6 runs");
    out
}

fn model_of(run: &Path) -> String {
    run.parent().and_then(|p| p.file_name()).and_then(|s| s.to_str()).unwrap_or_default().to_string()
}

fn load_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).unwrap()
}

fn formatted(model: &str) -> BaseGraph {
    let bytes = std::fs::read(reference_dir().join(format!("models/{model}.onnx"))).unwrap();
    let mut g = import_onnx(&bytes).unwrap();
    format_graph(&mut g, FormatVersion::V066).unwrap();
    g
}

/// The graph whose parameters PPQ exported. PPL_DSP_INT8 runs LayerwiseEqualizationPass, which rescales
/// weights and biases before quantization; `tqc.json` does not carry parameter values, so they are taken
/// back from PPQ's own `qdq.onnx` (its float initializers are the baked values, which re-quantize to the
/// same integers). Other runs keep the formatted model's values.
fn graph_for(run: &Path) -> BaseGraph {
    let mut g = formatted(&model_of(run));
    let passes = load_json(&run.join("run.json"));
    let equalized = passes["passes"].as_array().unwrap().iter().any(|p| p.as_str().unwrap().contains("Equalization"));
    if !equalized {
        return g;
    }
    let ppq = import_onnx(&std::fs::read(run.join("qdq.onnx")).unwrap()).unwrap();
    for id in g.var_ids() {
        let name = g.var(id).name.clone();
        let Some(src) = ppq.var_by_name(&name).and_then(|v| ppq.var(v).value.clone()) else { continue };
        let v = g.var_mut(id);
        if v.is_parameter && v.value.as_ref().is_some_and(|old| old.shape() == src.shape()) {
            v.value = Some(src);
        }
    }
    g
}

fn records(run: &Path) -> Vec<TqcRecord> {
    let all: Vec<Record> = serde_json::from_value(load_json(&run.join("tqc.json"))).unwrap();
    tqc_records(&all)
}

fn rel_close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + 1e-12
}

fn values_close(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => rel_close(x.as_f64().unwrap(), y.as_f64().unwrap(), 1e-6),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_close(p, q)),
        _ => a == b,
    }
}

#[test]
fn trt_json_equals_ppq() {
    let mut checked = 0;
    for run in runs() {
        let Ok(text) = std::fs::read_to_string(run.join("trt.json")) else { continue };
        let want: Value = serde_json::from_str(&text).unwrap();
        let (g, recs) = (graph_for(&run), records(&run));
        let input = ExportInput::new(&g, &recs, &ppq_default_visibility(&recs)).unwrap();
        let got: Value = serde_json::from_str(&trt_json(&input).unwrap()).unwrap();
        let (w, o) = (want["act_quant_info"].as_object().unwrap(), got["act_quant_info"].as_object().unwrap());
        let mut wk: Vec<_> = w.keys().collect();
        let mut ok: Vec<_> = o.keys().collect();
        wk.sort();
        ok.sort();
        assert_eq!(ok, wk, "{}: variables", run.display());
        for (k, v) in w {
            assert!(values_close(v, &o[k]), "{}: {k}: ours {} vs PPQ {v}", run.display(), o[k]);
        }
        checked += 1;
    }
    assert_eq!(checked, 5, "five TRT_INT8 runs carry trt.json");
}

/// hash → (op, var) of an OnnxExporter config.
fn owners(cfg: &Value) -> HashMap<u64, (String, String)> {
    let mut out = HashMap::new();
    for (op, vars) in cfg["configs"].as_object().unwrap() {
        for (var, e) in vars.as_object().unwrap() {
            out.insert(e["hash"].as_u64().unwrap(), (op.clone(), var.clone()));
        }
    }
    out
}

#[test]
fn onnx_config_json_matches_ppq_through_dominators() {
    for run in runs() {
        let want = load_json(&run.join("onnx_cfg.json"));
        let (g, recs) = (graph_for(&run), records(&run));
        let input = ExportInput::new(&g, &recs, &ppq_default_visibility(&recs)).unwrap();
        let got: Value = serde_json::from_str(&onnx_config_json(&input).unwrap()).unwrap();
        let label = run.display().to_string();
        assert_eq!(got["dispatchings"], want["dispatchings"], "{label}: dispatchings");
        let (wo, go) = (owners(&want), owners(&got));
        let (wc, gc) = (want["configs"].as_object().unwrap(), got["configs"].as_object().unwrap());
        assert_eq!(gc.len(), wc.len(), "{label}: op count");
        let mut n = 0;
        for (op, vars) in wc {
            let gvars = gc.get(op).unwrap_or_else(|| panic!("{label}: op {op} missing")).as_object().unwrap();
            assert_eq!(gvars.len(), vars.as_object().unwrap().len(), "{label}: {op}: variables");
            for (var, w) in vars.as_object().unwrap() {
                let o = gvars.get(var).unwrap_or_else(|| panic!("{label}: {op}/{var} missing"));
                for f in ["bit_width", "policy", "state", "quant_min", "quant_max"] {
                    assert_eq!(o[f], w[f], "{label}: {op}/{var}: {f}");
                }
                let wd = &wo[&w["dominator"].as_u64().unwrap()];
                let od = &go[&o["dominator"].as_u64().unwrap()];
                assert_eq!(od, wd, "{label}: {op}/{var}: dominator");
                let (wv, ov) = (
                    &want["values"][w["hash"].as_u64().unwrap().to_string()],
                    &got["values"][o["hash"].as_u64().unwrap().to_string()],
                );
                assert!(values_close(wv, ov), "{label}: {op}/{var}: values {ov} vs PPQ {wv}");
                n += 1;
            }
        }
        assert_eq!(
            got["values"].as_object().unwrap().len(),
            want["values"].as_object().unwrap().len(),
            "{label}: values"
        );
        assert!(n > 0);
    }
}

const ORT_SCRIPT: &str = r#"
import sys, json, numpy as np, onnx, onnxruntime as ort
out = []
for spec in sys.argv[1:]:
    label, qdq, baked, calib, sim = spec.split('|')
    onnx.checker.check_model(onnx.load(qdq), full_check=True)
    onnx.checker.check_model(onnx.load(baked), full_check=True)
    x, want = np.load(calib), np.load(sim)
    res = {"label": label}
    for name, level in [("default", ort.GraphOptimizationLevel.ORT_ENABLE_ALL), ("no_opt", ort.GraphOptimizationLevel.ORT_DISABLE_ALL)]:
        so = ort.SessionOptions(); so.graph_optimization_level = level
        s = ort.InferenceSession(qdq, so, providers=["CPUExecutionProvider"])
        i = s.get_inputs()[0].name
        y = np.stack([s.run(None, {i: x[k]})[0] for k in range(x.shape[0])])
        res[name] = float(np.abs(y.reshape(want.shape) - want).max())
    res["max_abs_sim"] = float(np.abs(want).max())
    out.append(res)
print(json.dumps(out))
"#;

#[test]
fn qdq_runs_in_onnxruntime_close_to_ppq_sim() {
    let dir = std::env::temp_dir().join(format!("ppq_export_ref_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut args = Vec::new();
    let mut ppq_diff = HashMap::new();
    for run in runs() {
        let model = model_of(&run);
        let label = format!("{model}/{}", run.file_name().unwrap().to_str().unwrap());
        let (g, recs) = (graph_for(&run), records(&run));
        let input = ExportInput::new(&g, &recs, &ppq_default_visibility(&recs)).unwrap();
        let stem = label.replace('/', "__");
        let (q, b) = (dir.join(format!("{stem}_qdq.onnx")), dir.join(format!("{stem}_baked.onnx")));
        std::fs::write(&q, qdq_onnx(&input).unwrap()).unwrap();
        std::fs::write(&b, baked_onnx(&input).unwrap()).unwrap();
        let calib = reference_dir().join(format!("calib/{model}_calib.npy"));
        args.push(format!(
            "{label}|{}|{}|{}|{}",
            q.display(),
            b.display(),
            calib.display(),
            run.join("sim_outputs.npy").display()
        ));
        let runj = load_json(&run.join("run.json"));
        ppq_diff.insert(label, runj["qdq.onnx_ort"]["max_abs_diff_vs_ppq_sim"].as_f64());
    }
    let out = std::process::Command::new("python3").arg("-c").arg(ORT_SCRIPT).args(&args).output();
    if std::env::var_os("PPQ_EXPORT_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("exports kept in {}", dir.display());
    }
    let o = match out {
        Ok(o) => o,
        Err(e) => return println!("skipped: python3 not available ({e})"),
    };
    let stderr = String::from_utf8_lossy(&o.stderr);
    if !o.status.success() && stderr.contains("No module named") {
        return println!("skipped: python3 lacks onnx/onnxruntime/numpy");
    }
    assert!(o.status.success(), "onnx/onnxruntime rejected an export: {stderr}");
    let res: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(res.len(), 13);
    let mut bad = Vec::new();
    for r in &res {
        let label = r["label"].as_str().unwrap();
        let (d, n, m) =
            (r["default"].as_f64().unwrap(), r["no_opt"].as_f64().unwrap(), r["max_abs_sim"].as_f64().unwrap());
        println!(
            "{label}: max|ORT − PPQ sim| = {d:.6} (ORT optimised), {n:.6} (no graph opt); PPQ's own QDQ: {:?}; max|sim| {m:.3}",
            ppq_diff[label]
        );
        // Without graph optimisations ORT runs exactly the Q/DQ arithmetic PPQ simulates (measured: 0 on every
        // run); optimised ORT fuses into integer kernels, and must do no worse than PPQ's own QDQ export.
        let ppq = ppq_diff[label].unwrap_or(0.0);
        if n > 1e-5 * m.max(1.0) || d > ppq * 1.001 + 1e-4 * m.max(1.0) {
            bad.push(format!("{label}: QDQ differs from PPQ's simulation by {n} (no opt) / {d} (optimised)"));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

/// Structure of the QDQ model, checked without onnxruntime: opset ≥ 13, every integer initializer feeds
/// only input 0 of DequantizeLinear (never a QuantizeLinear: PPQ's PPL_CUDA export fails on exactly that),
/// PPL_CUDA_INT8 biases are int32 with zero point 0, and per-channel weights carry an `axis`.
#[test]
fn qdq_structure_integer_initializers_feed_only_dequantize() {
    use ppq_playground::graph::onnx::ModelProto;
    use prost::Message;
    for run in runs() {
        let label = run.display().to_string();
        let (g, recs) = (graph_for(&run), records(&run));
        let input = ExportInput::new(&g, &recs, &ppq_default_visibility(&recs)).unwrap();
        let m = ModelProto::decode(qdq_onnx(&input).unwrap().as_slice()).unwrap();
        let default_opset = m.opset_import.iter().find(|o| o.domain.as_deref().unwrap_or("").is_empty()).unwrap();
        assert!(default_opset.version.unwrap() >= 13, "{label}: opset");
        let graph = m.graph.unwrap();
        let dtype: HashMap<&str, i32> =
            graph.initializer.iter().map(|t| (t.name.as_deref().unwrap(), t.data_type.unwrap())).collect();
        let mut int32_weights = 0;
        for n in &graph.node {
            for (slot, name) in n.input.iter().enumerate() {
                let Some(&dt) = dtype.get(name.as_str()) else { continue };
                let is_int = matches!(dt, 2 | 3 | 6);
                let is_dq_data = n.op_type.as_deref() == Some("DequantizeLinear") && slot == 0;
                let is_qparam =
                    matches!(n.op_type.as_deref(), Some("QuantizeLinear" | "DequantizeLinear")) && slot == 2;
                if is_int && !is_qparam {
                    assert!(is_dq_data, "{label}: integer initializer {name} feeds {:?} slot {slot}", n.op_type);
                    int32_weights += usize::from(dt == 6);
                }
            }
        }
        let cuda_biases =
            recs.iter().filter(|r| r.is_parameter && r.num_of_bits > 8 && r.state == "PASSIVE_BAKED").count();
        assert_eq!(int32_weights, cuda_biases, "{label}: one int32 initializer per quantized bias");
        if label.contains("PPL_CUDA") {
            assert!(cuda_biases > 0, "{label}: PPL_CUDA quantizes biases to int32");
        }
    }
}

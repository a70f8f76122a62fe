//! Shared parity harness of `pipeline_parity_066` and `pipeline_parity_065`: quantize a reference model with
//! the run's setting on its calibration data, then compare every `tqc.json` record (state, roots,
//! scale/offset), every `passes.json` snapshot (states, roots, scales) and the simulated outputs
//! (`sim_outputs.npy`).
#![allow(dead_code)]

use ppq_playground::core::platform::TargetPlatform;
use ppq_playground::core::state::StateModel;
use ppq_playground::pipeline::record::{Record, ScaleValue};
use ppq_playground::pipeline::{CalibrationData, Pipeline, QuantizationSetting, Snapshot, SnapshotScale};
use ppq_playground::reference::reference_dir;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub fn load(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A little-endian float32 C-order `.npy` file: (shape, data).
pub fn read_npy_f32(p: &Path) -> (Vec<usize>, Vec<f32>) {
    let b = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert_eq!(&b[..6], b"\x93NUMPY", "{}", p.display());
    let (hlen, start) = if b[6] == 1 {
        (u16::from_le_bytes([b[8], b[9]]) as usize, 10)
    } else {
        (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12)
    };
    let header = std::str::from_utf8(&b[start..start + hlen]).unwrap();
    assert!(header.contains("'<f4'") && header.contains("'fortran_order': False"), "{header}");
    let shape_txt = header.split("'shape': (").nth(1).and_then(|s| s.split(')').next()).unwrap();
    let shape: Vec<usize> = shape_txt.split(',').filter_map(|s| s.trim().parse().ok()).collect();
    let data: Vec<f32> =
        b[start + hlen..].chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    assert_eq!(data.len(), shape.iter().product::<usize>());
    (shape, data)
}

/// Every run folder (one with a `tqc.json`) under `reference/<version>/<model>/`, sorted.
pub fn runs(version: &str) -> Vec<PathBuf> {
    let root = reference_dir().join(version);
    let mut out = Vec::new();
    for model in std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display())).flatten() {
        for run in std::fs::read_dir(model.path()).into_iter().flatten().flatten() {
            if run.path().join("tqc.json").is_file() {
                out.push(run.path());
            }
        }
    }
    out.sort();
    out
}

fn rel(a: f64, b: f64) -> f64 {
    if a == b { 0.0 } else { (a - b).abs() / a.abs().max(b.abs()) }
}

fn scale_values(v: &Value) -> Option<Vec<f64>> {
    match v {
        Value::Number(n) => n.as_f64().map(|x| vec![x]),
        Value::Array(a) => Some(a.iter().filter_map(Value::as_f64).collect()),
        _ => None,
    }
}

fn ours_values(v: &Option<ScaleValue>) -> Option<Vec<f64>> {
    v.as_ref().map(ScaleValue::values)
}

/// What one run compared.
#[derive(Default, Debug)]
pub struct Summary {
    /// `<model>/<run>`.
    pub name: String,
    pub records: usize,
    pub records_ok: usize,
    pub max_scale_rel: f64,
    pub snap_diffs: usize,
    /// Differences other than scale/offset values (state, root, order, field, missing TQC).
    pub structural: usize,
    /// The first snapshot entry whose scale differs: (pass, TQC).
    pub first_scale_diff: Option<(String, String)>,
    pub max_sim_abs: f64,
    pub diffs: Vec<String>,
    /// Why our pipeline refused or failed the run.
    pub error: Option<String>,
}

fn compare_snapshot(ours: &Snapshot, theirs: &Value, s: &mut Summary) {
    let tag = format!("{}[{}]", ours.pass, ours.index);
    let states = theirs["states"].as_object().cloned().unwrap_or_default();
    if states.len() != ours.states.len() {
        s.snap_diffs += 1;
        s.structural += 1;
        s.diffs.push(format!("{tag}: {} TQCs vs ours {}", states.len(), ours.states.len()));
    }
    for (id, st) in &states {
        let mut d = Vec::new();
        if ours.states.get(id).map(String::as_str) != st.as_str() {
            d.push(format!("state {st} vs {:?}", ours.states.get(id)));
        }
        let root = theirs["dominated_by"].get(id).and_then(Value::as_str);
        if ours.dominated_by.get(id).map(String::as_str) != root {
            d.push(format!("root {root:?} vs {:?}", ours.dominated_by.get(id)));
        }
        let sc = &theirs["scales"][id];
        let ok = match (sc, ours.scales.get(id).cloned().flatten()) {
            (Value::Null, None) => true,
            (Value::String(a), Some(SnapshotScale::Text(b))) => *a == b,
            (Value::Number(a), Some(SnapshotScale::Value(b))) => rel(a.as_f64().unwrap_or(f64::NAN), b) <= 1e-6,
            _ => false,
        };
        if !d.is_empty() {
            s.structural += 1;
        }
        if !ok {
            d.push(format!("scale {sc} vs {:?}", ours.scales.get(id)));
            s.first_scale_diff.get_or_insert_with(|| (ours.pass.clone(), id.clone()));
        }
        if !d.is_empty() {
            s.snap_diffs += 1;
            s.diffs.push(format!("{tag} {id}: {}", d.join("; ")));
        }
    }
}

/// The committed fixtures of `scripts/reference/make_fixtures.py` (models, calib, PPQ runs, MANIFEST.json).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference")
}

/// Every run folder under `tests/reference/<version>/`, sorted.
pub fn fixture_runs(version: &str) -> Vec<PathBuf> {
    runs_under(&fixtures_dir().join(version))
}

fn runs_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for model in std::fs::read_dir(root).unwrap_or_else(|e| panic!("{}: {e}", root.display())).flatten() {
        for run in std::fs::read_dir(model.path()).into_iter().flatten().flatten() {
            if run.path().join("tqc.json").is_file() {
                out.push(run.path());
            }
        }
    }
    out.sort();
    out
}

/// Where a model's `.onnx` and calibration data live: the committed fixtures, else the shared reference.
fn model_root(model: &str) -> PathBuf {
    let own = fixtures_dir();
    if own.join(format!("models/{model}.onnx")).is_file() { own } else { reference_dir() }
}

/// The calibration samples of a model: `<m>_calib.json` where the shared reference has one, else the
/// `[N, *input_shape]` `.npy` of the fixtures (the graph's first input).
fn calibration(root: &Path, model: &str, n: Option<usize>) -> (String, Vec<usize>, Vec<Vec<f32>>) {
    let json = root.join(format!("calib/{model}_calib.json"));
    let (input, shape, mut samples) = if json.is_file() {
        let calib = load(&json);
        let input = calib["input_name"].as_str().unwrap().to_string();
        let shape = calib["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        let samples = calib["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect())
            .collect();
        (input, shape, samples)
    } else {
        let (shape, data) = read_npy_f32(&root.join(format!("calib/{model}_calib.npy")));
        let per: usize = shape[1..].iter().product();
        ("input".to_string(), shape[1..].to_vec(), data.chunks(per).map(<[f32]>::to_vec).collect::<Vec<_>>())
    };
    if let Some(n) = n {
        samples.truncate(n);
    }
    (input, shape, samples)
}

/// Applies a run's `setting_changes` (PPQ setting names, as run_refs.py recorded them) to our setting.
fn apply_changes(setting: &mut QuantizationSetting, changes: &Value) -> Result<(), String> {
    for (k, v) in changes.as_object().into_iter().flatten() {
        match k.as_str() {
            "ssd_equalization" => setting.ssd_equalization = v.as_bool().unwrap_or(false),
            "channel_split" => setting.channel_split = v.as_bool().unwrap_or(false),
            "weight_split" => setting.weight_split = v.as_bool().unwrap_or(false),
            "weight_split_setting.interested_layers" => {
                setting.weight_split_setting.interested_layers =
                    v.as_array().into_iter().flatten().filter_map(Value::as_str).map(String::from).collect();
            }
            other => return Err(format!("setting change '{other}' has no counterpart here")),
        }
    }
    Ok(())
}

/// Quantizes the run's model with the run's setting under `model`, then compares records, snapshots
/// and simulated outputs with the reference files. A run our pipeline refuses is reported in `error`.
pub fn check_run(dir: &Path, model_kind: StateModel) -> Summary {
    let model = dir.parent().and_then(|p| p.file_name()).and_then(|s| s.to_str()).unwrap().to_string();
    check_run_at(&model_root(&model), dir, model_kind).0
}

/// [`check_run`] for a run whose model and calibration data live under `root` (`models/<m>.onnx`,
/// `calib/<m>_calib.json`: the layout of the shared reference folder). Also returns the quantized pipeline,
/// for checks beyond the reference files (e.g. accuracy); a run our pipeline refuses panics here.
pub fn check_run_in(root: &Path, dir: &Path, model_kind: StateModel) -> (Summary, Pipeline) {
    let (s, p) = check_run_at(root, dir, model_kind);
    let p = p.unwrap_or_else(|| panic!("{}: {}", s.name, s.error.clone().unwrap_or_default()));
    (s, p)
}

fn check_run_at(root: &Path, dir: &Path, model_kind: StateModel) -> (Summary, Option<Pipeline>) {
    let run = dir.file_name().and_then(|s| s.to_str()).unwrap().to_string();
    let model = dir.parent().and_then(|p| p.file_name()).and_then(|s| s.to_str()).unwrap().to_string();
    let mut s = Summary { name: format!("{model}/{run}"), ..Summary::default() };
    match check_run_into(root, dir, model_kind, &model, &run, &mut s) {
        Ok(p) => (s, Some(p)),
        Err(e) => {
            s.error = Some(e);
            (s, None)
        }
    }
}

fn check_run_into(
    root: &Path,
    dir: &Path,
    model_kind: StateModel,
    model: &str,
    run: &str,
    s: &mut Summary,
) -> Result<Pipeline, String> {
    let mut parts = run.split("__");
    let platform_name = parts.next().unwrap_or_default();
    let calib_name = parts.next().unwrap_or("default");
    let platform = TargetPlatform::from_name(platform_name)
        .ok_or_else(|| format!("platform {platform_name} is not a TargetPlatform here"))?;
    let info = load(&dir.join("run.json"));
    let n = info["n_calib"].as_u64().map(|n| n as usize);
    let (input, shape, samples) = calibration(root, model, n);
    let data = CalibrationData::single_input(&input, &shape, &samples).map_err(|e| e.to_string())?;

    let mut setting = QuantizationSetting::for_platform(platform);
    setting.state_model = model_kind;
    if calib_name != "default" {
        setting.quantize_activation_setting.calib_algorithm = Some(calib_name.to_string());
    }
    setting.quantize_activation_setting.calib_steps =
        info["calib_steps"].as_u64().map_or(samples.len() as u32, |v| v as u32);
    apply_changes(&mut setting, &info["setting_changes"])?;
    let bytes = std::fs::read(root.join(format!("models/{model}.onnx"))).map_err(|e| e.to_string())?;
    let mut p = Pipeline::from_onnx(&bytes, platform, setting).map_err(|e| format!("pipeline: {e}"))?;
    let names: Vec<&str> = info["passes"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    if p.passes() != names {
        return Err(format!("pass list {:?} vs PPQ's {names:?}", p.passes()));
    }
    p.run_all(&data).map_err(|e| format!("run: {e}"))?;

    // passes.json
    let passes = load(&dir.join("passes.json"));
    let theirs = passes.as_array().unwrap();
    let ours = &p.trace().snapshots;
    if ours.len() != theirs.len() {
        let ours: Vec<&str> = ours.iter().map(|o| o.pass.as_str()).collect();
        return Err(format!("snapshot count {} vs PPQ's {}: {ours:?}", ours.len(), theirs.len()));
    }
    for (o, t) in ours.iter().zip(theirs) {
        assert_eq!(o.pass, t["pass"].as_str().unwrap(), "{}", s.name);
        assert_eq!(serde_json::to_value(o.pipeline).unwrap(), t["pipeline"], "{}", s.name);
        assert_eq!(o.index, t["index"].as_i64().unwrap(), "{}", s.name);
        compare_snapshot(o, t, s);
    }

    // tqc.json
    let records = p.records().map_err(|e| e.to_string())?;
    let reference = load(&dir.join("tqc.json"));
    let reference = reference.as_array().unwrap();
    if records.len() != reference.len() {
        s.structural += 1;
        s.records += reference.len().saturating_sub(records.len());
        s.diffs.push(format!("record count {} vs ours {}", reference.len(), records.len()));
    }
    for (ours, r) in records.iter().zip(reference) {
        s.records += 1;
        let mut d = Vec::new();
        let mut values_only = true;
        match ours {
            Record::Op(o) => {
                let v = serde_json::to_value(o).unwrap();
                if v != *r {
                    values_only = false;
                    d.push(format!("op record {v} vs {r}"));
                }
            }
            Record::Tqc(t) => {
                let id = r["self"].as_str().unwrap_or_default();
                if t.id != id {
                    d.push(format!("order: ours {}", t.id));
                }
                let fields = [
                    ("state", Value::from(t.state.clone())),
                    ("dominated_by", serde_json::to_value(&t.dominated_by).unwrap()),
                    ("direct_dominator", serde_json::to_value(&t.direct_dominator).unwrap()),
                    ("platform", Value::from(t.platform.clone())),
                    ("observer", serde_json::to_value(&t.observer).unwrap()),
                    ("num_of_bits", Value::from(t.num_of_bits)),
                    ("quant_min", Value::from(t.quant_min)),
                    ("quant_max", Value::from(t.quant_max)),
                    ("is_parameter", Value::from(t.is_parameter)),
                ];
                for (k, v) in fields {
                    if r[k] != v {
                        d.push(format!("{k} {} vs ours {v}", r[k]));
                    }
                }
                values_only = d.is_empty();
                for (k, ov) in [("scale", &t.scale), ("offset", &t.offset)] {
                    match (scale_values(&r[k]), ours_values(ov)) {
                        (None, None) => {}
                        (Some(a), Some(b)) if a.len() == b.len() => {
                            let e = a.iter().zip(&b).map(|(x, y)| rel(*x, *y)).fold(0.0, f64::max);
                            if k == "scale" {
                                s.max_scale_rel = s.max_scale_rel.max(e);
                            }
                            if e > 1e-6 {
                                d.push(format!("{k} {a:?} vs ours {b:?}"));
                            }
                        }
                        (a, b) => d.push(format!("{k} {a:?} vs ours {b:?}")),
                    }
                }
            }
        }
        if d.is_empty() {
            s.records_ok += 1;
        } else {
            if !values_only {
                s.structural += 1;
            }
            s.diffs.push(format!("record {}: {}", r["self"].as_str().unwrap_or("op"), d.join("; ")));
        }
    }

    // sim_outputs.npy
    let (sim_shape, sim) = read_npy_f32(&dir.join("sim_outputs.npy"));
    if sim_shape[0] != data.batches.len() {
        return Err(format!("sim_outputs.npy has {} samples, calibration {}", sim_shape[0], data.batches.len()));
    }
    let per = sim.len() / sim_shape[0];
    for (i, batch) in data.batches.iter().enumerate() {
        let feeds: Vec<(&str, _)> = batch.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
        let out = p.simulate(&feeds).map_err(|e| format!("simulate: {e}"))?;
        let ours = out[0].to_f32_vec();
        if ours.len() != per {
            return Err(format!("output size {} vs PPQ's {per}", ours.len()));
        }
        for (a, b) in ours.iter().zip(&sim[i * per..(i + 1) * per]) {
            s.max_sim_abs = s.max_sim_abs.max(f64::from((a - b).abs()));
        }
    }
    Ok(p)
}

/// Prints the per-run table and the first differences of each run.
pub fn print_table(summaries: &[Summary]) {
    println!("{:<36} {:>9} {:>12} {:>10} {:>12}", "run", "records", "scale relerr", "snap diffs", "sim max|d|");
    for s in summaries {
        println!(
            "{:<36} {:>4}/{:<4} {:>12.3e} {:>10} {:>12.3e}",
            s.name, s.records_ok, s.records, s.max_scale_rel, s.snap_diffs, s.max_sim_abs
        );
    }
    for s in summaries {
        if let Some(e) = &s.error {
            println!("  {}: ERROR {e}", s.name);
        }
        for d in s.diffs.iter().take(12) {
            println!("  {}: {d}", s.name);
        }
    }
}

/// Asserts a run matches exactly: records, snapshots, scales to 1e-6 relative, sim outputs to 1e-5.
pub fn assert_exact(s: &Summary) {
    assert!(s.error.is_none(), "{}: {:?}", s.name, s.error);
    assert_eq!(s.structural, 0, "{}: states/roots/fields must match: {:#?}", s.name, s.diffs);
    assert_eq!(s.records_ok, s.records, "{}: {:#?}", s.name, s.diffs);
    assert_eq!(s.snap_diffs, 0, "{}: {:#?}", s.name, s.diffs);
    assert!(s.max_scale_rel <= 1e-6, "{}: scale rel err {}", s.name, s.max_scale_rel);
    assert!(s.max_sim_abs <= 1e-5, "{}: sim diff {}", s.name, s.max_sim_abs);
}

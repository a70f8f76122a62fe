#![cfg(not(target_arch = "wasm32"))]
//! Parity of the quantizer rules with real PPQ: for every `tqc.json` of the reference runs (0.6.6 and
//! 0.6.5.1), rebuild each quantable op's configs with [`QuantizerKind::init_quantize_config`] and compare
//! policy, rounding, bits, range and channel axis with the file, the initial state with the `<before>`
//! entry of `passes.json` (and, for 0.6.5, the state after QuantizeRefinePass), and the set of quantized
//! ops with `quant_operation_types`.

use ppq_playground::core::{QuantizationPolicy, QuantizationStates, RoundingPolicy, StateModel};
use ppq_playground::pipeline::quantizer::socket::refine_state_065;
use ppq_playground::pipeline::{OpDesc, QuantizerKind};
use ppq_playground::reference::reference_dir;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Every `<model>/<PLATFORM>__<observer>/` run folder of a PPQ version.
fn runs(version: &str) -> Vec<PathBuf> {
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

fn load(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The `states` map of the quant pipeline entry named `pass`.
fn states_at(passes: &Value, pass: &str) -> HashMap<String, String> {
    let entry = passes
        .as_array()
        .and_then(|a| a.iter().find(|e| e["pipeline"] == "quant" && e["pass"] == pass))
        .unwrap_or_else(|| panic!("no quant entry '{pass}' in passes.json"));
    let states = entry["states"].as_object().expect("states is an object");
    states.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect()
}

#[derive(Default)]
struct Tally {
    records: usize,
    ops: usize,
    mismatches: Vec<String>,
    dispatcher_fp32: Vec<String>,
}

fn check_run(dir: &Path, model: StateModel, tally: &mut Tally) {
    let run = dir.file_name().and_then(|s| s.to_str()).unwrap_or_default();
    let platform = run.split("__").next().unwrap_or_default();
    let q = QuantizerKind::from_name(platform).unwrap_or_else(|| panic!("unknown platform {platform}"));
    let tqcs = load(&dir.join("tqc.json"));
    let passes = load(&dir.join("passes.json"));
    let before = states_at(&passes, "<before>");
    let refined = (model == StateModel::Ppq065).then(|| states_at(&passes, "PPQ Quantization Config Refine Pass"));
    let label = format!("{}/{run}", dir.parent().and_then(|p| p.file_name()).and_then(|s| s.to_str()).unwrap_or(""));

    // Group the records by op, keeping file order.
    let mut order: Vec<String> = Vec::new();
    let mut by_op: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for r in tqcs.as_array().expect("tqc.json is a list") {
        let op = r["op"].as_str().unwrap_or_default().to_string();
        if !by_op.contains_key(&op) {
            order.push(op.clone());
        }
        by_op.entry(op).or_default().push(r);
    }

    for op_name in &order {
        let recs = &by_op[op_name];
        let op_type = recs[0]["op_type"].as_str().unwrap_or_default();
        let op_platform = recs[0]["platform"].as_str().unwrap_or_default();
        let quantable = recs[0]["quantable"].as_bool().unwrap_or(false);
        let in_types = q.quantizes(op_type, model);
        tally.ops += 1;
        if quantable {
            if op_platform != platform || !in_types {
                tally.mismatches.push(format!("{label}: {op_name} ({op_type}) quantable on {op_platform}"));
            }
        } else if in_types {
            // The dispatcher (not the quantizer) kept this quant-type op off the platform.
            if !matches!(op_platform, "FP32" | "SOI" | "SHAPE_OR_INDEX") {
                tally.mismatches.push(format!("{label}: {op_name} ({op_type}) unquantable on {op_platform}"));
            }
            if op_platform == "FP32" {
                tally.dispatcher_fp32.push(format!("{label}: {op_name} ({op_type})"));
            }
            continue;
        } else {
            continue;
        }

        let slots = |io: &str| {
            let mut v: Vec<&Value> = recs.iter().copied().filter(|r| r["io"] == io).collect();
            v.sort_by_key(|r| r["index"].as_u64().unwrap_or(0));
            v
        };
        let (ins, outs) = (slots("in"), slots("out"));
        let params: Vec<bool> = ins.iter().map(|r| r["is_parameter"].as_bool().unwrap_or(false)).collect();
        let desc = OpDesc::new(op_name, op_type, &params, outs.len());
        let spec = match q.init_quantize_config(&desc, model) {
            Ok(s) => s,
            Err(e) => {
                tally.mismatches.push(format!("{label}: {e}"));
                continue;
            }
        };
        let pairs = ins.iter().zip(&spec.inputs).chain(outs.iter().zip(&spec.outputs));
        for (r, s) in pairs {
            tally.records += 1;
            let id = r["self"].as_str().unwrap_or_default();
            let mut diffs = Vec::new();
            let names: Vec<&str> =
                r["policy"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            match QuantizationPolicy::from_names(&names, model) {
                Ok(p) if p == s.policy => {}
                other => diffs.push(format!("policy file {names:?} ({other:?}) vs {:?}", s.policy.names(model))),
            }
            let rounding = RoundingPolicy::from_name(r["rounding"].as_str().unwrap_or_default());
            if rounding.as_ref().ok() != Some(&s.rounding) {
                diffs.push(format!("rounding file {:?} vs {}", r["rounding"], s.rounding.name()));
            }
            let int = |k: &str| r[k].as_i64();
            if int("num_of_bits") != Some(i64::from(s.num_of_bits)) {
                diffs.push(format!("bits file {} vs {}", r["num_of_bits"], s.num_of_bits));
            }
            if int("quant_min") != Some(s.quant_min) || int("quant_max") != Some(s.quant_max) {
                diffs.push(format!(
                    "range file [{}, {}] vs [{}, {}]",
                    r["quant_min"], r["quant_max"], s.quant_min, s.quant_max
                ));
            }
            if int("channel_axis") != s.channel_axis {
                diffs.push(format!("channel_axis file {} vs {:?}", r["channel_axis"], s.channel_axis));
            }
            // Activation observers are overwritten by the run's calib_algorithm; parameters keep the quantizer's.
            if r["is_parameter"].as_bool() == Some(true)
                && r["observer"].as_str() != Some(s.observer_algorithm.as_str())
            {
                diffs.push(format!("observer file {} vs {}", r["observer"], s.observer_algorithm));
            }
            match before.get(id).map(|st| QuantizationStates::from_name(st)) {
                Some(Ok(st)) if st == s.state => {}
                other => diffs.push(format!("initial state file {other:?} vs {}", s.state.name())),
            }
            if let Some(refined) = &refined {
                let index = r["index"].as_u64().unwrap_or(0) as usize;
                let expect = match (r["io"].as_str(), refine_state_065(op_type, index, ins.len())) {
                    (Some("in"), Some(forced)) => forced,
                    _ => s.state,
                };
                match refined.get(id).map(|st| QuantizationStates::from_name(st)) {
                    Some(Ok(st)) if st == expect => {}
                    other => diffs.push(format!("state after refine file {other:?} vs {}", expect.name())),
                }
            }
            if !diffs.is_empty() {
                tally.mismatches.push(format!("{label}: {id}: {}", diffs.join("; ")));
            }
        }
        if spec.inputs.len() != ins.len() || spec.outputs.len() != outs.len() {
            tally.mismatches.push(format!("{label}: {op_name}: slot counts differ"));
        }
    }
}

fn check_version(version: &str, model: StateModel) -> Tally {
    let mut tally = Tally::default();
    let dirs = runs(version);
    assert!(!dirs.is_empty(), "no reference runs under {version}");
    for dir in dirs {
        check_run(&dir, model, &mut tally);
    }
    eprintln!(
        "{version}: {} TQC records of quantable ops compared over {} ops, {} mismatches",
        tally.records,
        tally.ops,
        tally.mismatches.len()
    );
    tally
}

#[test]
fn quantizer_configs_match_ppq_066() {
    let t = check_version("ppq-0.6.6", StateModel::Ppq066);
    assert!(t.records > 0);
    assert!(t.mismatches.is_empty(), "mismatches:\n{}", t.mismatches.join("\n"));
    // Quant-type ops the conservative dispatcher kept in FP32 (not the quantizer's doing): only PPL_CUDA's
    // conv2, which follows the FP32 Pad of d_passive (Pad is no PPL_CUDA quant type).
    assert_eq!(t.dispatcher_fp32, ["d_passive/PPL_CUDA_INT8__minmax: conv2 (Conv)"], "{:?}", t.dispatcher_fp32);
}

#[test]
fn quantizer_configs_match_ppq_065() {
    let t = check_version("ppq-0.6.5", StateModel::Ppq065);
    assert!(t.records > 0);
    assert!(t.mismatches.is_empty(), "mismatches:\n{}", t.mismatches.join("\n"));
    eprintln!("0.6.5 dispatcher FP32 quant-type ops: {:?}", t.dispatcher_fp32);
}

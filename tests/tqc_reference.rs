#![cfg(not(target_arch = "wasm32"))]
//! Rebuilds the union-find of every reference `tqc.json` (real PPQ 0.6.6 and 0.6.5 output) in a
//! `TqcStore` through the public sharing API, then checks that the store reports the same groups,
//! states and scales as PPQ did.

use ppq_playground::core::tqc::{QuantParams, TensorQuantizationConfig, TqcId, TqcStore};
use ppq_playground::core::{QuantizationPolicy, QuantizationStates as S, RoundingPolicy, StateModel};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn tqc_files(version: &str) -> Vec<PathBuf> {
    let base = ppq_playground::reference::reference_dir().join(version);
    let mut out = Vec::new();
    for model in std::fs::read_dir(&base).unwrap_or_else(|e| panic!("{}: {e}", base.display())) {
        for run in std::fs::read_dir(model.unwrap().path()).unwrap() {
            let f = run.unwrap().path().join("tqc.json");
            if f.exists() {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

fn params(scale: &Value, offset: &Value) -> Option<QuantParams> {
    let f = |v: &Value| v.as_f64().unwrap() as f32;
    match (scale, offset) {
        (Value::Null, Value::Null) => None,
        (Value::Array(s), Value::Array(o)) => {
            Some(QuantParams::per_channel(s.iter().map(f).collect(), o.iter().map(f).collect()).unwrap())
        }
        (s, o) => Some(QuantParams::per_tensor(f(s), f(o))),
    }
}

fn build(rec: &Value, model: StateModel) -> TensorQuantizationConfig {
    let names: Vec<&str> = rec["policy"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let policy = QuantizationPolicy::from_names(&names, model).unwrap();
    let state = S::from_name(rec["state"].as_str().unwrap()).unwrap();
    let mut t = TensorQuantizationConfig::new(rec["self"].as_str().unwrap(), policy).with_state(state);
    t.set_rounding(RoundingPolicy::from_name(rec["rounding"].as_str().unwrap()).unwrap());
    t.set_num_of_bits(rec["num_of_bits"].as_u64().unwrap() as u32).unwrap();
    t.set_quant_range(rec["quant_min"].as_i64().unwrap() as i32, rec["quant_max"].as_i64().unwrap() as i32).unwrap();
    t.set_channel_axis(rec["channel_axis"].as_i64().map(|a| a as i32)).unwrap();
    t.set_observer_algorithm(rec["observer"].as_str().map(str::to_string));
    // Only roots own a scale; members must read theirs through the root.
    match params(&rec["scale"], &rec["offset"]) {
        Some(p) if rec["dominated_by"].is_null() => t.with_params(p),
        _ => t,
    }
}

fn check_version(version: &str, model: StateModel) {
    let files = tqc_files(version);
    assert!(files.len() >= 12, "{version}: expected the reference runs, found {}", files.len());
    let mut linked = 0;
    for file in files {
        let all: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let recs: Vec<&Value> = all.iter().filter(|r| r.get("self").is_some()).collect();
        let mut store = TqcStore::new(model);
        let ids: Vec<TqcId> = recs.iter().map(|r| store.add(build(r, model)).unwrap()).collect();
        let by_label = |l: &str| store.find(l).unwrap_or_else(|| panic!("{}: no TQC {l}", file.display()));
        let mut links = Vec::new();
        for (rec, &id) in recs.iter().zip(&ids) {
            if let Some(dom) = rec["direct_dominator"].as_str() {
                links.push((id, by_label(dom), S::from_name(rec["state"].as_str().unwrap()).unwrap()));
            }
        }
        for &(child, target, state) in &links {
            let ctx = format!("{}: {:?}", file.display(), store.get(child).unwrap().label());
            match state {
                S::OVERLAPPED => store.dominate(child, target).expect(&ctx),
                S::PASSIVE | S::PASSIVE_INIT | S::PASSIVE_BAKED => {
                    store.master_by(child, target).expect(&ctx);
                    store.set_state(child, state, "reference").expect(&ctx);
                }
                S::SLAVE => store.set_master(child, target, false).expect(&ctx),
                other => panic!("{ctx}: unexpected dominated state {other}"),
            }
            linked += 1;
        }
        // states, roots and scales as PPQ recorded them
        let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (rec, &id) in recs.iter().zip(&ids) {
            let label = rec["self"].as_str().unwrap();
            let root_label = rec["dominated_by"].as_str().unwrap_or(label);
            expected.entry(root_label.to_string()).or_default().insert(label.to_string());
            let ctx = format!("{}: {label}", file.display());
            assert_eq!(store.get(id).unwrap().state().name(), rec["state"].as_str().unwrap(), "{ctx}");
            assert_eq!(store.get(store.root(id).unwrap()).unwrap().label(), root_label, "{ctx}");
            assert_eq!(store.params(id).unwrap().cloned(), params(&rec["scale"], &rec["offset"]), "{ctx}");
        }
        let ours: BTreeMap<String, BTreeSet<String>> = store
            .groups()
            .unwrap()
            .into_iter()
            .map(|g| {
                let label = |i: TqcId| store.get(i).unwrap().label().to_string();
                (label(g.root), g.members.into_iter().map(label).collect())
            })
            .collect();
        assert_eq!(ours, expected, "{}", file.display());
    }
    assert!(linked > 50, "{version}: only {linked} links rebuilt");
}

#[test]
fn groups_match_ppq_066() {
    check_version("ppq-0.6.6", StateModel::Ppq066);
}

#[test]
fn groups_match_ppq_065() {
    check_version("ppq-0.6.5", StateModel::Ppq065);
}

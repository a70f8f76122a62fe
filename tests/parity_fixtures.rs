#![cfg(not(target_arch = "wasm32"))]
//! Parity with real PPQ on the committed fixtures of `scripts/reference/make_fixtures.py` (depthwise
//! stack, Swish and Mish chains, attention block, a dynamo-style ReduceMean) and on the shared models,
//! for every platform each release has (`tests/reference/MANIFEST.json` lists what ran and what PPQ
//! refused). Each run: every TQC record, every per-pass snapshot and the simulated outputs.

mod parity_common;

use parity_common::{Summary, assert_exact, check_run, fixture_runs, print_table};
use ppq_playground::core::state::StateModel;

fn check(version: &str, model: StateModel, only: &dyn Fn(&str) -> bool) -> Vec<Summary> {
    let dirs = fixture_runs(version);
    assert!(!dirs.is_empty(), "no runs under tests/reference/{version}: run scripts/reference/run_refs.py");
    let summaries: Vec<_> = dirs
        .iter()
        .filter(|d| only(&d.parent().unwrap().file_name().unwrap().to_string_lossy()))
        .map(|d| check_run(d, model))
        .collect();
    print_table(&summaries);
    summaries
}

/// The runs of `model` must all match exactly.
fn assert_model(version: &str, state: StateModel, model: &str) {
    let s = check(version, state, &|m| m == model);
    assert!(!s.is_empty(), "no {version} runs of {model}");
    for s in &s {
        assert_exact(s);
    }
}

#[test]
fn swish_chains_match_ppq_066() {
    assert_model("ppq-0.6.6", StateModel::Ppq066, "f_swish");
}

#[test]
fn mish_chains_match_ppq_066() {
    assert_model("ppq-0.6.6", StateModel::Ppq066, "g_mish");
}

/// Every run of both releases, printed as a table (`cargo test --test parity_fixtures survey -- --ignored --nocapture`).
#[test]
#[ignore]
fn survey() {
    let filter = std::env::var("SURVEY_MODEL").unwrap_or_default();
    for (v, m) in [("ppq-0.6.6", StateModel::Ppq066), ("ppq-0.6.5", StateModel::Ppq065)] {
        check(v, m, &|name| filter.is_empty() || name == filter);
    }
}

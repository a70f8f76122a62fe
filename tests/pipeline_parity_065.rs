#![cfg(not(target_arch = "wasm32"))]
//! End-to-end parity of the classic pipeline (`state_model = ppq-0.6.5`) with real PPQ 0.6.5.1: for every
//! reference run under `reference/ppq-0.6.5`, quantize the model with the run's setting, then compare every
//! `tqc.json` record, every `passes.json` snapshot and the simulated outputs. Prints a per-run table.

mod parity_common;

use parity_common::{assert_exact, check_run, print_table, runs};
use ppq_playground::core::state::StateModel;

#[test]
fn pipeline_matches_ppq_065_reference_runs() {
    let summaries: Vec<_> = runs("ppq-0.6.5").iter().map(|d| check_run(d, StateModel::Ppq065)).collect();
    assert_eq!(summaries.len(), 12, "expected 12 reference runs");
    print_table(&summaries);
    for s in &summaries {
        assert_exact(s);
    }
}

#![cfg(not(target_arch = "wasm32"))]
//! End-to-end parity of the 0.6.6 pipeline with real PPQ: for every reference run, quantize the model
//! with the run's setting on its calibration data, then compare every `tqc.json` record (state, roots,
//! scale/offset), every `passes.json` snapshot (states, roots, scales) and the simulated outputs
//! (`sim_outputs.npy`). Prints a per-run summary table.

mod parity_common;

use parity_common::{assert_exact, check_run, print_table, runs};
use ppq_playground::core::state::StateModel;

#[test]
fn pipeline_matches_ppq_066_reference_runs() {
    let summaries: Vec<_> = runs("ppq-0.6.6").iter().map(|d| check_run(d, StateModel::Ppq066)).collect();
    assert_eq!(summaries.len(), 13, "expected 13 reference runs");
    print_table(&summaries);
    // LayerwiseEqualizationPass makes the two PPL_DSP_INT8 runs with conv → relu → conv chains
    // (a_concat_pool, b_residual) match as well: every run is exact.
    for s in &summaries {
        assert_exact(s);
    }
}

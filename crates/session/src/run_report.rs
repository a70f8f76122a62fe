//! One ordinary run from settings to results: the model, a calibration source and the settings go in,
//! every pass runs, and what any view shows of a finished run comes out — the `tqc.json` records, the
//! per-pass snapshots, PPQ's SNR per layer and per graph output, and the baking view of each parameter.
//! Lessons, sweeps and rule-set comparisons are several of these runs; the worker answers each with one
//! [`RunReport`], so the page shows exactly what the CLI computes.

use crate::prepare::prepare;
use crate::settings::SessionSettings;
use crate::source::{CalibSource, load_calib};
use ppq_graph::validate::inspect_onnx;
use ppq_pipeline::analysis::{LayerError, OutputError};
use ppq_pipeline::baking_view::{BakingView, baking_view};
use ppq_pipeline::record::Record;
use ppq_pipeline::{CalibrationData, Pipeline, graphwise_error};
use serde::{Deserialize, Serialize};

/// Calibration batches the per-layer SNR is measured on (the first ones; enough for a small model).
pub const SNR_BATCHES: usize = 8;

/// Rows of each parameter's baking view.
pub const BAKING_ROWS: usize = 6;

/// Parameters given a baking view, at most (a bundled sample has far fewer).
pub const MAX_BAKING_VIEWS: usize = 64;

/// What one finished run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// The settings it ran with.
    pub settings: SessionSettings,
    /// `tqc.json` records of the final state.
    pub records: Vec<Record>,
    /// The `passes.json`-shaped snapshots (one per pass plus the `<before>` entries), as JSON text.
    pub snapshots_json: String,
    /// PPQ's SNR of each quantable op's output 0 on the first [`SNR_BATCHES`] batches.
    pub layers: Vec<LayerError>,
    /// PPQ's SNR of each graph output on the same batches.
    pub outputs: Vec<OutputError>,
    /// Before/after baking of the parameter TQCs.
    pub baking: Vec<BakingView>,
    /// Calibration samples read from the source.
    pub samples: usize,
    /// Calibration steps RuntimeCalibrationPass fed (the samples cycled).
    pub steps: u32,
    /// Where the samples came from, in words.
    pub calibration: String,
}

/// The first [`SNR_BATCHES`] calibration batches.
fn snr_batches(calib: &CalibrationData) -> CalibrationData {
    CalibrationData { batches: calib.batches.iter().take(SNR_BATCHES).cloned().collect() }
}

fn baking_views(p: &Pipeline, records: &[Record]) -> Vec<BakingView> {
    records
        .iter()
        .filter_map(Record::as_tqc)
        .filter(|t| t.is_parameter)
        .take(MAX_BAKING_VIEWS)
        // a parameter that is not a float tensor has no baking view; the page then shows none
        .filter_map(|t| baking_view(p.context(), &t.id, BAKING_ROWS).ok())
        .collect()
}

/// Prepares the run (the same [`prepare`] as the CLI's `quantize`) and runs every pass.
pub fn run_pipeline(
    model: &[u8],
    src: &CalibSource,
    settings: &SessionSettings,
) -> Result<(Pipeline, CalibrationData, usize), String> {
    let (g, _) = inspect_onnx(model).map_err(|e| e.to_string())?;
    let data = load_calib(&g, src)?;
    let (mut pipeline, calib, samples) = prepare(g, &data, settings)?;
    pipeline.run_all(&calib).map_err(|e| e.to_string())?;
    Ok((pipeline, calib, samples))
}

/// Runs `settings` on `model` with samples from `src` to the end and reports it.
pub fn run_to_end(model: &[u8], src: &CalibSource, settings: &SessionSettings) -> Result<RunReport, String> {
    let (pipeline, calib, samples) = run_pipeline(model, src, settings)?;
    report(&pipeline, &calib, samples, src, settings)
}

/// The report of a finished pipeline.
pub fn report(
    pipeline: &Pipeline,
    calib: &CalibrationData,
    samples: usize,
    src: &CalibSource,
    settings: &SessionSettings,
) -> Result<RunReport, String> {
    let records = pipeline.records().map_err(|e| e.to_string())?;
    let snapshots_json = serde_json::to_string(&pipeline.trace().snapshots).map_err(|e| e.to_string())?;
    let (layers, outputs) =
        graphwise_error(pipeline.context(), &snr_batches(calib)).map_err(|e| format!("per-layer error: {e}"))?;
    Ok(RunReport {
        settings: settings.clone(),
        baking: baking_views(pipeline, &records),
        records,
        snapshots_json,
        layers,
        outputs,
        samples,
        steps: pipeline.context().setting.quantize_activation_setting.calib_steps,
        calibration: src.describe(),
    })
}

//! One experiment of the teaching page (a link, a lesson step), run in the Web Worker: the main run, its
//! `quirks = fixed` twin (for the quirk notes), the `vs` comparison, the `sweep` variants (the alignment
//! lesson's side-by-side), PPQ's per-layer SNR of each run, and the baking view of every parameter.
//!
//! It only calls [`run_full`], [`graphwise_error`] and [`baking_view`]; the page renders the plain data it
//! returns. The answer carries the job's key so the page can drop answers to jobs it no longer wants.

use crate::experiment::Experiment;
use crate::run::{OutputError, RunOutput, run_full};
use ppq_core::quirks::Quirks;
use ppq_pipeline::baking_view::{BakingView, baking_view};
use ppq_pipeline::record::Record;
use ppq_pipeline::{CalibrationData, Pipeline, graphwise_error};
use ppq_session::calib::calib_from_json;
use serde::{Deserialize, Serialize};

/// Calibration batches the per-layer SNR is measured on (the first ones; enough for a small sample model).
pub const SNR_BATCHES: usize = 8;

/// Rows of each parameter's baking view.
pub const BAKING_ROWS: usize = 6;

/// Parameters given a baking view, at most (a bundled sample has far fewer).
pub const MAX_BAKING_VIEWS: usize = 64;

/// What the page sends: the experiment (URL hash), the sample's bytes and its calibration JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentJob {
    /// The page's key of this job, echoed in the answer.
    pub key: String,
    /// The experiment as a URL hash.
    pub hash: String,
    /// ONNX bytes of the sample.
    pub model: Vec<u8>,
    /// The sample's reference calibration JSON, if it has one.
    pub calib_json: Option<String>,
}

/// PPQ's SNR (noise / signal) of one quantable op's output 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSnr {
    /// Op name.
    pub op: String,
    /// Noise-to-signal ratio (0 is perfect).
    pub snr: f64,
}

/// One run besides the main one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantRun {
    /// What it changes (`Align to Large`), for column heads.
    pub label: String,
    /// The overrides applied to the experiment (`ew:large`).
    pub overrides: String,
    /// Its `tqc.json` records.
    pub records: Vec<Record>,
    /// Error at the graph outputs.
    pub outputs: Vec<OutputError>,
    /// Per-layer SNR.
    pub layers: Vec<LayerSnr>,
}

/// Everything one experiment produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentReport {
    /// `tqc.json` text of the main run.
    pub tqc_json: String,
    /// Its snapshots (`passes.json` shape) as JSON.
    pub snapshots_json: String,
    /// Error at the graph outputs.
    pub outputs: Vec<OutputError>,
    /// Where the calibration data came from.
    pub calibration: String,
    /// Per-layer SNR of the main run.
    pub layers: Vec<LayerSnr>,
    /// Records of the same experiment with `quirks = fixed` (only when the experiment is `faithful`).
    pub fixed: Option<Vec<Record>>,
    /// The `vs` comparison run.
    pub compare: Option<VariantRun>,
    /// The `sweep` runs, in the sweep's order.
    pub sweep: Vec<VariantRun>,
    /// Before/after baking of every parameter TQC.
    pub baking: Vec<BakingView>,
}

/// The worker's answer to an [`ExperimentJob`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentAnswer {
    /// The job's key.
    pub key: String,
    /// The report, or a sentence saying what failed.
    pub result: Result<ExperimentReport, String>,
}

fn layer_snr(p: &Pipeline, calib: &CalibrationData) -> Result<Vec<LayerSnr>, String> {
    let few = CalibrationData { batches: calib.batches.iter().take(SNR_BATCHES).cloned().collect() };
    let (layers, _) = graphwise_error(p.context(), &few).map_err(|e| format!("per-layer error: {e}"))?;
    Ok(layers.into_iter().map(|l| LayerSnr { op: l.op, snr: l.snr }).collect())
}

fn variant(
    bytes: &[u8],
    base: &Experiment,
    label: &str,
    overrides: &str,
    calib: Option<&ppq_session::calib::CalibData>,
) -> Result<VariantRun, String> {
    let (exp, warnings) = base.with_overrides(overrides);
    if let Some(w) = warnings.first() {
        return Err(w.clone());
    }
    let (out, p, data) = run_full(bytes, &exp, calib).map_err(|e| format!("{} ({}): {e}", label, exp.label()))?;
    Ok(VariantRun {
        label: label.to_string(),
        overrides: overrides.to_string(),
        layers: layer_snr(&p, &data)?,
        records: out.records,
        outputs: out.outputs,
    })
}

fn baking_views(p: &Pipeline, out: &RunOutput) -> Vec<BakingView> {
    out.records
        .iter()
        .filter_map(Record::as_tqc)
        .filter(|t| t.is_parameter)
        .take(MAX_BAKING_VIEWS)
        // a parameter that is not a float tensor has no baking view; the page then shows none
        .filter_map(|t| baking_view(p.context(), &t.id, BAKING_ROWS).ok())
        .collect()
}

/// Runs the job: every run the experiment asks for.
pub fn execute(job: &ExperimentJob) -> Result<ExperimentReport, String> {
    let (exp, warnings) = Experiment::from_hash(&job.hash);
    if let Some(w) = warnings.first() {
        return Err(format!("the experiment link: {w}"));
    }
    let calib = match &job.calib_json {
        Some(text) => Some(calib_from_json(text).map_err(|e| format!("calibration JSON: {e}"))?),
        None => None,
    };
    let (out, p, data) = run_full(&job.model, &exp, calib.as_ref())?;
    let fixed = if exp.quirks == Quirks::Faithful {
        let f = Experiment { quirks: Quirks::Fixed, ..exp.clone() };
        // the quirk notes are a bonus: a failing `fixed` run leaves them out instead of failing the page
        run_full(&job.model, &f, calib.as_ref()).ok().map(|(o, _, _)| o.records)
    } else {
        None
    };
    let compare = match &exp.compare {
        Some(vs) => Some(variant(&job.model, &exp, vs, vs, calib.as_ref()).map_err(|e| format!("comparison: {e}"))?),
        None => None,
    };
    let mut sweep = Vec::new();
    for (label, overrides) in exp.sweep_variants() {
        sweep.push(variant(&job.model, &exp, label, overrides, calib.as_ref())?);
    }
    let tqc_json = ppq_pipeline::export::tqc_json(&out.records).map_err(|e| e.to_string())?;
    let snapshots_json = serde_json::to_string(&out.snapshots).map_err(|e| e.to_string())?;
    Ok(ExperimentReport {
        tqc_json,
        snapshots_json,
        layers: layer_snr(&p, &data)?,
        baking: baking_views(&p, &out),
        outputs: out.outputs,
        calibration: out.calibration,
        fixed,
        compare,
        sweep,
    })
}

/// [`execute`] wrapped with the job's key.
pub fn answer(job: &ExperimentJob) -> ExperimentAnswer {
    ExperimentAnswer { key: job.key.clone(), result: execute(job) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(sample: &str, hash: &str) -> ExperimentJob {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        ExperimentJob {
            key: "k".into(),
            hash: hash.into(),
            model: std::fs::read(format!("{root}/www/samples/{sample}.onnx")).unwrap(),
            calib_json: std::fs::read_to_string(format!("{root}/www/samples/calib/{sample}_calib.json")).ok(),
        }
    }

    fn scale_of(records: &[Record], id: &str) -> Option<Vec<f64>> {
        records
            .iter()
            .filter_map(Record::as_tqc)
            .find(|t| t.id == id)
            .and_then(|t| t.scale.as_ref())
            .map(|s| s.values())
    }

    #[test]
    fn alignment_sweep_shows_shared_and_separate_scales_and_layer_errors() {
        let r = execute(&job("b_residual", "#m=b_residual&sweep=ew&op=add")).unwrap();
        let labels: Vec<&str> = r.sweep.iter().map(|v| v.label.as_str()).collect();
        assert_eq!(labels, ["Align to Large", "Align to Output", "None"]);
        let (large, none) = (&r.sweep[0], &r.sweep[2]);
        // aligned: both Add inputs read one scale; None: each keeps its own calibrated scale
        assert_eq!(scale_of(&large.records, "add:in0:c2"), scale_of(&large.records, "add:in1:input"));
        assert_ne!(scale_of(&none.records, "add:in0:c2"), scale_of(&none.records, "add:in1:input"));
        for v in &r.sweep {
            assert!(v.layers.iter().any(|l| l.op == "add"), "{}: {:?}", v.label, v.layers);
            assert!(v.layers.iter().all(|l| l.snr.is_finite() && l.snr >= 0.0));
        }
        let add = |v: &VariantRun| v.layers.iter().find(|l| l.op == "add").map(|l| l.snr);
        assert_ne!(add(large), add(none), "the alignment method changes the Add's error");
        // the main run is the experiment itself (default = Align to Large): same records as that column
        let main: Vec<Record> = serde_json::from_str(&r.tqc_json).unwrap();
        assert_eq!(main, large.records);
    }

    #[test]
    fn baking_views_cover_the_parameters_and_bias_precision_is_reported() {
        let r = execute(&job("d_passive", "#m=d_passive&p=PPL_CUDA_INT8")).unwrap();
        let w = r.baking.iter().find(|b| b.tqc == "conv1:in1:c1_w").expect("weight view");
        assert_eq!(w.state, "BAKED");
        let b = r.baking.iter().find(|b| b.tqc == "conv1:in2:c1_b").expect("bias view");
        assert!(b.bias.is_some());
        assert!(r.fixed.is_some() && r.compare.is_none() && r.sweep.is_empty());
        assert!(!r.layers.is_empty());
    }

    #[test]
    fn comparison_and_bad_links_are_reported() {
        let r = execute(&job("b_residual", "#m=b_residual&vs=p:PPL_DSP_INT8")).unwrap();
        let c = r.compare.unwrap();
        assert_eq!(c.overrides, "p:PPL_DSP_INT8");
        assert!(!c.outputs.is_empty());
        let e = execute(&job("b_residual", "#m=b_residual&vs=p:NOPE")).unwrap_err();
        assert!(e.contains("comparison"), "{e}");
        let e = execute(&job("b_residual", "#m=b_residual&p=NOPE")).unwrap_err();
        assert!(e.contains("platform"), "{e}");
        let bad = ExperimentJob { model: b"junk".to_vec(), ..job("b_residual", "#m=b_residual") };
        assert!(answer(&bad).result.is_err());
    }
}

//! One experiment of the teaching page (a link, a lesson step) as a plan of ordinary session runs: the main
//! run, its `quirks = fixed` twin (for the quirk notes), the `vs` comparison and the `sweep` variants (the
//! alignment lesson's side-by-side). Each planned run is just settings; the worker runs each with
//! [`run_to_end`] like any other session, and [`compose`] puts the answers together. The worker knows
//! sessions, not lessons.

use crate::experiment::Experiment;
use crate::run::calib_source;
use ppq_core::quirks::Quirks;
use ppq_pipeline::record::Record;
use ppq_session::{CalibSource, RunReport, SessionSettings, run_to_end};
use serde::{Deserialize, Serialize};

/// What a planned run is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// The experiment itself.
    Main,
    /// The same with `quirks = fixed`: its differences are the quirk notes (a failing twin only hides them).
    Fixed,
    /// The `vs` rule set.
    Compare,
    /// One column of the sweep.
    Sweep,
}

/// One run of an experiment's plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRun {
    /// What it is for.
    pub role: Role,
    /// Column head (`Align to Large`), or the experiment's label.
    pub label: String,
    /// The overrides applied to the experiment (`ew:large`; empty for the main run).
    pub overrides: String,
    /// The settings it runs with.
    pub settings: SessionSettings,
}

/// One run besides the main one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantRun {
    /// What it changes (`Align to Large`), for column heads.
    pub label: String,
    /// The overrides applied to the experiment (`ew:large`).
    pub overrides: String,
    /// Its report.
    pub report: RunReport,
}

/// Everything one experiment produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentReport {
    /// The main run.
    pub main: RunReport,
    /// Records of the same experiment with `quirks = fixed` (only when the experiment is `faithful`).
    pub fixed: Option<Vec<Record>>,
    /// The `vs` comparison run.
    pub compare: Option<VariantRun>,
    /// The `sweep` runs, in the sweep's order.
    pub sweep: Vec<VariantRun>,
}

/// The runs an experiment needs, main run first; a bad override is an error naming it.
pub fn plan(exp: &Experiment) -> Result<Vec<PlannedRun>, String> {
    let mut runs = vec![PlannedRun {
        role: Role::Main,
        label: exp.label(),
        overrides: String::new(),
        settings: exp.settings.clone(),
    }];
    if exp.settings.quirks == Quirks::Faithful {
        let settings = SessionSettings { quirks: Quirks::Fixed, ..exp.settings.clone() };
        runs.push(PlannedRun {
            role: Role::Fixed,
            label: "quirks fixed".into(),
            overrides: "q:fixed".into(),
            settings,
        });
    }
    let variant = |role: Role, label: &str, overrides: &str| -> Result<PlannedRun, String> {
        let (e, warnings) = exp.with_overrides(overrides);
        match warnings.first() {
            Some(w) => Err(w.clone()),
            None => Ok(PlannedRun { role, label: label.into(), overrides: overrides.into(), settings: e.settings }),
        }
    };
    if let Some(vs) = &exp.compare {
        runs.push(variant(Role::Compare, vs, vs).map_err(|e| format!("comparison: {e}"))?);
    }
    for (label, overrides) in exp.sweep_variants() {
        runs.push(variant(Role::Sweep, label, overrides)?);
    }
    Ok(runs)
}

/// Puts the answers of a plan's runs (in the plan's order) together.
pub fn compose(plan: &[PlannedRun], answers: Vec<Result<RunReport, String>>) -> Result<ExperimentReport, String> {
    if plan.len() != answers.len() {
        return Err(format!("{} answers for {} planned runs", answers.len(), plan.len()));
    }
    let (mut main, mut fixed, mut compare, mut sweep) = (None, None, None, Vec::new());
    for (run, answer) in plan.iter().zip(answers) {
        let named = |e: String| match run.role {
            Role::Main => e,
            Role::Compare => format!("comparison: {} ({}): {e}", run.label, run.overrides),
            _ => format!("{} ({}): {e}", run.label, run.overrides),
        };
        match run.role {
            Role::Main => main = Some(answer.map_err(named)?),
            // the quirk notes are a bonus: a failing `fixed` run leaves them out instead of failing the page
            Role::Fixed => fixed = answer.ok().map(|r| r.records),
            Role::Compare => {
                let report = answer.map_err(named)?;
                compare = Some(VariantRun { label: run.label.clone(), overrides: run.overrides.clone(), report });
            }
            Role::Sweep => {
                let report = answer.map_err(named)?;
                sweep.push(VariantRun { label: run.label.clone(), overrides: run.overrides.clone(), report });
            }
        }
    }
    let main = main.ok_or("the plan has no main run")?;
    Ok(ExperimentReport { main, fixed, compare, sweep })
}

/// Runs every planned run here, one after the other (natively and in tests; the page posts each to the
/// worker instead).
pub fn execute(exp: &Experiment, model: &[u8], calib: &CalibSource) -> Result<ExperimentReport, String> {
    let runs = plan(exp)?;
    let answers = runs.iter().map(|r| run_to_end(model, calib, &r.settings)).collect();
    compose(&runs, answers)
}

/// [`execute`] for a link (`#m=…`) on a sample's bytes and its reference calibration JSON.
pub fn execute_link(hash: &str, model: &[u8], reference_json: Option<&str>) -> Result<ExperimentReport, String> {
    let (exp, warnings) = Experiment::from_hash(hash);
    if let Some(w) = warnings.first() {
        return Err(format!("the experiment link: {w}"));
    }
    execute(&exp, model, &calib_source(&exp, reference_json))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(sample: &str, hash: &str) -> Result<ExperimentReport, String> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let model = std::fs::read(format!("{root}/www/samples/{sample}.onnx")).unwrap();
        let calib = std::fs::read_to_string(format!("{root}/www/samples/calib/{sample}_calib.json")).ok();
        execute_link(hash, &model, calib.as_deref())
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
        let r = job("b_residual", "#m=b_residual&sweep=ew&op=add").unwrap();
        let labels: Vec<&str> = r.sweep.iter().map(|v| v.label.as_str()).collect();
        assert_eq!(labels, ["Align to Large", "Align to Output", "None"]);
        let (large, none) = (&r.sweep[0], &r.sweep[2]);
        // aligned: both Add inputs read one scale; None: each keeps its own calibrated scale
        assert_eq!(scale_of(&large.report.records, "add:in0:c2"), scale_of(&large.report.records, "add:in1:input"));
        assert_ne!(scale_of(&none.report.records, "add:in0:c2"), scale_of(&none.report.records, "add:in1:input"));
        for v in &r.sweep {
            assert!(v.report.layers.iter().any(|l| l.op == "add"), "{}: {:?}", v.label, v.report.layers);
            assert!(v.report.layers.iter().all(|l| l.snr.is_finite() && l.snr >= 0.0));
        }
        let add = |v: &VariantRun| v.report.layers.iter().find(|l| l.op == "add").map(|l| l.snr);
        assert_ne!(add(large), add(none), "the alignment method changes the Add's error");
        // the main run is the experiment itself (default = Align to Large): same records as that column
        assert_eq!(r.main.records, large.report.records);
    }

    #[test]
    fn baking_views_cover_the_parameters_and_bias_precision_is_reported() {
        let r = job("d_passive", "#m=d_passive&p=PPL_CUDA_INT8").unwrap();
        let w = r.main.baking.iter().find(|b| b.tqc == "conv1:in1:c1_w").expect("weight view");
        assert_eq!(w.state, "BAKED");
        let b = r.main.baking.iter().find(|b| b.tqc == "conv1:in2:c1_b").expect("bias view");
        assert!(b.bias.is_some());
        assert!(r.fixed.is_some() && r.compare.is_none() && r.sweep.is_empty());
        assert!(!r.main.layers.is_empty());
    }

    #[test]
    fn comparison_and_bad_links_are_reported() {
        let r = job("b_residual", "#m=b_residual&vs=p:PPL_DSP_INT8").unwrap();
        let c = r.compare.unwrap();
        assert_eq!(c.overrides, "p:PPL_DSP_INT8");
        assert!(!c.report.outputs.is_empty());
        let e = job("b_residual", "#m=b_residual&vs=p:NOPE").unwrap_err();
        assert!(e.contains("comparison"), "{e}");
        let e = job("b_residual", "#m=b_residual&p=NOPE").unwrap_err();
        assert!(e.contains("platform"), "{e}");
        assert!(execute_link("#m=b_residual", b"junk", None).is_err());
    }
}

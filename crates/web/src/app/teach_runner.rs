//! The page's side of teaching experiments (links, lesson steps): fetch the sample, prepare the graph to
//! draw, post the run to the teaching worker (a second instance of `worker.js`, so the pipeline panel's
//! session is never disturbed), and turn its [`ExperimentReport`] into what the page shows. No pipeline pass
//! runs on the main thread.

use super::model::{ResultView, ViewModel};
use super::runner::WorkerHandle;
use super::{Msg, RunBundle, loader};
use ppq_graph::BaseGraph;
use ppq_pipeline::baking_view::BakingView;
use ppq_pipeline::record::Record;
use ppq_teach::compare::diff;
use ppq_teach::experiment::Experiment;
use ppq_teach::run::prepared_graph;
use ppq_teach::teach::{ExperimentJob, ExperimentReport, LayerSnr, VariantRun};
use ppq_worker::protocol::{Request, Response};
use yew::prelude::*;

/// A sample fetched for an experiment, with the graph the page draws.
pub struct Fetched {
    /// The experiment.
    pub exp: Experiment,
    /// Sample name.
    pub name: String,
    /// ONNX bytes.
    pub bytes: Vec<u8>,
    /// Reference calibration JSON.
    pub calib_json: Option<String>,
    /// The prepared (formatted, dispatched) graph.
    pub graph: BaseGraph,
}

/// What the teaching views show besides the graph: per-layer SNR, the sweep and the baking views.
#[derive(Debug, Default, PartialEq)]
pub struct Extras {
    /// Per-layer SNR of the experiment.
    pub layers: Vec<LayerSnr>,
    /// Per-layer SNR of the `vs` run.
    pub compare_layers: Vec<LayerSnr>,
    /// The sweep's columns.
    pub sweep: Vec<VariantRun>,
    /// The label of the main run.
    pub label: String,
    /// Before/after baking of every parameter.
    pub baking: Vec<BakingView>,
}

/// Fetches the experiment's sample and its calibration data and prepares its graph.
pub async fn fetch(exp: Experiment) -> Result<Fetched, String> {
    let Some(name) = exp.sample.clone() else { return Err("no sample is chosen".into()) };
    let bytes = loader::fetch_bytes(&format!("{name}.onnx")).await?;
    let calib_json = loader::fetch_text(&format!("calib/{name}_calib.json")).await.ok();
    let graph = prepared_graph(&bytes, &exp).map_err(|e| format!("{name}: {e}"))?;
    Ok(Fetched { exp, name, bytes, calib_json, graph })
}

/// The worker request for `f` under `key`.
pub fn request(key: &str, f: &Fetched) -> Request {
    Request::Experiment(Box::new(ExperimentJob {
        key: key.to_string(),
        hash: f.exp.to_hash(),
        model: f.bytes.clone(),
        calib_json: f.calib_json.clone(),
    }))
}

/// The page's bundle from the worker's report.
pub fn bundle(f: &Fetched, report: ExperimentReport) -> Result<RunBundle, String> {
    let exp = &f.exp;
    let source = format!("Our pipeline: {} · {}", exp.label(), report.calibration);
    let result = ResultView::from_json(source, &report.tqc_json, Some(&report.snapshots_json))?;
    let records: Vec<Record> = serde_json::from_str(&report.tqc_json).map_err(|e| format!("tqc.json: {e}"))?;
    let doc = ViewModel::from_graph(&f.name, &f.graph, Some(result));
    let quirks = report.fixed.as_ref().map(|fixed| diff(&records, fixed)).unwrap_or_default();
    let compare_layers = report.compare.as_ref().map(|c| c.layers.clone()).unwrap_or_default();
    let compare = report.compare.map(|c| {
        let (right, _) = exp.with_overrides(&c.overrides);
        (right.label(), c.outputs, diff(&records, &c.records))
    });
    let extras = Extras {
        layers: report.layers,
        compare_layers,
        sweep: report.sweep,
        label: exp.label(),
        baking: report.baking,
    };
    Ok(RunBundle { doc, outputs: report.outputs, calibration: report.calibration, compare, quirks, extras })
}

impl super::App {
    fn ran(&mut self, ctx: &Context<Self>, key: String, result: Result<RunBundle, String>) -> bool {
        <Self as Component>::update(self, ctx, Msg::Ran(key, Box::new(result)))
    }

    /// The sample of `key` is ready: post it to the teaching worker (replacing a worker busy with an older job,
    /// so quick clicks through lesson steps never queue up).
    pub(super) fn on_fetched(&mut self, ctx: &Context<Self>, key: String, result: Result<Fetched, String>) -> bool {
        if self.pending_key.as_deref() != Some(key.as_str()) {
            return false; // a newer experiment is under way
        }
        let f = match result {
            Ok(f) => f,
            Err(e) => return self.ran(ctx, key, Err(e)),
        };
        if self.teaching.is_some() {
            self.teacher = None; // dropping terminates it
        }
        if self.teacher.is_none() {
            match WorkerHandle::spawn_with(ctx.link(), |r| Msg::Teacher(Box::new(r))) {
                Ok(w) => self.teacher = Some(w),
                Err(e) => return self.ran(ctx, key, Err(e)),
            }
        }
        let posted = self.teacher.as_ref().map(|w| w.post(&request(&key, &f)));
        if let Some(Err(e)) = posted {
            self.teacher = None;
            return self.ran(ctx, key, Err(e));
        }
        self.teaching = Some(key.clone());
        self.fetched = Some((key, f));
        false
    }

    /// An answer of the teaching worker.
    pub(super) fn on_teacher(&mut self, ctx: &Context<Self>, r: Response) -> bool {
        let (key, result) = match r {
            Response::Experiment(a) => {
                if self.teaching.as_deref() == Some(a.key.as_str()) {
                    self.teaching = None;
                }
                let fetched = self.fetched.take_if(|(k, _)| *k == a.key);
                let result = match (fetched, a.result) {
                    (Some((_, f)), Ok(report)) => bundle(&f, report),
                    (_, Err(e)) => Err(e),
                    (None, Ok(_)) => return false, // an answer to a job nobody waits for
                };
                (a.key, result)
            }
            Response::Crashed(e) | Response::Error(e) => {
                self.teacher = None;
                self.teaching = None;
                let Some(key) = self.pending_key.clone() else { return false };
                (key, Err(e))
            }
            Response::Hello
            | Response::Progress { .. }
            | Response::State(_)
            | Response::SensitivityProgress { .. }
            | Response::Sensitivity(_)
            | Response::OpStats(_)
            | Response::CalibChecked { .. } => return false,
        };
        let name = self.exp.sample.clone().unwrap_or_default();
        self.ran(ctx, key, result.map_err(|e| format!("{name}: {e}")))
    }
}

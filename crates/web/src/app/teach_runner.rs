//! The page's side of an experiment on a bundled sample (a link, a lesson step, a settings change): fetch the
//! sample, prepare the graph to draw, turn the experiment into its plan of ordinary session runs
//! ([`ppq_teach::teach::plan`]) and post each as a `RunToEnd` to the page's one worker — the same worker and
//! protocol as the pipeline panel — then put the answers together ([`compose`]) into what the page shows.
//! No pipeline pass runs on the main thread. One experiment is in flight at a time: a newer one waits and
//! replaces any other waiting one, so quick clicks through lesson steps never queue up.

use super::model::{ResultView, ViewModel};
use super::{Msg, RunBundle, loader};
use ppq_graph::BaseGraph;
use ppq_pipeline::analysis::LayerError;
use ppq_pipeline::baking_view::BakingView;
use ppq_session::{CalibSource, RunReport};
use ppq_teach::compare::diff;
use ppq_teach::experiment::Experiment;
use ppq_teach::run::{calib_source, prepared_graph};
use ppq_teach::teach::{ExperimentReport, PlannedRun, VariantRun, compose, plan};
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

/// An experiment whose runs are in the worker: its key, sample, plan and the answers so far.
pub struct InFlight {
    key: String,
    fetched: Fetched,
    plan: Vec<PlannedRun>,
    answers: Vec<Option<Result<RunReport, String>>>,
    /// The calibration data every run reads, and its label for the pipeline panel.
    calib: CalibSource,
    calib_label: String,
}

/// What the teaching views show besides the graph: per-layer SNR, the sweep and the baking views.
#[derive(Debug, Default, PartialEq)]
pub struct Extras {
    /// Per-layer SNR of the experiment.
    pub layers: Vec<LayerError>,
    /// Per-layer SNR of the `vs` run.
    pub compare_layers: Vec<LayerError>,
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

/// The worker's key for run `i` of the experiment `key`.
fn run_key(key: &str, i: usize) -> String {
    format!("{key}#{i}")
}

/// The page's bundle from the composed report.
pub fn bundle(f: &Fetched, report: ExperimentReport) -> Result<RunBundle, String> {
    let exp = &f.exp;
    let main = report.main;
    let source = format!(
        "Our pipeline: {} · {} samples ({}) · {} calibration steps",
        exp.label(),
        main.samples,
        main.calibration,
        main.steps
    );
    let tqc_json = serde_json::to_string(&main.records).map_err(|e| format!("tqc.json: {e}"))?;
    let result = ResultView::from_json(source, &tqc_json, Some(&main.snapshots_json))?;
    let doc = ViewModel::from_graph(&f.name, &f.graph, Some(result));
    let quirks = report.fixed.as_ref().map(|fixed| diff(&main.records, fixed)).unwrap_or_default();
    let compare_layers = report.compare.as_ref().map(|c| c.report.layers.clone()).unwrap_or_default();
    let compare = report.compare.map(|c| {
        let (right, _) = exp.with_overrides(&c.overrides);
        (right.label(), c.report.outputs, diff(&main.records, &c.report.records))
    });
    let extras =
        Extras { layers: main.layers, compare_layers, sweep: report.sweep, label: exp.label(), baking: main.baking };
    Ok(RunBundle { doc, outputs: main.outputs, compare, quirks, extras })
}

impl super::App {
    fn ran(&mut self, ctx: &Context<Self>, key: String, result: Result<RunBundle, String>) -> bool {
        <Self as Component>::update(self, ctx, Msg::Ran(key, Box::new(result)))
    }

    /// The sample of `key` is ready: post its plan to the worker, or let it wait for the experiment in flight.
    pub(super) fn on_fetched(&mut self, ctx: &Context<Self>, key: String, result: Result<Fetched, String>) -> bool {
        if self.pending_key.as_deref() != Some(key.as_str()) {
            return false; // a newer experiment is under way
        }
        let f = match result {
            Ok(f) => f,
            Err(e) => return self.ran(ctx, key, Err(e)),
        };
        if self.in_flight.is_some() {
            self.waiting = Some((key, f));
            return false;
        }
        self.post_plan(ctx, key, f)
    }

    /// Posts every planned run of `f` to the worker.
    fn post_plan(&mut self, ctx: &Context<Self>, key: String, f: Fetched) -> bool {
        let plan = match plan(&f.exp) {
            Ok(p) => p,
            Err(e) => return self.ran(ctx, key, Err(e)),
        };
        if self.worker.is_none() {
            self.restart_worker(ctx);
        }
        // the user's own data for this sample, else what the experiment names (bundled data, or random from its seed)
        let (calib, calib_label) = match &self.user_calib {
            Some((c, label, _)) => (c.clone(), label.clone()),
            None => match calib_source(&f.exp, f.calib_json.as_deref()) {
                c @ CalibSource::Json(_) => (c, "bundled".to_string()),
                c => (c, "random".to_string()),
            },
        };
        let Some(w) = &self.worker else {
            return self.ran(ctx, key, Err("the worker is not running; reload the page".into()));
        };
        for (i, run) in plan.iter().enumerate() {
            let req = Request::RunToEnd {
                key: run_key(&key, i),
                model: f.bytes.clone(),
                calib: calib.clone(),
                settings: run.settings.clone(),
            };
            if let Err(e) = w.post(&req) {
                return self.ran(ctx, key, Err(e));
            }
        }
        let answers = plan.iter().map(|_| None).collect();
        self.in_flight = Some(InFlight { key, fetched: f, plan, answers, calib, calib_label });
        false
    }

    /// An answer to one planned run.
    pub(super) fn on_report(&mut self, ctx: &Context<Self>, key: String, result: Result<RunReport, String>) -> bool {
        let Some(flight) = &mut self.in_flight else { return false };
        let Some(i) = (0..flight.plan.len()).find(|&i| run_key(&flight.key, i) == key) else { return false };
        flight.answers[i] = Some(result);
        if flight.answers.iter().any(Option::is_none) {
            return false;
        }
        let Some(flight) = self.in_flight.take() else { return false };
        if let Some(Some(Ok(main))) = flight.answers.first() {
            // the pipeline panel shows the data this run read, with its sample count
            let label = match &self.user_calib {
                Some((_, label, _)) => label.clone(),
                None => format!("{}, {} samples", flight.calib_label, main.samples),
            };
            self.calib = Some((flight.calib.clone(), label, main.samples));
            self.seed =
                matches!(flight.calib, CalibSource::Random { .. }).then_some(u64::from(flight.fetched.exp.seed));
        }
        let answers = flight.answers.into_iter().flatten().collect();
        let result = compose(&flight.plan, answers).and_then(|r| bundle(&flight.fetched, r));
        let name = flight.fetched.name.clone();
        let changed = self.ran(ctx, flight.key, result.map_err(|e| format!("{name}: {e}")));
        let next = self.next_waiting(ctx);
        changed || next
    }

    /// Posts the waiting experiment, if it is still the one the page wants.
    fn next_waiting(&mut self, ctx: &Context<Self>) -> bool {
        match self.waiting.take() {
            Some((key, f)) if self.pending_key.as_deref() == Some(key.as_str()) => self.post_plan(ctx, key, f),
            _ => false,
        }
    }

    /// The worker died: the experiment in flight fails with its message (the page keeps what it shows).
    pub(super) fn fail_in_flight(&mut self, ctx: &Context<Self>, e: &str) {
        if let Some(flight) = self.in_flight.take() {
            let name = flight.fetched.name.clone();
            self.ran(ctx, flight.key, Err(format!("{name}: {e}")));
        }
        self.next_waiting(ctx);
    }

    /// Answers that concern experiments, from the one worker.
    pub(super) fn on_experiment_response(&mut self, ctx: &Context<Self>, r: Response) -> bool {
        match r {
            Response::Report { key, result } => self.on_report(ctx, key, result.map(|b| *b)),
            _ => false,
        }
    }
}

//! The page's analysis of a finished run of our pipeline, kept apart from the root component: the keep-in-float
//! switch, the error against fp32, the sensitivity ranking and the selected op's histograms. It holds what the
//! worker last reported and turns the user's clicks into worker requests; the worker computes every number.

use super::histogram::Histogram;
use super::keep_float::KeepFloat;
use super::pipeline_panel::{Command, Source};
use super::sensitivity_view::SensitivityPanel;
use super::snr_view::{SnrView, error_fill, output_error};
use super::weight_ranges::WeightRangePlot;
use super::{App, Msg, Selection};
use ppq_pipeline::tensor_stats::OpStats;
use ppq_worker::protocol::{ErrorView, Request, Response, RunState, SensitivityView};
use std::collections::HashMap;
use std::rc::Rc;
use yew::prelude::*;

/// What the analysis panels show.
#[derive(Default)]
pub struct Analysis {
    errors: Option<Rc<ErrorView>>,
    kept: Rc<Vec<String>>,
    sensitivity: Option<Rc<SensitivityView>>,
    progress: Option<(usize, usize)>,
    stats: Option<Rc<OpStats>>,
    stats_for: Option<String>,
    color_by_error: bool,
    fill: Option<Rc<HashMap<String, String>>>,
}

/// A user's action in the analysis panels.
pub enum AnalysisMsg {
    /// Keep an op in float (true) or restore it.
    KeepFloat(String, bool),
    /// Rank the ops.
    Sensitivity,
    /// Stop the ranking.
    CancelSensitivity,
    /// Colour the graph by error.
    ColorByError(bool),
    /// Select an op by name (centred).
    Pick(String),
}

impl Analysis {
    /// A new worker state: its errors and kept ops.
    pub fn on_state(&mut self, s: &RunState) {
        self.errors = s.errors.clone().map(Rc::new);
        self.kept = Rc::new(s.kept_float.clone());
        self.fill = self.errors.as_deref().map(|e| Rc::new(error_fill(e)));
        self.stats = None;
        self.stats_for = None;
    }

    /// A request failed or the worker was replaced: nothing runs any more.
    pub fn on_error(&mut self) {
        self.progress = None;
        self.stats_for = None;
    }

    /// Fill colours for the graph while "colour by error" is on.
    pub fn fill(&self) -> Option<Rc<HashMap<String, String>>> {
        self.fill.clone().filter(|_| self.color_by_error)
    }
}

impl App {
    /// Our finished run is on screen (the analysis applies to it).
    fn analysable(&self) -> bool {
        self.source == Source::Ours
            && self.analysis.errors.is_some()
            && self.ours.as_ref().is_some_and(|(r, _)| r.position == r.passes.len())
    }

    /// The selected op's name, if it has TQCs in our run.
    fn selected_quantable(&self) -> Option<String> {
        let (Selection::Op(i), Some(doc)) = (self.selected, &self.doc) else { return None };
        let op = doc.ops.get(i)?;
        (!doc.tqcs_of(i).is_empty()).then(|| op.name.clone())
    }

    /// Asks the worker for the selected op's histograms when our finished run is shown.
    pub(super) fn request_stats(&mut self) {
        let want = self.selected_quantable().filter(|_| self.analysable());
        if want.is_none() || want == self.analysis.stats_for {
            return;
        }
        self.analysis.stats_for = want.clone();
        if let Some(op) = want {
            self.post(&Request::OpStats { op });
        }
    }

    /// Handles an analysis action; true to re-render.
    pub(super) fn on_analysis(&mut self, ctx: &Context<Self>, m: AnalysisMsg) -> bool {
        match m {
            AnalysisMsg::KeepFloat(op, float) => {
                self.error = None;
                self.analysis.stats_for = None;
                self.post(&Request::KeepFloat { op, float });
            }
            AnalysisMsg::Sensitivity => {
                self.error = None;
                self.analysis.progress = Some((0, 0));
                self.post(&Request::Sensitivity);
            }
            AnalysisMsg::CancelSensitivity => {
                // The worker cannot be interrupted: replace it and quantize again with the same choices.
                let kept = self.analysis.kept.clone();
                self.restart_worker(ctx);
                self.analysis.on_error();
                self.run(ctx, Command::RunAll);
                for op in kept.iter() {
                    self.post(&Request::KeepFloat { op: op.clone(), float: true });
                }
                self.error = Some("Sensitivity cancelled: a fresh worker quantizes the model again.".into());
            }
            AnalysisMsg::ColorByError(on) => self.analysis.color_by_error = on,
            AnalysisMsg::Pick(name) => {
                let Some(i) = self.doc.as_ref().and_then(|d| d.op_index(&name)) else { return false };
                ctx.link().send_message(Msg::Select(Selection::Op(i), true));
                return false;
            }
        }
        true
    }

    /// Handles the worker's analysis answers.
    pub(super) fn analysis_response(&mut self, r: Response) {
        match r {
            Response::SensitivityProgress { done, total } => self.analysis.progress = Some((done, total)),
            Response::Sensitivity(v) => {
                self.pending = self.pending.saturating_sub(1);
                self.analysis.progress = None;
                self.analysis.sensitivity = Some(Rc::new(*v));
            }
            Response::OpStats(s) => {
                self.pending = self.pending.saturating_sub(1);
                if self.analysis.stats_for.as_deref() == Some(s.op.as_str()) {
                    self.analysis.stats = Some(Rc::new(*s));
                }
            }
            _ => {}
        }
    }

    /// The keep-in-float switch for the inspector (empty unless a quantable op of our finished run is selected).
    pub(super) fn view_keep_float(&self, ctx: &Context<Self>) -> Html {
        let (Some(op), Some(errors)) = (self.selected_quantable(), self.analysis.errors.as_ref()) else {
            return html! {};
        };
        if !self.analysable() {
            return html! {};
        }
        let layer = errors.layers.iter().find(|l| l.op == op).cloned();
        html! {
            <KeepFloat kept={self.analysis.kept.contains(&op)} {op} enabled={self.pending == 0}
                {layer} output={output_error(errors)}
                on_toggle={ctx.link().callback(|(op, on)| Msg::Analysis(AnalysisMsg::KeepFloat(op, on)))} />
        }
    }

    /// The selected op's histograms and weight ranges, the error table and the sensitivity panel.
    pub(super) fn view_analysis(&self, ctx: &Context<Self>) -> Html {
        let Some(errors) = self.analysis.errors.clone().filter(|_| self.analysable()) else { return html! {} };
        let link = ctx.link();
        let pick = link.callback(|name| Msg::Analysis(AnalysisMsg::Pick(name)));
        let stats = self.analysis.stats.as_ref().filter(|s| Some(&s.op) == self.selected_quantable().as_ref());
        html! {
            <section id="analysis" class="analysis-pane" aria-label="Analysis">
                if let Some(s) = stats {
                    <details id="op-stats" class="analysis" open=true data-op={s.op.clone()}>
                        <summary>{ format!("Calibration data through {}", s.op) }</summary>
                        { for s.activations.iter().map(|h| html! { <Histogram h={h.clone()} /> }) }
                        { for s.weights.iter().map(|w| html! { <WeightRangePlot w={w.clone()} /> }) }
                    </details>
                }
                <SnrView {errors} kept={self.analysis.kept.clone()} color_by_error={self.analysis.color_by_error}
                    on_color={link.callback(|on| Msg::Analysis(AnalysisMsg::ColorByError(on)))} on_pick={pick.clone()} />
                <SensitivityPanel result={self.analysis.sensitivity.clone()} progress={self.analysis.progress}
                    enabled={self.pending == 0}
                    on_run={link.callback(|_| Msg::Analysis(AnalysisMsg::Sensitivity))}
                    on_cancel={link.callback(|_| Msg::Analysis(AnalysisMsg::CancelSensitivity))}
                    on_pick={pick} />
            </section>
        }
    }
}

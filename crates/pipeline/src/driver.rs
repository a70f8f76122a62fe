//! The step-by-step driver the UI and CLI use: build a [`Pipeline`] from a graph, list its passes, run
//! them one at a time, and read the [`Trace`] — every logged transition and a snapshot after each pass
//! in the shape of the reference `passes.json`.

use super::context::QuantizedGraph;
use super::error::PipelineError;
use super::passes::calibration::CalibrationData;
use super::passes::training::{Flow, TrainingObserver, TrainingReport};
use super::passes::{PassKind, PipelineStage};
use super::record::Record;
use super::setting::QuantizationSetting;
use ppq_core::platform::TargetPlatform;
use ppq_core::state::StateModel;
use ppq_core::tqc::{QuantParams, TqcId, Transition};
use ppq_graph::format::{FormatVersion, format_graph};
use ppq_graph::import::import_onnx;
use ppq_graph::{BaseGraph, Tensor};
use serde::Serialize;
use std::collections::BTreeMap;

/// The `format_graph` of the PPQ release a state model follows.
pub const fn format_version(model: StateModel) -> FormatVersion {
    match model {
        StateModel::Ppq066 => FormatVersion::V066,
        StateModel::Ppq065 => FormatVersion::V065,
    }
}

/// A scale as `passes.json` writes it: a number per tensor, `"per-channel[n]"` per channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SnapshotScale {
    /// Per-tensor scale.
    Value(f64),
    /// Per-channel marker with the channel count.
    Text(String),
}

/// The TQCs after a pass, as one `passes.json` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// PPQ's pass name, or `<before>`.
    pub pass: String,
    /// `prequant` or `quant`.
    pub pipeline: PipelineStage,
    /// Position in its pipeline (−1 for `<before>`).
    pub index: i64,
    /// State of every TQC, by label.
    pub states: BTreeMap<String, String>,
    /// Root of every TQC that is not its own root.
    pub dominated_by: BTreeMap<String, String>,
    /// The TQC's own scale if it has one, else its root's (what the reference dump records); null if none.
    pub scales: BTreeMap<String, Option<SnapshotScale>>,
}

/// A TQC whose own scale/offset a pass changed (the state may stay the same, as when LSQ trains a scale).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueChange {
    /// The TQC.
    pub tqc: TqcId,
    /// Its label (PPQ `self` id).
    pub label: String,
    /// Its own scale/offset before the pass (None: not set yet).
    pub before: Option<QuantParams>,
    /// After the pass (None: cleared).
    pub after: Option<QuantParams>,
    /// The pass that changed it.
    pub pass: String,
}

/// Everything that happened so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Trace {
    /// Every state change, tagged with its pass.
    pub transitions: Vec<Transition>,
    /// Every scale/offset change, tagged with its pass.
    pub value_changes: Vec<ValueChange>,
    /// The report of every training pass that ran (blocks, losses, changed parameters), with its name.
    pub training: Vec<(String, TrainingReport)>,
    /// `passes.json` entries, in order, the two `<before>` entries included.
    pub snapshots: Vec<Snapshot>,
}

/// What one step did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PassReport {
    /// PPQ's pass name.
    pub pass: &'static str,
    /// Whether the playground implements it (an unimplemented pass ran as a no-op).
    pub implemented: bool,
    /// The transitions the pass logged.
    pub transitions: Vec<Transition>,
    /// The scale/offset changes the pass made.
    pub value_changes: Vec<ValueChange>,
    /// A training pass's report (blocks, per-step losses, changed biases and weights).
    pub training: Option<TrainingReport>,
    /// The snapshot after the pass.
    pub snapshot: Snapshot,
}

/// A quantization pipeline in progress.
#[derive(Debug, Clone)]
pub struct Pipeline {
    ctx: QuantizedGraph,
    passes: Vec<PassKind>,
    next: usize,
    trace: Trace,
}

impl Pipeline {
    /// Imports an ONNX model, formats it like the PPQ release the setting's state model follows (0.6.6 or
    /// 0.6.5 `format_graph`), then [`Pipeline::new`].
    pub fn from_onnx(
        bytes: &[u8],
        platform: TargetPlatform,
        setting: QuantizationSetting,
    ) -> Result<Self, PipelineError> {
        let mut g = import_onnx(bytes)?;
        format_graph(&mut g, format_version(setting.state_model))?;
        Self::new(g, platform, setting)
    }

    /// Dispatches a formatted graph, creates the TQCs (quantizer init) and lists the enabled passes.
    pub fn new(
        graph: BaseGraph,
        platform: TargetPlatform,
        setting: QuantizationSetting,
    ) -> Result<Self, PipelineError> {
        Self::with_dispatching(graph, platform, setting, &[])
    }

    /// [`Pipeline::new`] with PPQ's dispatching table (see [`QuantizedGraph::with_dispatching`]): e.g.
    /// `[("conv1", TargetPlatform::Fp32)]` keeps `conv1` in float, as PPQ users do for sensitive layers.
    pub fn with_dispatching(
        graph: BaseGraph,
        platform: TargetPlatform,
        setting: QuantizationSetting,
        dispatching_table: &[(String, TargetPlatform)],
    ) -> Result<Self, PipelineError> {
        let passes = PassKind::pipeline(&setting);
        let mut ctx = QuantizedGraph::with_dispatching(graph, platform, setting, dispatching_table)?;
        ctx.store.drain_transitions();
        let mut p = Self { ctx, passes, next: 0, trace: Trace::default() };
        p.trace.snapshots.push(p.snapshot("<before>", PipelineStage::Prequant, -1));
        p.push_quant_before_if_due();
        Ok(p)
    }

    fn prequant_count(&self) -> usize {
        self.passes.iter().filter(|p| p.stage() == PipelineStage::Prequant).count()
    }

    fn push_quant_before_if_due(&mut self) {
        if self.next == self.prequant_count() {
            let s = self.snapshot("<before>", PipelineStage::Quant, -1);
            self.trace.snapshots.push(s);
        }
    }

    /// PPQ's names of the passes this pipeline runs, in order.
    pub fn passes(&self) -> Vec<&'static str> {
        self.passes.iter().map(|p| p.name()).collect()
    }

    /// How many passes already ran.
    pub fn position(&self) -> usize {
        self.next
    }

    /// Whether every pass ran.
    pub fn is_finished(&self) -> bool {
        self.next >= self.passes.len()
    }

    /// Runs the next pass. `calib` is used by RuntimeCalibrationPass (and checked there).
    pub fn run_next(&mut self, calib: &CalibrationData) -> Result<PassReport, PipelineError> {
        self.run_next_observed(calib, &mut |_, _| {})
    }

    /// [`Self::run_next`], telling `on_sample(done, steps)` after each calibration batch (the worker's progress).
    pub fn run_next_observed(
        &mut self,
        calib: &CalibrationData,
        on_sample: &mut dyn FnMut(usize, usize),
    ) -> Result<PassReport, PipelineError> {
        self.run_next_with(calib, on_sample, &mut |_| Flow::Continue)
    }

    /// [`Self::run_next_observed`], with `on_step` hearing every step of a training pass (BiasCorrectionPass,
    /// LearnedStepSizePass: block, step, loss) and answering [`Flow::Cancel`] to stop it. A cancelled pass
    /// leaves the graph as it was and the pipeline at the same position ([`PipelineError::Cancelled`]).
    pub fn run_next_with(
        &mut self,
        calib: &CalibrationData,
        on_sample: &mut dyn FnMut(usize, usize),
        on_step: &mut TrainingObserver<'_>,
    ) -> Result<PassReport, PipelineError> {
        let pass = *self.passes.get(self.next).ok_or(PipelineError::Finished)?;
        let params_before = self.own_params();
        self.ctx.store.begin_pass(pass.name());
        let result = pass.run_with(&mut self.ctx, calib, on_sample, on_step);
        self.ctx.store.end_pass();
        let transitions = self.ctx.store.drain_transitions();
        self.trace.transitions.extend(transitions.iter().cloned());
        let value_changes = self.value_changes(pass.name(), params_before);
        self.trace.value_changes.extend(value_changes.iter().cloned());
        let training = result?;
        if let Some(t) = &training {
            self.trace.training.push((pass.name().to_string(), t.clone()));
        }
        let index = self.passes[..self.next].iter().filter(|p| p.stage() == pass.stage()).count() as i64;
        let snapshot = self.snapshot(pass.name(), pass.stage(), index);
        self.trace.snapshots.push(snapshot.clone());
        self.next += 1;
        self.push_quant_before_if_due();
        Ok(PassReport {
            pass: pass.name(),
            implemented: pass.implemented(),
            transitions,
            value_changes,
            training,
            snapshot,
        })
    }

    /// Every TQC's own scale/offset, by id.
    fn own_params(&self) -> Vec<(TqcId, Option<QuantParams>)> {
        let st = &self.ctx.store;
        st.ids().filter_map(|id| st.get(id).ok().map(|t| (id, t.own_params().cloned()))).collect()
    }

    /// The TQCs whose own scale/offset differs from `before` (new TQCs count as changed from None).
    fn value_changes(&self, pass: &str, before: Vec<(TqcId, Option<QuantParams>)>) -> Vec<ValueChange> {
        let before: BTreeMap<TqcId, Option<QuantParams>> = before.into_iter().collect();
        let mut out = Vec::new();
        for (id, after) in self.own_params() {
            let old = before.get(&id).cloned().flatten();
            if old != after {
                out.push(ValueChange {
                    tqc: id,
                    label: self.ctx.label(id),
                    before: old,
                    after,
                    pass: pass.to_string(),
                });
            }
        }
        out
    }

    /// Runs every remaining pass.
    pub fn run_all(&mut self, calib: &CalibrationData) -> Result<Vec<PassReport>, PipelineError> {
        let mut out = Vec::new();
        while !self.is_finished() {
            out.push(self.run_next(calib)?);
        }
        Ok(out)
    }

    /// The quantized graph.
    pub fn context(&self) -> &QuantizedGraph {
        &self.ctx
    }

    /// The quantized graph, mutable: lets a learner edit a TQC between two steps (changes made here
    /// outside a pass are logged with no pass name).
    pub fn context_mut(&mut self) -> &mut QuantizedGraph {
        &mut self.ctx
    }

    /// Runs `f` on the quantized graph as a named step outside the pass list (e.g. `dequantize conv1`): its
    /// state changes are tagged with `step` and appended to the trace, like a pass's. Returns `f`'s value and
    /// the transitions it logged; on error the transitions made so far are still traced.
    pub fn apply<T>(
        &mut self,
        step: &str,
        f: impl FnOnce(&mut QuantizedGraph) -> Result<T, PipelineError>,
    ) -> Result<(T, Vec<Transition>), PipelineError> {
        self.ctx.store.begin_pass(step);
        let result = f(&mut self.ctx);
        self.ctx.store.end_pass();
        let transitions = self.ctx.store.drain_transitions();
        self.trace.transitions.extend(transitions.iter().cloned());
        Ok((result?, transitions))
    }

    /// The trace so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// `tqc.json` records of the current state.
    pub fn records(&self) -> Result<Vec<Record>, PipelineError> {
        super::records::to_records(&self.ctx)
    }

    /// Fake-quantized inference with the current TQCs.
    pub fn simulate(&self, feeds: &[(&str, Tensor)]) -> Result<Vec<Tensor>, PipelineError> {
        super::simulate::simulate(&self.ctx, feeds)
    }

    fn snapshot(&self, pass: &str, pipeline: PipelineStage, index: i64) -> Snapshot {
        let mut s = Snapshot {
            pass: pass.to_string(),
            pipeline,
            index,
            states: BTreeMap::new(),
            dominated_by: BTreeMap::new(),
            scales: BTreeMap::new(),
        };
        if pipeline == PipelineStage::Prequant {
            return s; // PPQ has no TQCs before its quant pipeline
        }
        let st = &self.ctx.store;
        for id in st.ids() {
            let Ok(t) = st.get(id) else { continue };
            let label = t.label().to_string();
            s.states.insert(label.clone(), t.state().name().to_string());
            if let Ok(root) = st.root(id)
                && root != id
                && let Ok(r) = st.get(root)
            {
                s.dominated_by.insert(label.clone(), r.label().to_string());
            }
            let params = t.own_params().or_else(|| st.params(id).ok().flatten());
            let scale = params.map(|p| match p {
                QuantParams::PerTensor { scale, .. } => SnapshotScale::Value(f64::from(*scale)),
                QuantParams::PerChannel { scale, .. } => SnapshotScale::Text(format!("per-channel[{}]", scale.len())),
            });
            s.scales.insert(label, scale);
        }
        s
    }
}

//! The training passes of PPQ 0.6.6 (`ppq/quantization/optim/training.py`): BiasCorrectionPass and
//! LearnedStepSizePass. Both cut the graph into blocks ([`blocks`]), cache each block's quantized inputs and
//! fp32 outputs over the calibration data ([`block_exec::collect`]), change the block's biases, weights or
//! scales, and keep the change only if the block's loss did not get worse.
//!
//! Every step reports to a [`TrainingObserver`] (progress bar, loss curve) that may cancel; a cancelled pass
//! puts the graph back as it was and returns [`PipelineError::Cancelled`].

pub mod adam;
pub mod bias_correction;
pub mod block_exec;
pub mod blocks;
pub mod lsq;
pub mod tape;

use super::super::context::QuantizedGraph;
use super::super::error::PipelineError;
use ppq_graph::{Tensor, VarId};
use serde::Serialize;

pub use blocks::{TrainableBlock, split_graph_into_blocks};

/// What a training pass tells its observer after each step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainingProgress {
    /// PPQ's pass name.
    pub pass: &'static str,
    /// The block being processed, 1-based.
    pub block: usize,
    /// How many blocks the pass processes.
    pub blocks: usize,
    /// `start op -> end op` of the block.
    pub block_name: String,
    /// Steps done in this block.
    pub step: usize,
    /// Steps this block takes.
    pub steps: usize,
    /// The loss of the step (LSQ: the training loss of the batch; bias correction: the block loss).
    pub loss: f64,
}

/// The observer's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Flow {
    /// Go on.
    Continue,
    /// Stop the pass and undo what it changed.
    Cancel,
}

/// The progress/cancel hook of a training pass.
pub type TrainingObserver<'a> = dyn FnMut(&TrainingProgress) -> Flow + 'a;

/// What a training pass did to one block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlockOutcome {
    /// `start op -> end op`.
    pub block: String,
    /// The ops of the block, in executing order.
    pub ops: Vec<String>,
    /// Block loss (MSE against the fp32 outputs, averaged over the batches) before.
    pub pre_loss: f64,
    /// Block loss after the change (before the withdrawal, if it was withdrawn).
    pub post_loss: f64,
    /// False when the loss got worse and PPQ's check withdrew the change.
    pub accepted: bool,
    /// The training loss of every step (empty for bias correction).
    pub losses: Vec<f64>,
}

/// A parameter a training pass changed (a bias, a weight).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParameterChange {
    /// The variable's name.
    pub var: String,
    /// The op it feeds.
    pub op: String,
    /// Largest absolute change of an element.
    pub max_abs_delta: f64,
    /// The values before, when the tensor is small (≤ 64 elements: biases), else empty.
    pub before: Vec<f32>,
    /// The values after, under the same rule.
    pub after: Vec<f32>,
}

/// What a training pass reports to the driver: per block, and per changed parameter.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrainingReport {
    /// One entry per processed block, in order.
    pub blocks: Vec<BlockOutcome>,
    /// Every parameter whose value changed.
    pub parameter_changes: Vec<ParameterChange>,
}

/// Largest tensor whose values a [`ParameterChange`] lists in full.
const LISTED_ELEMENTS: usize = 64;

impl TrainingReport {
    /// Compares the parameters of the ops in `before` (a copy of the graph taken when the pass started) with
    /// `ctx` and records every changed one.
    pub(crate) fn record_parameter_changes(&mut self, before: &QuantizedGraph, ctx: &QuantizedGraph) {
        for op in ctx.quantable_ops() {
            for &v in &ctx.op(op).inputs {
                let var = ctx.graph.var(v);
                let (Some(Tensor::F32(a)), Some(Tensor::F32(b))) = (&before.graph.var(v).value, &var.value) else {
                    continue;
                };
                if !var.is_parameter || a.shape() != b.shape() || a == b {
                    continue;
                }
                let max_abs_delta =
                    a.iter().zip(b.iter()).map(|(x, y)| f64::from((y - x).abs())).fold(0.0_f64, f64::max);
                let listed = a.len() <= LISTED_ELEMENTS;
                self.parameter_changes.push(ParameterChange {
                    var: var.name.clone(),
                    op: ctx.op(op).name.clone(),
                    max_abs_delta,
                    before: if listed { a.iter().copied().collect() } else { Vec::new() },
                    after: if listed { b.iter().copied().collect() } else { Vec::new() },
                });
            }
        }
    }
}

/// Writes a parameter's working value. The fp32 copy `dequantize()` swaps in (PPQ's `stored_value`) is left
/// alone: PPQ 0.6.6 on CPU keeps the two as separate tensors (checked on the referee: `value is stored_value`
/// and equal `data_ptr` are both false after quantization), so the fp32 references of later blocks, and the
/// error analysis after the pipeline, see the original float parameters.
pub(crate) fn write_parameter(ctx: &mut QuantizedGraph, var: VarId, value: Tensor) {
    ctx.graph.var_mut(var).value = Some(value);
}

/// `sp -> ep` names of a block.
pub(crate) fn block_name(ctx: &QuantizedGraph, b: &TrainableBlock) -> String {
    format!("{} -> {}", ctx.op(b.sp).name, ctx.op(b.ep).name)
}

/// Runs `f` on `ctx`; when it is cancelled, puts `ctx` back as it was (the store keeps its transition log
/// empty of the undone pass: the copy is taken before any change).
pub(crate) fn undo_on_cancel<T>(
    ctx: &mut QuantizedGraph,
    f: impl FnOnce(&mut QuantizedGraph) -> Result<T, PipelineError>,
) -> Result<T, PipelineError> {
    let backup = ctx.clone();
    let r = f(ctx);
    if matches!(r, Err(PipelineError::Cancelled { .. })) {
        *ctx = backup;
    }
    r
}

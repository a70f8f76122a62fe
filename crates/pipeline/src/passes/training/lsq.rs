//! LearnedStepSizePass (`optim/training.py`, PPQ 0.6.6; LSQ, Esser et al. 2019): each block is trained to
//! reproduce its fp32 outputs from its quantized inputs. Per block:
//!
//! 1. the block loss before (MSE against the cached fp32 outputs, averaged over the batches);
//! 2. the trainable tensors: every float parameter of the block's quantable computing ops and Add/Mul ops;
//!    the parameter of every ACTIVATED/PASSIVE TQC (PPQ registers an `LSQDelegator` there); and the scale of
//!    every TQC that is ACTIVATED, its own root, LINEAR and not POWER_OF_2 (offsets are detached in PPQ's CPU
//!    formula, so they never move);
//! 3. `steps` Adam steps at `lr`, one cached batch per step (`batch = step mod batches`), gradients by
//!    [`super::tape`];
//! 4. the loss after; if it got worse, the delegators withdraw: the trained scales and the delegated
//!    parameters go back.
//!
//! Two PPQ 0.6.6 quirks, reproduced under [`Quirks::Faithful`] and fixed under [`Quirks::Fixed`]:
//! `is_scale_trainable` is never handed to the delegators, so scales train even when it is false; and a
//! parameter without a delegator (TRT_INT8's FP32 bias) is not restored by the withdrawal.

use super::super::super::context::QuantizedGraph;
use super::super::super::error::PipelineError;
use super::super::PassKind;
use super::super::calibration::CalibrationData;
use super::adam::AdamState;
use super::block_exec::{Feed, block_loss, block_outputs, collect};
use super::blocks::is_computing_op;
use super::tape::{Trainables, backward, forward};
use super::{BlockOutcome, Flow, TrainableBlock, TrainingObserver, TrainingProgress, TrainingReport};
use super::{block_name, split_graph_into_blocks, undo_on_cancel, write_parameter};
use ppq_core::QuantizationProperty as P;
use ppq_core::QuantizationStates as S;
use ppq_core::quirks::Quirks;
use ppq_core::tqc::{QuantParams, TqcId};
use ppq_graph::{Tensor, VarId};
use std::collections::{HashMap, HashSet};

const PASS: PassKind = PassKind::LearnedStepSize;

fn err(why: String) -> PipelineError {
    PipelineError::Pass { pass: PASS.name(), why }
}

/// Runs the pass over the blocks of `lsq_optimization_setting`, telling `observer` every step's loss.
pub fn run(
    ctx: &mut QuantizedGraph,
    calib: &CalibrationData,
    observer: &mut TrainingObserver<'_>,
) -> Result<TrainingReport, PipelineError> {
    calib.validate(&ctx.graph)?;
    let s = ctx.setting.lsq_optimization_setting.clone();
    if s.gamma != 0.0 {
        return Err(err(format!(
            "gamma = {} is not supported yet (the MSE(W, Q(W)) term); use gamma = 0, PPQ's default",
            s.gamma
        )));
    }
    undo_on_cancel(ctx, |ctx| {
        let before = ctx.clone();
        let blocks = split_graph_into_blocks(ctx, s.block_size, &s.interested_layers);
        let mut report = TrainingReport::default();
        for (i, b) in blocks.iter().enumerate() {
            let (qt, fp) = collect(ctx, b, calib)?;
            let name = block_name(ctx, b);
            let mut tell = |step: usize, loss: f64| {
                let p = TrainingProgress {
                    pass: PASS.name(),
                    block: i + 1,
                    blocks: blocks.len(),
                    block_name: name.clone(),
                    step,
                    steps: s.steps,
                    loss,
                };
                observer(&p)
            };
            let outcome = finetune(ctx, b, &qt, &fp, s.steps, s.lr as f32, s.is_scale_trainable, &mut tell).map_err(
                |e| match e {
                    PipelineError::Cancelled { step, .. } => {
                        PipelineError::Cancelled { pass: PASS.name(), block: i + 1, step }
                    }
                    e => e,
                },
            )?;
            report.blocks.push(outcome);
        }
        report.record_parameter_changes(&before, ctx);
        Ok(report)
    })
}

/// Whether PPQ's `LSQDelegator` trains this TQC's scale: ACTIVATED, its own root, LINEAR, not POWER_OF_2,
/// with a scale.
fn scale_trainable(ctx: &QuantizedGraph, tqc: TqcId) -> Result<bool, PipelineError> {
    let t = ctx.store.get(tqc)?;
    let p = t.own_policy();
    Ok(t.state() == S::ACTIVATED
        && ctx.store.root(tqc)? == tqc
        && p.has_property(P::LINEAR)
        && !p.has_property(P::POWER_OF_2)
        && t.own_params().is_some())
}

/// The block's trainable tensors, and the parameters the withdrawal restores (those with a delegator).
fn trainables(
    ctx: &QuantizedGraph,
    b: &TrainableBlock,
    is_scale_trainable: bool,
) -> Result<(Trainables, HashSet<VarId>), PipelineError> {
    let mut params = HashSet::new();
    let mut delegated = HashSet::new();
    let mut scales = HashSet::new();
    let float_param = |v: VarId| {
        let var = ctx.graph.var(v);
        var.is_parameter && matches!(var.value, Some(Tensor::F32(_)))
    };
    let honour_flag = ctx.setting.quirks == Quirks::Fixed;
    for &op in &b.rps {
        if !ctx.is_quantable(op) {
            continue;
        }
        let o = ctx.op(op);
        let clip = o.op_type == "Clip"; // PPQ: "Clip op can not be train"
        if is_computing_op(ctx, op) || matches!(o.op_type.as_str(), "Add" | "Mul") {
            params.extend(o.inputs.iter().copied().filter(|&v| float_param(v) && !clip));
        }
        for (tqc, var) in ctx.config_with_variable(op) {
            if !matches!(ctx.store.get(tqc)?.state(), S::ACTIVATED | S::PASSIVE) {
                continue;
            }
            if float_param(var) && !clip {
                params.insert(var);
                delegated.insert(var);
            }
            if (is_scale_trainable || !honour_flag) && scale_trainable(ctx, tqc)? {
                scales.insert(tqc);
            }
        }
    }
    Ok((Trainables { params, scales }, delegated))
}

/// `finetune` for one block; `tell(step, loss)` after every step may cancel.
#[allow(clippy::too_many_arguments)]
fn finetune(
    ctx: &mut QuantizedGraph,
    b: &TrainableBlock,
    qt: &[Feed],
    fp: &[Feed],
    steps: usize,
    lr: f32,
    is_scale_trainable: bool,
    tell: &mut dyn FnMut(usize, f64) -> Flow,
) -> Result<BlockOutcome, PipelineError> {
    let names: Vec<String> = b.rps.iter().map(|&o| ctx.op(o).name.clone()).collect();
    let pre_loss = block_loss(ctx, b, qt, fp)?;
    let (train, delegated) = trainables(ctx, b, is_scale_trainable)?;
    let mut outcome = BlockOutcome {
        block: block_name(ctx, b),
        ops: names,
        pre_loss,
        post_loss: pre_loss,
        accepted: true,
        losses: vec![],
    };
    if train.params.is_empty() && train.scales.is_empty() {
        return Ok(outcome);
    }
    if qt.is_empty() {
        return Err(err("the calibration data set is empty".into()));
    }
    let param_backup: HashMap<VarId, Option<Tensor>> =
        train.params.iter().map(|&v| (v, ctx.graph.var(v).value.clone())).collect();
    let scale_backup: HashMap<TqcId, Option<QuantParams>> = train
        .scales
        .iter()
        .map(|&t| Ok((t, ctx.store.get(t)?.own_params().cloned())))
        .collect::<Result<_, PipelineError>>()?;
    let mut param_adam: HashMap<VarId, AdamState> = HashMap::new();
    let mut scale_adam: HashMap<TqcId, AdamState> = HashMap::new();
    let outputs = block_outputs(ctx, b);
    for step in 0..steps {
        let k = step % qt.len();
        let tape = forward(ctx, b, &qt[k], &train)?;
        let (loss, grads) = backward(ctx, &tape, &outputs, &fp[k], &train)?;
        drop(tape);
        for (v, g) in grads.params {
            let Some(Tensor::F32(value)) = ctx.graph.var(v).value.clone() else { continue };
            let mut value = value.as_standard_layout().into_owned();
            let gs: Vec<f32> = g.iter().copied().collect();
            let slice = value.as_slice_mut().ok_or_else(|| err("parameter is not contiguous".into()))?;
            if gs.len() != slice.len() {
                return Err(err(format!("gradient of '{}' has the wrong size", ctx.graph.var(v).name)));
            }
            param_adam.entry(v).or_insert_with(|| AdamState::new(gs.len())).step(lr, slice, &gs);
            write_parameter(ctx, v, Tensor::F32(value));
        }
        for (t, g) in grads.scales {
            let Some(params) = ctx.store.get(t)?.own_params().cloned() else { continue };
            let gs: Vec<f32> = g.iter().map(|&x| x as f32).collect();
            let mut scale = params.scales().to_vec();
            scale_adam.entry(t).or_insert_with(|| AdamState::new(gs.len())).step(lr, &mut scale, &gs);
            let offset = params.offsets().to_vec();
            let updated = match params {
                QuantParams::PerTensor { .. } => QuantParams::per_tensor(scale[0], offset[0]),
                QuantParams::PerChannel { .. } => QuantParams::per_channel(scale, offset)?,
            };
            ctx.store.set_scale_offset(t, updated)?;
        }
        outcome.losses.push(loss);
        if tell(step + 1, loss) == Flow::Cancel {
            return Err(PipelineError::Cancelled { pass: PASS.name(), block: 0, step: step + 1 });
        }
    }
    let post_loss = block_loss(ctx, b, qt, fp)?;
    outcome.post_loss = post_loss;
    if post_loss > pre_loss {
        outcome.accepted = false;
        for (t, p) in scale_backup {
            if let Some(p) = p {
                ctx.store.set_scale_offset(t, p)?;
            }
        }
        let restore_all = ctx.setting.quirks == Quirks::Fixed;
        for (v, value) in param_backup {
            if let Some(value) = value
                && (restore_all || delegated.contains(&v))
            {
                write_parameter(ctx, v, value);
            }
        }
    }
    Ok(outcome)
}

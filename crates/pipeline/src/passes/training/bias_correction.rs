//! BiasCorrectionPass (`optim/training.py`, PPQ 0.6.6): per block, the mean output error between the fp32
//! and the quantized block — both fed the block's quantized inputs — is added to the bias of every
//! Conv/ConvTranspose/Gemm inside, so the quantized output has the fp32 output's expectation:
//! `b ← b + mean(Y_fp) − mean(Y_q)`, the mean per output channel (axis 1 for Conv, the last for Gemm) over
//! every other axis and every batch. If the block's MSE got worse, the biases go back.

use super::super::super::context::QuantizedGraph;
use super::super::super::error::PipelineError;
use super::super::PassKind;
use super::super::calibration::CalibrationData;
use super::block_exec::{Feed, block_loss, collect, forward_block};
use super::{BlockOutcome, Flow, TrainableBlock, TrainingObserver, TrainingProgress, TrainingReport};
use super::{block_name, split_graph_into_blocks, undo_on_cancel, write_parameter};
use ndarray::{ArrayD, Axis};
use ppq_graph::{OpId, Tensor, VarId};

const PASS: PassKind = PassKind::BiasCorrection;

fn err(why: String) -> PipelineError {
    PipelineError::Pass { pass: PASS.name(), why }
}

/// Runs the pass over every block of `bias_correct_setting` (all calibration batches; PPQ's `steps` is
/// unused). `observer` hears once per block with the block loss after correction.
pub fn run(
    ctx: &mut QuantizedGraph,
    calib: &CalibrationData,
    observer: &mut TrainingObserver<'_>,
) -> Result<TrainingReport, PipelineError> {
    calib.validate(&ctx.graph)?;
    undo_on_cancel(ctx, |ctx| {
        let before = ctx.clone();
        let s = ctx.setting.bias_correct_setting.clone();
        let blocks = split_graph_into_blocks(ctx, s.block_size, &s.interested_layers);
        let mut report = TrainingReport::default();
        for (i, b) in blocks.iter().enumerate() {
            let (qt, fp) = collect(ctx, b, calib)?;
            let outcome = correct_bias(ctx, b, &qt, &fp)?;
            let progress = TrainingProgress {
                pass: PASS.name(),
                block: i + 1,
                blocks: blocks.len(),
                block_name: outcome.block.clone(),
                step: 1,
                steps: 1,
                loss: outcome.pre_loss.min(outcome.post_loss),
            };
            report.blocks.push(outcome);
            if observer(&progress) == Flow::Cancel {
                return Err(PipelineError::Cancelled { pass: PASS.name(), block: i + 1, step: 1 });
            }
        }
        report.record_parameter_changes(&before, ctx);
        Ok(report)
    })
}

/// The ops of a block whose bias PPQ corrects: Conv/ConvTranspose/Gemm with three inputs and a float bias
/// parameter. Returns (op, bias variable, output variable).
fn biased_ops(ctx: &QuantizedGraph, b: &TrainableBlock) -> Vec<(OpId, VarId, VarId)> {
    let mut v = Vec::new();
    for &op in &b.rps {
        let o = ctx.op(op);
        if !matches!(o.op_type.as_str(), "Conv" | "ConvTranspose" | "Gemm") || o.inputs.len() != 3 {
            continue;
        }
        let bias = o.inputs[2];
        let var = ctx.graph.var(bias);
        if var.is_parameter && matches!(var.value, Some(Tensor::F32(_))) {
            v.push((op, bias, o.outputs[0]));
        }
    }
    v
}

/// `collect_bias`: one batch's per-channel mean — axis 1 for Conv/ConvTranspose, the mean over axis 0 for Gemm
/// (PPQ reduces only the first axis there, so a 2-D output gives one value per column).
fn channel_mean(op_type: &str, t: &Tensor, name: &str) -> Result<Vec<f64>, PipelineError> {
    let a = t.as_f32(name)?.mapv(f64::from);
    if a.ndim() < 1 {
        return Err(err(format!("'{name}': a 0-d output has no channel to correct")));
    }
    let reduced: ArrayD<f64> = match op_type {
        "Conv" | "ConvTranspose" => {
            if a.ndim() < 2 {
                return Err(err(format!("'{name}': Conv output of rank {} has no channel axis", a.ndim())));
            }
            let c = a.shape()[1];
            let moved = a.view().permuted_axes(channel_first(a.ndim()));
            let flat = moved.as_standard_layout().into_owned().into_shape_with_order((c, a.len() / c.max(1)));
            let flat = flat.map_err(|e| err(format!("'{name}': {e}")))?;
            flat.mean_axis(Axis(1)).ok_or_else(|| err(format!("'{name}': empty output")))?.into_dyn()
        }
        _ => a.mean_axis(Axis(0)).ok_or_else(|| err(format!("'{name}': empty output")))?,
    };
    Ok(reduced.iter().copied().collect())
}

/// Axis order putting axis 1 first.
fn channel_first(ndim: usize) -> Vec<usize> {
    let mut v = vec![1];
    v.extend((0..ndim).filter(|&i| i != 1));
    v
}

/// Mean over the batches of the per-batch channel means of each biased op's output.
fn mean_outputs(
    ctx: &QuantizedGraph,
    b: &TrainableBlock,
    qt: &[Feed],
    ops: &[(OpId, VarId, VarId)],
) -> Result<Vec<Vec<f64>>, PipelineError> {
    let outs: Vec<VarId> = ops.iter().map(|o| o.2).collect();
    let mut sums: Vec<Vec<f64>> = vec![Vec::new(); ops.len()];
    for q in qt {
        let values = forward_block(ctx, b, q, &outs)?;
        for ((sum, &(op, _, out)), v) in sums.iter_mut().zip(ops).zip(&values) {
            let m = channel_mean(&ctx.op(op).op_type, v, &ctx.graph.var(out).name)?;
            if sum.is_empty() {
                *sum = vec![0.0; m.len()];
            }
            for (s, x) in sum.iter_mut().zip(m) {
                *s += x;
            }
        }
    }
    if qt.is_empty() {
        return Err(err("bias correction failed: no data was collected".into()));
    }
    let n = qt.len() as f64;
    Ok(sums.into_iter().map(|s| s.into_iter().map(|x| x / n).collect()).collect())
}

/// `correct_bias` for one block.
fn correct_bias(
    ctx: &mut QuantizedGraph,
    b: &TrainableBlock,
    qt: &[Feed],
    fp: &[Feed],
) -> Result<BlockOutcome, PipelineError> {
    let pre_loss = block_loss(ctx, b, qt, fp)?;
    let ops = biased_ops(ctx, b);
    let cloned: Vec<(VarId, Option<Tensor>)> = ops.iter().map(|o| (o.1, ctx.graph.var(o.1).value.clone())).collect();
    // phase 1: the block in fp32, fed the quantized inputs
    for &op in &b.rps {
        if let Some(q) = ctx.quantable(op) {
            q.dequantize(ctx)?;
        }
    }
    let fp_means = mean_outputs(ctx, b, qt, &ops);
    for &op in &b.rps {
        if let Some(q) = ctx.quantable(op) {
            q.restore_quantize_state(ctx)?;
        }
    }
    let fp_means = fp_means?;
    // phase 2: the quantized block
    let qt_means = mean_outputs(ctx, b, qt, &ops)?;
    for ((&(op, bias, _), f), q) in ops.iter().zip(&fp_means).zip(&qt_means) {
        let Some(Tensor::F32(value)) = ctx.graph.var(bias).value.clone() else { continue };
        if value.len() != f.len() {
            return Err(err(format!(
                "op '{}': bias has {} values but the output has {} channels",
                ctx.op(op).name,
                value.len(),
                f.len()
            )));
        }
        // float32 arithmetic, as torch's `bias += DC_fp - DC_qt`
        let mut corrected = value;
        for ((bv, &fv), &qv) in corrected.iter_mut().zip(f).zip(q) {
            *bv += fv as f32 - qv as f32;
        }
        write_parameter(ctx, bias, Tensor::F32(corrected));
    }
    let post_loss = block_loss(ctx, b, qt, fp)?;
    let accepted = post_loss <= pre_loss;
    if !accepted {
        for (v, t) in cloned {
            if let Some(t) = t {
                write_parameter(ctx, v, t);
            }
        }
    }
    let names = b.rps.iter().map(|&o| ctx.op(o).name.clone()).collect();
    Ok(BlockOutcome { block: block_name(ctx, b), ops: names, pre_loss, post_loss, accepted, losses: Vec::new() })
}

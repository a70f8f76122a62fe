//! Running one block on cached inputs — PPQ's `executor.partial_graph_forward(block.rps, feed_dict, names)` —
//! and `TrainingBasedPass.collect`, which caches each block's quantized inputs and fp32 outputs.

use super::super::super::context::QuantizedGraph;
use super::super::super::error::PipelineError;
use super::super::super::simulate::{FakeQuantHook, apply_if_active};
use super::super::calibration::CalibrationData;
use super::TrainableBlock;
use ppq_graph::executor::Executor;
use ppq_graph::validate::run_attributes;
use ppq_graph::{GraphError, Tensor, VarId, ops};
use std::collections::HashMap;

/// Values by variable: one batch's block inputs or outputs.
pub type Feed = HashMap<VarId, Tensor>;

/// The block's non-parameter inputs of its start op (PPQ feeds exactly these: by the block's definition
/// everything else inside comes from the block or is a parameter).
pub fn block_inputs(ctx: &QuantizedGraph, b: &TrainableBlock) -> Vec<VarId> {
    let mut v: Vec<VarId> = Vec::new();
    for &i in &ctx.op(b.sp).inputs {
        let var = ctx.graph.var(i);
        if !var.is_parameter && !var.name.is_empty() && !v.contains(&i) {
            v.push(i);
        }
    }
    v
}

/// The outputs of the block's end op.
pub fn block_outputs(ctx: &QuantizedGraph, b: &TrainableBlock) -> Vec<VarId> {
    ctx.op(b.ep).outputs.clone()
}

/// `partial_graph_forward`: runs the block's ops in order on `feed`, fake-quantizing each quantable op's
/// inputs and outputs with its active TQCs, and returns the values of `outputs`.
pub fn forward_block(
    ctx: &QuantizedGraph,
    b: &TrainableBlock,
    feed: &Feed,
    outputs: &[VarId],
) -> Result<Vec<Tensor>, PipelineError> {
    let g = &ctx.graph;
    let mut values: HashMap<VarId, Tensor> = feed.clone();
    for &op in &b.rps {
        let o = g.op(op);
        let mut ins: Vec<Option<Tensor>> = Vec::with_capacity(o.inputs.len());
        for &v in &o.inputs {
            let var = g.var(v);
            if var.name.is_empty() {
                ins.push(None);
                continue;
            }
            let t = values.get(&v).or(var.value.as_ref()).ok_or_else(|| {
                GraphError::MissingValue(format!("{} (input of '{}', not fed to the block)", var.name, o.name))
            })?;
            ins.push(Some(t.clone()));
        }
        let quant_err = |e| PipelineError::Graph(GraphError::Invalid(format!("fake-quant at op '{}': {e}", o.name)));
        if let Some(cfg) = ctx.config(op) {
            for (&t, v) in cfg.input_quantization_config.iter().zip(ins.iter_mut()) {
                if let Some(v) = v {
                    apply_if_active(&ctx.store, t, v).map_err(quant_err)?;
                }
            }
        }
        let refs: Vec<Option<&Tensor>> = ins.iter().map(Option::as_ref).collect();
        let mut outs = ops::run_op(&o.op_type, &refs, &run_attributes(o))?;
        outs.truncate(o.outputs.len());
        if let Some(cfg) = ctx.config(op) {
            for (&t, v) in cfg.output_quantization_config.iter().zip(outs.iter_mut()) {
                apply_if_active(&ctx.store, t, v).map_err(quant_err)?;
            }
        }
        for (&v, t) in o.outputs.iter().zip(outs) {
            values.insert(v, t);
        }
    }
    outputs
        .iter()
        .map(|v| {
            values.remove(v).ok_or_else(|| {
                PipelineError::Graph(GraphError::MissingValue(format!(
                    "{} (not computed by the block)",
                    g.var(*v).name
                )))
            })
        })
        .collect()
}

/// `collect`: with the whole graph dequantized, the fp32 outputs of the block's end op for every batch; with
/// the quantization restored, the block's quantized inputs (what its start op receives from upstream).
pub fn collect(
    ctx: &mut QuantizedGraph,
    b: &TrainableBlock,
    calib: &CalibrationData,
) -> Result<(Vec<Feed>, Vec<Feed>), PipelineError> {
    let ins = block_inputs(ctx, b);
    let outs = block_outputs(ctx, b);
    ctx.dequantize_graph()?;
    let fp = run_all(ctx, calib, &outs);
    ctx.restore_quantize_state()?;
    let fp = fp?;
    let qt = run_all(ctx, calib, &ins)?;
    Ok((qt, fp))
}

/// The values of `vars` for every calibration batch, with the graph's current quantization.
fn run_all(ctx: &QuantizedGraph, calib: &CalibrationData, vars: &[VarId]) -> Result<Vec<Feed>, PipelineError> {
    let exec = Executor::new(&ctx.graph)?;
    let names: Vec<&str> = vars.iter().map(|&v| ctx.graph.var(v).name.as_str()).collect();
    let mut out = Vec::with_capacity(calib.batches.len());
    for batch in &calib.batches {
        let feeds: Vec<(&str, Tensor)> = batch.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
        let values = exec.forward(&feeds, Some(&names), &mut FakeQuantHook::new(ctx))?;
        out.push(vars.iter().copied().zip(values).collect());
    }
    Ok(out)
}

/// PPQ's `torch_mean_square_error` (reduction 'mean'): per batch row the mean squared difference, then the
/// mean over rows — for equal rows, the mean over every element.
pub fn mean_square_error(pred: &Tensor, real: &Tensor, what: &str) -> Result<f64, PipelineError> {
    let (a, b) = (pred.as_f32(what)?, real.as_f32(what)?);
    if a.shape() != b.shape() {
        return Err(PipelineError::Graph(GraphError::shape(
            what,
            format!("cannot compute the MSE of shapes {:?} and {:?}", a.shape(), b.shape()),
        )));
    }
    if a.is_empty() {
        return Ok(0.0);
    }
    let sum: f64 = a.iter().zip(b.iter()).map(|(x, y)| f64::from(x - y).powi(2)).sum();
    Ok(sum / a.len() as f64)
}

/// `compute_block_loss`: for each block output the MSE against the fp32 reference averaged over the batches;
/// the sum over the outputs.
pub fn block_loss(ctx: &QuantizedGraph, b: &TrainableBlock, qt: &[Feed], fp: &[Feed]) -> Result<f64, PipelineError> {
    let outs = block_outputs(ctx, b);
    let mut losses = vec![0.0; outs.len()];
    for (q, f) in qt.iter().zip(fp) {
        let got = forward_block(ctx, b, q, &outs)?;
        for ((l, v), t) in losses.iter_mut().zip(&outs).zip(&got) {
            let reference = f.get(v).ok_or_else(|| GraphError::MissingValue(ctx.graph.var(*v).name.clone()))?;
            *l += mean_square_error(t, reference, &ctx.graph.var(*v).name)?;
        }
    }
    let n = qt.len().max(1) as f64;
    Ok(losses.iter().map(|l| l / n).sum())
}

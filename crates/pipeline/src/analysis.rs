//! Error analysis of a quantized graph, the playground's `graphwise_error_analyse` and a per-op sensitivity
//! ranking: "which layer, kept in float, helps the most" — PPQ's maintainers answer large per-layer errors
//! (#350, #258) by dispatching those layers to FP32, and this finds them.
//!
//! The error measure is PPQ's SNR (`ppq/quantization/measure/norm.py`, `torch_snr_error`): per sample,
//! Σ(pred − real)² / (Σ real² + 1e-7), averaged over samples. It is a noise-to-signal *ratio* (0 is perfect;
//! PPQ prints it as a percentage); [`snr_db`] turns it into decibels for the report.
//!
//! All work happens on scratch copies of the [`QuantizedGraph`]: the caller's graph, TQCs and trace are not
//! touched. Dequantize/restore on the copies still go through `TqcStore::set_state`.

use super::context::QuantizedGraph;
use super::error::PipelineError;
use super::passes::calibration::CalibrationData;
use super::simulate::FakeQuantHook;
use ppq_graph::executor::{ExecutionHook, Executor};
use ppq_graph::{BaseGraph, GraphError, OpId, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// PPQ adds this to the signal power so that an all-zero reference does not divide by zero.
const SIGNAL_EPS: f64 = 1e-7;

/// The error of one quantable op's first output, quantized against fp32 (PPQ's graphwise analysis).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerError {
    /// The op's name.
    pub op: String,
    /// Its type.
    pub op_type: String,
    /// The measured variable (output 0).
    pub var: String,
    /// PPQ's SNR: noise power / signal power, averaged over samples.
    pub snr: f64,
}

/// The error of one graph output, quantized against fp32.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputError {
    /// The graph output's name.
    pub var: String,
    /// PPQ's SNR (noise / signal).
    pub snr: f64,
}

/// What keeping one op in float does to the graph outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpSensitivity {
    /// The op's name.
    pub op: String,
    /// Its type.
    pub op_type: String,
    /// Output SNR (mean over graph outputs) with only this op dequantized.
    pub output_snr_when_float: f64,
    /// Fully quantized output SNR minus [`Self::output_snr_when_float`]: how much error the op's quantization
    /// causes. Larger is more sensitive; it can be negative when quantization errors happened to cancel.
    pub improvement: f64,
}

/// The full sensitivity result: the baseline and the ranking (most sensitive first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitivityReport {
    /// Output SNR of the fully quantized graph (mean over graph outputs).
    pub quantized_output_snr: f64,
    /// One entry per quantable op, sorted by decreasing improvement.
    pub ranking: Vec<OpSensitivity>,
}

/// PPQ's SNR ratio in decibels: 10·log10(signal / noise); +∞ when there is no noise.
pub fn snr_db(snr: f64) -> f64 {
    if snr <= 0.0 { f64::INFINITY } else { -10.0 * snr.log10() }
}

/// `torch_snr_error(pred, real)` with `reduction='mean'`: dimension 0 is the batch, each sample flattened.
/// Errors when the two tensors are not float32 of the same shape.
pub fn snr_error(pred: &Tensor, real: &Tensor) -> Result<f64, PipelineError> {
    let (Tensor::F32(p), Tensor::F32(r)) = (pred, real) else {
        return Err(analysis_error("SNR needs float32 tensors"));
    };
    if p.shape() != r.shape() {
        return Err(analysis_error(format!("SNR of shapes {:?} and {:?}", p.shape(), r.shape())));
    }
    let (p, r) = (p.as_standard_layout(), r.as_standard_layout());
    let (Some(p), Some(r)) = (p.as_slice(), r.as_slice()) else {
        return Err(analysis_error("tensor is not contiguous"));
    };
    let batch = pred.shape().first().copied().unwrap_or(1).max(1);
    let per = p.len() / batch;
    if per == 0 {
        return Ok(0.0);
    }
    let mut total = 0.0;
    for (ps, rs) in p.chunks(per).zip(r.chunks(per)) {
        let (mut noise, mut signal) = (0.0f64, 0.0f64);
        for (&a, &b) in ps.iter().zip(rs) {
            let (a, b) = (f64::from(a), f64::from(b));
            noise += (a - b) * (a - b);
            signal += b * b;
        }
        total += noise / (signal + SIGNAL_EPS);
    }
    Ok(total / batch as f64)
}

fn analysis_error(why: impl Into<String>) -> PipelineError {
    PipelineError::Pass { pass: "analysis", why: why.into() }
}

/// A hook that runs the fake-quant hook (if any) and keeps output 0 of the watched ops.
struct CaptureHook<'a> {
    quant: Option<FakeQuantHook<'a>>,
    watched: &'a HashMap<OpId, usize>,
    captured: Vec<Option<Tensor>>,
}

impl ExecutionHook for CaptureHook<'_> {
    fn before_op(&mut self, g: &BaseGraph, op: OpId, inputs: &mut [Option<Tensor>]) -> Result<(), GraphError> {
        self.quant.as_mut().map_or(Ok(()), |h| h.before_op(g, op, inputs))
    }

    fn after_op(&mut self, g: &BaseGraph, op: OpId, outputs: &mut [Tensor]) -> Result<(), GraphError> {
        if let Some(h) = self.quant.as_mut() {
            h.after_op(g, op, outputs)?;
        }
        if let (Some(&slot), Some(out)) = (self.watched.get(&op), outputs.first()) {
            self.captured[slot] = Some(out.clone());
        }
        Ok(())
    }
}

fn feeds(batch: &[(String, Tensor)]) -> Vec<(&str, Tensor)> {
    batch.iter().map(|(n, t)| (n.as_str(), t.clone())).collect()
}

/// The fp32 graph: a copy of `ctx` with every quantable op dequantized (stored fp32 parameters back).
pub fn fp32_copy(ctx: &QuantizedGraph) -> Result<QuantizedGraph, PipelineError> {
    let mut fp = ctx.clone();
    fp.dequantize_graph()?;
    fp.store.drain_transitions();
    Ok(fp)
}

/// Runs `ctx` with fake-quant on one batch, returning the graph outputs and output 0 of each watched op.
fn run(
    ctx: &QuantizedGraph,
    exec: &Executor<'_>,
    watched: &HashMap<OpId, usize>,
    batch: &[(String, Tensor)],
) -> Result<(Vec<Tensor>, Vec<Option<Tensor>>), PipelineError> {
    let mut hook = CaptureHook { quant: Some(FakeQuantHook::new(ctx)), watched, captured: vec![None; watched.len()] };
    let outs = exec.forward(&feeds(batch), None, &mut hook)?;
    Ok((outs, hook.captured))
}

fn check_calib(ctx: &QuantizedGraph, calib: &CalibrationData) -> Result<(), PipelineError> {
    calib.validate(&ctx.graph)
}

/// Per-layer error (output 0 of every quantable op, in executing order) and per-output error of the
/// quantized simulation against the fp32 graph, over every calibration batch. Layers whose output is not
/// float32 (shapes, indices) are left out.
pub fn graphwise_error(
    ctx: &QuantizedGraph,
    calib: &CalibrationData,
) -> Result<(Vec<LayerError>, Vec<OutputError>), PipelineError> {
    check_calib(ctx, calib)?;
    let fp = fp32_copy(ctx)?;
    let ops = ctx.quantable_ops();
    let watched: HashMap<OpId, usize> = ops.iter().enumerate().map(|(i, &o)| (o, i)).collect();
    let (qexec, fexec) = (Executor::new(&ctx.graph)?, Executor::new(&fp.graph)?);
    let mut layer_sum: Vec<(f64, usize)> = vec![(0.0, 0); ops.len()];
    let mut out_sum = vec![0.0; ctx.graph.outputs.len()];
    for batch in &calib.batches {
        let (qo, ql) = run(ctx, &qexec, &watched, batch)?;
        let (fo, fl) = run(&fp, &fexec, &watched, batch)?;
        for (i, (q, f)) in ql.iter().zip(&fl).enumerate() {
            if let (Some(q @ Tensor::F32(_)), Some(f @ Tensor::F32(_))) = (q, f) {
                layer_sum[i].0 += snr_error(q, f)?;
                layer_sum[i].1 += 1;
            }
        }
        for (s, (q, f)) in out_sum.iter_mut().zip(qo.iter().zip(&fo)) {
            *s += snr_error(q, f)?;
        }
    }
    let n = calib.batches.len() as f64;
    let mut layers = Vec::new();
    for (&op, &(sum, count)) in ops.iter().zip(&layer_sum) {
        let o = ctx.op(op);
        let Some(&var) = o.outputs.first() else { continue };
        if count > 0 {
            let (op, op_type) = (o.name.clone(), o.op_type.clone());
            layers.push(LayerError { op, op_type, var: ctx.graph.var(var).name.clone(), snr: sum / count as f64 });
        }
    }
    let outputs = ctx
        .graph
        .outputs
        .iter()
        .zip(&out_sum)
        .map(|(&v, &s)| OutputError { var: ctx.graph.var(v).name.clone(), snr: s / n })
        .collect();
    Ok((layers, outputs))
}

/// Mean output SNR of `ctx` (fake-quant) against the fp32 `reference` outputs, over all batches.
fn output_snr(ctx: &QuantizedGraph, calib: &CalibrationData, reference: &[Vec<Tensor>]) -> Result<f64, PipelineError> {
    let exec = Executor::new(&ctx.graph)?;
    let mut hook = FakeQuantHook::new(ctx);
    let (mut sum, mut count) = (0.0, 0usize);
    for (batch, real) in calib.batches.iter().zip(reference) {
        let outs = exec.forward(&feeds(batch), None, &mut hook)?;
        for (q, f) in outs.iter().zip(real) {
            sum += snr_error(q, f)?;
            count += 1;
        }
    }
    Ok(if count == 0 { 0.0 } else { sum / count as f64 })
}

/// [`sensitivity_with_progress`] without progress reports.
pub fn sensitivity(ctx: &QuantizedGraph, calib: &CalibrationData) -> Result<SensitivityReport, PipelineError> {
    sensitivity_with_progress(ctx, calib, &mut |_, _| {})
}

/// Dequantizes each quantable op in turn (alone), simulates the calibration data, measures the graph outputs
/// against the fp32 graph, restores the op, and ranks the ops by how much keeping them in float reduces the
/// output error. `progress(done, total)` is called after each op (for a Web Worker's progress bar). Costs
/// (ops + 2) forward passes per calibration batch; pass fewer batches for a quicker estimate.
pub fn sensitivity_with_progress(
    ctx: &QuantizedGraph,
    calib: &CalibrationData,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<SensitivityReport, PipelineError> {
    check_calib(ctx, calib)?;
    let fp = fp32_copy(ctx)?;
    let fexec = Executor::new(&fp.graph)?;
    let reference: Vec<Vec<Tensor>> = calib
        .batches
        .iter()
        .map(|b| fexec.forward(&feeds(b), None, &mut ppq_graph::executor::NoHook))
        .collect::<Result<_, _>>()?;
    let baseline = output_snr(ctx, calib, &reference)?;
    let ops = ctx.quantable_ops();
    let mut work = ctx.clone();
    let mut ranking = Vec::with_capacity(ops.len());
    for (i, &op) in ops.iter().enumerate() {
        let Some(q) = work.quantable(op) else { continue };
        q.dequantize(&mut work)?;
        let when_float = output_snr(&work, calib, &reference);
        q.restore_quantize_state(&mut work)?;
        work.store.drain_transitions();
        let when_float = when_float?;
        let o = ctx.op(op);
        ranking.push(OpSensitivity {
            op: o.name.clone(),
            op_type: o.op_type.clone(),
            output_snr_when_float: when_float,
            improvement: baseline - when_float,
        });
        progress(i + 1, ops.len());
    }
    ranking.sort_by(|a, b| b.improvement.total_cmp(&a.improvement));
    Ok(SensitivityReport { quantized_output_snr: baseline, ranking })
}

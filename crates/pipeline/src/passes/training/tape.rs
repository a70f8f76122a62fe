//! One training step's forward and backward through a block: the forward of
//! [`super::block_exec::forward_block`] that also remembers what the backward needs (each op's quantized
//! inputs, its raw outputs, and every fake-quant's input), then the gradients in reverse executing order with
//! the graph layer's backward kernels and the core's straight-through/LSQ fake-quant backward.
//!
//! Scale gradients follow PPQ's `LSQDelegator` on CPU: a *trainable* TQC (see [`super::lsq`]) quantizes with
//! `|s|` and receives `∂L/∂s · sign(s) / √(numel·quant_max)` (LSQ's gradient scaling); any other active TQC reads
//! its root's scale tensor directly (`config.scale` returns the dominator's), so when that root is trainable it
//! receives the raw `∂L/∂s` of this use as well.

use super::super::super::context::QuantizedGraph;
use super::super::super::error::PipelineError;
use super::TrainableBlock;
use super::block_exec::Feed;
use ndarray::ArrayD;
use ppq_core::QuantError;
use ppq_core::kernels::{LinearQuantParams, fake_quant, fake_quant_backward};
use ppq_core::tqc::TqcId;
use ppq_graph::ops::backward::{Grad, backward_op};
use ppq_graph::validate::run_attributes;
use ppq_graph::{GraphError, OpId, Tensor, VarId, ops};
use std::collections::{HashMap, HashSet};

/// What the backward needs from one fake-quant: the TQC and the value before quantization.
struct QuantRecord {
    tqc: TqcId,
    x: ArrayD<f32>,
}

/// One op of the forward.
struct OpRecord {
    op: OpId,
    /// The inputs the kernel saw (after input quantization).
    inputs: Vec<Option<Tensor>>,
    /// Fake-quant records of the inputs.
    in_quant: Vec<Option<QuantRecord>>,
    /// Raw kernel outputs (before output quantization).
    outputs: Vec<Tensor>,
    /// Fake-quant records of the outputs.
    out_quant: Vec<Option<QuantRecord>>,
}

/// The trainable tensors of a block, as [`super::lsq`] chose them.
pub struct Trainables {
    /// Parameters (weights, biases) that receive gradients.
    pub params: HashSet<VarId>,
    /// TQCs whose own scale trains.
    pub scales: HashSet<TqcId>,
}

/// Gradients of one step.
#[derive(Default)]
pub struct Grads {
    /// ∂L/∂parameter.
    pub params: HashMap<VarId, Grad>,
    /// ∂L/∂scale of each trainable TQC (per channel or one value), in f64.
    pub scales: HashMap<TqcId, Vec<f64>>,
}

fn quant_error(ctx: &QuantizedGraph, op: OpId, e: QuantError) -> PipelineError {
    PipelineError::Graph(GraphError::Invalid(format!("fake-quant at op '{}': {e}", ctx.op(op).name)))
}

/// LSQ's gradient scale `1/√(numel·quant_max)` for a tensor of `numel` elements.
fn grad_scale(numel: usize, quant_max: i32) -> f64 {
    1.0 / (numel as f64 * f64::from(quant_max)).sqrt()
}

/// The scale value a trainable TQC quantizes with in PPQ: `s·g + (s − s·g).detach()` of `|s|`, in float32 —
/// equal to `|s|` up to one ulp, and that ulp decides whether an element at exactly ±(quant range) rounds in
/// or out of the range (minmax puts the largest weight of every channel there).
fn lsq_forward_scale(s: f32, g: f64) -> f32 {
    let s = s.abs();
    let sg = s * g as f32;
    sg + (s - sg)
}

/// Scale, offset, range, rounding and axis of a TQC's effective config; `lsq_numel` is `Some(numel)` for a
/// trainable TQC, whose scale goes through [`lsq_forward_scale`].
struct Linear {
    scale: Vec<f32>,
    offset: Vec<f32>,
    lo: i32,
    hi: i32,
    rounding: ppq_core::rounding::RoundingPolicy,
    axis: Option<usize>,
}

impl Linear {
    fn of(ctx: &QuantizedGraph, tqc: TqcId, ndim: usize, lsq_numel: Option<usize>) -> Result<Self, QuantError> {
        let eff = ctx.store.effective(tqc)?;
        let label = ctx.label(tqc);
        let p = eff.params.ok_or_else(|| QuantError::InvalidConfig(format!("{label} is active but has no scale")))?;
        let axis = match (eff.policy.is_per_channel(), eff.channel_axis) {
            (false, _) => None,
            (true, Some(a)) => {
                let a = if a < 0 { a + ndim as i32 } else { a };
                Some(usize::try_from(a).map_err(|_| QuantError::BadData(format!("{label}: channel axis {a}")))?)
            }
            (true, None) => return Err(QuantError::InvalidConfig(format!("{label}: per-channel without axis"))),
        };
        let mut scale = p.scales().to_vec();
        if let Some(numel) = lsq_numel {
            let g = grad_scale(numel, eff.quant_max);
            scale.iter_mut().for_each(|s| *s = lsq_forward_scale(*s, g));
        }
        Ok(Self {
            scale,
            offset: p.offsets().to_vec(),
            lo: eff.quant_min,
            hi: eff.quant_max,
            rounding: eff.rounding,
            axis,
        })
    }

    fn params(&self) -> Result<LinearQuantParams<'_>, QuantError> {
        LinearQuantParams::new(&self.scale, &self.offset, self.lo, self.hi, self.rounding, self.axis)
    }
}

/// Fake-quantizes `t` with `tqc` when it is active; returns the record for the backward.
fn quantize(
    ctx: &QuantizedGraph,
    trainable: &Trainables,
    tqc: TqcId,
    t: &mut Tensor,
) -> Result<Option<QuantRecord>, QuantError> {
    if !ctx.store.get(tqc)?.state().is_activated(ctx.store.model()) {
        return Ok(None);
    }
    let Tensor::F32(a) = t else {
        return Err(QuantError::BadData(format!("{}: only float32 tensors can be fake-quantized", ctx.label(tqc))));
    };
    let x = a.as_standard_layout().into_owned();
    let lsq = trainable.scales.contains(&tqc).then_some(x.len());
    let lin = Linear::of(ctx, tqc, x.ndim(), lsq)?;
    let src = x.as_slice().ok_or_else(|| QuantError::BadData("tensor is not contiguous".into()))?;
    let mut out = vec![0f32; src.len()];
    fake_quant(src, &mut out, x.shape(), &lin.params()?)?;
    *a = ArrayD::from_shape_vec(x.raw_dim(), out).map_err(|e| QuantError::BadData(e.to_string()))?;
    Ok(Some(QuantRecord { tqc, x }))
}

/// A block's forward, remembered for one backward.
pub struct Tape {
    records: Vec<OpRecord>,
    /// Values of every variable the block computed (after output quantization), and the feeds.
    pub values: HashMap<VarId, Tensor>,
}

/// Runs the block on `feed` like PPQ's executor with LSQ delegators, remembering everything for [`backward`].
pub fn forward(
    ctx: &QuantizedGraph,
    b: &TrainableBlock,
    feed: &Feed,
    trainable: &Trainables,
) -> Result<Tape, PipelineError> {
    let g = &ctx.graph;
    let mut values: HashMap<VarId, Tensor> = feed.clone();
    let mut records = Vec::with_capacity(b.rps.len());
    for &op in &b.rps {
        let o = g.op(op);
        let cfg = ctx.config(op);
        let mut inputs = Vec::with_capacity(o.inputs.len());
        let mut in_quant = Vec::with_capacity(o.inputs.len());
        for (i, &v) in o.inputs.iter().enumerate() {
            let var = g.var(v);
            if var.name.is_empty() {
                inputs.push(None);
                in_quant.push(None);
                continue;
            }
            let mut t = values.get(&v).or(var.value.as_ref()).cloned().ok_or_else(|| {
                GraphError::MissingValue(format!("{} (input of '{}', not fed to the block)", var.name, o.name))
            })?;
            let rec = match cfg.and_then(|c| c.input_quantization_config.get(i)) {
                Some(&tqc) => quantize(ctx, trainable, tqc, &mut t).map_err(|e| quant_error(ctx, op, e))?,
                None => None,
            };
            inputs.push(Some(t));
            in_quant.push(rec);
        }
        let refs: Vec<Option<&Tensor>> = inputs.iter().map(Option::as_ref).collect();
        let mut raw = ops::run_op(&o.op_type, &refs, &run_attributes(o))?;
        raw.truncate(o.outputs.len());
        let mut out_quant = Vec::with_capacity(raw.len());
        for (k, (&v, r)) in o.outputs.iter().zip(&raw).enumerate() {
            let mut t = r.clone();
            let rec = match cfg.and_then(|c| c.output_quantization_config.get(k)) {
                Some(&tqc) => quantize(ctx, trainable, tqc, &mut t).map_err(|e| quant_error(ctx, op, e))?,
                None => None,
            };
            out_quant.push(rec);
            values.insert(v, t);
        }
        records.push(OpRecord { op, inputs, in_quant, outputs: raw, out_quant });
    }
    Ok(Tape { records, values })
}

fn add_into(map: &mut HashMap<VarId, Grad>, v: VarId, g: Grad) -> Result<(), PipelineError> {
    match map.get_mut(&v) {
        Some(acc) if acc.shape() == g.shape() => {
            *acc += &g;
            Ok(())
        }
        Some(_) => Err(PipelineError::Graph(GraphError::Invalid("gradient shapes disagree".into()))),
        None => {
            map.insert(v, g);
            Ok(())
        }
    }
}

/// The backward through one fake-quant: returns ∂L/∂x and adds the scale gradient where it trains.
fn quant_backward(
    ctx: &QuantizedGraph,
    trainable: &Trainables,
    rec: &QuantRecord,
    dy: &Grad,
    grads: &mut Grads,
) -> Result<Grad, QuantError> {
    let abs = trainable.scales.contains(&rec.tqc);
    let lin = Linear::of(ctx, rec.tqc, rec.x.ndim(), abs.then_some(rec.x.len()))?;
    let dy = dy.as_standard_layout();
    let (xs, dys) = (
        rec.x.as_slice().ok_or_else(|| QuantError::BadData("tensor is not contiguous".into()))?,
        dy.as_slice().ok_or_else(|| QuantError::BadData("gradient is not contiguous".into()))?,
    );
    let g = fake_quant_backward(xs, rec.x.shape(), &lin.params()?, dys)?;
    let root = ctx.store.root(rec.tqc)?;
    if abs {
        // LSQ: |s| and the gradient scale 1/√(numel·quant_max) of the delegator
        let own = ctx.store.get(rec.tqc)?;
        let factor = grad_scale(rec.x.len(), own.own_quant_max());
        let raw = own.own_params().map(|p| p.scales().to_vec()).unwrap_or_default();
        let acc = grads.scales.entry(rec.tqc).or_insert_with(|| vec![0.0; g.dscale.len()]);
        for ((a, d), s) in acc.iter_mut().zip(&g.dscale).zip(raw) {
            *a += d * factor * f64::from(s.signum());
        }
    } else if trainable.scales.contains(&root) {
        let acc = grads.scales.entry(root).or_insert_with(|| vec![0.0; g.dscale.len()]);
        for (a, d) in acc.iter_mut().zip(&g.dscale) {
            *a += d;
        }
    }
    ArrayD::from_shape_vec(rec.x.raw_dim(), g.dx).map_err(|e| QuantError::BadData(e.to_string()))
}

/// Gradients of `loss = Σ_outputs MSE(output, reference)`; returns the loss and the gradients.
pub fn backward(
    ctx: &QuantizedGraph,
    tape: &Tape,
    outputs: &[VarId],
    reference: &Feed,
    trainable: &Trainables,
) -> Result<(f64, Grads), PipelineError> {
    let g = &ctx.graph;
    let mut act: HashMap<VarId, Grad> = HashMap::new();
    let mut loss = 0.0;
    for &v in outputs {
        let name = &g.var(v).name;
        let y = tape.values.get(&v).ok_or_else(|| GraphError::MissingValue(name.clone()))?.as_f32(name)?;
        let r = reference.get(&v).ok_or_else(|| GraphError::MissingValue(name.clone()))?.as_f32(name)?;
        if y.shape() != r.shape() {
            return Err(PipelineError::Graph(GraphError::shape(name, "output and reference shapes differ")));
        }
        let n = y.len().max(1) as f32;
        loss += y.iter().zip(r.iter()).map(|(a, b)| f64::from(a - b).powi(2)).sum::<f64>() / f64::from(n);
        let d: Grad = ndarray::Zip::from(y).and(r).map_collect(|&a, &b| 2.0 * (a - b) / n);
        add_into(&mut act, v, d)?;
    }
    let mut grads = Grads::default();
    for rec in tape.records.iter().rev() {
        let o = g.op(rec.op);
        let mut out_grads: Vec<Option<Grad>> = o.outputs.iter().map(|v| act.remove(v)).collect();
        if out_grads.iter().all(Option::is_none) {
            continue;
        }
        if out_grads.iter().skip(1).any(Option::is_some) {
            return Err(PipelineError::Pass {
                pass: super::super::PassKind::LearnedStepSize.name(),
                why: format!("op '{}': only the first output of a trained op may carry a gradient", o.name),
            });
        }
        let mut gy = out_grads[0].take().ok_or_else(|| GraphError::MissingValue(o.name.clone()))?;
        if let Some(Some(q)) = rec.out_quant.first() {
            gy = quant_backward(ctx, trainable, q, &gy, &mut grads).map_err(|e| quant_error(ctx, rec.op, e))?;
        }
        let refs: Vec<Option<&Tensor>> = rec.inputs.iter().map(Option::as_ref).collect();
        let in_grads = backward_op(&o.op_type, &refs, &rec.outputs, &gy, &run_attributes(o))?;
        for (i, gi) in in_grads.into_iter().enumerate() {
            let Some(mut gi) = gi else { continue };
            let v = o.inputs[i];
            let is_param = g.var(v).is_parameter;
            if is_param
                && !trainable.params.contains(&v)
                && rec.in_quant[i].as_ref().is_none_or(|q| {
                    !trainable.scales.contains(&q.tqc)
                        && ctx.store.root(q.tqc).is_ok_and(|r| !trainable.scales.contains(&r))
                })
            {
                continue; // nothing upstream of this parameter trains
            }
            if let Some(q) = &rec.in_quant[i] {
                gi = quant_backward(ctx, trainable, q, &gi, &mut grads).map_err(|e| quant_error(ctx, rec.op, e))?;
            }
            if is_param {
                if trainable.params.contains(&v) {
                    add_into(&mut grads.params, v, gi)?;
                }
            } else {
                add_into(&mut act, v, gi)?;
            }
        }
    }
    Ok((loss, grads))
}

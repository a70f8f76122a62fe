//! QuantAlignmentPass (`optim/refine.py`, spec §6.5): ties the scales of Add/Sub/Sum, Concat, pooling
//! and Resize. 'Align to Large' merges the inputs' representable ranges into input 0 (PASSIVE) and
//! masters the other inputs to it; 'Align to Output' masters the inputs to output 0; 'Align to Input'
//! masters the outputs to input 0. For Large/Output the upstream producers' TQCs on the edge are then
//! dominated by the master (they become OVERLAPPED, as the 0.6.6 reference runs show).

use super::super::context::QuantizedGraph;
use super::super::error::PipelineError;
use super::super::setting::{AlignmentGroup, AlignmentMethod};
use super::PassKind;
use ppq_core::QuantizationStates as S;
use ppq_core::observer::{ObserverTarget, minmax_to_scale_offset};
use ppq_core::quirks::Quirks;
use ppq_core::tqc::{QuantParams, TqcId};
use ppq_core::{QuantError, QuantizationProperty as P};
use ppq_graph::OpId;

fn err(why: String) -> PipelineError {
    PipelineError::Pass { pass: PassKind::Alignment.name(), why }
}

/// Whether alignment leaves this TQC alone (FP32, or a FLOATING policy).
fn skipped(ctx: &QuantizedGraph, t: TqcId) -> Result<bool, QuantError> {
    let c = ctx.store.get(t)?;
    Ok(c.state() == S::FP32 || c.own_policy().has_property(P::FLOATING))
}

/// Runs the pass over every quantable op in graph order.
pub fn run(ctx: &mut QuantizedGraph) -> Result<(), PipelineError> {
    let a = ctx.setting.quantize_alignment_setting.clone();
    for op in ctx.graph.op_ids() {
        if !ctx.is_quantable(op) {
            continue;
        }
        let Some(group) = AlignmentGroup::of(&ctx.op(op).op_type) else { continue };
        let method = match group {
            AlignmentGroup::Elementwise => a.elementwise_alignment,
            AlignmentGroup::Concat => a.concat_alignment,
            AlignmentGroup::Pooling => a.pooling_alignment,
            AlignmentGroup::Resize => a.resize_alignment,
        };
        if !group.allowed().contains(&method) {
            return Err(err(format!("'{}' cannot be aligned with '{}'", ctx.op(op).name, method.name())));
        }
        let master = match method {
            AlignmentMethod::None => continue,
            AlignmentMethod::AlignToLarge => align_to_large(ctx, op)?,
            AlignmentMethod::AlignToOutput => align_to_output(ctx, op)?,
            AlignmentMethod::AlignToInput => {
                align_to_input(ctx, op)?;
                continue;
            }
        };
        if let Some(master) = master {
            override_upstream(ctx, op, master, a.force_overlap)?;
        }
    }
    Ok(())
}

/// 'Align to Large'. Faithful: the slave loop tests the *last* input's state/policy for every slave
/// (spec §6.5 step 5); `Quirks::Fixed` tests each slave.
fn align_to_large(ctx: &mut QuantizedGraph, op: OpId) -> Result<Option<TqcId>, PipelineError> {
    let Some(cfg) = ctx.config(op).cloned() else { return Ok(None) };
    let ins = &cfg.input_quantization_config;
    let Some(&master) = ins.first() else { return Ok(None) };
    let (mut gmin, mut gmax) = (0.0f64, 0.0f64);
    for &c in ins {
        if skipped(ctx, c)? {
            continue;
        }
        let t = ctx.store.get(c)?;
        if !t.own_policy().has_property(P::PER_TENSOR) {
            return Err(err(format!("{}: Align to Large needs PER_TENSOR", t.label())));
        }
        let (qmin, qmax) = (f64::from(t.own_quant_min()), f64::from(t.own_quant_max()));
        let Some(QuantParams::PerTensor { scale, offset }) = ctx.store.params(c)?.cloned() else {
            return Err(err(format!("{} has no per-tensor scale to align", ctx.label(c))));
        };
        let (s, o) = (f64::from(scale), f64::from(offset));
        gmin = gmin.min(s * (qmin - o));
        gmax = gmax.max(s * (qmax - o));
    }
    let m = ctx.store.get(master)?;
    let target = ObserverTarget::new(m.own_policy(), m.own_quant_min(), m.own_quant_max(), m.own_num_of_bits())
        .with_quirks(ctx.setting.quirks);
    let (s, o) = minmax_to_scale_offset(gmin, gmax, &target)?;
    ctx.store.detach(master)?;
    ctx.store.set_state(master, S::PASSIVE, "align to large: master")?;
    ctx.store.set_scale_offset(master, QuantParams::per_tensor(s as f32, o as f32))?;
    let last = *ins.last().unwrap_or(&master);
    let stale_skip = skipped(ctx, last)?;
    for &slave in &ins[1..] {
        let skip = match ctx.setting.quirks {
            Quirks::Faithful => stale_skip,
            Quirks::Fixed => skipped(ctx, slave)?,
        };
        if !skip {
            ctx.store.master_by(slave, master)?;
        }
    }
    Ok(Some(master))
}

/// 'Align to Output': inputs (not FP32, not FLOATING) are mastered by output 0.
fn align_to_output(ctx: &mut QuantizedGraph, op: OpId) -> Result<Option<TqcId>, PipelineError> {
    let Some(cfg) = ctx.config(op).cloned() else { return Ok(None) };
    let Some(&master) = cfg.output_quantization_config.first() else { return Ok(None) };
    for &c in &cfg.input_quantization_config {
        if !skipped(ctx, c)? {
            ctx.store.master_by(c, master)?;
        }
    }
    Ok(Some(master))
}

/// 'Align to Input': outputs (not FP32, not FLOATING) are mastered by input 0; no upstream override.
fn align_to_input(ctx: &mut QuantizedGraph, op: OpId) -> Result<(), PipelineError> {
    let Some(cfg) = ctx.config(op).cloned() else { return Ok(()) };
    let Some(&master) = cfg.input_quantization_config.first() else { return Ok(()) };
    for &c in &cfg.output_quantization_config {
        if !skipped(ctx, c)? {
            ctx.store.master_by(c, master)?;
        }
    }
    Ok(())
}

/// Every TQC of a quantable upstream op whose variable feeds `op` is dominated by `master`
/// (only upstream ops with a single consumer unless `force_overlap`). A TQC already in the master's
/// group is left alone: PPQ's setter is a no-op there, except when the TQC is the group's root, where
/// it raises "circular reference"; we skip that case instead of failing the pass.
fn override_upstream(ctx: &mut QuantizedGraph, op: OpId, master: TqcId, force: bool) -> Result<(), PipelineError> {
    let inputs = ctx.op(op).inputs.clone();
    for up in ctx.graph.upstream_ops(op) {
        if !ctx.is_quantable(up) || (!force && ctx.graph.downstream_ops(up).len() != 1) {
            continue;
        }
        for (cfg, var) in ctx.config_with_variable(up) {
            if inputs.contains(&var) && cfg != master && ctx.store.root(cfg)? != ctx.store.root(master)? {
                ctx.store.dominate(cfg, master)?;
            }
        }
    }
    Ok(())
}

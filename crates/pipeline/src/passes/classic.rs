//! The rules of PPQ 0.6.5.1's passes where they differ from 0.6.6 (the classic 12-state pipeline, spec
//! §2.2, §3.3, §6.5 "pre-0.6.6"). Same pass names and order; the driver picks these functions when
//! `setting.state_model` is ppq-0.6.5. What differs, as the 0.6.5 reference runs show:
//!
//! - **QuantizeFusionPass**: besides computing op → activation (skipped for computing ops on TRT_INT8,
//!   OPENVINO_INT8 and NCNN_INT8), *any* quantable producer with a single consumer is fused into a following
//!   Relu/Clip on the same platform, so Add → Relu shares the Relu's output scale (b_residual). A passive
//!   op (0.6.5's list, Resize included) is fused only when *all* its upstream ops share its platform, so a
//!   Reshape fed by a shape chain on SOI is not (c_soi).
//! - **QuantAlignmentPass**: only Add/Sub/Sum, Concat and pooling are aligned (no Resize). Aligned TQCs
//!   become SLAVE through `set_master`; the Align-to-Large master is ACTIVATED; upstream producers are
//!   `set_master(…, recursive = force_overlap)`.
//! - **PassiveParameterQuantizePass**: the Pad value (PASSIVE_INIT after QuantizeRefinePass) copies its
//!   input's scale and offset and becomes PASSIVE without a master; Clip bounds stay FP32.

use super::super::context::QuantizedGraph;
use super::super::error::PipelineError;
use super::super::setting::{AlignmentGroup, AlignmentMethod};
use super::{PassKind, passive};
use ppq_core::QuantError;
use ppq_core::QuantizationProperty as P;
use ppq_core::QuantizationStates as S;
use ppq_core::observer::{ObserverTarget, minmax_to_scale_offset};
use ppq_core::platform::TargetPlatform;
use ppq_core::tqc::{QuantParams, TqcId};
use ppq_graph::OpId;
use ppq_graph::dispatch::COMPUTING_OP;

/// Platforms whose computing op → activation pairs 0.6.5 leaves to the Relu/Clip rule.
const NO_ACTIVATION_PATTERN: &[TargetPlatform] =
    &[TargetPlatform::TrtInt8, TargetPlatform::OpenvinoInt8, TargetPlatform::NcnnInt8];

/// 0.6.5 QuantizeFusionPass.
pub fn fusion(ctx: &mut QuantizedGraph) -> Result<(), QuantError> {
    let fs = ctx.setting.fusion_setting.clone();
    let act_types = ctx.quantizer.activation_fusion_types(ctx.setting.state_model);
    let ops = ctx.graph.op_ids();
    if fs.fuse_activation {
        for &comp in &ops {
            if !COMPUTING_OP.contains(&ctx.op(comp).op_type.as_str())
                || !ctx.is_quantable(comp)
                || NO_ACTIVATION_PATTERN.contains(&ctx.op(comp).platform)
            {
                continue;
            }
            let down = ctx.graph.downstream_ops(comp);
            for act in down.iter().copied() {
                if !act_types.contains(&ctx.op(act).op_type.as_str()) || !ctx.is_quantable(act) {
                    continue;
                }
                let (Some(c_out), Some(a_in), Some(a_out)) =
                    (ctx.output_tqc(comp, 0), ctx.input_tqc(act, 0), ctx.output_tqc(act, 0))
                else {
                    continue;
                };
                if ctx.op(comp).platform != ctx.op(act).platform && ctx.store.get(c_out)?.state() != S::FP32 {
                    continue;
                }
                if down.len() == 1 && ctx.graph.upstream_ops(act).len() == 1 {
                    ctx.store.dominate(c_out, a_out)?;
                    ctx.store.dominate(a_in, a_out)?;
                }
            }
        }
        // "fuse relu and clip if possible": any producer, not only computing ops
        for &op in &ops {
            if !matches!(ctx.op(op).op_type.as_str(), "Relu" | "Clip") || !ctx.is_quantable(op) {
                continue;
            }
            let Some(up) = ctx.op(op).inputs.first().and_then(|&v| ctx.graph.var(v).source_op) else { continue };
            if ctx.op(up).platform != ctx.op(op).platform
                || !ctx.is_quantable(up)
                || ctx.graph.downstream_ops(up).len() != 1
            {
                continue;
            }
            let (Some(u_out), Some(a_in), Some(a_out)) =
                (ctx.output_tqc(up, 0), ctx.input_tqc(op, 0), ctx.output_tqc(op, 0))
            else {
                continue;
            };
            if ctx.store.root(u_out)? != ctx.store.root(a_out)? {
                ctx.store.dominate(u_out, a_out)?;
            }
            if ctx.store.root(a_in)? != ctx.store.root(a_out)? {
                ctx.store.dominate(a_in, a_out)?;
            }
        }
    }
    if fs.fuse_passive_op {
        for &op in &ops {
            let ups = ctx.graph.upstream_ops(op);
            let Some(cfg) = ctx.config(op).cloned() else { continue };
            if ups.is_empty() || cfg.is_active_quant_op {
                continue;
            }
            let platform = ctx.op(op).platform;
            if ups.iter().any(|&u| ctx.op(u).platform != platform) {
                continue;
            }
            let Some(&input) = cfg.input_quantization_config.first() else { continue };
            for &out in &cfg.output_quantization_config {
                ctx.store.dominate(out, input)?;
            }
        }
    }
    Ok(())
}

fn align_err(why: String) -> PipelineError {
    PipelineError::Pass { pass: PassKind::Alignment.name(), why }
}

/// 0.6.5 QuantAlignmentPass: elementwise, concat and pooling ops, in graph order.
pub fn alignment(ctx: &mut QuantizedGraph) -> Result<(), PipelineError> {
    let a = ctx.setting.quantize_alignment_setting.clone();
    for op in ctx.graph.op_ids() {
        if !ctx.is_quantable(op) {
            continue;
        }
        let method = match AlignmentGroup::of(&ctx.op(op).op_type) {
            Some(AlignmentGroup::Elementwise) => a.elementwise_alignment,
            Some(AlignmentGroup::Concat) => a.concat_alignment,
            Some(AlignmentGroup::Pooling) => a.pooling_alignment,
            // 0.6.5 has no Resize alignment
            Some(AlignmentGroup::Resize) | None => continue,
        };
        let master = match method {
            AlignmentMethod::None => continue,
            AlignmentMethod::AlignToLarge => align_to_large(ctx, op)?,
            AlignmentMethod::AlignToOutput => align_to_output(ctx, op)?,
            AlignmentMethod::AlignToInput => {
                return Err(align_err(format!("'{}': 0.6.5 has no 'Align to Input'", ctx.op(op).name)));
            }
        };
        let Some(master) = master else { continue };
        let inputs = ctx.op(op).inputs.clone();
        for up in ctx.graph.upstream_ops(op) {
            if !ctx.is_quantable(up) || (!a.force_overlap && ctx.graph.downstream_ops(up).len() != 1) {
                continue;
            }
            for (cfg, var) in ctx.config_with_variable(up) {
                if inputs.contains(&var) {
                    set_master(ctx, cfg, master, a.force_overlap)?;
                }
            }
        }
    }
    Ok(())
}

/// `set_master`, except where PPQ would point the master at itself (the TQC, or its root when recursive,
/// already is the master): that is skipped rather than turning the master into its own SLAVE.
fn set_master(ctx: &mut QuantizedGraph, cfg: TqcId, master: TqcId, recursive: bool) -> Result<(), PipelineError> {
    let target = if recursive { ctx.store.root(cfg)? } else { cfg };
    if target == master {
        return Ok(());
    }
    Ok(ctx.store.set_master(cfg, master, recursive)?)
}

/// 'Align to Large' (0.6.5): the union of every input's representable range (read through its root, as
/// are its bounds in 0.6.5) goes to input 0, which becomes its own root and ACTIVATED; the other inputs
/// are its SLAVEs.
fn align_to_large(ctx: &mut QuantizedGraph, op: OpId) -> Result<Option<TqcId>, PipelineError> {
    let Some(cfg) = ctx.config(op).cloned() else { return Ok(None) };
    let ins = &cfg.input_quantization_config;
    let Some(&master) = ins.first() else { return Ok(None) };
    let (mut gmin, mut gmax) = (0.0f64, 0.0f64);
    for &c in ins {
        let e = ctx.store.effective(c)?;
        if !e.policy.has_property(P::PER_TENSOR) {
            return Err(align_err(format!("{}: Align to Large needs PER_TENSOR", ctx.label(c))));
        }
        let (qmin, qmax) = (f64::from(e.quant_min), f64::from(e.quant_max));
        let Some(QuantParams::PerTensor { scale, offset }) = ctx.store.params(c)?.cloned() else {
            return Err(align_err(format!("{} has no per-tensor scale to align", ctx.label(c))));
        };
        let (s, o) = (f64::from(scale), f64::from(offset));
        gmin = gmin.min(s * (qmin - o));
        gmax = gmax.max(s * (qmax - o));
    }
    let e = ctx.store.effective(master)?;
    let target = ObserverTarget::new(e.policy, e.quant_min, e.quant_max, e.num_of_bits).with_quirks(ctx.setting.quirks);
    let (s, o) = minmax_to_scale_offset(gmin, gmax, &target)?;
    ctx.store.detach(master)?;
    ctx.store.set_state(master, S::ACTIVATED, "align to large: master")?;
    ctx.store.set_scale_offset(master, QuantParams::per_tensor(s as f32, o as f32))?;
    for &slave in &ins[1..] {
        set_master(ctx, slave, master, false)?;
    }
    Ok(Some(master))
}

/// 'Align to Output' (0.6.5): every input becomes a SLAVE of output 0.
fn align_to_output(ctx: &mut QuantizedGraph, op: OpId) -> Result<Option<TqcId>, PipelineError> {
    let Some(cfg) = ctx.config(op).cloned() else { return Ok(None) };
    let Some(&master) = cfg.output_quantization_config.first() else { return Ok(None) };
    for &c in &cfg.input_quantization_config {
        set_master(ctx, c, master, false)?;
    }
    Ok(Some(master))
}

/// 0.6.5 PassiveParameterQuantizePass: biases as in 0.6.6; a PASSIVE_INIT Pad value or Clip bound takes
/// its input's scale/offset as its own and becomes PASSIVE (FP32 Clip bounds are left alone).
pub fn passive_parameters(ctx: &mut QuantizedGraph) -> Result<(), PipelineError> {
    for op in ctx.graph.op_ids() {
        let Some(cfg) = ctx.config(op).cloned() else { continue };
        let ins = &cfg.input_quantization_config;
        match ctx.op(op).op_type.as_str() {
            "Conv" | "ConvTranspose" | "Gemm" if ins.len() == 3 => passive::bias(ctx, ins[0], ins[1], ins[2])?,
            "Pad" | "Clip" => {}
            _ => continue,
        }
        for &c in ins.iter().skip(1) {
            if ctx.store.get(c)?.state() != S::PASSIVE_INIT {
                continue;
            }
            let params = ctx.store.params(ins[0])?.cloned().ok_or_else(|| PipelineError::Pass {
                pass: PassKind::PassiveParameterQuantize.name(),
                why: format!("{}: input {} has no scale", ctx.label(c), ctx.label(ins[0])),
            })?;
            ctx.store.set_scale_offset(c, params)?;
            ctx.store.set_state(c, S::PASSIVE, "takes the input's scale")?;
        }
    }
    Ok(())
}

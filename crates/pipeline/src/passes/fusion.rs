//! QuantizeFusionPass (`optim/refine.py`, spec §2.3/§6.4): a computing op's output and the following
//! activation's input join the activation's output group; a passive op's outputs join its input 0.
//!
//! PPQ 0.6.6 as run on the reference models does not fuse Add → Relu (the `fuse_relu_clip` rule of later
//! HEAD), so that rule is not applied here.

use super::super::context::QuantizedGraph;
use super::passive_operations;
use ppq_core::QuantError;
use ppq_core::QuantizationStates as S;
use ppq_graph::dispatch::COMPUTING_OP;

/// Runs activation fusion (when `fuse_activation`) then passive-op fusion (when `fuse_passive_op`).
pub fn run(ctx: &mut QuantizedGraph) -> Result<(), QuantError> {
    let fs = ctx.setting.fusion_setting.clone();
    let act_types = ctx.quantizer.activation_fusion_types(ctx.setting.state_model);
    let ops = ctx.graph.op_ids();
    if fs.fuse_activation {
        for &comp in &ops {
            if !COMPUTING_OP.contains(&ctx.op(comp).op_type.as_str()) || !ctx.is_quantable(comp) {
                continue;
            }
            // exclusive 2-op pattern: computing op → activation over a direct edge
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
                    continue; // PPQ warns and skips
                }
                if down.len() == 1 && ctx.graph.upstream_ops(act).len() == 1 {
                    ctx.store.dominate(c_out, a_out)?;
                    ctx.store.dominate(a_in, a_out)?;
                }
            }
        }
    }
    if fs.fuse_passive_op {
        for &op in &ops {
            let o = ctx.op(op);
            if !ctx.is_quantable(op)
                || !passive_operations(ctx.setting.quirks, ctx.setting.state_model).contains(&o.op_type.as_str())
            {
                continue;
            }
            let Some(src) = o.inputs.first().and_then(|&v| ctx.graph.var(v).source_op) else { continue };
            if ctx.op(src).platform != o.platform {
                continue;
            }
            let Some(cfg) = ctx.config(op).cloned() else { continue };
            let Some(&input) = cfg.input_quantization_config.first() else { continue };
            for &out in &cfg.output_quantization_config {
                ctx.store.dominate(out, input)?;
            }
        }
    }
    Ok(())
}

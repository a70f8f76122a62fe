//! QuantizeSimplifyPass (`optim/refine.py`, spec §2.3/§6.3): on each edge between two quantable ops of
//! the same platform, the consumer's INITIAL input TQC joins the producer output's group when both use
//! the same scheme, so one tensor is quantized once.

use super::super::context::QuantizedGraph;
use ppq_core::QuantError;
use ppq_core::QuantizationStates as S;

/// Runs the pass over every variable, in graph order.
pub fn run(ctx: &mut QuantizedGraph) -> Result<(), QuantError> {
    for var in ctx.graph.var_ids() {
        let v = ctx.graph.var(var);
        let Some(src) = v.source_op else { continue };
        let dests = v.dest_ops.clone();
        let Some(out_idx) = ctx.op(src).outputs.iter().position(|&o| o == var) else { continue };
        let Some(src_cfg) = ctx.output_tqc(src, out_idx) else { continue };
        if ctx.store.get(src_cfg)?.state() == S::FP32 {
            continue;
        }
        for dest in dests {
            if !ctx.is_quantable(dest) || ctx.op(dest).platform != ctx.op(src).platform {
                continue;
            }
            let slots: Vec<usize> =
                ctx.op(dest).inputs.iter().enumerate().filter(|(_, i)| **i == var).map(|(i, _)| i).collect();
            for slot in slots {
                let Some(dest_cfg) = ctx.input_tqc(dest, slot) else { continue };
                if ctx.store.get(dest_cfg)?.state() == S::INITIAL && ctx.store.is_same_scheme(src_cfg, dest_cfg)? {
                    ctx.store.dominate(dest_cfg, src_cfg)?;
                }
            }
        }
    }
    Ok(())
}

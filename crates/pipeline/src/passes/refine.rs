//! QuantizeRefinePass (PPQ ≤ 0.6.5 `optim/refine.py`, spec §6.2), the first pass of the classic pipeline:
//! inputs that carry shapes, indices or clip bounds must not be quantized, so it turns them from INITIAL to
//! SOI (shape or index), FP32 (Clip min/max) or PASSIVE_INIT (the Pad value, quantized later with the
//! input's scale). PPQ 0.6.6 has no such pass: its op sockets create those inputs FP32 directly.

use super::super::context::QuantizedGraph;
use super::super::error::PipelineError;
use ppq_core::QuantizationStates as S;

/// The state QuantizeRefinePass gives input `slot` of an op of type `op_type`, if any.
pub fn refined_state(op_type: &str, slot: usize) -> Option<S> {
    match (op_type, slot) {
        ("Reshape" | "Gather" | "Split" | "Pad", 1) => Some(S::SOI),
        ("Slice", 1..=4) | ("Resize", 1..=3) => Some(S::SOI),
        ("Pad", 2) => Some(S::PASSIVE_INIT),
        ("Clip", 1..=2) => Some(S::FP32),
        _ => None,
    }
}

/// Runs the pass over every quantable op in graph order.
pub fn run(ctx: &mut QuantizedGraph) -> Result<(), PipelineError> {
    for op in ctx.graph.op_ids() {
        let Some(cfg) = ctx.config(op).cloned() else { continue };
        let op_type = ctx.op(op).op_type.clone();
        for (slot, &tqc) in cfg.input_quantization_config.iter().enumerate() {
            if let Some(to) = refined_state(&op_type, slot) {
                let why = match to {
                    S::SOI => "shape or index input",
                    S::FP32 => "clip bound stays float",
                    _ => "pad value follows the input's scale",
                };
                ctx.store.set_state(tqc, to, why)?;
            }
        }
    }
    Ok(())
}

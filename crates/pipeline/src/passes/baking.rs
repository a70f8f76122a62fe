//! ParameterBakingPass (`optim/baking.py`, spec §6.8): every quantable op bakes its parameters
//! (ACTIVATED → BAKED, PASSIVE → PASSIVE_BAKED; values replaced by their fake-quantized floats).

use super::super::context::QuantizedGraph;
use super::super::error::PipelineError;

/// Bakes every quantable op, in graph order.
pub fn run(ctx: &mut QuantizedGraph) -> Result<(), PipelineError> {
    for op in ctx.graph.op_ids() {
        if let Some(q) = ctx.quantable(op) {
            q.baking_parameters(ctx)?;
        }
    }
    Ok(())
}

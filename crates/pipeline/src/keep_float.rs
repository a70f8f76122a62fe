//! "Keep in float" on a running [`Pipeline`]: the page's per-op switch. Switching an op to float is PPQ's
//! `QuantableOperation.dequantize()` and switching it back is `restore_quantize_state()`; both are logged in
//! the pipeline's trace as named steps, like passes. (To keep an op in float *before* quantization, which is
//! what `--keep-float` does, build the pipeline with [`Pipeline::with_dispatching`].)

use super::driver::Pipeline;
use super::error::PipelineError;
use ppq_core::tqc::Transition;

impl Pipeline {
    /// Dequantizes the quantable op `name` (its TQCs to FP32, or DEQUANTIZED in ppq-0.6.5; fp32 parameters
    /// back). Returns the logged transitions: empty when the op already was in float.
    pub fn dequantize_op(&mut self, name: &str) -> Result<Vec<Transition>, PipelineError> {
        let q = self.context().quantable_by_name(name)?;
        Ok(self.apply(&format!("dequantize {name}"), |ctx| q.dequantize(ctx))?.1)
    }

    /// Restores the quantable op `name` to its remembered states and baked parameters. Returns the logged
    /// transitions: empty when the op was not dequantized.
    pub fn restore_op(&mut self, name: &str) -> Result<Vec<Transition>, PipelineError> {
        let q = self.context().quantable_by_name(name)?;
        Ok(self.apply(&format!("restore_quantize_state {name}"), |ctx| q.restore_quantize_state(ctx))?.1)
    }

    /// Whether the quantable op `name` is currently dequantized (the switch's position).
    pub fn is_dequantized(&self, name: &str) -> Result<bool, PipelineError> {
        Ok(self.context().quantable_by_name(name)?.is_dequantized(self.context()))
    }

    /// Names of the dequantized ops, in executing order.
    pub fn dequantized_ops(&self) -> Vec<String> {
        let ctx = self.context();
        ctx.quantable_ops()
            .into_iter()
            .filter_map(|op| ctx.quantable(op))
            .filter(|q| q.is_dequantized(ctx))
            .map(|q| ctx.op(q.op).name.clone())
            .collect()
    }
}

//! Fake-quant simulation: PPQ's executor runs every input and output of a QuantableOperation through
//! `quantize_function(value, tqc)`, which fake-quantizes only when the TQC `is_activated` (ACTIVATED or
//! PASSIVE; BAKED parameters already hold quantized values). [`FakeQuantHook`] does the same around each
//! op of our executor, with the core kernels.

use super::context::QuantizedGraph;
use super::error::PipelineError;
use ppq_core::QuantError;
use ppq_core::tqc::{TqcId, TqcStore};
use ppq_graph::executor::{ExecutionHook, Executor};
use ppq_graph::{BaseGraph, GraphError, OpId, Tensor};

pub use ppq_graph::quantize::fake_quant_tensor;

/// Applies `tqc` to `value` when its state is activated (PPQ's `quantize_function`).
pub(crate) fn apply_if_active(store: &TqcStore, tqc: TqcId, value: &mut Tensor) -> Result<(), QuantError> {
    if store.get(tqc)?.state().is_activated(store.model()) {
        fake_quant_tensor(store, tqc, value)?;
    }
    Ok(())
}

fn to_graph(op: &str, e: QuantError) -> GraphError {
    GraphError::Invalid(format!("fake-quant at op '{op}': {e}"))
}

/// An executor hook that fake-quantizes the inputs and outputs of every quantable op, like PPQ's
/// `TorchExecutor` with a quantized graph.
pub struct FakeQuantHook<'a> {
    ctx: &'a QuantizedGraph,
}

impl<'a> FakeQuantHook<'a> {
    /// A hook reading the TQCs of `ctx`.
    pub fn new(ctx: &'a QuantizedGraph) -> Self {
        Self { ctx }
    }
}

impl ExecutionHook for FakeQuantHook<'_> {
    fn before_op(&mut self, g: &BaseGraph, op: OpId, inputs: &mut [Option<Tensor>]) -> Result<(), GraphError> {
        if let Some(cfg) = self.ctx.config(op) {
            for (&t, v) in cfg.input_quantization_config.iter().zip(inputs.iter_mut()) {
                if let Some(v) = v {
                    apply_if_active(&self.ctx.store, t, v).map_err(|e| to_graph(&g.op(op).name, e))?;
                }
            }
        }
        Ok(())
    }

    fn after_op(&mut self, g: &BaseGraph, op: OpId, outputs: &mut [Tensor]) -> Result<(), GraphError> {
        if let Some(cfg) = self.ctx.config(op) {
            for (&t, v) in cfg.output_quantization_config.iter().zip(outputs.iter_mut()) {
                apply_if_active(&self.ctx.store, t, v).map_err(|e| to_graph(&g.op(op).name, e))?;
            }
        }
        Ok(())
    }
}

/// Runs the quantized graph on one set of feeds with fake-quantization (PPQ's simulated inference).
pub fn simulate(ctx: &QuantizedGraph, feeds: &[(&str, Tensor)]) -> Result<Vec<Tensor>, PipelineError> {
    let exec = Executor::new(&ctx.graph)?;
    Ok(exec.forward(feeds, None, &mut FakeQuantHook::new(ctx))?)
}

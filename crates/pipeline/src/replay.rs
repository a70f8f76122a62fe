//! Fake-quant simulation from `tqc.json` records alone (what `run --quantized DIR` needs): no pipeline state,
//! only the formatted graph and the records' states, scales and offsets. Parameters are baked once (as the
//! baked ONNX export does); every activation TQC that PPQ's `quantize_function` would apply (ACTIVATED,
//! PASSIVE, and 0.6.5's SLAVE) fake-quantizes the op's input or output around each op, like [`super::simulate`]
//! does with a live TQC store.

use super::export::{ExportError, ExportInput, ExportTqc, baked_graph};
use ppq_core::kernels::fake_quant_in_place;
use ppq_core::{QuantizationProperty, StateModel};
use ppq_graph::executor::{ExecutionHook, Executor};
use ppq_graph::{BaseGraph, GraphError, OpId, Tensor};
use std::collections::HashMap;

/// Activation TQCs by (op name, is input, slot).
type ActivationTqcs<'i, 'a> = HashMap<(&'i str, bool, usize), &'i ExportTqc<'a>>;

/// The graph to run (parameters baked) and the activation TQCs to apply.
pub struct Replay<'i, 'a> {
    graph: BaseGraph,
    tqcs: ActivationTqcs<'i, 'a>,
}

impl<'i, 'a> Replay<'i, 'a> {
    /// Bakes the parameters of `input.graph` and indexes the activation TQCs that apply. FLOATING (FP8)
    /// records are refused: PPQ simulates them with CUDA only.
    pub fn new(input: &'i ExportInput<'a>) -> Result<Self, ExportError> {
        let graph = baked_graph(input)?;
        let mut tqcs = HashMap::new();
        for t in input.tqcs.iter().filter(|t| !t.record.is_parameter && t.state.is_activated(StateModel::Ppq065)) {
            if !t.has(QuantizationProperty::LINEAR) {
                return Err(ExportError::Record {
                    id: t.record.id.clone(),
                    why: "only LINEAR quantization can be simulated here".into(),
                });
            }
            tqcs.insert((t.record.op.as_str(), t.record.io == "in", t.record.index), t);
        }
        Ok(Self { graph, tqcs })
    }

    /// The baked graph that runs.
    pub fn graph(&self) -> &BaseGraph {
        &self.graph
    }

    /// Runs one set of feeds with fake-quantization; returns the graph outputs.
    pub fn run(&self, feeds: &[(&str, Tensor)]) -> Result<Vec<Tensor>, GraphError> {
        let exec = Executor::new(&self.graph)?;
        exec.forward(feeds, None, &mut Hook { tqcs: &self.tqcs })
    }
}

struct Hook<'h, 'i, 'a> {
    tqcs: &'h ActivationTqcs<'i, 'a>,
}

impl Hook<'_, '_, '_> {
    fn apply(&self, op: &str, input: bool, slot: usize, value: &mut Tensor) -> Result<(), GraphError> {
        let Some(t) = self.tqcs.get(&(op, input, slot)) else { return Ok(()) };
        let Tensor::F32(a) = value else {
            return Err(GraphError::Invalid(format!("TQC '{}': {} is not float32", t.record.id, t.record.var)));
        };
        if !a.is_standard_layout() {
            *a = a.as_standard_layout().into_owned();
        }
        let shape = a.shape().to_vec();
        let data = a.as_slice_mut().ok_or_else(|| GraphError::Invalid("tensor is not contiguous".into()))?;
        t.with_params(|p| fake_quant_in_place(data, &shape, p))
            .map_err(|e| GraphError::Invalid(format!("fake-quant at op '{op}': {e}")))
    }
}

impl ExecutionHook for Hook<'_, '_, '_> {
    fn before_op(&mut self, g: &BaseGraph, op: OpId, inputs: &mut [Option<Tensor>]) -> Result<(), GraphError> {
        let name = g.op(op).name.as_str();
        for (slot, v) in inputs.iter_mut().enumerate() {
            if let Some(v) = v {
                self.apply(name, true, slot, v)?;
            }
        }
        Ok(())
    }

    fn after_op(&mut self, g: &BaseGraph, op: OpId, outputs: &mut [Tensor]) -> Result<(), GraphError> {
        let name = g.op(op).name.as_str();
        for (slot, v) in outputs.iter_mut().enumerate() {
            self.apply(name, false, slot, v)?;
        }
        Ok(())
    }
}

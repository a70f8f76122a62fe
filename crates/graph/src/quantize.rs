//! PPQ's `QuantableOperation` (`ppq/IR/quantize.py`): an op converted for a quantized platform, bound to the
//! one [`OperationQuantizationConfig`] that the executor, the passes and the exporters all read.
//!
//! It lives in the graph layer, as in PPQ's IR, because it only needs the graph (the op, its variables and
//! their values) and the core (TQCs, fake-quant kernels). PPQ keeps the config and the fp32 parameter copies
//! on the op and variable objects; we keep the op id plus its config here, the TQCs in a [`TqcStore`] and the
//! fp32 copies in a [`StoredValues`] map, so the methods take those three pieces explicitly. Every state
//! change goes through [`TqcStore::set_state`], so it lands in the transition trace.

use super::{BaseGraph, OpId, Operation, Tensor, VarId};
use ppq_core::kernels::{LinearQuantParams, fake_quant_in_place};
use ppq_core::op_config::OperationQuantizationConfig;
use ppq_core::tqc::{TqcId, TqcStore};
use ppq_core::{QuantError, QuantizationProperty, QuantizationStates};
use std::collections::HashMap;

/// `QuantableVariable.stored_value` of every parameter of every quantable op: the fp32 value captured by
/// `store_parameter_value`, or — while the op is dequantized — the baked value swapped out of the graph.
pub type StoredValues = HashMap<VarId, Tensor>;

/// Fake-quantizes `value` in place with the effective config of `tqc` (root's scale/offset, own range,
/// rounding and channel axis), regardless of state; callers decide whether the TQC is active.
pub fn fake_quant_tensor(store: &TqcStore, tqc: TqcId, value: &mut Tensor) -> Result<(), QuantError> {
    let eff = store.effective(tqc)?;
    let label = || store.get(tqc).map(|t| t.label().to_string()).unwrap_or_default();
    if eff.policy.has_property(QuantizationProperty::FLOATING) {
        return Err(QuantError::InvalidConfig(format!("{}: FLOATING fake-quant needs CUDA in PPQ", label())));
    }
    let params =
        eff.params.ok_or_else(|| QuantError::InvalidConfig(format!("{} is active but has no scale", label())))?;
    let Tensor::F32(arr) = value else {
        return Err(QuantError::BadData(format!("{}: only float32 tensors can be fake-quantized", label())));
    };
    let ndim = arr.ndim();
    let axis = match (eff.policy.is_per_channel(), eff.channel_axis) {
        (false, _) => None,
        (true, Some(a)) => {
            let a = if a < 0 { a + ndim as i32 } else { a };
            Some(usize::try_from(a).map_err(|_| QuantError::BadData(format!("{}: channel axis {a}", label())))?)
        }
        (true, None) => return Err(QuantError::InvalidConfig(format!("{}: per-channel without axis", label()))),
    };
    let p =
        LinearQuantParams::new(params.scales(), params.offsets(), eff.quant_min, eff.quant_max, eff.rounding, axis)?;
    if !arr.is_standard_layout() {
        *arr = arr.as_standard_layout().into_owned();
    }
    let shape = arr.shape().to_vec();
    let data = arr.as_slice_mut().ok_or_else(|| QuantError::BadData("tensor is not contiguous".into()))?;
    fake_quant_in_place(data, &shape, &p)
}

/// A detached copy made by [`QuantableOperation::copy`]: the op's basic information (name, type, attributes,
/// platform, opset; no inputs or outputs, like PPQ's `Operation.copy()`) and a config of fresh TQCs.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantableOperationCopy {
    /// The op's basic information, not attached to any variable.
    pub operation: Operation,
    /// A config whose every TQC is a store copy of the original's.
    pub config: OperationQuantizationConfig,
}

/// A QuantableOperation: an op of the graph and its quantization config.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantableOperation {
    /// The op in the graph.
    pub op: OpId,
    /// Its TQCs, one per input and output (PPQ's `op.config`).
    pub config: OperationQuantizationConfig,
}

impl QuantableOperation {
    /// Binds `config` to `op`. The config must have one TQC per input and per output, since every method pairs
    /// them with the op's variables (PPQ's `config_with_variable`).
    pub fn new(graph: &BaseGraph, op: OpId, config: OperationQuantizationConfig) -> Result<Self, QuantError> {
        if !graph.has_op(op) {
            return Err(QuantError::InvalidConfig(format!("op #{} is not in the graph", op.0)));
        }
        let o = graph.op(op);
        let (ni, no) = (config.input_quantization_config.len(), config.output_quantization_config.len());
        if ni != o.inputs.len() || no != o.outputs.len() {
            return Err(QuantError::InvalidConfig(format!(
                "op '{}' has {} inputs and {} outputs but its config has {ni} and {no} TQCs",
                o.name,
                o.inputs.len(),
                o.outputs.len()
            )));
        }
        Ok(Self { op, config })
    }

    /// PPQ's `config_with_variable`: each TQC with its variable, inputs first then outputs.
    pub fn config_with_variable(&self, graph: &BaseGraph) -> Vec<(TqcId, VarId)> {
        let o = graph.op(self.op);
        let ins = self.config.input_quantization_config.iter().copied().zip(o.inputs.iter().copied());
        ins.chain(self.config.output_quantization_config.iter().copied().zip(o.outputs.iter().copied())).collect()
    }

    /// `store_parameter_value`: keeps the current (fp32) value of every parameter of the op, so that
    /// `dequantize` can bring it back after baking. PPQ calls it once, when the op is created.
    pub fn store_parameter_value(&self, graph: &BaseGraph, stored: &mut StoredValues) {
        for &v in &graph.op(self.op).inputs {
            let var = graph.var(v);
            if var.is_parameter
                && let Some(t) = &var.value
            {
                stored.insert(v, t.clone());
            }
        }
    }

    /// PPQ's `_dequantized` flag: set by `dequantize`, cleared by `restore_quantize_state`. We read it from
    /// the TQCs (a dequantized op's TQCs all hold a stored state) so that copies of this value agree.
    pub fn is_dequantized(&self, store: &TqcStore) -> bool {
        self.config.iter().any(|t| store.get(t).is_ok_and(|t| t.detail().stored_state.is_some()))
    }

    /// `baking_parameters`: each parameter whose TQC is ACTIVATED or PASSIVE (so has a valid scale/offset) is
    /// replaced by its fake-quantized float value, and the TQC becomes BAKED or PASSIVE_BAKED, so the
    /// executor does not quantize it twice. Other TQCs are left alone.
    pub fn baking_parameters(&self, graph: &mut BaseGraph, store: &mut TqcStore) -> Result<(), QuantError> {
        use QuantizationStates as S;
        for (tqc, var) in self.config_with_variable(graph) {
            let v = graph.var(var);
            if !v.is_parameter || v.name.is_empty() {
                continue;
            }
            let to = match store.get(tqc)?.state() {
                S::ACTIVATED => S::BAKED,
                S::PASSIVE => S::PASSIVE_BAKED,
                _ => continue,
            };
            if let Some(value) = graph.var_mut(var).value.as_mut() {
                fake_quant_tensor(store, tqc, value)?;
            }
            store.set_state(tqc, to, "baking_parameters")?;
        }
        Ok(())
    }

    /// `dequantize()`: every TQC of the op goes to FP32 (0.6.6) or DEQUANTIZED (0.6.5), its previous state
    /// remembered, and each parameter gets its stored fp32 value back (the baked value is kept aside for
    /// `restore_quantize_state`). The op then computes in float. A second call does nothing, as in PPQ.
    pub fn dequantize(
        &self,
        graph: &mut BaseGraph,
        store: &mut TqcStore,
        stored: &mut StoredValues,
    ) -> Result<(), QuantError> {
        if self.is_dequantized(store) {
            return Ok(());
        }
        self.config.dequantize(store)?;
        self.swap_stored_values(graph, stored);
        Ok(())
    }

    /// `restore_quantize_state()`: every TQC gets its remembered state back and every parameter its value from
    /// before `dequantize` (the baked one, if the op was baked). Does nothing on an op that is not dequantized.
    pub fn restore_quantize_state(
        &self,
        graph: &mut BaseGraph,
        store: &mut TqcStore,
        stored: &mut StoredValues,
    ) -> Result<(), QuantError> {
        if !self.is_dequantized(store) {
            return Ok(());
        }
        self.config.restore(store)?;
        self.swap_stored_values(graph, stored);
        Ok(())
    }

    /// `copy()`: the op's basic information and a copy of its config (new TQCs in `store`, see
    /// [`OperationQuantizationConfig::copy`]). The copy is detached: wiring it into a graph is the caller's job.
    pub fn copy(&self, graph: &BaseGraph, store: &mut TqcStore) -> Result<QuantableOperationCopy, QuantError> {
        let mut operation = graph.op(self.op).clone();
        operation.inputs.clear();
        operation.outputs.clear();
        Ok(QuantableOperationCopy { operation, config: self.config.copy(store)? })
    }

    /// PPQ swaps `value` and `stored_value` of each parameter; swapping twice is the identity, which is what
    /// makes dequantize → restore bit-exact.
    fn swap_stored_values(&self, graph: &mut BaseGraph, stored: &mut StoredValues) {
        let inputs = graph.op(self.op).inputs.clone();
        for v in inputs {
            if let Some(kept) = stored.get_mut(&v)
                && let Some(value) = graph.var_mut(v).value.as_mut()
            {
                std::mem::swap(kept, value);
            }
        }
    }
}

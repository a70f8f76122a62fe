//! `OperationQuantizationConfig`: the input and output TQCs of one op (spec §3.2). It holds ids into a
//! [`TqcStore`], so copying or dequantizing an op goes through the store and its transition log.

use super::error::QuantError;
use super::tqc::{TqcId, TqcStore};
use serde::{Deserialize, Serialize};

/// The TQCs of one op, one per input and per output in order, parameters included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationQuantizationConfig {
    /// One TQC per op input (activations and parameters), in input order.
    pub input_quantization_config: Vec<TqcId>,
    /// One TQC per op output, in output order.
    pub output_quantization_config: Vec<TqcId>,
    /// False for PASSIVE_OPERATIONS; PPQ sets it but nothing in 0.6.6 reads it for semantics.
    pub is_active_quant_op: bool,
}

impl OperationQuantizationConfig {
    /// An active op config with the given input and output TQCs.
    pub fn new(inputs: Vec<TqcId>, outputs: Vec<TqcId>) -> Self {
        Self { input_quantization_config: inputs, output_quantization_config: outputs, is_active_quant_op: true }
    }

    /// Inputs then outputs, the order PPQ iterates an op config in.
    pub fn iter(&self) -> impl Iterator<Item = TqcId> + '_ {
        self.input_quantization_config.iter().chain(&self.output_quantization_config).copied()
    }

    /// Number of TQCs (inputs plus outputs).
    pub fn len(&self) -> usize {
        self.input_quantization_config.len() + self.output_quantization_config.len()
    }

    /// Whether the op has no TQC.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All ids, inputs then outputs, as one vector (for the store's op-level helpers).
    pub fn ids(&self) -> Vec<TqcId> {
        self.iter().collect()
    }

    /// PPQ's `copy()`: a config whose every TQC is a store copy (see [`TqcStore::copy`]).
    pub fn copy(&self, store: &mut TqcStore) -> Result<Self, QuantError> {
        let copy_all =
            |ids: &[TqcId], store: &mut TqcStore| ids.iter().map(|&i| store.copy(i)).collect::<Result<Vec<_>, _>>();
        Ok(Self {
            input_quantization_config: copy_all(&self.input_quantization_config, store)?,
            output_quantization_config: copy_all(&self.output_quantization_config, store)?,
            is_active_quant_op: self.is_active_quant_op,
        })
    }

    /// `QuantableOperation.dequantize()` for this op's TQCs (see [`TqcStore::dequantize_op`]).
    pub fn dequantize(&self, store: &mut TqcStore) -> Result<(), QuantError> {
        store.dequantize_op(&self.ids())
    }

    /// `QuantableOperation.restore_quantize_state()` for this op's TQCs.
    pub fn restore(&self, store: &mut TqcStore) -> Result<(), QuantError> {
        store.restore_op(&self.ids())
    }
}

impl<'a> IntoIterator for &'a OperationQuantizationConfig {
    type Item = TqcId;
    type IntoIter = std::iter::Copied<std::iter::Chain<std::slice::Iter<'a, TqcId>, std::slice::Iter<'a, TqcId>>>;

    /// Inputs then outputs.
    fn into_iter(self) -> Self::IntoIter {
        self.input_quantization_config.iter().chain(&self.output_quantization_config).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::QuantizationPolicy;
    use crate::state::{QuantizationStates as S, StateModel};
    use crate::tqc::{QuantParams, TensorQuantizationConfig};

    fn op(store: &mut TqcStore) -> OperationQuantizationConfig {
        let p = QuantizationPolicy::new(0x15, StateModel::Ppq066).unwrap();
        let mut add = |l: &str| store.add(TensorQuantizationConfig::new(l, p)).unwrap();
        let (a, b, c) = (add("conv:in0:x"), add("conv:in1:w"), add("conv:out0:y"));
        OperationQuantizationConfig::new(vec![a, b], vec![c])
    }

    #[test]
    fn iterates_inputs_then_outputs() {
        let mut st = TqcStore::new(StateModel::Ppq066);
        let cfg = op(&mut st);
        let labels: Vec<_> = cfg.iter().map(|i| st.get(i).unwrap().label().to_string()).collect();
        assert_eq!(labels, ["conv:in0:x", "conv:in1:w", "conv:out0:y"]);
        assert_eq!((&cfg).into_iter().collect::<Vec<_>>(), cfg.ids());
        assert_eq!(cfg.len(), 3);
        assert!(cfg.is_active_quant_op);
    }

    #[test]
    fn copy_makes_new_tqcs_and_dequantize_round_trips() {
        let mut st = TqcStore::new(StateModel::Ppq066);
        let cfg = op(&mut st);
        st.render(cfg.input_quantization_config[0], QuantParams::per_tensor(1.0, 0.0)).unwrap();
        let copy = cfg.copy(&mut st).unwrap();
        assert_eq!(st.len(), 6);
        assert!(copy.iter().all(|id| !cfg.iter().any(|o| o == id)));
        assert_eq!(st.get(copy.input_quantization_config[0]).unwrap().state(), S::ACTIVATED);
        cfg.dequantize(&mut st).unwrap();
        assert!(cfg.iter().all(|i| st.get(i).unwrap().state() == S::FP32));
        cfg.restore(&mut st).unwrap();
        assert_eq!(st.get(cfg.input_quantization_config[0]).unwrap().state(), S::ACTIVATED);
        assert_eq!(st.get(cfg.output_quantization_config[0]).unwrap().state(), S::INITIAL);
    }
}

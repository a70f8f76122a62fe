//! TensorRTQuantizer (TRT_INT8) and OnnxruntimeQuantizer (ONNXRUNTIME), spec §7.2.
//!
//! 0.6.5.1's TRT quantizer is the "input only" one: it quantizes Conv/Gemm/ConvTranspose/MatMul and
//! average pools, and leaves the outputs of the computing ops FP32 (seen in the 0.6.5 reference runs).

use super::socket::PASSIVE_OPERATIONS;
use super::{Defaults, OpDesc, OpSpec, QuantizerKind, bits, create_default, weight_observer};
use crate::error::PipelineError;
use ppq_core::{QuantizationStates, RoundingPolicy, StateModel};

/// TRT_INT8's list in 0.6.6.
const TRT_066: &[&str] = &[
    "Conv",
    "ConvTranspose",
    "Gemm",
    "Relu",
    "PRelu",
    "Clip",
    "Pad",
    "Resize",
    "MaxPool",
    "AveragePool",
    "GlobalMaxPool",
    "GlobalAveragePool",
    "Softmax",
    "Mul",
    "Add",
    "Max",
    "Sub",
    "Div",
    "Reshape",
    "LeakyRelu",
    "Concat",
    "Sigmoid",
    "Interp",
    "ReduceMean",
    "Transpose",
    "Slice",
    "Flatten",
    "HardSwish",
    "HardSigmoid",
    "MatMul",
    "Attention",
    "LayerNormalization",
    "Gelu",
    "PPQBiasFusedMatMul",
];

/// TRT_INT8's list in 0.6.5.1: computing ops and average pools only.
const TRT_065: &[&str] = &["Conv", "Gemm", "ConvTranspose", "MatMul", "AveragePool", "GlobalAveragePool"];

pub(super) fn trt_quant_types(model: StateModel) -> Vec<&'static str> {
    match model {
        StateModel::Ppq066 => TRT_066.to_vec(),
        StateModel::Ppq065 => TRT_065.to_vec(),
    }
}

/// ORT: TRT's list without Attention/LayerNormalization/Gelu/PPQBiasFusedMatMul, plus PASSIVE_OPERATIONS.
pub(super) fn ort_quant_types() -> Vec<&'static str> {
    let dropped = ["Attention", "LayerNormalization", "Gelu", "PPQBiasFusedMatMul"];
    let mut v: Vec<&'static str> = TRT_066.iter().copied().filter(|t| !dropped.contains(t)).collect();
    for t in PASSIVE_OPERATIONS {
        if !v.contains(t) {
            v.push(t);
        }
    }
    v
}

const INT8_SYM: Defaults = Defaults {
    policy: bits::SYM_PT,
    rounding: RoundingPolicy::ROUND_HALF_EVEN,
    bits: 8,
    quant_min: -128,
    quant_max: 127,
    observer: "percentile",
};

/// Weight axis: ConvTranspose stores [in, out/group, …], so its output channel is axis 1.
fn weight_axis(op_type: &str) -> i64 {
    if op_type == "ConvTranspose" { 1 } else { 0 }
}

pub(super) fn trt(q: QuantizerKind, op: &OpDesc, model: StateModel) -> Result<OpSpec, PipelineError> {
    let mut spec = create_default(op, &INT8_SYM, model)?;
    let t = op.op_type.as_str();
    if matches!(t, "Conv" | "ConvTranspose" | "Gemm" | "MatMul" | "PPQBiasFusedMatMul") {
        if op.inputs.is_empty() {
            return Err(q.error(op, "a computing op with no inputs"));
        }
        if model == StateModel::Ppq065 {
            for out in &mut spec.outputs {
                out.state = QuantizationStates::FP32;
            }
        }
        if op.input_is_parameter(1) {
            let axis = if matches!(t, "Conv" | "ConvTranspose") { weight_axis(t) } else { 0 };
            spec.input_mut(q, op, 1)?.per_channel(bits::SYM_PC, axis, weight_observer(model), model)?;
        }
        if op.inputs.len() > 2 {
            spec.last_input_mut(q, op)?.state = QuantizationStates::FP32;
        }
    }
    if model == StateModel::Ppq066 {
        let first_fp32 = match t {
            "LayerNormalization" => Some(1),
            "Attention" => Some(2),
            _ => None,
        };
        if let Some(first) = first_fp32 {
            spec.inputs.iter_mut().skip(first).for_each(|c| c.state = QuantizationStates::FP32);
        }
    }
    Ok(spec)
}

pub(super) fn ort(q: QuantizerKind, op: &OpDesc, model: StateModel) -> Result<OpSpec, PipelineError> {
    let mut spec = create_default(op, &INT8_SYM, model)?;
    let t = op.op_type.as_str();
    if matches!(t, "Conv" | "ConvTranspose" | "Gemm") {
        if op.input_is_parameter(1) {
            spec.input_mut(q, op, 1)?.per_channel(bits::SYM_PC, weight_axis(t), weight_observer(model), model)?;
        }
        if op.inputs.len() > 2 {
            // The policy says per-channel but the state keeps the bias in float.
            let bias = spec.last_input_mut(q, op)?;
            bias.per_channel(bits::SYM_PC, 0, weight_observer(model), model)?;
            // PPQ's OnnxruntimeQuantizer never sets the bias observer: it keeps the default 'percentile'.
            bias.observer_algorithm = INT8_SYM.observer.into();
            bias.state = QuantizationStates::FP32;
        }
    }
    Ok(spec)
}

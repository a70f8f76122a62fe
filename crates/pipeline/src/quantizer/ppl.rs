//! PPLCUDAQuantizer (PPL_CUDA_INT8) and PPL_DSP_Quantizer (PPL_DSP_INT8, SNPE_INT8, QNN_DSP_INT8), spec §7.2.

use super::{Defaults, OpDesc, OpSpec, QuantizerKind, bits, create_default, weight_observer};
use crate::error::PipelineError;
use ppq_core::tqc::QuantizationVisibility;
use ppq_core::{QuantizationStates, RoundingPolicy, StateModel};

/// PPL_CUDA_INT8's `quant_operation_types`.
pub(super) const PPL_CUDA_QUANT_TYPES: &[&str] = &[
    "Conv",
    "Relu",
    "PRelu",
    "Clip",
    "Gemm",
    "Resize",
    "MaxPool",
    "AveragePool",
    "GlobalMaxPool",
    "GlobalAveragePool",
    "Mul",
    "Add",
    "LeakyRelu",
    "Split",
    "Concat",
    "Transpose",
    "Slice",
    "Reshape",
    "Flatten",
    "Sigmoid",
    "ReduceMean",
];

/// PPL_DSP_INT8's `quant_operation_types` (also SNPE and QNN).
pub(super) const DSP_QUANT_TYPES: &[&str] = &[
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
    "Slice",
    "Interp",
    "ReduceMean",
    "Flatten",
    "Scale",
];

pub(super) fn ppl_cuda(q: QuantizerKind, op: &OpDesc, model: StateModel) -> Result<OpSpec, PipelineError> {
    let d = Defaults {
        policy: bits::SYM_PT,
        rounding: RoundingPolicy::ROUND_HALF_EVEN,
        bits: 8,
        quant_min: -128,
        quant_max: 127,
        observer: "percentile",
    };
    let mut spec = create_default(op, &d, model)?;
    let t = op.op_type.as_str();
    if matches!(t, "Conv" | "ConvTranspose" | "Gemm") {
        let axis = if t == "ConvTranspose" { 1 } else { 0 };
        spec.input_mut(q, op, 1)?.per_channel(bits::SYM_PC, axis, weight_observer(model), model)?;
        if op.inputs.len() == 3 {
            // 32-bit bias, per channel along the output channels; its scale is s_in·s_w later.
            let bias = spec.last_input_mut(q, op)?;
            bias.per_channel(bits::SYM_PC, 0, weight_observer(model), model)?;
            bias.grid(bits::SYM_PC, 32, -(i64::from(i32::MAX)), i64::from(i32::MAX), model)?;
            bias.state = QuantizationStates::PASSIVE_INIT;
        }
    }
    Ok(spec)
}

pub(super) fn dsp(q: QuantizerKind, op: &OpDesc, model: StateModel) -> Result<OpSpec, PipelineError> {
    let d = Defaults {
        policy: bits::ASYM_PT,
        rounding: RoundingPolicy::ROUND_HALF_EVEN,
        bits: 8,
        quant_min: 0,
        quant_max: 255,
        observer: "percentile",
    };
    let mut spec = create_default(op, &d, model)?;
    match op.op_type.as_str() {
        "Conv" | "ConvTranspose" | "Gemm" => {
            // Weights keep the activation grid (asymmetric uint8) but use minmax.
            spec.input_mut(q, op, 1)?.observer_algorithm = "minmax".into();
            if op.inputs.len() == 3 {
                let bias = spec.last_input_mut(q, op)?;
                bias.grid(bits::SYM_PT, 30, -(1 << 29), (1 << 29) - 1, model)?;
                bias.observer_algorithm = "minmax".into();
                bias.state = QuantizationStates::PASSIVE_INIT;
                bias.visibility = QuantizationVisibility::INTERNAL;
            }
        }
        // 0.6.6 makes Clip's min/max passive parameters at creation; 0.6.5 leaves them to the refine pass.
        "Clip" if model == StateModel::Ppq066 => {
            for c in spec.inputs.iter_mut().skip(1) {
                c.state = QuantizationStates::PASSIVE_INIT;
                c.visibility = QuantizationVisibility::INTERNAL;
            }
        }
        // PPQ's Pad branch assigns to a local variable and has no effect (quirk): nothing to do.
        _ => {}
    }
    Ok(spec)
}

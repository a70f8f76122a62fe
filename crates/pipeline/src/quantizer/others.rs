//! The quantizers without reference runs: NXP, FPGA, NCNN, OpenVINO, MNN (0.6.6) and the ≤0.6.5
//! ACADEMIC_INT8 and ORT_OOS_INT8. Facts from spec §7.2; not covered by the parity test.

use super::socket::PASSIVE_OPERATIONS;
use super::{Defaults, OpDesc, OpSpec, QuantizerKind, bits, create_default, weight_observer};
use crate::error::PipelineError;
use ppq_core::{QuantizationStates, RoundingPolicy, StateModel};

const NXP_TYPES: &[&str] = &[
    "Conv",
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
    "Mul",
    "Add",
    "Max",
    "Sub",
    "Div",
    "LeakyRelu",
    "Concat",
    "Sigmoid",
    "Slice",
];
/// FPGA's list is NXP's plus ConvTranspose.
const FPGA_EXTRA: &[&str] = &["ConvTranspose"];
const NCNN_TYPES: &[&str] = &["Conv", "Gemm"];
const MNN_TYPES: &[&str] = &["Conv", "Add", "Gemm"];
/// OpenVINO's own types; PASSIVE_OPERATIONS are added. LayerNormalization/Attention are listed because
/// the quantizer sets their extra inputs FP32 (spec §7.2).
const OPENVINO_TYPES: &[&str] = &[
    "Relu",
    "Clip",
    "Conv",
    "GlobalAveragePool",
    "AveragePool",
    "Add",
    "Mul",
    "Sigmoid",
    "MatMul",
    "Gemm",
    "Concat",
    "LeakyRelu",
    "LayerNormalization",
    "Attention",
];
const ACADEMIC_TYPES: &[&str] = &["Conv", "Gemm", "ConvTranspose"];
const ORT_OOS_TYPES: &[&str] = &[
    "Conv",
    "GlobalAveragePool",
    "AveragePool",
    "Relu",
    "Add",
    "Mul",
    "Clip",
    "Sigmoid",
    "MatMul",
    "Gemm",
    "Concat",
    "LeakyRelu",
];

/// TengineQuantizer's `quant_operation_types`.
const TENGINE_TYPES: &[&str] = &[
    "Conv",
    "GlobalAveragePool",
    "AveragePool",
    "Relu",
    "Add",
    "Mul",
    "Clip",
    "Sigmoid",
    "MatMul",
    "Gemm",
    "Concat",
    "LeakyRelu",
    "Softmax",
];

pub(super) fn quant_types(q: QuantizerKind) -> Vec<&'static str> {
    let with_passive = |base: &[&'static str]| {
        let mut v = base.to_vec();
        v.extend(PASSIVE_OPERATIONS.iter().filter(|t| !base.contains(t)));
        v
    };
    match q {
        QuantizerKind::NxpInt8 => NXP_TYPES.to_vec(),
        QuantizerKind::FpgaInt8 => [NXP_TYPES, FPGA_EXTRA].concat(),
        QuantizerKind::NcnnInt8 => NCNN_TYPES.to_vec(),
        QuantizerKind::MnnInt8 => MNN_TYPES.to_vec(),
        QuantizerKind::TengineInt8 => TENGINE_TYPES.to_vec(),
        QuantizerKind::OpenvinoInt8 => with_passive(OPENVINO_TYPES),
        QuantizerKind::AcademicInt8 => ACADEMIC_TYPES.to_vec(),
        QuantizerKind::OrtOosInt8 => with_passive(ORT_OOS_TYPES),
        _ => Vec::new(),
    }
}

const fn defaults(policy: u32, rounding: RoundingPolicy, quant_min: i64, quant_max: i64) -> Defaults {
    Defaults { policy, rounding, bits: 8, quant_min, quant_max, observer: "percentile" }
}

fn is_computing(t: &str) -> bool {
    matches!(t, "Conv" | "ConvTranspose" | "Gemm")
}

pub(super) fn init(q: QuantizerKind, op: &OpDesc, model: StateModel) -> Result<OpSpec, PipelineError> {
    let t = op.op_type.as_str();
    let w_obs = weight_observer(model);
    let has_bias = is_computing(t) && op.inputs.len() == 3;
    match q {
        QuantizerKind::NxpInt8 => {
            let mut spec =
                create_default(op, &defaults(bits::SYM_PT_POW2, RoundingPolicy::ROUND_HALF_UP, -128, 127), model)?;
            if matches!(t, "Conv" | "Gemm") {
                let w = spec.input_mut(q, op, 1)?;
                w.per_channel(bits::SYM_PC_POW2, 0, w_obs, model)?;
                w.rounding = RoundingPolicy::ROUND_HALF_FAR_FORM_ZERO;
                if op.inputs.len() == 3 {
                    let b = spec.last_input_mut(q, op)?;
                    b.per_channel(bits::SYM_PC_POW2, 0, w_obs, model)?;
                    b.grid(bits::SYM_PC_POW2, 30, -(1 << 30), 1 << 30, model)?;
                    b.state = QuantizationStates::PASSIVE_INIT;
                }
            }
            Ok(spec)
        }
        QuantizerKind::FpgaInt8 => {
            // Weights are not overridden: per-tensor POW2 with the 'percentile' observer, like activations.
            let mut spec =
                create_default(op, &defaults(bits::SYM_PT_POW2, RoundingPolicy::ROUND_HALF_EVEN, -128, 127), model)?;
            if has_bias {
                let b = spec.last_input_mut(q, op)?;
                b.grid(bits::SYM_PT_POW2, 30, -(1 << 29), 1 << 29, model)?;
                // PPQ's FPGAQuantizer writes 'Minmax' (capitalised) in both releases.
                b.observer_algorithm = "Minmax".into();
                b.state = QuantizationStates::PASSIVE_INIT;
            }
            Ok(spec)
        }
        QuantizerKind::NcnnInt8 => ncnn(q, op, model),
        QuantizerKind::TengineInt8 => {
            // asymmetric uint8 per tensor, percentile; Conv/ConvTranspose/Gemm: a 30-bit symmetric
            // per-tensor passive bias, and every input after the first observed by 'minmax' (both releases)
            let mut spec =
                create_default(op, &defaults(bits::ASYM_PT, RoundingPolicy::ROUND_HALF_EVEN, 0, 255), model)?;
            if is_computing(t) {
                if op.inputs.len() == 3 {
                    let b = spec.last_input_mut(q, op)?;
                    b.grid(bits::SYM_PT, 30, -(1 << 29), (1 << 29) - 1, model)?;
                    b.state = QuantizationStates::PASSIVE_INIT;
                }
                for c in spec.inputs.iter_mut().skip(1) {
                    c.observer_algorithm = "minmax".into();
                }
            }
            Ok(spec)
        }
        QuantizerKind::OpenvinoInt8 | QuantizerKind::MnnInt8 => {
            let (lo, rounding) = if q == QuantizerKind::MnnInt8 {
                (-127, RoundingPolicy::ROUND_HALF_FAR_FORM_ZERO)
            } else {
                (-128, RoundingPolicy::ROUND_HALF_EVEN)
            };
            let mut spec = create_default(op, &defaults(bits::SYM_PT, rounding, lo, 127), model)?;
            let weighted = if q == QuantizerKind::MnnInt8 { t == "Conv" } else { is_computing(t) };
            if weighted {
                let axis = if t == "ConvTranspose" { 1 } else { 0 };
                spec.input_mut(q, op, 1)?.per_channel(bits::SYM_PC, axis, w_obs, model)?;
            }
            if has_bias {
                spec.last_input_mut(q, op)?.state = QuantizationStates::FP32;
            }
            if q == QuantizerKind::OpenvinoInt8 {
                let first = match t {
                    "LayerNormalization" => 1,
                    "Attention" => 2,
                    _ => usize::MAX,
                };
                spec.inputs.iter_mut().skip(first).for_each(|c| c.state = QuantizationStates::FP32);
            }
            Ok(spec)
        }
        QuantizerKind::AcademicInt8 => {
            let mut spec =
                create_default(op, &defaults(bits::ASYM_PT, RoundingPolicy::ROUND_HALF_EVEN, 0, 255), model)?;
            if is_computing(t) {
                let w = spec.input_mut(q, op, 1)?;
                w.grid(bits::SYM_PT, 8, -128, 127, model)?;
                w.observer_algorithm = "minmax".into();
                if op.inputs.len() == 3 {
                    let b = spec.last_input_mut(q, op)?;
                    b.grid(bits::SYM_PT, 30, -(1 << 29), (1 << 29) - 1, model)?;
                    b.state = QuantizationStates::PASSIVE_INIT;
                }
                spec.outputs.iter_mut().for_each(|c| c.state = QuantizationStates::FP32);
            }
            Ok(spec)
        }
        QuantizerKind::OrtOosInt8 => {
            let mut spec =
                create_default(op, &defaults(bits::ASYM_PT, RoundingPolicy::ROUND_HALF_EVEN, 0, 255), model)?;
            if matches!(t, "Conv" | "Gemm") {
                if op.inputs.len() == 3 {
                    let b = spec.last_input_mut(q, op)?;
                    // 32 bits declared, but a 30-bit range to avoid scale underflow.
                    b.grid(bits::SYM_PT, 32, -(1 << 29), 1 << 29, model)?;
                    b.state = QuantizationStates::PASSIVE_INIT;
                }
                spec.inputs.iter_mut().skip(1).for_each(|c| c.observer_algorithm = "minmax".into());
            }
            Ok(spec)
        }
        _ => Err(q.error(op, "not handled by this module")),
    }
}

/// NCNN: input-only quantization with a [−127, 127] grid; 3×3 stride-1 dilation-1 group-1 Conv weights
/// use 6 bits; Gemm must be transB=1, alpha=beta=1.
fn ncnn(q: QuantizerKind, op: &OpDesc, model: StateModel) -> Result<OpSpec, PipelineError> {
    let d =
        Defaults { observer: "minmax", ..defaults(bits::SYM_PT, RoundingPolicy::ROUND_HALF_FAR_FORM_ZERO, -127, 127) };
    let mut spec = create_default(op, &d, model)?;
    let t = op.op_type.as_str();
    if !matches!(t, "Conv" | "Gemm") {
        return Ok(spec);
    }
    let a = &op.attrs;
    if t == "Gemm" && !(a.trans_b.unwrap_or(0) != 0 && a.alpha.unwrap_or(1.0) == 1.0 && a.beta.unwrap_or(1.0) == 1.0) {
        return Err(q.error(op, "NCNN needs Gemm with transB=1, alpha=1, beta=1 (run NCNNFormatGemmPass)"));
    }
    let small = t == "Conv" && {
        let all_one = |v: &Option<Vec<i64>>| v.as_ref().is_none_or(|v| v.iter().all(|&x| x == 1));
        let kernel = a.kernel_shape.as_ref().ok_or_else(|| q.error(op, "Conv without kernel_shape"))?;
        a.group.unwrap_or(1) == 1 && all_one(&a.dilations) && all_one(&a.strides) && kernel.iter().all(|&k| k == 3)
    };
    let w = spec.input_mut(q, op, 1)?;
    w.per_channel(bits::SYM_PC, 0, weight_observer(model), model)?;
    if small {
        w.num_of_bits = 6;
        w.quant_min = -31;
        w.quant_max = 31;
    }
    if op.inputs.len() == 3 {
        spec.last_input_mut(q, op)?.state = QuantizationStates::FP32;
    }
    spec.outputs.iter_mut().for_each(|c| c.state = QuantizationStates::FP32);
    Ok(spec)
}

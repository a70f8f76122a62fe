//! PPQ's quantizers (`ppq/quantization/quantizer/*.py`, spec §7) as plain data and rules: which op
//! types a platform quantizes, which activations it fuses, and the quantization config
//! (`init_quantize_config`) it gives each input and output of an op, as [`TqcSpec`]s.
//!
//! The pass that turns specs into real TQCs lives elsewhere; this module is what the reference files
//! (`tqc.json`, the `<before>` entry of `passes.json`) can test directly.

mod nvidia;
mod others;
mod ppl;
pub mod socket;

use super::error::PipelineError;
use ppq_core::platform::TargetPlatform;
use ppq_core::tqc::QuantizationVisibility;
use ppq_core::{QuantizationPolicy, QuantizationStates, RoundingPolicy, StateModel};
use serde::{Deserialize, Serialize};

/// Policy bits used by the quantizers (spec §1.1).
pub(crate) mod bits {
    /// SYMMETRICAL + LINEAR + PER_TENSOR.
    pub const SYM_PT: u32 = 0x15;
    /// SYMMETRICAL + LINEAR + PER_CHANNEL.
    pub const SYM_PC: u32 = 0x16;
    /// ASYMMETRICAL + LINEAR + PER_TENSOR.
    pub const ASYM_PT: u32 = 0x25;
    /// SYM_PT + POWER_OF_2.
    pub const SYM_PT_POW2: u32 = 0x55;
    /// SYM_PC + POWER_OF_2.
    pub const SYM_PC_POW2: u32 = 0x56;
}

/// A PPQ quantizer, named by the platform it is registered under (spec §7.1 registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum QuantizerKind {
    TrtInt8,
    Onnxruntime,
    PplCudaInt8,
    PplDspInt8,
    SnpeInt8,
    QnnDspInt8,
    NxpInt8,
    FpgaInt8,
    NcnnInt8,
    OpenvinoInt8,
    MnnInt8,
    /// TengineQuantizer (same rules in 0.6.5.1 and 0.6.6).
    TengineInt8,
    /// ≤0.6.5 only (platform value 10081).
    AcademicInt8,
    /// ≤0.6.5 only (platform value 601, later taken by RKNN).
    OrtOosInt8,
}

impl QuantizerKind {
    /// Every quantizer this module describes.
    pub const ALL: [QuantizerKind; 14] = [
        Self::TrtInt8,
        Self::Onnxruntime,
        Self::PplCudaInt8,
        Self::PplDspInt8,
        Self::SnpeInt8,
        Self::QnnDspInt8,
        Self::NxpInt8,
        Self::FpgaInt8,
        Self::NcnnInt8,
        Self::OpenvinoInt8,
        Self::MnnInt8,
        Self::TengineInt8,
        Self::AcademicInt8,
        Self::OrtOosInt8,
    ];

    /// PPQ's platform name, as `tqc.json` writes it in the `platform` column.
    pub const fn name(self) -> &'static str {
        match self {
            Self::TrtInt8 => "TRT_INT8",
            Self::Onnxruntime => "ONNXRUNTIME",
            Self::PplCudaInt8 => "PPL_CUDA_INT8",
            Self::PplDspInt8 => "PPL_DSP_INT8",
            Self::SnpeInt8 => "SNPE_INT8",
            Self::QnnDspInt8 => "QNN_DSP_INT8",
            Self::NxpInt8 => "NXP_INT8",
            Self::FpgaInt8 => "FPGA_INT8",
            Self::NcnnInt8 => "NCNN_INT8",
            Self::OpenvinoInt8 => "OPENVINO_INT8",
            Self::MnnInt8 => "MNN_INT8",
            Self::TengineInt8 => "TENGINE_INT8",
            Self::AcademicInt8 => "ACADEMIC_INT8",
            Self::OrtOosInt8 => "ORT_OOS_INT8",
        }
    }

    /// Parses PPQ's platform name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The core platform, where the 0.6.6 enum has one (ACADEMIC_INT8 and ORT_OOS_INT8 do not).
    pub fn target_platform(self) -> Option<TargetPlatform> {
        TargetPlatform::from_name(self.name())
    }

    /// The quantizer's `target_platform`: the platform PPQ gives the ops it quantizes, which is not always
    /// the platform it is registered under (SNPE_INT8 and QNN_DSP_INT8 use PPL_DSP_Quantizer, whose ops are
    /// PPL_DSP_INT8; OnnxruntimeQuantizer keeps BaseQuantizer's INT8). `None` for the ≤0.6.5 quantizers
    /// that have no 0.6.6 platform value here.
    pub fn op_platform(self) -> Option<TargetPlatform> {
        match self {
            Self::SnpeInt8 | Self::QnnDspInt8 => Some(TargetPlatform::PplDspInt8),
            Self::Onnxruntime => Some(TargetPlatform::Int8),
            other => other.target_platform(),
        }
    }

    /// The quantizer PPQ registers for a platform.
    pub fn from_platform(p: TargetPlatform) -> Option<Self> {
        Self::from_name(p.name())
    }

    /// Whether this quantizer exists in `model` (ACADEMIC and ORT_OOS were removed after 0.6.5).
    pub const fn exists_in(self, model: StateModel) -> bool {
        !matches!((self, model), (Self::AcademicInt8 | Self::OrtOosInt8, StateModel::Ppq066))
    }

    /// `quant_operation_types`: an UNSPECIFIED op of one of these types goes to the quantizer's platform,
    /// any other to FP32 (spec §13.3.5).
    pub fn quant_operation_types(self, model: StateModel) -> Vec<&'static str> {
        match self {
            Self::TrtInt8 => nvidia::trt_quant_types(model),
            Self::Onnxruntime => nvidia::ort_quant_types(),
            Self::PplCudaInt8 => ppl::PPL_CUDA_QUANT_TYPES.to_vec(),
            Self::PplDspInt8 | Self::SnpeInt8 | Self::QnnDspInt8 => ppl::DSP_QUANT_TYPES.to_vec(),
            other => others::quant_types(other),
        }
    }

    /// Whether ops of `op_type` are quantized by this quantizer.
    pub fn quantizes(self, op_type: &str, model: StateModel) -> bool {
        self.quant_operation_types(model).contains(&op_type)
    }

    /// `activation_fusion_types`: activations QuantizeFusionPass may fuse into a computing op.
    pub fn activation_fusion_types(self, model: StateModel) -> &'static [&'static str] {
        match (self, model) {
            (Self::TrtInt8, StateModel::Ppq066) => &["Relu", "Clip", "Swish", "SoftPlus", "Sigmoid", "Gelu"],
            (Self::Onnxruntime | Self::OpenvinoInt8, _) => &["Relu", "Clip", "Sigmoid", "Swish", "Mish", "LeakyRelu"],
            (Self::PplCudaInt8, _) => &["Relu", "Clip", "Sigmoid", "LeakyRelu"],
            (Self::MnnInt8, _) => &["Relu", "Clip", "Swish", "SoftPlus", "Sigmoid"],
            (Self::NcnnInt8, _) => &[],
            _ => &["Relu", "Clip"],
        }
    }

    /// PPQ's `init_quantize_config`: one [`TqcSpec`] per input and output of `op`, in the states the
    /// quantizer creates (0.6.6: OpSocket FP32 slots already FP32; 0.6.5: no sockets, see
    /// [`socket::refine_state_065`]). Errors name the op when PPQ would assert.
    pub fn init_quantize_config(self, op: &OpDesc, model: StateModel) -> Result<OpSpec, PipelineError> {
        if !self.exists_in(model) {
            return Err(self.error(op, format!("this quantizer does not exist in {model}")));
        }
        match self {
            Self::TrtInt8 => nvidia::trt(self, op, model),
            Self::Onnxruntime => nvidia::ort(self, op, model),
            Self::PplCudaInt8 => ppl::ppl_cuda(self, op, model),
            Self::PplDspInt8 | Self::SnpeInt8 | Self::QnnDspInt8 => ppl::dsp(self, op, model),
            other => others::init(other, op, model),
        }
    }

    pub(crate) fn error(self, op: &OpDesc, why: impl Into<String>) -> PipelineError {
        PipelineError::Quantizer {
            quantizer: self.name(),
            op: op.name.clone(),
            op_type: op.op_type.clone(),
            why: why.into(),
        }
    }
}

/// What a quantizer needs to know about one input variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InputInfo {
    /// The variable is a parameter (initializer / constant), e.g. a weight or bias.
    pub is_parameter: bool,
}

/// The op attributes some quantizers read (NCNN's 3×3 weight rule and Gemm assert). Absent = ONNX default.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OpAttrs {
    /// `group` (default 1).
    pub group: Option<i64>,
    /// `kernel_shape`.
    pub kernel_shape: Option<Vec<i64>>,
    /// `strides` (default all 1).
    pub strides: Option<Vec<i64>>,
    /// `dilations` (default all 1).
    pub dilations: Option<Vec<i64>>,
    /// Gemm `transB` (default 0).
    pub trans_b: Option<i64>,
    /// Gemm `alpha` (default 1).
    pub alpha: Option<f64>,
    /// Gemm `beta` (default 1).
    pub beta: Option<f64>,
}

/// An op as a quantizer sees it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OpDesc {
    /// The op's name (for error messages).
    pub name: String,
    /// Its ONNX / PPQ type.
    pub op_type: String,
    /// Attributes some quantizers read.
    pub attrs: OpAttrs,
    /// One entry per input slot.
    pub inputs: Vec<InputInfo>,
    /// Number of output slots.
    pub n_outputs: usize,
}

impl OpDesc {
    /// An op with inputs flagged parameter or not, and no attributes.
    pub fn new(name: &str, op_type: &str, params: &[bool], n_outputs: usize) -> Self {
        Self {
            name: name.to_string(),
            op_type: op_type.to_string(),
            attrs: OpAttrs::default(),
            inputs: params.iter().map(|&p| InputInfo { is_parameter: p }).collect(),
            n_outputs,
        }
    }

    fn input_is_parameter(&self, i: usize) -> bool {
        self.inputs.get(i).is_some_and(|x| x.is_parameter)
    }
}

/// The quantization config of one tensor slot as the quantizer creates it (a TQC without scale/offset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TqcSpec {
    /// Quantization policy.
    pub policy: QuantizationPolicy,
    /// Rounding policy.
    pub rounding: RoundingPolicy,
    /// Bit width.
    pub num_of_bits: u32,
    /// Exponent bits (FP8 only; 0 for linear).
    pub exponent_bits: u32,
    /// Lower bound of the integer grid.
    pub quant_min: i64,
    /// Upper bound of the integer grid.
    pub quant_max: i64,
    /// Channel axis for per-channel policies.
    pub channel_axis: Option<i64>,
    /// Observer name as PPQ writes it ('percentile', 'minmax', 0.6.5's 'Minmax', …).
    pub observer_algorithm: String,
    /// Initial state.
    pub state: QuantizationStates,
    /// Export visibility.
    pub visibility: QuantizationVisibility,
}

/// The configs of one op: PPQ's `OperationQuantizationConfig` before any pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpSpec {
    /// One per input slot.
    pub inputs: Vec<TqcSpec>,
    /// One per output slot.
    pub outputs: Vec<TqcSpec>,
}

/// Activation defaults of a quantizer: what `create_default_quant_config` receives.
pub(crate) struct Defaults {
    pub policy: u32,
    pub rounding: RoundingPolicy,
    pub bits: u32,
    pub quant_min: i64,
    pub quant_max: i64,
    pub observer: &'static str,
}

/// `create_default_quant_config`: every slot gets the defaults, state INITIAL; in 0.6.6 FP32/SOI sockets
/// start FP32.
pub(crate) fn create_default(op: &OpDesc, d: &Defaults, model: StateModel) -> Result<OpSpec, PipelineError> {
    let policy = QuantizationPolicy::new(d.policy, model)?;
    let tqc = |fp32_socket: bool| TqcSpec {
        policy,
        rounding: d.rounding,
        num_of_bits: d.bits,
        exponent_bits: 0,
        quant_min: d.quant_min,
        quant_max: d.quant_max,
        channel_axis: None,
        observer_algorithm: d.observer.to_string(),
        state: if fp32_socket && model == StateModel::Ppq066 {
            QuantizationStates::FP32
        } else {
            QuantizationStates::INITIAL
        },
        visibility: QuantizationVisibility::EXPORT_WHEN_ACTIVE,
    };
    Ok(OpSpec {
        inputs: (0..op.inputs.len()).map(|i| tqc(socket::input_socket_is_fp32(&op.op_type, i))).collect(),
        outputs: (0..op.n_outputs).map(|i| tqc(socket::output_socket_is_fp32(&op.op_type, i))).collect(),
    })
}

impl OpSpec {
    /// The input slot `i`, or an error naming the op (PPQ would raise IndexError).
    pub(crate) fn input_mut(&mut self, q: QuantizerKind, op: &OpDesc, i: usize) -> Result<&mut TqcSpec, PipelineError> {
        let n = self.inputs.len();
        self.inputs.get_mut(i).ok_or_else(|| q.error(op, format!("needs input {i}, the op has {n}")))
    }

    /// The last input slot (PPQ's `input_quantization_config[-1]`, the bias).
    pub(crate) fn last_input_mut(&mut self, q: QuantizerKind, op: &OpDesc) -> Result<&mut TqcSpec, PipelineError> {
        let n = self.inputs.len();
        if n == 0 {
            return Err(q.error(op, "has no inputs"));
        }
        self.input_mut(q, op, n - 1)
    }
}

impl TqcSpec {
    /// Makes this slot per-channel (`ChannelwiseTensorQuantizationConfig.convert_from_tensor_config`).
    pub(crate) fn per_channel(
        &mut self,
        policy: u32,
        axis: i64,
        observer: &str,
        model: StateModel,
    ) -> Result<(), PipelineError> {
        self.policy = QuantizationPolicy::new(policy, model)?;
        self.channel_axis = Some(axis);
        self.observer_algorithm = observer.to_string();
        Ok(())
    }

    /// Sets policy, bits and range together (bias overrides).
    pub(crate) fn grid(
        &mut self,
        policy: u32,
        bits: u32,
        quant_min: i64,
        quant_max: i64,
        model: StateModel,
    ) -> Result<(), PipelineError> {
        self.policy = QuantizationPolicy::new(policy, model)?;
        self.num_of_bits = bits;
        self.quant_min = quant_min;
        self.quant_max = quant_max;
        Ok(())
    }
}

/// The weight observer name: 0.6.5's per-channel conversions wrote 'Minmax', 0.6.6 writes 'minmax'.
pub(crate) const fn weight_observer(model: StateModel) -> &'static str {
    match model {
        StateModel::Ppq066 => "minmax",
        StateModel::Ppq065 => "Minmax",
    }
}

#[cfg(test)]
mod tests;

//! PPQ's `QuantizationSetting` (`ppq/api/setting.py`, spec §6.1): which passes of the quant pipeline
//! run and with which arguments. `Default` is PPQ's `default_setting()`; [`QuantizationSetting::for_platform`]
//! mirrors `QuantizationSettingFactory`. Plain data with serde so the UI and CLI can edit it.

use super::error::PipelineError;
use ppq_core::platform::TargetPlatform;
use ppq_core::quirks::Quirks;
use ppq_core::state::StateModel;
use ppq_core::tqc::QuantizationVisibility;
use serde::{Deserialize, Serialize};

/// How QuantAlignmentPass ties the scales of an op's inputs and outputs (PPQ passes these as strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AlignmentMethod {
    /// 'Align to Large': inputs share the union of their representable ranges.
    #[serde(rename = "Align to Large")]
    AlignToLarge,
    /// 'Align to Output': inputs take the output's scale.
    #[serde(rename = "Align to Output")]
    AlignToOutput,
    /// 'Align to Input': outputs take input 0's scale (pooling and Resize only).
    #[serde(rename = "Align to Input")]
    AlignToInput,
    /// 'None': no alignment.
    #[serde(rename = "None")]
    None,
}

impl AlignmentMethod {
    /// PPQ's string for the method.
    pub const fn name(self) -> &'static str {
        match self {
            Self::AlignToLarge => "Align to Large",
            Self::AlignToOutput => "Align to Output",
            Self::AlignToInput => "Align to Input",
            Self::None => "None",
        }
    }

    /// Parses PPQ's string.
    pub fn from_name(s: &str) -> Option<Self> {
        [Self::AlignToLarge, Self::AlignToOutput, Self::AlignToInput, Self::None].into_iter().find(|m| m.name() == s)
    }
}

/// Op groups of `TYPES_FOR_ALIGNMENT` plus Resize, each with its own allowed methods (spec §6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlignmentGroup {
    /// Add, Sub, Sum.
    Elementwise,
    /// Concat.
    Concat,
    /// AveragePool, GlobalAveragePool.
    Pooling,
    /// Resize.
    Resize,
}

impl AlignmentGroup {
    /// The methods PPQ accepts: elementwise/concat reject 'Align to Input' (an assert, although the
    /// docstring lists it); pooling/resize reject 'Align to Large' (ValueError).
    pub fn allowed(self) -> &'static [AlignmentMethod] {
        use AlignmentMethod as M;
        match self {
            Self::Elementwise | Self::Concat => &[M::AlignToLarge, M::AlignToOutput, M::None],
            Self::Pooling | Self::Resize => &[M::AlignToInput, M::AlignToOutput, M::None],
        }
    }

    /// The group of an op type under PPQ 0.6.6's `TYPES_FOR_ALIGNMENT`, if any.
    pub fn of(op_type: &str) -> Option<Self> {
        match op_type {
            "Add" | "Sub" | "Sum" => Some(Self::Elementwise),
            "Concat" => Some(Self::Concat),
            "AveragePool" | "GlobalAveragePool" => Some(Self::Pooling),
            "Resize" => Some(Self::Resize),
            _ => None,
        }
    }
}

/// `fusion_setting`: the switches of QuantizeFusionPass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FusionSetting {
    /// Fuse computing op → activation (`activation_fusion_types`).
    pub fuse_activation: bool,
    /// Fuse passive ops (`PASSIVE_OPERATIONS`) with their producer.
    pub fuse_passive_op: bool,
}

/// `quantize_parameter_setting`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterSetting {
    /// Observer for parameters; `None` keeps each TQC's own (the quantizer's choice).
    pub calib_algorithm: Option<String>,
    /// Run PassiveParameterQuantizePass (bias = s_in·s_w, Clip/Pad passive parameters).
    pub quantize_passive_parameter: bool,
    /// Visibility given to Clip min/max by PassiveParameterQuantizePass (PPQ spells it `clip_visiblity`).
    pub clip_visibility: QuantizationVisibility,
    /// Visibility given to the Pad value.
    pub pad_visibility: QuantizationVisibility,
    /// Run ParameterBakingPass (parameters replaced by their fake-quantized values).
    pub baking_parameter: bool,
}

/// `quantize_activation_setting`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivationSetting {
    /// Observer for activations; `None` keeps each TQC's own (the quantizer's choice).
    pub calib_algorithm: Option<String>,
    /// Number of calibration batches; PPQ asserts 8 ≤ steps ≤ 512.
    pub calib_steps: u32,
}

/// `quantize_alignment_setting` (QuantAlignmentPass arguments as the pipeline passes them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlignmentSetting {
    /// Add/Sub/Sum.
    pub elementwise_alignment: AlignmentMethod,
    /// Concat.
    pub concat_alignment: AlignmentMethod,
    /// AveragePool/GlobalAveragePool.
    pub pooling_alignment: AlignmentMethod,
    /// Resize.
    pub resize_alignment: AlignmentMethod,
    /// Override upstream producers even when they have several consumers.
    pub force_overlap: bool,
}

/// `equalization_setting` (LayerwiseEqualizationPass).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EqualizationSetting {
    /// Iterations.
    pub iterations: u32,
    /// Value threshold.
    pub value_threshold: f64,
    /// Include the bias in the equalization (fpga_setting).
    pub including_bias: bool,
}

/// `weight_split_setting` (HorizontalLayerSplitPass): PPQ splits only the layers it is told to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightSplitSetting {
    /// Names of the Conv/Gemm layers to split (none: the pass changes nothing, as in PPQ).
    pub interested_layers: Vec<String>,
    /// Weights whose magnitude is above this value are split in two.
    pub value_threshold: f64,
    /// 'balance' (halves) or 'random' (PPQ's two methods).
    pub method: String,
}

impl Default for WeightSplitSetting {
    /// PPQ's `WeightSplitSetting()`.
    fn default() -> Self {
        Self { interested_layers: Vec::new(), value_threshold: 2.0, method: "balance".into() }
    }
}

/// `bias_correct_setting` (PPQ 0.6.6 `BiasCorrectionSetting`): the arguments of BiasCorrectionPass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasCorrectionSetting {
    /// Op names whose blocks are corrected; empty = every block.
    pub interested_layers: Vec<String>,
    /// Maximum block depth (`block_size`, default 4).
    pub block_size: usize,
    /// `steps` (default 32). PPQ 0.6.6 stores it but its pass never reads it: every calibration batch is
    /// used. Kept so a setting round-trips; the playground reads it the same way (not at all).
    pub steps: usize,
    /// Where PPQ caches block data ('executor', 'cpu', 'cuda'); informational here.
    pub collecting_device: String,
}

impl Default for BiasCorrectionSetting {
    fn default() -> Self {
        Self { interested_layers: Vec::new(), block_size: 4, steps: 32, collecting_device: "executor".into() }
    }
}

/// `lsq_optimization_setting` (PPQ 0.6.6 `LSQSetting`): the arguments of LearnedStepSizePass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LsqSetting {
    /// Op names whose blocks are trained; empty = every block.
    pub interested_layers: Vec<String>,
    /// Adam's learning rate (`lr`, default 1e-5).
    pub lr: f64,
    /// Where PPQ caches block data (default 'cuda', which fails on a CPU-only PPQ: set 'cpu' there).
    pub collecting_device: String,
    /// Training steps per block (`steps`, default 500), one calibration batch per step, cycling.
    pub steps: usize,
    /// Whether scales train as well as parameters (`is_scale_trainable`, default true).
    pub is_scale_trainable: bool,
    /// Weight of the extra `MSE(W, Q(W))` term (`gamma`, default 0).
    pub gamma: f64,
    /// Maximum block depth (`block_size`, default 4).
    pub block_size: usize,
}

impl Default for LsqSetting {
    fn default() -> Self {
        Self {
            interested_layers: Vec::new(),
            lr: 1e-5,
            collecting_device: "cuda".into(),
            steps: 500,
            is_scale_trainable: true,
            gamma: 0.0,
            block_size: 4,
        }
    }
}

/// `blockwise_reconstruction_setting` (PPQ 0.6.6 `BlockwiseReconstructionSetting`): AdaroundPass arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockwiseReconstructionSetting {
    /// Op names whose blocks are trained; empty = every block.
    pub interested_layers: Vec<String>,
    /// Whether scales train (default false).
    pub is_scale_trainable: bool,
    /// Learning rate (default 1e-3).
    pub lr: f64,
    /// Steps per block (default 5000).
    pub steps: usize,
    /// Regularisation weight (default 1.0).
    pub gamma: f64,
    /// Cache device (default 'cuda').
    pub collecting_device: String,
    /// Maximum block depth (default 4).
    pub block_size: usize,
}

impl Default for BlockwiseReconstructionSetting {
    fn default() -> Self {
        Self {
            interested_layers: Vec::new(),
            is_scale_trainable: false,
            lr: 1e-3,
            steps: 5000,
            gamma: 1.0,
            collecting_device: "cuda".into(),
            block_size: 4,
        }
    }
}

/// The playground's bit-width override: what PPQ users do by hand before the passes run
/// (`cfg.num_of_bits = 4; cfg.quant_min = -8; cfg.quant_max = 7` on the quantizer's TQCs). Applied when the
/// TQCs are created (see [`crate::bit_width`]); `None` keeps the quantizer's widths.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BitWidthSetting {
    /// Bits of the weight TQCs (input 1 of Conv/ConvTranspose/Gemm/MatMul).
    pub weight_bits: Option<u32>,
    /// Bits of every non-parameter TQC of a quantable op (activations).
    pub activation_bits: Option<u32>,
}

/// PPQ's `QuantizationSetting`, plus the playground's `state_model` and `quirks` switches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantizationSetting {
    /// Which PPQ the pipeline reproduces.
    pub state_model: StateModel,
    /// Reproduce PPQ's quirks or fix them.
    pub quirks: Quirks,
    /// LayerwiseEqualizationPass (prequant).
    pub equalization: bool,
    /// Its arguments.
    pub equalization_setting: EqualizationSetting,
    /// SSDEqualizationPass (present, off).
    pub ssd_equalization: bool,
    /// HorizontalLayerSplitPass (present, off).
    pub weight_split: bool,
    /// Its arguments.
    #[serde(default)]
    pub weight_split_setting: WeightSplitSetting,
    /// ChannelwiseSplitPass (present, off).
    pub channel_split: bool,
    /// QuantizeFusionPass; false also disables simplify and alignment, as in PPQ.
    pub fusion: bool,
    /// Its switches.
    pub fusion_setting: FusionSetting,
    /// QuantizeSimplifyPass (needs `fusion`).
    pub remove_useless_quantization: bool,
    /// ParameterQuantizePass.
    pub quantize_parameter: bool,
    /// Its arguments, and the passive-parameter and baking switches.
    pub quantize_parameter_setting: ParameterSetting,
    /// RuntimeCalibrationPass.
    pub quantize_activation: bool,
    /// Its arguments.
    pub quantize_activation_setting: ActivationSetting,
    /// QuantAlignmentPass (needs `fusion`).
    pub align_quantization: bool,
    /// Its arguments.
    pub quantize_alignment_setting: AlignmentSetting,
    /// BiasCorrectionPass (after PassiveParameterQuantizePass).
    pub bias_correct: bool,
    /// Its arguments.
    #[serde(default)]
    pub bias_correct_setting: BiasCorrectionSetting,
    /// LearnedStepSizePass, followed by a second PassiveParameterQuantizePass, as PPQ orders them.
    pub lsq_optimization: bool,
    /// Its arguments.
    #[serde(default)]
    pub lsq_optimization_setting: LsqSetting,
    /// AdaroundPass (present, off; not implemented).
    pub blockwise_reconstruction: bool,
    /// Its arguments.
    #[serde(default)]
    pub blockwise_reconstruction_setting: BlockwiseReconstructionSetting,
    /// The playground's bit-width override (e.g. 4-bit weights), applied to the quantizer's TQCs.
    #[serde(default)]
    pub bit_width: BitWidthSetting,
    /// ExtensionPass (present, off).
    pub extension: bool,
}

impl Default for QuantizationSetting {
    /// PPQ's `QuantizationSettingFactory.default_setting()`.
    fn default() -> Self {
        Self {
            state_model: StateModel::default(),
            quirks: Quirks::default(),
            equalization: false,
            equalization_setting: EqualizationSetting { iterations: 10, value_threshold: 0.5, including_bias: false },
            ssd_equalization: false,
            weight_split: false,
            weight_split_setting: WeightSplitSetting::default(),
            channel_split: false,
            fusion: true,
            fusion_setting: FusionSetting { fuse_activation: true, fuse_passive_op: true },
            remove_useless_quantization: true,
            quantize_parameter: true,
            quantize_parameter_setting: ParameterSetting {
                calib_algorithm: None,
                quantize_passive_parameter: true,
                clip_visibility: QuantizationVisibility::INTERNAL,
                pad_visibility: QuantizationVisibility::INTERNAL,
                baking_parameter: true,
            },
            quantize_activation: true,
            quantize_activation_setting: ActivationSetting { calib_algorithm: None, calib_steps: 32 },
            align_quantization: true,
            quantize_alignment_setting: AlignmentSetting {
                elementwise_alignment: AlignmentMethod::AlignToLarge,
                concat_alignment: AlignmentMethod::AlignToOutput,
                pooling_alignment: AlignmentMethod::None,
                resize_alignment: AlignmentMethod::AlignToOutput,
                force_overlap: true,
            },
            bias_correct: false,
            bias_correct_setting: BiasCorrectionSetting::default(),
            lsq_optimization: false,
            lsq_optimization_setting: LsqSetting::default(),
            blockwise_reconstruction: false,
            blockwise_reconstruction_setting: BlockwiseReconstructionSetting::default(),
            bit_width: BitWidthSetting::default(),
            extension: false,
        }
    }
}

/// Observers a setting may name (spec §5).
pub const KNOWN_OBSERVERS: &[&str] = &["minmax", "percentile", "kl", "mse", "isotone", "floating"];

impl QuantizationSetting {
    /// The factory setting PPQ pairs with a platform (`QuantizationSettingFactory`, spec §6.1):
    /// ncnn/ascend turn fusion off; dsp/metax-tensorwise turn equalization on (DSP: 3 iterations,
    /// threshold 0.5); fpga turns equalization on including the bias; the others are the defaults.
    pub fn for_platform(platform: TargetPlatform) -> Self {
        use TargetPlatform as P;
        let mut s = Self::default();
        match platform {
            P::NcnnInt8 | P::AscInt8 => s.fusion = false,
            P::PplDspInt8 | P::SnpeInt8 | P::QnnDspInt8 | P::PplDspTiInt8 => {
                s.equalization = true;
                s.equalization_setting.iterations = 3;
                s.equalization_setting.value_threshold = 0.5;
            }
            P::MetaxInt8T => s.equalization = true,
            P::FpgaInt8 => {
                s.equalization = true;
                s.equalization_setting.including_bias = true;
            }
            _ => {}
        }
        s
    }

    /// `academic_setting()` (≤0.6.5 ACADEMIC_INT8): fusion off, which also disables simplify and alignment.
    pub fn academic() -> Self {
        Self { fusion: false, state_model: StateModel::Ppq065, ..Self::default() }
    }

    /// Whether QuantizeSimplifyPass runs (PPQ nests it under `fusion`).
    pub fn runs_simplify(&self) -> bool {
        self.fusion && self.remove_useless_quantization
    }

    /// Whether QuantAlignmentPass runs (PPQ nests it under `fusion`).
    pub fn runs_alignment(&self) -> bool {
        self.fusion && self.align_quantization
    }

    /// Checks what PPQ asserts: calib steps in 8..=512, alignment methods allowed for their group,
    /// observer names known.
    pub fn validate(&self) -> Result<(), PipelineError> {
        let steps = self.quantize_activation_setting.calib_steps;
        if !(8..=512).contains(&steps) {
            return Err(PipelineError::InvalidSetting(format!(
                "quantize_activation_setting.calib_steps = {steps}, PPQ requires 8 <= calib_steps <= 512"
            )));
        }
        let a = &self.quantize_alignment_setting;
        let checks = [
            ("elementwise_alignment", AlignmentGroup::Elementwise, a.elementwise_alignment),
            ("concat_alignment", AlignmentGroup::Concat, a.concat_alignment),
            ("pooling_alignment", AlignmentGroup::Pooling, a.pooling_alignment),
            ("resize_alignment", AlignmentGroup::Resize, a.resize_alignment),
        ];
        for (field, group, method) in checks {
            if !group.allowed().contains(&method) {
                let allowed: Vec<_> = group.allowed().iter().map(|m| format!("'{}'", m.name())).collect();
                return Err(PipelineError::InvalidSetting(format!(
                    "quantize_alignment_setting.{field} = '{}' is not allowed, choose one of {}",
                    method.name(),
                    allowed.join(", ")
                )));
            }
        }
        self.validate_training()?;
        self.validate_unimplemented()?;
        let observers = [
            ("quantize_parameter_setting.calib_algorithm", &self.quantize_parameter_setting.calib_algorithm),
            ("quantize_activation_setting.calib_algorithm", &self.quantize_activation_setting.calib_algorithm),
        ];
        for (field, algo) in observers {
            if let Some(name) = algo
                && !KNOWN_OBSERVERS.contains(&name.to_ascii_lowercase().as_str())
            {
                return Err(PipelineError::InvalidSetting(format!(
                    "{field} = '{name}' is not a known observer ({})",
                    KNOWN_OBSERVERS.join(", ")
                )));
            }
        }
        Ok(())
    }
}

impl QuantizationSetting {
    /// Checks the training passes' arguments and the bit-width override: block sizes ≥ 1, a finite
    /// positive learning rate, a finite non-negative gamma, bit widths in 2..=16.
    /// Refuses, by name, every switch whose pass the playground does not run yet: accepting such a flag
    /// and quantizing without the pass would give results PPQ never produces.
    fn validate_unimplemented(&self) -> Result<(), PipelineError> {
        let flags = [
            ("ssd_equalization", self.ssd_equalization, "SSDEqualizationPass"),
            ("weight_split", self.weight_split, "HorizontalLayerSplitPass"),
            ("channel_split", self.channel_split, "ChannelwiseSplitPass"),
            ("blockwise_reconstruction", self.blockwise_reconstruction, "BlockwiseReconstructionPass (AdaRound)"),
        ];
        match flags.iter().find(|f| f.1) {
            Some((flag, _, pass)) => Err(PipelineError::InvalidSetting(format!(
                "{flag} = true asks for PPQ's {pass}, which this playground does not implement; set {flag} = false"
            ))),
            None => Ok(()),
        }
    }

    fn validate_training(&self) -> Result<(), PipelineError> {
        let bad = |m: String| Err(PipelineError::InvalidSetting(m));
        if self.bias_correct_setting.block_size == 0 {
            return bad("bias_correct_setting.block_size must be at least 1".into());
        }
        let l = &self.lsq_optimization_setting;
        if l.block_size == 0 {
            return bad("lsq_optimization_setting.block_size must be at least 1".into());
        }
        if !(l.lr.is_finite() && l.lr > 0.0) {
            return bad(format!("lsq_optimization_setting.lr = {} must be a finite positive number", l.lr));
        }
        if !(l.gamma.is_finite() && l.gamma >= 0.0) {
            return bad(format!("lsq_optimization_setting.gamma = {} must be finite and non-negative", l.gamma));
        }
        for (field, bits) in
            [("weight_bits", self.bit_width.weight_bits), ("activation_bits", self.bit_width.activation_bits)]
        {
            if let Some(b) = bits
                && !(2..=16).contains(&b)
            {
                return bad(format!("bit_width.{field} = {b}, expected 2..=16"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unimplemented_pass_switches_are_refused_by_name() {
        for flag in ["ssd_equalization", "weight_split", "channel_split", "blockwise_reconstruction"] {
            let mut s = QuantizationSetting::default();
            match flag {
                "ssd_equalization" => s.ssd_equalization = true,
                "weight_split" => s.weight_split = true,
                "channel_split" => s.channel_split = true,
                _ => s.blockwise_reconstruction = true,
            }
            let e = s.validate().unwrap_err().to_string();
            assert!(e.contains(flag) && e.contains("does not implement"), "{e}");
        }
        QuantizationSetting::default().validate().unwrap();
    }

    #[test]
    fn defaults_are_ppq_defaults_and_valid() {
        let s = QuantizationSetting::default();
        assert!(s.fusion && s.runs_simplify() && s.runs_alignment());
        assert_eq!(s.quantize_alignment_setting.resize_alignment, AlignmentMethod::AlignToOutput);
        assert!(s.quantize_alignment_setting.force_overlap);
        assert_eq!(s.quantize_activation_setting.calib_steps, 32);
        assert!(!s.equalization && !s.lsq_optimization && !s.bias_correct && !s.blockwise_reconstruction);
        s.validate().unwrap();
    }

    #[test]
    fn factories() {
        assert!(!QuantizationSetting::for_platform(TargetPlatform::NcnnInt8).runs_alignment());
        let dsp = QuantizationSetting::for_platform(TargetPlatform::PplDspInt8);
        assert!(dsp.equalization && dsp.equalization_setting.iterations == 3);
        assert!(QuantizationSetting::for_platform(TargetPlatform::FpgaInt8).equalization_setting.including_bias);
        assert_eq!(QuantizationSetting::for_platform(TargetPlatform::TrtInt8), QuantizationSetting::default());
        assert!(!QuantizationSetting::academic().fusion);
    }

    #[test]
    fn validation_rejects_what_ppq_rejects() {
        let mut s = QuantizationSetting::default();
        s.quantize_activation_setting.calib_steps = 4;
        assert!(s.validate().unwrap_err().to_string().contains("calib_steps"));
        let mut s = QuantizationSetting::default();
        s.quantize_alignment_setting.concat_alignment = AlignmentMethod::AlignToInput;
        assert!(s.validate().unwrap_err().to_string().contains("concat_alignment"));
        let mut s = QuantizationSetting::default();
        s.quantize_alignment_setting.pooling_alignment = AlignmentMethod::AlignToLarge;
        assert!(s.validate().is_err());
        let mut s = QuantizationSetting::default();
        s.quantize_activation_setting.calib_algorithm = Some("magic".into());
        assert!(s.validate().is_err());
    }

    #[test]
    fn training_settings_are_ppq_066_defaults_and_checked() {
        let s = QuantizationSetting::default();
        assert_eq!(s.bias_correct_setting.block_size, 4);
        assert_eq!(s.bias_correct_setting.steps, 32);
        assert_eq!(s.lsq_optimization_setting.steps, 500);
        assert_eq!(s.lsq_optimization_setting.lr, 1e-5);
        assert!(s.lsq_optimization_setting.is_scale_trainable);
        assert_eq!(s.blockwise_reconstruction_setting.steps, 5000);
        let mut s = QuantizationSetting::default();
        s.lsq_optimization_setting.block_size = 0;
        assert!(s.validate().unwrap_err().to_string().contains("block_size"));
        let mut s = QuantizationSetting::default();
        s.lsq_optimization_setting.lr = f64::NAN;
        assert!(s.validate().unwrap_err().to_string().contains("lr"));
        let mut s = QuantizationSetting::default();
        s.bit_width.weight_bits = Some(1);
        assert!(s.validate().unwrap_err().to_string().contains("weight_bits"));
        // a setting saved before the training fields existed still loads
        let mut j: serde_json::Value = serde_json::to_value(QuantizationSetting::default()).unwrap();
        for k in ["bias_correct_setting", "lsq_optimization_setting", "blockwise_reconstruction_setting", "bit_width"] {
            j.as_object_mut().unwrap().remove(k);
        }
        assert_eq!(serde_json::from_value::<QuantizationSetting>(j).unwrap(), QuantizationSetting::default());
    }

    #[test]
    fn serde_round_trip() {
        let s = QuantizationSetting::for_platform(TargetPlatform::PplDspInt8);
        let j = serde_json::to_string(&s).unwrap();
        assert!(j.contains("\"Align to Large\"") && j.contains("ppq-0.6.6"));
        let back: QuantizationSetting = serde_json::from_str(&j).unwrap();
        assert_eq!(back, s);
    }
}

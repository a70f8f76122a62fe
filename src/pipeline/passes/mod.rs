//! The passes of PPQ 0.6.6's quantization pipeline (spec §6.1), one module per pass, each with PPQ's
//! exact pass name (as `passes.json` records it) and one job. The driver ([`super::driver`]) runs
//! them in order; each changes TQC states only through the [`crate::core::tqc::TqcStore`].

pub mod alignment;
pub mod baking;
pub mod calibration;
pub mod equalization;
pub mod fusion;
pub mod parameter;
pub mod passive;
pub mod simplify;

use super::context::QuantizedGraph;
use super::error::PipelineError;
use super::setting::QuantizationSetting;
use crate::core::QuantError;
use crate::core::quirks::Quirks;
use calibration::CalibrationData;
use serde::Serialize;

/// PPQ's `PASSIVE_OPERATIONS` (`ppq/core/common.py`), including the faithful 'DropoutSlice' typo: a
/// missing comma joins 'Dropout' and 'Slice', so neither is passive in PPQ (spec §6.4).
pub const PASSIVE_OPERATIONS: &[&str] = &[
    "MaxPool",
    "GlobalMaxPool",
    "Reshape",
    "Flatten",
    "Identity",
    "DropoutSlice",
    "Pad",
    "Split",
    "Transpose",
    "Interp",
    "Squeeze",
    "Unsqueeze",
];

/// `PASSIVE_OPERATIONS` with the typo corrected ('Dropout' and 'Slice' as two entries), used under
/// `Quirks::Fixed`.
pub const PASSIVE_OPERATIONS_FIXED: &[&str] = &[
    "MaxPool",
    "GlobalMaxPool",
    "Reshape",
    "Flatten",
    "Identity",
    "Dropout",
    "Slice",
    "Pad",
    "Split",
    "Transpose",
    "Interp",
    "Squeeze",
    "Unsqueeze",
];

/// The passive op types in force: PPQ's list (typo included) when faithful, the corrected one when fixed.
pub const fn passive_operations(quirks: Quirks) -> &'static [&'static str] {
    match quirks {
        Quirks::Faithful => PASSIVE_OPERATIONS,
        Quirks::Fixed => PASSIVE_OPERATIONS_FIXED,
    }
}

/// Which pipeline a pass belongs to (the `pipeline` field of `passes.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PipelineStage {
    /// Before TQCs exist (equalization, splits).
    Prequant,
    /// The quant pipeline.
    Quant,
}

/// A pass of the 0.6.6 pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PassKind {
    /// LayerwiseEqualizationPass (prequant; on for DSP): rescales conv → relu → conv weights.
    LayerwiseEqualization,
    /// QuantizeFusionPass.
    Fusion,
    /// QuantizeSimplifyPass.
    Simplify,
    /// ParameterQuantizePass.
    ParameterQuantize,
    /// RuntimeCalibrationPass.
    RuntimeCalibration,
    /// QuantAlignmentPass.
    Alignment,
    /// PassiveParameterQuantizePass.
    PassiveParameterQuantize,
    /// ParameterBakingPass.
    ParameterBaking,
}

impl PassKind {
    /// PPQ's pass name, as in `passes.json` and `run.json`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::LayerwiseEqualization => "PPQ Layerwise Equalization Pass",
            Self::Fusion => "PPQ Quantization Fusion Pass",
            Self::Simplify => "PPQ Quantize Simplify Pass",
            Self::ParameterQuantize => "PPQ Parameter Quantization Pass",
            Self::RuntimeCalibration => "PPQ Runtime Calibration Pass",
            Self::Alignment => "PPQ Quantization Alignment Pass",
            Self::PassiveParameterQuantize => "PPQ Passive Parameter Quantization",
            Self::ParameterBaking => "PPQ Parameter Baking Pass",
        }
    }

    /// The pipeline the pass runs in.
    pub const fn stage(self) -> PipelineStage {
        match self {
            Self::LayerwiseEqualization => PipelineStage::Prequant,
            _ => PipelineStage::Quant,
        }
    }

    /// Whether the playground implements the pass (false: it runs as a no-op and says so).
    pub const fn implemented(self) -> bool {
        true
    }

    /// The passes a setting enables, in PPQ 0.6.6's order (`build_quant_pipeline`, spec §6.1).
    pub fn pipeline(setting: &QuantizationSetting) -> Vec<Self> {
        let mut v = Vec::new();
        if setting.equalization {
            v.push(Self::LayerwiseEqualization);
        }
        if setting.fusion {
            v.push(Self::Fusion);
        }
        if setting.runs_simplify() {
            v.push(Self::Simplify);
        }
        if setting.quantize_parameter {
            v.push(Self::ParameterQuantize);
        }
        if setting.quantize_activation {
            v.push(Self::RuntimeCalibration);
        }
        if setting.runs_alignment() {
            v.push(Self::Alignment);
        }
        let p = &setting.quantize_parameter_setting;
        if p.quantize_passive_parameter {
            v.push(Self::PassiveParameterQuantize);
        }
        if p.baking_parameter {
            v.push(Self::ParameterBaking);
        }
        v
    }

    /// Runs the pass on `ctx`; `calib` is read only by RuntimeCalibrationPass.
    pub fn run(self, ctx: &mut QuantizedGraph, calib: &CalibrationData) -> Result<(), PipelineError> {
        let wrap = |e: QuantError| PipelineError::Pass { pass: self.name(), why: e.to_string() };
        match self {
            Self::LayerwiseEqualization => equalization::run(ctx),
            Self::Fusion => fusion::run(ctx).map_err(wrap),
            Self::Simplify => simplify::run(ctx).map_err(wrap),
            Self::ParameterQuantize => parameter::run(ctx),
            Self::RuntimeCalibration => calibration::run(ctx, calib),
            Self::Alignment => alignment::run(ctx),
            Self::PassiveParameterQuantize => passive::run(ctx),
            Self::ParameterBaking => baking::run(ctx),
        }
    }
}

//! The passes of PPQ 0.6.6's quantization pipeline (spec §6.1), one module per pass, each with PPQ's
//! exact pass name (as `passes.json` records it) and one job. The driver ([`super::driver`]) runs
//! them in order; each changes TQC states only through the [`ppq_core::tqc::TqcStore`].

pub mod alignment;
pub mod baking;
pub mod calibration;
pub mod classic;
pub mod equalization;
pub mod fusion;
pub mod parameter;
pub mod passive;
pub mod pattern;
pub mod refine;
pub mod simplify;
pub mod training;

use super::context::QuantizedGraph;
use super::error::PipelineError;
use super::setting::QuantizationSetting;
use calibration::CalibrationData;
use ppq_core::QuantError;
use ppq_core::state::StateModel;
use serde::Serialize;

/// PPQ's `PASSIVE_OPERATIONS` tables live with the quantizer's socket rules; the passes read the same lists.
pub use crate::quantizer::socket::{
    PASSIVE_OPERATIONS, PASSIVE_OPERATIONS_065, PASSIVE_OPERATIONS_065_FIXED, PASSIVE_OPERATIONS_FIXED,
    passive_operations,
};

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
    /// QuantizeRefinePass (classic ≤0.6.5 pipeline only): SOI/FP32/PASSIVE_INIT inputs.
    QuantizeRefine,
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
    /// BiasCorrectionPass (`bias_correct`).
    BiasCorrection,
    /// LearnedStepSizePass (`lsq_optimization`); PPQ re-runs PassiveParameterQuantizePass after it.
    LearnedStepSize,
    /// ParameterBakingPass.
    ParameterBaking,
}

impl PassKind {
    /// PPQ's pass name, as in `passes.json` and `run.json`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::LayerwiseEqualization => "PPQ Layerwise Equalization Pass",
            Self::QuantizeRefine => "PPQ Quantization Config Refine Pass",
            Self::Fusion => "PPQ Quantization Fusion Pass",
            Self::Simplify => "PPQ Quantize Simplify Pass",
            Self::ParameterQuantize => "PPQ Parameter Quantization Pass",
            Self::RuntimeCalibration => "PPQ Runtime Calibration Pass",
            Self::Alignment => "PPQ Quantization Alignment Pass",
            Self::PassiveParameterQuantize => "PPQ Passive Parameter Quantization",
            Self::BiasCorrection => "PPQ Bias Correction Pass",
            Self::LearnedStepSize => "PPQ LSQ Optimization",
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

    /// The passes a setting enables, in PPQ 0.6.6's order (`build_quant_pipeline`, spec §6.1); the classic
    /// 0.6.5 pipeline starts its quant pipeline with QuantizeRefinePass and otherwise keeps the same order.
    pub fn pipeline(setting: &QuantizationSetting) -> Vec<Self> {
        let mut v = Vec::new();
        if setting.equalization {
            v.push(Self::LayerwiseEqualization);
        }
        if setting.state_model == StateModel::Ppq065 {
            v.push(Self::QuantizeRefine);
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
        if setting.bias_correct {
            v.push(Self::BiasCorrection);
        }
        if setting.lsq_optimization {
            // `build_quant_pipeline` requantizes the passive parameters (biases) after training
            v.push(Self::LearnedStepSize);
            v.push(Self::PassiveParameterQuantize);
        }
        if p.baking_parameter {
            v.push(Self::ParameterBaking);
        }
        v
    }

    /// Runs the pass on `ctx`; `calib` is read only by RuntimeCalibrationPass.
    pub fn run(self, ctx: &mut QuantizedGraph, calib: &CalibrationData) -> Result<(), PipelineError> {
        self.run_observed(ctx, calib, &mut |_, _| {})
    }

    /// [`Self::run`], telling `on_sample(done, steps)` after each calibration batch (for a progress display).
    pub fn run_observed(
        self,
        ctx: &mut QuantizedGraph,
        calib: &CalibrationData,
        on_sample: &mut dyn FnMut(usize, usize),
    ) -> Result<(), PipelineError> {
        self.run_with(ctx, calib, on_sample, &mut |_| training::Flow::Continue).map(|_| ())
    }

    /// Whether the pass is one of PPQ's training passes (it reads the calibration data, reports progress
    /// per step to a [`training::TrainingObserver`] and may be cancelled).
    pub const fn is_training(self) -> bool {
        matches!(self, Self::BiasCorrection | Self::LearnedStepSize)
    }

    /// [`Self::run_observed`], with `on_step` hearing each step of a training pass (it may cancel: the pass
    /// then undoes its changes and returns [`PipelineError::Cancelled`]). Training passes return their report.
    pub fn run_with(
        self,
        ctx: &mut QuantizedGraph,
        calib: &CalibrationData,
        on_sample: &mut dyn FnMut(usize, usize),
        on_step: &mut training::TrainingObserver<'_>,
    ) -> Result<Option<training::TrainingReport>, PipelineError> {
        match self {
            Self::BiasCorrection => return training::bias_correction::run(ctx, calib, on_step).map(Some),
            Self::LearnedStepSize => return training::lsq::run(ctx, calib, on_step).map(Some),
            _ => {}
        }
        self.run_plain(ctx, calib, on_sample).map(|_| None)
    }

    fn run_plain(
        self,
        ctx: &mut QuantizedGraph,
        calib: &CalibrationData,
        on_sample: &mut dyn FnMut(usize, usize),
    ) -> Result<(), PipelineError> {
        let wrap = |e: QuantError| PipelineError::Pass { pass: self.name(), why: e.to_string() };
        // the classic (0.6.5) pipeline swaps in its own rules where PPQ 0.6.5.1 differs (see `classic`)
        let classic = ctx.setting.state_model == StateModel::Ppq065;
        match self {
            Self::LayerwiseEqualization => equalization::run(ctx),
            Self::QuantizeRefine => refine::run(ctx),
            Self::Fusion if classic => classic::fusion(ctx).map_err(wrap),
            Self::Fusion => fusion::run(ctx).map_err(wrap),
            Self::Simplify => simplify::run(ctx).map_err(wrap),
            Self::ParameterQuantize => parameter::run(ctx),
            Self::RuntimeCalibration => calibration::run(ctx, calib, on_sample),
            Self::Alignment if classic => classic::alignment(ctx),
            Self::Alignment => alignment::run(ctx),
            Self::PassiveParameterQuantize if classic => classic::passive_parameters(ctx),
            Self::PassiveParameterQuantize => passive::run(ctx),
            Self::ParameterBaking => baking::run(ctx),
            Self::BiasCorrection | Self::LearnedStepSize => {
                Err(PipelineError::Pass { pass: self.name(), why: "a training pass runs through run_with".into() })
            }
        }
    }
}

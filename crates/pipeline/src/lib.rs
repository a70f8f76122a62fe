//! Layer 3, the pipeline: platforms, passes, calibration, the transition trace and exporters.
//! Depends on [`ppq_core`] and [`ppq_graph`].

pub mod analysis;
pub mod baking_view;
pub mod bit_width;
pub mod context;
pub mod driver;
pub mod error;
pub mod export;
pub mod keep_float;
pub mod passes;
pub mod quantizer;
pub mod record;
pub mod records;
pub mod replay;
pub mod setting;
pub mod simulate;
pub mod tensor_stats;

pub use analysis::{LayerError, OpSensitivity, OutputError, SensitivityReport, graphwise_error, sensitivity};
pub use context::{QuantableOp, QuantizedGraph};
pub use driver::{PassReport, Pipeline, Snapshot, SnapshotScale, Trace, ValueChange, format_version};
pub use error::PipelineError;
pub use passes::calibration::CalibrationData;
pub use passes::training::{BlockOutcome, Flow, ParameterChange, TrainingProgress, TrainingReport};
pub use passes::{PassKind, PipelineStage};
pub use ppq_core::tqc::QuantizationVisibility;
pub use quantizer::{InputInfo, OpAttrs, OpDesc, OpSpec, QuantizerKind, TqcSpec};
pub use records::to_records;
pub use setting::{AlignmentMethod, QuantizationSetting};

//! Layer 3, the pipeline: platforms, passes, calibration, the transition trace and exporters.
//! Depends on [`crate::core`] and [`crate::graph`].

pub mod error;
pub mod quantizer;
pub mod setting;

pub use error::PipelineError;
pub use quantizer::{InputInfo, OpAttrs, OpDesc, OpSpec, QuantizerKind, TqcSpec};
pub use setting::{AlignmentMethod, QuantizationSetting, QuantizationVisibility};

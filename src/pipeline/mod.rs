//! Layer 3, the pipeline: platforms, passes, calibration, the transition trace and exporters.
//! Depends on [`crate::core`] and [`crate::graph`].

pub mod error;
pub mod export;
pub mod quantizer;
pub mod record;
pub mod setting;

pub use crate::core::tqc::QuantizationVisibility;
pub use error::PipelineError;
pub use quantizer::{InputInfo, OpAttrs, OpDesc, OpSpec, QuantizerKind, TqcSpec};
pub use setting::{AlignmentMethod, QuantizationSetting};

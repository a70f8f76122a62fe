//! Errors of the pipeline layer. Every message names the op or setting field at fault, so a user
//! editing a setting in the UI or running the CLI sees what to change.

use crate::core::QuantError;
use thiserror::Error;

/// What can go wrong while validating a setting or creating quantization configs.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum PipelineError {
    /// A `QuantizationSetting` field has a value PPQ would reject (PPQ asserts or raises on these).
    #[error("invalid quantization setting: {0}")]
    InvalidSetting(String),
    /// A quantizer cannot build configs for an op (PPQ asserts in `init_quantize_config`).
    #[error("quantizer {quantizer} cannot configure op '{op}' ({op_type}): {why}")]
    Quantizer {
        /// The quantizer's platform name.
        quantizer: &'static str,
        /// The op's name.
        op: String,
        /// The op's type.
        op_type: String,
        /// What is wrong.
        why: String,
    },
    /// A core error, e.g. a policy outside the state model's whitelist.
    #[error(transparent)]
    Core(#[from] QuantError),
}

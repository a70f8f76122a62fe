//! Errors of the pipeline layer. Every message names the op, input or setting field at fault, so a user
//! editing a setting in the UI or running the CLI sees what to change.

use ppq_core::QuantError;
use ppq_graph::GraphError;
use thiserror::Error;

/// What can go wrong while validating a setting, creating quantization configs or running a pass.
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
    /// Calibration data does not fit the graph (wrong shape, NaN/inf, no samples).
    #[error("bad calibration data for input '{input}': {why}")]
    Calibration {
        /// The graph input the data was meant for.
        input: String,
        /// What is wrong.
        why: String,
    },
    /// A pass met a graph or config it cannot handle (PPQ would raise inside the pass).
    #[error("{pass}: {why}")]
    Pass {
        /// PPQ's pass name.
        pass: &'static str,
        /// What is wrong, naming the op or TQC.
        why: String,
    },
    /// A training pass was cancelled by its progress observer; the graph is as it was before the pass.
    #[error("{pass}: cancelled at block {block}, step {step}; the pass's changes were undone")]
    Cancelled {
        /// PPQ's pass name.
        pass: &'static str,
        /// The block being processed (1-based).
        block: usize,
        /// The step reached in that block.
        step: usize,
    },
    /// Every pass of the pipeline already ran.
    #[error("the pipeline has no pass left to run")]
    Finished,
    /// A core error, e.g. a policy outside the state model's whitelist.
    #[error(transparent)]
    Core(#[from] QuantError),
    /// A graph error: import, formatting or execution.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

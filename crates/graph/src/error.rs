//! Errors of the graph layer. Every message names the op or tensor at fault, because users see them.

use thiserror::Error;

/// What went wrong while loading, formatting or executing a graph.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum GraphError {
    /// The bytes are not a valid ONNX protobuf.
    #[error("malformed ONNX: {0}")]
    Malformed(String),
    /// An op type the executor cannot run.
    #[error("unsupported op '{op_type}' (op '{op}')")]
    UnsupportedOp {
        /// The op's name.
        op: String,
        /// Its ONNX type.
        op_type: String,
    },
    /// An attribute is missing or has the wrong kind.
    #[error("op '{op}': attribute '{attr}': {why}")]
    Attribute {
        /// The op's name.
        op: String,
        /// The attribute.
        attr: String,
        /// What is wrong.
        why: String,
    },
    /// Shapes or dtypes that the op cannot accept.
    #[error("op '{op}': {why}")]
    Shape {
        /// The op's name (or type when the name is unknown).
        op: String,
        /// What is wrong.
        why: String,
    },
    /// A variable referenced but never produced or fed.
    #[error("variable '{0}' has no value (not an input, initializer or op output)")]
    MissingValue(String),
    /// The model is larger than the playground accepts.
    #[error("model too large: {0}")]
    TooLarge(String),
    /// Calibration data that cannot be used (unreadable file, wrong shape or dtype, NaN/Inf values).
    #[error("calibration data: {0}")]
    CalibData(String),
    /// Any other structural problem (cycles, duplicate names …).
    #[error("invalid graph: {0}")]
    Invalid(String),
}

impl GraphError {
    /// Shorthand for a [`GraphError::Shape`] error.
    pub fn shape(op: impl Into<String>, why: impl Into<String>) -> Self {
        Self::Shape { op: op.into(), why: why.into() }
    }

    /// Shorthand for a [`GraphError::Attribute`] error.
    pub fn attribute(op: impl Into<String>, attr: impl Into<String>, why: impl Into<String>) -> Self {
        Self::Attribute { op: op.into(), attr: attr.into(), why: why.into() }
    }
}

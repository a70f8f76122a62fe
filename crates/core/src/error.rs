//! Errors of the quantization core. Every rule PPQ enforces with an exception is a `Result` here,
//! because a panic in wasm kills the page.

use thiserror::Error;

/// What went wrong inside the quantization core.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum QuantError {
    /// A bit combination that is not on the state model's whitelist (PPQ raises ValueError).
    #[error("invalid quantization policy 0x{bits:02X} for {model}: {names}")]
    InvalidPolicy {
        /// The raw property bits.
        bits: u32,
        /// The policy model whose whitelist was checked.
        model: &'static str,
        /// The property names the bits spell.
        names: String,
    },
    /// A property name that PPQ does not define.
    #[error("unknown quantization property '{0}'")]
    UnknownProperty(String),
    /// A rounding policy name that PPQ does not define.
    #[error("unknown rounding policy '{0}'")]
    UnknownRounding(String),
    /// A state name that PPQ does not define.
    #[error("unknown quantization state '{0}'")]
    UnknownState(String),
    /// The rounding policy has no implementation on this path (PPQ raises NotImplementedError).
    #[error("rounding policy {policy} is not implemented on the {path} path")]
    RoundingNotImplemented {
        /// The policy asked for.
        policy: &'static str,
        /// `tensor` or `numerical`.
        path: &'static str,
    },
    /// A TQC relation would make a cycle (PPQ's "circular reference").
    #[error("circular domination: {0}")]
    CircularDomination(String),
    /// Writing scale/offset on a TQC that is not revisable (PPQ raises PermissionError).
    #[error("TQC {tqc} is not revisable in state {state}: {why}")]
    NotRevisable {
        /// The TQC's label.
        tqc: String,
        /// Its state.
        state: &'static str,
        /// Why it is not revisable.
        why: &'static str,
    },
    /// A value outside what PPQ allows (bits out of range, bad channel axis, mismatched lengths …).
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// An observer could not render (PPQ raises PermissionError / AssertionError).
    #[error("observer {observer}: {why}")]
    Observer {
        /// The observer algorithm.
        observer: String,
        /// What went wrong.
        why: String,
    },
    /// A TQC id that does not belong to the store it was used with.
    #[error("unknown TQC id {0}")]
    UnknownTqc(u32),
    /// Input data PPQ would choke on (NaN, infinities, empty tensors, shape mismatch).
    #[error("bad tensor data: {0}")]
    BadData(String),
}

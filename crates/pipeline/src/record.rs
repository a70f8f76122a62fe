//! `tqc.json` records: the common language of tests, the CLI, the page and reviewers.
//!
//! One [`TqcRecord`] per TQC of a quantable op, with exactly the fields of the reference files that real
//! PPQ produced (`../shared/reference/ppq-0.6.6/*/*/tqc.json`), and one [`OpRecord`] per op that is not
//! quantable (its platform is FP32 or SOI). Both are plain serde data; reading and writing files is left
//! to the edges.

use serde::{Deserialize, Serialize};

/// A scale or offset as `tqc.json` writes it: a number per tensor, a list per channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ScaleValue {
    /// Per-tensor value.
    PerTensor(f64),
    /// Per-channel values.
    PerChannel(Vec<f64>),
}

impl ScaleValue {
    /// The values as a list (one element for per-tensor).
    pub fn values(&self) -> Vec<f64> {
        match self {
            Self::PerTensor(v) => vec![*v],
            Self::PerChannel(v) => v.clone(),
        }
    }
}

/// One TQC of a quantable op.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TqcRecord {
    /// The op's name.
    pub op: String,
    /// The op's ONNX type.
    pub op_type: String,
    /// The op's platform (PPQ name, e.g. `TRT_INT8`).
    pub platform: String,
    /// Always true for TQC records.
    pub quantable: bool,
    /// `in` or `out`.
    pub io: String,
    /// Input or output index.
    pub index: usize,
    /// The variable's name.
    pub var: String,
    /// Whether the variable is a parameter (weight, bias, constant input).
    pub is_parameter: bool,
    /// The state's PPQ name.
    pub state: String,
    /// The policy's property names, lowest bit first.
    pub policy: Vec<String>,
    /// The rounding policy's PPQ name.
    pub rounding: String,
    /// Bit width.
    pub num_of_bits: u32,
    /// Lowest integer.
    pub quant_min: i64,
    /// Highest integer.
    pub quant_max: i64,
    /// Channel axis of per-channel policies.
    pub channel_axis: Option<i64>,
    /// Observer algorithm.
    pub observer: Option<String>,
    /// Scale read through the root (null when not set).
    pub scale: Option<ScaleValue>,
    /// Offset read through the root.
    pub offset: Option<ScaleValue>,
    /// This TQC's id, `op:in0:var` / `op:out0:var`.
    #[serde(rename = "self")]
    pub id: String,
    /// Id of the union-find root that owns the scale, null if this TQC is its own root.
    pub dominated_by: Option<String>,
    /// Id of the direct parent in the union-find forest.
    pub direct_dominator: Option<String>,
}

/// An op that is not quantable (platform FP32 or SOI).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpRecord {
    /// The op's name.
    pub op: String,
    /// The op's ONNX type.
    pub op_type: String,
    /// `FP32` or `SOI`.
    pub platform: String,
    /// Always false for op records.
    pub quantable: bool,
    /// Input variable names.
    pub inputs: Vec<String>,
    /// Output variable names.
    pub outputs: Vec<String>,
}

/// One line of `tqc.json`. (Records are built once per export, so the size gap between variants is harmless.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[allow(clippy::large_enum_variant)]
pub enum Record {
    /// A TQC of a quantable op.
    Tqc(TqcRecord),
    /// A non-quantable op.
    Op(OpRecord),
}

impl Record {
    /// The TQC record, if this is one.
    pub fn as_tqc(&self) -> Option<&TqcRecord> {
        match self {
            Self::Tqc(t) => Some(t),
            Self::Op(_) => None,
        }
    }
}

/// The id PPQ's reference files give a TQC: `op:in0:var`.
pub fn tqc_id(op: &str, is_input: bool, index: usize, var: &str) -> String {
    format!("{op}:{}{index}:{var}", if is_input { "in" } else { "out" })
}

//! Op attributes as the IR keeps them, with typed getters that turn a missing or mistyped attribute
//! into a [`GraphError`] naming the op.

use super::error::GraphError;
use super::tensor::Tensor;
use std::collections::BTreeMap;

/// One ONNX attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// INT.
    Int(i64),
    /// INTS.
    Ints(Vec<i64>),
    /// FLOAT.
    Float(f32),
    /// FLOATS.
    Floats(Vec<f32>),
    /// STRING (bytes, usually UTF-8).
    String(Vec<u8>),
    /// STRINGS.
    Strings(Vec<Vec<u8>>),
    /// TENSOR (e.g. Constant's `value`, ConstantOfShape's `value`).
    Tensor(Tensor),
}

/// The attributes of one op, by name, plus the op's name for error messages and the opset version of its
/// domain, so a kernel can tell apart the meanings ONNX gave an op over the opsets (Softmax < 13 flattens to
/// 2-D, Resize-10 is asymmetric, …).
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    /// The owning op's name (for messages).
    pub op: String,
    /// Name → value.
    pub values: BTreeMap<String, AttrValue>,
    /// The opset version of the op's domain (the model's `opset_import`); 0 when unknown, which kernels read as
    /// the newest version they implement.
    pub opset: i64,
}

/// Equal names and values: the opset is where the op came from, not what it says, so two ops written the same
/// way compare equal (export → import round trips, formatting passes that rebuild ops).
impl PartialEq for Attributes {
    fn eq(&self, other: &Self) -> bool {
        self.op == other.op && self.values == other.values
    }
}

impl Attributes {
    /// Empty attributes of op `op`.
    pub fn new(op: impl Into<String>) -> Self {
        Self { op: op.into(), values: BTreeMap::new(), opset: 0 }
    }

    /// The op's opset version, or `newest` when unknown (0).
    pub fn opset_or(&self, newest: i64) -> i64 {
        if self.opset > 0 { self.opset } else { newest }
    }

    /// True when the op was parsed under an opset older than `version` (unknown counts as the newest).
    pub fn before(&self, version: i64) -> bool {
        self.opset > 0 && self.opset < version
    }

    /// Adds or replaces an attribute (builder style, handy in tests).
    pub fn with(mut self, name: &str, value: AttrValue) -> Self {
        self.values.insert(name.to_string(), value);
        self
    }

    /// True when the attribute is present.
    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    fn wrong(&self, name: &str, want: &str) -> GraphError {
        GraphError::attribute(&self.op, name, format!("expected {want}"))
    }

    /// An INT attribute, or `default` when absent.
    pub fn int_or(&self, name: &str, default: i64) -> Result<i64, GraphError> {
        match self.values.get(name) {
            None => Ok(default),
            Some(AttrValue::Int(v)) => Ok(*v),
            Some(_) => Err(self.wrong(name, "an int")),
        }
    }

    /// A FLOAT attribute, or `default` when absent.
    pub fn float_or(&self, name: &str, default: f32) -> Result<f32, GraphError> {
        match self.values.get(name) {
            None => Ok(default),
            Some(AttrValue::Float(v)) => Ok(*v),
            Some(AttrValue::Int(v)) => Ok(*v as f32),
            Some(_) => Err(self.wrong(name, "a float")),
        }
    }

    /// An INTS attribute, or `None` when absent.
    pub fn ints(&self, name: &str) -> Result<Option<Vec<i64>>, GraphError> {
        match self.values.get(name) {
            None => Ok(None),
            Some(AttrValue::Ints(v)) => Ok(Some(v.clone())),
            Some(AttrValue::Int(v)) => Ok(Some(vec![*v])),
            Some(_) => Err(self.wrong(name, "a list of ints")),
        }
    }

    /// A FLOATS attribute, or `None` when absent.
    pub fn floats(&self, name: &str) -> Result<Option<Vec<f32>>, GraphError> {
        match self.values.get(name) {
            None => Ok(None),
            Some(AttrValue::Floats(v)) => Ok(Some(v.clone())),
            Some(_) => Err(self.wrong(name, "a list of floats")),
        }
    }

    /// A STRING attribute decoded as UTF-8, or `default` when absent.
    pub fn string_or(&self, name: &str, default: &str) -> Result<String, GraphError> {
        match self.values.get(name) {
            None => Ok(default.to_string()),
            Some(AttrValue::String(b)) => String::from_utf8(b.clone()).map_err(|_| self.wrong(name, "a UTF-8 string")),
            Some(_) => Err(self.wrong(name, "a string")),
        }
    }

    /// A TENSOR attribute, or `None` when absent.
    pub fn tensor(&self, name: &str) -> Result<Option<&Tensor>, GraphError> {
        match self.values.get(name) {
            None => Ok(None),
            Some(AttrValue::Tensor(t)) => Ok(Some(t)),
            Some(_) => Err(self.wrong(name, "a tensor")),
        }
    }
}

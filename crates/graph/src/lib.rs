//! Layer 2, the graph: PPQ's IR of Operations and Variables, ONNX import/export, and the executor.
//! Depends only on [`ppq_core`].

pub mod attribute;
pub mod budget;
pub mod checked;
pub mod dispatch;
pub mod error;
pub mod executor;
pub mod export;
pub mod format;
pub mod import;
pub mod ir;
pub mod onnx;
pub mod ops;
pub mod probe;
pub mod quantize;
pub mod schema;
pub mod tensor;
pub mod validate;

pub use attribute::{AttrValue, Attributes};
pub use error::GraphError;
pub use ir::{BaseGraph, OpId, Operation, Opset, VarId, Variable};
pub use quantize::{QuantableOperation, QuantableOperationCopy, StoredValues};
pub use tensor::Tensor;

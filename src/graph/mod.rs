//! Layer 2, the graph: PPQ's IR of Operations and Variables, ONNX import/export, and the executor.
//! Depends only on [`crate::core`].

pub mod onnx;

//! Layer 1, the quantization core: everything PPQ's `ppq/core` and `ppq/quantization/{qfunction,observer}` define.
//!
//! **Invariant:** this module never imports wasm-bindgen, web-sys, yew, files or JSON I/O; it is plain
//! Rust over slices so the same code runs natively, in Node and in the browser.

pub mod error;
pub mod fp8;
pub mod kernels;
pub mod observer;
pub mod op_config;
pub mod platform;
pub mod policy;
pub mod quirks;
pub mod rounding;
pub mod state;
pub mod tqc;

pub use error::QuantError;
pub use policy::{QuantizationPolicy, QuantizationProperty};
pub use rounding::RoundingPolicy;
pub use state::{QuantizationStates, StateModel};

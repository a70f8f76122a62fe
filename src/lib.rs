//! PPQ Playground: PPQ's quantization semantics (OpenPPL's offline quantizer) in Rust, for the browser and the CLI.
//!
//! The crate is layered; each layer depends only on the ones before it (see `ARCHITECTURE.md`):
//! 1. [`core`] — policies, states, TQCs, rounding, fake-quant kernels, observers. Pure Rust.
//! 2. [`graph`] — the IR, ONNX import/export and the fp32 / fake-quant executor.
//! 3. [`pipeline`] — platforms, passes, calibration, the transition trace, exporters.
//! 4. [`front`] — the yew app (wasm32 only) and the native CLI.

pub mod bench;
pub mod core;
pub mod front;
pub mod graph;
pub mod pipeline;
#[cfg(not(target_arch = "wasm32"))]
pub mod reference;

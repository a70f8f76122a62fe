//! PPQ Playground: PPQ's quantization semantics (OpenPPL's offline quantizer) in Rust, for the browser and the CLI.
//!
//! The root package holds the binaries (the CLI, the web app, its worker, the browser bench) and re-exports
//! the layer crates of the workspace under short names, so tests and benches reach every layer from one
//! place. The ladder, each crate depending only on those before it (see `ARCHITECTURE.md`):
//! [`core`] ← [`graph`] ← [`pipeline`] ← [`session`] ← {[`teach`], [`worker`], `cli`} ← [`web`].

pub mod bench;
#[cfg(not(target_arch = "wasm32"))]
pub mod reference;

#[cfg(not(target_arch = "wasm32"))]
pub use ppq_cli as cli;
pub use ppq_core as core;
pub use ppq_graph as graph;
pub use ppq_pipeline as pipeline;
pub use ppq_session as session;
pub use ppq_teach as teach;
pub use ppq_web as web;
pub use ppq_worker as worker;

//! Layer 6, the web app: the yew page (wasm32 only) and the graph layout (pure Rust, tested natively).
//! It renders what the layers below report and never re-implements quantization.

#[cfg(target_arch = "wasm32")]
pub mod app;
pub mod layout;

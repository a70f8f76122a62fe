//! Layer 4, the front ends: the yew app (wasm32 only) and the native CLI. They render what the
//! lower layers report and never re-implement quantization.

#[cfg(target_arch = "wasm32")]
pub mod app;
pub mod calib;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod compare;
pub mod experiment;
pub mod layout;
pub mod lessons;
pub mod protocol;
pub mod run;
pub mod session;
pub mod status;
pub mod teach;
pub mod worker;

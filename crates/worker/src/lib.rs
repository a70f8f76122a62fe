//! Layer 5, the worker: the page ⇄ Web Worker protocol and the worker's logic (a session's pipeline run off
//! the page's main thread). Plain Rust, so native tests check both ends agree; the wasm glue is the root
//! package's `app-worker` binary. Depends on the session and below.

pub mod protocol;
pub mod worker;

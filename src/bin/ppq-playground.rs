//! The native CLI binary; all logic lives in `ppq_playground::cli`.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    ppq_playground::cli::main()
}

/// The CLI is native only; a wasm32 build of it does nothing.
#[cfg(target_arch = "wasm32")]
fn main() {}

//! The native CLI binary; all logic lives in `ppq_playground::front::cli`.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    ppq_playground::front::cli::main()
}

/// The CLI is native only; a wasm32 build of it does nothing.
#[cfg(target_arch = "wasm32")]
fn main() {}

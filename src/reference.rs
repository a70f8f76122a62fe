//! Where the reference data of real PPQ lives (`../shared/reference` beside the project root, or
//! `$PPQ_REFERENCE_DIR`). Used by tests, benches and the CLI's parity checks; never by the browser build.

use std::path::PathBuf;

/// The reference directory.
pub fn reference_dir() -> PathBuf {
    match std::env::var_os("PPQ_REFERENCE_DIR") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference"),
    }
}

//! Layer 4, the session: what a user chooses for a run (settings), the calibration readers, and preparing a
//! run of the pipeline from a model, data and settings. The CLI, the worker and teaching all start here, so
//! they quantize exactly alike. Depends on core, graph and pipeline.

pub mod calib;
pub mod open;
mod prepare;
pub mod run_report;
pub mod settings;
pub mod source;
pub mod status;

pub use open::{OpenedModel, open_model};
pub use prepare::*;
pub use run_report::{RunReport, run_to_end};
pub use settings::{OPTIONS, PLATFORM_OBSERVERS, SessionSettings, platforms};
pub use source::{CalibSource, load_calib};

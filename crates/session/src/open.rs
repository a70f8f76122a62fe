//! Opening a user's model: the one sequence the page's worker, `inspect` and the corpus tests share, so a model
//! the page accepts is a model that runs. Import and validate, format as PPQ 0.6.6 does (what the page draws),
//! then one fp32 probe run on zeros under the thread's budget ([`ppq_graph::probe`]) — sizes that only exist at
//! run time (a ConstantOfShape feeding a Gather, pads read from an initializer) are refused here, when the user
//! opens the file, and not in the middle of a later calibration.

use ppq_graph::BaseGraph;
use ppq_graph::format::{FormatVersion, format_graph};
use ppq_graph::probe::probe_run;
use ppq_graph::validate::inspect_onnx;

/// A model that opened: its formatted graph and what validation noted (symbolic dims, converted types …).
#[derive(Debug, Clone)]
pub struct OpenedModel {
    /// The graph, formatted as PPQ 0.6.6 formats it.
    pub graph: BaseGraph,
    /// Validation's notes, for the page and `inspect`.
    pub notes: Vec<String>,
}

/// Imports, validates, formats and probes `bytes`; the error is the sentence the user sees (the file's name is
/// the caller's to add).
pub fn open_model(bytes: &[u8]) -> Result<OpenedModel, String> {
    let (mut graph, report) = inspect_onnx(bytes).map_err(|e| e.to_string())?;
    format_graph(&mut graph, FormatVersion::V066).map_err(|e| format!("formatting failed: {e}"))?;
    if graph.num_ops() == 0 {
        return Err("the model has no operations to show".into());
    }
    probe_run(&graph).map_err(|e| e.to_string())?;
    Ok(OpenedModel { graph, notes: report.notes })
}

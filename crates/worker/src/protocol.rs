//! The messages between the page and its pipeline worker, as JSON strings over `postMessage`. Not wasm-gated,
//! so native tests check that both ends agree; everything in them is plain data the page can render.

use ppq_pipeline::PassReport;
use ppq_pipeline::analysis::{LayerError, OutputError, SensitivityReport};
use ppq_pipeline::tensor_stats::OpStats;
use ppq_session::{RunReport, SessionSettings};
use serde::{Deserialize, Serialize};

pub use ppq_session::CalibSource;

/// What the page asks the worker. (One message per user action, so the size gap between variants is harmless.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)]
pub enum Request {
    /// Build a pipeline for this model and calibration data (replacing any previous one).
    Load {
        /// Model name, for messages and the report.
        name: String,
        /// ONNX bytes.
        model: Vec<u8>,
        /// Calibration data.
        calib: CalibSource,
        /// The user's choices.
        settings: SessionSettings,
    },
    /// Run the next pass.
    Step,
    /// Run every remaining pass, reporting progress before each.
    RunAll,
    /// Back to before the first pass (same model, data and settings).
    Reset,
    /// After the last pass: dequantize op `op` (`float: true`, PPQ's `dequantize`) or restore it.
    KeepFloat {
        /// The quantable op's name.
        op: String,
        /// True to keep it in float, false to restore its quantization.
        float: bool,
    },
    /// After the last pass: rank every quantable op by the output error left when only it is kept in float,
    /// reporting [`Response::SensitivityProgress`] after each op.
    Sensitivity,
    /// After the last pass: activation histograms and per-channel weight ranges of op `op`.
    OpStats {
        /// The quantable op's name.
        op: String,
    },
    /// Run these settings on this model and data to the end, independently of the loaded session (one run of
    /// a lesson step, a sweep or a comparison); answered by `Response::Report` with the same key.
    RunToEnd {
        /// The page's key for the answer.
        key: String,
        /// ONNX bytes.
        model: Vec<u8>,
        /// Calibration data.
        calib: CalibSource,
        /// The run's settings.
        settings: SessionSettings,
    },
    /// Open a user's model as the page will show it — import, validate, format and one fp32 probe run under the
    /// worker's budget ([`ppq_session::open_model`]) — so a model that would trap or exhaust memory does it here,
    /// not on the page's thread; answered by `Response::Opened`.
    Open {
        /// Echoed in the answer.
        ticket: u64,
        /// ONNX bytes.
        model: Vec<u8>,
    },
    /// Read calibration data for the model input `input` (declared dims `dims`) without touching the session,
    /// so the page only adopts data the worker can read; answered by `Response::CalibChecked`.
    CheckCalib {
        /// Echoed in the answer, so the page can ignore answers to superseded checks.
        ticket: u64,
        /// The model's single input.
        input: String,
        /// Its declared dims (`None` = symbolic).
        dims: Option<Vec<Option<i64>>>,
        /// The data.
        calib: CalibSource,
    },
}

/// The error of the quantized simulation against the fp32 graph on the calibration data (PPQ's SNR ratio).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorView {
    /// Output 0 of each quantable op, in executing order.
    pub layers: Vec<LayerError>,
    /// Each graph output.
    pub outputs: Vec<OutputError>,
}

/// A sensitivity ranking with the ops that were kept in float while it ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitivityView {
    /// The ranking (most sensitive first).
    pub report: SensitivityReport,
    /// Ops already dequantized when it ran.
    pub kept_float: Vec<String>,
}

/// One logged state change, as the page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransitionView {
    /// TQC id (`add:in0:c2`).
    pub tqc: String,
    /// State before.
    pub from: String,
    /// State after.
    pub to: String,
    /// Why.
    pub reason: String,
}

/// What the last pass did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassView {
    /// PPQ's pass name.
    pub pass: String,
    /// False when the playground ran it as a no-op.
    pub implemented: bool,
    /// Its transitions.
    pub transitions: Vec<TransitionView>,
}

impl From<&PassReport> for PassView {
    fn from(r: &PassReport) -> Self {
        Self {
            pass: r.pass.to_string(),
            implemented: r.implemented,
            transitions: r
                .transitions
                .iter()
                .map(|t| TransitionView {
                    tqc: t.label.clone(),
                    from: t.from.name().to_string(),
                    to: t.to.name().to_string(),
                    reason: t.reason.clone(),
                })
                .collect(),
        }
    }
}

/// One export file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileView {
    /// The CLI's file name (`model.qdq.onnx`).
    pub name: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// The pipeline's state after a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// Model name.
    pub name: String,
    /// The settings it runs with.
    pub settings: SessionSettings,
    /// Calibration samples used.
    pub samples: usize,
    /// PPQ's pass names, in order.
    pub passes: Vec<String>,
    /// Passes already run.
    pub position: usize,
    /// `tqc.json` of the current state (the CLI's text).
    pub tqc_json: String,
    /// `passes.json`-shaped snapshots so far.
    pub snapshots_json: String,
    /// The passes the last request ran, in order (empty after load or reset).
    pub ran: Vec<PassView>,
    /// Every export once the pipeline finished (empty before).
    pub files: Vec<FileView>,
    /// Why the exports are missing, if they failed.
    pub export_error: Option<String>,
    /// Ops currently kept in float (dequantized after the last pass), in executing order.
    #[serde(default)]
    pub kept_float: Vec<String>,
    /// Error against fp32 on the calibration data, once every pass ran.
    #[serde(default)]
    pub errors: Option<ErrorView>,
}

/// What the worker answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// The worker's wasm is up.
    Hello,
    /// About to run pass `done + 1` of `total`.
    Progress {
        /// Passes done.
        done: usize,
        /// Passes in the pipeline.
        total: usize,
        /// The pass starting now.
        pass: String,
    },
    /// The new state.
    State(Box<RunState>),
    /// The sensitivity ranking measured `done` of `total` ops.
    SensitivityProgress {
        /// Ops measured.
        done: usize,
        /// Quantable ops.
        total: usize,
    },
    /// The answer to [`Request::Sensitivity`].
    Sensitivity(Box<SensitivityView>),
    /// The answer to [`Request::OpStats`].
    OpStats(Box<OpStats>),
    /// A request failed; the previous state stays.
    Error(String),
    /// The worker panicked and is unusable; the page must start a new one.
    Crashed(String),
    /// The answer to `Request::RunToEnd`.
    Report {
        /// The request's key.
        key: String,
        /// The run's report, or why it failed.
        result: Result<Box<RunReport>, String>,
    },
    /// The answer to `Request::Open`: validation's notes, or why the model cannot be opened.
    Opened {
        /// The request's ticket.
        ticket: u64,
        /// Notes, or the error.
        result: Result<Vec<String>, String>,
    },
    /// The answer to `Request::CheckCalib`: the sample count, or why the data cannot feed the input.
    CalibChecked {
        /// The request's ticket.
        ticket: u64,
        /// Samples read, or the error (naming the file).
        result: Result<usize, String>,
    },
}

impl Response {
    /// JSON text, or an `Error` JSON text if serialization fails (it cannot for these types).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"Error\":\"{e}\"}}"))
    }
}

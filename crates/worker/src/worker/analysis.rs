//! The worker's analysis requests on a finished pipeline: the per-op "keep in float" switch, the sensitivity
//! ranking, an op's activation histograms and weight ranges, and the error against fp32 every state carries.
//! All numbers come from [`ppq_pipeline::analysis`] and [`ppq_pipeline::tensor_stats`].

use super::{Session, Worker};
use crate::protocol::{ErrorView, Response, SensitivityView};
use ppq_pipeline::analysis::sensitivity_with_progress;
use ppq_pipeline::record::Record;
use ppq_pipeline::tensor_stats::{OpStats, op_stats};
use ppq_pipeline::{Pipeline, graphwise_error};

impl Worker {
    fn finished(&self) -> Result<&Session, String> {
        let s = self.session.as_ref().ok_or("no model is loaded")?;
        if !s.pipeline.is_finished() {
            return Err("run every pass first: analysis needs the calibrated, quantized model".into());
        }
        Ok(s)
    }

    /// Dequantizes (`float`) or restores the quantable op `op`; the state that follows shows the change.
    pub(super) fn keep_float(&mut self, op: &str, float: bool) -> Result<Vec<crate::protocol::PassView>, String> {
        self.finished()?;
        let s = self.session.as_mut().ok_or("no model is loaded")?;
        let r = if float { s.pipeline.dequantize_op(op) } else { s.pipeline.restore_op(op) };
        r.map_err(|e| e.to_string())?;
        Ok(Vec::new())
    }

    /// The keep-in-float ranking of the current model on its calibration data, with progress after each op.
    pub(super) fn sensitivity(&self, post: &mut dyn FnMut(Response)) -> Result<SensitivityView, String> {
        let s = self.finished()?;
        let mut progress = |done, total| post(Response::SensitivityProgress { done, total });
        let report =
            sensitivity_with_progress(s.pipeline.context(), &s.calib, &mut progress).map_err(|e| e.to_string())?;
        Ok(SensitivityView { report, kept_float: s.pipeline.dequantized_ops() })
    }

    /// Histograms and weight ranges of one op.
    pub(super) fn op_stats(&self, op: &str) -> Result<OpStats, String> {
        let s = self.finished()?;
        op_stats(s.pipeline.context(), &s.calib, op).map_err(|e| e.to_string())
    }
}

/// The error against fp32 on the calibration data, once every pass ran.
pub(super) fn errors(s: &Session) -> Result<Option<ErrorView>, String> {
    if !s.pipeline.is_finished() {
        return Ok(None);
    }
    let (layers, outputs) = graphwise_error(s.pipeline.context(), &s.calib).map_err(|e| e.to_string())?;
    Ok(Some(ErrorView { layers, outputs }))
}

/// The trace's snapshots; while ops are kept in float, one more entry after the last pass holds the current
/// states (from the records), so the graph and the inspector, which show a snapshot, show the switch too.
pub(super) fn snapshots_json(p: &Pipeline, records: &[Record], kept: &[String]) -> Result<String, String> {
    let snaps = &p.trace().snapshots;
    let extra = match (kept.is_empty(), snaps.last()) {
        (false, Some(last)) => {
            let mut now = last.clone();
            now.pass = format!("keep in float: {}", kept.join(", "));
            now.index += 1;
            for t in records.iter().filter_map(Record::as_tqc) {
                now.states.insert(t.id.clone(), t.state.clone());
            }
            Some(now)
        }
        _ => None,
    };
    let all: Vec<_> = snaps.iter().chain(extra.as_ref()).collect();
    serde_json::to_string(&all).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use crate::protocol::{CalibSource, Request, Response};
    use crate::worker::Worker;
    use ppq_session::SessionSettings;

    fn answer(w: &mut Worker, req: Request) -> Vec<Response> {
        let mut out = Vec::new();
        w.handle(req, &mut |r| out.push(r));
        out
    }

    #[test]
    fn keep_float_switches_states_and_errors_and_back() {
        let model = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../www/samples/digits_cnn.onnx")).unwrap();
        let calib = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../www/samples/calib/digits_cnn_calib.json"
        ))
        .unwrap();
        let mut w = Worker::default();
        let settings = SessionSettings { calib_steps: Some(16), ..SessionSettings::default() };
        let load = Request::Load { name: "digits_cnn".into(), model, calib: CalibSource::Json(calib), settings };
        answer(&mut w, load);
        assert!(
            matches!(answer(&mut w, Request::Sensitivity).pop(), Some(Response::Error(e)) if e.contains("every pass"))
        );
        let Some(Response::State(before)) = answer(&mut w, Request::RunAll).pop() else { panic!("run all") };
        let out0 = before.errors.as_ref().expect("errors after the last pass").outputs[0].snr;
        let op = "/c2/Conv";
        let Some(Response::State(float)) = answer(&mut w, Request::KeepFloat { op: op.into(), float: true }).pop()
        else {
            panic!("keep float")
        };
        assert_eq!(float.kept_float, vec![op.to_string()]);
        let snaps: Vec<serde_json::Value> = serde_json::from_str(&float.snapshots_json).unwrap();
        let last = snaps.last().unwrap();
        assert_eq!(last["pass"], "keep in float: /c2/Conv");
        let states = last["states"].as_object().unwrap();
        let mine: Vec<_> = states.iter().filter(|(k, _)| k.starts_with("/c2/Conv:")).collect();
        assert!(!mine.is_empty() && mine.iter().all(|(_, v)| *v == "FP32"), "{mine:?}");
        assert_ne!(float.errors.as_ref().unwrap().outputs[0].snr, out0);
        let Some(Response::State(back)) = answer(&mut w, Request::KeepFloat { op: op.into(), float: false }).pop()
        else {
            panic!("restore")
        };
        assert!(back.kept_float.is_empty());
        assert_eq!(back.errors.as_ref().unwrap().outputs[0].snr, out0);
        assert_eq!(back.tqc_json, before.tqc_json);
        let out = answer(&mut w, Request::Sensitivity);
        let progress = out.iter().filter(|r| matches!(r, Response::SensitivityProgress { .. })).count();
        let Some(Response::Sensitivity(v)) = out.last() else { panic!("{out:?}") };
        assert_eq!(progress, v.report.ranking.len());
        assert!((v.report.quantized_output_snr - out0).abs() <= 1e-12 * out0.max(1.0));
        let Some(Response::OpStats(st)) = answer(&mut w, Request::OpStats { op: "/c1/Conv".into() }).pop() else {
            panic!("stats")
        };
        assert_eq!(st.op, "/c1/Conv");
        assert!(!st.weights.is_empty() && !st.activations.is_empty());
        assert!(matches!(answer(&mut w, Request::OpStats { op: "nope".into() }).pop(), Some(Response::Error(_))));
    }

    #[test]
    fn keep_float_in_065_dequantizes_and_exports_skip_the_op_until_restored() {
        let model = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../www/samples/digits_cnn.onnx")).unwrap();
        let calib = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../www/samples/calib/digits_cnn_calib.json"
        ))
        .unwrap();
        let mut w = Worker::default();
        let settings = SessionSettings {
            profile: ppq_core::StateModel::Ppq065,
            calib_steps: Some(8),
            ..SessionSettings::default()
        };
        answer(&mut w, Request::Load { name: "d".into(), model, calib: CalibSource::Json(calib), settings });
        let Some(Response::State(done)) = answer(&mut w, Request::RunAll).pop() else { panic!("run all") };
        let Some(Response::State(s)) = answer(&mut w, Request::KeepFloat { op: "/fc/Gemm".into(), float: true }).pop()
        else {
            panic!("keep float")
        };
        let snaps: Vec<serde_json::Value> = serde_json::from_str(&s.snapshots_json).unwrap();
        let states = snaps.last().unwrap()["states"].as_object().unwrap().clone();
        let fc: Vec<_> = states.iter().filter(|(k, _)| k.starts_with("/fc/Gemm:")).map(|(_, v)| v.clone()).collect();
        assert!(!fc.is_empty() && fc.iter().all(|v| v == "DEQUANTIZED"), "{fc:?}");
        // PPQ's exporters skip configs that cannot export: the QDQ model loses the op's quantization.
        let qdq = |files: &[crate::protocol::FileView]| files.iter().find(|f| f.name == ppq_session::QDQ_ONNX).cloned();
        let (before, float) = (qdq(&done.files).expect("qdq"), qdq(&s.files).expect("qdq while kept in float"));
        assert!(float.bytes.len() < before.bytes.len());
        let Some(Response::State(back)) =
            answer(&mut w, Request::KeepFloat { op: "/fc/Gemm".into(), float: false }).pop()
        else {
            panic!("restore")
        };
        assert_eq!(qdq(&back.files), Some(before));
    }
}

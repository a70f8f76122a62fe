//! A lesson step, a sweep or a comparison is several ordinary runs through the worker's protocol: the
//! page plans them ([`plan`]), posts one `RunToEnd` per run as JSON, and composes the answers. The composed
//! report must equal running the plan directly, so the worker needs no teaching code.

use ppq_playground::teach::experiment::Experiment;
use ppq_playground::teach::run::calib_source;
use ppq_playground::teach::teach::{compose, execute, plan};
use ppq_playground::worker::protocol::{Request, Response};

#[test]
fn a_sweep_is_ordinary_runs_through_the_worker_protocol() {
    let root = env!("CARGO_MANIFEST_DIR");
    let model = std::fs::read(format!("{root}/www/samples/b_residual.onnx")).unwrap();
    let calib = std::fs::read_to_string(format!("{root}/www/samples/calib/b_residual_calib.json")).unwrap();
    let (exp, w) = Experiment::from_hash("#m=b_residual&sweep=fo&op=add");
    assert!(w.is_empty());
    let runs = plan(&exp).unwrap();
    let src = calib_source(&exp, Some(&calib));
    let mut worker = ppq_playground::worker::worker::Worker::default();
    let mut answers = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let req = Request::RunToEnd {
            key: format!("k#{i}"),
            model: model.clone(),
            calib: src.clone(),
            settings: run.settings.clone(),
        };
        let mut out = Vec::new();
        worker.handle_json(&serde_json::to_string(&req).unwrap(), &mut |t| out.push(t));
        assert_eq!(out.len(), 1, "one answer, no session state");
        let Ok(Response::Report { key, result }) = serde_json::from_str::<Response>(&out[0]) else {
            panic!("{}", &out[0][..out[0].len().min(200)])
        };
        assert_eq!(key, format!("k#{i}"));
        answers.push(result.map(|r| *r));
    }
    let composed = compose(&runs, answers).unwrap();
    assert_eq!(composed.sweep.iter().map(|v| v.overrides.as_str()).collect::<Vec<_>>(), ["fo:1", "fo:0"]);
    assert_eq!(composed, execute(&exp, &model, &src).unwrap(), "the worker's runs are the session's runs");
}

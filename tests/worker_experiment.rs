//! The page posts a teaching job as JSON to the pipeline worker, which answers with the report under the
//! job's key (the worker's `Experiment` request).

use ppq_playground::teach::teach::ExperimentJob;
use ppq_playground::worker::protocol::{Request, Response};

fn job(sample: &str, hash: &str) -> ExperimentJob {
    let root = env!("CARGO_MANIFEST_DIR");
    ExperimentJob {
        key: "k".into(),
        hash: hash.into(),
        model: std::fs::read(format!("{root}/www/samples/{sample}.onnx")).unwrap(),
        calib_json: std::fs::read_to_string(format!("{root}/www/samples/calib/{sample}_calib.json")).ok(),
    }
}

#[test]
fn the_worker_answers_an_experiment_request_as_json() {
    let mut w = ppq_playground::worker::worker::Worker::default();
    let req = Request::Experiment(Box::new(job("b_residual", "#m=b_residual&sweep=fo&op=add")));
    let mut out = Vec::new();
    w.handle_json(&serde_json::to_string(&req).unwrap(), &mut |t| out.push(t));
    assert_eq!(out.len(), 1, "one answer, no session state");
    let Ok(Response::Experiment(a)) = serde_json::from_str::<Response>(&out[0]) else { panic!("{}", &out[0][..200]) };
    assert_eq!(a.key, "k");
    let r = a.result.unwrap();
    assert_eq!(r.sweep.iter().map(|v| v.overrides.as_str()).collect::<Vec<_>>(), ["fo:1", "fo:0"]);
}

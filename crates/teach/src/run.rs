//! Runs one [`Experiment`] as one ordinary session run ([`run_to_end`], the CLI's path): the experiment's
//! settings, and its calibration source — the bundled reference samples when the seed is 0 (what real PPQ
//! saw), else seeded random samples. Nothing here quantizes; it only chooses the inputs of a run.

use crate::experiment::Experiment;
use ppq_graph::BaseGraph;
use ppq_graph::format::format_graph;
use ppq_graph::import::import_onnx;
use ppq_pipeline::{Pipeline, format_version};
use ppq_session::settings::DEFAULT_CALIB_STEPS;
use ppq_session::{CalibSource, RunReport, quantization_setting, run_to_end};

/// Random calibration samples drawn when the experiment asks for a seed (or no reference data exists).
pub const RANDOM_SAMPLES: usize = 16;

/// The calibration source of an experiment: the reference calibration JSON when the seed is 0 and one is
/// given, else [`RANDOM_SAMPLES`] random samples from the seed.
pub fn calib_source(exp: &Experiment, reference_json: Option<&str>) -> CalibSource {
    match (exp.seed, reference_json) {
        (0, Some(text)) => CalibSource::Json(text.to_string()),
        (seed, _) => CalibSource::Random { seed: u64::from(seed.max(1)), count: RANDOM_SAMPLES },
    }
}

/// Runs the experiment's settings to the end on its calibration source.
pub fn run(bytes: &[u8], exp: &Experiment, reference_json: Option<&str>) -> Result<RunReport, String> {
    run_to_end(bytes, &calib_source(exp, reference_json), &exp.settings)
}

/// The graph the experiment's pipeline works on — imported, formatted for its profile and dispatched for its
/// platform and keep-float ops — without running a pass: what the page draws while the worker runs the
/// passes. Cheap (no calibration, no inference).
pub fn prepared_graph(bytes: &[u8], exp: &Experiment) -> Result<BaseGraph, String> {
    // the calibration steps do not change dispatching: any valid count will do
    let (platform, setting) = quantization_setting(&exp.settings, DEFAULT_CALIB_STEPS as usize)?;
    let mut g = import_onnx(bytes).map_err(|e| e.to_string())?;
    format_graph(&mut g, format_version(setting.state_model)).map_err(|e| e.to_string())?;
    let table: Vec<(String, ppq_core::platform::TargetPlatform)> =
        exp.settings.keep_float.iter().map(|n| (n.clone(), ppq_core::platform::TargetPlatform::Fp32)).collect();
    let pipeline = Pipeline::with_dispatching(g, platform, setting, &table).map_err(|e| e.to_string())?;
    Ok(pipeline.context().graph.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ppq_pipeline::record::Record;

    fn sample(name: &str) -> (Vec<u8>, String) {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let bytes = std::fs::read(format!("{root}/www/samples/{name}.onnx")).unwrap();
        (bytes, std::fs::read_to_string(format!("{root}/www/samples/calib/{name}_calib.json")).unwrap())
    }

    #[test]
    fn reference_run_matches_the_bundled_ppq_result() {
        let (bytes, calib) = sample("b_residual");
        let out = run(&bytes, &Experiment::for_sample("b_residual"), Some(&calib)).unwrap();
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let text = std::fs::read_to_string(format!("{root}/www/samples/b_residual/TRT_INT8__minmax/tqc.json")).unwrap();
        let reference: Vec<Record> = serde_json::from_str(&text).unwrap();
        assert_eq!(out.records, reference);
        assert_eq!((out.samples, out.steps), (16, 16), "one pass over the 16 samples, as real PPQ ran");
        assert_eq!(out.outputs.len(), 1);
        assert!(out.outputs[0].snr > 0.0 && out.outputs[0].snr < 0.01, "{:?}", out.outputs);
    }

    #[test]
    fn random_seed_is_deterministic_and_differs() {
        let (bytes, calib) = sample("b_residual");
        let exp = Experiment { seed: 3, ..Experiment::for_sample("b_residual") };
        let a = run(&bytes, &exp, Some(&calib)).unwrap();
        let b = run(&bytes, &exp, Some(&calib)).unwrap();
        assert_eq!(a, b);
        assert!(a.calibration.contains("seed 3"), "{}", a.calibration);
        let r = run(&bytes, &Experiment::for_sample("b_residual"), Some(&calib)).unwrap();
        assert_ne!(a.records, r.records);
    }

    /// The page draws the prepared graph and colours it with the worker's run: both must be the same graph.
    #[test]
    fn prepared_graph_is_the_graph_the_run_ends_with() {
        for name in ["a_concat_pool", "b_residual", "c_soi", "d_passive"] {
            let (bytes, calib) = sample(name);
            for hash in ["#", "#p=PPL_CUDA_INT8&sm=0.6.5"] {
                let (exp, _) = Experiment::from_hash(&format!("{hash}&m={name}"));
                let (pipeline, _, _) =
                    ppq_session::run_report::run_pipeline(&bytes, &calib_source(&exp, Some(&calib)), &exp.settings)
                        .unwrap();
                let g = prepared_graph(&bytes, &exp).unwrap();
                // one line per op: name, type, platform, input and output variable names
                let shape = |g: &BaseGraph| -> Vec<String> {
                    g.op_ids()
                        .into_iter()
                        .map(|o| {
                            let op = g.op(o);
                            let names = |vs: &[ppq_graph::VarId]| {
                                vs.iter().map(|&v| g.var(v).name.clone()).collect::<Vec<_>>().join(",")
                            };
                            let (i, out) = (names(&op.inputs), names(&op.outputs));
                            format!("{} {} {} ({i}) -> ({out})", op.name, op.op_type, op.platform.name())
                        })
                        .collect()
                };
                assert_eq!(shape(&g), shape(&pipeline.context().graph), "{name} {hash}");
            }
        }
    }

    #[test]
    fn garbage_model_is_an_error() {
        assert!(run(b"not onnx", &Experiment::default(), None).is_err());
    }
}

//! Runs one [`Experiment`] with our pipeline, the same code the CLI uses, and gathers what the page shows:
//! the `tqc.json` records, the trace (one snapshot per pass) and the error at the graph outputs (float
//! executor vs fake-quantized simulation on the first calibration sample). Nothing here quantizes: it only
//! calls [`Pipeline`] and compares numbers the pipeline produced.

use crate::experiment::Experiment;
use ppq_graph::executor::{Executor, NoHook};
use ppq_graph::format::format_graph;
use ppq_graph::import::import_onnx;
use ppq_graph::ir::Dim;
use ppq_graph::{BaseGraph, Tensor};
use ppq_pipeline::record::Record;
use ppq_pipeline::{CalibrationData, Pipeline, Snapshot, format_version};
use ppq_session::calib::CalibData;

/// Random calibration samples drawn when the experiment asks for a seed (or no reference data exists).
pub const RANDOM_SAMPLES: usize = 16;

/// The error of one graph output.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OutputError {
    /// Output variable name.
    pub name: String,
    /// ‖quantized − float‖ / ‖float‖.
    pub relative: f64,
    /// Largest absolute difference.
    pub max_abs: f64,
}

/// What one run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    /// `tqc.json` records of the final state.
    pub records: Vec<Record>,
    /// `passes.json`-shaped snapshots, one per pass plus the two `<before>` entries.
    pub snapshots: Vec<Snapshot>,
    /// Error at each graph output.
    pub outputs: Vec<OutputError>,
    /// Where the calibration data came from, for the page.
    pub calibration: String,
    /// The graph as the pipeline left it (dispatched, parameters baked), for drawing.
    pub graph: BaseGraph,
}

/// Deterministic uniform values in [-1, 1) from a xorshift32 seeded with `seed` (never 0 internally).
pub fn random_values(seed: u32, n: usize) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        })
        .collect()
}

/// Calibration batches for the graph's single input: the reference data when the seed is 0 and it is
/// given, else [`RANDOM_SAMPLES`] random samples of the declared shape (unknown sizes taken as 1).
pub fn calibration(
    g: &BaseGraph,
    exp: &Experiment,
    reference: Option<&CalibData>,
) -> Result<(CalibrationData, String), String> {
    let inputs: Vec<_> = g.inputs.iter().filter(|&&v| !g.var(v).dest_ops.is_empty()).collect();
    let &[&input] = inputs.as_slice() else {
        return Err(format!("the page calibrates models with exactly one input; this one has {}", inputs.len()));
    };
    let name = g.var(input).name.clone();
    if let (0, Some(r)) = (exp.seed, reference) {
        let data = CalibrationData::single_input(&name, &r.sample_shape, &r.samples).map_err(|e| e.to_string())?;
        return Ok((
            data,
            format!(
                "bundled calibration data ({} samples; real PPQ saw the same for its bundled runs)",
                r.samples.len()
            ),
        ));
    }
    let shape: Vec<usize> = match &g.var(input).shape {
        Some(dims) => {
            dims.iter().map(|d| if let Dim::Value(v) = d { usize::try_from(*v).unwrap_or(1) } else { 1 }).collect()
        }
        None => return Err(format!("input '{name}' declares no shape, so random inputs cannot be drawn")),
    };
    let per: usize = shape.iter().product();
    if per == 0 || per > 1 << 22 {
        return Err(format!("input '{name}' has {per} values per sample; the page draws 1 to 4M"));
    }
    let seed = exp.seed.max(1);
    let samples: Vec<Vec<f32>> =
        (0..RANDOM_SAMPLES as u32).map(|i| random_values(seed.wrapping_add(i.wrapping_mul(7919)), per)).collect();
    let data = CalibrationData::single_input(&name, &shape, &samples).map_err(|e| e.to_string())?;
    Ok((data, format!("{RANDOM_SAMPLES} random samples, seed {seed}")))
}

/// Imports, formats and runs the experiment's pipeline to the end.
pub fn run(bytes: &[u8], exp: &Experiment, reference: Option<&CalibData>) -> Result<RunOutput, String> {
    run_full(bytes, exp, reference).map(|(out, _, _)| out)
}

/// The graph the experiment's pipeline works on — imported, formatted for its state model and dispatched for
/// its platform — without running a pass: what the page draws while the worker runs the passes. Cheap
/// (no calibration, no inference).
pub fn prepared_graph(bytes: &[u8], exp: &Experiment) -> Result<BaseGraph, String> {
    let (platform, setting) = exp.to_setting()?;
    let mut g = import_onnx(bytes).map_err(|e| e.to_string())?;
    format_graph(&mut g, format_version(setting.state_model)).map_err(|e| e.to_string())?;
    let pipeline = Pipeline::new(g, platform, setting).map_err(|e| e.to_string())?;
    Ok(pipeline.context().graph.clone())
}

/// [`run`], also handing back the finished pipeline and its calibration data (for error analysis and the
/// baking view).
pub fn run_full(
    bytes: &[u8],
    exp: &Experiment,
    reference: Option<&CalibData>,
) -> Result<(RunOutput, Pipeline, CalibrationData), String> {
    let (platform, mut setting) = exp.to_setting()?;
    let mut g = import_onnx(bytes).map_err(|e| e.to_string())?;
    format_graph(&mut g, format_version(setting.state_model)).map_err(|e| e.to_string())?;
    let (calib, calibration) = calibration(&g, exp, reference)?;
    let steps = u32::try_from(calib.batches.len()).unwrap_or(u32::MAX).clamp(8, 512);
    setting.quantize_activation_setting.calib_steps = steps;
    let first: Vec<(String, Tensor)> = calib.batches.first().cloned().unwrap_or_default();
    let feeds: Vec<(&str, Tensor)> = first.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let float = Executor::new(&g)
        .and_then(|ex| ex.forward(&feeds, None, &mut NoHook))
        .map_err(|e| format!("float inference: {e}"))?;
    let output_names: Vec<String> = g.outputs.iter().map(|&v| g.var(v).name.clone()).collect();
    let mut pipeline = Pipeline::new(g, platform, setting).map_err(|e| e.to_string())?;
    pipeline.run_all(&calib).map_err(|e| e.to_string())?;
    let quant = pipeline.simulate(&feeds).map_err(|e| format!("quantized inference: {e}"))?;
    let outputs = output_names
        .into_iter()
        .zip(float.iter().zip(&quant))
        .map(|(name, (f, q))| {
            let (f, q) = (f.to_f32_vec(), q.to_f32_vec());
            let (mut num, mut den, mut max_abs) = (0f64, 0f64, 0f64);
            for (a, b) in f.iter().zip(&q) {
                let d = f64::from(*b) - f64::from(*a);
                num += d * d;
                den += f64::from(*a) * f64::from(*a);
                max_abs = max_abs.max(d.abs());
            }
            OutputError { name, relative: if den > 0.0 { (num / den).sqrt() } else { num.sqrt() }, max_abs }
        })
        .collect();
    let records = pipeline.records().map_err(|e| e.to_string())?;
    let snapshots = pipeline.trace().snapshots.clone();
    let graph = pipeline.context().graph.clone();
    Ok((RunOutput { records, snapshots, outputs, calibration, graph }, pipeline, calib))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ppq_session::calib::calib_from_json;

    fn sample(name: &str) -> (Vec<u8>, CalibData) {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let bytes = std::fs::read(format!("{root}/www/samples/{name}.onnx")).unwrap();
        let calib =
            calib_from_json(&std::fs::read_to_string(format!("{root}/www/samples/calib/{name}_calib.json")).unwrap())
                .unwrap();
        (bytes, calib)
    }

    #[test]
    fn reference_run_matches_the_bundled_ppq_result() {
        let (bytes, calib) = sample("b_residual");
        let exp = Experiment { sample: Some("b_residual".into()), ..Experiment::default() };
        let out = run(&bytes, &exp, Some(&calib)).unwrap();
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let text = std::fs::read_to_string(format!("{root}/www/samples/b_residual/TRT_INT8__minmax/tqc.json")).unwrap();
        let reference: Vec<Record> = serde_json::from_str(&text).unwrap();
        assert_eq!(out.records, reference);
        assert_eq!(out.outputs.len(), 1);
        assert!(out.outputs[0].relative > 0.0 && out.outputs[0].relative < 0.1, "{:?}", out.outputs);
    }

    #[test]
    fn random_seed_is_deterministic_and_differs() {
        let (bytes, calib) = sample("b_residual");
        let exp = Experiment { seed: 3, ..Experiment::default() };
        let a = run(&bytes, &exp, Some(&calib)).unwrap();
        let b = run(&bytes, &exp, Some(&calib)).unwrap();
        assert_eq!(a, b);
        assert!(a.calibration.contains("seed 3"));
        let r = run(&bytes, &Experiment::default(), Some(&calib)).unwrap();
        assert_ne!(a.records, r.records);
        assert!(random_values(5, 1000).iter().all(|v| (-1.0..1.0).contains(v)));
    }

    /// The page draws the prepared graph and colours it with the worker's run: both must be the same graph.
    #[test]
    fn prepared_graph_is_the_graph_the_run_ends_with() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        for name in ["a_concat_pool", "b_residual", "c_soi", "d_passive"] {
            let (bytes, calib) = sample(name);
            for hash in ["#", "#p=PPL_CUDA_INT8&sm=0.6.5"] {
                let (exp, _) = Experiment::from_hash(hash);
                let out = run(&bytes, &exp, Some(&calib)).unwrap();
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
                assert_eq!(shape(&g), shape(&out.graph), "{root}: {name} {hash}");
            }
        }
    }

    #[test]
    fn garbage_model_is_an_error() {
        assert!(run(b"not onnx", &Experiment::default(), None).is_err());
    }
}

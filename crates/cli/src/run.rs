//! `ppq-playground run`: a model's outputs on inputs from a `.npy`, in fp32 or — with `--quantized DIR` — with
//! the fake-quant simulation of a `quantize` output folder, replayed from its records
//! ([`ppq_pipeline::replay`]).
//!
//! Input: `X.npy` holds `[N, …input shape]` (N samples, e.g. the reference `*_calib.npy`) or one sample of the
//! input's shape; an input declaring batch 1 also takes `[N, …]` without the unit axis. Output: for N samples
//! each output is stacked into `[N, …output shape]` (one sample: the output's own shape), float32. `--out Y.npy`
//! needs a single-output model; `--out Y.npz` holds one array per output, named after it.

use super::commands::load_model;
use clap::Args;
use ppq_core::StateModel;
use ppq_graph::executor::{Executor, NoHook};
use ppq_graph::format::{FormatVersion, format_graph};
use ppq_graph::import::import_onnx;
use ppq_graph::{BaseGraph, Tensor};
use ppq_pipeline::export::{ExportInput, ppq_default_visibility, tqc_records};
use ppq_pipeline::record::Record;
use ppq_pipeline::replay::Replay;
use ppq_session::calib::{read_npy, write_npy_f32};
use ppq_session::{BAKED_ONNX, declared_dims};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

/// What `run` takes.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The ONNX model (the original one, as given to `quantize`).
    pub model: PathBuf,
    /// Inputs: a float32 `.npy` of shape [N, …input shape], or one sample.
    #[arg(long)]
    pub input: PathBuf,
    /// A `quantize` output folder: simulate its quantization (tqc.json, parameters of model.baked.onnx).
    #[arg(long, value_name = "DIR")]
    pub quantized: Option<PathBuf>,
    /// PPQ version whose graph formatting the quantized run used (`--state-model` is an alias).
    #[arg(long = "profile", visible_alias = "state-model", default_value = "ppq-0.6.6", value_parser = parse_profile)]
    pub profile: StateModel,
    /// Where to write the outputs: `Y.npy` (single-output models) or `Y.npz` (one array per output).
    #[arg(long)]
    pub out: PathBuf,
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The samples of `x` for an input declaring `dims`, and whether `x` held a leading sample axis.
fn split_samples(x: &Tensor, name: &str, dims: Option<&[Option<i64>]>) -> Result<(Vec<Tensor>, bool), String> {
    let Tensor::F32(a) = x else {
        return Err(format!("input '{name}': the .npy holds {}, the model runs on float32", x.dtype_name()));
    };
    let rank = dims.map_or(a.ndim(), <[Option<i64>]>::len);
    let unit_batch = dims.and_then(|d| d.first().copied()).flatten() == Some(1);
    let fits = |shape: &[usize]| {
        dims.is_none_or(|d| {
            d.len() == shape.len() && d.iter().zip(shape).all(|(d, &s)| d.is_none_or(|d| i64::try_from(s) == Ok(d)))
        })
    };
    let (samples, batched): (Vec<Tensor>, bool) = if a.ndim() == rank + 1 {
        (a.outer_iter().map(|s| Tensor::F32(s.to_owned())).collect(), true)
    } else if a.ndim() == rank && unit_batch && a.shape().first().is_some_and(|&n| n != 1) {
        let one = |s: ndarray::ArrayViewD<'_, f32>| Tensor::F32(s.insert_axis(ndarray::Axis(0)).to_owned());
        (a.outer_iter().map(one).collect(), true)
    } else {
        (vec![x.clone()], false)
    };
    if samples.is_empty() {
        return Err(format!("input '{name}': the .npy holds no samples"));
    }
    if let Some(bad) = samples.iter().find(|s| !fits(s.shape())) {
        let want: Vec<String> =
            dims.unwrap_or_default().iter().map(|d| d.map_or("?".into(), |v| v.to_string())).collect();
        return Err(format!(
            "input '{name}': a sample has shape {:?}, the model declares [{}]; give [N, …input shape] or one sample",
            bad.shape(),
            want.join(", ")
        ));
    }
    Ok((samples, batched))
}

/// The graph of a `quantize` folder: `model` formatted as `profile` does, parameters taken from the folder's
/// baked model where names and shapes agree (they carry equalization and baking), and its records.
/// The profile as the session's option table parses it.
fn parse_profile(v: &str) -> Result<StateModel, String> {
    let mut s = ppq_session::SessionSettings::default();
    let o = ppq_session::settings::option("profile").ok_or("no profile option")?;
    (o.set)(&mut s, v)?;
    Ok(s.profile)
}

fn quantized_graph(model: BaseGraph, dir: &Path, profile: StateModel) -> Result<(BaseGraph, Vec<Record>), String> {
    let mut g = model;
    let version = match profile {
        StateModel::Ppq066 => FormatVersion::V066,
        StateModel::Ppq065 => FormatVersion::V065,
    };
    format_graph(&mut g, version).map_err(|e| e.to_string())?;
    let tqc = dir.join("tqc.json");
    let text = String::from_utf8(read(&tqc)?).map_err(|_| format!("{}: not UTF-8 text", tqc.display()))?;
    let records: Vec<Record> = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", tqc.display()))?;
    let baked_path = dir.join(BAKED_ONNX);
    if baked_path.is_file() {
        let baked = import_onnx(&read(&baked_path)?).map_err(|e| format!("{}: {e}", baked_path.display()))?;
        for id in g.var_ids() {
            let name = g.var(id).name.clone();
            let Some(src) = baked.var_by_name(&name).and_then(|v| baked.var(v).value.clone()) else { continue };
            let v = g.var_mut(id);
            if v.is_parameter && v.value.as_ref().is_some_and(|old| old.shape() == src.shape()) {
                v.value = Some(src);
            }
        }
    }
    Ok((g, records))
}

/// Stacks one output over the samples (`[N, …]`), or returns it alone when the input had no sample axis.
fn stack(per_sample: &[Tensor], batched: bool) -> (Vec<usize>, Vec<f32>) {
    let first = per_sample.first().map_or_else(Vec::new, |t| t.shape().to_vec());
    let values: Vec<f32> = per_sample.iter().flat_map(Tensor::to_f32_vec).collect();
    let shape = if batched { std::iter::once(per_sample.len()).chain(first).collect() } else { first };
    (shape, values)
}

fn write_outputs(out: &Path, names: &[String], outputs: &[(Vec<usize>, Vec<f32>)]) -> Result<(), String> {
    let is_npz = out.extension().is_some_and(|e| e.eq_ignore_ascii_case("npz"));
    let bytes = if is_npz {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (name, (shape, values)) in names.iter().zip(outputs) {
            zip.start_file(format!("{name}.npy"), opts).map_err(|e| e.to_string())?;
            zip.write_all(&write_npy_f32(shape, values)?).map_err(|e| e.to_string())?;
        }
        zip.finish().map_err(|e| e.to_string())?.into_inner()
    } else {
        let [(shape, values)] = outputs else {
            return Err(format!(
                "the model has {} outputs ({}); write them with --out FILE.npz",
                outputs.len(),
                names.join(", ")
            ));
        };
        write_npy_f32(shape, values)?
    };
    std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display()))
}

/// Runs the model on every sample and writes the outputs.
pub fn run(a: &RunArgs) -> Result<(), String> {
    let model = load_model(&a.model)?;
    let input = match model.inputs[..] {
        [v] => v,
        _ => {
            return Err(format!(
                "{}: run feeds models with exactly one input; this one has {}",
                a.model.display(),
                model.inputs.len()
            ));
        }
    };
    let name = model.var(input).name.clone();
    let dims = declared_dims(&model, input);
    let x = read_npy(&a.input.display().to_string(), &read(&a.input)?).map_err(|e| e.to_string())?;
    let (samples, batched) =
        split_samples(&x, &name, dims.as_deref()).map_err(|e| format!("{}: {e}", a.input.display()))?;
    let mut per_output: Vec<Vec<Tensor>> = Vec::new();
    let mut push = |outs: Vec<Tensor>| {
        per_output.resize_with(per_output.len().max(outs.len()), Vec::new);
        for (slot, t) in per_output.iter_mut().zip(outs) {
            slot.push(t);
        }
    };
    let output_names: Vec<String>;
    match &a.quantized {
        Some(dir) => {
            let (g, records) = quantized_graph(model, dir, a.profile)?;
            let tqcs = tqc_records(&records);
            let at = |e: String| format!("{}: {e}", dir.display());
            let input = ExportInput::new(&g, &tqcs, &ppq_default_visibility(&tqcs)).map_err(|e| at(e.to_string()))?;
            let replay = Replay::new(&input).map_err(|e| at(e.to_string()))?;
            output_names = g.outputs.iter().map(|&v| g.var(v).name.clone()).collect();
            for (k, s) in samples.into_iter().enumerate() {
                push(replay.run(&[(name.as_str(), s)]).map_err(|e| format!("sample {k}: {e}"))?);
            }
        }
        None => {
            output_names = model.outputs.iter().map(|&v| model.var(v).name.clone()).collect();
            let exec = Executor::new(&model).map_err(|e| e.to_string())?;
            for (k, s) in samples.into_iter().enumerate() {
                push(exec.forward(&[(name.as_str(), s)], None, &mut NoHook).map_err(|e| format!("sample {k}: {e}"))?);
            }
        }
    }
    let outputs: Vec<(Vec<usize>, Vec<f32>)> = per_output.iter().map(|o| stack(o, batched)).collect();
    write_outputs(&a.out, &output_names, &outputs)?;
    let shapes: Vec<String> = output_names.iter().zip(&outputs).map(|(n, (s, _))| format!("{n} {s:?}")).collect();
    println!(
        "wrote {} ({}) to {}",
        shapes.join(", "),
        if a.quantized.is_some() { "quantized simulation" } else { "fp32" },
        a.out.display()
    );
    Ok(())
}

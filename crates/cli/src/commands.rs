//! The subcommands' bodies. Each returns `Err(message)` for bad input; `main` prints it as `error: …`.

use super::Command;
use super::{ChannelOrderArg, PipelineArgs};
use ppq_graph::BaseGraph;
use ppq_graph::format::{FormatVersion, format_graph};
use ppq_graph::validate::inspect_onnx;
use ppq_pipeline::export::{
    ExportInput, ReportInput, baked_onnx, onnx_config_json, ppq_default_visibility, qdq_onnx, report_markdown,
    tqc_json, tqc_records, trt_json,
};
use ppq_pipeline::record::Record;
use ppq_pipeline::{CalibrationData, Pipeline};
use ppq_session as session;
use ppq_session::calib::{CalibData, ImageOptions, is_image_name};
use ppq_session::{BAKED_ONNX, CalibSource, QDQ_ONNX, QUANT_CONFIG, SessionSettings};
use std::path::Path;

/// Runs one subcommand.
pub fn run(cmd: Command) -> Result<(), String> {
    match cmd {
        Command::Selfcheck => println!("{}", ppq_session::status::status_line()),
        Command::States => print_states(),
        Command::Inspect { model, json } => super::inspect::inspect_file(&model, json)?,
        Command::Export { model, tqc, out } => export(&model, &tqc, &out)?,
        Command::Quantize { run, out } => quantize(&run, &out)?,
        Command::Analyse { run, json } => super::analyse::analyse(&run, json)?,
        Command::Run(args) => super::run::run(&args)?,
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads and imports an ONNX model; errors name the file.
pub fn load_model(path: &Path) -> Result<BaseGraph, String> {
    // the whole model is validated (structure, types, shapes) before any work starts
    inspect_onnx(&read(path)?).map(|(g, _)| g).map_err(|e| format!("{}: {e}", path.display()))
}

/// Image files of a folder (`.png`, `.jpg`, `.jpeg`), sorted by name, with their bytes.
fn image_files(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths = Vec::new();
    for entry in entries {
        let p = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if p.is_file() && p.file_name().and_then(|n| n.to_str()).is_some_and(is_image_name) {
            paths.push(p);
        }
    }
    paths.sort();
    if paths.len() > ppq_session::calib::MAX_CALIB_SAMPLES {
        return Err(format!(
            "{}: {} images (limit {})",
            dir.display(),
            paths.len(),
            ppq_session::calib::MAX_CALIB_SAMPLES
        ));
    }
    paths
        .iter()
        .map(|p| Ok((p.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()), read(p)?)))
        .collect()
}

/// The calibration source a path names: a folder of images, `.npy`, `.npz` or JSON (by extension).
pub fn calib_source(path: &Path, a: &PipelineArgs) -> Result<CalibSource, String> {
    if path.is_dir() {
        let size = match a.image_size.as_deref() {
            None => None,
            Some(&[h, w]) => Some((h, w)),
            Some(other) => return Err(format!("--image-size takes H,W, got {} values", other.len())),
        };
        let options = ImageOptions {
            size,
            mean: a.mean.clone().unwrap_or_default(),
            std: a.std.clone().unwrap_or_default(),
            bgr: a.channel_order == ChannelOrderArg::Bgr,
        };
        return Ok(CalibSource::Images { files: image_files(path)?, options });
    }
    let bytes = read(path)?;
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    Ok(match ext.as_deref() {
        Some("npy") => CalibSource::Npy(bytes),
        Some("npz") => CalibSource::Npz(bytes),
        _ => CalibSource::Json(String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))?),
    })
}

/// Reads calibration data for the model's single input through the session's one reader; errors name the file.
pub fn load_calib(path: &Path, g: &BaseGraph, a: &PipelineArgs) -> Result<CalibData, String> {
    session::load_calib(g, &calib_source(path, a)?).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    let p = dir.join(name);
    std::fs::write(&p, bytes).map_err(|e| format!("{}: {e}", p.display()))
}

/// Writes every export of a quantization into `out`; returns the file names written.
pub fn write_exports(
    out: &Path,
    input: &ExportInput<'_>,
    records: &[Record],
    report: &ReportInput<'_>,
) -> Result<Vec<&'static str>, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut written = Vec::new();
    let e = |e: ppq_pipeline::export::ExportError| e.to_string();
    write(out, "tqc.json", tqc_json(records).map_err(e)?.as_bytes())?;
    written.push("tqc.json");
    write(out, QUANT_CONFIG, onnx_config_json(input).map_err(e)?.as_bytes())?;
    written.push(QUANT_CONFIG);
    if input.tqcs.iter().any(|t| t.record.platform == "TRT_INT8") {
        write(out, "trt.json", trt_json(input).map_err(e)?.as_bytes())?;
        written.push("trt.json");
    }
    write(out, BAKED_ONNX, &baked_onnx(input).map_err(e)?)?;
    written.push(BAKED_ONNX);
    write(out, QDQ_ONNX, &qdq_onnx(input).map_err(e)?)?;
    written.push(QDQ_ONNX);
    write(out, "report.md", report_markdown(report).as_bytes())?;
    written.push("report.md");
    Ok(written)
}

fn export(model: &Path, tqc: &Path, out: &Path) -> Result<(), String> {
    let mut g = load_model(model)?;
    format_graph(&mut g, FormatVersion::V066).map_err(|e| format!("{}: {e}", model.display()))?;
    let text = String::from_utf8(read(tqc)?).map_err(|_| format!("{}: not UTF-8 text", tqc.display()))?;
    let records: Vec<Record> = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", tqc.display()))?;
    let tqcs = tqc_records(&records);
    let input =
        ExportInput::new(&g, &tqcs, &ppq_default_visibility(&tqcs)).map_err(|e| format!("{}: {e}", tqc.display()))?;
    let platform = tqcs.first().map_or("?", |t| t.platform.as_str());
    let report = ReportInput {
        model: &g.name,
        settings: vec![("platform".into(), platform.into()), ("records".into(), tqc.display().to_string())],
        records: &records,
        snr: Vec::new(),
    };
    let written = write_exports(out, &input, &records, &report)?;
    println!("wrote {} into {}", written.join(", "), out.display());
    Ok(())
}

fn print_states() {
    use ppq_core::state::state_table;
    println!("{:<14} {:>6} {:>6}  {:<13} meaning", "state", "0.6.6", "0.6.5", "in 0.6.6");
    for row in state_table() {
        println!(
            "{:<14} {:>6} {:>6}  {:<13} {}",
            row.state.name(),
            row.value_066,
            row.value_065,
            row.maps_to_066.name(),
            row.meaning
        );
    }
}

/// A pipeline built from the arguments (keep-float ops dispatched to FP32), its calibration data, and the
/// settings as the page would hold them.
pub struct Prepared {
    /// The pipeline, no pass run yet.
    pub pipeline: Pipeline,
    /// The calibration batches actually used (`--steps`).
    pub calib: CalibrationData,
    /// The choices, in the form the page's session uses.
    pub settings: SessionSettings,
    /// How many calibration samples the batches hold.
    pub samples: usize,
}

/// Loads the model and calibration data and builds the pipeline through the same [`session`] glue the
/// page's worker uses, like PPQ's `quantize_onnx_model` up to the quantizer.
pub fn prepare(a: &PipelineArgs) -> Result<Prepared, String> {
    let settings = a.settings.0.clone();
    let g = load_model(&a.model)?;
    let data = load_calib(&a.calib, &g, a)?;
    let (pipeline, calib, samples) =
        session::prepare(g, &data, &settings).map_err(|e| format!("{}: {e}", a.calib.display()))?;
    Ok(Prepared { pipeline, calib, settings, samples })
}

/// Runs the whole pipeline on the calibration data and writes every export plus `trace.json`; `report.md`
/// gets the per-layer SNR of the quantized simulation against the fp32 graph.
fn quantize(a: &PipelineArgs, out: &Path) -> Result<(), String> {
    let Prepared { mut pipeline, calib, settings, samples } = prepare(a)?;
    let bar = super::progress::PassBar::new(pipeline.passes().len());
    while !pipeline.is_finished() {
        let done = pipeline.position();
        bar.start(done, pipeline.passes().get(done).copied().unwrap_or("?"));
        let report = pipeline.run_next(&calib).map_err(|e| e.to_string())?;
        let note = if report.implemented { "" } else { " (not implemented: ran as a no-op)" };
        bar.println(&format!("{:<40} {:>4} state changes{note}", report.pass, report.transitions.len()));
    }
    bar.finish();
    let files = session::exports(&pipeline, &settings, samples, Some(&calib))?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    for f in &files {
        write(out, f.name, &f.bytes)?;
    }
    let names: Vec<&str> = files.iter().map(|f| f.name).collect();
    println!("wrote {} into {}", names.join(", "), out.display());
    Ok(())
}

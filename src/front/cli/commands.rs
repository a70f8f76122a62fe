//! The subcommands' bodies. Each returns `Err(message)` for bad input; `main` prints it as `error: …`.

use super::Command;
use super::inspect::{declared_dims, summarize, summary_text};
use super::{ObserverArg, PipelineArgs, QuirksArg, StateModelArg};
use crate::core::StateModel;
use crate::core::platform::TargetPlatform;
use crate::core::quirks::Quirks;
use crate::core::tqc::QuantizationVisibility;
use crate::front::calib::{CalibData, calib_from_json, calib_from_npy};
use crate::graph::BaseGraph;
use crate::graph::format::{FormatVersion, format_graph};
use crate::graph::import::import_onnx;
use crate::pipeline::analysis::snr_db;
use crate::pipeline::export::{
    ExportInput, LayerSnr, ReportInput, baked_onnx, onnx_config_json, ppq_default_visibility, qdq_onnx,
    report_markdown, tqc_json, tqc_records, trt_json,
};
use crate::pipeline::record::Record;
use crate::pipeline::{CalibrationData, Pipeline, QuantizationSetting, QuantizerKind, format_version, graphwise_error};
use std::collections::HashMap;
use std::path::Path;

/// Runs one subcommand.
pub fn run(cmd: Command) -> Result<(), String> {
    match cmd {
        Command::Selfcheck => println!("{}", crate::front::status::status_line()),
        Command::States => print_states(),
        Command::Inspect { model, json } => {
            let s = summarize(&load_model(&model)?);
            if json {
                println!("{}", serde_json::to_string_pretty(&s).map_err(|e| e.to_string())?);
            } else {
                print!("{}", summary_text(&s));
            }
        }
        Command::Export { model, tqc, out } => export(&model, &tqc, &out)?,
        Command::Quantize { run, out } => quantize(&run, &out)?,
        Command::Analyse { run, json } => super::analyse::analyse(&run, json)?,
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads and imports an ONNX model; errors name the file.
pub fn load_model(path: &Path) -> Result<BaseGraph, String> {
    import_onnx(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads calibration data by extension (`.npy`, else JSON).
pub fn load_calib(path: &Path) -> Result<CalibData, String> {
    let bytes = read(path)?;
    let is_npy = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    let parsed = if is_npy {
        calib_from_npy(&bytes)
    } else {
        calib_from_json(std::str::from_utf8(&bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))?)
    };
    parsed.map_err(|e| format!("{}: {e}", path.display()))
}

/// The model must have one input, and the samples must fit its declared shape and be finite.
pub fn check_calib(g: &BaseGraph, data: &CalibData) -> Result<(), String> {
    let [input] = g.inputs[..] else {
        return Err(format!("the model has {} inputs; calibration supports exactly one", g.inputs.len()));
    };
    data.check(&g.var(input).name, declared_dims(g, input).as_deref())
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
    let e = |e: crate::pipeline::export::ExportError| e.to_string();
    write(out, "tqc.json", tqc_json(records).map_err(e)?.as_bytes())?;
    written.push("tqc.json");
    write(out, "onnx_cfg.json", onnx_config_json(input).map_err(e)?.as_bytes())?;
    written.push("onnx_cfg.json");
    if input.tqcs.iter().any(|t| t.record.platform == "TRT_INT8") {
        write(out, "trt.json", trt_json(input).map_err(e)?.as_bytes())?;
        written.push("trt.json");
    }
    write(out, "baked.onnx", &baked_onnx(input).map_err(e)?)?;
    written.push("baked.onnx");
    write(out, "qdq.onnx", &qdq_onnx(input).map_err(e)?)?;
    written.push("qdq.onnx");
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
    use crate::core::state::state_table;
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
/// setting lines for `report.md`.
pub struct Prepared {
    /// The pipeline, no pass run yet.
    pub pipeline: Pipeline,
    /// The calibration batches actually used (`--steps`).
    pub calib: CalibrationData,
    /// `(name, value)` lines describing the run.
    pub settings: Vec<(String, String)>,
}

/// Loads the model and calibration data and builds the pipeline, like PPQ's `quantize_onnx_model` up to the
/// quantizer: format, dispatch (with `--keep-float` as the dispatching table), quantizer init.
pub fn prepare(a: &PipelineArgs) -> Result<Prepared, String> {
    let kind = QuantizerKind::from_name(&a.platform).ok_or_else(|| format!("unknown platform '{}'", a.platform))?;
    let platform = TargetPlatform::from_name(&a.platform)
        .filter(|_| kind.target_platform().is_some())
        .ok_or_else(|| format!("platform '{}' has no quantizer in the ppq-0.6.6 model", a.platform))?;
    let state_model = match a.state_model {
        StateModelArg::Ppq066 => StateModel::Ppq066,
        StateModelArg::Ppq065 => StateModel::Ppq065,
    };
    let mut g = load_model(&a.model)?;
    // the classic pipeline formats the graph like PPQ 0.6.5's `format_graph`
    format_graph(&mut g, format_version(state_model)).map_err(|e| format!("{}: {e}", a.model.display()))?;
    if let Some(name) = a.keep_float.iter().find(|n| g.op_by_name(n).is_none()) {
        return Err(format!("--keep-float: no op named '{name}' in {} (see `inspect`)", a.model.display()));
    }
    let data = load_calib(&a.calib)?;
    check_calib(&g, &data)?;
    let n = a.steps.unwrap_or(data.samples.len());
    if n == 0 || n > data.samples.len() {
        return Err(format!("--steps {n}: the calibration data holds {} samples", data.samples.len()));
    }
    let mut setting = QuantizationSetting::for_platform(platform);
    setting.state_model = state_model;
    setting.quirks = match a.quirks {
        QuirksArg::Faithful => Quirks::Faithful,
        QuirksArg::Fixed => Quirks::Fixed,
    };
    setting.quantize_activation_setting.calib_algorithm = Some(observer_name(a.observer).to_string());
    setting.quantize_activation_setting.calib_steps =
        u32::try_from(n).map_err(|_| format!("--steps {n} is too large"))?;
    setting.validate().map_err(|e| e.to_string())?;

    let input_name = g.var(g.inputs[0]).name.clone();
    let calib = CalibrationData::single_input(&input_name, &data.sample_shape, &data.samples[..n])
        .map_err(|e| format!("{}: {e}", a.calib.display()))?;
    let table: Vec<(String, TargetPlatform)> = a.keep_float.iter().map(|n| (n.clone(), TargetPlatform::Fp32)).collect();
    let pipeline = Pipeline::with_dispatching(g, platform, setting, &table).map_err(|e| e.to_string())?;
    let mut settings = vec![
        ("platform".into(), a.platform.clone()),
        ("state model".into(), state_model.name().into()),
        ("observer".into(), observer_name(a.observer).into()),
        ("quirks".into(), format!("{:?}", a.quirks).to_lowercase()),
        ("calibration samples".into(), n.to_string()),
    ];
    if !a.keep_float.is_empty() {
        settings.push(("kept in float (dispatched to FP32)".into(), a.keep_float.join(", ")));
    }
    Ok(Prepared { pipeline, calib, settings })
}

/// Runs the whole pipeline on the calibration data and writes every export plus `trace.json`; `report.md`
/// gets the per-layer SNR of the quantized simulation against the fp32 graph.
fn quantize(a: &PipelineArgs, out: &Path) -> Result<(), String> {
    let Prepared { mut pipeline, calib, settings } = prepare(a)?;
    for report in pipeline.run_all(&calib).map_err(|e| e.to_string())? {
        let note = if report.implemented { "" } else { " (not implemented: ran as a no-op)" };
        println!("{:<40} {:>4} state changes{note}", report.pass, report.transitions.len());
    }
    let records = pipeline.records().map_err(|e| e.to_string())?;
    let ctx = pipeline.context();
    let visibility: HashMap<String, QuantizationVisibility> = ctx
        .store
        .ids()
        .filter_map(|id| ctx.store.get(id).ok().map(|t| (t.label().to_string(), t.visibility())))
        .collect();
    let tqcs = tqc_records(&records);
    let input = ExportInput::new(&ctx.graph, &tqcs, &visibility).map_err(|e| e.to_string())?;
    let (layers, _) = graphwise_error(ctx, &calib).map_err(|e| e.to_string())?;
    let snr = layers.iter().map(|l| LayerSnr { var: l.var.clone(), snr_db: snr_db(l.snr) }).collect();
    let report = ReportInput { model: &ctx.graph.name, settings, records: &records, snr };
    let mut written = write_exports(out, &input, &records, &report)?;
    let trace = serde_json::to_string_pretty(pipeline.trace()).map_err(|e| e.to_string())?;
    write(out, "trace.json", trace.as_bytes())?;
    written.push("trace.json");
    println!("wrote {} into {}", written.join(", "), out.display());
    Ok(())
}

/// PPQ's name of an observer choice.
pub fn observer_name(o: ObserverArg) -> &'static str {
    match o {
        ObserverArg::Minmax => "minmax",
        ObserverArg::Percentile => "percentile",
        ObserverArg::Kl => "kl",
        ObserverArg::Mse => "mse",
        ObserverArg::Isotone => "isotone",
    }
}

//! The glue both front ends share between "a model, calibration data and a few choices" and the pipeline:
//! the settings a user picks ([`SessionSettings`]), turning them into PPQ's `QuantizationSetting`, the
//! calibration batches, and every export file of a finished (or partial) run. The CLI's `quantize` and the
//! page's worker call these, so the page shows exactly what the CLI writes.

use crate::calib::CalibData;
use crate::settings::{OPTIONS, PLATFORM_OBSERVERS, SessionSettings};
use ppq_core::platform::TargetPlatform;
use ppq_core::tqc::QuantizationVisibility;
use ppq_graph::BaseGraph;
use ppq_graph::format::format_graph;
use ppq_graph::ir::{Dim, VarId};
use ppq_pipeline::analysis::snr_db;
use ppq_pipeline::export::{
    ExportInput, LayerSnr, ReportInput, baked_onnx, onnx_config_json, qdq_onnx, report_markdown, tqc_json, tqc_records,
    trt_json,
};
use ppq_pipeline::{CalibrationData, Pipeline, QuantizationSetting, format_version, graphwise_error};
use std::collections::HashMap;

/// The declared dimensions of a variable (`None` for symbolic or unknown sizes).
pub fn declared_dims(g: &BaseGraph, v: VarId) -> Option<Vec<Option<i64>>> {
    g.var(v).shape.as_ref().map(|dims| {
        dims.iter()
            .map(|d| match d {
                Dim::Value(x) => Some(*x),
                Dim::Param(_) | Dim::Unknown => None,
            })
            .collect()
    })
}

/// The model must have one input, and the samples must fit its declared shape and be finite.
pub fn check_calib(g: &BaseGraph, data: &CalibData) -> Result<(), String> {
    let [input] = g.inputs[..] else {
        return Err(format!("the model has {} inputs; calibration supports exactly one", g.inputs.len()));
    };
    data.check(&g.var(input).name, declared_dims(g, input).as_deref())
}

/// `data` with its sample shape adapted to the model's single input ([`CalibData::conform`]: a batch axis of
/// 1 is added when the samples lack it).
pub fn conform_calib(g: &BaseGraph, data: &CalibData) -> CalibData {
    match g.inputs[..] {
        [input] => data.clone().conform(declared_dims(g, input).as_deref()),
        _ => data.clone(),
    }
}

/// PPQ's `QuantizationSetting` for these choices and `samples` calibration samples, validated: the platform's factory setting with the
/// user's choices written over it. A choice the pipeline cannot honour is refused by name, never ignored.
pub fn quantization_setting(
    s: &SessionSettings,
    samples: usize,
) -> Result<(TargetPlatform, QuantizationSetting), String> {
    s.check()?;
    let platform = TargetPlatform::from_name(&s.platform).ok_or_else(|| {
        format!("platform '{}' is a quantizer of {} that this build cannot run yet", s.platform, s.profile.name())
    })?;
    let mut setting = QuantizationSetting::for_platform(platform);
    setting.state_model = s.profile;
    setting.quirks = s.quirks;
    setting.quantize_activation_setting.calib_algorithm = s.observer.clone();
    setting.quantize_activation_setting.calib_steps = s.steps_for(samples)?;
    apply_choices(s, &mut setting);
    setting.validate().map_err(|e| e.to_string())?;
    Ok((platform, setting))
}

/// Writes the alignment, overlap and baking choices that are set into `setting` (the rest keep the
/// platform's defaults). Shared by [`quantization_setting`] and the page's experiment.
pub fn apply_choices(s: &SessionSettings, setting: &mut QuantizationSetting) {
    let a = &mut setting.quantize_alignment_setting;
    for (choice, slot) in [
        (s.elementwise_alignment, &mut a.elementwise_alignment),
        (s.concat_alignment, &mut a.concat_alignment),
        (s.pooling_alignment, &mut a.pooling_alignment),
        (s.resize_alignment, &mut a.resize_alignment),
    ] {
        if let Some(m) = choice {
            *slot = m;
        }
    }
    if let Some(f) = s.force_overlap {
        a.force_overlap = f;
    }
    if !s.baking {
        setting.quantize_parameter_setting.baking_parameter = false;
    }
    setting.bias_correct = s.bias_correct;
    setting.lsq_optimization = s.lsq_optimization;
    setting.lsq_optimization_setting.steps = s.lsq_steps as usize;
    setting.bit_width.weight_bits = s.weight_bits;
    setting.bit_width.activation_bits = s.activation_bits;
}

/// `count` samples uniform in [-1, 1) for the model's single input, from `seed` (xorshift64*; unknown or
/// symbolic sizes count as 1). For models that come without calibration data.
pub fn random_calib(g: &BaseGraph, seed: u64, count: usize) -> Result<CalibData, String> {
    let [input] = g.inputs[..] else {
        return Err(format!("the model has {} inputs; calibration supports exactly one", g.inputs.len()));
    };
    let dims = declared_dims(g, input).ok_or("the model's input declares no shape; load calibration data")?;
    let shape: Vec<usize> = dims.iter().map(|d| d.and_then(|x| usize::try_from(x).ok()).unwrap_or(1).max(1)).collect();
    let len = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).filter(|&n| n <= 1 << 24);
    let len = len.ok_or("the model's input is too large for random calibration")?;
    if count == 0 || count > 4096 {
        return Err(format!("{count} random samples: choose 1 to 4096"));
    }
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let x = state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40; // 24 random bits
        (x as f32 / (1u64 << 23) as f32) - 1.0
    };
    let samples = (0..count).map(|_| (0..len).map(|_| next()).collect()).collect();
    Ok(CalibData { input_name: Some(g.var(input).name.clone()), sample_shape: shape, samples })
}

/// The calibration batches of the model's single input, one per sample (checked with [`check_calib`]
/// first). RuntimeCalibrationPass cycles them until it has fed `calib_steps` batches, as PPQ cycles its
/// dataloader.
pub fn calibration_data(g: &BaseGraph, data: &CalibData) -> Result<CalibrationData, String> {
    check_calib(g, data)?;
    let input_name = g.var(g.inputs[0]).name.clone();
    CalibrationData::single_input(&input_name, &data.sample_shape, &data.samples).map_err(|e| e.to_string())
}

/// Everything `quantize` needs before running: the imported graph formatted as the chosen PPQ version
/// formats it, dispatched with the keep-float ops on FP32, its pipeline, and the calibration batches.
/// Returns the pipeline, the batches and how many samples they hold.
pub fn prepare(
    mut graph: BaseGraph,
    data: &CalibData,
    settings: &SessionSettings,
) -> Result<(Pipeline, CalibrationData, usize), String> {
    let data = &conform_calib(&graph, data);
    check_calib(&graph, data)?;
    let n = data.samples.len();
    let (platform, setting) = quantization_setting(settings, n)?;
    format_graph(&mut graph, format_version(setting.state_model)).map_err(|e| e.to_string())?;
    if let Some(name) = settings.keep_float.iter().find(|n| graph.op_by_name(n).is_none()) {
        return Err(format!("keep-float: no op named '{name}' in the model (see `inspect`)"));
    }
    let calib = calibration_data(&graph, data)?;
    let table: Vec<(String, TargetPlatform)> =
        settings.keep_float.iter().map(|n| (n.clone(), TargetPlatform::Fp32)).collect();
    let pipeline = Pipeline::with_dispatching(graph, platform, setting, &table).map_err(|e| e.to_string())?;
    Ok((pipeline, calib, n))
}

/// The `(name, value)` lines that describe a run in `report.md`: every option of [`OPTIONS`] with its
/// value, then the calibration samples the steps cycled over.
pub fn setting_lines(settings: &SessionSettings, samples: usize) -> Vec<(String, String)> {
    let mut lines: Vec<(String, String)> = OPTIONS
        .iter()
        .map(|o| {
            let v = (o.get)(settings);
            let v = match (o.name, v.as_str()) {
                ("calib_algorithm", PLATFORM_OBSERVERS) => "the platform's own (PPQ's default setting)".into(),
                (_, "platform") => "the platform's default".into(),
                (_, "") => "none".into(),
                ("baking_parameter" | "bias_correct" | "lsq_optimization", "1") => "on".into(),
                ("baking_parameter" | "bias_correct" | "lsq_optimization", "0") => "off".into(),
                ("force_overlap", "1") => "on".into(),
                ("force_overlap", "0") => "off".into(),
                _ => v,
            };
            (o.label.to_string(), v)
        })
        .collect();
    lines.push(("calibration samples".into(), samples.to_string()));
    if let Ok(steps) = settings.steps_for(samples) {
        lines.push((
            "calibration steps fed".into(),
            format!("{steps} (the samples cycled as PPQ cycles its dataloader)"),
        ));
    }
    lines
}

/// File name of PPQ's OnnxExporter quantization config.
pub const QUANT_CONFIG: &str = "quant_config.json";
/// File name of the baked model.
pub const BAKED_ONNX: &str = "model.baked.onnx";
/// File name of the QDQ model.
pub const QDQ_ONNX: &str = "model.qdq.onnx";

/// One export file: its name in an output folder (`model.qdq.onnx`) and its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportFile {
    /// File name, as the CLI writes it.
    pub name: &'static str,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// Every export of the pipeline's current state, in the CLI's order: `tqc.json`, `quant_config.json`,
/// `trt.json` (TRT_INT8 only), `model.baked.onnx`, `model.qdq.onnx`, `report.md`, `trace.json`. With calibration
/// batches, `report.md` gets the per-layer SNR of the quantized simulation against the fp32 graph.
pub fn exports(
    pipeline: &Pipeline,
    settings: &SessionSettings,
    samples: usize,
    calib: Option<&CalibrationData>,
) -> Result<Vec<ExportFile>, String> {
    let records = pipeline.records().map_err(|e| e.to_string())?;
    let ctx = pipeline.context();
    let visibility: HashMap<String, QuantizationVisibility> = ctx
        .store
        .ids()
        .filter_map(|id| ctx.store.get(id).ok().map(|t| (t.label().to_string(), t.visibility())))
        .collect();
    let tqcs = tqc_records(&records);
    let input = ExportInput::new(&ctx.graph, &tqcs, &visibility).map_err(|e| e.to_string())?;
    let snr = match calib {
        Some(c) if pipeline.is_finished() => {
            let (layers, _) = graphwise_error(ctx, c).map_err(|e| e.to_string())?;
            layers.iter().map(|l| LayerSnr { var: l.var.clone(), snr_db: snr_db(l.snr) }).collect()
        }
        _ => Vec::new(),
    };
    let report =
        ReportInput { model: &ctx.graph.name, settings: setting_lines(settings, samples), records: &records, snr };
    let e = |e: ppq_pipeline::export::ExportError| e.to_string();
    let mut out = vec![
        ExportFile { name: "tqc.json", bytes: tqc_json(&records).map_err(e)?.into_bytes() },
        ExportFile { name: QUANT_CONFIG, bytes: onnx_config_json(&input).map_err(e)?.into_bytes() },
    ];
    if input.tqcs.iter().any(|t| t.record.platform == "TRT_INT8") {
        out.push(ExportFile { name: "trt.json", bytes: trt_json(&input).map_err(e)?.into_bytes() });
    }
    out.push(ExportFile { name: BAKED_ONNX, bytes: baked_onnx(&input).map_err(e)? });
    out.push(ExportFile { name: QDQ_ONNX, bytes: qdq_onnx(&input).map_err(e)? });
    out.push(ExportFile { name: "report.md", bytes: report_markdown(&report).into_bytes() });
    let trace = serde_json::to_string_pretty(pipeline.trace()).map_err(|e| e.to_string())?;
    out.push(ExportFile { name: "trace.json", bytes: trace.into_bytes() });
    Ok(out)
}

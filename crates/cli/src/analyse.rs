//! `ppq-playground analyse`: quantize, then rank the ops by how much keeping each one in float reduces the
//! output error, and list the per-layer SNR — the data behind PPQ's advice to dispatch sensitive layers to
//! FP32 (`--keep-float` on `quantize`).

use super::PipelineArgs;
use super::commands::{Prepared, prepare};
use ppq_pipeline::analysis::{LayerError, OutputError, SensitivityReport, snr_db};
use ppq_pipeline::{graphwise_error, sensitivity};
use serde::Serialize;
use std::fmt::Write;
use std::time::Instant;

/// Everything `analyse --json` prints.
#[derive(Debug, Serialize)]
struct Analysis {
    /// PPQ's SNR of each graph output, quantized against fp32.
    outputs: Vec<OutputError>,
    /// PPQ's SNR of each quantable op's output 0.
    layers: Vec<LayerError>,
    /// The keep-in-float ranking.
    sensitivity: SensitivityReport,
    /// Wall time of the sensitivity ranking, in milliseconds.
    sensitivity_ms: f64,
}

/// Quantizes with the given options and prints the analysis (text or JSON).
pub fn analyse(a: &PipelineArgs, json: bool) -> Result<(), String> {
    let Prepared { mut pipeline, calib, .. } = prepare(a)?;
    pipeline.run_all(&calib).map_err(|e| e.to_string())?;
    let ctx = pipeline.context();
    let (layers, outputs) = graphwise_error(ctx, &calib).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let sensitivity = sensitivity(ctx, &calib).map_err(|e| e.to_string())?;
    let sensitivity_ms = start.elapsed().as_secs_f64() * 1e3;
    let result = Analysis { outputs, layers, sensitivity, sensitivity_ms };
    if json {
        println!("{}", serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?);
    } else {
        print!("{}", text(&result, calib.batches.len()));
    }
    Ok(())
}

fn ratio(snr: f64) -> String {
    format!("{snr:.6} ({:.2} dB)", snr_db(snr))
}

/// The text report: outputs, ranking (most sensitive first), then layers in executing order.
fn text(r: &Analysis, samples: usize) -> String {
    let mut out = String::new();
    let s = &r.sensitivity;
    let _ =
        writeln!(out, "SNR is PPQ's noise/signal ratio (0 = identical to fp32), over {samples} calibration samples.");
    let _ = writeln!(out, "\nGraph outputs (quantized vs fp32):");
    for o in &r.outputs {
        let _ = writeln!(out, "  {:<32} {}", o.var, ratio(o.snr));
    }
    let _ = writeln!(
        out,
        "\nSensitivity: output SNR with one op kept in float (quantized: {}), {} ops in {:.0} ms",
        ratio(s.quantized_output_snr),
        s.ranking.len(),
        r.sensitivity_ms
    );
    let _ = writeln!(out, "{:>4}  {:<32} {:<18} {:>14} {:>14}", "rank", "op", "type", "SNR if float", "improvement");
    for (i, o) in s.ranking.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:>4}  {:<32} {:<18} {:>14.6} {:>14.6}",
            i + 1,
            o.op,
            o.op_type,
            o.output_snr_when_float,
            o.improvement
        );
    }
    let _ = writeln!(out, "\nPer-layer SNR (output 0 of each quantable op, quantized vs fp32):");
    let _ = writeln!(out, "{:<32} {:<18} {:<40} {:>10} {:>9}", "op", "type", "variable", "SNR", "dB");
    for l in &r.layers {
        let _ = writeln!(out, "{:<32} {:<18} {:<40} {:>10.6} {:>9.2}", l.op, l.op_type, l.var, l.snr, snr_db(l.snr));
    }
    out
}

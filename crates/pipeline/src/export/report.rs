//! `report.md`: a human summary of one quantization — the settings, how many TQCs ended in each state, and a
//! per-layer table (with the SNR of each layer's output when the caller measured it).

use crate::record::{Record, ScaleValue};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The measured signal-to-noise ratio of one variable: 10·log10(Σ fp32² / Σ (quantized − fp32)²).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSnr {
    /// The variable (an op output).
    pub var: String,
    /// SNR in dB (infinite when the quantized value equals the float one).
    pub snr_db: f64,
}

/// What the report shows. Settings are free `(name, value)` lines so the caller decides what matters.
#[derive(Debug, Clone, Default)]
pub struct ReportInput<'a> {
    /// The model's name.
    pub model: &'a str,
    /// Setting lines, e.g. `("platform", "TRT_INT8")`.
    pub settings: Vec<(String, String)>,
    /// The records (TQCs and non-quantable ops).
    pub records: &'a [Record],
    /// Per-variable SNR, when outputs were measured.
    pub snr: Vec<LayerSnr>,
}

fn scale_text(s: &Option<ScaleValue>) -> String {
    match s {
        None => "–".into(),
        Some(ScaleValue::PerTensor(v)) => format!("{v:.6e}"),
        Some(ScaleValue::PerChannel(v)) => {
            let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
            format!("{} ch, {lo:.3e}…{hi:.3e}", v.len())
        }
    }
}

/// Renders the markdown report.
pub fn report_markdown(input: &ReportInput<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# PPQ Playground quantization report: {}\n", input.model);
    let _ = writeln!(out, "## Settings\n");
    for (k, v) in &input.settings {
        let _ = writeln!(out, "- **{k}**: {v}");
    }
    let tqcs: Vec<_> = input.records.iter().filter_map(Record::as_tqc).collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &tqcs {
        *counts.entry(t.state.as_str()).or_default() += 1;
    }
    let _ = writeln!(out, "\n## TQC states ({} TQCs)\n\n| state | count |\n|---|---:|", tqcs.len());
    for (s, n) in &counts {
        let _ = writeln!(out, "| {s} | {n} |");
    }
    let skipped: Vec<String> = input
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Op(o) => Some(format!("{} ({}, {})", o.op, o.op_type, o.platform)),
            Record::Tqc(_) => None,
        })
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(out, "\nNot quantized: {}", skipped.join(", "));
    }
    let snr: BTreeMap<&str, f64> = input.snr.iter().map(|s| (s.var.as_str(), s.snr_db)).collect();
    let _ = writeln!(out, "\n## Layers\n");
    let _ = writeln!(out, "| op | type | platform | io | variable | state | bits | scale | offset | SNR (dB) |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---:|---|---|---:|");
    for t in &tqcs {
        let snr_text = match (t.io.as_str(), snr.get(t.var.as_str())) {
            ("out", Some(v)) => format!("{v:.2}"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {}{} | {} | {} | {} | {} | {} | {} |",
            t.op,
            t.op_type,
            t.platform,
            t.io,
            t.index,
            t.var,
            t.state,
            t.num_of_bits,
            scale_text(&t.scale),
            scale_text(&t.offset),
            snr_text
        );
    }
    out
}

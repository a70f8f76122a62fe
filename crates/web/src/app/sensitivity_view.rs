//! The sensitivity action: the worker dequantizes each quantable op alone, measures the model output error on
//! the calibration data, and ranks the ops (`pipeline::analysis::sensitivity_with_progress`, the CLI's
//! `analyse`). A progress bar and a cancel button while it runs; the ranked table after; a row selects its op.

use super::cells::{self, Key, Row, SortTable};
use ppq_pipeline::analysis::snr_db;
use ppq_worker::protocol::SensitivityView;
use std::rc::Rc;
use yew::prelude::*;

/// The ranking's rows: rank, op, type, output SNR with only this op in float, and the gain in dB.
fn rows(p: &SensitivityProps) -> Vec<Row> {
    let Some(r) = &p.result else { return Vec::new() };
    let base = r.report.quantized_output_snr;
    r.report
        .ranking
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let (cb, op) = (p.on_pick.clone(), o.op.clone());
            let gain = snr_db(o.output_snr_when_float) - snr_db(base);
            Row {
                keys: vec![
                    Key::Num(-(i as f64)),
                    Key::Text(o.op.clone()),
                    Key::Text(o.op_type.clone()),
                    Key::Num(snr_db(o.output_snr_when_float)),
                    Key::Num(gain),
                ],
                html: html! {
                    <tr data-op={o.op.clone()} data-improvement={o.improvement.to_string()} onclick={Callback::from(move |_| cb.emit(op.clone()))}>
                        <td class="num rank">{ i + 1 }</td>
                        <td><button class="link">{ cells::name(&o.op) }</button></td>
                        <td class="muted type">{ &o.op_type }</td>
                        <td class="num when-float">{ cells::db(o.output_snr_when_float) }</td>
                        <td class="num improvement" title={format!("noise/signal ratio reduced by {:.6}", o.improvement)}>
                            { if gain.is_finite() { format!("{gain:+.1} dB") } else { "∞".into() } }</td>
                    </tr>
                },
            }
        })
        .collect()
}

/// Properties of [`SensitivityPanel`].
#[derive(Properties, PartialEq)]
pub struct SensitivityProps {
    /// The last ranking.
    pub result: Option<Rc<SensitivityView>>,
    /// (done, total) while it runs.
    pub progress: Option<(usize, usize)>,
    /// False while the worker is busy with something else.
    pub enabled: bool,
    /// Start.
    pub on_run: Callback<()>,
    /// Stop (the worker is replaced).
    pub on_cancel: Callback<()>,
    /// Select an op by name.
    pub on_pick: Callback<String>,
}

/// Button, progress and ranking.
#[function_component(SensitivityPanel)]
pub fn sensitivity_panel(p: &SensitivityProps) -> Html {
    let run = p.on_run.reform(|_: MouseEvent| ());
    let cancel = p.on_cancel.reform(|_: MouseEvent| ());
    let pct = p.progress.map(|(d, t)| d * 100 / t.max(1));
    html! {
        <details id="sensitivity" class="analysis sensitivity" open=true>
            <summary>{ "Sensitivity: which layer to keep in float" }</summary>
            <p class="muted small">{ "Keeps each quantized op in float alone and measures the model output error \
                on the calibration data; the ops whose float version helps most come first (PPQ's advice for \
                accuracy problems, as the CLI's analyse command prints it)." }</p>
            <div class="run-buttons">
                <button id="run-sensitivity" class="button" onclick={run} disabled={!p.enabled || p.progress.is_some()}>
                    { "Rank the layers" }</button>
                if p.progress.is_some() {
                    <button id="sensitivity-cancel" class="button danger" onclick={cancel}>{ "Cancel" }</button>
                }
            </div>
            if let (Some(pct), Some((d, t))) = (pct, p.progress) {
                <div class="progress-row">
                    <progress id="sensitivity-progress" max="100" value={pct.to_string()} aria-label="Sensitivity progress"></progress>
                    <span aria-live="polite">{ format!("{pct} % · {d} of {t} ops") }</span>
                </div>
            }
            if let Some(r) = &p.result {
                <p class="small">{ "Fully quantized output error: " }
                    <strong id="sensitivity-baseline">{ cells::db(r.report.quantized_output_snr) }</strong>
                    if !r.kept_float.is_empty() {
                        <span class="muted">{ format!(" (with {} kept in float)", r.kept_float.join(", ")) }</span>
                    }
                </p>
                <SortTable id="sensitivity-table" class="analysis-table"
                    columns={vec![("#", true), ("op", false), ("type", false), ("SNR if float", true), ("gain", true)]}
                    rows={rows(p)} />
            }
        </details>
    }
}

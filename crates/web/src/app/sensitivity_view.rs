//! The sensitivity action: the worker dequantizes each quantable op alone, measures the model output error on
//! the calibration data, and ranks the ops (`pipeline::analysis::sensitivity_with_progress`, the CLI's
//! `analyse`). A progress bar and a cancel button while it runs; the ranked table after; a row selects its op.

use ppq_worker::protocol::SensitivityView;
use std::rc::Rc;
use yew::prelude::*;

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
                    <strong id="sensitivity-baseline">{ format!("{:.6}", r.report.quantized_output_snr) }</strong>
                    if !r.kept_float.is_empty() {
                        <span class="muted">{ format!(" (with {} kept in float)", r.kept_float.join(", ")) }</span>
                    }
                </p>
                <table id="sensitivity-table" class="analysis-table">
                    <thead><tr><th class="num rank">{ "#" }</th><th>{ "op" }</th><th class="type">{ "type" }</th>
                        <th class="num" title="model output error with only this op kept in float">{ "error if float" }</th>
                        <th class="num" title="quantized output error minus the error if float">{ "improvement" }</th></tr></thead>
                    <tbody>
                        { for r.report.ranking.iter().enumerate().map(|(i, o)| {
                            let (cb, op) = (p.on_pick.clone(), o.op.clone());
                            html! {
                                <tr data-op={o.op.clone()} onclick={Callback::from(move |_| cb.emit(op.clone()))}>
                                    <td class="num rank">{ i + 1 }</td>
                                    <td><button class="link">{ &o.op }</button></td>
                                    <td class="muted type">{ &o.op_type }</td>
                                    <td class="num when-float">{ format!("{:.6}", o.output_snr_when_float) }</td>
                                    <td class="num improvement">{ format!("{:.6}", o.improvement) }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            }
        </details>
    }
}

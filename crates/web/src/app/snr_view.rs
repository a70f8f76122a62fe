//! The error of the quantized simulation against fp32 on the calibration data, after our pipeline finished:
//! the model output error, a table with one row per quantized layer (PPQ's SNR ratio and in dB, from
//! `pipeline::analysis::graphwise_error` in the worker), and the switch that colours the graph by it.

use super::cells::{self, Key, Row, SortTable};
use ppq_pipeline::analysis::snr_db;
use ppq_worker::protocol::ErrorView;
use std::collections::HashMap;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// dB at or above which a layer is drawn green, and at or below which it is drawn red.
const GOOD_DB: f64 = 40.0;
const BAD_DB: f64 = 10.0;

/// Colour of a layer's error: hue from red (≤ 10 dB) to green (≥ 40 dB).
pub fn error_color(snr: f64) -> String {
    let db = snr_db(snr);
    let t = if db.is_finite() { ((db - BAD_DB) / (GOOD_DB - BAD_DB)).clamp(0.0, 1.0) } else { 1.0 };
    format!("hsl({:.0}, 70%, 78%)", 120.0 * t)
}

/// Fill colour per op for the graph's "colour by error" mode.
pub fn error_fill(errors: &ErrorView) -> HashMap<String, String> {
    errors.layers.iter().map(|l| (l.op.clone(), error_color(l.snr))).collect()
}

/// The model output error: PPQ's SNR averaged over the graph outputs.
pub fn output_error(errors: &ErrorView) -> Option<f64> {
    let n = errors.outputs.len();
    (n > 0).then(|| errors.outputs.iter().map(|o| o.snr).sum::<f64>() / n as f64)
}

/// Properties of [`SnrView`].
#[derive(Properties, PartialEq)]
pub struct SnrViewProps {
    /// The errors.
    pub errors: Rc<ErrorView>,
    /// Ops kept in float now.
    pub kept: Rc<Vec<String>>,
    /// Whether the graph is coloured by error.
    pub color_by_error: bool,
    /// Switch the colouring.
    pub on_color: Callback<bool>,
    /// Select an op by name.
    pub on_pick: Callback<String>,
}

/// Output error, colouring switch and the per-layer table.
#[function_component(SnrView)]
pub fn snr_view(p: &SnrViewProps) -> Html {
    let on_color = {
        let cb = p.on_color.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                cb.emit(i.checked());
            }
        })
    };
    let out = output_error(&p.errors);
    let rows: Vec<Row> = p
        .errors
        .layers
        .iter()
        .map(|l| {
            let (cb, op) = (p.on_pick.clone(), l.op.clone());
            Row {
                keys: vec![Key::Text(l.op.clone()), Key::Text(l.op_type.clone()), Key::Num(snr_db(l.snr))],
                html: html! {
                    <tr data-op={l.op.clone()} data-snr={l.snr.to_string()} onclick={Callback::from(move |_| cb.emit(op.clone()))}>
                        <td><span class="swatch" style={format!("background:{}", error_color(l.snr))}></span>
                            <button class="link">{ cells::name(&l.op) }</button></td>
                        <td class="muted type">{ &l.op_type }</td>
                        <td class="num db">{ cells::db(l.snr) }</td>
                    </tr>
                },
            }
        })
        .collect();
    html! {
        <details id="errors" class="analysis errors" open=true>
            <summary>{ "Error against fp32 (calibration data)" }</summary>
            <p class="model-error">{ "Model output error: " }
                <strong id="model-output-error" data-snr={out.map(|v| v.to_string())}>{ out.map_or_else(|| html! { "—" }, cells::db) }</strong>
            </p>
            if !p.kept.is_empty() {
                <p id="kept-float" class="muted small">{ format!("Kept in float: {}", p.kept.join(", ")) }</p>
            }
            <label class="inline">
                <input id="color-by-error" type="checkbox" checked={p.color_by_error} onchange={on_color} />
                { " Colour the graph by error (red ≤ 10 dB … green ≥ 40 dB)" }
            </label>
            <p class="muted small">{ "Signal-to-noise of each layer's output 0, quantized simulation against the \
                fp32 graph, averaged over the samples, in dB (higher is better; PPQ's noise/signal ratio on hover). \
                Click a column head to sort." }</p>
            <SortTable id="snr-table" class="analysis-table"
                columns={vec![("op", false), ("type", false), ("SNR", true)]} {rows} />
        </details>
    }
}

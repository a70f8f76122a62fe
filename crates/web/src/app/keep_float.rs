//! The "keep in float" switch of a selected op, shown in the inspector once our pipeline finished: the worker
//! runs PPQ's `dequantize` (on) or `restore_quantize_state` (off) on the op, and the page shows what that did
//! to this layer's error and to the model's output error on the calibration data.

use super::cells;
use ppq_pipeline::analysis::LayerError;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Properties of [`KeepFloat`].
#[derive(Properties, PartialEq)]
pub struct KeepFloatProps {
    /// The op.
    pub op: String,
    /// Whether it is dequantized now.
    pub kept: bool,
    /// False while the worker is busy.
    pub enabled: bool,
    /// This op's error (output 0 against fp32), when it has a float output.
    pub layer: Option<LayerError>,
    /// The model's output error (mean over outputs).
    pub output: Option<f64>,
    /// Switch the op: (name, keep in float).
    pub on_toggle: Callback<(String, bool)>,
}

/// The switch with the two error figures.
#[function_component(KeepFloat)]
pub fn keep_float(p: &KeepFloatProps) -> Html {
    let onchange = {
        let (cb, op) = (p.on_toggle.clone(), p.op.clone());
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                cb.emit((op.clone(), input.checked()));
            }
        })
    };
    html! {
        <section id="keep-float" class={classes!("keep-float", p.kept.then_some("on"))} data-op={p.op.clone()}>
            <label class="switch">
                <input id="keep-float-toggle" type="checkbox" role="switch" checked={p.kept} disabled={!p.enabled}
                    {onchange} />
                <span>{ "Keep in float" }</span>
            </label>
            <p class="muted small">{ if p.kept {
                "Dequantized: every TQC of this op is switched off (FP32) and its fp32 parameters are back. Untick to \
                 restore its quantization."
            } else {
                "Tick to dequantize this op (PPQ's dequantize): see what its quantization costs the model."
            } }</p>
            <dl class="errors">
                <dt>{ "This layer's error (output 0 vs fp32)" }</dt>
                <dd id="layer-error">{ p.layer.as_ref().map_or_else(|| html! { "— (no float output)" }, |l| cells::db(l.snr)) }</dd>
                <dt>{ "Model output error (calibration data)" }</dt>
                <dd id="keep-float-output-error">{ p.output.map_or_else(|| html! { "—" }, cells::db) }</dd>
            </dl>
        </section>
    }
}

//! The experiment controls: platform, state model, quirks, observer, alignment methods, force_overlap, baking, the
//! random-input seed and a second setting to compare with. Every change becomes a new URL hash.

use ppq_pipeline::setting::AlignmentMethod;
use ppq_teach::experiment::{Experiment, OBSERVERS, PLATFORMS};
use ppq_teach::run::OutputError;
use web_sys::{Event, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Comparison presets: (label, `vs` overrides).
pub const COMPARE_PRESETS: &[(&str, &str)] = &[
    ("TRT_INT8", "p:TRT_INT8"),
    ("PPL_CUDA_INT8", "p:PPL_CUDA_INT8"),
    ("PPL_DSP_INT8", "p:PPL_DSP_INT8"),
    ("Add: Align to Large", "ew:large"),
    ("Add: Align to Output", "ew:output"),
    ("Add: None", "ew:none"),
    ("Concat: Align to Large", "cat:large"),
    ("Concat: Align to Output", "cat:output"),
    ("Concat: None", "cat:none"),
    ("force_overlap off", "fo:0"),
    ("force_overlap on", "fo:1"),
    ("quirks fixed", "q:fixed"),
    ("state model 0.6.5", "sm:0.6.5"),
];

/// Properties of [`ExperimentPanel`].
#[derive(Properties, PartialEq)]
pub struct PanelProps {
    /// The experiment on screen.
    pub exp: Experiment,
    /// Output errors of its run.
    pub outputs: Vec<OutputError>,
    /// Where its calibration data came from.
    pub calibration: String,
    /// Hide the comparison control (course mode).
    pub hide_compare: bool,
    /// Hide the settings (course mode).
    pub hide_settings: bool,
    /// A new experiment.
    pub on_change: Callback<Experiment>,
}

fn select(id: &str, label: &str, value: &str, options: &[(&str, &str)], onchange: Callback<String>) -> Html {
    let onchange = Callback::from(move |e: Event| {
        if let Some(s) = e.target_dyn_into::<HtmlSelectElement>() {
            onchange.emit(s.value());
        }
    });
    html! {
        <label class="field">
            <span>{ label }</span>
            <select id={id.to_string()} {onchange}>
                { for options.iter().map(|(v, text)| html! { <option value={v.to_string()} selected={*v == value}>{ text.to_string() }</option> }) }
            </select>
        </label>
    }
}

fn code(m: Option<AlignmentMethod>) -> &'static str {
    match m {
        None => "",
        Some(AlignmentMethod::AlignToLarge) => "large",
        Some(AlignmentMethod::AlignToOutput) => "output",
        Some(AlignmentMethod::AlignToInput) => "input",
        Some(AlignmentMethod::None) => "none",
    }
}

/// The settings bar with the output error of the current run.
#[function_component(ExperimentPanel)]
pub fn experiment_panel(p: &PanelProps) -> Html {
    let set = |key: &'static str| {
        let exp = p.exp.clone();
        let cb = p.on_change.clone();
        Callback::from(move |v: String| {
            let mut e = exp.clone();
            let ok = match key {
                "ew" if v.is_empty() => {
                    e.elementwise = None;
                    Ok(())
                }
                "cat" if v.is_empty() => {
                    e.concat = None;
                    Ok(())
                }
                "pool" if v.is_empty() => {
                    e.pooling = None;
                    Ok(())
                }
                "rs" if v.is_empty() => {
                    e.resize = None;
                    Ok(())
                }
                "vs" if v.is_empty() => {
                    e.compare = None;
                    Ok(())
                }
                "sweep" if v.is_empty() => {
                    e.sweep = None;
                    Ok(())
                }
                _ => e.set(key, &v),
            };
            if ok.is_ok() {
                e.pass = None;
                cb.emit(e);
            }
        })
    };
    let e = &p.exp;
    let platforms: Vec<(&str, &str)> = PLATFORMS.iter().map(|p| (*p, *p)).collect();
    let observers: Vec<(&str, &str)> = OBSERVERS.iter().map(|o| (*o, *o)).collect();
    let seed_change = {
        let cb = set("seed");
        Callback::from(move |ev: Event| {
            if let Some(i) = ev.target_dyn_into::<HtmlInputElement>() {
                cb.emit(i.value());
            }
        })
    };
    let fo_change = {
        let cb = set("fo");
        Callback::from(move |ev: Event| {
            if let Some(i) = ev.target_dyn_into::<HtmlInputElement>() {
                cb.emit(if i.checked() { "1" } else { "0" }.into());
            }
        })
    };
    let bake_change = {
        let cb = set("bake");
        Callback::from(move |ev: Event| {
            if let Some(i) = ev.target_dyn_into::<HtmlInputElement>() {
                cb.emit(if i.checked() { "1" } else { "0" }.into());
            }
        })
    };
    let vs: Vec<(&str, &str)> =
        std::iter::once(("", "—")).chain(COMPARE_PRESETS.iter().map(|(label, v)| (*v, *label))).collect();
    let custom_vs = e.compare.as_deref().filter(|c| !COMPARE_PRESETS.iter().any(|(_, v)| v == c));
    let mut vs = vs;
    if let Some(c) = custom_vs {
        vs.push((c, c));
    }
    html! {
        <section id="experiment" class="experiment" aria-label="Experiment settings">
            if !p.hide_settings {
                <div class="settings">
                    { select("exp-platform", "Platform", &e.platform, &platforms, set("p")) }
                    { select("exp-state-model", "State model", e.state_model.name().trim_start_matches("ppq-"),
                        &[("0.6.6", "PPQ 0.6.6"), ("0.6.5", "PPQ 0.6.5 (classic)")], set("sm")) }
                    { select("exp-quirks", "Quirks", e.quirks.name(), &[("faithful", "faithful"), ("fixed", "fixed")], set("q")) }
                    { select("exp-observer", "Observer", &e.observer, &observers, set("obs")) }
                    { select("exp-ew", "Add/Sub", code(e.elementwise),
                        &[("", "default"), ("large", "Align to Large"), ("output", "Align to Output"), ("none", "None")], set("ew")) }
                    { select("exp-cat", "Concat", code(e.concat),
                        &[("", "default"), ("large", "Align to Large"), ("output", "Align to Output"), ("none", "None")], set("cat")) }
                    { select("exp-pool", "Pooling", code(e.pooling),
                        &[("", "default"), ("input", "Align to Input"), ("output", "Align to Output"), ("none", "None")], set("pool")) }
                    { select("exp-rs", "Resize", code(e.resize),
                        &[("", "default"), ("input", "Align to Input"), ("output", "Align to Output"), ("none", "None")], set("rs")) }
                    <label class="field check">
                        <input id="exp-fo" type="checkbox" checked={e.force_overlap.unwrap_or(true)} onchange={fo_change} />
                        <span>{ "force_overlap" }</span>
                    </label>
                    <label class="field check">
                        <input id="exp-bake" type="checkbox" checked={!e.no_baking} onchange={bake_change} />
                        <span>{ "bake parameters" }</span>
                    </label>
                    <label class="field">
                        <span>{ "Input seed" }</span>
                        <input id="exp-seed" type="number" min="0" max="4294967295" value={e.seed.to_string()}
                            title="0: the reference calibration data; any other number: random inputs" onchange={seed_change} />
                    </label>
                </div>
            }
            <div class="run-info">
                if !p.hide_compare {
                    <div class="compare-controls">
                        { select("exp-vs", "Compare with", e.compare.as_deref().unwrap_or(""), &vs, set("vs")) }
                        { select("exp-sweep", "Side by side", e.sweep.as_deref().unwrap_or(""),
                            &[("", "—"), ("ew", "Add: all methods"), ("cat", "Concat: all methods"), ("fo", "force_overlap on/off")], set("sweep")) }
                    </div>
                }
                <p id="output-error" class="output-error">
                    { for p.outputs.iter().map(|o| html! {
                        <span data-output={o.name.clone()} data-relative={o.relative.to_string()}>
                            { "Output error " }<code>{ &o.name }</code>{ format!(": {:.3} % (max |Δ| {:.4})", o.relative * 100.0, o.max_abs) }
                        </span>
                    }) }
                    if !p.calibration.is_empty() { <span class="muted">{ format!(" · {}", p.calibration) }</span> }
                </p>
            </div>
        </section>
    }
}

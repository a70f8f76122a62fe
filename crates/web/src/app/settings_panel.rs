//! The one settings panel: a control per row of the session's option table ([`ppq_session::settings::OPTIONS`]),
//! so the page offers exactly what the CLI and the URL offer, with the same names, values and help. For a bundled
//! sample it adds the comparison and the side-by-side sweep. Every change is a new experiment (a new URL hash);
//! the output error of the run on screen is shown in dB. Course mode hides the settings and the comparison.

use super::cells;
use ppq_pipeline::analysis::OutputError;
use ppq_session::SessionSettings;
use ppq_session::settings::{FlagKind, OPTIONS, SettingOption};
use ppq_teach::experiment::Experiment;
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

/// Options the panel does not draw: keep-in-float has its per-op switch in the inspector.
const NOT_HERE: &[&str] = &["keep_float"];

/// Properties of [`SettingsPanel`].
#[derive(Properties, PartialEq)]
pub struct PanelProps {
    /// The experiment on screen (its settings, comparison and sweep).
    pub exp: Experiment,
    /// Output errors of the run on screen.
    pub outputs: Vec<OutputError>,
    /// Hide the comparison control (course mode).
    pub hide_compare: bool,
    /// Hide the settings (course mode).
    pub hide_settings: bool,
    /// Whether the open model is a bundled sample (comparisons and sweeps need one).
    pub sample: bool,
    /// Whether a run is under way (the controls wait).
    pub busy: bool,
    /// A new experiment.
    pub on_change: Callback<Experiment>,
}

/// The control's id: `set-` and the option's name in kebab case (`set-calib-algorithm`).
pub fn control_id(o: &SettingOption) -> String {
    format!("set-{}", o.name.replace('_', "-"))
}

fn select(
    id: String,
    label: &str,
    help: &str,
    value: &str,
    options: &[(String, String)],
    cb: Callback<String>,
) -> Html {
    let onchange = Callback::from(move |e: Event| {
        if let Some(s) = e.target_dyn_into::<HtmlSelectElement>() {
            cb.emit(s.value());
        }
    });
    html! {
        <label class="field" title={help.to_string()}>
            <span>{ label }</span>
            <select {id} {onchange}>
                { for options.iter().map(|(v, text)| html! {
                    <option value={v.clone()} selected={v == value}>{ text.clone() }</option>
                }) }
            </select>
        </label>
    }
}

/// One option's control: a checkbox for a switch, a list for a choice, a text box for a number.
fn control(o: &'static SettingOption, s: &SessionSettings, set: Callback<(&'static SettingOption, String)>) -> Html {
    let value = (o.get)(s);
    let id = control_id(o);
    match o.kind {
        FlagKind::Switch(on) => {
            let off = o.default_text();
            let onchange = Callback::from(move |e: Event| {
                if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                    set.emit((o, if i.checked() { on.to_string() } else { off.clone() }));
                }
            });
            // `bake` is on by default and its switch turns it off: the box shows the option itself.
            let checked = value == "1";
            html! {
                <label class="field check" title={o.help}>
                    <input {id} type="checkbox" {checked} {onchange} />
                    <span>{ o.label }</span>
                </label>
            }
        }
        _ => {
            let values = (o.values)(s);
            if values.is_empty() {
                let onchange = Callback::from(move |e: Event| {
                    if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                        set.emit((o, i.value().trim().to_string()));
                    }
                });
                html! {
                    <label class="field" title={o.help}>
                        <span>{ o.label }</span>
                        <input {id} type="text" size="5" value={value} {onchange} />
                    </label>
                }
            } else {
                let mut options: Vec<(String, String)> = values.iter().map(|v| (v.clone(), v.clone())).collect();
                if !values.contains(&value) {
                    options.push((value.clone(), format!("{value} (not in this profile)")));
                }
                select(id, o.label, o.help, &value, &options, Callback::from(move |v| set.emit((o, v))))
            }
        }
    }
}

/// The settings, the comparison controls and the output error of the run on screen.
#[function_component(SettingsPanel)]
pub fn settings_panel(p: &PanelProps) -> Html {
    let error = use_state(|| None::<String>);
    let set = {
        let (exp, cb, error) = (p.exp.clone(), p.on_change.clone(), error.clone());
        Callback::from(move |(o, v): (&'static SettingOption, String)| {
            let mut e = exp.clone();
            match (o.set)(&mut e.settings, &v) {
                Ok(()) => {
                    // a platform the new profile lacks is replaced by the profile's first, never left invalid
                    if e.settings.check().is_err()
                        && let Some(first) = ppq_session::settings::platforms(e.settings.profile).first()
                    {
                        e.settings.platform = (*first).to_string();
                    }
                    e.pass = None;
                    error.set(None);
                    cb.emit(e);
                }
                Err(msg) => error.set(Some(format!("{}: {msg}", o.label))),
            }
        })
    };
    let set_view = |key: &'static str| {
        let (exp, cb) = (p.exp.clone(), p.on_change.clone());
        Callback::from(move |v: String| {
            let mut e = exp.clone();
            if e.set(key, &v).is_ok() {
                e.pass = None;
                cb.emit(e);
            }
        })
    };
    let e = &p.exp;
    let mut vs: Vec<(String, String)> = std::iter::once((String::new(), "—".to_string()))
        .chain(COMPARE_PRESETS.iter().map(|(label, v)| (v.to_string(), label.to_string())))
        .collect();
    if let Some(c) = e.compare.as_deref().filter(|c| !COMPARE_PRESETS.iter().any(|(_, v)| v == c)) {
        vs.push((c.to_string(), c.to_string()));
    }
    let sweeps: Vec<(String, String)> =
        [("", "—"), ("ew", "Add: all methods"), ("cat", "Concat: all methods"), ("fo", "force_overlap on/off")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
    html! {
        <section id="settings" class="experiment" aria-label="Settings">
            if !p.hide_settings {
                <details class="settings-box" open=true>
                    <summary>{ format!("Settings · {}", e.label()) }</summary>
                    <fieldset class="settings" disabled={p.busy}>
                        { for OPTIONS.iter().filter(|o| !NOT_HERE.contains(&o.name)).map(|o| control(o, &e.settings, set.clone())) }
                    </fieldset>
                    if let Some(msg) = &*error {
                        <p id="settings-error" class="error small">{ msg }</p>
                    }
                </details>
            }
            <div class="run-info">
                if !p.hide_compare && p.sample {
                    <div class="compare-controls">
                        { select("exp-vs".into(), "Compare with", "A second rule set run beside this one",
                            e.compare.as_deref().unwrap_or(""), &vs, set_view("vs")) }
                        { select("exp-sweep".into(), "Side by side", "One column per value of one setting",
                            e.sweep.as_deref().unwrap_or(""), &sweeps, set_view("sweep")) }
                    </div>
                }
                <p id="output-error" class="output-error">
                    { for p.outputs.iter().map(|o| html! {
                        <span data-output={o.var.clone()} data-snr={o.snr.to_string()}>
                            { "Output " }{ cells::name(&o.var) }{ ": " }{ cells::db(o.snr) }
                        </span>
                    }) }
                </p>
            </div>
        </section>
    }
}

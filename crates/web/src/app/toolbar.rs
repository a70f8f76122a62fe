//! The open controls: a bundled-sample picker and a file picker. The platform is a setting like any other (the
//! settings panel); the real-PPQ run shown beside ours follows it.

use super::loader::Manifest;
use web_sys::{Event, File, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Properties of [`Toolbar`].
#[derive(Properties, PartialEq)]
pub struct ToolbarProps {
    /// The bundled samples, once loaded.
    pub manifest: Option<Manifest>,
    /// The open sample and platform, if a sample is open.
    pub sample: Option<(String, String)>,
    /// True while a model is loading.
    pub busy: bool,
    /// Open a sample (name, platform).
    pub on_sample: Callback<(String, String)>,
    /// Open a user's file.
    pub on_file: Callback<File>,
}

/// The sample select plus the "Open ONNX…" file button.
#[function_component(Toolbar)]
pub fn toolbar(p: &ToolbarProps) -> Html {
    let (cur_name, cur_platform) = p.sample.clone().unwrap_or_default();
    let samples = p.manifest.as_ref().map(|m| m.samples.clone()).unwrap_or_default();
    let on_sample_change = {
        let cb = p.on_sample.clone();
        let platform = cur_platform.clone();
        Callback::from(move |e: Event| {
            if let Some(sel) = e.target_dyn_into::<HtmlSelectElement>()
                && !sel.value().is_empty()
            {
                let platform = if platform.is_empty() { "TRT_INT8".to_string() } else { platform.clone() };
                cb.emit((sel.value(), platform));
            }
        })
    };
    let on_file_change = {
        let cb = p.on_file.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                if let Some(file) = input.files().and_then(|f| f.get(0)) {
                    cb.emit(file);
                }
                // Let the same file be chosen again after an error.
                input.set_value("");
            }
        })
    };
    html! {
        <nav class="toolbar" aria-label="Open a model">
            <label class="field">
                <span>{ "Sample" }</span>
                <select id="sample-select" onchange={on_sample_change} disabled={p.busy || samples.is_empty()}>
                    <option value="" selected={cur_name.is_empty()} disabled=true>{ "Choose a sample…" }</option>
                    { for samples.iter().map(|s| html! {
                        <option value={s.name.clone()} selected={s.name == cur_name} title={s.about.clone()}>{ &s.name }</option>
                    }) }
                </select>
            </label>
            <label class="button primary" for="file-input">{ "Open ONNX…" }</label>
            <input id="file-input" class="visually-hidden" type="file" accept=".onnx,application/octet-stream"
                onchange={on_file_change} disabled={p.busy} />
        </nav>
    }
}

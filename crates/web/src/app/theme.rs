//! Light and dark themes. `www/boot.js` sets `data-theme` on `<html>` before the app starts (the stored choice,
//! else the system's `prefers-color-scheme`, followed live until the user chooses); this toggle flips it and
//! stores the choice in `localStorage` so it survives a reload. Colours live in `www/style.css`.

use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

/// `localStorage` key of the user's choice (shared with `www/boot.js`).
const KEY: &str = "ppq-theme";

fn root() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}

/// The theme on screen: `dark` or `light`.
fn current() -> String {
    root().and_then(|r| r.get_attribute("data-theme")).filter(|t| t == "dark").unwrap_or_else(|| "light".into())
}

/// Stores the choice; a browser that refuses storage (private mode, disabled) keeps it for this page only.
fn store(theme: &str) {
    let Some(window) = web_sys::window() else { return };
    let Ok(storage) = js_sys::Reflect::get(&window, &JsValue::from_str("localStorage")) else { return };
    let Ok(set) = js_sys::Reflect::get(&storage, &JsValue::from_str("setItem")) else { return };
    if let Some(set) = set.dyn_ref::<js_sys::Function>() {
        let _ = set.call2(&storage, &JsValue::from_str(KEY), &JsValue::from_str(theme));
    }
}

/// The toolbar button that switches between the light and dark themes.
#[function_component(ThemeToggle)]
pub fn theme_toggle() -> Html {
    let theme = use_state(current);
    let dark = *theme == "dark";
    let onclick = {
        let theme = theme.clone();
        Callback::from(move |_| {
            let next = if current() == "dark" { "light" } else { "dark" };
            if let Some(r) = root() {
                let _ = r.set_attribute("data-theme", next);
            }
            store(next);
            theme.set(next.to_string());
        })
    };
    html! {
        <button id="theme-toggle" class="button" aria-pressed={dark.to_string()} {onclick}
            title="Switch between the light and dark themes (remembered in this browser)">
            { if dark { "Light theme" } else { "Dark theme" } }
        </button>
    }
}

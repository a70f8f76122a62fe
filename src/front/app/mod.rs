//! The yew web app. It renders what the core reports and keeps no quantization logic of its own.

use crate::front::status;
use yew::prelude::*;

/// Mounts the app on `<body>`.
pub fn start() {
    yew::Renderer::<App>::new().render();
}

/// The root component: title, a short explanation, and the wasm status line.
#[function_component(App)]
pub fn app() -> Html {
    let line = status::status_line();
    let ok = status::simd128_enabled();
    html! {
        <main class="page">
            <header>
                <h1>{ "PPQ Playground" }</h1>
                <p class="lede">
                    { "Neural-network quantization as PPQ does it, in your browser. Open a small ONNX model, \
                       see every tensor quantization config (TQC) with its policy, state and alignment group, \
                       step through the pipeline and calibrate on sample data. Nothing leaves your machine." }
                </p>
            </header>
            <p id="wasm-status" class={classes!("status", if ok { "ok" } else { "warn" })}
               data-simd={ if ok { "on" } else { "off" } }>
                { line }
            </p>
        </main>
    }
}

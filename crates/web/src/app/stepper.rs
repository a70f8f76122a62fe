//! The pass stepper: a slider over the snapshots of `passes.json` that recolours the graph and the inspector
//! with the states after the chosen pass.

use std::rc::Rc;
use web_sys::{HtmlInputElement, InputEvent};
use yew::prelude::*;

/// Properties of [`Stepper`].
#[derive(Properties, PartialEq)]
pub struct StepperProps {
    /// (pass, pipeline) of each snapshot, in order.
    pub passes: Rc<Vec<(String, String)>>,
    /// The current snapshot.
    pub step: usize,
    /// Choose a snapshot.
    pub on_step: Callback<usize>,
}

/// Slider with previous/next buttons and the current pass name.
#[function_component(Stepper)]
pub fn stepper(p: &StepperProps) -> Html {
    let n = p.passes.len();
    let step = p.step.min(n.saturating_sub(1));
    let (pass, pipeline) = p.passes.get(step).cloned().unwrap_or_default();
    let oninput = {
        let cb = p.on_step.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>()
                && let Ok(v) = input.value().parse::<usize>()
            {
                cb.emit(v);
            }
        })
    };
    let prev = {
        let cb = p.on_step.clone();
        Callback::from(move |_| cb.emit(step.saturating_sub(1)))
    };
    let next = {
        let cb = p.on_step.clone();
        Callback::from(move |_| cb.emit((step + 1).min(n.saturating_sub(1))))
    };
    let what = if pass == "<before>" {
        format!("before the first pass ({pipeline}): the states the quantizer created")
    } else {
        format!("after {pass}")
    };
    html! {
        <div class="stepper" role="group" aria-label="Pipeline passes">
            <button id="pass-prev" onclick={prev} disabled={step == 0} aria-label="Previous pass">{ "◀" }</button>
            <input id="pass-slider" type="range" min="0" max={(n.saturating_sub(1)).to_string()}
                value={step.to_string()} {oninput} aria-label="Pass" aria-valuetext={pass.clone()} />
            <button id="pass-next" onclick={next} disabled={step + 1 >= n} aria-label="Next pass">{ "▶" }</button>
            <span id="pass-label" aria-live="polite">
                <span class="muted">{ format!("Step {} of {n} · ", step + 1) }</span>{ what }
            </span>
        </div>
    }
}

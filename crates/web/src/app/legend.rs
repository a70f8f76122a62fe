//! The colour legend of TQC states and of the marks for groups and float ops.

use super::colors::state_color;
use ppq_core::state::QuantizationStates;
use yew::prelude::*;

/// States that PPQ 0.6.6 uses (the legacy ones never appear in its results).
const SHOWN: [QuantizationStates; 8] = [
    QuantizationStates::INITIAL,
    QuantizationStates::ACTIVATED,
    QuantizationStates::PASSIVE,
    QuantizationStates::PASSIVE_INIT,
    QuantizationStates::PASSIVE_BAKED,
    QuantizationStates::BAKED,
    QuantizationStates::OVERLAPPED,
    QuantizationStates::FP32,
];

/// A compact legend: one swatch per state (with its meaning as tooltip), and the group / float-op marks.
#[function_component(Legend)]
pub fn legend() -> Html {
    html! {
        <details class="legend" open=true>
            <summary>{ "Legend" }</summary>
            <ul>
                { for SHOWN.iter().map(|s| html! {
                    <li title={s.meaning()}>
                        <span class="swatch" data-state={s.name()} style={format!("background:{}", state_color(s.name()))}></span>
                        { s.name() }
                    </li>
                }) }
                <li title="TQCs sharing one dominated_by root: one outline colour; the root has a double ring">
                    <span class="swatch group"></span>{ "alignment group (◎ root)" }
                </li>
                <li title="Ops left in float or computing shapes/indices">
                    <span class="swatch float"></span>{ "FP32 / SOI op" }
                </li>
            </ul>
        </details>
    }
}

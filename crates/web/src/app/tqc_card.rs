//! One TQC in the inspector: state with its meaning, policy bitmap, numeric config, scale/offset (a bar chart
//! when per-channel), alignment group with jump links, and the state after each pass.

use super::Selection;
use super::colors::{state_color, state_text_color};
use super::model::ViewModel;
use ppq_core::policy::QuantizationProperty;
use ppq_core::state::{QuantizationStates, StateModel};
use ppq_pipeline::record::ScaleValue;
use std::rc::Rc;
use yew::prelude::*;

/// Properties of [`TqcCard`].
#[derive(Properties, PartialEq)]
pub struct TqcCardProps {
    /// The model (with a result).
    pub doc: Rc<ViewModel>,
    /// The TQC id (`op:in0:var`).
    pub id: String,
    /// Snapshot shown.
    pub step: Option<usize>,
    /// Jump to another op.
    pub on_select: Callback<(Selection, bool)>,
}

fn op_of(id: &str) -> &str {
    id.split(':').next().unwrap_or(id)
}

/// A scale or offset as text: the number, or the channel count with min and max.
fn scale_text(v: &Option<ScaleValue>) -> String {
    match v {
        None => "not set".into(),
        Some(ScaleValue::PerTensor(x)) => format!("{x}"),
        Some(ScaleValue::PerChannel(xs)) => {
            let (lo, hi) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
            if xs.is_empty() { "[]".into() } else { format!("{} channels, {lo:.6e} … {hi:.6e}", xs.len()) }
        }
    }
}

/// A tiny bar chart of per-channel values (each bar's tooltip gives the exact value).
fn bars(values: &[f64]) -> Html {
    let max = values.iter().fold(0.0f64, |m, &x| m.max(x.abs()));
    let n = values.len().max(1) as f64;
    let bw = (220.0 / n).min(14.0);
    html! {
        <svg class="bars" width={(bw * n).to_string()} height="32" role="img" aria-label="per-channel values">
            { for values.iter().enumerate().map(|(i, &x)| {
                let h = if max > 0.0 { (x.abs() / max * 30.0).max(1.0) } else { 1.0 };
                html! {
                    <rect x={(i as f64 * bw).to_string()} y={(32.0 - h).to_string()} width={(bw - 1.0).max(1.0).to_string()}
                        height={h.to_string()}>
                        <title>{ format!("channel {i}: {x}") }</title>
                    </rect>
                }
            }) }
        </svg>
    }
}

/// The card.
#[function_component(TqcCard)]
pub fn tqc_card(p: &TqcCardProps) -> Html {
    let Some(r) = p.doc.result.as_ref() else { return html! {} };
    let Some(t) = r.by_id_at(&p.id, p.step) else { return html! {} };
    let rec = t.rec;
    let meaning = QuantizationStates::from_name(&t.state).map(|s| s.meaning()).unwrap_or("Unknown state name.");
    let jump = |id: &str| -> Html {
        let op = op_of(id).to_string();
        match p.doc.op_index(&op) {
            Some(i) => {
                let cb = p.on_select.clone();
                html! {
                    <button class="link member" onclick={Callback::from(move |_| cb.emit((Selection::Op(i), true)))}
                        title={format!("Go to op {op}")}>{ id }</button>
                }
            }
            None => html! { <code>{ id }</code> },
        }
    };
    let groups = r.groups(p.step);
    let members = groups.get(&t.root).cloned().unwrap_or_default();
    // passes.json records scales only; the offset shown is the final one (symmetric policies keep it at 0).
    let offset = rec.offset.clone();
    html! {
        <section class="tqc" data-tqc={rec.id.clone()}>
            <header>
                <code class="tqc-id">{ &rec.id }</code>
                <span class="state-badge" data-state={t.state.clone()}
                    style={format!("background:{};color:{}", state_color(&t.state), state_text_color(&t.state))}>
                    { &t.state }
                </span>
            </header>
            <p class="meaning">{ meaning }</p>
            <div class="bitmap" role="list" aria-label="Policy">
                { for QuantizationProperty::ALL.iter().map(|prop| {
                    let name = prop.name(StateModel::Ppq066);
                    let on = rec.policy.iter().any(|n| n == name);
                    html! {
                        <span role="listitem" class={classes!("bit", on.then_some("on"))}
                            title={format!("0x{:02X} {name}: {}", prop.bits(), if on { "set" } else { "not set" })}>
                            { name.replace('_', " ") }
                        </span>
                    }
                }) }
            </div>
            <dl class="facts">
                <dt>{ "tensor" }</dt><dd><code>{ &rec.var }</code>{ if rec.is_parameter { " (parameter)" } else { "" } }</dd>
                <dt>{ "rounding" }</dt><dd>{ &rec.rounding }</dd>
                <dt>{ "bits" }</dt><dd>{ rec.num_of_bits }</dd>
                <dt>{ "range" }</dt><dd>{ format!("[{}, {}]", rec.quant_min, rec.quant_max) }</dd>
                if let Some(axis) = rec.channel_axis {
                    <dt>{ "channel axis" }</dt><dd>{ axis }</dd>
                }
                <dt>{ "observer" }</dt><dd>{ rec.observer.clone().unwrap_or_else(|| "—".into()) }</dd>
                <dt>{ "scale" }</dt><dd class="scale">{
                    match &t.scale_summary {
                        Some(text) => format!("{text} (values are listed for the final result only)"),
                        None => scale_text(&t.scale),
                    }
                }</dd>
                <dt>{ "offset" }</dt><dd>{ scale_text(&offset) }</dd>
            </dl>
            if let Some(ScaleValue::PerChannel(xs)) = &t.scale { { bars(xs) } }
            <div class="group">
                if members.is_empty() {
                    <span class="muted">{ "Own root: no other TQC shares its scale." }</span>
                } else {
                    <span>{ if t.root == rec.id { "Root of an alignment group: " } else { "In the group of root " } }</span>
                    if t.root != rec.id { { jump(&t.root) }<span>{ "; members: " }</span> }
                    { for members.iter().filter(|m| **m != t.root).map(|m| jump(m)) }
                }
            </div>
            if !r.snapshots.is_empty() {
                <ol class="timeline" aria-label="State after each pass">
                    { for r.snapshots.iter().enumerate().map(|(s, snap)| {
                        let st = snap.states.get(&rec.id).cloned().unwrap_or_else(|| "—".into());
                        let current = p.step == Some(s);
                        html! {
                            <li class={classes!(current.then_some("current"))} style={format!("background:{}", state_color(&st))}
                                title={format!("{}: {st}", snap.pass)}>
                                <span class="visually-hidden">{ format!("{}: {st}", snap.pass) }</span>
                            </li>
                        }
                    }) }
                </ol>
            }
        </section>
    }
}

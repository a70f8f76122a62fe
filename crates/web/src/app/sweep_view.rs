//! The side-by-side sweep (`sweep=ew|cat|fo`): one column per setting, with the selected op's TQCs (state
//! and scale), the error at the graph outputs and PPQ's per-layer SNR, each with its change against the
//! first column. Only renders what the teaching worker measured.

use super::teach_runner::Extras;
use ppq_pipeline::record::{Record, TqcRecord};
use ppq_teach::compare::scale_text;
use ppq_teach::teach::VariantRun;
use std::rc::Rc;
use yew::prelude::*;

/// Properties of [`SweepView`].
#[derive(Properties, PartialEq)]
pub struct SweepProps {
    /// The teaching results (the sweep among them).
    pub extras: Rc<Extras>,
    /// Selected op: its TQCs are listed.
    pub op: Option<String>,
    /// Highlighted TQC.
    pub hl: Option<String>,
}

fn tqc<'a>(v: &'a VariantRun, id: &str) -> Option<&'a TqcRecord> {
    v.records.iter().filter_map(Record::as_tqc).find(|t| t.id == id)
}

fn snr(v: &VariantRun, op: &str) -> Option<f64> {
    v.layers.iter().find(|l| l.op == op).map(|l| l.snr)
}

/// Noise/signal as a percentage, and its change against the first column in percentage points.
fn pct(value: Option<f64>, base: Option<f64>, first: bool) -> String {
    match (value, base) {
        (Some(v), Some(b)) if !first => format!("{:.3} % ({:+.3})", v * 100.0, (v - b) * 100.0),
        (Some(v), _) => format!("{:.3} %", v * 100.0),
        _ => "—".into(),
    }
}

/// The sweep table, when the experiment has a sweep.
#[function_component(SweepView)]
pub fn sweep_view(p: &SweepProps) -> Html {
    let sweep = &p.extras.sweep;
    let Some(first) = sweep.first() else { return html! {} };
    let ids: Vec<String> = first
        .records
        .iter()
        .filter_map(Record::as_tqc)
        .filter(|t| p.op.as_deref() == Some(t.op.as_str()))
        .map(|t| t.id.clone())
        .collect();
    let output = |v: &VariantRun| v.outputs.first().map(|o| o.relative);
    let base_out = output(first);
    html! {
        <section id="sweep" class="sweep" aria-label="Side-by-side comparison">
            <h3>{ "Side by side" }</h3>
            <p class="muted small">{ "Each column reruns the pipeline with one setting changed. Errors are PPQ's SNR \
                (noise / signal of each layer's output against fp32, first calibration batches); the number in \
                brackets is the change against the first column." }</p>
            <div class="table-scroll">
            <table>
                <thead>
                    <tr><th></th>{ for sweep.iter().map(|v| html! { <th data-variant={v.overrides.clone()}>{ &v.label }</th> }) }</tr>
                </thead>
                <tbody>
                    { for ids.iter().map(|id| html! {
                        <tr class={classes!("sweep-tqc", (p.hl.as_deref() == Some(id.as_str())).then_some("hl"))} data-tqc={id.clone()}>
                            <th><code>{ id }</code></th>
                            { for sweep.iter().map(|v| match tqc(v, id) {
                                Some(t) => html! {
                                    <td data-state={t.state.clone()}>
                                        <span class="state">{ &t.state }</span><br />
                                        <span class="scale num">{ scale_text(&t.scale) }</span>
                                    </td>
                                },
                                None => html! { <td>{ "—" }</td> },
                            }) }
                        </tr>
                    }) }
                    <tr class="sweep-output">
                        <th>{ format!("Output error ({})", first.outputs.first().map_or("", |o| o.name.as_str())) }</th>
                        { for sweep.iter().enumerate().map(|(i, v)| html! {
                            <td class="num" data-relative={output(v).map(|x| x.to_string()).unwrap_or_default()}>
                                { pct(output(v), base_out, i == 0) }</td>
                        }) }
                    </tr>
                    { for first.layers.iter().map(|l| html! {
                        <tr class={classes!("sweep-layer", (p.op.as_deref() == Some(l.op.as_str())).then_some("hl"))} data-op={l.op.clone()}>
                            <th>{ format!("SNR {}", l.op) }</th>
                            { for sweep.iter().enumerate().map(|(i, v)| html! {
                                <td class="num" data-snr={snr(v, &l.op).map(|x| x.to_string()).unwrap_or_default()}>
                                    { pct(snr(v, &l.op), Some(l.snr), i == 0) }</td>
                            }) }
                        </tr>
                    }) }
                </tbody>
            </table>
            </div>
        </section>
    }
}

//! The side-by-side sweep (`sweep=ew|cat|fo`): one column per setting, with the selected op's TQCs (state
//! and scale), the error at the graph outputs and PPQ's per-layer SNR, each with its change against the
//! first column. Only renders what the teaching worker measured.

use super::cells;
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
    v.report.records.iter().filter_map(Record::as_tqc).find(|t| t.id == id)
}

fn snr(v: &VariantRun, op: &str) -> Option<f64> {
    v.report.layers.iter().find(|l| l.op == op).map(|l| l.snr)
}

/// SNR in dB (linear on hover), and its change against the first column.
fn cell(value: Option<f64>, base: Option<f64>, first: bool) -> Html {
    match (value, base) {
        (Some(v), Some(b)) if !first => html! { <>{ cells::db(v) }{ format!(" ({})", cells::db_delta(v, b)) }</> },
        (Some(v), _) => cells::db(v),
        _ => html! { "—" },
    }
}

/// The sweep table, when the experiment has a sweep.
#[function_component(SweepView)]
pub fn sweep_view(p: &SweepProps) -> Html {
    let sweep = &p.extras.sweep;
    let Some(first) = sweep.first() else { return html! {} };
    let ids: Vec<String> = first
        .report
        .records
        .iter()
        .filter_map(Record::as_tqc)
        .filter(|t| p.op.as_deref() == Some(t.op.as_str()))
        .map(|t| t.id.clone())
        .collect();
    let output = |v: &VariantRun| v.report.outputs.first().map(|o| o.snr);
    let base_out = output(first);
    html! {
        <section id="sweep" class="sweep" aria-label="Side-by-side comparison">
            <h3>{ "Side by side" }</h3>
            <p class="muted small">{ "Each column reruns the pipeline with one setting changed. Errors are PPQ's SNR \
                (signal / noise of each layer's output against fp32, first calibration batches) in dB, higher is \
                better; the number in brackets is the change against the first column." }</p>
            <div class="table-scroll">
            <table>
                <thead>
                    <tr><th></th>{ for sweep.iter().map(|v| html! { <th data-variant={v.overrides.clone()}>{ &v.label }</th> }) }</tr>
                </thead>
                <tbody>
                    { for ids.iter().map(|id| html! {
                        <tr class={classes!("sweep-tqc", (p.hl.as_deref() == Some(id.as_str())).then_some("hl"))} data-tqc={id.clone()}>
                            <th>{ cells::name(id) }</th>
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
                        <th>{ "Output SNR " }{ cells::name(first.report.outputs.first().map_or("", |o| o.var.as_str())) }</th>
                        { for sweep.iter().enumerate().map(|(i, v)| html! {
                            <td class="num" data-snr={output(v).map(|x| x.to_string()).unwrap_or_default()}>
                                { cell(output(v), base_out, i == 0) }</td>
                        }) }
                    </tr>
                    { for first.report.layers.iter().map(|l| html! {
                        <tr class={classes!("sweep-layer", (p.op.as_deref() == Some(l.op.as_str())).then_some("hl"))} data-op={l.op.clone()}>
                            <th>{ "SNR " }{ cells::name(&l.op) }</th>
                            { for sweep.iter().enumerate().map(|(i, v)| html! {
                                <td class="num" data-snr={snr(v, &l.op).map(|x| x.to_string()).unwrap_or_default()}>
                                    { cell(snr(v, &l.op), Some(l.snr), i == 0) }</td>
                            }) }
                        </tr>
                    }) }
                </tbody>
            </table>
            </div>
        </section>
    }
}

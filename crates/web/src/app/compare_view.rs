//! Side-by-side comparison of two runs of the same model (differing TQCs and the error at the outputs), and
//! the quirk notes: TQCs whose result under `quirks = faithful` changes under `fixed`, with the value under
//! `fixed`. Both only show what [`ppq_teach::compare::diff`] found between two pipeline runs.

use super::cells::{self, Key, Row, SortTable};
use ppq_pipeline::analysis::{LayerError, OutputError};
use ppq_teach::compare::{TqcDiff, likely_quirks, scale_text};
use std::rc::Rc;
use yew::prelude::*;

/// Properties of [`CompareView`].
#[derive(Properties, PartialEq)]
pub struct CompareProps {
    /// Left setting (the experiment on screen).
    pub left: String,
    /// Right setting.
    pub right: String,
    /// TQCs that differ.
    pub diffs: Rc<Vec<TqcDiff>>,
    /// Output errors, left.
    pub left_out: Vec<OutputError>,
    /// Output errors, right.
    pub right_out: Vec<OutputError>,
    /// Jump to a TQC (op name, TQC id).
    pub on_pick: Callback<(String, String)>,
    /// PPQ's per-layer SNR of the left and the right run (measured in the teaching worker).
    #[prop_or_default]
    pub layers: Rc<(Vec<LayerError>, Vec<LayerError>)>,
}

/// Per-layer SNR in dB, left against right, with the change; sortable.
fn layer_table(layers: &(Vec<LayerError>, Vec<LayerError>)) -> Html {
    let (left, right) = layers;
    if left.is_empty() {
        return html! {};
    }
    let db = ppq_pipeline::analysis::snr_db;
    let rows: Vec<Row> = left
        .iter()
        .map(|l| {
            let r = right.iter().find(|r| r.op == l.op).map(|r| r.snr);
            let change = r.map(|r| db(r) - db(l.snr)).unwrap_or(f64::NAN);
            Row {
                keys: vec![
                    Key::Text(l.op.clone()),
                    Key::Num(db(l.snr)),
                    Key::Num(r.map_or(f64::NAN, db)),
                    Key::Num(change),
                ],
                html: html! {
                    <tr data-op={l.op.clone()}>
                        <td>{ cells::name(&l.op) }</td>
                        <td class="num">{ cells::db(l.snr) }</td>
                        <td class="num">{ r.map_or_else(|| html! { "—" }, cells::db) }</td>
                        <td class="num">{ r.map(|r| cells::db_delta(r, l.snr)).unwrap_or_default() }</td>
                    </tr>
                },
            }
        })
        .collect();
    html! {
        <SortTable id="compare-layers" class="compare-layers"
            columns={vec![("layer", false), ("left SNR", true), ("right SNR", true), ("change", true)]} {rows} />
    }
}

fn errors(out: &[OutputError]) -> Html {
    html! { { for out.iter().map(|o| html! { <span data-snr={o.snr.to_string()}>{ cells::name(&o.var) }{ ": " }{ cells::db(o.snr) }{ " " }</span> }) } }
}

/// Two columns: the left run and the right run.
#[function_component(CompareView)]
pub fn compare_view(p: &CompareProps) -> Html {
    let cell = |side: &Option<ppq_pipeline::record::TqcRecord>| match side {
        Some(t) => html! {
            <>
                <td class="state" data-state={t.state.clone()}>{ &t.state }</td>
                <td class="num">{ scale_text(&t.scale) }</td>
            </>
        },
        None => html! { <><td class="muted">{ "—" }</td><td /></> },
    };
    html! {
        <section id="compare" class="compare" aria-label="Rule-set comparison">
            <h2>{ "Comparison" }</h2>
            <table class="compare-head">
                <tr><th>{ "Left" }</th><td id="compare-left">{ &p.left }</td><td class="num" id="compare-left-error">{ errors(&p.left_out) }</td></tr>
                <tr><th>{ "Right" }</th><td id="compare-right">{ &p.right }</td><td class="num" id="compare-right-error">{ errors(&p.right_out) }</td></tr>
            </table>
            { layer_table(&p.layers) }
            if p.diffs.is_empty() {
                <p id="compare-none">{ "No TQC differs: both settings give the same states, groups and scales." }</p>
            } else {
                <p id="compare-count">{ format!("{} TQC(s) differ", p.diffs.len()) }</p>
                <div class="compare-scroll">
                <table class="compare-table">
                    <thead><tr><th>{ "TQC" }</th><th>{ "differs in" }</th><th>{ "left state" }</th><th>{ "left scale" }</th>
                        <th>{ "right state" }</th><th>{ "right scale" }</th></tr></thead>
                    <tbody>
                        { for p.diffs.iter().map(|d| {
                            let cb = p.on_pick.clone();
                            let op = d.id.split(':').next().unwrap_or_default().to_string();
                            let id = d.id.clone();
                            html! {
                                <tr class="diff-row" data-tqc={d.id.clone()}>
                                    <td><button class="link" onclick={Callback::from(move |_| cb.emit((op.clone(), id.clone())))}>
                                        { cells::name(&d.id) }</button></td>
                                    <td>{ d.fields.join(", ") }</td>
                                    { cell(&d.left) }
                                    { cell(&d.right) }
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
                </div>
            }
        </section>
    }
}

/// Properties of [`QuirkNotes`].
#[derive(Properties, PartialEq)]
pub struct QuirkProps {
    /// Differences between the faithful run on screen and the same experiment under `fixed`.
    pub diffs: Rc<Vec<TqcDiff>>,
    /// Only notes for this op (None: all).
    pub op: Option<String>,
}

/// One paragraph per TQC whose value depends on a PPQ quirk, with its value under `fixed`.
#[function_component(QuirkNotes)]
pub fn quirk_notes(p: &QuirkProps) -> Html {
    let shown: Vec<&TqcDiff> =
        p.diffs.iter().filter(|d| p.op.as_deref().is_none_or(|op| d.id.split(':').next() == Some(op))).collect();
    if shown.is_empty() {
        return html! {};
    }
    html! {
        <section id="quirk-notes" class="quirk-notes" aria-label="PPQ quirks">
            <h2><span class="quirk-badge">{ "quirk" }</span>{ " Results that depend on a PPQ quirk" }</h2>
            { for shown.into_iter().map(|d| {
                let rec = d.left.as_ref().or(d.right.as_ref());
                let quirks = rec.map(likely_quirks).unwrap_or_default();
                let side = |t: &Option<ppq_pipeline::record::TqcRecord>| t.as_ref().map(|t| format!("{} · scale {}", t.state, scale_text(&t.scale))).unwrap_or_else(|| "absent".into());
                html! {
                    <div class="quirk-note" data-tqc={d.id.clone()}>
                        <p><code>{ &d.id }</code>{ format!(" — faithful: {}; ", side(&d.left)) }
                            <strong class="fixed-value">{ format!("fixed: {}", side(&d.right)) }</strong></p>
                        { for quirks.iter().map(|q| html! {
                            <p class="quirk-explanation" data-quirk-id={q.id}>
                                <strong>{ q.id }</strong>{ format!(" ({}): {}", q.spec, q.explanation) }
                            </p>
                        }) }
                    </div>
                }
            }) }
        </section>
    }
}

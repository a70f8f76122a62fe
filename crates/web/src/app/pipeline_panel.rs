//! The pipeline panel: the calibration data (with its sample count and the steps the settings give), the
//! Run all / Step / Reset / Cancel buttons with a progress bar, the pass list with the current position,
//! the transitions of the last pass (with a small state-machine diagram), the differences with real PPQ,
//! and the export downloads. Everything shown comes from the worker's [`RunState`].

use super::cells;
use super::colors::{state_color, state_text_color};
use super::model::DiffRow;
use ppq_worker::protocol::PassView;
use std::rc::Rc;
use web_sys::{Event, File, HtmlInputElement};
use yew::prelude::*;

/// Which result the graph shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Our pipeline, run in this page.
    Ours,
    /// The bundled result of real PPQ 0.6.6.
    Ppq,
}

/// A command for the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Run the next pass.
    Step,
    /// Run every remaining pass.
    RunAll,
    /// Back to before the first pass.
    Reset,
    /// Stop a run in progress.
    Cancel,
}

/// A download link.
#[derive(Debug, Clone, PartialEq)]
pub struct Download {
    /// What it is (`QDQ ONNX`).
    pub label: &'static str,
    /// File name offered to the browser.
    pub file: String,
    /// Object URL.
    pub url: String,
}

/// Our run as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// Pass names.
    pub passes: Vec<String>,
    /// Passes done.
    pub position: usize,
    /// Calibration samples used.
    pub samples: usize,
    /// The passes the last request ran.
    pub ran: Vec<PassView>,
    /// Export links (once finished).
    pub downloads: Vec<Download>,
    /// Why exports failed.
    pub export_error: Option<String>,
}

/// Properties of [`PipelinePanel`].
#[derive(Properties, PartialEq)]
pub struct PipelinePanelProps {
    /// Where the calibration data comes from, with its sample count (shown).
    pub calib_label: String,
    /// The calibration steps the settings give on these samples (or why they cannot).
    pub steps: String,
    /// True when the user may pick random data's seed.
    pub random: Option<u64>,
    /// Our run, once the worker answered.
    pub run: Option<Rc<RunSummary>>,
    /// (done, total, pass) while the worker runs.
    pub progress: Option<(usize, usize, String)>,
    /// Which result the graph shows, and whether PPQ's exists.
    pub source: Source,
    /// Whether a real-PPQ result is available.
    pub has_ppq: bool,
    /// Differences between ours and PPQ's final results (None when not comparable).
    pub diff: Option<Rc<Vec<DiffRow>>>,
    /// Why no diff is shown.
    pub diff_note: Option<String>,
    /// Seed of random calibration data changed.
    pub on_seed: Callback<u64>,
    /// Calibration files were chosen (one `.json` / `.npy`, or PNG/JPEG images).
    pub on_calib_file: Callback<Vec<File>>,
    /// The image preprocessing controls, when images are chosen.
    #[prop_or_default]
    pub image_controls: Html,
    /// Run a command.
    pub on_command: Callback<Command>,
    /// Show another source.
    pub on_source: Callback<Source>,
}

/// The panel.
#[function_component(PipelinePanel)]
pub fn pipeline_panel(p: &PipelinePanelProps) -> Html {
    let busy = p.progress.is_some();
    let cmd = |c: Command| {
        let cb = p.on_command.clone();
        Callback::from(move |_| cb.emit(c))
    };
    let finished = p.run.as_ref().is_some_and(|r| r.position >= r.passes.len() && !r.passes.is_empty());
    let position = p.run.as_ref().map_or(0, |r| r.position);
    let on_seed = {
        let cb = p.on_seed.clone();
        Callback::from(move |e: Event| {
            if let Some(v) = e.target_dyn_into::<HtmlInputElement>().and_then(|i| i.value().trim().parse().ok()) {
                cb.emit(v);
            }
        })
    };
    let on_calib_file = {
        let cb = p.on_calib_file.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                if let Some(list) = input.files() {
                    let files: Vec<File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
                    if !files.is_empty() {
                        cb.emit(files);
                    }
                }
                input.set_value("");
            }
        })
    };
    let source = |src: Source, label: &'static str, id: &'static str, enabled: bool| {
        let cb = p.on_source.clone();
        html! {
            <label class={classes!("source-choice", (p.source == src).then_some("on"))}>
                <input type="radio" name="result-source" {id} checked={p.source == src} disabled={!enabled}
                    onchange={Callback::from(move |_| cb.emit(src))} />
                { label }
            </label>
        }
    };
    let pct = p.progress.as_ref().map_or(if finished { 100 } else { 0 }, |(d, t, _)| d * 100 / (*t).max(1));
    html! {
        <aside id="pipeline-panel" class="pipeline-panel" aria-label="Pipeline">
            <h2>{ "Quantize in this page" }</h2>
            <fieldset class="calibration" disabled={busy}>
                <div class="field calib">
                    <span>{ "Calibration data" }</span>
                    <span id="calib-label" class="calib-label">{ &p.calib_label }</span>
                    <span id="calib-steps" class="muted small">{ &p.steps }</span>
                    if let Some(seed) = p.random {
                        <label class="inline" title="0: the sample's bundled data; any other number: random inputs">{ "seed " }
                            <input id="set-seed" type="number" min="0" value={seed.to_string()} onchange={on_seed} />
                        </label>
                    }
                    <label class="button small" for="calib-input">{ "Load .json / .npy / images…" }</label>
                    <input id="calib-input" class="visually-hidden" type="file" multiple=true
                        accept=".json,.npy,.png,.jpg,.jpeg" onchange={on_calib_file} />
                    { p.image_controls.clone() }
                </div>
            </fieldset>
            <div class="run-buttons">
                <button id="run-all" class="button primary" onclick={cmd(Command::RunAll)} disabled={busy || finished}>
                    { "Run all" }</button>
                <button id="run-step" class="button" onclick={cmd(Command::Step)} disabled={busy || finished}>
                    { "Step" }</button>
                <button id="run-reset" class="button" onclick={cmd(Command::Reset)} disabled={busy || position == 0}>
                    { "Reset" }</button>
                if busy {
                    <button id="run-cancel" class="button danger" onclick={cmd(Command::Cancel)}>{ "Cancel" }</button>
                }
            </div>
            <div class="progress-row">
                <progress id="run-progress" max="100" value={pct.to_string()} aria-label="Pipeline progress"></progress>
                <span id="run-progress-label" aria-live="polite">{
                    match &p.progress {
                        Some((_, 0, pass)) => format!("{pct} % · {pass}…"),
                        Some((d, t, pass)) => format!("{pct} % · pass {} of {t}: {pass}…", d + 1),
                        None if finished => "100 % · done".to_string(),
                        None => format!("{pct} %"),
                    }
                }</span>
            </div>
            <div class="sources" role="radiogroup" aria-label="Result shown">
                { source(Source::Ours, "Ours (this page)", "source-ours", p.run.is_some()) }
                { source(Source::Ppq, "Real PPQ 0.6.6", "source-ppq", p.has_ppq) }
            </div>
            { view_passes(p) }
            { view_transitions(p) }
            { view_diff(p) }
            { view_downloads(p) }
        </aside>
    }
}

fn view_passes(p: &PipelinePanelProps) -> Html {
    let Some(run) = &p.run else {
        return html! { <p class="muted small">{ "Run all or Step to quantize this model with our pipeline, off the main thread." }</p> };
    };
    let running = p.progress.as_ref().map(|(d, _, _)| *d);
    html! {
        <details class="passes" open=true>
            <summary>{ format!("Passes · {} of {} done", run.position, run.passes.len()) }</summary>
            <ol id="pass-list">
                { for run.passes.iter().enumerate().map(|(i, name)| {
                    let class = if Some(i) == running { "running" } else if i < run.position { "done" }
                        else if i == run.position { "next" } else { "todo" };
                    html! { <li class={class} data-pass={name.clone()}>{ name }</li> }
                }) }
            </ol>
        </details>
    }
}

/// The states of the 0.6.6 machine and where they sit in the mini-diagram.
const MACHINE: [(&str, f64, f64); 8] = [
    ("INITIAL", 50.0, 20.0),
    ("ACTIVATED", 150.0, 20.0),
    ("BAKED", 250.0, 20.0),
    ("PASSIVE_INIT", 50.0, 75.0),
    ("PASSIVE", 150.0, 75.0),
    ("PASSIVE_BAKED", 250.0, 75.0),
    ("OVERLAPPED", 50.0, 130.0),
    ("FP32", 150.0, 130.0),
];

/// Distance from a state box's centre to its border along the unit direction (ux, uy), plus a gap.
fn border(ux: f64, uy: f64) -> f64 {
    let tx = if ux.abs() > 1e-9 { 40.0 / ux.abs() } else { f64::INFINITY };
    let ty = if uy.abs() > 1e-9 { 10.0 / uy.abs() } else { f64::INFINITY };
    tx.min(ty) + 2.0
}

fn view_machine(ran: &[PassView]) -> Html {
    let pos = |s: &str| MACHINE.iter().find(|(n, _, _)| *n == s).map(|&(_, x, y)| (x, y));
    let mut used: Vec<(String, String, usize)> = Vec::new();
    for t in ran.iter().flat_map(|r| &r.transitions) {
        match used.iter_mut().find(|(f, to, _)| *f == t.from && *to == t.to) {
            Some(u) => u.2 += 1,
            None => used.push((t.from.clone(), t.to.clone(), 1)),
        }
    }
    html! {
        <svg class="machine" viewBox="0 0 300 150" role="img"
            aria-label="State machine: the transitions the last pass used are drawn">
            <defs>
                <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" fill="#1d232b" />
                </marker>
            </defs>
            { for MACHINE.iter().map(|&(name, x, y)| {
                let active = used.iter().any(|(f, t, _)| f == name || t == name);
                html! {
                    <g class={classes!("state", active.then_some("active"))} data-state={name}>
                        <rect x={format!("{}", x - 40.0)} y={format!("{}", y - 10.0)} width="80" height="20" rx="10"
                            fill={state_color(name)} />
                        <text x={x.to_string()} y={format!("{}", y + 3.5)} fill={state_text_color(name)}>{ name }</text>
                    </g>
                }
            }) }
            { for used.iter().filter_map(|(f, t, n)| {
                let (a, b) = (pos(f)?, pos(t)?);
                let (dx, dy) = (b.0 - a.0, b.1 - a.1);
                let len = (dx * dx + dy * dy).sqrt().max(1.0);
                let (ux, uy) = (dx / len, dy / len);
                let (da, db) = (border(ux, uy), border(ux, uy) + 2.0);
                let (x1, y1, x2, y2) = (a.0 + ux * da, a.1 + uy * da, b.0 - ux * db, b.1 - uy * db);
                // Bend the arrow a little so A→B and B→A do not overlap.
                let (cx, cy) = ((x1 + x2) / 2.0 - uy * 10.0, (y1 + y2) / 2.0 + ux * 10.0);
                Some(html! {
                    <g class="lit">
                        <path d={format!("M{x1:.1},{y1:.1} Q{cx:.1},{cy:.1} {x2:.1},{y2:.1}")} marker-end="url(#arrow)" />
                        <text x={format!("{cx:.1}")} y={format!("{:.1}", cy - 2.0)}>{ format!("×{n}") }</text>
                    </g>
                })
            }) }
        </svg>
    }
}

fn view_transitions(p: &PipelinePanelProps) -> Html {
    let Some(run) = &p.run else { return html! {} };
    if run.ran.is_empty() {
        return html! {};
    }
    let title = match run.ran.as_slice() {
        [one] => format!("Last pass: {}", one.pass),
        many => format!("Last run: {} passes", many.len()),
    };
    let total: usize = run.ran.iter().map(|r| r.transitions.len()).sum();
    html! {
        <details class="transitions" open=true>
            <summary>{ format!("{title} · {total} state change(s)") }</summary>
            { view_machine(&run.ran) }
            <table id="transitions">
                <thead><tr><th>{ "TQC" }</th><th>{ "from → to" }</th><th>{ "reason" }</th></tr></thead>
                <tbody>
                    { for run.ran.iter().flat_map(|r| r.transitions.iter().map(move |t| (r, t))).take(200).map(|(r, t)| html! {
                        <tr data-tqc={t.tqc.clone()} title={r.pass.clone()}>
                            <td>{ cells::name(&t.tqc) }</td>
                            <td class="states">{ format!("{} → {}", t.from, t.to) }</td>
                            <td class="muted">{ &t.reason }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            if run.ran.iter().any(|r| !r.implemented) {
                <p class="muted small">{ format!("Not implemented here (ran as no-ops): {}",
                    run.ran.iter().filter(|r| !r.implemented).map(|r| r.pass.as_str()).collect::<Vec<_>>().join(", ")) }</p>
            }
        </details>
    }
}

fn view_diff(p: &PipelinePanelProps) -> Html {
    match (&p.diff, &p.diff_note) {
        (Some(rows), _) => html! {
            <details id="diff" class="diff" open={!rows.is_empty()}>
                <summary>{ if rows.is_empty() { "Same as real PPQ 0.6.6: every state, root and scale".to_string() }
                           else { format!("{} difference(s) with real PPQ 0.6.6", rows.len()) } }</summary>
                if !rows.is_empty() {
                    <table>
                        <thead><tr><th>{ "TQC" }</th><th>{ "field" }</th><th>{ "ours" }</th><th>{ "PPQ" }</th></tr></thead>
                        <tbody>
                            { for rows.iter().take(100).map(|d| html! {
                                <tr><td>{ cells::name(&d.id) }</td><td>{ d.field }</td><td>{ &d.ours }</td><td>{ &d.ppq }</td></tr>
                            }) }
                        </tbody>
                    </table>
                }
            </details>
        },
        (None, Some(note)) => html! { <p id="diff" class="muted small">{ note }</p> },
        _ => html! {},
    }
}

fn view_downloads(p: &PipelinePanelProps) -> Html {
    let Some(run) = &p.run else { return html! {} };
    html! {
        <details class="downloads" open=true>
            <summary>{ "Downloads" }</summary>
            if run.downloads.is_empty() {
                <p class="muted small">{
                    run.export_error.clone().map(|e| format!("Exports failed: {e}"))
                        .unwrap_or_else(|| "Run every pass to export.".into())
                }</p>
            }
            <ul id="downloads">
                { for run.downloads.iter().map(|d| html! {
                    <li><a href={d.url.clone()} download={d.file.clone()} data-file={d.file.clone()}>{ d.label }</a>
                        <span class="muted small">{ format!(" {}", d.file) }</span></li>
                }) }
            </ul>
        </details>
    }
}

//! The yew web app. It renders what the core reports and keeps no quantization logic of its own: the graph
//! comes from the graph layer, states and scales from TQC records (today the bundled real-PPQ results).

pub(crate) mod colors;
mod compare_view;
mod experiment_panel;
mod graph_view;
mod inspector;
mod legend;
mod lessons_view;
mod loader;
mod model;
mod stepper;
mod toolbar;
mod tqc_card;
mod url_state;

use crate::front::compare::{TqcDiff, diff};
use crate::front::experiment::Experiment;
use crate::front::run::OutputError;
use crate::front::status;
use compare_view::{CompareView, QuirkNotes};
use experiment_panel::ExperimentPanel;
use graph_view::GraphView;
use inspector::Inspector;
use legend::Legend;
use lessons_view::LessonsView;
use loader::Manifest;
use model::{ResultView, ViewModel};
use std::rc::Rc;
use stepper::Stepper;
use toolbar::Toolbar;
use web_sys::{DragEvent, File};
use yew::prelude::*;

/// Mounts the app on `<body>`.
pub fn start() {
    yew::Renderer::<App>::new().render();
}

/// What the inspector shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Nothing selected.
    None,
    /// An op (index into the view-model's ops).
    Op(usize),
    /// An edge (index into the view-model's edges).
    Edge(usize),
}

/// Messages of the root component.
pub enum Msg {
    /// The sample manifest arrived (or failed).
    Manifest(Result<Manifest, String>),
    /// Open a bundled sample with the run of this platform.
    OpenSample(String, String),
    /// Open a user's file.
    OpenFile(File),
    /// Select an op or edge; `true` asks the graph to centre it.
    Select(Selection, bool),
    /// Show the states after this snapshot.
    Step(usize),
    /// A file is dragged over the page.
    Dragging(bool),
    /// Hide the error banner.
    DismissError,
    /// The URL hash changed (a link, back/forward, a hand edit, or the page itself).
    HashChanged(String),
    /// Show this experiment (written to the URL first).
    Goto(Experiment),
    /// A lesson step: its hash, keeping the open lesson and course-mode flags.
    GotoHash(String),
    /// A run finished, for the experiment with this key.
    Ran(String, Box<Result<RunBundle, String>>),
    /// Open the Learn panel on a lesson (None: the lesson list).
    Learn(Option<String>),
    /// Close the Learn panel.
    CloseLearn,
    /// Select an op and highlight one of its TQCs.
    Pick(String, String),
}

/// Everything one experiment's runs produced.
pub struct RunBundle {
    doc: ViewModel,
    outputs: Vec<OutputError>,
    calibration: String,
    compare: Option<(String, Vec<OutputError>, Vec<TqcDiff>)>,
    quirks: Vec<TqcDiff>,
    file: Option<(String, Rc<Vec<u8>>)>,
}

/// The root component: header with the open controls, the graph with its legend and pass stepper, the TQC
/// inspector, and the wasm status line.
pub struct App {
    manifest: Option<Manifest>,
    doc: Option<Rc<ViewModel>>,
    sample: Option<(String, String)>,
    error: Option<String>,
    busy: Option<String>,
    selected: Selection,
    focus: u32,
    step: Option<usize>,
    dragging: bool,
    exp: Experiment,
    warnings: Vec<String>,
    loaded_key: Option<String>,
    pending_key: Option<String>,
    file: Option<(String, Rc<Vec<u8>>)>,
    outputs: Vec<OutputError>,
    calibration: String,
    compare: Option<(String, Vec<OutputError>, Rc<Vec<TqcDiff>>)>,
    quirks: Rc<Vec<TqcDiff>>,
    learn: bool,
    scroll: bool,
    _hash: url_state::HashListener,
}

/// The key of everything that needs a rerun (settings, sample, comparison).
fn run_key(e: &Experiment) -> String {
    format!("{}|{}", e.run_key(), e.compare.as_deref().unwrap_or(""))
}

/// Runs the experiment (and its `fixed` and comparison variants) with our pipeline.
async fn execute(exp: Experiment, file: Option<(String, Rc<Vec<u8>>)>) -> Result<RunBundle, String> {
    use crate::front::calib::calib_from_npy;
    use crate::front::run::run;
    let (name, bytes, calib, file) = match &exp.sample {
        Some(s) => {
            let bytes = Rc::new(loader::fetch_bytes(&format!("{s}.onnx")).await?);
            let calib = loader::fetch_bytes(&format!("calib/{s}.npy")).await.ok().and_then(|b| calib_from_npy(&b).ok());
            (s.clone(), bytes, calib, None)
        }
        None => match file {
            Some((n, b)) => (n.clone(), b.clone(), None, Some((n, b))),
            None => return Err("no model is open".into()),
        },
    };
    let out = match run(&bytes, &exp, calib.as_ref()) {
        Ok(out) => out,
        Err(e) if exp.sample.is_none() => {
            // a user's model the pipeline cannot run is still drawn
            let doc = ViewModel::from_onnx(&name, &bytes, None)?;
            return Ok(RunBundle {
                doc,
                outputs: Vec::new(),
                calibration: format!("not quantized: {e}"),
                compare: None,
                quirks: Vec::new(),
                file,
            });
        }
        Err(e) => return Err(format!("{name}: {e}")),
    };
    let to_view = |out: &crate::front::run::RunOutput, source: String| -> Result<ResultView, String> {
        let records = serde_json::to_string(&out.records).map_err(|e| e.to_string())?;
        let snaps = serde_json::to_string(&out.snapshots).map_err(|e| e.to_string())?;
        ResultView::from_json(source, &records, Some(&snaps))
    };
    let source = format!("Our pipeline: {} · {}", exp.label(), out.calibration);
    let doc = ViewModel::from_graph(&name, &out.graph, Some(to_view(&out, source)?));
    let quirks = if exp.quirks == crate::core::quirks::Quirks::Faithful {
        let fixed = Experiment { quirks: crate::core::quirks::Quirks::Fixed, ..exp.clone() };
        run(&bytes, &fixed, calib.as_ref()).map(|f| diff(&out.records, &f.records)).unwrap_or_default()
    } else {
        Vec::new()
    };
    let compare = match &exp.compare {
        Some(vs) => {
            let (right, warnings) = exp.with_overrides(vs);
            if let Some(w) = warnings.first() {
                return Err(format!("comparison: {w}"));
            }
            let r = run(&bytes, &right, calib.as_ref()).map_err(|e| format!("comparison ({}): {e}", right.label()))?;
            Some((right.label(), r.outputs, diff(&out.records, &r.records)))
        }
        None => None,
    };
    Ok(RunBundle { doc, outputs: out.outputs, calibration: out.calibration, compare, quirks, file })
}

impl Component for App {
    fn rendered(&mut self, _ctx: &Context<Self>, _first: bool) {
        let quirky: Vec<String> = self.quirks.iter().map(|d| d.id.clone()).collect();
        url_state::mark(self.exp.tqc.as_deref(), self.scroll, &quirky);
        self.scroll = false;
    }

    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        ctx.link().send_future(async { Msg::Manifest(loader::manifest().await) });
        let link = ctx.link().clone();
        let (exp, warnings) = Experiment::from_hash(&url_state::hash());
        Self {
            learn: exp.lesson.is_some(),
            exp,
            warnings,
            loaded_key: None,
            pending_key: None,
            file: None,
            outputs: Vec::new(),
            calibration: String::new(),
            compare: None,
            quirks: Rc::new(Vec::new()),
            scroll: true,
            _hash: url_state::HashListener::new(move |h| link.send_message(Msg::HashChanged(h))),
            manifest: None,
            doc: None,
            sample: None,
            error: None,
            busy: None,
            selected: Selection::None,
            focus: 0,
            step: None,
            dragging: false,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Manifest(Ok(m)) => {
                self.manifest = Some(m);
                self.apply(ctx, self.exp.clone());
            }
            Msg::Manifest(Err(e)) => self.error = Some(format!("The bundled samples are unavailable: {e}")),
            Msg::OpenSample(name, platform) => {
                let exp = Experiment {
                    sample: Some(name),
                    platform,
                    pass: None,
                    op: None,
                    tqc: None,
                    compare: None,
                    ..self.exp.clone()
                };
                url_state::push(&exp.to_hash());
                return false;
            }
            Msg::OpenFile(file) => {
                self.busy = Some(format!("Reading {}…", file.name()));
                let exp =
                    Experiment { sample: None, pass: None, op: None, tqc: None, compare: None, ..self.exp.clone() };
                let key = run_key(&exp);
                self.pending_key = Some(key.clone());
                ctx.link().send_future(async move {
                    let name = file.name();
                    let result = match loader::read_file(&file).await {
                        Ok(bytes) => execute(exp, Some((name, Rc::new(bytes)))).await,
                        Err(e) => Err(e),
                    };
                    Msg::Ran(key, Box::new(result))
                });
            }
            Msg::Pick(op, id) => {
                let exp = Experiment { op: Some(op), tqc: Some(id), ..self.exp.clone() };
                self.scroll = true;
                url_state::push(&exp.to_hash());
                return false;
            }
            Msg::HashChanged(h) => {
                let (exp, warnings) = Experiment::from_hash(&h);
                self.warnings = warnings;
                self.apply(ctx, exp);
            }
            Msg::Goto(exp) => {
                url_state::push(&exp.to_hash());
                return false;
            }
            Msg::GotoHash(h) => {
                let (mut exp, _) = Experiment::from_hash(&h);
                exp.lesson = self.exp.lesson.clone();
                exp.hide = self.exp.hide.clone();
                self.scroll = true;
                url_state::push(&exp.to_hash());
                return false;
            }
            Msg::Ran(key, result) => {
                if self.pending_key.as_deref() != Some(key.as_str()) {
                    return false; // a newer run is under way
                }
                self.pending_key = None;
                self.busy = None;
                match *result {
                    Ok(b) => {
                        if b.file.is_some() {
                            self.file = b.file;
                            self.exp = Experiment {
                                sample: None,
                                pass: None,
                                op: None,
                                tqc: None,
                                compare: None,
                                ..self.exp.clone()
                            };
                            url_state::push(&self.exp.to_hash());
                        }
                        self.sample = self.exp.sample.clone().map(|s| (s, self.exp.platform.clone()));
                        self.doc = Some(Rc::new(b.doc));
                        self.outputs = b.outputs;
                        self.calibration = b.calibration;
                        self.compare = b.compare.map(|(l, o, d)| (l, o, Rc::new(d)));
                        self.quirks = Rc::new(b.quirks);
                        self.loaded_key = Some(key);
                        self.error = None;
                        self.sync_view();
                    }
                    Err(e) => {
                        self.error = Some(format!(
                            "Could not open {e}{}",
                            if self.doc.is_some() { " — the previous model is still loaded." } else { "" }
                        ));
                        // the URL goes back to what is on screen
                        if let Some(k) = &self.loaded_key
                            && !k.is_empty()
                            && run_key(&self.exp) != *k
                        {
                            self.exp.sample = self.sample.as_ref().map(|(s, _)| s.clone());
                        }
                    }
                }
            }
            Msg::Learn(lesson) => {
                self.learn = true;
                let exp = Experiment { lesson, ..self.exp.clone() };
                url_state::push(&exp.to_hash());
                self.exp = exp;
            }
            Msg::CloseLearn => {
                self.learn = false;
                if self.exp.lesson.is_some() {
                    let exp = Experiment { lesson: None, ..self.exp.clone() };
                    url_state::push(&exp.to_hash());
                }
            }
            Msg::Select(sel, centre) => {
                self.selected = sel;
                if centre {
                    self.focus += 1;
                }
                let op = match (sel, &self.doc) {
                    (Selection::Op(i), Some(doc)) => doc.ops.get(i).map(|o| o.name.clone()),
                    _ => None,
                };
                if op != self.exp.op {
                    let keep = self.exp.tqc.as_deref().is_some_and(|t| op.as_deref() == t.split(':').next());
                    self.exp.tqc = self.exp.tqc.take().filter(|_| keep);
                    self.exp.op = op;
                    url_state::push(&self.exp.to_hash());
                }
            }
            Msg::Step(s) => {
                self.step = Some(s);
                self.exp.pass = Some(s);
                url_state::push(&self.exp.to_hash());
            }
            Msg::Dragging(d) => {
                if self.dragging == d {
                    return false;
                }
                self.dragging = d;
            }
            Msg::DismissError => self.error = None,
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let on_select = link.callback(|(s, centre)| Msg::Select(s, centre));
        let ondragover = link.callback(|e: DragEvent| {
            e.prevent_default();
            Msg::Dragging(true)
        });
        let ondragleave = link.callback(|e: DragEvent| {
            e.prevent_default();
            Msg::Dragging(false)
        });
        let ondrop = link.batch_callback(|e: DragEvent| {
            e.prevent_default();
            let file = e.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0));
            let mut msgs = vec![Msg::Dragging(false)];
            msgs.extend(file.map(Msg::OpenFile));
            msgs
        });
        let line = status::status_line();
        let ok = status::simd128_enabled();
        html! {
            <div class={classes!("app", self.dragging.then_some("dragging"))} {ondragover} {ondragleave} {ondrop}>
                <header class="topbar">
                    <h1>{ "PPQ Playground" }</h1>
                    if !self.exp.hides("open") {
                        <Toolbar
                            manifest={self.manifest.clone()}
                            sample={self.sample.clone()}
                            busy={self.busy.is_some()}
                            on_sample={link.callback(|(n, p)| Msg::OpenSample(n, p))}
                            on_file={link.callback(Msg::OpenFile)} />
                    }
                    if !self.exp.hides("learn") {
                        <button id="learn-toggle" class={classes!("button", self.learn.then_some("on"))} aria-expanded={self.learn.to_string()}
                            onclick={link.callback(|_| Msg::Learn(None))}>{ "Learn" }</button>
                    }
                </header>
                { self.view_banner(ctx) }
                if self.doc.is_some() {
                    <ExperimentPanel exp={self.exp.clone()} outputs={self.outputs.clone()} calibration={self.calibration.clone()}
                        hide_compare={self.exp.hides("compare")} hide_settings={self.exp.hides("settings")}
                        on_change={link.callback(Msg::Goto)} />
                }
                <div class={classes!("body", self.learn.then_some("with-learn"))}>
                    if self.learn {
                        <LessonsView lesson={self.exp.lesson.clone()} current={self.exp.to_hash()}
                            on_lesson={link.callback(Msg::Learn)} on_step={link.callback(Msg::GotoHash)}
                            on_close={link.callback(|_| Msg::CloseLearn)} />
                    }
                    <main class="workspace">
                        { self.view_main(ctx, on_select.clone()) }
                    </main>
                </div>
                <footer class="footer">
                    <p id="wasm-status" class={classes!("status", if ok { "ok" } else { "warn" })}
                       data-simd={ if ok { "on" } else { "off" } }>
                        { line }
                    </p>
                </footer>
                if self.dragging {
                    <div class="drop-hint" aria-hidden="true">{ "Drop an .onnx file to open it (read in this tab, never uploaded)" }</div>
                }
            </div>
        }
    }
}

impl App {
    /// Shows `exp`: reruns the pipeline when its settings differ from what is on screen, else only moves the
    /// pass slider and the selection.
    fn apply(&mut self, ctx: &Context<Self>, exp: Experiment) {
        self.learn |= exp.lesson.is_some();
        if exp.tqc != self.exp.tqc {
            self.scroll = true;
        }
        self.exp = exp;
        if self.manifest.is_none() {
            return; // applied again when the manifest arrives
        }
        if let Some(s) = &self.exp.sample
            && !self.manifest.as_ref().is_some_and(|m| m.samples.iter().any(|x| x.name == *s))
        {
            self.warnings.push(format!("there is no bundled sample named '{s}'"));
            self.exp.sample = None;
        }
        if self.exp.sample.is_none() && self.file.is_none() {
            return;
        }
        let key = run_key(&self.exp);
        if self.loaded_key.as_ref() == Some(&key) {
            self.pending_key = None;
            self.busy = None;
            self.sync_view();
            return;
        }
        if self.pending_key.as_ref() == Some(&key) {
            return;
        }
        self.pending_key = Some(key.clone());
        self.busy = Some(match &self.exp.sample {
            Some(s) => format!("Quantizing {s} ({})…", self.exp.label()),
            None => format!("Quantizing ({})…", self.exp.label()),
        });
        let (exp, file) = (self.exp.clone(), self.file.clone());
        ctx.link().send_future(async move {
            let result = execute(exp, file).await;
            Msg::Ran(key, Box::new(result))
        });
    }

    /// Pass slider and selection from the experiment.
    fn sync_view(&mut self) {
        let Some(doc) = &self.doc else { return };
        let n = doc.result.as_ref().map_or(0, |r| r.snapshots.len());
        let pass = self.exp.pass.filter(|&p| p < n);
        if let Some(p) = self.exp.pass
            && pass.is_none()
            && n > 0
        {
            self.warnings
                .push(format!("pass position {p} does not exist (this run has {n} snapshots, 0 to {})", n - 1));
        }
        self.step = pass.or(n.checked_sub(1));
        let sel = match &self.exp.op {
            Some(name) => match doc.op_index(name) {
                Some(i) => Selection::Op(i),
                None => {
                    self.warnings.push(format!("there is no op named '{name}' in {}", doc.name));
                    Selection::None
                }
            },
            None => Selection::None,
        };
        if sel != self.selected {
            self.selected = sel;
            self.focus += 1;
        }
    }

    fn view_banner(&self, ctx: &Context<Self>) -> Html {
        html! {
            <>
                if let Some(busy) = &self.busy {
                    <p class="banner busy" role="status">{ busy }</p>
                }
                if !self.warnings.is_empty() {
                    <div id="link-warning" class="banner warn" role="status">
                        <span>{ format!("Parts of the link were ignored: {}", self.warnings.join("; ")) }</span>
                    </div>
                }
                if let Some(err) = &self.error {
                    <div id="load-error" class="banner error" role="alert">
                        <span>{ err }</span>
                        <button class="link" onclick={ctx.link().callback(|_| Msg::DismissError)}>{ "Dismiss" }</button>
                    </div>
                }
            </>
        }
    }

    fn view_main(&self, ctx: &Context<Self>, on_select: Callback<(Selection, bool)>) -> Html {
        let Some(doc) = &self.doc else { return self.view_welcome(ctx) };
        let result = doc.result.as_ref();
        html! {
            <>
                <section class="graph-pane" aria-label="Graph">
                    <div class="doc-title">
                        <strong id="model-name">{ &doc.name }</strong>
                        <span class="muted">{ format!(" · {} ops", doc.ops.len()) }</span>
                        <span id="result-source" class="source">
                            { result.map(|r| r.source.clone()).unwrap_or_else(||
                                "Graph only: formatted and dispatched here (TRT_INT8 op types); no quantization result loaded".into()) }
                        </span>
                    </div>
                    <GraphView doc={doc.clone()} step={self.step} selected={self.selected}
                        focus={self.focus} on_select={on_select.clone()} />
                    <Legend />
                    if let Some(r) = result.filter(|r| !r.snapshots.is_empty() && !self.exp.hides("stepper")) {
                        <Stepper passes={Rc::new(r.snapshots.iter().map(|s| (s.pass.clone(), s.pipeline.clone())).collect::<Vec<_>>())}
                            step={self.step.unwrap_or(0)} on_step={ctx.link().callback(Msg::Step)} />
                    }
                </section>
                <div class="side">
                    <Inspector doc={doc.clone()} step={self.step} selected={self.selected} {on_select} />
                    <QuirkNotes diffs={self.quirks.clone()} op={self.exp.op.clone()} />
                    if let Some((right, right_out, diffs)) = &self.compare {
                        <CompareView left={self.exp.label()} right={right.clone()} diffs={diffs.clone()}
                            left_out={self.outputs.clone()} right_out={right_out.clone()}
                            on_pick={ctx.link().callback(|(op, id)| Msg::Pick(op, id))} />
                    }
                </div>
            </>
        }
    }

    fn view_welcome(&self, ctx: &Context<Self>) -> Html {
        let samples = self.manifest.as_ref().map(|m| m.samples.clone()).unwrap_or_default();
        html! {
            <section class="welcome">
                <p class="lede">
                    { "Neural-network quantization as PPQ does it, in your browser. Open a small ONNX model and see \
                       every tensor quantization config (TQC) with its policy, state and alignment group; step \
                       through the pipeline pass by pass. Nothing leaves your machine." }
                </p>
                <h2>{ "Start with a sample" }</h2>
                <ul class="sample-cards">
                    { for samples.into_iter().map(|s| {
                        let name = s.name.clone();
                        let onclick = ctx.link().callback(move |_| Msg::OpenSample(name.clone(), "TRT_INT8".into()));
                        html! {
                            <li>
                                <button class="card" data-sample={s.name.clone()} {onclick}>
                                    <strong>{ &s.name }</strong>
                                    <span>{ &s.about }</span>
                                </button>
                            </li>
                        }
                    }) }
                </ul>
                <p class="muted">{ "…or open your own .onnx file with the button above, or drop it anywhere on the page." }</p>
            </section>
        }
    }
}

//! The yew web app. It renders what the core reports and keeps no quantization logic of its own: the graph
//! comes from the graph layer, states and scales from TQC records — of our pipeline, run in a Web Worker
//! (`app-worker`, see [`ppq_worker::worker`]), or of the bundled real-PPQ results for comparison.

mod analysis;
mod baking_panel;
mod cells;
pub(crate) mod colors;
mod compare_view;
mod graph_view;
mod histogram;
mod image_calib;
mod inspector;
mod keep_float;
mod legend;
mod lessons_view;
mod loader;
mod model;
mod open_check;
mod pipeline_panel;
mod runner;
mod sensitivity_view;
mod settings_panel;
mod snr_view;
mod stepper;
mod sweep_view;
mod teach_runner;
mod theme;
mod toolbar;
mod tqc_card;
mod url_state;
mod views;
mod weight_ranges;

use compare_view::{CompareView, QuirkNotes};
use graph_view::GraphView;
use inspector::Inspector;
use legend::Legend;
use lessons_view::LessonsView;
use loader::Manifest;
use model::{DiffRow, ResultView, ViewModel, diff_results, parse_graph};
use pipeline_panel::{Command, PipelinePanel, RunSummary, Source};
use ppq_graph::BaseGraph;
use ppq_pipeline::analysis::OutputError;
use ppq_session as session;
use ppq_session::SessionSettings;
use ppq_session::calib::{CalibData, calib_from_json, calib_from_npy};
use ppq_session::status;
use ppq_teach::compare::TqcDiff;
use ppq_teach::experiment::Experiment;
use ppq_worker::protocol::{CalibSource, Request, Response, RunState};
use runner::WorkerHandle;
use settings_panel::SettingsPanel;
use std::rc::Rc;
use stepper::Stepper;
use toolbar::Toolbar;
use web_sys::{DragEvent, File};
use yew::prelude::*;

/// Mounts the app on `<body>`, after installing a panic hook that shows any panic on the page.
pub fn start() {
    // Through yew: a plain std::panic::set_hook is overwritten by yew's console-only hook when it renders.
    yew::set_custom_panic_hook(Box::new(|info| {
        web_sys::console::error_1(&info.to_string().into());
        runner::show_fatal(&format!("The page crashed: {info}. Reload the page."));
    }));
    yew::Renderer::<App>::new().render();
}

/// A model opened on the page: its bytes (sent to the worker), its graph (drawn), the real-PPQ result and
/// the calibration data that came with it.
pub struct Opened {
    name: String,
    bytes: Vec<u8>,
    graph: BaseGraph,
    ppq: Option<ResultView>,
    calib: Option<(CalibSource, String, usize)>,
    /// A bundled sample (in the URL), not a user's file.
    bundled: bool,
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
    /// Fetch a bundled sample a link names, for the pipeline panel (the link's experiment stays).
    LoadSample(String, String),
    /// Open a user's file.
    OpenFile(File),
    /// A user's file was read (name, bytes or why not): the worker checks it next.
    FileRead(String, Result<Vec<u8>, String>),
    /// The worker's check of the file with this ticket is overdue.
    OpenTimeout(u64),
    /// A model finished loading (or failed; the previous one stays).
    Loaded(Box<Result<Opened, String>>),
    /// The worker answered.
    Worker(Box<Response>),
    /// New seed for random calibration data.
    Seed(u64),
    /// Read calibration files (one `.json` / `.npy`, or PNG/JPEG images).
    CalibFile(Vec<File>),
    /// Image files were read.
    CalibImages(Result<image_calib::ImageFiles, String>),
    /// New image preprocessing options (or why the typed text is invalid).
    ImageOptions(Result<ppq_session::calib::ImageOptions, String>),
    /// A calibration file was read (source, label, sample count).
    CalibLoaded(Result<(CalibSource, String, usize), String>),
    /// A pipeline command.
    Run(Command),
    /// Show another result.
    Source(Source),
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
    /// The sample of the experiment with this key is fetched and its graph prepared: post it to the worker.
    Fetched(String, Box<Result<teach_runner::Fetched, String>>),
    /// The runs of the experiment with this key finished (in the worker, see [`teach_runner`]).
    Ran(String, Box<Result<RunBundle, String>>),
    /// Open the Learn panel on a lesson (None: the lesson list).
    Learn(Option<String>),
    /// Close the Learn panel.
    CloseLearn,
    /// Select an op and highlight one of its TQCs.
    Pick(String, String),
    /// An action in the analysis panels (keep in float, sensitivity, error colouring).
    Analysis(analysis::AnalysisMsg),
}

/// Everything one experiment's runs produced.
pub struct RunBundle {
    doc: ViewModel,
    outputs: Vec<OutputError>,
    compare: Option<(String, Vec<OutputError>, Vec<TqcDiff>)>,
    quirks: Vec<TqcDiff>,
    extras: teach_runner::Extras,
}

/// The key of everything that needs a rerun (settings, sample, comparison).
fn run_key(e: &Experiment, calib_gen: u64) -> String {
    format!("{}|{}|{}|{calib_gen}", e.run_key(), e.compare.as_deref().unwrap_or(""), e.sweep.as_deref().unwrap_or(""))
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
    doc_name: String,
    graph: Option<Rc<BaseGraph>>,
    model_bytes: Option<Rc<Vec<u8>>>,
    calib: Option<(CalibSource, String, usize)>,
    images: image_calib::ImageCalib,
    seed: Option<u64>,
    /// Calibration data the user loaded for the open sample (instead of its bundled data), and a counter
    /// that changes with it, so the experiment reruns on it.
    user_calib: Option<(CalibSource, String, usize)>,
    calib_gen: u64,
    /// The one worker: the pipeline panel's session and the experiments' runs.
    worker: Option<WorkerHandle>,
    /// A user's file the worker is checking before the page opens it.
    opening: open_check::Opening,
    /// Generation of (model, calibration, settings); the worker holds generation `worker_gen`.
    generation: u64,
    worker_gen: Option<u64>,
    /// Requests sent and not answered yet.
    pending: usize,
    chain_failed: bool,
    progress: Option<(usize, usize, String)>,
    ours: Option<(Rc<RunSummary>, ResultView)>,
    ppq: Option<ResultView>,
    source: Source,
    diff: Option<Rc<Vec<DiffRow>>>,
    exp: Experiment,
    warnings: Vec<String>,
    loaded_key: Option<String>,
    pending_key: Option<String>,
    outputs: Vec<OutputError>,
    compare: Option<(String, Vec<OutputError>, Rc<Vec<TqcDiff>>)>,
    quirks: Rc<Vec<TqcDiff>>,
    learn: bool,
    scroll: bool,
    analysis: analysis::Analysis,
    /// The experiment whose runs are in the worker, and the one waiting for it.
    in_flight: Option<teach_runner::InFlight>,
    /// The key of the experiment run whose result is on screen (a late-arriving sample load must not replace it).
    shown_run: Option<String>,
    waiting: Option<(String, teach_runner::Fetched)>,
    extras: Rc<teach_runner::Extras>,
    _hash: url_state::HashListener,
}

/// Random calibration data's sample count for models without their own.
const RANDOM_SAMPLES: usize = 16;

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
            outputs: Vec::new(),
            compare: None,
            quirks: Rc::new(Vec::new()),
            scroll: true,
            analysis: analysis::Analysis::default(),
            in_flight: None,
            shown_run: None,
            waiting: None,
            extras: Rc::default(),
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
            doc_name: String::new(),
            graph: None,
            model_bytes: None,
            calib: None,
            images: image_calib::ImageCalib::default(),
            seed: None,
            user_calib: None,
            calib_gen: 0,
            worker: WorkerHandle::spawn(ctx.link()).ok(),
            opening: open_check::Opening::default(),
            generation: 0,
            worker_gen: None,
            pending: 0,
            chain_failed: false,
            progress: None,
            ours: None,
            ppq: None,
            source: Source::Ppq,
            diff: None,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Manifest(Ok(m)) => {
                self.manifest = Some(m);
                self.apply(ctx, self.exp.clone());
            }
            Msg::Manifest(Err(e)) => self.error = Some(format!("The bundled samples are unavailable: {e}")),
            Msg::OpenSample(name, platform) => self.open_sample(ctx, name, platform, true),
            Msg::LoadSample(name, platform) => self.open_sample(ctx, name, platform, false),
            Msg::OpenFile(file) => {
                self.busy = Some(format!("Reading {}…", file.name()));
                ctx.link().send_future(async move {
                    let name = file.name();
                    let bytes = loader::read_file(&file).await;
                    Msg::FileRead(name, bytes)
                });
            }
            Msg::FileRead(name, Ok(bytes)) => self.check_file(ctx, name, bytes),
            Msg::FileRead(_, Err(e)) => {
                self.busy = None;
                self.error = Some(format!(
                    "Could not open {e}{}",
                    if self.doc.is_some() { " — the previous model is still loaded." } else { "" }
                ));
            }
            Msg::OpenTimeout(ticket) => self.open_timed_out(ctx, ticket),
            Msg::Loaded(result) => {
                self.busy = None;
                match *result {
                    Ok(o) => {
                        if !o.bundled {
                            // a user's file is not in the URL
                            self.loaded_key = None;
                            // the settings on screen stay: they are the user's choices, not the sample's
                            self.exp = Experiment {
                                lesson: self.exp.lesson.clone(),
                                hide: self.exp.hide.clone(),
                                settings: self.exp.settings.clone(),
                                ..Experiment::default()
                            };
                            self.user_calib = None;
                            url_state::push(&self.exp.to_hash());
                        }
                        self.opened(ctx, o);
                        self.sync_view();
                    }
                    Err(e) => {
                        self.error = Some(format!(
                            "Could not open {e}{}",
                            if self.doc.is_some() { " — the previous model is still loaded." } else { "" }
                        ))
                    }
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
                self.request_stats();
                if op != self.exp.op && self.exp.sample.is_some() {
                    let keep = self.exp.tqc.as_deref().is_some_and(|t| op.as_deref() == t.split(':').next());
                    self.exp.tqc = self.exp.tqc.take().filter(|_| keep);
                    self.exp.op = op;
                    url_state::push(&self.exp.to_hash());
                }
            }
            Msg::Step(s) => {
                self.step = Some(s);
                if self.exp.sample.is_some() {
                    self.exp.pass = Some(s);
                    url_state::push(&self.exp.to_hash());
                }
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
            Msg::Pick(op, id) => {
                let exp = Experiment { op: Some(op), tqc: Some(id), ..self.exp.clone() };
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
                        self.doc = Some(Rc::new(b.doc));
                        self.outputs = b.outputs;
                        self.compare = b.compare.map(|(l, o, d)| (l, o, Rc::new(d)));
                        self.quirks = Rc::new(b.quirks);
                        self.extras = Rc::new(b.extras);
                        self.shown_run = Some(key.clone());
                        self.loaded_key = Some(key);
                        self.error = None;
                        self.sync_view();
                    }
                    Err(e) => {
                        self.error = Some(format!(
                            "Could not run {e}{}",
                            if self.doc.is_some() { " — the previous result is still shown." } else { "" }
                        ))
                    }
                }
            }
            Msg::Fetched(key, result) => return self.on_fetched(ctx, key, *result),
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
            Msg::Dragging(d) => {
                if self.dragging == d {
                    return false;
                }
                self.dragging = d;
            }
            Msg::DismissError => self.error = None,
            Msg::Worker(r) => {
                if matches!(*r, Response::Report { .. }) {
                    return self.on_experiment_response(ctx, *r);
                }
                self.on_worker(ctx, *r)
            }
            Msg::Seed(seed) if self.exp.sample.is_some() => {
                // a sample's data is part of its experiment: 0 is the bundled data, any other seed random inputs
                let exp = Experiment { seed: u32::try_from(seed).unwrap_or(u32::MAX), pass: None, ..self.exp.clone() };
                self.images.clear();
                self.user_calib = None;
                self.calib_gen += 1;
                url_state::push(&exp.to_hash());
                return false;
            }
            Msg::Seed(seed) => {
                self.images.clear();
                self.seed = Some(seed);
                self.calib = Some(random_calib(seed));
                self.invalidate();
            }
            Msg::CalibFile(files) => {
                match image_calib::all_images(&files) {
                    Some(true) => {
                        ctx.link().send_future(async move { Msg::CalibImages(image_calib::read_images(files).await) });
                        return false;
                    }
                    Some(false) if files.len() == 1 => {}
                    _ => {
                        self.error = Some("Choose one .json or .npy file, or PNG/JPEG images.".into());
                        return true;
                    }
                }
                let Some(file) = files.into_iter().next() else { return false };
                let graph = self.graph.clone();
                ctx.link().send_future(async move {
                    let name = file.name();
                    let result = async {
                        let bytes = loader::read_file(&file).await?;
                        // Checked against the open model now, so a bad file is refused before any run.
                        let checked = |data: CalibData| match &graph {
                            Some(g) => session::check_calib(g, &data).map(|()| data.samples.len()),
                            None => Ok(data.samples.len()),
                        };
                        if name.to_ascii_lowercase().ends_with(".npy") {
                            let n = calib_from_npy(&bytes).and_then(checked).map_err(|e| format!("{name}: {e}"))?;
                            Ok((CalibSource::Npy(bytes), format!("{name}, {n} samples"), n))
                        } else {
                            let text = String::from_utf8(bytes).map_err(|_| format!("{name}: not UTF-8 text"))?;
                            let n = calib_from_json(&text).and_then(checked).map_err(|e| format!("{name}: {e}"))?;
                            Ok((CalibSource::Json(text), format!("{name}, {n} samples"), n))
                        }
                    }
                    .await;
                    Msg::CalibLoaded(result)
                });
                return false;
            }
            Msg::CalibImages(Ok(files)) => {
                let req = self.graph.clone().map(|g| self.images.choose(&g, files));
                self.check_images(req);
            }
            Msg::ImageOptions(Ok(o)) => {
                let req = self.graph.clone().and_then(|g| self.images.set_options(&g, o));
                self.check_images(req);
            }
            Msg::CalibImages(Err(e)) | Msg::ImageOptions(Err(e)) => {
                self.error = Some(format!("Could not read calibration data: {e}"));
            }
            Msg::CalibLoaded(Ok(c)) => {
                if !matches!(c.0, CalibSource::Images { .. }) {
                    self.images.clear();
                }
                self.seed = None;
                if self.exp.sample.is_some() {
                    // the sample's experiment reruns on the user's data
                    self.user_calib = Some(c.clone());
                    self.calib_gen += 1;
                    self.calib = Some(c);
                    self.invalidate();
                    self.apply(ctx, self.exp.clone());
                    return true;
                }
                self.calib = Some(c);
                self.invalidate();
            }
            Msg::CalibLoaded(Err(e)) => self.error = Some(format!("Could not read calibration data: {e}")),
            Msg::Run(cmd) => self.run(ctx, cmd),
            Msg::Analysis(m) => return self.on_analysis(ctx, m),
            Msg::Source(src) => {
                self.source = src;
                self.rebuild_doc();
            }
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
                    <theme::ThemeToggle />
                    if !self.exp.hides("learn") {
                        <button id="learn-toggle" class={classes!("button", self.learn.then_some("on"))} aria-expanded={self.learn.to_string()}
                            onclick={link.callback(|_| Msg::Learn(None))}>{ "Learn" }</button>
                    }
                </header>
                { self.view_banner(ctx) }
                if self.doc.is_some() {
                    <SettingsPanel exp={self.exp.clone()} outputs={self.outputs.clone()}
                        hide_compare={self.exp.hides("compare")} hide_settings={self.exp.hides("settings")}
                        sample={self.exp.sample.is_some()} busy={self.pending > 0}
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

/// Random calibration data from `seed`.
fn random_calib(seed: u64) -> (CalibSource, String, usize) {
    (CalibSource::Random { seed, count: RANDOM_SAMPLES }, format!("random, {RANDOM_SAMPLES} samples"), RANDOM_SAMPLES)
}

impl App {
    /// Shows `exp`: reruns our pipeline when its settings differ from what is on screen, else only moves the
    /// pass slider and the selection.
    fn apply(&mut self, ctx: &Context<Self>, exp: Experiment) {
        self.learn |= exp.lesson.is_some();
        if exp.tqc != self.exp.tqc {
            self.scroll = true;
        }
        if exp.settings != self.exp.settings || exp.seed != self.exp.seed {
            // the pipeline panel's session was made with other choices: it no longer applies
            self.invalidate();
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
        let Some(sample) = self.exp.sample.clone() else {
            return; // the user's own file (or nothing) stays as it is
        };
        // the real-PPQ run shown beside ours is the one of the chosen platform (or the sample's first)
        let platform = self.exp.settings.platform.clone();
        let ppq_run = self.manifest.as_ref().and_then(|m| m.samples.iter().find(|s| s.name == sample)).and_then(|s| {
            s.runs.iter().find(|r| r.platform == platform).or(s.runs.first()).map(|r| r.platform.clone())
        });
        if self.sample.as_ref() != Some(&(sample.clone(), ppq_run.unwrap_or_default())) {
            // a link opened the sample, or the platform changed: fetch it for the pipeline panel too (its model,
            // data and PPQ's result for this platform)
            ctx.link().send_message(Msg::LoadSample(sample, platform));
        }
        let key = run_key(&self.exp, self.calib_gen);
        if self.loaded_key.as_ref() == Some(&key) {
            self.pending_key = None;
            self.sync_view();
            return;
        }
        if self.pending_key.as_ref() == Some(&key) {
            return;
        }
        self.pending_key = Some(key.clone());
        self.busy = Some(format!("Quantizing {} ({})…", self.exp.sample.as_deref().unwrap_or(""), self.exp.label()));
        let exp = self.exp.clone();
        ctx.link().send_future(async move {
            let result = teach_runner::fetch(exp).await;
            Msg::Fetched(key, Box::new(result))
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
            // An edge is not in the URL: selecting one clears the op there, and must survive that hash change.
            None if matches!(self.selected, Selection::Edge(_)) => self.selected,
            None => Selection::None,
        };
        if sel != self.selected {
            self.selected = sel;
            self.focus += 1;
        }
    }

    /// A new model is open: keep its graph, bytes, PPQ result and calibration data; our run starts over.
    fn opened(&mut self, ctx: &Context<Self>, o: Opened) {
        // our run of this sample's experiment is already drawn: keep it (and the data it read), take the rest
        let keep = self.shown_run.is_some() && self.exp.sample.as_deref() == Some(o.name.as_str());
        if keep {
            self.doc_name = o.name.clone();
            if self.calib.is_none() {
                self.calib = o.calib;
            }
            self.graph = Some(Rc::new(o.graph));
            self.model_bytes = Some(Rc::new(o.bytes));
            self.ppq = o.ppq;
            self.invalidate();
            return;
        }
        self.doc_name = o.name.clone();
        if !o.bundled {
            self.sample = None;
        }
        self.images.clear();
        self.seed = if o.calib.is_some() { None } else { Some(0) };
        self.calib = Some(o.calib.unwrap_or_else(|| random_calib(0)));
        self.graph = Some(Rc::new(o.graph));
        self.model_bytes = Some(Rc::new(o.bytes));
        self.ppq = o.ppq;
        self.source = Source::Ppq;
        self.selected = Selection::None;
        self.error = None;
        self.doc = None;
        self.invalidate();
        if self.pending > 0 {
            // A run of the previous model is in flight: stop it.
            self.restart_worker(ctx);
        }
        self.rebuild_doc();
    }

    /// Fetches a bundled sample (model, real-PPQ result of `platform`, calibration data) for the pipeline panel;
    /// `push`: the user picked it, so the URL becomes the sample's baseline experiment (a link already has one).
    fn open_sample(&mut self, ctx: &Context<Self>, name: String, platform: String, push: bool) {
        let Some(m) = &self.manifest else { return };
        let Some(sample) = m.samples.iter().find(|s| s.name == name).cloned() else { return };
        let run = sample.runs.iter().find(|r| r.platform == platform).or(sample.runs.first()).cloned();
        let version = m.ppq_version.clone();
        self.selected = Selection::None;
        self.sample = Some((name.clone(), run.as_ref().map(|r| r.platform.clone()).unwrap_or_default()));
        if push {
            self.busy = Some(format!("Opening {name}…"));
            self.shown_run = None;
            // The URL follows; real PPQ's result stands for our default run of this sample and platform.
            let mut exp = Experiment {
                lesson: self.exp.lesson.clone(),
                hide: self.exp.hide.clone(),
                ..Experiment::for_sample(&name)
            };
            if let Some(r) = &run {
                exp.settings.platform = r.platform.clone();
            }
            self.user_calib = None;
            self.calib_gen += 1;
            self.loaded_key = Some(run_key(&exp, self.calib_gen));
            self.pending_key = None;
            self.outputs.clear();
            self.compare = None;
            self.quirks = Rc::new(Vec::new());
            self.exp = exp;
            url_state::push(&self.exp.to_hash());
        }
        ctx.link().send_future(async move {
            let result = async {
                let bytes = loader::fetch_bytes(&sample.model).await?;
                let ppq = match &run {
                    Some(r) => {
                        let tqc = loader::fetch_text(&format!("{}/tqc.json", r.dir)).await?;
                        let passes = loader::fetch_text(&format!("{}/passes.json", r.dir)).await?;
                        let source = format!("Result of real PPQ {version}, {}, {}", r.platform, r.observer);
                        let result = ResultView::from_json(source, &tqc, Some(&passes));
                        Some(result.map_err(|e| format!("{}/{e}", r.dir))?)
                    }
                    None => None,
                };
                let calib = match &sample.calib {
                    Some(path) => {
                        let text = loader::fetch_text(path).await?;
                        let n = calib_from_json(&text).map_err(|e| format!("{path}: {e}"))?.samples.len();
                        Some((CalibSource::Json(text), format!("bundled, {n} samples"), n))
                    }
                    None => None,
                };
                let graph = parse_graph(&sample.name, &bytes).await?;
                Ok(Opened { name: sample.name.clone(), bytes, graph, ppq, calib, bundled: true })
            }
            .await;
            Msg::Loaded(Box::new(result))
        });
    }

    /// Model, data or settings changed: our previous run no longer applies.
    fn invalidate(&mut self) {
        self.generation += 1;
        self.analysis = analysis::Analysis::default();
        if let Some((run, _)) = self.ours.take() {
            runner::revoke(&run.downloads);
        }
        self.diff = None;
        if self.source == Source::Ours {
            self.source = Source::Ppq;
            self.rebuild_doc();
        }
    }

    fn restart_worker(&mut self, ctx: &Context<Self>) {
        self.worker = None; // dropping terminates it
        self.fail_in_flight(ctx, "the run was stopped");
        self.worker = WorkerHandle::spawn(ctx.link()).map_err(|e| self.error = Some(e)).ok();
        self.worker_gen = None;
        self.pending = 0;
        self.progress = None;
        self.analysis.on_error();
    }

    fn post(&mut self, req: &Request) {
        let Some(w) = &self.worker else {
            self.error = Some("The pipeline worker is not running; reload the page.".into());
            return;
        };
        match w.post(req) {
            Ok(()) => self.pending += 1,
            Err(e) => self.error = Some(e),
        }
    }

    fn run(&mut self, ctx: &Context<Self>, cmd: Command) {
        if cmd == Command::Cancel {
            self.restart_worker(ctx);
            if let Some((run, _)) = self.ours.take() {
                runner::revoke(&run.downloads);
            }
            self.source = Source::Ppq;
            self.rebuild_doc();
            self.error = Some("Cancelled: the pipeline is back before its first pass.".into());
            return;
        }
        let (Some(bytes), Some((calib, _, _))) = (self.model_bytes.clone(), self.calib.clone()) else { return };
        self.chain_failed = false;
        self.error = None;
        if self.worker.is_none() {
            self.restart_worker(ctx);
        }
        if self.worker_gen != Some(self.generation) {
            let load = Request::Load {
                name: self.doc_name.clone(),
                model: bytes.to_vec(),
                calib,
                settings: self.exp.settings.clone(),
            };
            self.post(&load);
            self.worker_gen = Some(self.generation);
            if cmd == Command::Reset {
                return;
            }
        }
        let req = match cmd {
            Command::Step => Request::Step,
            Command::RunAll => Request::RunAll,
            Command::Reset | Command::Cancel => Request::Reset,
        };
        self.post(&req);
        if self.pending > 0 && self.progress.is_none() {
            let total = self.ours.as_ref().map_or(0, |(r, _)| r.passes.len());
            let done = self.ours.as_ref().map_or(0, |(r, _)| r.position);
            self.progress = Some((done, total, "starting".into()));
        }
    }

    fn on_worker(&mut self, ctx: &Context<Self>, r: Response) {
        match r {
            Response::Hello | Response::Report { .. } => {}
            Response::Opened { ticket, result } => self.on_opened(ctx, ticket, result),
            Response::CalibChecked { ticket, result } => match self.images.answer(ticket, result) {
                Some(Ok(c)) => ctx.link().send_message(Msg::CalibLoaded(Ok(c))),
                Some(Err(e)) => self.error = Some(format!("Could not read calibration data: {e}")),
                None => {}
            },
            Response::Progress { done, total, pass } => self.progress = Some((done, total, pass)),
            Response::State(state) => {
                self.pending = self.pending.saturating_sub(1);
                if self.pending == 0 {
                    self.progress = None;
                }
                self.take_state(*state);
            }
            r @ (Response::SensitivityProgress { .. } | Response::Sensitivity(_) | Response::OpStats(_)) => {
                self.analysis_response(r)
            }
            Response::Error(e) => {
                self.analysis.on_error();
                self.pending = self.pending.saturating_sub(1);
                if self.pending == 0 {
                    self.progress = None;
                }
                if !self.chain_failed {
                    self.error = Some(format!("Pipeline: {e}"));
                }
                self.chain_failed = true;
                if self.ours.is_none() {
                    self.worker_gen = None;
                }
            }
            Response::Crashed(e) => {
                self.fail_in_flight(ctx, &e);
                self.restart_worker(ctx);
                // (a panic posts Crashed and its trap may fire the error event too: the first message is kept)
                if !self.open_crashed(&e) && self.error.is_none() {
                    // The model and the results on screen stay; the fresh worker loads the model on the next run.
                    self.error = Some(format!(
                        "{e} — a fresh worker was started; the open model and the results shown are kept, run \
                         again to continue."
                    ));
                }
            }
        }
    }

    fn take_state(&mut self, s: RunState) {
        self.analysis.on_state(&s);
        let steps = s.settings.steps_for(s.samples).map_or_else(|e| e, |n| format!("{n} calibration steps"));
        let changed = s.settings.label(&self.exp.baseline());
        let label = format!(
            "Ours: {} · {} · {} · {} samples · {steps} · pass {} of {}{}",
            s.settings.platform,
            s.settings.profile.name(),
            s.settings.observer.as_deref().unwrap_or("the platform's observers"),
            s.samples,
            s.position,
            s.passes.len(),
            if changed.is_empty() || changed == s.settings.platform { String::new() } else { format!(" · {changed}") }
        );
        let result = match ResultView::from_json(label, &s.tqc_json, Some(&s.snapshots_json)) {
            Ok(r) => r,
            Err(e) => {
                self.error = Some(format!("The worker's answer is unreadable: {e}"));
                return;
            }
        };
        if let Some((old, _)) = self.ours.take() {
            runner::revoke(&old.downloads);
        }
        let finished = s.position == s.passes.len();
        let (downloads, download_error) = runner::downloads(&s.name, &s.settings.platform, &s.files);
        let summary = RunSummary {
            passes: s.passes,
            position: s.position,
            samples: s.samples,
            ran: s.ran,
            downloads,
            export_error: s.export_error.or(download_error),
        };
        self.diff = match (&self.ppq, finished) {
            (Some(ppq), true) if self.comparable() => Some(Rc::new(diff_results(&result, ppq))),
            _ => None,
        };
        self.ours = Some((Rc::new(summary), result));
        self.source = Source::Ours;
        self.rebuild_doc();
        self.request_stats();
    }

    /// Whether the real-PPQ result was made with our current settings: the sample's baseline (minmax, one
    /// pass over its data, PPQ 0.6.6) on its platform, with its bundled data.
    fn comparable(&self) -> bool {
        let Some(ppq_platform) = self.ppq.as_ref().and_then(|r| r.tqcs.first()).map(|t| t.platform.clone()) else {
            return false;
        };
        let want = SessionSettings { platform: ppq_platform, ..ppq_teach::experiment::baseline(Some("sample")) };
        self.exp.settings == want && self.exp.seed == 0 && self.user_calib.is_none()
    }

    fn diff_note(&self) -> Option<String> {
        let ppq = self.ppq.as_ref()?;
        self.ours.as_ref()?;
        if !self.comparable() {
            let p = ppq.tqcs.first().map_or("?", |t| t.platform.as_str());
            return Some(format!(
                "Real PPQ's bundled result is {p} · minmax · all calibration samples once, on the bundled data: \
                 choose those settings to compare."
            ));
        }
        Some("Run every pass to compare with real PPQ.".into())
    }

    /// Draws the graph with the result of the chosen source.
    fn rebuild_doc(&mut self) {
        let Some(graph) = &self.graph else { return };
        let result = match self.source {
            Source::Ours => self.ours.as_ref().map(|(_, r)| r.clone()),
            Source::Ppq => self.ppq.clone(),
        };
        let doc = ViewModel::from_graph(&self.doc_name, graph, result);
        self.step = doc.result.as_ref().and_then(|r| r.snapshots.len().checked_sub(1));
        if let Selection::Op(i) = self.selected
            && i >= doc.ops.len()
        {
            self.selected = Selection::None;
        }
        if let Selection::Edge(i) = self.selected
            && i >= doc.edges.len()
        {
            self.selected = Selection::None;
        }
        self.doc = Some(Rc::new(doc));
    }

    /// Posts an image check to the worker (not a pipeline request: its answer leaves `pending` alone).
    fn check_images(&mut self, req: Option<Result<Request, String>>) {
        let posted = match (req, &self.worker) {
            (None, _) => Err("open a model first".to_string()),
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(_)), None) => Err("the pipeline worker is not running; reload the page".to_string()),
            (Some(Ok(r)), Some(w)) => w.post(&r),
        };
        if let Err(e) = posted {
            self.error = Some(format!("Could not read calibration data: {e}"));
        }
    }
}

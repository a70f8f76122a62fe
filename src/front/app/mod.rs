//! The yew web app. It renders what the core reports and keeps no quantization logic of its own: the graph
//! comes from the graph layer, states and scales from TQC records (today the bundled real-PPQ results).

pub(crate) mod colors;
mod graph_view;
mod inspector;
mod legend;
mod loader;
mod model;
mod stepper;
mod toolbar;
mod tqc_card;

use crate::front::status;
use graph_view::GraphView;
use inspector::Inspector;
use legend::Legend;
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
    /// A model finished loading (or failed; the previous one stays).
    Loaded(Box<Result<ViewModel, String>>),
    /// Select an op or edge; `true` asks the graph to centre it.
    Select(Selection, bool),
    /// Show the states after this snapshot.
    Step(usize),
    /// A file is dragged over the page.
    Dragging(bool),
    /// Hide the error banner.
    DismissError,
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
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        ctx.link().send_future(async { Msg::Manifest(loader::manifest().await) });
        Self {
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
            Msg::Manifest(Ok(m)) => self.manifest = Some(m),
            Msg::Manifest(Err(e)) => self.error = Some(format!("The bundled samples are unavailable: {e}")),
            Msg::OpenSample(name, platform) => {
                let Some(m) = &self.manifest else { return false };
                let Some(sample) = m.samples.iter().find(|s| s.name == name).cloned() else { return false };
                let run = sample.runs.iter().find(|r| r.platform == platform).or(sample.runs.first()).cloned();
                let version = m.ppq_version.clone();
                self.busy = Some(format!("Opening {name}…"));
                self.sample = Some((name.clone(), run.as_ref().map(|r| r.platform.clone()).unwrap_or_default()));
                ctx.link().send_future(async move {
                    let result = async {
                        let bytes = loader::fetch_bytes(&sample.model).await?;
                        let result = match run {
                            Some(r) => {
                                let tqc = loader::fetch_text(&format!("{}/tqc.json", r.dir)).await?;
                                let passes = loader::fetch_text(&format!("{}/passes.json", r.dir)).await?;
                                let source = format!("Result of real PPQ {version}, {}, {}", r.platform, r.observer);
                                let result = ResultView::from_json(source, &tqc, Some(&passes));
                                Some(result.map_err(|e| format!("{}/{e}", r.dir))?)
                            }
                            None => None,
                        };
                        ViewModel::from_onnx(&sample.name, &bytes, result)
                    }
                    .await;
                    Msg::Loaded(Box::new(result))
                });
            }
            Msg::OpenFile(file) => {
                self.busy = Some(format!("Reading {}…", file.name()));
                ctx.link().send_future(async move {
                    let name = file.name();
                    let result = match loader::read_file(&file).await {
                        Ok(bytes) => ViewModel::from_onnx(&name, &bytes, None),
                        Err(e) => Err(e),
                    };
                    Msg::Loaded(Box::new(result))
                });
            }
            Msg::Loaded(result) => {
                self.busy = None;
                match *result {
                    Ok(doc) => {
                        if doc.result.is_none() {
                            self.sample = None;
                        }
                        self.step = doc.result.as_ref().and_then(|r| r.snapshots.len().checked_sub(1));
                        self.doc = Some(Rc::new(doc));
                        self.selected = Selection::None;
                        self.error = None;
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
            }
            Msg::Step(s) => self.step = Some(s),
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
                    <Toolbar
                        manifest={self.manifest.clone()}
                        sample={self.sample.clone()}
                        busy={self.busy.is_some()}
                        on_sample={link.callback(|(n, p)| Msg::OpenSample(n, p))}
                        on_file={link.callback(Msg::OpenFile)} />
                </header>
                { self.view_banner(ctx) }
                <main class="workspace">
                    { self.view_main(ctx, on_select.clone()) }
                </main>
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
    fn view_banner(&self, ctx: &Context<Self>) -> Html {
        html! {
            <>
                if let Some(busy) = &self.busy {
                    <p class="banner busy" role="status">{ busy }</p>
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
                    if let Some(r) = result.filter(|r| !r.snapshots.is_empty()) {
                        <Stepper passes={Rc::new(r.snapshots.iter().map(|s| (s.pass.clone(), s.pipeline.clone())).collect::<Vec<_>>())}
                            step={self.step.unwrap_or(0)} on_step={ctx.link().callback(Msg::Step)} />
                    }
                </section>
                <Inspector doc={doc.clone()} step={self.step} selected={self.selected} {on_select} />
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

//! The page's panels as HTML: the pipeline panel, image-calibration controls, the status banner, the main
//! workspace and the welcome screen. Split from `mod.rs`, which keeps the component's state and messages.

use super::*;

impl App {
    pub(super) fn view_panel(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let (calib_label, available) =
            self.calib.as_ref().map_or(("none".to_string(), 0), |(_, label, n)| (label.clone(), *n));
        let steps = match self.exp.settings.steps_for(available) {
            Ok(n) if available > 0 && n as usize > available => {
                format!("{n} calibration steps: the {available} samples cycled, as PPQ cycles its dataloader")
            }
            Ok(n) => format!("{n} calibration steps"),
            Err(e) => e,
        };
        // a sample's data is chosen by its seed (0: bundled), so the seed is always offered there
        let random = if self.exp.sample.is_some() { Some(u64::from(self.exp.seed)) } else { self.seed };
        html! {
            <PipelinePanel
                {calib_label}
                {steps}
                {random}
                run={self.ours.as_ref().map(|(r, _)| r.clone())}
                progress={if self.pending > 0 { self.progress.clone() } else { None }}
                source={self.source}
                has_ppq={self.ppq.is_some()}
                diff={self.diff.clone()}
                diff_note={if self.diff.is_none() { self.diff_note() } else { None }}
                on_seed={link.callback(Msg::Seed)}
                on_calib_file={link.callback(Msg::CalibFile)}
                image_controls={self.view_image_controls(ctx)}
                on_command={link.callback(Msg::Run)}
                on_source={link.callback(Msg::Source)} />
        }
    }

    pub(super) fn view_image_controls(&self, ctx: &Context<Self>) -> Html {
        let Some((count, options)) = self.images.chosen() else { return Html::default() };
        let model_size = self.graph.as_deref().and_then(image_calib::model_size);
        html! {
            <image_calib::ImageControls {count} options={options.clone()} {model_size}
                on_change={ctx.link().callback(Msg::ImageOptions)} />
        }
    }

    pub(super) fn view_banner(&self, ctx: &Context<Self>) -> Html {
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

    pub(super) fn view_main(&self, ctx: &Context<Self>, on_select: Callback<(Selection, bool)>) -> Html {
        let Some(doc) = &self.doc else { return self.view_welcome(ctx) };
        let result = doc.result.as_ref();
        html! {
            <>
                // The Learn panel drives the page through the experiment; main's pipeline panel makes room for it.
                if !self.exp.hides("settings") && !self.learn { { self.view_panel(ctx) } }
                <section class="graph-pane" aria-label="Graph">
                    <div class="doc-title">
                        <strong id="model-name">{ &doc.name }</strong>
                        <span class="muted">{ format!(" · {} ops", doc.ops.len()) }</span>
                        <span id="result-source" class="source">
                            { result.map(|r| r.source.clone()).unwrap_or_else(||
                                "Graph only (formatted here, TRT_INT8 op types): run the pipeline to quantize it".into()) }
                        </span>
                    </div>
                    <GraphView doc={doc.clone()} step={self.step} selected={self.selected}
                        focus={self.focus} on_select={on_select.clone()} op_fill={self.analysis.fill()} />
                    <Legend />
                    if let Some(r) = result.filter(|r| !r.snapshots.is_empty() && !self.exp.hides("stepper")) {
                        <Stepper passes={Rc::new(r.snapshots.iter().map(|s| (s.pass.clone(), s.pipeline.clone())).collect::<Vec<_>>())}
                            step={self.step.unwrap_or(0)} on_step={ctx.link().callback(Msg::Step)} />
                    }
                </section>
                <div class="side">
                    <Inspector doc={doc.clone()} step={self.step} selected={self.selected} {on_select}>
                        { self.view_keep_float(ctx) }
                    </Inspector>
                    { self.view_analysis(ctx) }
                    <QuirkNotes diffs={self.quirks.clone()} op={self.exp.op.clone()} />
                    <sweep_view::SweepView extras={self.extras.clone()} op={self.exp.op.clone()} hl={self.exp.tqc.clone()} />
                    <baking_panel::BakingPanel extras={self.extras.clone()} op={self.exp.op.clone()} hl={self.exp.tqc.clone()}
                        states={baking_panel::states_at(result, self.step, &self.extras)} />
                    if let Some((right, right_out, diffs)) = &self.compare {
                        <CompareView left={self.exp.label()} right={right.clone()} diffs={diffs.clone()}
                            left_out={self.outputs.clone()} right_out={right_out.clone()}
                            on_pick={ctx.link().callback(|(op, id)| Msg::Pick(op, id))}
                            layers={Rc::new((self.extras.layers.clone(), self.extras.compare_layers.clone()))} />
                    }
                </div>
            </>
        }
    }

    pub(super) fn view_welcome(&self, ctx: &Context<Self>) -> Html {
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
                <p id="about" class="muted small">{ "The quantization runs in this page (WebAssembly, in a Web Worker) with \
                    PPQ 0.6.6's semantics; the bundled reference results come from real PPQ 0.6.6 (OpenPPL, Apache-2.0). \
                    The digits_cnn sample was trained on scikit-learn's digits data set (BSD-3-Clause); its 64 \
                    calibration images are bundled." }</p>
            </section>
        }
    }
}

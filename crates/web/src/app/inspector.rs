//! The side panel: the selected op (or edge) with every TQC it owns, or a hint when nothing is selected.

use super::Selection;
use super::colors::is_float_platform;
use super::model::{NodeKind, ViewModel};
use super::tqc_card::TqcCard;
use std::rc::Rc;
use yew::prelude::*;

/// Properties of [`Inspector`].
#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    /// The model.
    pub doc: Rc<ViewModel>,
    /// Snapshot shown (None: final records).
    pub step: Option<usize>,
    /// What to inspect.
    pub selected: Selection,
    /// Jump to another op (centred).
    pub on_select: Callback<(Selection, bool)>,
    /// Shown under a selected op's title (the keep-in-float switch).
    #[prop_or_default]
    pub children: Html,
}

/// Lists the selected op's input and output TQCs, or an edge's two ends.
#[function_component(Inspector)]
pub fn inspector(p: &InspectorProps) -> Html {
    let doc = &p.doc;
    let jump = |name: &str| -> Html {
        match doc.op_index(name) {
            Some(i) => {
                let cb = p.on_select.clone();
                html! { <button class="link" onclick={Callback::from(move |_| cb.emit((Selection::Op(i), true)))}>{ name }</button> }
            }
            None => html! { <span>{ name }</span> },
        }
    };
    let card = |id: &str| -> Html {
        html! { <TqcCard doc={doc.clone()} id={id.to_string()} step={p.step} on_select={p.on_select.clone()} /> }
    };
    let body = match p.selected {
        Selection::Op(i) if i < doc.ops.len() => {
            let op = &doc.ops[i];
            let tqcs = doc.tqcs_of(i);
            let ids: Vec<String> = doc
                .result
                .as_ref()
                .map(|r| tqcs.iter().filter_map(|&t| r.tqcs.get(t)).map(|t| t.id.clone()).collect())
                .unwrap_or_default();
            html! {
                <>
                    <h2 id="inspector-title">
                        <span class="op-type">{ &op.op_type }</span>{ " " }<code>{ &op.name }</code>
                    </h2>
                    <p class={classes!("platform", is_float_platform(&op.platform).then_some("float"))}>
                        { "Platform " }<strong>{ &op.platform }</strong>
                        { format!(" · {} input(s), {} output(s)", op.inputs.len(), op.outputs.len()) }
                    </p>
                    { p.children.clone() }
                    if ids.is_empty() {
                        <p class="muted">{
                            if doc.result.is_none() {
                                "No quantization result is loaded for this model, so there are no TQCs to show yet \
                                 (our own pipeline is not in this build)."
                            } else {
                                "This op is not quantable: PPQ gives it no TQCs (its platform is FP32 or SOI)."
                            }
                        }</p>
                    }
                    { for ids.iter().map(|id| card(id)) }
                </>
            }
        }
        Selection::Edge(e) if e < doc.edges.len() => {
            let edge = &doc.edges[e];
            let end = |n: usize| match doc.nodes.get(n) {
                Some(NodeKind::Op(i)) => jump(&doc.ops[*i].name),
                Some(NodeKind::Input(v)) => html! { <span>{ format!("graph input {v}") }</span> },
                Some(NodeKind::Output(v)) => html! { <span>{ format!("graph output {v}") }</span> },
                None => html! {},
            };
            let known = |id: &Option<String>| {
                id.clone().filter(|id| doc.result.as_ref().is_some_and(|r| r.by_id.contains_key(id)))
            };
            html! {
                <>
                    <h2 id="inspector-title">{ "Tensor " }<code>{ &edge.var }</code></h2>
                    <p class="platform">
                        { "From " }{ end(edge.from) }{ " to " }{ end(edge.to) }
                        if let Some(s) = &edge.shape { { format!(" · shape {s}") } }
                    </p>
                    if let Some(id) = known(&edge.from_tqc) { { card(&id) } }
                    if let Some(id) = known(&edge.to_tqc) { { card(&id) } }
                </>
            }
        }
        _ => html! {
            <div class="hint">
                <h2>{ "Inspector" }</h2>
                <p>{ "Click an op (or press Enter on it) to see its tensor quantization configs: policy bitmap, \
                      rounding, bits, range, scale and offset, observer, state and alignment group. Click an edge \
                      for the two TQCs on that tensor." }</p>
                <p class="muted">{ "Squares in an op box are its TQCs, inputs then outputs; dots on edges are the \
                      producer's output TQC and the consumer's input TQC." }</p>
            </div>
        },
    };
    html! { <aside id="inspector" class="inspector" aria-label="TQC inspector">{ body }</aside> }
}

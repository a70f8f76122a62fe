//! The graph drawn as SVG from the layout: ops as boxes with one square per TQC (coloured by state, outlined
//! by alignment group), edges coloured by the state of the TQC that quantizes the tensor, with a state dot at
//! each end. Wheel zooms around the cursor, dragging pans, "Fit" shows everything, search highlights and
//! centres. The view box always has the element's aspect ratio, so one user unit per `k` pixels is exact.

use super::Selection;
use super::colors::{group_color, is_float_platform, state_color};
use super::model::{NodeKind, ViewModel};
use std::collections::HashMap;
use std::rc::Rc;
use web_sys::{Element, HtmlInputElement, KeyboardEvent, PointerEvent, WheelEvent};
use yew::prelude::*;

/// Properties of [`GraphView`].
#[derive(Properties, PartialEq)]
pub struct GraphViewProps {
    /// The model.
    pub doc: Rc<ViewModel>,
    /// Snapshot shown (None: final records).
    pub step: Option<usize>,
    /// What the inspector shows.
    pub selected: Selection,
    /// Bumped when the selection should be centred.
    pub focus: u32,
    /// Select (and maybe centre) an op or edge.
    pub on_select: Callback<(Selection, bool)>,
    /// Fill colours by op name (the "colour by error" mode); ops without one keep their usual fill.
    #[prop_or_default]
    pub op_fill: Option<Rc<std::collections::HashMap<String, String>>>,
}

/// The visible window: top-left corner in user units, user units per pixel, element size in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
struct View {
    x: f64,
    y: f64,
    k: f64,
    w: f64,
    h: f64,
}

impl View {
    /// The whole drawing, centred; a drawing so tall that its labels would be unreadable is fitted to its
    /// width instead and shown from the top.
    fn fit(w: f64, h: f64, width: f64, height: f64) -> Self {
        let (w, h) = (w.max(50.0), h.max(50.0));
        let k = (width / w).max(height / h).max(1.0 / 1.4) * 1.04;
        if k > 1.8 {
            let k = (width / w).max(1.0) * 1.04;
            return Self { x: width / 2.0 - w * k / 2.0, y: 0.0, k, w, h };
        }
        Self { x: width / 2.0 - w * k / 2.0, y: height / 2.0 - h * k / 2.0, k, w, h }
    }

    fn centre_on(self, cx: f64, cy: f64) -> Self {
        Self { x: cx - self.w * self.k / 2.0, y: cy - self.h * self.k / 2.0, ..self }
    }

    fn zoom(self, factor: f64, px: f64, py: f64) -> Self {
        let k = (self.k * factor).clamp(0.05, 8.0);
        let (ux, uy) = (self.x + px * self.k, self.y + py * self.k);
        Self { x: ux - px * k, y: uy - py * k, k, ..self }
    }
}

/// The part of the drawing on screen (with a margin), and whether labels are big enough to read. Only what
/// the window sees is rendered, so a 1000-op model costs what its visible part costs.
struct Window {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    /// Text and TQC squares are drawn (always for a small graph; for a big one while a box stays readable).
    detail: bool,
}
// (A big graph draws squares as they come into view: `url_state::remark` re-applies the page's highlight then.)

impl Window {
    /// At most this many user units per pixel, a big graph keeps its labels; beyond, plain boxes and lines.
    const MAX_DETAIL_K: f64 = 2.5;
    /// Graphs up to this many nodes are always drawn in full detail.
    const SMALL: usize = 300;

    fn of(v: &View, nodes: usize) -> Self {
        let (w, h) = (v.w * v.k, v.h * v.k);
        let (mx, my) = (w * 0.25 + 40.0, h * 0.25 + 40.0);
        if nodes <= Self::SMALL {
            // Everything, always: cheap at this size, and every TQC square stays in the DOM for the page's marks.
            return Self { x0: f64::MIN, y0: f64::MIN, x1: f64::MAX, y1: f64::MAX, detail: true };
        }
        let detail = v.k <= Self::MAX_DETAIL_K;
        Self { x0: v.x - mx, y0: v.y - my, x1: v.x + w + mx, y1: v.y + h + my, detail }
    }

    fn sees_box(&self, x0: f64, y0: f64, x1: f64, y1: f64) -> bool {
        x1 >= self.x0 && x0 <= self.x1 && y1 >= self.y0 && y0 <= self.y1
    }

    fn sees_points(&self, pts: &[(f64, f64)]) -> bool {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for &(x, y) in pts {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
        self.sees_box(x0, y0, x1, y1)
    }
}

/// Pan gesture in progress.
#[derive(Default)]
struct Drag {
    active: bool,
    moved: bool,
    start: (f64, f64),
    origin: (f64, f64),
}

/// States that mean "this TQC quantizes the tensor" for colouring an edge.
fn quantizes(state: &str) -> bool {
    matches!(state, "ACTIVATED" | "PASSIVE" | "BAKED" | "PASSIVE_BAKED" | "SLAVE")
}

fn element_size(node: &NodeRef) -> Option<(f64, f64)> {
    let r = node.cast::<Element>()?.get_bounding_client_rect();
    Some((r.width(), r.height()))
}

/// The SVG graph with its toolbar (search, zoom, fit).
#[function_component(GraphView)]
pub fn graph_view(p: &GraphViewProps) -> Html {
    let svg_ref = use_node_ref();
    let view = use_state(|| None::<View>);
    let drag = use_mut_ref(Drag::default);
    let query = use_state(String::new);
    let doc = &p.doc;
    let (lw, lh) = (doc.layout.width, doc.layout.height);

    // Fit when a new model arrives (after the first paint, when the element has a size).
    {
        let view = view.clone();
        let svg_ref = svg_ref.clone();
        use_effect_with(Rc::as_ptr(doc) as usize, move |_| {
            if let Some((w, h)) = element_size(&svg_ref) {
                view.set(Some(View::fit(w, h, lw, lh)));
            }
        });
    }
    // Centre the selection when asked (search, inspector jumps).
    {
        let view = view.clone();
        let svg_ref = svg_ref.clone();
        let doc = doc.clone();
        let selected = p.selected;
        use_effect_with(p.focus, move |_| {
            let node = match selected {
                Selection::Op(i) => doc.ops.get(i).map(|o| o.node),
                _ => None,
            };
            if let (Some(b), Some((w, h))) = (node.and_then(|n| doc.layout.nodes.get(n)), element_size(&svg_ref)) {
                let base = (*view).unwrap_or_else(|| View::fit(w, h, lw, lh));
                view.set(Some(View { w, h, ..base }.centre_on(b.x, b.y)));
            }
        });
    }

    // Until the first fit knows the element's size, a typical size stands in: a big model is never rendered
    // whole, and a small one is drawn complete at once (the page marks highlighted TQCs after that render).
    let v = (*view).unwrap_or_else(|| View::fit(800.0, 600.0, lw, lh));
    // Squares drawn by this component's own renders (pan, zoom, centring) get the page's marks too.
    use_effect(super::url_state::remark);
    let view_box = format!("{:.1} {:.1} {:.1} {:.1}", v.x, v.y, v.w * v.k, v.h * v.k);
    let window = Window::of(&v, doc.nodes.len());

    let onwheel = {
        let view = view.clone();
        Callback::from(move |e: WheelEvent| {
            let Some(el) = e.current_target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<Element>(t).ok()) else {
                return;
            };
            let r = el.get_bounding_client_rect();
            let base = View { w: r.width(), h: r.height(), ..(*view).unwrap_or(v) };
            let factor = (e.delta_y() * 0.0015).exp();
            view.set(Some(base.zoom(factor, e.client_x() as f64 - r.left(), e.client_y() as f64 - r.top())));
        })
    };
    let onpointerdown = {
        let drag = drag.clone();
        Callback::from(move |e: PointerEvent| {
            if e.button() == 0 {
                *drag.borrow_mut() = Drag {
                    active: true,
                    moved: false,
                    start: (e.client_x() as f64, e.client_y() as f64),
                    origin: (v.x, v.y),
                };
            }
        })
    };
    let onpointermove = {
        let drag = drag.clone();
        let view = view.clone();
        Callback::from(move |e: PointerEvent| {
            let mut d = drag.borrow_mut();
            if !d.active {
                return;
            }
            let (dx, dy) = (e.client_x() as f64 - d.start.0, e.client_y() as f64 - d.start.1);
            if dx.abs() + dy.abs() > 3.0 {
                d.moved = true;
            }
            if d.moved {
                view.set(Some(View { x: d.origin.0 - dx * v.k, y: d.origin.1 - dy * v.k, ..v }));
            }
        })
    };
    let onpointerup = {
        let drag = drag.clone();
        Callback::from(move |_: PointerEvent| drag.borrow_mut().active = false)
    };
    let zoom_by = |factor: f64| {
        let view = view.clone();
        Callback::from(move |_: MouseEvent| view.set(Some(v.zoom(factor, v.w / 2.0, v.h / 2.0))))
    };
    let on_fit = {
        let view = view.clone();
        let svg_ref = svg_ref.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some((w, h)) = element_size(&svg_ref) {
                view.set(Some(View::fit(w, h, lw, lh)));
            }
        })
    };

    // Search: ops whose name or type, or one of whose variables, contains the query.
    let q = query.to_lowercase();
    let matches: Vec<usize> = if q.is_empty() {
        Vec::new()
    } else {
        doc.ops
            .iter()
            .enumerate()
            .filter(|(_, o)| {
                o.name.to_lowercase().contains(&q)
                    || o.op_type.to_lowercase().contains(&q)
                    || o.inputs.iter().chain(&o.outputs).any(|v| v.to_lowercase().contains(&q))
            })
            .map(|(i, _)| i)
            .collect()
    };
    let on_search_input = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                query.set(input.value());
            }
        })
    };
    let on_search_key = {
        let on_select = p.on_select.clone();
        let first = matches.first().copied();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter"
                && let Some(i) = first
            {
                on_select.emit((Selection::Op(i), true));
            }
        })
    };

    // States and groups at this step.
    let result = doc.result.as_ref();
    let state_of = |id: &Option<String>| -> Option<String> {
        let r = result?;
        Some(r.by_id_at(id.as_deref()?, p.step)?.state)
    };
    let groups = result.map(|r| r.groups(p.step)).unwrap_or_default();
    let mut roots: Vec<&String> = groups.keys().collect();
    roots.sort();
    let group_of: HashMap<&str, (usize, bool)> = roots
        .iter()
        .enumerate()
        .flat_map(|(k, root)| groups[*root].iter().map(move |m| (m.as_str(), (k, m == *root))))
        .collect();
    let ring = |id: Option<&str>, cx: f64, cy: f64, r: f64| -> Html {
        match id.and_then(|id| group_of.get(id)) {
            Some(&(k, is_root)) => html! {
                <>
                    <circle class="group-ring" cx={cx.to_string()} cy={cy.to_string()} r={(r + 2.5).to_string()}
                        stroke={group_color(k)} />
                    if is_root {
                        <circle class="group-ring root" cx={cx.to_string()} cy={cy.to_string()} r={(r + 5.0).to_string()}
                            stroke={group_color(k)} />
                    }
                </>
            },
            None => html! {},
        }
    };

    let edges = doc.edges.iter().enumerate().map(|(i, e)| {
        let Some(pts) = doc.layout.edges.get(i).filter(|p| p.len() >= 2) else { return html! {} };
        if !window.sees_points(pts) {
            return html! {};
        }
        let (s_from, s_to) = (state_of(&e.from_tqc), state_of(&e.to_tqc));
        let eff = [&s_from, &s_to]
            .into_iter()
            .flatten()
            .find(|s| quantizes(s))
            .or(s_from.as_ref().or(s_to.as_ref()))
            .cloned();
        let color = eff.as_deref().map(state_color).unwrap_or("#8a94a3");
        let d = path_d(pts);
        let selected = p.selected == Selection::Edge(i);
        let onclick = {
            let cb = p.on_select.clone();
            let drag = drag.clone();
            Callback::from(move |_: MouseEvent| {
                if !drag.borrow().moved {
                    cb.emit((Selection::Edge(i), false));
                }
            })
        };
        let onkeydown = {
            let cb = p.on_select.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    cb.emit((Selection::Edge(i), false));
                }
            })
        };
        let (a, b) = (pts[0], pts[pts.len() - 1]);
        let label_at = pts[0].1 + (pts[1].1 - pts[0].1) / 2.0;
        let label_x = (pts[0].0 + pts[1].0) / 2.0;
        let title = format!(
            "{}{} · out: {} · in: {}",
            e.var,
            e.shape.as_ref().map(|s| format!(" [{s}]")).unwrap_or_default(),
            s_from.clone().unwrap_or("—".into()),
            s_to.clone().unwrap_or("—".into())
        );
        html! {
            <g class={classes!("edge", selected.then_some("selected"))} data-var={e.var.clone()} tabindex="0" role="button"
                aria-label={format!("tensor {}", e.var)} {onclick} {onkeydown}>
                <title>{ title }</title>
                <path class="edge-hit" d={d.clone()} />
                <path class="edge-line" d={d} stroke={color} marker-end="url(#arrow)" />
                if let Some(shape) = e.shape.as_ref().filter(|_| window.detail) {
                    <text class="edge-label" x={(label_x + 6.0).to_string()} y={label_at.to_string()}>{ shape }</text>
                }
                if let Some(s) = s_from.as_ref().filter(|_| window.detail) {
                    { ring(e.from_tqc.as_deref(), a.0, a.1 + 5.0, 4.0) }
                    <circle class="dot" cx={a.0.to_string()} cy={(a.1 + 5.0).to_string()} r="4" fill={state_color(s)} />
                }
                if let Some(s) = s_to.as_ref().filter(|_| window.detail) {
                    { ring(e.to_tqc.as_deref(), b.0, b.1 - 13.0, 4.0) }
                    <circle class="dot" cx={b.0.to_string()} cy={(b.1 - 13.0).to_string()} r="4" fill={state_color(s)} />
                }
            </g>
        }
    });

    let nodes = doc.nodes.iter().enumerate().map(|(n, kind)| {
        let Some(b) = doc.layout.nodes.get(n) else { return html! {} };
        if !window.sees_box(b.x - b.w / 2.0, b.y - b.h / 2.0, b.x + b.w / 2.0, b.y + b.h / 2.0) {
            return html! {};
        }
        let (x0, y0) = (b.x - b.w / 2.0, b.y - b.h / 2.0);
        match kind {
            NodeKind::Input(name) | NodeKind::Output(name) => {
                let is_in = matches!(kind, NodeKind::Input(_));
                html! {
                    <g class={classes!("node", "io-node", if is_in { "graph-input" } else { "graph-output" })}
                        transform={format!("translate({x0:.1},{y0:.1})")}>
                        <title>{ format!("graph {}: {name}", if is_in { "input" } else { "output" }) }</title>
                        <rect width={b.w.to_string()} height={b.h.to_string()} rx="12" />
                        <text x={(b.w / 2.0).to_string()} y={(b.h / 2.0 + 4.0).to_string()} text-anchor="middle">{ name }</text>
                    </g>
                }
            }
            NodeKind::Op(i) => {
                let Some(op) = doc.ops.get(*i) else { return html! {} };
                let float = is_float_platform(&op.platform);
                let selected = p.selected == Selection::Op(*i);
                let hit = matches.contains(i);
                let onclick = {
                    let cb = p.on_select.clone();
                    let drag = drag.clone();
                    let i = *i;
                    Callback::from(move |_: MouseEvent| {
                        if !drag.borrow().moved {
                            cb.emit((Selection::Op(i), false));
                        }
                    })
                };
                let onkeydown = {
                    let cb = p.on_select.clone();
                    let i = *i;
                    Callback::from(move |e: KeyboardEvent| {
                        if e.key() == "Enter" || e.key() == " " {
                            e.prevent_default();
                            cb.emit((Selection::Op(i), false));
                        }
                    })
                };
                let tqcs = doc.tqcs_of(*i);
                let squares = tqcs.iter().enumerate().filter_map(|(k, &ti)| {
                    let t = result?.at(ti, p.step)?;
                    let x = 10.0 + k as f64 * 13.0;
                    let group = group_of.get(t.rec.id.as_str()).copied();
                    let stroke = group.map(|(g, _)| group_color(g)).unwrap_or("rgba(0,0,0,.25)");
                    let root = group.is_some_and(|(_, r)| r);
                    Some(html! {
                        <rect class={classes!("tqc-square", root.then_some("root"))} x={x.to_string()} y={(b.h - 15.0).to_string()}
                            width="10" height="10" rx="2" fill={state_color(&t.state)} stroke={stroke}
                            data-tqc={t.rec.id.clone()} data-state={t.state.clone()}>
                            <title>{ format!("{} · {}", t.rec.id, t.state) }</title>
                        </rect>
                    })
                });
                html! {
                    <g class={classes!("node", "op-node", float.then_some("float"), selected.then_some("selected"), hit.then_some("match"))}
                        data-op={op.name.clone()} transform={format!("translate({x0:.1},{y0:.1})")}
                        tabindex="0" role="button" aria-label={format!("{} {} ({})", op.op_type, op.name, op.platform)}
                        {onclick} {onkeydown}>
                        <title>{ format!("{} · {} · {}", op.name, op.op_type, op.platform) }</title>
                        <rect class="op-box" width={b.w.to_string()} height={b.h.to_string()} rx="6"
                            style={p.op_fill.as_ref().and_then(|f| f.get(&op.name)).map(|c| format!("fill:{c}"))} />
                        if window.detail {
                            <text class="op-type" x="10" y="16">{ &op.op_type }</text>
                            <text class="op-name" x="10" y="29">{ &op.name }</text>
                            if float {
                                <text class="op-platform" x={(b.w - 8.0).to_string()} y="16" text-anchor="end">{ &op.platform }</text>
                            }
                            { for squares }
                        }
                    </g>
                }
            }
        }
    });

    html! {
        <div class="graph-wrap">
            <div class="graph-tools" role="toolbar" aria-label="Graph view">
                <label class="search">
                    <span class="visually-hidden">{ "Search ops and variables" }</span>
                    <input id="graph-search" type="search" placeholder="Search ops, variables…" title="Highlights matches; Enter centres the first"
                        value={(*query).clone()} oninput={on_search_input} onkeydown={on_search_key} />
                </label>
                if !q.is_empty() {
                    <span class="muted small" aria-live="polite">{ format!("{} match{}", matches.len(), if matches.len() == 1 { "" } else { "es" }) }</span>
                }
                <span class="spacer"></span>
                <button onclick={zoom_by(1.0 / 1.25)} aria-label="Zoom in" title="Zoom in">{ "+" }</button>
                <button onclick={zoom_by(1.25)} aria-label="Zoom out" title="Zoom out">{ "−" }</button>
                <button id="fit-button" onclick={on_fit} title="Show the whole graph">{ "Fit" }</button>
            </div>
            <svg ref={svg_ref} id="graph" class="graph" viewBox={view_box} role="img"
                aria-label={format!("Graph of {} with {} ops", doc.name, doc.ops.len())}
                {onwheel} {onpointerdown} {onpointermove} onpointerup={onpointerup.clone()} onpointerleave={onpointerup}>
                <defs>
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0,0 L10,5 L0,10 z" fill="#8a94a3" />
                    </marker>
                </defs>
                <g class="edges">{ for edges }</g>
                <g class="nodes">{ for nodes }</g>
            </svg>
        </div>
    }
}

/// A smooth vertical path through the points (cubic segments with vertical tangents).
fn path_d(pts: &[(f64, f64)]) -> String {
    let mut d = format!("M{:.1},{:.1}", pts[0].0, pts[0].1);
    for w in pts.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        let my = (y0 + y1) / 2.0;
        d.push_str(&format!(" C{x0:.1},{my:.1} {x1:.1},{my:.1} {x1:.1},{y1:.1}"));
    }
    d
}

//! The "Learn" panel: the chosen lesson's Markdown (fetched same-origin from `www/lessons/`), parsed by
//! [`ppq_teach::lessons`] and rendered as text nodes only. Each step is a button that opens its experiment.

use super::loader;
use ppq_teach::lessons::{Block, Inline, LESSONS, Lesson, parse};
use std::rc::Rc;
use yew::prelude::*;

/// Properties of [`LessonsView`].
#[derive(Properties, PartialEq)]
pub struct LessonsProps {
    /// Open lesson id (None: the list).
    pub lesson: Option<String>,
    /// The hash of the experiment on screen, to mark the current step.
    pub current: String,
    /// Choose a lesson (None: back to the list).
    pub on_lesson: Callback<Option<String>>,
    /// Run a step (its hash).
    pub on_step: Callback<String>,
    /// Close the panel.
    pub on_close: Callback<()>,
}

fn inline(parts: &[Inline]) -> Html {
    html! {
        { for parts.iter().map(|p| match p {
            Inline::Text(t) => html! { { t.clone() } },
            Inline::Strong(t) => html! { <strong>{ t.clone() }</strong> },
            Inline::Em(t) => html! { <em>{ t.clone() }</em> },
            Inline::Code(t) => html! { <code>{ t.clone() }</code> },
        }) }
    }
}

/// Same experiment, ignoring the lesson/hide keys the step does not set. Both hashes are read through the
/// settings table first, so a step written with short codes (`ew=large`) matches the page's canonical hash.
fn same_step(step: &str, current: &str) -> bool {
    let canonical = |h: &str| {
        let (mut e, _) = ppq_teach::experiment::Experiment::from_hash(h);
        e.lesson = None;
        e.hide.clear();
        e.to_hash()
    };
    canonical(step) == canonical(current)
}

/// Lesson list, or one lesson with its step buttons.
#[function_component(LessonsView)]
pub fn lessons_view(p: &LessonsProps) -> Html {
    let content = use_state(|| None::<(String, Result<Rc<Lesson>, String>)>);
    {
        let content = content.clone();
        use_effect_with(p.lesson.clone(), move |lesson| {
            if let Some(id) = lesson.clone()
                && content.as_ref().is_none_or(|(c, _)| *c != id)
            {
                let file = LESSONS.iter().find(|(l, _)| *l == id).map(|(_, f)| *f);
                wasm_bindgen_futures::spawn_local(async move {
                    let result = match file {
                        Some(f) => loader::fetch_text(&format!("../lessons/{f}")).await.map(|md| Rc::new(parse(&md))),
                        None => Err(format!("there is no lesson '{id}'")),
                    };
                    content.set(Some((id, result)));
                });
            }
        });
    }
    let close = {
        let cb = p.on_close.clone();
        Callback::from(move |_| cb.emit(()))
    };
    // Collapsed, the panel is a thin strip: the graph and the inspector get the room on a small screen.
    let collapsed = use_state(|| false);
    let toggle = {
        let collapsed = collapsed.clone();
        Callback::from(move |_| collapsed.set(!*collapsed))
    };
    if *collapsed {
        return html! {
            <aside id="learn" class="learn collapsed" aria-label="Lessons">
                <button id="learn-expand" class="link expand" aria-expanded="false" title="Show the lesson" onclick={toggle}>
                    { "Lesson ▸" }</button>
            </aside>
        };
    }
    let body = match (&p.lesson, content.as_ref()) {
        (None, _) => html! {
            <>
                <h2>{ "Learn" }</h2>
                <p class="muted">{ "Guided lessons on the bundled samples. Each step sets up the page and highlights one TQC." }</p>
                <ul class="lesson-list">
                    { for LESSONS.iter().map(|(id, file)| {
                        let cb = p.on_lesson.clone();
                        let id_s = id.to_string();
                        let title = match *id { "states" => "1 · Quantization states", "alignment" => "2 · Alignment",
                            _ => "3 · Baking and export" };
                        html! { <li><button class="lesson-link" data-lesson={*id} title={*file}
                            onclick={Callback::from(move |_| cb.emit(Some(id_s.clone())))}>{ title }</button></li> }
                    }) }
                </ul>
            </>
        },
        (Some(id), Some((loaded, result))) if loaded == id => match result {
            Ok(lesson) => {
                let mut n = 0;
                html! {
                    <>
                        <button class="link back" onclick={{ let cb = p.on_lesson.clone(); Callback::from(move |_| cb.emit(None)) }}>
                            { "← All lessons" }</button>
                        <article class="lesson" data-lesson={id.clone()}>
                            { for lesson.blocks.iter().map(|b| match b {
                                Block::Heading(1, t) => html! { <h2>{ inline(t) }</h2> },
                                Block::Heading(_, t) => html! { <h3>{ inline(t) }</h3> },
                                Block::Para(t) => html! { <p>{ inline(t) }</p> },
                                Block::List(true, items) => html! { <ol>{ for items.iter().map(|i| html! { <li>{ inline(i) }</li> }) }</ol> },
                                Block::List(false, items) => html! { <ul>{ for items.iter().map(|i| html! { <li>{ inline(i) }</li> }) }</ul> },
                                Block::Step(s) => {
                                    n += 1;
                                    let cb = p.on_step.clone();
                                    let hash = s.hash.clone();
                                    let active = same_step(&s.hash, &p.current);
                                    html! {
                                        <button class={classes!("lesson-step", active.then_some("active"))} data-step={n.to_string()}
                                            data-hash={s.hash.clone()} data-expect={s.expect.clone().unwrap_or_default()}
                                            aria-pressed={active.to_string()}
                                            onclick={Callback::from(move |_| cb.emit(hash.clone()))}>
                                            <span class="label">{ &s.label }</span>
                                            if let Some(e) = &s.expect { <span class="expect">{ format!("→ {e}") }</span> }
                                        </button>
                                    }
                                }
                            }) }
                        </article>
                    </>
                }
            }
            Err(e) => html! { <p class="error" role="alert">{ format!("The lesson could not be loaded: {e}") }</p> },
        },
        _ => html! { <p class="muted">{ "Loading the lesson…" }</p> },
    };
    html! {
        <aside id="learn" class="learn" aria-label="Lessons">
            <button id="learn-collapse" class="link collapse" aria-expanded="true" aria-label="Collapse the lessons"
                title="Collapse the lesson to a strip" onclick={toggle}>{ "◂" }</button>
            <button class="link close" aria-label="Close the lessons" onclick={close}>{ "✕" }</button>
            { body }
        </aside>
    }
}

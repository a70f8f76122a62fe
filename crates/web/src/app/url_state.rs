//! The page's link to the URL hash: read it, write it (a new history entry, so back/forward walk through the
//! experiment), listen for changes, and mark the highlighted TQC in the DOM after each render.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::Element;

/// The current hash (`#…`), empty when there is none or no window.
pub fn hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// Sets the hash unless it is already `hash` (a new history entry; fires `hashchange`).
pub fn push(hash: &str) {
    if let Some(w) = web_sys::window()
        && w.location().hash().ok().as_deref() != Some(hash)
    {
        let _ = w.location().set_hash(hash);
    }
}

/// Keeps a `hashchange` listener alive as long as the value lives.
pub struct HashListener(Option<Closure<dyn FnMut()>>);

impl HashListener {
    /// Calls `f` with the new hash on every `hashchange` (back/forward, links, hand edits).
    pub fn new(f: impl Fn(String) + 'static) -> Self {
        let Some(w) = web_sys::window() else { return Self(None) };
        let closure = Closure::<dyn FnMut()>::new(move || f(hash()));
        let _ = w.add_event_listener_with_callback("hashchange", closure.as_ref().unchecked_ref());
        Self(Some(closure))
    }
}

impl Drop for HashListener {
    fn drop(&mut self) {
        if let (Some(w), Some(c)) = (web_sys::window(), &self.0) {
            let _ = w.remove_event_listener_with_callback("hashchange", c.as_ref().unchecked_ref());
        }
    }
}

fn all(selector: &str) -> Vec<Element> {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return Vec::new() };
    let Ok(list) = doc.query_selector_all(selector) else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.item(i)).filter_map(|n| n.dyn_into::<Element>().ok()).collect()
}

/// CSS attribute selectors need quotes and backslashes escaped.
fn quoted(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Marks the TQC `id` (graph square and inspector card) with `data-highlight`, clearing the old marks; the card
/// is scrolled into view when `scroll` is set. Also marks every TQC of `quirky` with `data-quirk`.
pub fn mark(id: Option<&str>, scroll: bool, quirky: &[String]) {
    LAST.with(|l| *l.borrow_mut() = (id.map(str::to_string), quirky.to_vec()));
    apply(id, scroll, quirky);
}

thread_local! {
    /// The marks last asked for, for [`remark`].
    static LAST: std::cell::RefCell<(Option<String>, Vec<String>)> = Default::default();
}

/// Applies the last marks again (after a child component drew new elements), without scrolling.
pub fn remark() {
    let (id, quirky) = LAST.with(|l| l.borrow().clone());
    apply(id.as_deref(), false, &quirky);
}

fn apply(id: Option<&str>, scroll: bool, quirky: &[String]) {
    for e in all("[data-highlight]") {
        let _ = e.remove_attribute("data-highlight");
    }
    for e in all("[data-quirk]") {
        let _ = e.remove_attribute("data-quirk");
    }
    for q in quirky {
        for e in all(&format!(".tqc[data-tqc=\"{0}\"], .tqc-square[data-tqc=\"{0}\"]", quoted(q))) {
            let _ = e.set_attribute("data-quirk", "1");
        }
    }
    let Some(id) = id else { return };
    let found = all(&format!(".tqc[data-tqc=\"{0}\"], .tqc-square[data-tqc=\"{0}\"]", quoted(id)));
    for e in &found {
        let _ = e.set_attribute("data-highlight", "1");
    }
    if scroll && let Some(card) = found.iter().find(|e| e.tag_name().eq_ignore_ascii_case("section")) {
        card.scroll_into_view_with_bool(false);
    }
}

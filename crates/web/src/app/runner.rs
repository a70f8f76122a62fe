//! The page's side of the pipeline worker: spawning `worker.js`, posting JSON requests, turning its
//! messages into [`Msg::Worker`], object URLs for the export downloads, and the fatal-error banner the
//! panic hook writes.

use super::pipeline_panel::Download;
use super::{App, Msg};
use ppq_worker::protocol::{FileView, Request, Response};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{Blob, BlobPropertyBag, ErrorEvent, MessageEvent, Url, Worker};
use yew::html::Scope;

/// A running worker; dropping it terminates the worker.
pub struct WorkerHandle {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

fn js_text(e: &wasm_bindgen::JsValue) -> String {
    e.as_string()
        .or_else(|| e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())))
        .unwrap_or_else(|| format!("{e:?}"))
}

impl WorkerHandle {
    /// Starts `worker.js` (same origin, allowed by the CSP's `worker-src 'self'`).
    pub fn spawn(link: &Scope<App>) -> Result<Self, String> {
        Self::spawn_with(link, |r| Msg::Worker(Box::new(r)))
    }

    /// [`Self::spawn`] with its own message for the page (the teaching worker answers as `Msg::Teacher`).
    pub fn spawn_with(link: &Scope<App>, to_msg: fn(Response) -> Msg) -> Result<Self, String> {
        let worker =
            Worker::new("./worker.js").map_err(|e| format!("cannot start the pipeline worker: {}", js_text(&e)))?;
        let l = link.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let r = match e.data().as_string() {
                Some(text) => serde_json::from_str::<Response>(&text)
                    .unwrap_or_else(|err| Response::Error(format!("unreadable worker message: {err}"))),
                None => Response::Error("the worker sent a message that is not text".into()),
            };
            l.send_message(to_msg(r));
        });
        let l = link.clone();
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
            e.prevent_default();
            l.send_message(to_msg(Response::Crashed(format!("the pipeline worker failed: {}", e.message()))));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self { worker, _on_message: on_message, _on_error: on_error })
    }

    /// Posts a request as JSON text.
    pub fn post(&self, req: &Request) -> Result<(), String> {
        let text = serde_json::to_string(req).map_err(|e| e.to_string())?;
        self.worker.post_message(&text.into()).map_err(|e| format!("cannot reach the pipeline worker: {}", js_text(&e)))
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// Label, download-name suffix and MIME type of each export the worker names.
fn describe(name: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match name {
        "model.qdq.onnx" => ("QDQ ONNX", "qdq.onnx", "application/octet-stream"),
        "model.baked.onnx" => ("Baked ONNX", "baked.onnx", "application/octet-stream"),
        "quant_config.json" => ("Quant config", "quant_config.json", "application/json"),
        "trt.json" => ("TensorRT config", "trt.json", "application/json"),
        "tqc.json" => ("TQC records", "tqc.json", "application/json"),
        "trace.json" => ("Trace", "trace.json", "application/json"),
        "report.md" => ("Report", "report.md", "text/markdown"),
        _ => return None,
    })
}

fn object_url(bytes: &[u8], mime: &str) -> Result<String, String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let opts = BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &opts).map_err(|e| js_text(&e))?;
    Url::create_object_url_with_blob(&blob).map_err(|e| js_text(&e))
}

/// Download links `<model>_<platform>_<file>` for the worker's files (QDQ first); an error if one failed.
pub fn downloads(model: &str, platform: &str, files: &[FileView]) -> (Vec<Download>, Option<String>) {
    let order =
        ["model.qdq.onnx", "model.baked.onnx", "quant_config.json", "trt.json", "tqc.json", "trace.json", "report.md"];
    let mut out = Vec::new();
    let mut err = None;
    for f in order.iter().filter_map(|n| files.iter().find(|f| f.name == *n)) {
        let Some((label, suffix, mime)) = describe(&f.name) else { continue };
        match object_url(&f.bytes, mime) {
            Ok(url) => out.push(Download { label, file: format!("{model}_{platform}_{suffix}"), url }),
            Err(e) => err = Some(format!("{}: {e}", f.name)),
        }
    }
    (out, err)
}

/// Releases the object URLs of old downloads.
pub fn revoke(downloads: &[Download]) {
    for d in downloads {
        let _ = Url::revoke_object_url(&d.url);
    }
}

/// Writes a fatal error at the top of the page (used by the panic hook, when yew can no longer render).
pub fn show_fatal(message: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let Some(body) = doc.body() else { return };
    if let Ok(p) = doc.create_element("p") {
        p.set_id("fatal-error");
        let _ = p.set_attribute("role", "alert");
        p.set_text_content(Some(message));
        let _ = body.insert_before(&p, body.first_child().as_ref());
    }
}

//! The page's only I/O: same-origin fetches of the bundled samples and reading a user's file in memory.
//! Nothing is uploaded; every failure comes back as a sentence for the page.

use js_sys::Uint8Array;
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, Response};

/// `www/samples/index.json`, written by `scripts/bundle-samples.sh`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Manifest {
    /// PPQ version that produced the bundled results.
    pub ppq_version: String,
    /// The samples.
    pub samples: Vec<Sample>,
}

/// One bundled model with its reference runs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Sample {
    /// Model name (`b_residual`).
    pub name: String,
    /// One line on what it exercises.
    pub about: String,
    /// ONNX file, relative to `www/samples/`.
    pub model: String,
    /// Calibration samples (calib JSON), relative to `www/samples/`.
    #[serde(default)]
    pub calib: Option<String>,
    /// Real-PPQ runs bundled with it.
    pub runs: Vec<Run>,
}

/// One real-PPQ run of a sample.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Run {
    /// PPQ platform name (`TRT_INT8`).
    pub platform: String,
    /// Calibration observer (`minmax`).
    pub observer: String,
    /// Folder with `tqc.json` and `passes.json`, relative to `www/samples/`.
    pub dir: String,
}

const SAMPLES: &str = "./www/samples/";

async fn fetch(path: &str) -> Result<Response, String> {
    let window = web_sys::window().ok_or("no window")?;
    let url = format!("{SAMPLES}{path}");
    let resp = JsFuture::from(window.fetch_with_str(&url)).await.map_err(|e| format!("{url}: {}", js_error(&e)))?;
    let resp: Response = resp.dyn_into().map_err(|_| format!("{url}: not a response"))?;
    if !resp.ok() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    Ok(resp)
}

/// Fetches a sample file as text.
pub async fn fetch_text(path: &str) -> Result<String, String> {
    let resp = fetch(path).await?;
    let text = JsFuture::from(resp.text().map_err(|e| js_error(&e))?).await.map_err(|e| js_error(&e))?;
    text.as_string().ok_or_else(|| format!("{path}: not text"))
}

/// Fetches a sample file as bytes.
pub async fn fetch_bytes(path: &str) -> Result<Vec<u8>, String> {
    let resp = fetch(path).await?;
    let buf = JsFuture::from(resp.array_buffer().map_err(|e| js_error(&e))?).await.map_err(|e| js_error(&e))?;
    Ok(Uint8Array::new(&buf).to_vec())
}

/// Reads the manifest of bundled samples.
pub async fn manifest() -> Result<Manifest, String> {
    let text = fetch_text("index.json").await?;
    serde_json::from_str(&text).map_err(|e| format!("samples/index.json: {e}"))
}

/// Reads a user's file into memory.
pub async fn read_file(file: &File) -> Result<Vec<u8>, String> {
    let buf = JsFuture::from(file.array_buffer()).await.map_err(|e| format!("{}: {}", file.name(), js_error(&e)))?;
    Ok(Uint8Array::new(&buf).to_vec())
}

/// Resolves in a later task of the event loop (a zero-delay timer), so the work after it does not extend the
/// current main-thread task.
pub async fn next_task() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let queued = web_sys::window()
            .is_some_and(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0).is_ok());
        if !queued {
            let _ = resolve.call0(&wasm_bindgen::JsValue::UNDEFINED);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Resolves after `ms` milliseconds (a timer; resolves at once if none can be set).
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let queued = web_sys::window()
            .is_some_and(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).is_ok());
        if !queued {
            let _ = resolve.call0(&wasm_bindgen::JsValue::UNDEFINED);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// A JS exception as text.
fn js_error(e: &wasm_bindgen::JsValue) -> String {
    e.as_string()
        .or_else(|| e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())))
        .unwrap_or_else(|| format!("{e:?}"))
}

//! The pipeline worker (wasm32, loaded by `www/worker.js` in a dedicated Web Worker): runs the quantization
//! pipeline off the page's main thread. Requests and responses are JSON texts of
//! `ppq_playground::worker::protocol`; the logic lives in `ppq_playground::worker::worker`.

#[cfg(target_arch = "wasm32")]
mod wasm {
    use ppq_playground::worker::protocol::Response;
    use ppq_playground::worker::worker::Worker;
    use std::cell::RefCell;
    use wasm_bindgen::prelude::*;
    use web_sys::DedicatedWorkerGlobalScope;

    thread_local! {
        static WORKER: RefCell<Worker> = RefCell::new(Worker::default());
    }

    fn post(text: &str) {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        // Posting a string cannot fail (it is always cloneable).
        let _ = scope.post_message(&JsValue::from_str(text));
    }

    /// wasm32's address space: 65536 pages of 64 KiB.
    const WASM32_MAX_BYTES: u64 = 1 << 32;

    /// The memory budget for the next request: half of what the instance can still grow to (the other half
    /// is for what the budget does not count: the model's bytes, parameters, copies in the protocol), at most
    /// the native default. A model over it gets a named error instead of an out-of-memory trap.
    fn memory_budget() -> u64 {
        let used = (core::arch::wasm32::memory_size::<0>() as u64) << 16;
        (WASM32_MAX_BYTES.saturating_sub(used) / 2).min(ppq_playground::graph::budget::DEFAULT_MEMORY_BYTES)
    }

    /// Handles one request text from the page (called by worker.js).
    #[wasm_bindgen]
    pub fn handle(request: &str) {
        ppq_playground::graph::budget::set_memory_budget(memory_budget());
        WORKER.with(|w| match w.try_borrow_mut() {
            Ok(mut w) => w.handle_json(request, &mut |r| post(&r)),
            Err(_) => post(&Response::Error("the worker is busy".into()).to_json()),
        });
    }

    /// A panic becomes a `Crashed` message, so the page shows it and starts a fresh worker.
    pub fn start() {
        std::panic::set_hook(Box::new(|info| {
            post(&Response::Crashed(format!("the pipeline worker crashed: {info}")).to_json());
        }));
        post(&Response::Hello.to_json());
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {
    wasm::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("app-worker is the web app's pipeline worker: build it for wasm32 (see scripts/build-web.sh).");
}

// The pipeline worker: loads the app-worker wasm (wasm-bindgen --target no-modules) and hands every message
// from the page to it. Messages that arrive while the wasm loads wait in a queue.
importScripts('./pkg/app-worker.js');

const queue = [];
self.onmessage = (e) => queue.push(e.data);
wasm_bindgen('./pkg/app-worker_bg.wasm')
  .then(() => {
    self.onmessage = (e) => wasm_bindgen.handle(String(e.data));
    for (const m of queue.splice(0)) wasm_bindgen.handle(String(m));
  })
  .catch((err) => self.postMessage(JSON.stringify({ Crashed: `the pipeline worker failed to load: ${err}` })));

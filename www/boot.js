// Loads the wasm module built by scripts/build-web.sh and starts the yew app.
// A failure to load is shown on the page (and logged), so a broken build is never a blank page.
import init from './pkg/app-ui.js';

init().catch((err) => {
  const p = document.createElement('p');
  p.id = 'wasm-error';
  p.textContent = `The WebAssembly module failed to load: ${err}`;
  document.body.appendChild(p);
  console.error('wasm load failed', err);
});

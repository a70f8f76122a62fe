// Loads the wasm module built by scripts/build-web.sh and starts the yew app.
// A failure to load is shown on the page (and logged), so a broken build is never a blank page.
import init from './pkg/app-ui.js';

// The theme, before the first paint: the user's stored choice (the app's theme toggle), else the system's
// prefers-color-scheme, followed live until the user chooses.
const THEME_KEY = 'ppq-theme';
const stored = () => { try { return localStorage.getItem(THEME_KEY); } catch { return null; } };
const system = window.matchMedia('(prefers-color-scheme: dark)');
const applyTheme = () => { document.documentElement.dataset.theme = stored() || (system.matches ? 'dark' : 'light'); };
applyTheme();
system.addEventListener('change', () => { if (!stored()) applyTheme(); });

init().catch((err) => {
  const p = document.createElement('p');
  p.id = 'wasm-error';
  p.textContent = `The WebAssembly module failed to load: ${err}`;
  document.body.appendChild(p);
  console.error('wasm load failed', err);
});

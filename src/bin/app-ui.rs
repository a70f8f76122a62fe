//! The web app binary (wasm32): mounts the yew app. All logic lives in `ppq_playground::web::app`.

#[cfg(target_arch = "wasm32")]
fn main() {
    ppq_playground::web::app::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("app-ui is the web app: build it for wasm32 (see README.md, `scripts/serve.sh`).");
}

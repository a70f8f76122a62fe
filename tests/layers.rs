//! The dependency ladder of the workspace, checked from `cargo metadata`: core ← graph ← pipeline ← session ←
//! {teach, worker, cli} ← web. A crate may depend only on crates of a lower rung (never sideways or up), and the
//! quantization core on no browser crate at all. The compiler then enforces every `use` across layers.

use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

/// Rung of each layer crate (the root package `ppq-playground` sits above them all).
const RUNGS: &[(&str, u32)] = &[
    ("ppq-core", 0),
    ("ppq-graph", 1),
    ("ppq-pipeline", 2),
    ("ppq-session", 3),
    ("ppq-teach", 4),
    ("ppq-worker", 4),
    ("ppq-cli", 4),
    ("ppq-web", 5),
    ("ppq-playground", 6),
];

/// Dependencies that break the ladder today, each with the change that removes it. The list only shrinks.
const KNOWN_VIOLATIONS: &[(&str, &str)] = &[];

/// Crates the core must never pull in, directly or through another crate.
const BROWSER_CRATES: &[&str] = &["wasm-bindgen", "web-sys", "js-sys", "yew", "wasm-bindgen-futures"];

/// `cargo metadata`, resolved for one target platform (`None`: declared dependencies only, no resolution).
fn metadata(platform: Option<&str>) -> Value {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["metadata", "--format-version", "1"]).current_dir(env!("CARGO_MANIFEST_DIR"));
    match platform {
        Some(p) => cmd.args(["--filter-platform", p]),
        None => cmd.arg("--no-deps"),
    };
    let out = cmd.output().expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

#[test]
fn layer_crates_depend_only_on_lower_rungs() {
    let rung: BTreeMap<&str, u32> = RUNGS.iter().copied().collect();
    let meta = metadata(None);
    let packages = meta["packages"].as_array().unwrap();
    let mut seen = 0;
    let mut wrong = Vec::new();
    for p in packages {
        let name = p["name"].as_str().unwrap();
        let Some(&mine) = rung.get(name) else { panic!("workspace crate {name} has no rung in RUNGS") };
        seen += 1;
        for d in p["dependencies"].as_array().unwrap() {
            let dep = d["name"].as_str().unwrap();
            if let Some(&theirs) = rung.get(dep)
                && theirs >= mine
                && !KNOWN_VIOLATIONS.contains(&(name, dep))
            {
                wrong.push(format!("{name} (rung {mine}) depends on {dep} (rung {theirs})"));
            }
        }
    }
    assert_eq!(seen, RUNGS.len(), "every crate of RUNGS is a workspace member");
    assert!(wrong.is_empty(), "dependencies against the ladder:\n{}", wrong.join("\n"));
}

#[test]
fn the_core_pulls_in_no_browser_crate() {
    for platform in ["wasm32-unknown-unknown", "x86_64-unknown-linux-gnu"] {
        core_reaches_no_browser_crate(&metadata(Some(platform)), platform);
    }
}

fn core_reaches_no_browser_crate(meta: &Value, platform: &str) {
    let nodes = meta["resolve"]["nodes"].as_array().unwrap();
    let by_id: BTreeMap<&str, &Value> = nodes.iter().map(|n| (n["id"].as_str().unwrap(), n)).collect();
    let packages = meta["packages"].as_array().unwrap();
    let name_of: BTreeMap<&str, &str> =
        packages.iter().map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap())).collect();
    let core = packages.iter().find(|p| p["name"] == "ppq-core").unwrap()["id"].as_str().unwrap();
    // every crate reachable from the core through normal (non-dev) dependencies, on any target
    let mut stack = vec![core];
    let mut reached = std::collections::BTreeSet::new();
    while let Some(id) = stack.pop() {
        if !reached.insert(id) {
            continue;
        }
        for d in by_id[id]["deps"].as_array().unwrap() {
            let normal = d["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null());
            if normal {
                stack.push(d["pkg"].as_str().unwrap());
            }
        }
    }
    let names: Vec<&str> = reached.iter().map(|id| name_of[id]).collect();
    for b in BROWSER_CRATES {
        assert!(!names.contains(b), "on {platform}, ppq-core reaches {b}: {names:?}");
    }
    assert!(names.contains(&"serde"), "the walk found the core's own dependencies: {names:?}");
}

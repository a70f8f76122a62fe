//! Every reference `tqc.json` parses into [`Record`]s and writes back to the same JSON values,
//! so the record type really has exactly the reference fields.
#![cfg(not(target_arch = "wasm32"))]

use ppq_playground::pipeline::record::{Record, tqc_id};
use ppq_playground::reference::reference_dir;

fn tqc_files() -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for version in ["ppq-0.6.6", "ppq-0.6.5"] {
        let Ok(models) = std::fs::read_dir(reference_dir().join(version)) else { continue };
        for model in models.flatten() {
            for run in std::fs::read_dir(model.path()).into_iter().flatten().flatten() {
                let f = run.path().join("tqc.json");
                if f.exists() {
                    files.push(f);
                }
            }
        }
    }
    files.sort();
    files
}

#[test]
fn reference_tqc_json_round_trips() {
    let files = tqc_files();
    assert!(files.len() >= 20, "expected the reference runs, found {}", files.len());
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
        let records: Vec<Record> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(serde_json::to_value(&records).unwrap(), raw, "{}", f.display());
        for r in records.iter().filter_map(Record::as_tqc) {
            assert_eq!(r.id, tqc_id(&r.op, r.io == "in", r.index, &r.var), "{}", f.display());
        }
    }
}

// The onnx_import fuzz body, shared by fuzz/fuzz_targets/onnx_import.rs (libFuzzer, native) and
// tests/wasm_fuzz.rs (wasm32 under Node). Included with `include!`, hence no module docs.

use ppq_playground::graph::dispatch::dispatch_graph;
use ppq_playground::graph::format::{FormatVersion, format_graph};
use ppq_playground::graph::import::import_onnx;
use ppq_playground::graph::validate::validate;

/// Arbitrary bytes as an ONNX file: import, validate, then format and dispatch whether or not validation
/// passed (formatting must not rely on it). Any panic is a bug (errors are fine).
pub fn run(data: &[u8]) {
    let Ok(mut graph) = import_onnx(data) else { return };
    let _ = validate(&graph);
    let mut v065 = graph.clone();
    if format_graph(&mut graph, FormatVersion::V066).is_ok() {
        dispatch_graph(&mut graph, &["Conv", "Gemm", "MatMul", "Add", "Relu"], &[]);
    }
    let _ = format_graph(&mut v065, FormatVersion::V065);
}

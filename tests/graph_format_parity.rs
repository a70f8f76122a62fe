#![cfg(not(target_arch = "wasm32"))]
//! Formatting and dispatch parity with real PPQ 0.6.6: after `format_graph`, every reference model has the same
//! ops (names, types, topological order), the same input/output variable names per op, and after dispatch
//! plus platform resolution the same platform per op as `ppq-0.6.6/<model>/TRT_INT8__minmax/tqc.json`.

use ppq_playground::core::platform::TargetPlatform;
use ppq_playground::graph::BaseGraph;
use ppq_playground::graph::dispatch::{dispatch_graph, resolve_platforms};
use ppq_playground::graph::format::{FormatVersion, format_graph};
use ppq_playground::graph::import::import_onnx;
use serde_json::Value;
use std::collections::BTreeMap;

const MODELS: &[&str] = &["a_concat_pool", "b_residual", "c_soi", "d_passive", "digits_cnn"];

/// TensorRTQuantizer's quant_operation_types (spec §7.2).
const TRT_QUANT_TYPES: &[&str] = &[
    "Conv",
    "ConvTranspose",
    "Gemm",
    "Relu",
    "PRelu",
    "Clip",
    "Pad",
    "Resize",
    "MaxPool",
    "AveragePool",
    "GlobalMaxPool",
    "GlobalAveragePool",
    "Softmax",
    "Mul",
    "Add",
    "Max",
    "Sub",
    "Div",
    "Reshape",
    "LeakyRelu",
    "Concat",
    "Sigmoid",
    "Interp",
    "ReduceMean",
    "Transpose",
    "Slice",
    "Flatten",
    "HardSwish",
    "HardSigmoid",
    "MatMul",
    "Attention",
    "LayerNormalization",
    "Gelu",
    "PPQBiasFusedMatMul",
];

#[derive(Debug, Default, PartialEq)]
struct OpView {
    op_type: String,
    platform: String,
    inputs: BTreeMap<usize, String>,
    outputs: BTreeMap<usize, String>,
}

/// (op order, op name → view) from tqc.json.
fn expected(model: &str) -> (Vec<String>, BTreeMap<String, OpView>) {
    let path = ppq_playground::reference::reference_dir().join(format!("ppq-0.6.6/{model}/TRT_INT8__minmax/tqc.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rows: Vec<Value> = serde_json::from_str(&text).unwrap();
    let (mut order, mut ops) = (Vec::new(), BTreeMap::<String, OpView>::new());
    let s = |v: &Value| v.as_str().unwrap().to_string();
    for r in rows {
        let name = s(&r["op"]);
        if !ops.contains_key(&name) {
            order.push(name.clone());
        }
        let view = ops.entry(name).or_default();
        view.op_type = s(&r["op_type"]);
        view.platform = s(&r["platform"]);
        if let Some(io) = r.get("io") {
            let slot = r["index"].as_u64().unwrap() as usize;
            let map = if io == "in" { &mut view.inputs } else { &mut view.outputs };
            map.insert(slot, s(&r["var"]));
        } else {
            for (key, map) in [("inputs", &mut view.inputs), ("outputs", &mut view.outputs)] {
                for (i, v) in r[key].as_array().unwrap().iter().enumerate() {
                    map.insert(i, s(v));
                }
            }
        }
    }
    (order, ops)
}

fn actual(g: &BaseGraph) -> (Vec<String>, BTreeMap<String, OpView>) {
    let order = g.topological_sort().unwrap().into_iter().map(|id| g.op(id).name.clone()).collect();
    let ops = g
        .operations()
        .map(|(_, op)| {
            let names =
                |vs: &[ppq_playground::graph::VarId]| vs.iter().map(|&v| g.var(v).name.clone()).enumerate().collect();
            (
                op.name.clone(),
                OpView {
                    op_type: op.op_type.clone(),
                    platform: op.platform.name().to_string(),
                    inputs: names(&op.inputs),
                    outputs: names(&op.outputs),
                },
            )
        })
        .collect();
    (order, ops)
}

fn formatted(model: &str) -> BaseGraph {
    let path = ppq_playground::reference::reference_dir().join(format!("models/{model}.onnx"));
    let mut g = import_onnx(&std::fs::read(path).unwrap()).unwrap();
    format_graph(&mut g, FormatVersion::V066).unwrap();
    g
}

#[test]
fn formatted_graphs_match_ppq() {
    for m in MODELS {
        let g = formatted(m);
        let (want_order, want) = expected(m);
        let (got_order, got) = actual(&g);
        assert_eq!(got_order, want_order, "{m}: op order");
        assert_eq!(got.len(), want.len(), "{m}: op count");
        for (name, w) in &want {
            let a = &got[name];
            assert_eq!((&a.op_type, &a.inputs, &a.outputs), (&w.op_type, &w.inputs, &w.outputs), "{m}: op {name}");
        }
    }
}

#[test]
fn dispatched_platforms_match_ppq() {
    for m in MODELS {
        let mut g = formatted(m);
        dispatch_graph(&mut g, TRT_QUANT_TYPES, &[]);
        resolve_platforms(&mut g, TargetPlatform::TrtInt8, TRT_QUANT_TYPES);
        let (_, want) = expected(m);
        let (_, got) = actual(&g);
        for (name, w) in &want {
            assert_eq!(got[name].platform, w.platform, "{m}: platform of {name}");
        }
    }
}

#[test]
fn bn_fold_names_and_values() {
    let g = formatted("a_concat_pool");
    assert!(g.op_by_name("bn0").is_none());
    assert!(g.var_by_name("c0").is_none(), "the Conv→BN variable is deleted");
    assert!(g.var_by_name("c0_w").is_none() && g.var_by_name("bn_s").is_none());
    let conv = g.op(g.op_by_name("conv0").unwrap());
    assert_eq!(conv.opset.version, 11, "re-created ops get PPQ's default opset");
    let w = g.var(g.var_by_name("conv0_weight").unwrap());
    assert!(w.is_parameter);
    assert_eq!(w.value.as_ref().unwrap().shape(), &[4, 3, 3, 3]);
}

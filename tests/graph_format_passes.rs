#![cfg(not(target_arch = "wasm32"))]
//! Formatting steps the reference models do not exercise: Constant folding, shared-parameter splitting,
//! bias-Add fusion and Identity removal, with PPQ's naming and output-order side effects.

use ndarray::{ArrayD, IxDyn};
use ppq_playground::graph::format::{FormatVersion, format_graph};
use ppq_playground::graph::ir::Opset;
use ppq_playground::graph::{AttrValue, Attributes, BaseGraph, Tensor};

fn f32s(shape: &[usize], v: Vec<f32>) -> Tensor {
    Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
}

#[test]
fn constant_shared_weight_bias_add_and_identity() {
    let mut g = BaseGraph::new("g");
    let mut var = |n: &str, v: Option<Tensor>| g.create_variable(Some(n.into()), v.clone(), v.is_some()).unwrap();
    let (x, w) = (var("x", None), var("w", Some(f32s(&[4, 3, 1, 1], vec![1.0; 12]))));
    let (c, cb, a, out, o2) = (var("c", None), var("cb", None), var("a", None), var("out", None), var("o2", None));
    let bias = f32s(&[1, 4, 1, 1], vec![1.0, 2.0, 3.0, 4.0]);
    let mk = |name: &str| Attributes::new(name);
    let op = Opset::default();
    g.create_operation(
        Some("cst".into()),
        "Constant",
        mk("cst").with("value", AttrValue::Tensor(bias)),
        vec![],
        vec![cb],
        op.clone(),
    )
    .unwrap();
    g.create_operation(Some("conv".into()), "Conv", mk("conv"), vec![x, w], vec![c], op.clone()).unwrap();
    g.create_operation(Some("add".into()), "Add", mk("add"), vec![c, cb], vec![a], op.clone()).unwrap();
    g.create_operation(Some("id".into()), "Identity", mk("id"), vec![a], vec![out], op.clone()).unwrap();
    g.create_operation(Some("conv2".into()), "Conv", mk("conv2"), vec![x, w], vec![o2], op).unwrap();
    g.inputs = vec![x];
    g.outputs = vec![out, o2];

    format_graph(&mut g, FormatVersion::V066).unwrap();

    let names: Vec<&str> = g.operations().map(|(_, o)| o.name.as_str()).collect();
    assert_eq!(names, ["conv", "conv2"]);
    let ins = |op: &str| -> Vec<String> {
        g.op(g.op_by_name(op).unwrap()).inputs.iter().map(|&v| g.var(v).name.clone()).collect()
    };
    assert_eq!(ins("conv"), ["x", "PPQ_Variable_0", "PPQ_Variable_2"]);
    assert_eq!(ins("conv2"), ["x", "PPQ_Variable_1"]);
    let outs: Vec<&str> = g.outputs.iter().map(|&v| g.var(v).name.as_str()).collect();
    assert_eq!(outs, ["o2", "c"], "the fused output moves to the end of graph.outputs");
    let b = g.var(g.var_by_name("PPQ_Variable_2").unwrap());
    assert_eq!(b.value.as_ref().unwrap(), &f32s(&[4], vec![1.0, 2.0, 3.0, 4.0]));
    assert!(g.var_by_name("w").is_none() && g.var_by_name("cb").is_none() && g.var_by_name("out").is_none());
}

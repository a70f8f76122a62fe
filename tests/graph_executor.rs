#![cfg(not(target_arch = "wasm32"))]
//! Executor data flow with a fake op runner (the real kernels live in `graph::ops` and are wired at merge):
//! executing order, input checks, hooks that observe and rewrite values, and requested outputs.

use ndarray::{ArrayD, IxDyn};
use ppq_playground::graph::executor::{ExecutionHook, Executor, NoHook};
use ppq_playground::graph::ir::{Dim, Opset};
use ppq_playground::graph::{Attributes, BaseGraph, GraphError, OpId, Tensor};

fn f32s(shape: &[usize], v: Vec<f32>) -> Tensor {
    Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
}

/// `Twice` doubles, `AddP` adds its second input (a parameter) elementwise, `Fail` fails.
fn fake_runner(op_type: &str, inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Vec<Tensor>, GraphError> {
    let x = inputs[0].unwrap().as_f32(&attrs.op)?;
    match op_type {
        "Twice" => Ok(vec![Tensor::F32(x * 2.0)]),
        "AddP" => Ok(vec![Tensor::F32(x + inputs[1].unwrap().as_f32(&attrs.op)?)]),
        _ => Err(GraphError::UnsupportedOp { op: attrs.op.clone(), op_type: op_type.into() }),
    }
}

/// x → a:Twice → t → b:AddP(p) → y, plus t → c:Twice → z.
fn graph() -> BaseGraph {
    let mut g = BaseGraph::new("g");
    let x = g.create_variable(Some("x".into()), None, false).unwrap();
    let t = g.create_variable(Some("t".into()), None, false).unwrap();
    let p = g.create_variable(Some("p".into()), Some(f32s(&[2], vec![1.0, 10.0])), true).unwrap();
    let y = g.create_variable(Some("y".into()), None, false).unwrap();
    let z = g.create_variable(Some("z".into()), None, false).unwrap();
    g.var_mut(x).dtype = Some(1);
    g.var_mut(x).shape = Some(vec![Dim::Param("batch".into()), Dim::Value(2)]);
    let attrs = Attributes::default();
    g.create_operation(Some("b".into()), "AddP", attrs.clone(), vec![t, p], vec![y], Opset::default()).unwrap();
    g.create_operation(Some("a".into()), "Twice", attrs.clone(), vec![x], vec![t], Opset::default()).unwrap();
    g.create_operation(Some("c".into()), "Twice", attrs, vec![t], vec![z], Opset::default()).unwrap();
    g.inputs = vec![x];
    g.outputs = vec![y, z];
    g
}

#[derive(Default)]
struct Recorder {
    seen: Vec<String>,
}

impl ExecutionHook for Recorder {
    fn before_op(&mut self, g: &BaseGraph, op: OpId, inputs: &mut [Option<Tensor>]) -> Result<(), GraphError> {
        self.seen.push(format!("{}:{}", g.op(op).name, inputs.len()));
        Ok(())
    }
    fn after_op(&mut self, g: &BaseGraph, op: OpId, outputs: &mut [Tensor]) -> Result<(), GraphError> {
        if g.op(op).name == "a" {
            outputs[0] = f32s(&[1, 2], vec![100.0, 100.0]); // a "fake-quant" that rewrites the value
        }
        Ok(())
    }
}

#[test]
fn runs_in_topological_order_with_hooks() {
    let g = graph();
    let ex = Executor::with_runner(&g, fake_runner).unwrap();
    let x = f32s(&[1, 2], vec![1.0, 2.0]);
    let out = ex.forward(&[("x", x.clone())], None, &mut NoHook).unwrap();
    assert_eq!(out, vec![f32s(&[1, 2], vec![3.0, 14.0]), f32s(&[1, 2], vec![4.0, 8.0])]);

    let mut rec = Recorder::default();
    let out = ex.forward(&[("x", x.clone())], Some(&["y"]), &mut rec).unwrap();
    assert_eq!(rec.seen, ["a:1", "b:2"], "only the prefix needed for y runs, in topological order");
    assert_eq!(out, vec![f32s(&[1, 2], vec![101.0, 110.0])], "after_op rewrites flow downstream");

    let out = ex.forward(&[("x", x)], Some(&["t", "x"]), &mut NoHook).unwrap();
    assert_eq!(out[0], f32s(&[1, 2], vec![2.0, 4.0]));
}

#[test]
fn input_checks_name_the_input() {
    let g = graph();
    let ex = Executor::with_runner(&g, fake_runner).unwrap();
    let err = ex.forward(&[("x", f32s(&[1, 3], vec![0.0; 3]))], None, &mut NoHook).unwrap_err();
    assert!(err.to_string().contains("input 'x'"), "{err}");
    let err = ex.forward(&[("x", Tensor::I64(ArrayD::zeros(IxDyn(&[1, 2]))))], None, &mut NoHook).unwrap_err();
    assert!(err.to_string().contains("input 'x'"), "{err}");
    assert_eq!(ex.forward(&[], None, &mut NoHook).unwrap_err(), GraphError::MissingValue("x".into()));
    assert!(ex.forward(&[("nope", f32s(&[1, 2], vec![0.0; 2]))], None, &mut NoHook).is_err());
    // A symbolic batch dimension accepts any size.
    assert!(ex.forward(&[("x", f32s(&[3, 2], vec![0.0; 6]))], None, &mut NoHook).is_ok());
}

#[test]
fn op_errors_and_cycles_are_reported() {
    let mut g = graph();
    let a = g.op_by_name("a").unwrap();
    g.op_mut(a).op_type = "Fail".into();
    let ex = Executor::with_runner(&g, fake_runner).unwrap();
    let err = ex.forward(&[("x", f32s(&[1, 2], vec![0.0; 2]))], None, &mut NoHook).unwrap_err();
    assert_eq!(err, GraphError::UnsupportedOp { op: "a".into(), op_type: "Fail".into() });

    // Feed y back into a: a cycle a → b → a.
    let mut g = graph();
    let (a, y) = (g.op_by_name("a").unwrap(), g.var_by_name("y").unwrap());
    g.op_mut(a).inputs.push(y);
    g.var_mut(y).dest_ops.push(a);
    assert!(matches!(Executor::new(&g), Err(GraphError::Invalid(m)) if m.contains("cycle")));
}

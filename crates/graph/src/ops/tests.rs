//! Error paths: malformed shapes, dtypes and attributes must come back as the right `GraphError`, never a panic.

use super::*;
use crate::AttrValue;
use ndarray::{ArrayD, IxDyn};

fn f32t(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), (0..n).map(|v| v as f32 * 0.1).collect()).unwrap())
}

fn i64t(v: &[i64]) -> Tensor {
    Tensor::I64(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap())
}

fn run(op: &str, inputs: &[&Tensor], attrs: Attributes) -> Result<Vec<Tensor>, GraphError> {
    let ins: Vec<Option<&Tensor>> = inputs.iter().map(|t| Some(*t)).collect();
    run_op(op, &ins, &attrs)
}

fn is_shape_err(r: Result<Vec<Tensor>, GraphError>, op: &str) -> String {
    match r {
        Err(GraphError::Shape { op: o, why }) => {
            assert_eq!(o, op);
            why
        }
        other => panic!("expected a Shape error, got {other:?}"),
    }
}

fn is_attr_err(r: Result<Vec<Tensor>, GraphError>, attr: &str) {
    match r {
        Err(GraphError::Attribute { attr: a, .. }) => assert_eq!(a, attr),
        other => panic!("expected an Attribute error on {attr}, got {other:?}"),
    }
}

#[test]
fn unknown_op_is_unsupported() {
    let r = run("NonMaxSuppression", &[], Attributes::new("nms_1"));
    assert_eq!(r, Err(GraphError::UnsupportedOp { op: "nms_1".into(), op_type: "NonMaxSuppression".into() }));
    assert!(supported_ops().contains(&"Conv") && !supported_ops().contains(&"NonMaxSuppression"));
    assert!(supported_ops().windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
}

#[test]
fn every_supported_op_is_dispatched() {
    for op in supported_ops() {
        let r = run_op(op, &[], &Attributes::new("x"));
        assert!(!matches!(r, Err(GraphError::UnsupportedOp { .. })), "{op} is listed but not dispatched");
    }
}

#[test]
fn conv_errors() {
    let x = f32t(&[1, 3, 5, 5]);
    let why = is_shape_err(run("Conv", &[&x, &f32t(&[4, 2, 3, 3])], Attributes::new("c")), "c");
    assert!(why.contains("channels"), "{why}");
    let why = is_shape_err(run("Conv", &[&f32t(&[3, 5, 5]), &f32t(&[4, 3, 3, 3])], Attributes::new("c")), "c");
    assert!(why.contains("1-D and 2-D"), "{why}");
    is_shape_err(run("Conv", &[&x, &f32t(&[4, 3, 7, 7])], Attributes::new("c")), "c");
    is_shape_err(run("Conv", &[&x, &f32t(&[4, 3, 3, 3]), &f32t(&[3])], Attributes::new("c")), "c");
    is_shape_err(run("Conv", &[&i64t(&[1, 2]), &f32t(&[4, 3, 3, 3])], Attributes::new("c")), "c");
    is_shape_err(run("Conv", &[&x, &f32t(&[4, 3, 0, 3])], Attributes::new("c")), "c");
    let w = f32t(&[4, 3, 3, 3]);
    is_attr_err(run("Conv", &[&x, &w], Attributes::new("c").with("strides", AttrValue::Ints(vec![0, 1]))), "strides");
    is_attr_err(run("Conv", &[&x, &w], Attributes::new("c").with("pads", AttrValue::Ints(vec![1, 1]))), "pads");
    is_attr_err(run("Conv", &[&x, &w], Attributes::new("c").with("group", AttrValue::Float(1.0))), "group");
    is_attr_err(run("Conv", &[&x, &w], Attributes::new("c").with("auto_pad", AttrValue::Int(3))), "auto_pad");
    is_attr_err(run("Conv", &[&x, &w], Attributes::new("c").with("group", AttrValue::Int(0))), "group");
    let huge = Attributes::new("c").with("dilations", AttrValue::Ints(vec![i64::MAX, 1]));
    is_attr_err(run("Conv", &[&x, &w], huge), "dilations");
    let huge = Attributes::new("c").with("pads", AttrValue::Ints(vec![0, 0, i64::MAX, 0]));
    is_attr_err(run("Conv", &[&x, &w], huge), "pads");
    let r = run("Conv", &[&x, &w], Attributes::new("c").with("pads", AttrValue::Ints(vec![0, 0, 1 << 20, 1 << 20])));
    assert!(matches!(r, Err(GraphError::TooLarge(_))), "{r:?}");
    let r = run("Conv", &[&x, &w], Attributes::new("c").with("group", AttrValue::Int(2)));
    assert!(matches!(r, Err(GraphError::Shape { .. })), "{r:?}");
    is_shape_err(run_op("Conv", &[Some(&x), None], &Attributes::new("c")), "c");
}

#[test]
fn gemm_and_matmul_errors() {
    let why = is_shape_err(run("Gemm", &[&f32t(&[2, 3]), &f32t(&[4, 5])], Attributes::new("g")), "g");
    assert!(why.contains("inner"), "{why}");
    is_shape_err(run("Gemm", &[&f32t(&[2, 3, 1]), &f32t(&[3, 5])], Attributes::new("g")), "g");
    is_shape_err(run("Gemm", &[&f32t(&[2, 3]), &f32t(&[3, 5]), &f32t(&[3])], Attributes::new("g")), "g");
    is_shape_err(run("MatMul", &[&f32t(&[2, 3]), &f32t(&[4])], Attributes::new("m")), "m");
    is_shape_err(run("MatMul", &[&f32t(&[2, 2, 3]), &f32t(&[3, 3, 1])], Attributes::new("m")), "m");
}

#[test]
fn elementwise_errors() {
    let why = is_shape_err(run("Add", &[&f32t(&[2, 3]), &f32t(&[4])], Attributes::new("a")), "a");
    assert!(why.contains("broadcast"), "{why}");
    is_shape_err(run("Mul", &[&f32t(&[2]), &i64t(&[1, 2])], Attributes::new("a")), "a");
    is_shape_err(run("Div", &[&i64t(&[1, 2]), &i64t(&[0])], Attributes::new("a")), "a");
    is_shape_err(run("Relu", &[&i64t(&[1])], Attributes::new("a")), "a");
    is_shape_err(run("PRelu", &[&f32t(&[2, 3]), &f32t(&[2, 3, 3])], Attributes::new("a")), "a");
    is_attr_err(
        run("LeakyRelu", &[&f32t(&[2])], Attributes::new("a").with("alpha", AttrValue::Ints(vec![1]))),
        "alpha",
    );
    is_attr_err(
        run("Gelu", &[&f32t(&[2])], Attributes::new("a").with("approximate", AttrValue::String(b"fast".to_vec()))),
        "approximate",
    );
    is_shape_err(run("Clip", &[&f32t(&[2]), &f32t(&[2])], Attributes::new("a")), "a");
}

#[test]
fn shape_op_errors() {
    let x = f32t(&[2, 3, 4]);
    is_shape_err(run("Reshape", &[&x, &i64t(&[5, -1])], Attributes::new("r")), "r");
    is_shape_err(run("Reshape", &[&x, &i64t(&[-1, -1])], Attributes::new("r")), "r");
    is_shape_err(run("Reshape", &[&x, &i64t(&[0, 0, 0, 0])], Attributes::new("r")), "r");
    is_shape_err(run("Reshape", &[&x, &f32t(&[2])], Attributes::new("r")), "r");
    is_attr_err(run("Transpose", &[&x], Attributes::new("t").with("perm", AttrValue::Ints(vec![0, 0, 1]))), "perm");
    is_shape_err(run("Transpose", &[&x], Attributes::new("t").with("perm", AttrValue::Ints(vec![0, 5, 1]))), "t");
    is_shape_err(run("Squeeze", &[&x, &i64t(&[1])], Attributes::new("s")), "s");
    is_shape_err(run("Unsqueeze", &[&x], Attributes::new("u")), "u");
    is_shape_err(run("Unsqueeze", &[&x, &i64t(&[0, 0])], Attributes::new("u")), "u");
    is_attr_err(run("Flatten", &[&x], Attributes::new("f").with("axis", AttrValue::Int(4))), "axis");
    is_attr_err(run("Concat", &[&x, &x], Attributes::new("c")), "axis");
    is_shape_err(run("Concat", &[&x, &f32t(&[2, 4, 4])], Attributes::new("c").with("axis", AttrValue::Int(2))), "c");
    is_shape_err(run("Concat", &[&x, &x], Attributes::new("c").with("axis", AttrValue::Int(-4))), "c");
    is_shape_err(run("Split", &[&x, &i64t(&[1, 2])], Attributes::new("s").with("axis", AttrValue::Int(2))), "s");
    is_attr_err(run("Split", &[&x], Attributes::new("s")), "num_outputs");
    is_shape_err(run("Slice", &[&x, &i64t(&[0]), &i64t(&[1]), &i64t(&[0]), &i64t(&[0])], Attributes::new("s")), "s");
    is_shape_err(run("Slice", &[&x, &i64t(&[0, 1]), &i64t(&[1])], Attributes::new("s")), "s");
    is_shape_err(run("Gather", &[&x, &i64t(&[2])], Attributes::new("g")), "g");
    is_shape_err(run("Gather", &[&x, &i64t(&[-3])], Attributes::new("g")), "g");
    is_shape_err(run("Expand", &[&x, &i64t(&[5, 1])], Attributes::new("e")), "e");
    is_shape_err(run("Pad", &[&x, &i64t(&[1, 1])], Attributes::new("p")), "p");
    is_shape_err(run("Pad", &[&x, &i64t(&[0, 0, -3, 0, 0, -2])], Attributes::new("p")), "p");
    is_attr_err(
        run("Pad", &[&x, &i64t(&[0; 6])], Attributes::new("p").with("mode", AttrValue::String(b"wrap".to_vec()))),
        "mode",
    );
    // float16 is stored as f32 rounded to float16 precision (0.1 becomes 0.099975586)
    let h = run("Cast", &[&x], Attributes::new("c").with("to", AttrValue::Int(10))).unwrap();
    assert!(matches!(&h[0], Tensor::F32(a) if a.iter().nth(1) == Some(&0.099975586)), "{h:?}");
    is_attr_err(run("Cast", &[&x], Attributes::new("c").with("to", AttrValue::Int(14))), "to");
    is_shape_err(run("ConstantOfShape", &[&i64t(&[2, -1])], Attributes::new("k")), "k");
    is_attr_err(run("Constant", &[], Attributes::new("k")), "value");
    let huge = run("ConstantOfShape", &[&i64t(&[1 << 40, 1 << 40])], Attributes::new("k"));
    assert!(matches!(huge, Err(GraphError::TooLarge(_))), "{huge:?}");
    let huge = run("Expand", &[&x, &i64t(&[1 << 30, 1, 1])], Attributes::new("e"));
    assert!(matches!(huge, Err(GraphError::TooLarge(_))), "{huge:?}");
    is_shape_err(run("Pad", &[&x, &i64t(&[0, 0, i64::MAX, 0, 0, i64::MAX])], Attributes::new("p")), "p");
    let huge = run("Pad", &[&x, &i64t(&[0, 0, 1 << 40, 0, 0, 0])], Attributes::new("p"));
    assert!(matches!(huge, Err(GraphError::TooLarge(_))), "{huge:?}");
    is_attr_err(run("Split", &[&x], Attributes::new("s").with("num_outputs", AttrValue::Int(i64::MAX))), "num_outputs");
}

#[test]
fn pool_norm_resize_reduce_quant_errors() {
    let x = f32t(&[1, 2, 4, 4]);
    is_attr_err(run("MaxPool", &[&x], Attributes::new("p")), "kernel_shape");
    is_shape_err(run("MaxPool", &[&x], Attributes::new("p").with("kernel_shape", AttrValue::Ints(vec![5, 5]))), "p");
    is_attr_err(
        run("AveragePool", &[&x], Attributes::new("p").with("kernel_shape", AttrValue::Ints(vec![2]))),
        "kernel_shape",
    );
    is_shape_err(run("GlobalAveragePool", &[&f32t(&[2, 3])], Attributes::new("p")), "p");
    is_shape_err(run("Softmax", &[&x], Attributes::new("s").with("axis", AttrValue::Int(4))), "s");
    is_shape_err(run("LayerNormalization", &[&x, &f32t(&[3])], Attributes::new("l")), "l");
    let p2 = f32t(&[2]);
    is_shape_err(run("BatchNormalization", &[&x, &p2, &p2, &p2, &f32t(&[3])], Attributes::new("b")), "b");
    is_shape_err(run_op("Resize", &[Some(&x), None, None, None], &Attributes::new("r")), "r");
    is_shape_err(run_op("Resize", &[Some(&x), None, Some(&f32t(&[2]))], &Attributes::new("r")), "r");
    let sizes = i64t(&[1, 2, 8, 8]);
    let bad_mode = Attributes::new("r").with("mode", AttrValue::String(b"cubic".to_vec()));
    is_attr_err(run_op("Resize", &[Some(&x), None, None, Some(&sizes)], &bad_mode), "mode");
    is_shape_err(run("ReduceMean", &[&x], Attributes::new("m").with("axes", AttrValue::Ints(vec![7]))), "m");
    let scales = f32t(&[3]);
    is_shape_err(run("QuantizeLinear", &[&x, &scales], Attributes::new("q")), "q");
    is_shape_err(run("DequantizeLinear", &[&x, &f32t(&[1])], Attributes::new("q")), "q");
}

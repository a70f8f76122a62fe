//! Formatting steps that fold BatchNormalization and bias Adds into Conv / ConvTranspose / Gemm (spec §13.2.2,
//! steps 4–6). The float32 arithmetic follows PPQ's torch expressions in the same evaluation order, so folded
//! weights are bit-identical to PPQ's.

use crate::ir::{BaseGraph, OpId, Opset, VarId};
use crate::{GraphError, Tensor};
use ndarray::{ArrayD, Axis, IxDyn};

const COMPUTING: [&str; 3] = ["Conv", "ConvTranspose", "Gemm"];

fn f32_value(graph: &BaseGraph, v: VarId, op: &str) -> Result<ArrayD<f32>, GraphError> {
    match &graph.var(v).value {
        Some(t) => Ok(t.as_f32(op)?.clone()),
        None => Err(GraphError::MissingValue(graph.var(v).name.clone())),
    }
}

/// FUSE_BIAS_ADD: Conv/ConvTranspose/Gemm → Add(parameter) becomes the op's bias input `PPQ_Variable_<n>`.
/// Quirks kept: a Conv bias of shape [1, C, 1, …] is squeezed in place even when the op already has a bias (and
/// is then not fused); Gemm `beta` is ignored.
pub fn fuse_bias_add(graph: &mut BaseGraph) -> Result<(), GraphError> {
    for id in graph.op_ids() {
        if !graph.has_op(id) || !COMPUTING.contains(&graph.op(id).op_type.as_str()) {
            continue;
        }
        let down = graph.downstream_ops(id);
        let [down] = down.as_slice() else { continue };
        let down = *down;
        if graph.op(down).op_type != "Add" {
            continue;
        }
        let params = graph.parameter_inputs(down);
        let [bias] = params.as_slice() else { continue };
        let bias = *bias;
        let name = graph.op(id).name.clone();
        let Some(mut value) = graph.var(bias).value.clone() else { continue };
        if graph.op(id).op_type != "Gemm" {
            let Some(&w) = graph.op(id).inputs.get(1) else { continue };
            let w_rank = graph.var(w).value.as_ref().map_or(0, |t| t.shape().len());
            let shape = value.shape().to_vec();
            let squeezed: Vec<usize> = shape.iter().copied().filter(|&d| d != 1).collect();
            if shape.len() != w_rank || squeezed.len() != 1 || shape.get(1) == Some(&1) {
                continue;
            }
            let arr = value.as_f32(&name)?.clone();
            let len = arr.len();
            value = Tensor::F32(
                arr.into_shape_with_order(IxDyn(&[len])).map_err(|e| GraphError::shape(&name, e.to_string()))?,
            );
            graph.var_mut(bias).value = Some(value.clone());
        }
        if graph.op(id).inputs.len() == 3 {
            continue;
        }
        let new_bias = graph.create_variable(None, Some(value), true)?;
        graph.op_mut(id).inputs.push(new_bias);
        graph.var_mut(new_bias).dest_ops.push(id);
        graph.remove_operation(down, true)?;
    }
    Ok(())
}

/// FUSE_BN: a Conv/ConvTranspose/Gemm whose only consumer is a BatchNormalization is rebuilt as a new op with
/// the same name and attributes, inputs (x, `<op>_weight`, `<op>_bias`) and the BN's output; it goes to the end
/// of the op order with opset `ai.onnx` 11. The old op, the BN and their parameters are removed.
pub fn fuse_bn(graph: &mut BaseGraph) -> Result<(), GraphError> {
    let mut paths = Vec::new();
    for (id, op) in graph.operations() {
        if COMPUTING.contains(&op.op_type.as_str()) {
            for down in graph.downstream_ops(id) {
                if graph.op(down).op_type == "BatchNormalization" {
                    paths.push((id, down));
                }
            }
        }
    }
    for (cop, bn) in paths {
        if !graph.has_op(cop) || !graph.has_op(bn) {
            continue;
        }
        if graph.downstream_ops(cop).len() > 1 || graph.upstream_ops(bn).len() > 1 {
            continue; // PPQ warns and skips.
        }
        fold_one(graph, cop, bn)?;
    }
    Ok(())
}

fn bn_factors(graph: &BaseGraph, bn: OpId) -> Result<[ArrayD<f32>; 5], GraphError> {
    let name = graph.op(bn).name.clone();
    let params = graph.parameter_inputs(bn);
    let [a, b, m, v] = params.as_slice() else {
        return Err(GraphError::shape(&name, "BatchNormalization needs exactly 4 parameter inputs"));
    };
    let eps = graph.op(bn).attributes.float_or("epsilon", 1e-5)?;
    let (alpha, beta, mean, var) = (
        f32_value(graph, *a, &name)?,
        f32_value(graph, *b, &name)?,
        f32_value(graph, *m, &name)?,
        f32_value(graph, *v, &name)?,
    );
    let n = alpha.len();
    if [beta.len(), mean.len(), var.len()].iter().any(|&l| l != n) {
        return Err(GraphError::shape(&name, "BatchNormalization parameters differ in length"));
    }
    let denom = var.mapv(|x| (x + eps).sqrt());
    Ok([alpha, beta, mean, var, denom])
}

fn fold_one(graph: &mut BaseGraph, cop: OpId, bn: OpId) -> Result<(), GraphError> {
    let op = graph.op(cop).clone();
    let name = op.name.clone();
    let [alpha, beta, mean, _, denom] = bn_factors(graph, bn)?;
    let params = graph.parameter_inputs(cop);
    let Some(&wv) = params.first() else { return Err(GraphError::shape(&name, "no weight parameter")) };
    let mut w = f32_value(graph, wv, &name)?;
    let trans_b = op.attributes.int_or("transB", 0)?;
    let group = usize::try_from(op.attributes.int_or("group", 1)?.max(1))
        .map_err(|_| GraphError::attribute(&name, "group", "is too large"))?;
    let b = match params.get(1) {
        Some(&bv) if params.len() > 1 => f32_value(graph, bv, &name)?,
        _ => {
            let len = match (op.op_type.as_str(), trans_b) {
                ("ConvTranspose", _) => w.shape().get(1).copied().unwrap_or(0).saturating_mul(group),
                ("Gemm", 0) => w.shape().get(1).copied().unwrap_or(0),
                _ => w.shape().first().copied().unwrap_or(0),
            };
            ArrayD::zeros(IxDyn(&[len]))
        }
    };
    let c = alpha.len();
    if b.len() != c {
        return Err(GraphError::shape(&name, format!("bias length {} does not match BatchNorm channels {c}", b.len())));
    }
    let s: Vec<f32> = alpha.iter().zip(&denom).map(|(a, d)| a / d).collect();
    let new_b: Vec<f32> = (0..c).map(|i| ((alpha[i] * (b[i] - mean[i])) / denom[i]) + beta[i]).collect();
    let mismatch = || GraphError::shape(&name, "weight shape does not match BatchNorm channels");
    match (op.op_type.as_str(), trans_b) {
        ("Gemm", 0) => {
            if w.ndim() != 2 || w.shape()[1] != c {
                return Err(mismatch());
            }
            for mut row in w.axis_iter_mut(Axis(0)) {
                row.iter_mut().zip(&s).for_each(|(x, k)| *x *= k);
            }
        }
        ("ConvTranspose", _) => {
            // Checked before indexing: a user's weight may be a scalar, and `group` any int.
            let (Some(&cin), Some(&cout_g)) = (w.shape().first(), w.shape().get(1)) else { return Err(mismatch()) };
            if cout_g.checked_mul(group) != Some(c) || cin % group != 0 {
                return Err(mismatch());
            }
            let per_group_in = cin / group;
            for (ci, mut slab) in w.axis_iter_mut(Axis(0)).enumerate() {
                let g = ci / per_group_in;
                for (co, mut sub) in slab.axis_iter_mut(Axis(0)).enumerate() {
                    let k = s[g * cout_g + co];
                    sub.iter_mut().for_each(|x| *x *= k);
                }
            }
        }
        _ => {
            if w.ndim() == 0 || w.shape()[0] != c {
                return Err(mismatch());
            }
            for (oc, mut slab) in w.axis_iter_mut(Axis(0)).enumerate() {
                slab.iter_mut().for_each(|x| *x *= s[oc]);
            }
        }
    }
    let data_input = op.inputs[0];
    let bn_output = *graph.op(bn).outputs.first().ok_or_else(|| GraphError::shape(&name, "BatchNorm has no output"))?;
    graph.remove_operation(cop, false)?;
    graph.remove_operation(bn, false)?;
    let wv = graph.create_variable(Some(format!("{name}_weight")), Some(Tensor::F32(w)), true)?;
    let bv = graph.create_variable(
        Some(format!("{name}_bias")),
        Some(Tensor::F32(
            ArrayD::from_shape_vec(IxDyn(&[c]), new_b).map_err(|e| GraphError::shape(&name, e.to_string()))?,
        )),
        true,
    )?;
    let mut attributes = op.attributes.clone();
    attributes.op = name.clone();
    let id = graph.create_operation(
        Some(name),
        &op.op_type,
        attributes,
        vec![data_input, wv, bv],
        vec![bn_output],
        Opset::default(),
    )?;
    let new = graph.op_mut(id);
    new.attr_order = op.attr_order;
    new.domain = op.domain;
    Ok(())
}

/// REPLACE_BATCHNORM_TO_CONV: each remaining BatchNormalization becomes a depthwise 1×1 2-D Conv; its scale and
/// B variables keep their names and now hold the weight [C,1,1,1] and bias; mean and var are deleted.
pub fn replace_batchnorm_to_conv(graph: &mut BaseGraph) -> Result<(), GraphError> {
    let bns: Vec<OpId> =
        graph.operations().filter(|(_, o)| o.op_type == "BatchNormalization").map(|(id, _)| id).collect();
    for bn in bns {
        let name = graph.op(bn).name.clone();
        let [alpha, beta, mean, _, denom] = bn_factors(graph, bn)?;
        let inputs = graph.op(bn).inputs.clone();
        // The four parameters must sit in slots 1..=4 behind the data input, as the rewrite below assumes.
        if inputs.len() != 5 || inputs[1..].iter().any(|&v| !graph.var(v).is_parameter) {
            return Err(GraphError::shape(
                &name,
                "BatchNormalization needs inputs (X, scale, B, mean, var) with constant scale, B, mean and var",
            ));
        }
        let c = alpha.len();
        let w: Vec<f32> = (0..c).map(|i| alpha[i] / denom[i]).collect();
        let b: Vec<f32> = (0..c).map(|i| ((alpha[i] * -mean[i]) / denom[i]) + beta[i]).collect();
        let shape_err = |e: ndarray::ShapeError| GraphError::shape(&name, e.to_string());
        graph.var_mut(inputs[1]).value =
            Some(Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[c, 1, 1, 1]), w).map_err(shape_err)?));
        graph.var_mut(inputs[2]).value = Some(Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[c]), b).map_err(shape_err)?));
        graph.remove_variable(inputs[4]);
        graph.remove_variable(inputs[3]);
        let op = graph.op_mut(bn);
        op.op_type = "Conv".into();
        op.attributes.values.clear();
        for (k, v) in [
            ("kernel_shape", vec![1, 1]),
            ("strides", vec![1, 1]),
            ("dilations", vec![1, 1]),
            ("pads", vec![0, 0, 0, 0]),
        ] {
            op.attributes.values.insert(k.into(), crate::AttrValue::Ints(v));
        }
        op.attributes.values.insert("group".into(), crate::AttrValue::Int(c as i64));
        op.attr_order = ["kernel_shape", "strides", "dilations", "pads", "group"].map(String::from).to_vec();
    }
    Ok(())
}

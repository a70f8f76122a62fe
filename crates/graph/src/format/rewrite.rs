//! Formatting steps that rewrite single ops: Constant folding into parameters, parameter splitting, and the
//! attribute-to-input upgrades of old Slice, Clip, Pad and Resize (spec §13.2.2, steps 1, 3, 8–11).

use crate::ir::{BaseGraph, OpId, VarId};
use crate::{GraphError, Tensor, budget};
use ndarray::{ArrayD, IxDyn};

/// Appends `var` as the last input of `op`, keeping the links consistent.
fn append_input(graph: &mut BaseGraph, op: OpId, var: VarId) {
    graph.op_mut(op).inputs.push(var);
    graph.var_mut(var).dest_ops.push(op);
}

fn ops_of_type(graph: &BaseGraph, op_type: &str) -> Vec<OpId> {
    graph.operations().filter(|(_, o)| o.op_type == op_type).map(|(id, _)| id).collect()
}

fn i64_vector(values: &[i64]) -> Tensor {
    Tensor::I64(ndarray::Array1::from(values.to_vec()).into_dyn())
}

/// FORMAT_CONSTANT_INPUT: each Constant's output becomes a parameter holding its `value`, and the Constant is
/// removed; the variable keeps the Constant's output name. Like PPQ, only the TENSOR `value` form is accepted.
pub fn remove_constant_input(graph: &mut BaseGraph) -> Result<(), GraphError> {
    for id in ops_of_type(graph, "Constant") {
        let op = graph.op(id);
        if op.outputs.len() != 1 {
            return Err(GraphError::Invalid(format!("Constant '{}' must have exactly one output", op.name)));
        }
        let value = op
            .attributes
            .tensor("value")?
            .cloned()
            .ok_or_else(|| GraphError::attribute(&op.name, "value", "only the TENSOR 'value' form is supported"))?;
        let out = op.outputs[0];
        graph.remove_operation(id, false)?;
        let var = graph.var_mut(out);
        var.is_parameter = true;
        var.value = Some(value);
    }
    Ok(())
}

/// FORMAT_PARAMETERS: a parameter read by several ops is split into one `PPQ_Variable_<n>` copy per consumer
/// (in `dest_ops` order), and the shared original (with its name) is deleted.
pub fn format_parameter(graph: &mut BaseGraph) -> Result<(), GraphError> {
    for v in graph.var_ids() {
        let var = graph.var(v);
        if !var.is_parameter || var.dest_ops.len() <= 1 {
            continue;
        }
        let (value, dests) = (var.value.clone(), var.dest_ops.clone());
        // One copy per consumer: a 1 MiB weight listed 50,000 times would be 50 GB of copies.
        let copies = value.as_ref().map_or(0, budget::nbytes).checked_mul(dests.len() as u64);
        let what = format!("{} copies of parameter '{}'", dests.len(), var.name);
        budget::check_alloc(&graph.op(dests[0]).name, &what, copies)?;
        for op in dests {
            let copy = graph.create_variable(None, value.clone(), true)?;
            if let Some(slot) = graph.op_mut(op).inputs.iter_mut().find(|s| **s == v) {
                *slot = copy;
            }
            graph.var_mut(copy).dest_ops.push(op);
        }
        graph.var_mut(v).dest_ops.clear();
        graph.remove_variable(v);
    }
    Ok(())
}

/// FORMAT_SLICE: opset-1 Slice attributes `starts`, `ends`, `axes` become int64 parameter inputs named
/// `<op>_2`, `<op>_3`, `<op>_4`. A missing `axes` is an error, as in PPQ.
pub fn format_slice(graph: &mut BaseGraph) -> Result<(), GraphError> {
    for id in ops_of_type(graph, "Slice") {
        if !graph.op(id).attributes.has("starts") {
            continue;
        }
        let name = graph.op(id).name.clone();
        for key in ["starts", "ends", "axes"] {
            let values = graph.op(id).attributes.ints(key)?.ok_or_else(|| {
                GraphError::attribute(&name, key, "opset-1 Slice without this attribute (PPQ fails here too)")
            })?;
            let var_name = format!("{name}_{}", graph.op(id).inputs.len() + 1);
            let var = graph.create_variable(Some(var_name), Some(i64_vector(&values)), true)?;
            append_input(graph, id, var);
        }
        let op = graph.op_mut(id);
        for key in ["starts", "ends", "axes"] {
            op.attributes.values.remove(key);
        }
    }
    Ok(())
}

/// FORMAT_CLIP: Clip-6 `min`/`max` attributes become parameters `<op>_min` / `<op>_max` (0-d); a missing one
/// defaults to ∓2³¹. PPQ keeps those defaults as Python ints (int64 when deployed); here all are float32.
pub fn format_clip(graph: &mut BaseGraph) -> Result<(), GraphError> {
    for id in ops_of_type(graph, "Clip") {
        let attrs = &graph.op(id).attributes;
        if !attrs.has("min") && !attrs.has("max") {
            continue;
        }
        let bound = 2_147_483_648.0f32;
        let (lo, hi) = (attrs.float_or("min", -bound)?, attrs.float_or("max", bound)?);
        let name = graph.op(id).name.clone();
        for (suffix, v) in [("min", lo), ("max", hi)] {
            let value = Tensor::F32(ArrayD::from_elem(IxDyn(&[]), v));
            let var = graph.create_variable(Some(format!("{name}_{suffix}")), Some(value), true)?;
            append_input(graph, id, var);
        }
        let op = graph.op_mut(id);
        op.attributes.values.remove("min");
        op.attributes.values.remove("max");
    }
    Ok(())
}

/// FORMAT_PAD: Pad-2's `pads` attribute becomes an int64 parameter input `PPQ_Variable_<n>`, and every
/// attribute is cleared (PPQ quirk: `mode` and `value` are lost).
pub fn format_pad(graph: &mut BaseGraph) -> Result<(), GraphError> {
    for id in ops_of_type(graph, "Pad") {
        let Some(pads) = graph.op(id).attributes.ints("pads")? else { continue };
        let var = graph.create_variable(None, Some(i64_vector(&pads)), true)?;
        append_input(graph, id, var);
        let op = graph.op_mut(id);
        op.attributes.values.clear();
        op.attr_order.clear();
    }
    Ok(())
}

/// FORMAT_RESIZE: a Resize-10 (X, scales) gets an empty placeholder `PPQ_Variable_<n>` as its roi input, giving
/// (X, roi, scales).
pub fn format_resize(graph: &mut BaseGraph) -> Result<(), GraphError> {
    for id in ops_of_type(graph, "Resize") {
        if graph.op(id).inputs.len() != 2 {
            continue;
        }
        let var = graph.create_variable(None, None, false)?;
        append_input(graph, id, var);
        graph.op_mut(id).inputs.swap(1, 2);
    }
    Ok(())
}

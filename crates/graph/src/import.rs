//! ONNX bytes → [`BaseGraph`], following PPQ's `OnnxParser.build` (spec §13.1) while keeping what a faithful
//! write-back needs (declared shapes, doc strings, metadata, attribute order).
//!
//! Differences from PPQ, all deliberate: variables are created in first-use order (PPQ iterates a Python set,
//! so its order is random); unsupported element types and attribute kinds are errors up front.

use super::ir::{BaseGraph, Dim, GraphDetail, Opset};
use super::onnx::{self, ModelProto, TensorProto, ValueInfoProto, attribute_proto::AttributeType};
use super::{AttrValue, Attributes, GraphError, Tensor};
use ndarray::{ArrayD, IxDyn};
use prost::Message;
use std::collections::{HashMap, HashSet};

/// Largest model file accepted (the playground runs in a browser tab).
pub const MAX_MODEL_BYTES: usize = 64 << 20;
/// Largest node count accepted.
pub const MAX_NODES: usize = 20_000;
/// PPQ's `DEFAULT_OPSET_VERSION`, used when the model imports no default-domain opset.
pub const DEFAULT_OPSET_VERSION: i64 = 11;
/// The newest default-domain opset whose meanings the kernels implement (onnx 1.23's newest). A newer model is
/// refused rather than run with older semantics; ops changed in 23–28 changed only their element types (plus
/// SpaceToDepth's `mode`), which the kernels check themselves.
pub const NEWEST_OPSET_VERSION: i64 = 28;

/// Parses ONNX bytes into a [`BaseGraph`] (not yet formatted; see [`crate::format`]).
pub fn import_onnx(bytes: &[u8]) -> Result<BaseGraph, GraphError> {
    build_graph(&decode_model(bytes)?)
}

/// Decodes ONNX bytes (size-checked) into the protobuf message, for callers that check model-level fields first.
pub fn decode_model(bytes: &[u8]) -> Result<ModelProto, GraphError> {
    if bytes.len() > MAX_MODEL_BYTES {
        return Err(GraphError::TooLarge(format!("{} bytes (limit {MAX_MODEL_BYTES})", bytes.len())));
    }
    ModelProto::decode(bytes).map_err(|e| GraphError::Malformed(e.to_string()))
}

/// Builds a [`BaseGraph`] from an already decoded model.
pub fn build_graph(model: &ModelProto) -> Result<BaseGraph, GraphError> {
    let g = model.graph.as_ref().ok_or_else(|| GraphError::Malformed("the model has no graph".into()))?;
    if g.node.len() > MAX_NODES {
        return Err(GraphError::TooLarge(format!("{} nodes (limit {MAX_NODES})", g.node.len())));
    }
    let opset_imports: Vec<Opset> = model
        .opset_import
        .iter()
        .map(|o| Opset { domain: o.domain.clone().unwrap_or_default(), version: o.version.unwrap_or(0) })
        .collect();
    let model_opset = opset_imports
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map_or(DEFAULT_OPSET_VERSION, |o| o.version);
    if model_opset > NEWEST_OPSET_VERSION {
        return Err(GraphError::Malformed(format!(
            "the model imports opset {model_opset} of the default ONNX domain; the playground implements opsets up to \
             {NEWEST_OPSET_VERSION} and will not run newer meanings with older ones"
        )));
    }
    let mut graph = BaseGraph::new(g.name.clone().unwrap_or_default());
    graph.detail = GraphDetail {
        ir_version: model.ir_version,
        opset_imports,
        producer_name: model.producer_name.clone(),
        producer_version: model.producer_version.clone(),
        domain: model.domain.clone(),
        model_version: model.model_version,
        doc_string: model.doc_string.clone(),
        graph_doc_string: g.doc_string.clone(),
        metadata: model
            .metadata_props
            .iter()
            .map(|e| (e.key.clone().unwrap_or_default(), e.value.clone().unwrap_or_default()))
            .collect(),
    };

    let mut initializers: HashMap<&str, &TensorProto> = HashMap::new();
    for t in &g.initializer {
        let name = t.name.as_deref().unwrap_or_default();
        if initializers.insert(name, t).is_some() {
            return Err(GraphError::Invalid(format!("duplicate initializer '{name}'")));
        }
    }
    if !g.sparse_initializer.is_empty() {
        return Err(GraphError::Malformed("sparse initializers are not supported".into()));
    }

    // Variables in first-use order, then ops linked in node order (PPQ steps 4, 6, 8).
    let mut unnamed = 0usize;
    for node in &g.node {
        let name = match node.name.as_deref() {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => {
                unnamed += 1;
                format!("generated_name_{}", unnamed - 1)
            }
        };
        let op_type = node.op_type.clone().unwrap_or_default();
        let (attributes, attr_order) = convert_attributes(&name, &op_type, &node.attribute)?;
        let mut ids = Vec::with_capacity(node.input.len() + node.output.len());
        for v in node.input.iter().chain(&node.output) {
            ids.push(match graph.var_by_name(v) {
                Some(id) => id,
                None => graph.create_variable(Some(v.clone()), None, false)?,
            });
        }
        let outputs = ids.split_off(node.input.len());
        if outputs.iter().any(|&o| graph.var(o).name.is_empty()) {
            return Err(GraphError::Invalid(format!("op '{name}' has an output with an empty name")));
        }
        let id = graph
            .create_operation(
                Some(name.clone()),
                &op_type,
                attributes,
                ids,
                outputs,
                Opset { domain: "ai.onnx".into(), version: model_opset },
            )
            .map_err(|e| match e {
                GraphError::Invalid(m) if m.starts_with("duplicate") => {
                    GraphError::Invalid(format!("duplicate node name '{name}'"))
                }
                other => other,
            })?;
        let op = graph.op_mut(id);
        op.attr_order = attr_order;
        op.domain = node.domain.clone().unwrap_or_default();
        op.doc_string = node.doc_string.clone().unwrap_or_default();
    }

    // Parameters (PPQ step 9): initializers that some node uses.
    for id in graph.var_ids() {
        let name = graph.var(id).name.clone();
        if let Some(t) = initializers.get(name.as_str()) {
            let value = tensor_from_proto(t)?;
            let var = graph.var_mut(id);
            var.value = Some(value);
            var.stored_dtype = t.data_type;
            var.is_parameter = true;
        }
    }

    // Graph inputs (used, non-initializer) and outputs (PPQ step 7 and refine_graph).
    for vi in &g.input {
        let name = vi.name.as_deref().unwrap_or_default();
        if let Some(id) = graph.var_by_name(name) {
            declare(&mut graph, id, vi)?;
            if !graph.var(id).is_parameter && !graph.inputs.contains(&id) {
                graph.inputs.push(id);
            }
        }
    }
    for vi in &g.output {
        let name = vi.name.as_deref().unwrap_or_default();
        let id = graph
            .var_by_name(name)
            .ok_or_else(|| GraphError::Invalid(format!("graph output '{name}' is not produced or used by any node")))?;
        declare(&mut graph, id, vi)?;
        graph.outputs.push(id);
    }
    for vi in &g.value_info {
        if let Some(id) = graph.var_by_name(vi.name.as_deref().unwrap_or_default()) {
            declare(&mut graph, id, vi)?;
            graph.var_mut(id).in_value_info = true;
        }
    }

    // Every non-empty variable must have a source: an op, a graph input, or an initializer.
    for (_, v) in graph.variables() {
        if !v.name.is_empty()
            && v.source_op.is_none()
            && !v.is_parameter
            && !graph.inputs.iter().any(|&i| graph.var(i).name == v.name)
        {
            return Err(GraphError::MissingValue(v.name.clone()));
        }
    }
    graph.topological_sort()?;
    Ok(graph)
}

/// Records a declared element type and shape on a variable.
fn declare(graph: &mut BaseGraph, id: super::ir::VarId, vi: &ValueInfoProto) -> Result<(), GraphError> {
    use onnx::tensor_shape_proto::dimension::Value as DimValue;
    use onnx::type_proto::Value as TypeValue;
    let Some(TypeValue::TensorType(tt)) = vi.r#type.as_ref().and_then(|t| t.value.as_ref()) else { return Ok(()) };
    let var = graph.var_mut(id);
    var.dtype = tt.elem_type;
    var.shape = tt.shape.as_ref().map(|s| {
        s.dim
            .iter()
            .map(|d| match &d.value {
                // Some exporters write -1 for a dynamic batch; onnxruntime treats it as dynamic, so do we.
                Some(DimValue::DimValue(v)) if *v < 0 => Dim::Unknown,
                Some(DimValue::DimValue(v)) => Dim::Value(*v),
                Some(DimValue::DimParam(p)) => Dim::Param(p.clone()),
                None => Dim::Unknown,
            })
            .collect()
    });
    Ok(())
}

/// Converts node attributes to [`Attributes`] plus their file order. Graph-valued and sparse attributes are
/// unsupported (PPQ keeps them raw but cannot run them either).
fn convert_attributes(
    op: &str,
    op_type: &str,
    attrs: &[onnx::AttributeProto],
) -> Result<(Attributes, Vec<String>), GraphError> {
    let mut out = Attributes::new(op);
    let mut order = Vec::with_capacity(attrs.len());
    let mut seen = HashSet::new();
    for a in attrs {
        let name = a.name.clone().unwrap_or_default();
        if !seen.insert(name.clone()) {
            return Err(GraphError::attribute(op, &name, "given twice"));
        }
        let kind = a.r#type.and_then(|t| AttributeType::try_from(t).ok()).unwrap_or(AttributeType::Undefined);
        let value = match kind {
            AttributeType::Float => AttrValue::Float(a.f.unwrap_or_default()),
            AttributeType::Int => AttrValue::Int(a.i.unwrap_or_default()),
            AttributeType::String => AttrValue::String(a.s.clone().unwrap_or_default()),
            AttributeType::Floats => AttrValue::Floats(a.floats.clone()),
            AttributeType::Ints => AttrValue::Ints(a.ints.clone()),
            AttributeType::Strings => AttrValue::Strings(a.strings.clone()),
            AttributeType::Tensor => match &a.t {
                Some(t) => AttrValue::Tensor(
                    tensor_from_proto(t)
                        .map_err(|e| GraphError::attribute(op, &name, format!("cannot decode tensor: {e}")))?,
                ),
                None => return Err(GraphError::attribute(op, &name, "TENSOR attribute without a tensor")),
            },
            // If/Loop/Scan bodies: the op is kept without them so validation can name it among the model's
            // unsupported ops (it never runs, so nothing reads or exports the missing body).
            AttributeType::Graph | AttributeType::Graphs if matches!(op_type, "If" | "Loop" | "Scan") => continue,
            other => {
                return Err(GraphError::attribute(
                    op,
                    &name,
                    format!("{op_type}: attribute kind {} is not supported", other.as_str_name()),
                ));
            }
        };
        out.values.insert(name.clone(), value);
        order.push(name);
    }
    Ok((out, order))
}

/// Decodes an ONNX TensorProto (typed fields or little-endian `raw_data`). External data, string tensors and
/// element types outside [`Tensor`] are errors naming the tensor.
pub fn tensor_from_proto(t: &TensorProto) -> Result<Tensor, GraphError> {
    let name = t.name.as_deref().unwrap_or("<unnamed>");
    let bad = |why: String| GraphError::Invalid(format!("tensor '{name}': {why}"));
    if t.data_location == Some(1) || !t.external_data.is_empty() {
        return Err(bad("external data is not supported; embed the weights in the .onnx file".into()));
    }
    if t.segment.is_some() {
        return Err(bad("segmented tensors are not supported".into()));
    }
    let mut shape = Vec::with_capacity(t.dims.len());
    let mut count: usize = 1;
    let mut nonzero: u64 = 1;
    for &d in &t.dims {
        if d < 0 {
            return Err(bad(format!("negative dimension {d}")));
        }
        // In u64 first: on 32-bit wasm a dimension may not fit a usize, and the message must not differ.
        // Zero dims count as 1 here: ndarray refuses shapes whose non-zero axes overflow.
        nonzero = nonzero.saturating_mul(d.unsigned_abs().max(1));
        if nonzero > MAX_MODEL_BYTES as u64 {
            return Err(bad(format!("too many elements (dims {:?}, limit {MAX_MODEL_BYTES})", t.dims)));
        }
        count = count.saturating_mul(usize::try_from(d).map_err(|_| bad("too many elements".into()))?);
        shape.push(usize::try_from(d).map_err(|_| bad("too many elements".into()))?);
    }
    let raw = t.raw_data.as_deref();
    let dtype = t.data_type.unwrap_or(0);
    macro_rules! take {
        ($variant:ident, $ty:ty, $width:expr, $typed:expr) => {{
            let values: Vec<$ty> = match raw {
                Some(r) => {
                    if r.len() != count * $width {
                        return Err(bad(format!("raw_data has {} bytes, expected {}", r.len(), count * $width)));
                    }
                    r.chunks_exact($width)
                        .map(|c| {
                            let mut b = [0u8; $width];
                            b.copy_from_slice(c);
                            <$ty>::from_le_bytes(b)
                        })
                        .collect()
                }
                None => $typed,
            };
            if values.len() != count {
                return Err(bad(format!("has {} values, expected {count}", values.len())));
            }
            let arr = ArrayD::from_shape_vec(IxDyn(&shape), values).map_err(|e| bad(e.to_string()))?;
            Tensor::$variant(arr)
        }};
    }
    Ok(match dtype {
        1 => take!(F32, f32, 4, t.float_data.clone()),
        7 => take!(I64, i64, 8, t.int64_data.clone()),
        6 => take!(I32, i32, 4, t.int32_data.clone()),
        3 => take!(I8, i8, 1, t.int32_data.iter().map(|&v| v as i8).collect()),
        2 => take!(U8, u8, 1, t.int32_data.iter().map(|&v| v as u8).collect()),
        5 => take!(I16, i16, 2, t.int32_data.iter().map(|&v| v as i16).collect()),
        4 => take!(U16, u16, 2, t.int32_data.iter().map(|&v| v as u16).collect()),
        12 => take!(U32, u32, 4, t.uint64_data.iter().map(|&v| v as u32).collect()),
        13 => take!(U64, u64, 8, t.uint64_data.clone()),
        // Computed in f32 (see `ops::cast`): float16/bfloat16 widen exactly, float64 rounds to nearest.
        11 | 10 | 16 => {
            let values: Vec<f32> = match (raw, dtype) {
                (Some(r), _) => {
                    let width = if dtype == 11 { 8 } else { 2 };
                    if r.len() != count * width {
                        return Err(bad(format!("raw_data has {} bytes, expected {}", r.len(), count * width)));
                    }
                    r.chunks_exact(width).map(|c| widen(dtype, c)).collect()
                }
                (None, 11) => t.double_data.iter().map(|&v| v as f32).collect(),
                // float16/bfloat16 typed data: the 16-bit pattern in each int32_data entry.
                (None, _) => t.int32_data.iter().map(|&v| widen(dtype, &(v as u16).to_le_bytes())).collect(),
            };
            if values.len() != count {
                return Err(bad(format!("has {} values, expected {count}", values.len())));
            }
            Tensor::F32(ArrayD::from_shape_vec(IxDyn(&shape), values).map_err(|e| bad(e.to_string()))?)
        }
        9 => {
            let values: Vec<bool> = match raw {
                Some(r) => r.iter().map(|&b| b != 0).collect(),
                None => t.int32_data.iter().map(|&v| v != 0).collect(),
            };
            if values.len() != count {
                return Err(bad(format!("has {} values, expected {count}", values.len())));
            }
            Tensor::Bool(ArrayD::from_shape_vec(IxDyn(&shape), values).map_err(|e| bad(e.to_string()))?)
        }
        other => {
            return Err(bad(format!(
                "element type {other} is not supported (float32/16, bfloat16, float64, (u)int8/16/32/64, bool)"
            )));
        }
    })
}

/// One little-endian float64 (8 bytes), float16 or bfloat16 (2 bytes) value as f32.
fn widen(dtype: i32, bytes: &[u8]) -> f32 {
    match (dtype, bytes) {
        (11, &[a, b, c, d, e, f, g, h]) => f64::from_le_bytes([a, b, c, d, e, f, g, h]) as f32,
        (10, &[a, b]) => half::f16::from_le_bytes([a, b]).to_f32(),
        (_, &[a, b]) => half::bf16::from_le_bytes([a, b]).to_f32(),
        _ => f32::NAN,
    }
}

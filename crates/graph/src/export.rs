//! [`BaseGraph`] → ONNX bytes. A graph imported and exported unchanged gives back the same model (same names,
//! attributes in file order, initializers, declared shapes, opsets and metadata), so users can round-trip
//! their files through the playground.
//!
//! Node order: the graph's insertion order when it is already topological (an unchanged import), else PPQ's
//! exporter order, [`BaseGraph::topological_sort`]. Initializers are written in `graph.variables` order,
//! always as little-endian `raw_data`.

use super::ir::{BaseGraph, Dim, OpId, Variable};
use super::onnx::{
    self, AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto, attribute_proto::AttributeType,
};
use super::{AttrValue, GraphError, Tensor};
use prost::Message;
use std::collections::HashSet;

/// Serialises the graph as an ONNX model.
pub fn export_onnx(graph: &BaseGraph) -> Result<Vec<u8>, GraphError> {
    Ok(to_model(graph)?.encode_to_vec())
}

/// Builds the ONNX `ModelProto` of the graph.
pub fn to_model(graph: &BaseGraph) -> Result<ModelProto, GraphError> {
    let order = node_order(graph)?;
    let mut g = GraphProto {
        name: Some(graph.name.clone()),
        doc_string: graph.detail.graph_doc_string.clone(),
        ..GraphProto::default()
    };
    for id in order {
        g.node.push(node_proto(graph, id));
    }
    for (_, v) in graph.variables() {
        if let (true, Some(value)) = (v.is_parameter, &v.value) {
            if v.dest_ops.is_empty() {
                continue;
            }
            g.initializer.push(tensor_to_proto(&v.name, value));
        }
    }
    g.input = graph.inputs.iter().map(|&i| value_info(graph.var(i))).collect();
    g.output = graph.outputs.iter().map(|&o| value_info(graph.var(o))).collect();
    g.value_info = graph.variables().filter(|(_, v)| v.in_value_info).map(|(_, v)| value_info(v)).collect();
    let d = &graph.detail;
    Ok(ModelProto {
        ir_version: d.ir_version,
        opset_import: d
            .opset_imports
            .iter()
            .map(|o| OperatorSetIdProto { domain: Some(o.domain.clone()), version: Some(o.version) })
            .collect(),
        producer_name: d.producer_name.clone(),
        producer_version: d.producer_version.clone(),
        domain: d.domain.clone(),
        model_version: d.model_version,
        doc_string: d.doc_string.clone(),
        metadata_props: d
            .metadata
            .iter()
            .map(|(k, v)| StringStringEntryProto { key: Some(k.clone()), value: Some(v.clone()) })
            .collect(),
        graph: Some(g),
        ..ModelProto::default()
    })
}

/// Insertion order if every op's producers come before it, else the topological sort.
fn node_order(graph: &BaseGraph) -> Result<Vec<OpId>, GraphError> {
    let sorted = graph.topological_sort()?;
    let mut done = HashSet::new();
    for (id, _) in graph.operations() {
        if graph.upstream_ops(id).iter().any(|u| !done.contains(u)) {
            return Ok(sorted);
        }
        done.insert(id);
    }
    Ok(graph.op_ids())
}

fn node_proto(graph: &BaseGraph, id: OpId) -> NodeProto {
    let op = graph.op(id);
    let mut names: Vec<&String> = op.attr_order.iter().filter(|n| op.attributes.values.contains_key(*n)).collect();
    names.extend(op.attributes.values.keys().filter(|k| !op.attr_order.contains(k)));
    NodeProto {
        input: op.inputs.iter().map(|&v| graph.var(v).name.clone()).collect(),
        output: op.outputs.iter().map(|&v| graph.var(v).name.clone()).collect(),
        name: Some(op.name.clone()),
        op_type: Some(op.op_type.clone()),
        domain: (!op.domain.is_empty()).then(|| op.domain.clone()),
        doc_string: (!op.doc_string.is_empty()).then(|| op.doc_string.clone()),
        attribute: names
            .into_iter()
            .filter_map(|n| op.attributes.values.get(n).map(|v| attribute_proto(n, v)))
            .collect(),
        ..NodeProto::default()
    }
}

fn attribute_proto(name: &str, value: &AttrValue) -> AttributeProto {
    let mut a = AttributeProto { name: Some(name.to_string()), ..AttributeProto::default() };
    let kind = match value {
        AttrValue::Int(v) => {
            a.i = Some(*v);
            AttributeType::Int
        }
        AttrValue::Ints(v) => {
            a.ints = v.clone();
            AttributeType::Ints
        }
        AttrValue::Float(v) => {
            a.f = Some(*v);
            AttributeType::Float
        }
        AttrValue::Floats(v) => {
            a.floats = v.clone();
            AttributeType::Floats
        }
        AttrValue::String(v) => {
            a.s = Some(v.clone());
            AttributeType::String
        }
        AttrValue::Strings(v) => {
            a.strings = v.clone();
            AttributeType::Strings
        }
        AttrValue::Tensor(t) => {
            a.t = Some(tensor_to_proto("", t));
            AttributeType::Tensor
        }
    };
    a.r#type = Some(kind as i32);
    a
}

/// Encodes a tensor as an ONNX TensorProto with little-endian `raw_data`.
pub fn tensor_to_proto(name: &str, t: &Tensor) -> TensorProto {
    let raw: Vec<u8> = match t {
        Tensor::F32(a) => a.iter().flat_map(|v| v.to_le_bytes()).collect(),
        Tensor::I64(a) => a.iter().flat_map(|v| v.to_le_bytes()).collect(),
        Tensor::I32(a) => a.iter().flat_map(|v| v.to_le_bytes()).collect(),
        Tensor::I8(a) => a.iter().flat_map(|v| v.to_le_bytes()).collect(),
        Tensor::U8(a) => a.iter().copied().collect(),
        Tensor::Bool(a) => a.iter().map(|&b| u8::from(b)).collect(),
        Tensor::I16(a) => a.iter().flat_map(|v| v.to_le_bytes()).collect(),
        Tensor::U16(a) => a.iter().flat_map(|v| v.to_le_bytes()).collect(),
        Tensor::U32(a) => a.iter().flat_map(|v| v.to_le_bytes()).collect(),
        Tensor::U64(a) => a.iter().flat_map(|v| v.to_le_bytes()).collect(),
    };
    TensorProto {
        dims: t.shape().iter().map(|&d| d as i64).collect(),
        data_type: Some(t.onnx_dtype()),
        name: (!name.is_empty()).then(|| name.to_string()),
        raw_data: Some(raw),
        ..TensorProto::default()
    }
}

fn value_info(v: &Variable) -> ValueInfoProto {
    use onnx::tensor_shape_proto::{Dimension, dimension::Value as DimValue};
    let ty = v.dtype.map(|elem| TypeProto {
        value: Some(onnx::type_proto::Value::TensorType(onnx::type_proto::Tensor {
            elem_type: Some(elem),
            shape: v.shape.as_ref().map(|dims| TensorShapeProto {
                dim: dims
                    .iter()
                    .map(|d| Dimension {
                        value: match d {
                            Dim::Value(x) => Some(DimValue::DimValue(*x)),
                            Dim::Param(p) => Some(DimValue::DimParam(p.clone())),
                            Dim::Unknown => None,
                        },
                        ..Dimension::default()
                    })
                    .collect(),
            }),
        })),
        ..TypeProto::default()
    });
    ValueInfoProto { name: Some(v.name.clone()), r#type: ty, ..ValueInfoProto::default() }
}

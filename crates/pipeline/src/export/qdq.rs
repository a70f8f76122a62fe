//! The QDQ ONNX that onnxruntime runs (PPQ's ONNXRUNTIMExporter, spec §8.2, with `quantized_param=True`).
//!
//! - Exportable parameters become integer initializers (PPQ's `PPQLinearQuant_toInt`: int8 for 8-bit SYM,
//!   uint8 for 8-bit ASYM, int32 above 8 bits) feeding only a `DequantizeLinear` (per-channel `axis`).
//!   Unlike PPQ, an int32 bias gets no `QuantizeLinear` (onnxruntime rejects int32 QuantizeLinear input, which
//!   is why PPQ's PPL_CUDA_INT8 export does not load).
//! - Exportable activations get a `QuantizeLinear` → `DequantizeLinear` pair: on each op's output, and on each
//!   op's input unless the variable already comes from a DequantizeLinear with the same parameters (scale
//!   within 1e-4, zero point within 0.1).
//! - Skipped, as in PPQ: TQCs failing `can_export` (OVERLAPPED, INITIAL, PASSIVE_INIT, FP32, INTERNAL), 8-bit
//!   ranges outside [0, 255] (ASYM) / [−128, 127] (SYM), and FLOATING policies. Activations wider than
//!   8 bits are also skipped (onnxruntime's opset-13 QuantizeLinear has no int32 output).
//! - Non-exported parameters keep their baked values; opset ≥ 13, ir_version ≥ 7; opset-11 `axes`/`split`
//!   attributes of Squeeze/Unsqueeze/Split/ReduceSum become inputs. PPQ's Relu/Clip removal is not done.

use super::baked::baked_graph;
use super::{ExportError, ExportInput, ExportTqc};
use ndarray::{ArrayD, IxDyn};
use ppq_core::QuantizationProperty as P;
use ppq_core::kernels::{QuantizedInts, quantize_to_int};
use ppq_graph::Tensor;
use ppq_graph::export::{tensor_to_proto, to_model};
use ppq_graph::onnx::{AttributeProto, NodeProto, OperatorSetIdProto, attribute_proto::AttributeType};
use prost::Message;
use std::collections::{HashMap, HashSet};

/// Quantization parameters of one Q/DQ pair, to recognise an already-dequantized variable.
#[derive(Debug, Clone, PartialEq)]
struct QParams {
    scale: Vec<f32>,
    zero_point: Vec<i64>,
    signed: bool,
}

impl QParams {
    fn close_to(&self, o: &QParams) -> bool {
        self.signed == o.signed
            && self.scale.len() == o.scale.len()
            && self.scale.iter().zip(&o.scale).all(|(a, b)| (a - b).abs() < 1e-4)
            && self.zero_point.iter().zip(&o.zero_point).all(|(a, b)| (a - b).abs() < 1)
    }
}

/// Whether PPQ's QDQ exporter writes this TQC: exportable and representable in ONNX's integer types.
fn qdq_exportable(t: &ExportTqc<'_>) -> bool {
    if !t.can_export(false) || !t.has(P::LINEAR) {
        return false;
    }
    let (lo, hi, bits) = (t.record.quant_min, t.record.quant_max, t.record.num_of_bits);
    match bits {
        8 if t.policy.is_symmetric() => lo >= -128 && hi <= 127,
        8 => lo >= 0 && hi <= 255,
        9..=32 => t.record.is_parameter && lo >= i64::from(i32::MIN) && hi <= i64::from(i32::MAX),
        _ => false,
    }
}

/// Scale and zero-point initializers of a TQC: the scale as float32 (0-d per tensor, 1-d per channel), the
/// zero point as round(offset) in the integer type of the quantized values.
fn qdq_constants(t: &ExportTqc<'_>, name: &str) -> Result<(Tensor, Tensor, QParams), ExportError> {
    let id = &t.record.id;
    let (Some(scale), Some(offset)) = (t.scale_f32(), t.offset_f32()) else {
        return Err(ExportError::Record { id: id.clone(), why: "scale or offset is not set".into() });
    };
    let shape: Vec<usize> = if t.policy.is_per_channel() { vec![scale.len()] } else { vec![] };
    let zp: Vec<i64> = offset.iter().map(|o| o.round() as i64).collect();
    let shaped = |what: &str| ExportError::Record { id: id.clone(), why: format!("{what} of {name} has a bad shape") };
    let s = Tensor::F32(ArrayD::from_shape_vec(IxDyn(&shape), scale.clone()).map_err(|_| shaped("scale"))?);
    let signed = t.policy.is_symmetric() || t.record.num_of_bits > 8;
    let z = if t.record.num_of_bits > 8 {
        Tensor::I32(
            ArrayD::from_shape_vec(IxDyn(&shape), zp.iter().map(|&v| v as i32).collect()).map_err(|_| shaped("zp"))?,
        )
    } else if signed {
        Tensor::I8(
            ArrayD::from_shape_vec(IxDyn(&shape), zp.iter().map(|&v| v.clamp(-128, 127) as i8).collect())
                .map_err(|_| shaped("zp"))?,
        )
    } else {
        Tensor::U8(
            ArrayD::from_shape_vec(IxDyn(&shape), zp.iter().map(|&v| v.clamp(0, 255) as u8).collect())
                .map_err(|_| shaped("zp"))?,
        )
    };
    Ok((s, z, QParams { scale, zero_point: zp, signed }))
}

fn int_attr(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        i: Some(v),
        r#type: Some(AttributeType::Int as i32),
        ..Default::default()
    }
}

fn node(op_type: &str, name: String, inputs: Vec<String>, output: String, axis: Option<i64>) -> NodeProto {
    NodeProto {
        op_type: Some(op_type.into()),
        name: Some(name),
        input: inputs,
        output: vec![output],
        attribute: axis.map(|a| vec![int_attr("axis", a)]).unwrap_or_default(),
        ..Default::default()
    }
}

/// Builds the QDQ model and returns its bytes.
pub fn qdq_onnx(input: &ExportInput<'_>) -> Result<Vec<u8>, ExportError> {
    let graph = baked_graph(input)?;
    let mut model = to_model(&graph)?;
    upgrade_opset(&mut model);
    let Some(g) = model.graph.as_mut() else {
        return Err(ExportError::Graph("the exported model has no graph".into()));
    };
    let mut counter = 0usize;
    let mut fresh = |base: &str, what: &str| {
        counter += 1;
        format!("{base}_{what}_{counter}")
    };

    // Parameters: integer initializer → DequantizeLinear, written in front of every node.
    let mut head: Vec<NodeProto> = Vec::new();
    let mut done: HashSet<&str> = HashSet::new();
    for t in input.tqcs.iter().filter(|t| t.record.is_parameter && qdq_exportable(t)) {
        let var = t.record.var.as_str();
        if !done.insert(var) {
            continue;
        }
        let Some(Tensor::F32(value)) = input.graph.var_by_name(var).and_then(|v| input.graph.var(v).value.as_ref())
        else {
            return Err(ExportError::Graph(format!("parameter '{var}' of TQC '{}' has no float32 value", t.record.id)));
        };
        let shape = value.shape().to_vec();
        let data: Vec<f32> = value.iter().copied().collect();
        let ints =
            t.with_params(|p| quantize_to_int(&data, &shape, p, t.record.num_of_bits, t.policy.is_symmetric()))?;
        let bad = |_| ExportError::Graph(format!("parameter '{var}': integer tensor does not fit its shape"));
        let int_tensor = match ints {
            QuantizedInts::I8(v) => Tensor::I8(ArrayD::from_shape_vec(IxDyn(&shape), v).map_err(bad)?),
            QuantizedInts::U8(v) => Tensor::U8(ArrayD::from_shape_vec(IxDyn(&shape), v).map_err(bad)?),
            QuantizedInts::I32(v) => Tensor::I32(ArrayD::from_shape_vec(IxDyn(&shape), v).map_err(bad)?),
        };
        let qname = fresh(var, "quantized");
        let Some(init) = g.initializer.iter_mut().find(|i| i.name.as_deref() == Some(var)) else {
            return Err(ExportError::Graph(format!("parameter '{var}' is not an initializer")));
        };
        *init = tensor_to_proto(&qname, &int_tensor);
        let (s, z, _) = qdq_constants(t, var)?;
        let (sname, zname) = (fresh(var, "scale"), fresh(var, "zero_point"));
        g.initializer.push(tensor_to_proto(&sname, &s));
        g.initializer.push(tensor_to_proto(&zname, &z));
        let axis = t.policy.is_per_channel().then_some(t.record.channel_axis).flatten();
        head.push(node(
            "DequantizeLinear",
            fresh(var, "DequantizeLinear"),
            vec![qname, sname, zname],
            var.into(),
            axis,
        ));
    }

    // Activations, node by node in topological order.
    let mut from_dq: HashMap<String, QParams> = HashMap::new();
    let mut nodes = head;
    for mut n in std::mem::take(&mut g.node) {
        let op = n.name.clone().unwrap_or_default();
        let mut tqcs: Vec<&ExportTqc<'_>> =
            input.tqcs_of_op(&op).filter(|t| !t.record.is_parameter && qdq_exportable(t)).collect();
        tqcs.sort_by_key(|t| (t.record.io != "in", t.record.index));
        let mut after = Vec::new();
        for t in tqcs {
            let is_input = t.record.io == "in";
            let slots = if is_input { &mut n.input } else { &mut n.output };
            let Some(slot) = slots.get_mut(t.record.index) else { continue };
            if *slot != t.record.var {
                continue;
            }
            let var = t.record.var.clone();
            let (s, z, qp) = qdq_constants(t, &var)?;
            if is_input && from_dq.get(&var).is_some_and(|p| p.close_to(&qp)) {
                continue;
            }
            let (sname, zname) = (fresh(&var, "scale"), fresh(&var, "zero_point"));
            g.initializer.push(tensor_to_proto(&sname, &s));
            g.initializer.push(tensor_to_proto(&zname, &z));
            let axis = t.policy.is_per_channel().then_some(t.record.channel_axis).flatten();
            let qout = fresh(&var, "quantized");
            let (src, dst) = if is_input {
                let dst = fresh(&var, "dequantized");
                *slot = dst.clone();
                (var.clone(), dst)
            } else {
                let src = fresh(&var, "float");
                *slot = src.clone();
                from_dq.insert(var.clone(), qp);
                (src, var.clone())
            };
            let q = node(
                "QuantizeLinear",
                fresh(&var, "QuantizeLinear"),
                vec![src, sname.clone(), zname.clone()],
                qout.clone(),
                axis,
            );
            let dq = node("DequantizeLinear", fresh(&var, "DequantizeLinear"), vec![qout, sname, zname], dst, axis);
            if is_input {
                nodes.push(q);
                nodes.push(dq);
            } else {
                after.push(q);
                after.push(dq);
            }
        }
        nodes.push(n);
        nodes.extend(after);
    }
    g.node = nodes;
    Ok(model.encode_to_vec())
}

/// Default-domain opset to ≥ 13 and ir_version ≥ 7, moving the opset-11 attributes that became inputs.
fn upgrade_opset(model: &mut ppq_graph::onnx::ModelProto) {
    let default =
        |o: &OperatorSetIdProto| o.domain.as_deref().unwrap_or("").is_empty() || o.domain.as_deref() == Some("ai.onnx");
    let old = model.opset_import.iter().find(|o| default(o)).and_then(|o| o.version).unwrap_or(11);
    match model.opset_import.iter_mut().find(|o| default(o)) {
        Some(o) => o.version = Some(old.max(13)),
        None => model.opset_import.push(OperatorSetIdProto { domain: Some(String::new()), version: Some(13) }),
    }
    model.ir_version = Some(model.ir_version.unwrap_or(7).max(7));
    if old >= 13 {
        return;
    }
    let Some(g) = model.graph.as_mut() else { return };
    let mut extra = Vec::new();
    for n in g.node.iter_mut() {
        let key = match n.op_type.as_deref() {
            Some("Squeeze" | "Unsqueeze" | "ReduceSum") => "axes",
            Some("Split") => "split",
            _ => continue,
        };
        let Some(pos) = n.attribute.iter().position(|a| a.name.as_deref() == Some(key)) else { continue };
        let a = n.attribute.remove(pos);
        let name = format!("{}_{key}", n.name.clone().unwrap_or_default());
        let t = Tensor::I64(ndarray::Array1::from(a.ints).into_dyn());
        extra.push(tensor_to_proto(&name, &t));
        n.input.insert(1.min(n.input.len()), name);
    }
    g.initializer.extend(extra);
}

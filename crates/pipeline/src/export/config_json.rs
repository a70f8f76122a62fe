//! The JSON exports: PPQ's OnnxExporter quantization config (spec §8.1), TensorRT's `act_quant_info`
//! (spec §8.3) and `tqc.json` itself.

use super::{ExportError, ExportInput, ExportTqc};
use crate::record::{Record, ScaleValue};
use ppq_core::QuantizationProperty as P;
use ppq_core::QuantizationStates as S;
use ppq_core::StateModel;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Value, json};
use std::collections::HashMap;

/// A JSON object that keeps insertion order (serde_json's own map sorts keys without `preserve_order`),
/// so the files read in graph order like PPQ's.
struct Ordered<V>(Vec<(String, V)>);

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<Ser: Serializer>(&self, s: Ser) -> Result<Ser::Ok, Ser::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<V> Ordered<V> {
    /// Inserts or overwrites in place (an overwritten key keeps its first position, like a Python dict).
    fn set(&mut self, k: &str, v: V) {
        match self.0.iter_mut().find(|(key, _)| key == k) {
            Some(slot) => slot.1 = v,
            None => self.0.push((k.to_string(), v)),
        }
    }
}

/// PPQ's TQC ids: the LCG of spec §3.1 (next = 0x343FD·prev + 0x269EC3 mod 2^32). PPQ seeds it with the
/// clock; we seed it with a constant so that the same quantization gives the same file.
fn lcg_ids(n: usize) -> Vec<u64> {
    let mut x: u64 = 0x5050_5121;
    (0..n)
        .map(|_| {
            x = (0x343FD * x + 0x269EC3) % (1 << 32);
            x
        })
        .collect()
}

fn to_string_pretty<T: Serialize>(v: &T) -> Result<String, ExportError> {
    serde_json::to_string_pretty(v).map_err(|e| ExportError::Graph(format!("cannot serialise JSON: {e}")))
}

fn scale_json(v: &Option<ScaleValue>) -> Value {
    match v {
        None => Value::Null,
        Some(ScaleValue::PerTensor(x)) => json!(x),
        Some(ScaleValue::PerChannel(xs)) => json!(xs),
    }
}

/// PPQ's OnnxExporter quantization config: `configs` (op → variable → TQC fields), `dispatchings` (op →
/// platform) and `values` (id → scale/zero_point, for TQCs that are their own `dominator` and not FP32).
///
/// `dominator` follows the OVERLAPPED (union-find "dominate") links only. PPQ 0.6.6's files show every
/// PASSIVE / PASSIVE_BAKED TQC as its own dominator, with the master's scale written under its own id, even
/// when `tqc.json` names the master as `dominated_by`; we write the same.
pub fn onnx_config_json(input: &ExportInput<'_>) -> Result<String, ExportError> {
    let ids = lcg_ids(input.tqcs.len());
    let id_of: HashMap<&str, u64> = input.tqcs.iter().zip(&ids).map(|(t, &h)| (t.record.id.as_str(), h)).collect();
    let mut configs: Ordered<Ordered<Value>> = Ordered(Vec::new());
    let mut dispatchings: Ordered<Value> = Ordered(Vec::new());
    let mut values: Ordered<Value> = Ordered(Vec::new());
    for (t, &hash) in input.tqcs.iter().zip(&ids) {
        let r = t.record;
        let passive = matches!(t.state, S::PASSIVE | S::PASSIVE_BAKED | S::PASSIVE_INIT);
        let dominator = match (&r.dominated_by, passive) {
            (Some(root), false) => *id_of.get(root.as_str()).ok_or_else(|| {
                ExportError::Graph(format!("TQC '{}' is dominated by '{root}', which has no record", r.id))
            })?,
            _ => hash,
        };
        let policy: Ordered<bool> =
            Ordered(t.policy.bitmap().iter().map(|(p, on)| (p.name(StateModel::Ppq066).to_string(), *on)).collect());
        let entry = json!({
            "bit_width": r.num_of_bits,
            "policy": policy,
            "state": r.state,
            "quant_min": r.quant_min,
            "quant_max": r.quant_max,
            "hash": hash,
            "dominator": dominator,
        });
        match configs.0.iter_mut().find(|(op, _)| *op == r.op) {
            Some((_, vars)) => vars.set(&r.var, entry),
            None => configs.0.push((r.op.clone(), Ordered(vec![(r.var.clone(), entry)]))),
        }
        dispatchings.set(&r.op, json!(r.platform));
        if dominator == hash && t.state != S::FP32 {
            values.set(&hash.to_string(), json!({"scale": scale_json(&r.scale), "zero_point": scale_json(&r.offset)}));
        }
    }
    #[derive(serde::Serialize)]
    struct File<'x> {
        configs: &'x Ordered<Ordered<Value>>,
        dispatchings: &'x Ordered<Value>,
        values: &'x Ordered<Value>,
    }
    to_string_pretty(&File { configs: &configs, dispatchings: &dispatchings, values: &values })
}

/// Ops TensorRTExporter_JSON skips (spec §8.3).
const TRT_SKIPPED_OPS: &[&str] = &["Gather", "Unsqueeze", "Concat", "Reshape", "Squeeze"];

/// Whether a TQC goes into TensorRT's `act_quant_info`: a non-parameter, exportable (OVERLAPPED included)
/// TQC whose policy is exactly SYMMETRICAL + LINEAR + PER_TENSOR, 8 bits in [−128, 127].
fn trt_qualifies(t: &ExportTqc<'_>) -> bool {
    let exact = P::SYMMETRICAL as u32 | P::LINEAR as u32 | P::PER_TENSOR as u32;
    !t.record.is_parameter
        && t.can_export(true)
        && t.policy.bits() == exact
        && t.record.num_of_bits == 8
        && t.record.quant_min == -128
        && t.record.quant_max == 127
}

/// TensorRT's JSON (`{"act_quant_info": {var: scale·127}}`, the amax handed to `setDynamicRange`). Ops are
/// visited in topological order, each op's inputs then outputs; a later TQC on the same variable wins.
pub fn trt_json(input: &ExportInput<'_>) -> Result<String, ExportError> {
    let g = input.graph;
    let mut info: Ordered<f64> = Ordered(Vec::new());
    for op_id in g.topological_sort()? {
        let op = g.op(op_id);
        if TRT_SKIPPED_OPS.contains(&op.op_type.as_str()) {
            continue;
        }
        let mut tqcs: Vec<&ExportTqc<'_>> = input.tqcs_of_op(&op.name).collect();
        tqcs.sort_by_key(|t| (t.record.io != "in", t.record.index));
        for t in tqcs.into_iter().filter(|t| trt_qualifies(t)) {
            if let Some(ScaleValue::PerTensor(s)) = &t.record.scale {
                info.set(&t.record.var, s * 127.0);
            }
        }
    }
    #[derive(serde::Serialize)]
    struct File<'x> {
        act_quant_info: &'x Ordered<f64>,
    }
    to_string_pretty(&File { act_quant_info: &info })
}

/// `tqc.json`: the records as a pretty JSON list, exactly the reference fields.
pub fn tqc_json(records: &[Record]) -> Result<String, ExportError> {
    to_string_pretty(&records)
}

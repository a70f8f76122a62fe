//! Exporters (spec §8): what the playground hands back to users, built from plain data so that they do not
//! depend on the passes' internals.
//!
//! Every exporter takes an [`ExportInput`]: the formatted [`BaseGraph`] (its parameters still hold their
//! original fp32 values, as PPQ's `stored_value`), the `tqc.json` records ([`TqcRecord`], which carry the
//! state, policy, bits, range, channel axis and the scale/offset read through the union-find root) and the
//! visibility of each TQC (not part of `tqc.json`). Outputs are bytes or strings; files are the edges' job.
//!
//! - [`baked_onnx`]: parameters replaced by their fake-quantized float values (ParameterBakingPass).
//! - [`qdq_onnx`]: QuantizeLinear/DequantizeLinear pairs that onnxruntime runs (ONNXRUNTIMExporter).
//! - [`onnx_config_json`]: PPQ's OnnxExporter quantization config (`configs` / `dispatchings` / `values`).
//! - [`trt_json`]: TensorRTExporter_JSON's `act_quant_info`.
//! - [`tqc_json`] and [`report_markdown`]: the records themselves and a human summary.

mod baked;
mod config_json;
mod qdq;
mod report;

pub(crate) use baked::baked_graph;
pub use baked::baked_onnx;
pub use config_json::{onnx_config_json, tqc_json, trt_json};
pub use qdq::qdq_onnx;
pub use report::{LayerSnr, ReportInput, report_markdown};

use crate::record::{Record, TqcRecord};
use ppq_core::kernels::LinearQuantParams;
use ppq_core::tqc::QuantizationVisibility;
use ppq_core::{QuantError, QuantizationPolicy, QuantizationProperty, QuantizationStates, RoundingPolicy, StateModel};
use ppq_graph::{BaseGraph, GraphError};
use std::collections::HashMap;
use thiserror::Error;

/// Why an export failed; each message names the TQC or variable at fault.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ExportError {
    /// A record that cannot be read (unknown state, policy or rounding name, missing scale).
    #[error("TQC '{id}': {why}")]
    Record {
        /// The TQC's id (`op:in0:var`).
        id: String,
        /// What is wrong.
        why: String,
    },
    /// The graph does not match the records (a variable or op they name is missing).
    #[error("graph: {0}")]
    Graph(String),
    /// A core error while quantizing a parameter.
    #[error(transparent)]
    Core(#[from] QuantError),
    /// A graph error while building the ONNX model.
    #[error(transparent)]
    Onnx(#[from] GraphError),
}

impl ExportError {
    fn record(id: &str, why: impl Into<String>) -> Self {
        Self::Record { id: id.to_string(), why: why.into() }
    }
}

/// One TQC as the exporters see it: the record plus its parsed state, policy, rounding and visibility.
#[derive(Debug, Clone)]
pub struct ExportTqc<'a> {
    /// The `tqc.json` record.
    pub record: &'a TqcRecord,
    /// Parsed state.
    pub state: QuantizationStates,
    /// Parsed policy.
    pub policy: QuantizationPolicy,
    /// Parsed rounding.
    pub rounding: RoundingPolicy,
    /// Whether exporters may write it.
    pub visibility: QuantizationVisibility,
}

impl ExportTqc<'_> {
    /// PPQ's instance `TQC.can_export(export_overlapped)` (spec §2.1): not INTERNAL, scale and offset set, and
    /// an exportable state (or FORCE_EXPORT).
    pub fn can_export(&self, export_overlapped: bool) -> bool {
        if self.visibility == QuantizationVisibility::INTERNAL
            || self.record.scale.is_none()
            || self.record.offset.is_none()
        {
            return false;
        }
        use QuantizationStates as S;
        let exportable = matches!(self.state, S::ACTIVATED | S::PASSIVE | S::BAKED | S::PASSIVE_BAKED | S::SLAVE)
            || (export_overlapped && self.state == S::OVERLAPPED);
        exportable || self.visibility == QuantizationVisibility::FORCE_EXPORT
    }

    /// Whether the policy has `p`.
    pub fn has(&self, p: QuantizationProperty) -> bool {
        self.policy.has_property(p)
    }

    /// Scale values as f32 (PPQ stores them as float32 tensors).
    pub fn scale_f32(&self) -> Option<Vec<f32>> {
        self.record.scale.as_ref().map(|s| s.values().into_iter().map(|v| v as f32).collect())
    }

    /// Offset values as f32.
    pub fn offset_f32(&self) -> Option<Vec<f32>> {
        self.record.offset.as_ref().map(|s| s.values().into_iter().map(|v| v as f32).collect())
    }

    /// Runs `f` on the kernel parameters of this (linear) TQC; errors name the TQC.
    pub fn with_params<T>(
        &self,
        f: impl FnOnce(&LinearQuantParams<'_>) -> Result<T, QuantError>,
    ) -> Result<T, ExportError> {
        let id = &self.record.id;
        let (scale, offset) = match (self.scale_f32(), self.offset_f32()) {
            (Some(s), Some(o)) => (s, o),
            _ => return Err(ExportError::record(id, "scale or offset is not set")),
        };
        let axis = if self.policy.is_per_channel() {
            let a =
                self.record.channel_axis.ok_or_else(|| ExportError::record(id, "per-channel without channel_axis"))?;
            Some(usize::try_from(a).map_err(|_| ExportError::record(id, format!("negative channel_axis {a}")))?)
        } else {
            None
        };
        let (qmin, qmax) = (to_i32(id, self.record.quant_min)?, to_i32(id, self.record.quant_max)?);
        let params = LinearQuantParams::new(&scale, &offset, qmin, qmax, self.rounding, axis)
            .map_err(|e| ExportError::record(id, e.to_string()))?;
        f(&params).map_err(|e| ExportError::record(id, e.to_string()))
    }
}

fn to_i32(id: &str, v: i64) -> Result<i32, ExportError> {
    i32::try_from(v).map_err(|_| ExportError::record(id, format!("{v} does not fit an int32 range")))
}

/// Everything an exporter reads. Build it with [`ExportInput::new`].
#[derive(Debug, Clone)]
pub struct ExportInput<'a> {
    /// The formatted, dispatched graph with the original fp32 parameter values.
    pub graph: &'a BaseGraph,
    /// The TQCs, in `tqc.json` order (op by op, inputs then outputs).
    pub tqcs: Vec<ExportTqc<'a>>,
}

impl<'a> ExportInput<'a> {
    /// Parses the records. `visibility` maps TQC ids (`op:in1:var`) to their visibility; ids not in it are
    /// EXPORT_WHEN_ACTIVE (PPQ's default). Records of either state model (0.6.6 or 0.6.5) are accepted.
    pub fn new(
        graph: &'a BaseGraph,
        records: &'a [TqcRecord],
        visibility: &HashMap<String, QuantizationVisibility>,
    ) -> Result<Self, ExportError> {
        let mut tqcs = Vec::with_capacity(records.len());
        for r in records {
            let state =
                QuantizationStates::from_name(&r.state).map_err(|e| ExportError::record(&r.id, e.to_string()))?;
            let policy = QuantizationPolicy::from_names(&r.policy, StateModel::Ppq066)
                .or_else(|_| QuantizationPolicy::from_names(&r.policy, StateModel::Ppq065))
                .map_err(|e| ExportError::record(&r.id, e.to_string()))?;
            let rounding =
                RoundingPolicy::from_name(&r.rounding).map_err(|e| ExportError::record(&r.id, e.to_string()))?;
            let visibility = visibility.get(&r.id).copied().unwrap_or_default();
            if graph.var_by_name(&r.var).is_none() {
                return Err(ExportError::Graph(format!("TQC '{}' names variable '{}', not in the graph", r.id, r.var)));
            }
            tqcs.push(ExportTqc { record: r, state, policy, rounding, visibility });
        }
        Ok(Self { graph, tqcs })
    }

    /// The TQCs of op `name`, in record order.
    pub fn tqcs_of_op<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s ExportTqc<'a>> + 's {
        self.tqcs.iter().filter(move |t| t.record.op == name)
    }
}

/// The TQC records of a `tqc.json` (op records dropped).
pub fn tqc_records(records: &[Record]) -> Vec<TqcRecord> {
    records.iter().filter_map(|r| r.as_tqc().cloned()).collect()
}

/// The visibility PPQ 0.6.6's PassiveParameterQuantizePass leaves (spec §6.7), for records that do not carry
/// it: Clip min/max (inputs 1 and 2) and the Pad value (input 2 of a 3-input Pad) are INTERNAL once passive.
/// Everything else keeps EXPORT_WHEN_ACTIVE.
pub fn ppq_default_visibility(records: &[TqcRecord]) -> HashMap<String, QuantizationVisibility> {
    let mut out = HashMap::new();
    for r in records.iter().filter(|r| r.io == "in" && r.is_parameter) {
        let passive = matches!(r.state.as_str(), "PASSIVE" | "PASSIVE_BAKED" | "PASSIVE_INIT");
        let internal = match r.op_type.as_str() {
            "Clip" => r.index == 1 || r.index == 2,
            "Pad" => r.index == 2,
            _ => false,
        };
        if passive && internal {
            out.insert(r.id.clone(), QuantizationVisibility::INTERNAL);
        }
    }
    out
}

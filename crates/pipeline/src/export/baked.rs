//! The baked ONNX: PPQ's ParameterBakingPass result as a model (spec §6.8). Every parameter whose TQC is
//! BAKED, PASSIVE_BAKED, ACTIVATED or PASSIVE holds its fake-quantized float value (q − o)·s; activations are
//! left alone, so onnxruntime runs it as an fp32 model with quantized weights.

use super::{ExportError, ExportInput, ExportTqc};
use ppq_core::QuantizationProperty as P;
use ppq_core::QuantizationStates as S;
use ppq_core::kernels::fake_quant_in_place;
use ppq_graph::export::export_onnx;
use ppq_graph::{BaseGraph, Tensor};
use std::collections::HashSet;

/// Whether PPQ bakes (or has baked) this parameter TQC.
pub(super) fn is_baked_parameter(t: &ExportTqc<'_>) -> bool {
    t.record.is_parameter
        && matches!(t.state, S::BAKED | S::PASSIVE_BAKED | S::ACTIVATED | S::PASSIVE | S::SLAVE)
        && t.has(P::LINEAR)
}

/// The model with baked parameters, as ONNX bytes. A parameter shared by several TQCs is baked once, with the
/// first TQC in record order. Errors name the TQC (a missing value, a scale that does not fit the shape).
pub fn baked_onnx(input: &ExportInput<'_>) -> Result<Vec<u8>, ExportError> {
    Ok(export_onnx(&baked_graph(input)?)?)
}

/// A copy of the graph with baked parameter values (also the starting point of the QDQ export, whose
/// non-exported parameters, e.g. INTERNAL Clip bounds, keep their baked values as in PPQ).
pub(crate) fn baked_graph(input: &ExportInput<'_>) -> Result<BaseGraph, ExportError> {
    let mut graph = input.graph.clone();
    let mut done = HashSet::new();
    for t in input.tqcs.iter().filter(|t| is_baked_parameter(t)) {
        if !done.insert(t.record.var.as_str()) {
            continue;
        }
        let id = graph
            .var_by_name(&t.record.var)
            .ok_or_else(|| ExportError::Graph(format!("no variable '{}'", t.record.var)))?;
        let Some(Tensor::F32(value)) = graph.var_mut(id).value.as_mut() else {
            return Err(ExportError::Graph(format!(
                "parameter '{}' of TQC '{}' has no float32 value to bake",
                t.record.var, t.record.id
            )));
        };
        let shape = value.shape().to_vec();
        let mut data: Vec<f32> = value.iter().copied().collect();
        t.with_params(|p| fake_quant_in_place(&mut data, &shape, p))?;
        for (dst, src) in value.iter_mut().zip(data) {
            *dst = src;
        }
    }
    Ok(graph)
}

//! ParameterQuantizePass (`optim/parameters.py`, spec §6.6/§13.4): every parameter TQC still INITIAL
//! gets an observer that sees the raw fp32 parameter, then renders (INITIAL → ACTIVATED).
//!
//! PPQ runs a dummy forward with non-parameter TQCs temporarily FP32 to feed the observers; the
//! parameter values do not depend on the data, so we observe them directly and log no round trip.

use super::super::context::QuantizedGraph;
use super::super::error::PipelineError;
use super::PassKind;
use super::calibration::{observer_for, to_params};
use ppq_core::QuantizationStates as S;
use ppq_graph::Tensor;

/// Calibrates the parameters of every quantable op, in executing order. A parameter holding NaN or ±inf is
/// refused first, naming the tensor and the op (see [`check_finite`]).
pub fn run(ctx: &mut QuantizedGraph) -> Result<(), PipelineError> {
    let err = |why: String| PipelineError::Pass { pass: PassKind::ParameterQuantize.name(), why };
    let method = ctx.setting.quantize_parameter_setting.calib_algorithm.clone();
    for op in ctx.quantable_ops() {
        for (tqc, var) in ctx.config_with_variable(op) {
            if ctx.graph.var(var).is_parameter && ctx.store.get(tqc)?.state() != S::FP32 {
                check_finite(ctx, op, var).map_err(err)?;
            }
            let v = ctx.graph.var(var);
            if !v.is_parameter || ctx.store.get(tqc)?.state() != S::INITIAL {
                continue;
            }
            let Some(value) = v.value.as_ref() else { continue };
            if let Some(m) = &method {
                ctx.store.get_mut(tqc)?.set_observer_algorithm(Some(m.clone()));
            }
            let mut obs = observer_for(ctx, tqc, value.shape().len())?;
            obs.observe(&super::calibration::f32_values(value), value.shape())
                .map_err(|e| err(format!("{}: {e}", ctx.label(tqc))))?;
            let so = obs.render().map_err(|e| err(format!("{}: {e}", ctx.label(tqc))))?;
            ctx.store.render(tqc, to_params(so).map_err(|e| err(format!("{}: {e}", ctx.label(tqc))))?)?;
        }
    }
    Ok(())
}

/// A parameter about to be quantized must be finite: a min/max observer over NaN or ±inf renders a NaN or infinite
/// scale, which would silently turn the whole tensor (and everything downstream) into garbage. Passive parameters
/// (biases) are checked too, since their scale comes from the op's other TQCs but their values are still rounded.
/// The message names the tensor and the op. (Keeping the op in float is no way out: its outputs carry the NaN on,
/// and the next observer refuses them.)
fn check_finite(ctx: &QuantizedGraph, op: ppq_graph::OpId, var: ppq_graph::VarId) -> Result<(), String> {
    let Some(value) = &ctx.graph.var(var).value else { return Ok(()) };
    let Tensor::F32(a) = value else { return Ok(()) };
    let mut bad = a.iter().enumerate().filter(|(_, x)| !x.is_finite());
    let Some((i, x)) = bad.next() else { return Ok(()) };
    let (name, op) = (&ctx.graph.var(var).name, &ctx.op(op).name);
    Err(format!(
        "parameter '{name}' of op '{op}' holds {} non-finite value(s) (first: {x} at flat index {i}); it cannot be \
         quantized (its scale would be NaN or infinite) — the model's weights need fixing",
        1 + bad.count()
    ))
}

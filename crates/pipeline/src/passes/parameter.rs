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

/// Calibrates the parameters of every quantable op, in executing order.
pub fn run(ctx: &mut QuantizedGraph) -> Result<(), PipelineError> {
    let err = |why: String| PipelineError::Pass { pass: PassKind::ParameterQuantize.name(), why };
    let method = ctx.setting.quantize_parameter_setting.calib_algorithm.clone();
    for op in ctx.quantable_ops() {
        for (tqc, var) in ctx.config_with_variable(op) {
            let v = ctx.graph.var(var);
            if !v.is_parameter || ctx.store.get(tqc)?.state() != S::INITIAL {
                continue;
            }
            let Some(value) = v.value.clone() else { continue };
            if let Some(m) = &method {
                ctx.store.get_mut(tqc)?.set_observer_algorithm(Some(m.clone()));
            }
            let mut obs = observer_for(ctx, tqc, value.shape().len())?;
            let data = value.to_f32_vec();
            obs.observe(&data, value.shape()).map_err(|e| err(format!("{}: {e}", ctx.label(tqc))))?;
            let so = obs.render().map_err(|e| err(format!("{}: {e}", ctx.label(tqc))))?;
            ctx.store.render(tqc, to_params(so)?)?;
        }
    }
    Ok(())
}

//! PassiveParameterQuantizePass (`optim/parameters.py`, spec §6.7): a Conv/ConvTranspose/Gemm bias left
//! PASSIVE/PASSIVE_INIT by the quantizer gets scale = s_w·s_in and offset 0 (PASSIVE); Clip min/max and
//! the Pad value are mastered by the op's input 0.

use super::super::context::QuantizedGraph;
use super::super::error::PipelineError;
use super::PassKind;
use ppq_core::QuantizationProperty as P;
use ppq_core::QuantizationStates as S;
use ppq_core::tqc::{QuantParams, TqcId};

fn err(why: String) -> PipelineError {
    PipelineError::Pass { pass: PassKind::PassiveParameterQuantize.name(), why }
}

/// Runs the pass over every quantable op in graph order.
pub fn run(ctx: &mut QuantizedGraph) -> Result<(), PipelineError> {
    let ps = ctx.setting.quantize_parameter_setting.clone();
    for op in ctx.graph.op_ids() {
        let Some(cfg) = ctx.config(op).cloned() else { continue };
        let ins = &cfg.input_quantization_config;
        let op_type = ctx.op(op).op_type.clone();
        match op_type.as_str() {
            "Conv" | "ConvTranspose" | "Gemm" if ins.len() == 3 => bias(ctx, ins[0], ins[1], ins[2])?,
            "Clip" => {
                for &c in ins.iter().skip(1) {
                    ctx.store.master_by(c, ins[0])?;
                    ctx.store.get_mut(c)?.set_visibility(ps.clip_visibility);
                }
            }
            "Pad" if ins.len() == 3 => {
                ctx.store.master_by(ins[2], ins[0])?;
                ctx.store.get_mut(ins[2])?.set_visibility(ps.pad_visibility);
            }
            _ => {}
        }
    }
    Ok(())
}

/// The bias `b` of a Conv/ConvTranspose/Gemm with input `i` and weight `w`: when PASSIVE/PASSIVE_INIT it
/// gets scale = s_w·s_in (per channel if the weight is), offset 0, and becomes PASSIVE.
pub fn bias(ctx: &mut QuantizedGraph, i: TqcId, w: TqcId, b: TqcId) -> Result<(), PipelineError> {
    if !matches!(ctx.store.get(b)?.state(), S::PASSIVE | S::PASSIVE_INIT) {
        return Ok(());
    }
    let in_state = ctx.store.get(i)?.state();
    if !matches!(in_state, S::PASSIVE | S::ACTIVATED | S::BAKED | S::OVERLAPPED | S::SLAVE) {
        return Err(err(format!("{}: input {} is {in_state}", ctx.label(b), ctx.label(i))));
    }
    if ctx.store.get(b)?.own_policy().has_property(P::ASYMMETRICAL) {
        return Err(err(format!("{}: an asymmetric bias is not supported", ctx.label(b))));
    }
    let s_in = match ctx.store.params(i)? {
        Some(QuantParams::PerTensor { scale, .. }) => *scale,
        _ => return Err(err(format!("{}: needs a per-tensor input scale", ctx.label(b)))),
    };
    let params = match ctx.store.params(w)? {
        Some(QuantParams::PerTensor { scale, .. }) => QuantParams::per_tensor(scale * s_in, 0.0),
        Some(QuantParams::PerChannel { scale, .. }) => {
            let s: Vec<f32> = scale.iter().map(|x| x * s_in).collect();
            let n = s.len();
            QuantParams::per_channel(s, vec![0.0; n])?
        }
        None => return Err(err(format!("{}: weight {} has no scale", ctx.label(b), ctx.label(w)))),
    };
    ctx.store.set_scale_offset(b, params)?;
    ctx.store.set_state(b, S::PASSIVE, "bias scale = weight scale × input scale")?;
    Ok(())
}

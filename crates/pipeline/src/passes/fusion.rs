//! QuantizeFusionPass (`optim/refine.py`, spec §2.3/§6.4): a computing op's output and the following
//! activation's input join the activation's output group; a passive op's outputs join its input 0.
//!
//! When the platform's fusion types name 'Swish' or 'Mish', the exclusive chains computing op → Sigmoid →
//! Mul and computing op → Softplus → Tanh → Mul (ONNX has no op for either) are fused the same way: every
//! TQC of the chain joins the Mul's output.
//!
//! PPQ 0.6.6 as run on the reference models does not fuse Add → Relu (the `fuse_relu_clip` rule of later
//! HEAD), so that rule is not applied here.

use super::super::context::QuantizedGraph;
use super::passive_operations;
use super::pattern::GraphPattern;
use ppq_core::QuantError;
use ppq_core::QuantizationStates as S;
use ppq_graph::dispatch::COMPUTING_OP;
use ppq_graph::{BaseGraph, OpId};

/// Runs activation fusion (when `fuse_activation`) then passive-op fusion (when `fuse_passive_op`).
pub fn run(ctx: &mut QuantizedGraph) -> Result<(), QuantError> {
    let fs = ctx.setting.fusion_setting.clone();
    let act_types = ctx.quantizer.activation_fusion_types(ctx.setting.state_model);
    let ops = ctx.graph.op_ids();
    if fs.fuse_activation {
        for &comp in &ops {
            if !COMPUTING_OP.contains(&ctx.op(comp).op_type.as_str()) || !ctx.is_quantable(comp) {
                continue;
            }
            // exclusive 2-op pattern: computing op → activation over a direct edge
            let down = ctx.graph.downstream_ops(comp);
            for act in down.iter().copied() {
                if !act_types.contains(&ctx.op(act).op_type.as_str()) || !ctx.is_quantable(act) {
                    continue;
                }
                let (Some(c_out), Some(a_in), Some(a_out)) =
                    (ctx.output_tqc(comp, 0), ctx.input_tqc(act, 0), ctx.output_tqc(act, 0))
                else {
                    continue;
                };
                if ctx.op(comp).platform != ctx.op(act).platform && ctx.store.get(c_out)?.state() != S::FP32 {
                    continue; // PPQ warns and skips
                }
                if down.len() == 1 && ctx.graph.upstream_ops(act).len() == 1 {
                    ctx.store.dominate(c_out, a_out)?;
                    ctx.store.dominate(a_in, a_out)?;
                }
            }
        }
    }
    if fs.fuse_activation && act_types.contains(&"Swish") {
        fuse_chain(ctx, &["Sigmoid", "Mul"], &[(0, 1), (1, 2), (0, 2)], &[(0, false, 0), (1, true, 0), (1, false, 0)])?;
    }
    if fs.fuse_activation && act_types.contains(&"Mish") {
        let members = [(0, false, 0), (2, true, 0), (2, false, 0), (1, true, 0), (1, false, 0)];
        fuse_chain(ctx, &["Softplus", "Tanh", "Mul"], &[(0, 1), (1, 2), (2, 3), (0, 3)], &members)?;
    }
    if fs.fuse_passive_op {
        for &op in &ops {
            let o = ctx.op(op);
            if !ctx.is_quantable(op)
                || !passive_operations(ctx.setting.quirks, ctx.setting.state_model).contains(&o.op_type.as_str())
            {
                continue;
            }
            let Some(src) = o.inputs.first().and_then(|&v| ctx.graph.var(v).source_op) else { continue };
            if ctx.op(src).platform != o.platform {
                continue;
            }
            let Some(cfg) = ctx.config(op).cloned() else { continue };
            let Some(&input) = cfg.input_quantization_config.first() else { continue };
            for &out in &cfg.output_quantization_config {
                ctx.store.dominate(out, input)?;
            }
        }
    }
    Ok(())
}

/// A node predicate of a fusion pattern.
type OpPredicate = dyn Fn(&BaseGraph, OpId) -> bool;

/// One activation chain PPQ fuses by pattern (Swish, Mish): a computing op followed by `types`, over
/// `edges`, exclusive. `members` are (pattern index, is input, slot) of the TQCs that join the last op's
/// output, in PPQ's assignment order; both inputs of the final Mul join too.
fn fuse_chain(
    ctx: &mut QuantizedGraph,
    types: &[&'static str],
    edges: &[(usize, usize)],
    members: &[(usize, bool, usize)],
) -> Result<(), QuantError> {
    let computing = |g: &BaseGraph, o: OpId| COMPUTING_OP.contains(&g.op(o).op_type.as_str());
    let typed: Vec<Box<OpPredicate>> =
        types.iter().map(|&t| Box::new(move |g: &BaseGraph, o: OpId| g.op(o).op_type == t) as Box<_>).collect();
    let mut nodes: Vec<&OpPredicate> = vec![&computing];
    nodes.extend(typed.iter().map(|b| b.as_ref()));
    let Some(pattern) = GraphPattern::new(nodes, edges) else {
        return Err(QuantError::InvalidConfig(format!("bad fusion pattern {types:?}")));
    };
    for m in pattern.matches(&ctx.graph, true) {
        // PPQ warns and skips a chain that is partly unquantable or split over platforms
        if m.iter().any(|&o| !ctx.is_quantable(o)) || m.iter().any(|&o| ctx.op(o).platform != ctx.op(m[0]).platform) {
            continue;
        }
        let last = m[m.len() - 1];
        let Some(master) = ctx.output_tqc(last, 0) else { continue };
        let mut slots: Vec<Option<ppq_core::tqc::TqcId>> = members
            .iter()
            .map(|&(i, is_input, k)| if is_input { ctx.input_tqc(m[i], k) } else { ctx.output_tqc(m[i], k) })
            .collect();
        slots.push(ctx.input_tqc(last, 0));
        slots.push(ctx.input_tqc(last, 1));
        for t in slots.into_iter().flatten() {
            ctx.store.dominate(t, master)?;
        }
    }
    Ok(())
}

//! `tqc.json` records from a quantized graph: ops in executing order; a quantable op gives one
//! [`TqcRecord`] per input then per output, any other op one [`OpRecord`] — the order PPQ's dump uses.

use super::context::QuantizedGraph;
use super::error::PipelineError;
use super::record::{OpRecord, Record, ScaleValue, TqcRecord, tqc_id};
use ppq_core::tqc::QuantParams;

fn values(p: &QuantParams, offset: bool) -> ScaleValue {
    let v = if offset { p.offsets() } else { p.scales() };
    match p {
        QuantParams::PerTensor { .. } => ScaleValue::PerTensor(f64::from(v[0])),
        QuantParams::PerChannel { .. } => ScaleValue::PerChannel(v.iter().map(|&x| f64::from(x)).collect()),
    }
}

/// The records of `ctx`. Roots are read with path compression on a copy of the store, as PPQ's
/// `dominated_by` getter compresses before the dump reads `_dominator`.
pub fn to_records(ctx: &QuantizedGraph) -> Result<Vec<Record>, PipelineError> {
    let mut store = ctx.store.clone();
    let model = store.model();
    let mut out = Vec::new();
    for &id in &ctx.order {
        let op = ctx.graph.op(id);
        let Some(cfg) = ctx.config(id) else {
            out.push(Record::Op(OpRecord {
                op: op.name.clone(),
                op_type: op.op_type.clone(),
                platform: op.platform.name_in(model).to_string(),
                quantable: false,
                inputs: op.inputs.iter().map(|&v| ctx.graph.var(v).name.clone()).collect(),
                outputs: op.outputs.iter().map(|&v| ctx.graph.var(v).name.clone()).collect(),
            }));
            continue;
        };
        let ins = cfg.input_quantization_config.iter().zip(&op.inputs).enumerate().map(|(i, (t, v))| (true, i, *t, *v));
        let outs =
            cfg.output_quantization_config.iter().zip(&op.outputs).enumerate().map(|(i, (t, v))| (false, i, *t, *v));
        for (is_input, index, tqc, var) in ins.chain(outs).collect::<Vec<_>>() {
            let root = store.dominated_by(tqc)?;
            let direct = store.direct_dominator(tqc)?;
            let label = |t| store.get(t).map(|c| c.label().to_string());
            let (root_label, direct_label) = (
                if root == tqc { None } else { Some(label(root)?) },
                match direct {
                    Some(d) => Some(label(d)?),
                    None => None,
                },
            );
            let t = store.get(tqc)?;
            let params = store.params(tqc)?;
            let v = ctx.graph.var(var);
            out.push(Record::Tqc(TqcRecord {
                op: op.name.clone(),
                op_type: op.op_type.clone(),
                platform: op.platform.name_in(model).to_string(),
                quantable: true,
                io: if is_input { "in" } else { "out" }.to_string(),
                index,
                var: v.name.clone(),
                is_parameter: v.is_parameter,
                state: t.state().name().to_string(),
                policy: t.own_policy().names(model).iter().map(|s| s.to_string()).collect(),
                rounding: t.own_rounding().name().to_string(),
                num_of_bits: t.own_num_of_bits(),
                quant_min: i64::from(t.own_quant_min()),
                quant_max: i64::from(t.own_quant_max()),
                channel_axis: t.channel_axis().map(i64::from),
                observer: t.observer_algorithm().map(str::to_string),
                scale: params.map(|p| values(p, false)),
                offset: params.map(|p| values(p, true)),
                id: tqc_id(&op.name, is_input, index, &v.name),
                dominated_by: root_label,
                direct_dominator: direct_label,
            }));
        }
    }
    Ok(out)
}

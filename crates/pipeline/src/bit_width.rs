//! The playground's bit-width override ([`BitWidthSetting`]): what PPQ users do by hand between the quantizer
//! and the passes — `cfg.num_of_bits = 4; cfg.quant_min = -8; cfg.quant_max = 7` — applied to the
//! quantizer's fresh TQCs, so 4-bit weights (or activations) go through the same passes as 8-bit ones.
//!
//! The new range keeps the shape of the quantizer's: signed ranges become `[-2^(b-1), 2^(b-1)-1]`, narrow
//! signed ones (`quant_min = -quant_max`, e.g. [-127, 127]) `[-(2^(b-1)-1), 2^(b-1)-1]`, unsigned ones
//! `[0, 2^b-1]`.

use super::context::QuantizedGraph;
use super::error::PipelineError;
use super::setting::BitWidthSetting;
use ppq_core::QuantizationProperty;
use ppq_core::tqc::TqcId;
use ppq_graph::dispatch::COMPUTING_OP;

/// The `[quant_min, quant_max]` of `bits` with the shape of the range `[lo, hi]`.
pub fn range_for_bits(bits: u32, lo: i32, hi: i32) -> (i32, i32) {
    let half = 1i32 << (bits - 1);
    if lo < 0 {
        let top = half - 1;
        if lo == -hi { (-top, top) } else { (-half, top) }
    } else {
        (0, (1i32 << bits) - 1)
    }
}

/// The weight TQCs (input 1 of every quantable computing op) and activation TQCs (every non-parameter input
/// or output of a quantable op).
fn targets(ctx: &QuantizedGraph) -> (Vec<TqcId>, Vec<TqcId>) {
    let (mut weights, mut acts) = (Vec::new(), Vec::new());
    for op in ctx.quantable_ops() {
        let computing = COMPUTING_OP.contains(&ctx.op(op).op_type.as_str());
        for (i, (tqc, var)) in ctx.config_with_variable(op).into_iter().enumerate() {
            if !ctx.graph.var(var).is_parameter {
                acts.push(tqc);
            } else if computing && i == 1 {
                weights.push(tqc);
            }
        }
    }
    (weights, acts)
}

/// Applies the override to every targeted TQC; FLOATING (FP8) TQCs are refused, since their width is the
/// exponent/mantissa split, not an integer range.
pub fn apply(ctx: &mut QuantizedGraph, setting: &BitWidthSetting) -> Result<(), PipelineError> {
    let (weights, acts) = targets(ctx);
    for (bits, ids) in [(setting.weight_bits, weights), (setting.activation_bits, acts)] {
        let Some(bits) = bits else { continue };
        for id in ids {
            let t = ctx.store.get_mut(id)?;
            if t.own_policy().has_property(QuantizationProperty::FLOATING) {
                return Err(PipelineError::InvalidSetting(format!(
                    "bit_width: {} is a floating (FP8) TQC, its width is not an integer range",
                    t.label()
                )));
            }
            let (lo, hi) = range_for_bits(bits, t.own_quant_min(), t.own_quant_max());
            t.set_num_of_bits(bits)?;
            t.set_quant_range(lo, hi)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::range_for_bits;

    #[test]
    fn ranges_keep_their_shape() {
        assert_eq!(range_for_bits(4, -128, 127), (-8, 7));
        assert_eq!(range_for_bits(4, -127, 127), (-7, 7));
        assert_eq!(range_for_bits(4, 0, 255), (0, 15));
        assert_eq!(range_for_bits(8, -128, 127), (-128, 127));
    }
}

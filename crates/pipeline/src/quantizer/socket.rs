//! Which TQC slots are never quantized, per state model (spec §6.2), and the op-type sets of
//! `ppq/core/common.py` (spec §6.4).
//!
//! 0.6.6 decides this at creation through the OpSocket table: a slot whose socket platform is FP32 or
//! SOI starts FP32. 0.6.5 creates every slot INITIAL and lets QuantizeRefinePass (the first pass of the
//! quant pipeline) set SOI / FP32 / PASSIVE_INIT afterwards; [`refine_state_065`] is that rule table.

use ppq_core::QuantizationStates;
use ppq_core::quirks::Quirks;
use ppq_core::state::StateModel;

/// `COMPUTING_OP`: ops whose output may absorb a following activation (QuantizeFusionPass).
pub const COMPUTING_OP: &[&str] = &["Conv", "Gemm", "ConvTranspose", "MatMul", "Attention", "PPQBiasFusedMatMul"];

/// `PASSIVE_OPERATIONS` exactly as PPQ spells it: the missing comma joins 'Dropout' and 'Slice' into
/// 'DropoutSlice', so neither Dropout nor Slice is passive in PPQ (quirk `passive-ops-dropout-slice`).
pub const PASSIVE_OPERATIONS: &[&str] = &[
    "MaxPool",
    "GlobalMaxPool",
    "Reshape",
    "Flatten",
    "Identity",
    "DropoutSlice",
    "Pad",
    "Split",
    "Transpose",
    "Interp",
    "Squeeze",
    "Unsqueeze",
];

/// The corrected list (quirks = fixed): Dropout and Slice are passive.
pub const PASSIVE_OPERATIONS_FIXED: &[&str] = &[
    "MaxPool",
    "GlobalMaxPool",
    "Reshape",
    "Flatten",
    "Identity",
    "Dropout",
    "Slice",
    "Pad",
    "Split",
    "Transpose",
    "Interp",
    "Squeeze",
    "Unsqueeze",
];

/// PPQ 0.6.5.1's `PASSIVE_OPERATIONS`: the 0.6.6 list (typo included) plus 'Resize', which the 0.6.5
/// reference runs fuse with its input (c_soi: `resize:out0` joins `resize:in0` in QuantizeFusionPass).
pub const PASSIVE_OPERATIONS_065: &[&str] = &[
    "Resize",
    "MaxPool",
    "GlobalMaxPool",
    "Reshape",
    "Flatten",
    "Identity",
    "DropoutSlice",
    "Pad",
    "Split",
    "Transpose",
    "Interp",
    "Squeeze",
    "Unsqueeze",
];

/// The 0.6.5 list with the typo corrected.
pub const PASSIVE_OPERATIONS_065_FIXED: &[&str] = &[
    "Resize",
    "MaxPool",
    "GlobalMaxPool",
    "Reshape",
    "Flatten",
    "Identity",
    "Dropout",
    "Slice",
    "Pad",
    "Split",
    "Transpose",
    "Interp",
    "Squeeze",
    "Unsqueeze",
];

/// The passive op types in force: the release's list (typo included) when faithful, the corrected one
/// when fixed.
pub const fn passive_operations(quirks: Quirks, model: StateModel) -> &'static [&'static str] {
    match (model, quirks) {
        (StateModel::Ppq066, Quirks::Faithful) => PASSIVE_OPERATIONS,
        (StateModel::Ppq066, Quirks::Fixed) => PASSIVE_OPERATIONS_FIXED,
        (StateModel::Ppq065, Quirks::Faithful) => PASSIVE_OPERATIONS_065,
        (StateModel::Ppq065, Quirks::Fixed) => PASSIVE_OPERATIONS_065_FIXED,
    }
}

/// Logical ops whose output socket is FP32 in 0.6.6.
const LOGICAL_OPS: &[&str] = &["Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Xor", "Or", "And"];

/// 0.6.6 `DEFAULT_SOCKET_TABLE`: is input slot `index` of an `op_type` op an FP32/SOI socket?
/// Such slots start in state FP32.
pub fn input_socket_is_fp32(op_type: &str, index: usize) -> bool {
    match op_type {
        "Reshape" | "Gather" | "Split" | "Expand" | "grid_sampler" | "GatherElements" | "GatherND"
        | "ScatterElements" | "ScatterND" | "Squeeze" | "Unsqueeze" | "TopK" => index == 1,
        "Pad" | "Tile" | "RoiAlign" | "Clip" | "Where" => matches!(index, 1 | 2),
        "Resize" => matches!(index, 1..=3),
        "Slice" | "NonMaxSuppression" => matches!(index, 1..=4),
        "ConstantOfShape" => index == 0,
        "Range" => index <= 2,
        "OneHot" => true,
        _ => false,
    }
}

/// 0.6.6 `DEFAULT_SOCKET_TABLE`: is output slot `index` an FP32/SOI socket?
pub fn output_socket_is_fp32(op_type: &str, index: usize) -> bool {
    match op_type {
        "TopK" => index == 1,
        "NonZero" | "Shape" | "OneHot" => true,
        t => LOGICAL_OPS.contains(&t),
    }
}

/// 0.6.5 QuantizeRefinePass: the state an input TQC is forced to, if any. `n_inputs` matters for Pad,
/// whose value input (2) only exists sometimes.
pub fn refine_state_065(op_type: &str, index: usize, n_inputs: usize) -> Option<QuantizationStates> {
    use QuantizationStates as S;
    match (op_type, index) {
        ("Reshape" | "Gather" | "Split" | "Pad", 1) => Some(S::SOI),
        ("Slice", 1..=4) | ("Resize", 1..=3) => Some(S::SOI),
        ("Pad", 2) if n_inputs > 2 => Some(S::PASSIVE_INIT),
        ("Clip", 1 | 2) => Some(S::FP32),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_follow_the_table() {
        assert!(input_socket_is_fp32("Pad", 2) && !input_socket_is_fp32("Pad", 0));
        assert!(input_socket_is_fp32("Slice", 4) && !input_socket_is_fp32("Conv", 1));
        assert!(output_socket_is_fp32("Equal", 0) && output_socket_is_fp32("TopK", 1));
        assert!(!output_socket_is_fp32("TopK", 0));
        assert!(!passive_operations(Quirks::Faithful, StateModel::Ppq066).contains(&"Slice"));
        assert!(passive_operations(Quirks::Fixed, StateModel::Ppq066).contains(&"Dropout"));
    }

    #[test]
    fn refine_065() {
        assert_eq!(refine_state_065("Pad", 2, 3), Some(QuantizationStates::PASSIVE_INIT));
        assert_eq!(refine_state_065("Pad", 2, 2), None);
        assert_eq!(refine_state_065("Clip", 1, 3), Some(QuantizationStates::FP32));
        assert_eq!(refine_state_065("Resize", 3, 4), Some(QuantizationStates::SOI));
        assert_eq!(refine_state_065("Conv", 1, 3), None);
    }
}

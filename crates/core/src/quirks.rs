//! PPQ's known quirks (spec §12) and the one switch that decides whether we reproduce them.
//!
//! `Faithful` (the default) reproduces PPQ so results match the reference files bit for bit;
//! `Fixed` applies the corrected behaviour. Each quirk has a stable id and a one-line explanation the UI shows.

use serde::{Deserialize, Serialize};

/// Reproduce PPQ's quirks (`faithful`) or correct them (`fixed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quirks {
    /// Behave exactly as PPQ 0.6.6 / 0.6.5.1 do.
    #[default]
    Faithful,
    /// Correct the quirks listed in [`QUIRKS`].
    Fixed,
}

impl Quirks {
    /// `faithful` / `fixed`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Faithful => "faithful",
            Self::Fixed => "fixed",
        }
    }

    /// Parses `faithful` / `fixed`.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "faithful" => Some(Self::Faithful),
            "fixed" => Some(Self::Fixed),
            _ => None,
        }
    }
}

/// A documented PPQ quirk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quirk {
    /// Stable id, used by the UI badge and in tests.
    pub id: &'static str,
    /// The spec section it comes from.
    pub spec: &'static str,
    /// One line: what PPQ does and what `fixed` does instead.
    pub explanation: &'static str,
}

/// Numerical HALF_TOWARDS_ZERO / HALF_FAR_FORM_ZERO round negative ties the wrong way.
pub const NUMERICAL_NEGATIVE_TIES: Quirk = Quirk {
    id: "numerical-negative-ties",
    spec: "§4.1",
    explanation: "PPQ's numerical rounding treats HALF_TOWARDS_ZERO as HALF_DOWN and HALF_FAR_FORM_ZERO as HALF_UP, so -2.5 rounds to -3 and -2 respectively; fixed rounds ties as the names say.",
};

/// The asymmetric offset formula assumes quant_min = 0.
pub const ASYM_OFFSET_SIGNED_RANGE: Quirk = Quirk {
    id: "asym-offset-signed-range",
    spec: "§5.1",
    explanation: "PPQ computes the asymmetric offset as round(-min/s), which is only right when quant_min is 0; with a signed range half the grid is lost. Fixed uses quant_min + round(-min/s).",
};

/// A freshly constructed TQC has the range [-127, 128].
pub const TQC_DEFAULT_RANGE: Quirk = Quirk {
    id: "tqc-default-range",
    spec: "§3.1",
    explanation: "PPQ's TensorQuantizationConfig constructor defaults to quant_min -127 and quant_max 128, a range no integer type has; quantizers always override it. Fixed defaults to [-128, 127].",
};

/// `master_by` does not check for cycles.
pub const MASTER_BY_CYCLE: Quirk = Quirk {
    id: "master-by-cycle",
    spec: "§3.3",
    explanation: "PPQ's master_by (and ≤0.6.5 set_master) points a TQC at its master without checking that the master does not descend from it, so a cycle makes every later scale read loop forever. We refuse such a call with an error in both modes.",
};

/// Per-channel asymmetric minmax fails under numpy ≥ 2.
pub const PER_CHANNEL_ASYM_NUMPY2_ASSERT: Quirk = Quirk {
    id: "per-channel-asym-numpy2-assert",
    spec: "§5.1",
    explanation: "PPQ 0.6.6 with numpy 2 raises AssertionError for per-channel ASYMMETRICAL minmax: -min/scale stays a numpy float32 and ppq_numerical_round asserts a Python float. Fixed computes the offset in float64, as PPQ did under numpy 1.",
};

/// `PASSIVE_OPERATIONS` lists 'Dropout' 'Slice' without a comma, so Python merges them into one string.
pub const PASSIVE_OPERATIONS_TYPO: Quirk = Quirk {
    id: "passive-operations-typo",
    spec: "§12.6",
    explanation: "PPQ's PASSIVE_OPERATIONS writes 'Dropout' 'Slice' without a comma, so Python joins them into the single type 'DropoutSlice': neither Dropout nor Slice counts as a passive op, and their outputs are calibrated on their own instead of sharing their input's scale. Fixed lists both types.",
};

/// The slave loop of 'Align to Large' tests a stale variable.
pub const ALIGN_TO_LARGE_STALE_SLAVE: Quirk = Quirk {
    id: "align-to-large-stale-slave",
    spec: "§6.5, §12.7",
    explanation: "In 'Align to Large', PPQ decides whether to tie each input to the group's master by testing the state and policy of the last input seen in the previous loop, not of the input at hand, so one FP32 or floating input can keep every other input out of the group (or let an FP32 one in). Fixed tests each input itself.",
};

/// Every PPQ quirk this crate knows, in spec-section order; layers append theirs here so the UI has one list.
pub const QUIRKS: &[Quirk] = &[
    TQC_DEFAULT_RANGE,
    MASTER_BY_CYCLE,
    NUMERICAL_NEGATIVE_TIES,
    ASYM_OFFSET_SIGNED_RANGE,
    PER_CHANNEL_ASYM_NUMPY2_ASSERT,
    ALIGN_TO_LARGE_STALE_SLAVE,
    PASSIVE_OPERATIONS_TYPO,
];

/// Looks a quirk up by id.
pub fn quirk(id: &str) -> Option<&'static Quirk> {
    QUIRKS.iter().find(|q| q.id == id)
}

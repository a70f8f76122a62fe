//! `QuantizationStates` and the two state models (spec §2, seed 004).
//!
//! One enum holds all 12 states PPQ ever had; a [`StateModel`] says which are live and what the
//! predicates mean. `ppq-0.6.6` is the current PPQ (8 live states); `ppq-0.6.5` is the classic
//! 12-state PPQ that seed 004 describes. Where 0.6.6 dropped a state, [`QuantizationStates::in_model`]
//! gives its 0.6.6 counterpart: SLAVE→PASSIVE, SOI→FP32, DEQUANTIZED→FP32, DEACTIVATED→FP32.

use super::error::QuantError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which PPQ's rules are in force: states, predicates, policy whitelist and sharing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum StateModel {
    /// PPQ 0.6.6 (= HEAD): 8 live states, alignment via PASSIVE, only scale/offset shared.
    #[default]
    #[serde(rename = "ppq-0.6.6")]
    Ppq066,
    /// PPQ 0.6.5.1, the classic 12-state model: SLAVE, SOI, DEQUANTIZED, DEACTIVATED are live.
    #[serde(rename = "ppq-0.6.5")]
    Ppq065,
}

impl StateModel {
    /// Both models, for selectors.
    pub const ALL: [StateModel; 2] = [Self::Ppq066, Self::Ppq065];

    /// The name used in the UI, the CLI and file names.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ppq066 => "ppq-0.6.6",
            Self::Ppq065 => "ppq-0.6.5",
        }
    }

    /// Parses `ppq-0.6.6` / `ppq-0.6.5` (also `0.6.6`, `0.6.5`).
    pub fn from_name(s: &str) -> Option<Self> {
        match s.trim_start_matches("ppq-") {
            "0.6.6" => Some(Self::Ppq066),
            "0.6.5" | "0.6.5.1" => Some(Self::Ppq065),
            _ => None,
        }
    }
}

impl fmt::Display for StateModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The state of a TQC (PPQ's `QuantizationStates`). Names are PPQ's; `DEACTIVATED` is spelled
/// `DEACTIVED` in 0.6.6's source and is accepted under both names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(non_camel_case_types)]
pub enum QuantizationStates {
    /// Just created: scale/offset not valid, not quantized; observers work only here.
    INITIAL,
    /// Parameter already fake-quantized in place; not quantized again.
    BAKED,
    /// Another TQC (its union-find root) controls this tensor.
    OVERLAPPED,
    /// ≤0.6.5: forced into joint fixed point with a master; active, scale read through the master.
    SLAVE,
    /// ≤0.6.5: disabled.
    DEACTIVATED,
    /// Active with its own scale/offset.
    ACTIVATED,
    /// ≤0.6.5: temporarily dequantized by `QuantableOperation.dequantize()`.
    DEQUANTIZED,
    /// ≤0.6.5: shape-or-index input, never quantized.
    SOI,
    /// Active, scale/offset owned by another TQC (master) or assigned by a pass (bias = s_in·s_w).
    PASSIVE,
    /// Passive but its parameters are not ready: not quantized, not exportable.
    PASSIVE_INIT,
    /// A passive parameter whose value has been baked.
    PASSIVE_BAKED,
    /// Left in float.
    FP32,
}

use QuantizationStates as S;

impl QuantizationStates {
    /// All 12 states, in the ≤0.6.5 value order.
    pub const ALL: [QuantizationStates; 12] = [
        S::INITIAL,
        S::BAKED,
        S::OVERLAPPED,
        S::SLAVE,
        S::DEACTIVATED,
        S::ACTIVATED,
        S::DEQUANTIZED,
        S::SOI,
        S::PASSIVE,
        S::PASSIVE_INIT,
        S::PASSIVE_BAKED,
        S::FP32,
    ];

    /// PPQ's name.
    pub const fn name(self) -> &'static str {
        match self {
            S::INITIAL => "INITIAL",
            S::BAKED => "BAKED",
            S::OVERLAPPED => "OVERLAPPED",
            S::SLAVE => "SLAVE",
            S::DEACTIVATED => "DEACTIVATED",
            S::ACTIVATED => "ACTIVATED",
            S::DEQUANTIZED => "DEQUANTIZED",
            S::SOI => "SOI",
            S::PASSIVE => "PASSIVE",
            S::PASSIVE_INIT => "PASSIVE_INIT",
            S::PASSIVE_BAKED => "PASSIVE_BAKED",
            S::FP32 => "FP32",
        }
    }

    /// Parses PPQ's name (as written in `tqc.json`; `DEACTIVED` accepted).
    pub fn from_name(s: &str) -> Result<Self, QuantError> {
        let s = s.trim_start_matches("QuantizationStates.");
        Self::ALL
            .into_iter()
            .find(|st| st.name() == s)
            .or((s == "DEACTIVED").then_some(S::DEACTIVATED))
            .ok_or_else(|| QuantError::UnknownState(s.to_string()))
    }

    /// The integer value PPQ gives the state in `model` (0.6.6 renumbered; legacy states are negative there).
    pub const fn value(self, model: StateModel) -> i32 {
        match model {
            StateModel::Ppq065 => match self {
                S::INITIAL => 1,
                S::BAKED => 2,
                S::OVERLAPPED => 3,
                S::SLAVE => 4,
                S::DEACTIVATED => 5,
                S::ACTIVATED => 6,
                S::DEQUANTIZED => 7,
                S::SOI => 8,
                S::PASSIVE => 9,
                S::PASSIVE_INIT => 10,
                S::PASSIVE_BAKED => 11,
                S::FP32 => 12,
            },
            StateModel::Ppq066 => match self {
                S::INITIAL => 1,
                S::BAKED => 2,
                S::OVERLAPPED => 3,
                S::ACTIVATED => 4,
                S::PASSIVE => 5,
                S::PASSIVE_INIT => 6,
                S::PASSIVE_BAKED => 7,
                S::FP32 => 8,
                S::SOI => -1,
                S::DEQUANTIZED => -2,
                S::DEACTIVATED => -3,
                // SLAVE does not exist in 0.6.6; it reads as PASSIVE there.
                S::SLAVE => 5,
            },
        }
    }

    /// Whether a pass of `model` can put a TQC in this state. 0.6.6 keeps SOI/DEQUANTIZED/DEACTIVED only
    /// as legacy names and has no SLAVE.
    pub const fn is_live(self, model: StateModel) -> bool {
        match model {
            StateModel::Ppq065 => true,
            StateModel::Ppq066 => !matches!(self, S::SLAVE | S::SOI | S::DEQUANTIZED | S::DEACTIVATED),
        }
    }

    /// The state this one becomes in `model`: itself when live, else its 0.6.6 counterpart
    /// (SLAVE→PASSIVE, SOI→FP32, DEQUANTIZED→FP32, DEACTIVATED→FP32).
    pub const fn in_model(self, model: StateModel) -> Self {
        if self.is_live(model) {
            return self;
        }
        match self {
            S::SLAVE => S::PASSIVE,
            _ => S::FP32,
        }
    }

    /// The executor fake-quantizes a tensor iff this holds (PPQ's `is_activated`).
    /// 0.6.6: ACTIVATED, PASSIVE. 0.6.5: also SLAVE.
    pub const fn is_activated(self, model: StateModel) -> bool {
        match model {
            StateModel::Ppq066 => matches!(self, S::ACTIVATED | S::PASSIVE),
            StateModel::Ppq065 => matches!(self, S::ACTIVATED | S::PASSIVE | S::SLAVE),
        }
    }

    /// The enum-level `can_export`: exporters reject TQCs in states where this is false.
    /// 0.6.6 excludes INITIAL, PASSIVE_INIT, DEQUANTIZED, DEACTIVED; 0.6.5 the same four.
    pub const fn can_export(self, _model: StateModel) -> bool {
        !matches!(self, S::INITIAL | S::PASSIVE_INIT | S::DEQUANTIZED | S::DEACTIVATED)
    }

    /// The state half of PPQ's `is_revisable` (the other half: the TQC is its own root).
    /// 0.6.6: ACTIVATED, FP32, INITIAL, PASSIVE, PASSIVE_INIT. 0.6.5 also allows DEQUANTIZED and DEACTIVATED.
    pub const fn is_revisable(self, model: StateModel) -> bool {
        let base = matches!(self, S::ACTIVATED | S::FP32 | S::INITIAL | S::PASSIVE | S::PASSIVE_INIT);
        match model {
            StateModel::Ppq066 => base,
            StateModel::Ppq065 => base || matches!(self, S::DEQUANTIZED | S::DEACTIVATED),
        }
    }

    /// One sentence for learners: what this state means for the tensor.
    pub const fn meaning(self) -> &'static str {
        match self {
            S::INITIAL => {
                "Just created: no valid scale yet, so the tensor is not quantized; calibration works on this state."
            }
            S::BAKED => "Parameter only: the stored value is already fake-quantized, so it is not quantized again.",
            S::OVERLAPPED => "Another TQC (its group root) quantizes this tensor; this one is switched off.",
            S::SLAVE => "Classic PPQ: forced to share a master's scale (joint fixed point) and still quantized.",
            S::DEACTIVATED => "Classic PPQ: switched off.",
            S::ACTIVATED => "Quantized with its own scale and offset.",
            S::DEQUANTIZED => "Classic PPQ: temporarily back in float (QuantableOperation.dequantize).",
            S::SOI => "Classic PPQ: a shape-or-index input, never quantized.",
            S::PASSIVE => {
                "Quantized with a scale it does not own: a master's, or one a pass computed (bias = s_in·s_w)."
            }
            S::PASSIVE_INIT => "Passive, waiting for its scale: not quantized and not exportable yet.",
            S::PASSIVE_BAKED => "A passive parameter whose value has been baked.",
            S::FP32 => "Left in float: deliberately, or temporarily dequantized.",
        }
    }
}

impl fmt::Display for QuantizationStates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One row of the state table the UI shows: a state and its value and predicates in both models.
#[derive(Debug, Clone, Serialize)]
pub struct StateTableRow {
    /// The state.
    pub state: QuantizationStates,
    /// Value in 0.6.6 (negative: legacy).
    pub value_066: i32,
    /// Value in 0.6.5.
    pub value_065: i32,
    /// What the state is in 0.6.6 (itself or its mapping).
    pub maps_to_066: QuantizationStates,
    /// `is_activated` in each model.
    pub activated: [bool; 2],
    /// `can_export` in each model.
    pub exportable: [bool; 2],
    /// `is_revisable` (state half) in each model.
    pub revisable: [bool; 2],
    /// The learner's sentence.
    pub meaning: &'static str,
}

/// The full comparison table of the 12 states in both models, for the UI and the docs.
pub fn state_table() -> Vec<StateTableRow> {
    let m = [StateModel::Ppq066, StateModel::Ppq065];
    QuantizationStates::ALL
        .into_iter()
        .map(|s| StateTableRow {
            state: s,
            value_066: s.value(StateModel::Ppq066),
            value_065: s.value(StateModel::Ppq065),
            maps_to_066: s.in_model(StateModel::Ppq066),
            activated: m.map(|x| s.is_activated(x)),
            exportable: m.map(|x| s.can_export(x)),
            revisable: m.map(|x| s.is_revisable(x)),
            meaning: s.meaning(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_state_counts() {
        let live = |m| QuantizationStates::ALL.iter().filter(|s| s.is_live(m)).count();
        assert_eq!(live(StateModel::Ppq066), 8);
        assert_eq!(live(StateModel::Ppq065), 12);
    }

    #[test]
    fn mapping_to_066() {
        assert_eq!(S::SLAVE.in_model(StateModel::Ppq066), S::PASSIVE);
        assert_eq!(S::SOI.in_model(StateModel::Ppq066), S::FP32);
        assert_eq!(S::DEQUANTIZED.in_model(StateModel::Ppq066), S::FP32);
        assert_eq!(S::SOI.in_model(StateModel::Ppq065), S::SOI);
    }

    #[test]
    fn predicates_per_model() {
        assert!(S::SLAVE.is_activated(StateModel::Ppq065));
        assert!(!S::SLAVE.is_activated(StateModel::Ppq066));
        assert!(S::DEQUANTIZED.is_revisable(StateModel::Ppq065));
        assert!(!S::DEQUANTIZED.is_revisable(StateModel::Ppq066));
        assert!(!S::PASSIVE_INIT.can_export(StateModel::Ppq066));
        assert!(S::OVERLAPPED.can_export(StateModel::Ppq066));
        let activated: Vec<_> =
            QuantizationStates::ALL.into_iter().filter(|s| s.is_activated(StateModel::Ppq066)).collect();
        assert_eq!(activated, vec![S::ACTIVATED, S::PASSIVE]);
    }

    #[test]
    fn names_round_trip() {
        for s in QuantizationStates::ALL {
            assert_eq!(QuantizationStates::from_name(s.name()), Ok(s));
        }
        assert_eq!(QuantizationStates::from_name("DEACTIVED"), Ok(S::DEACTIVATED));
        assert!(QuantizationStates::from_name("BOGUS").is_err());
        assert_eq!(state_table().len(), 12);
    }
}

//! `QuantizationProperty` and `QuantizationPolicy`: the 8-bit bitmap that says how a tensor is quantized
//! (spec §1). A policy can only be built from a combination on the whitelist of its state model, so an
//! invalid policy is unrepresentable past construction.

use super::error::QuantError;
use super::state::StateModel;
use serde::{Deserialize, Serialize};

/// One bit of a policy, with PPQ's values (0.6.6; the 0x08 bit was called EXPONENTIAL up to 0.6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(non_camel_case_types)]
pub enum QuantizationProperty {
    /// One scale/offset for the whole tensor.
    PER_TENSOR = 0x01,
    /// One scale/offset per channel along `channel_axis`.
    PER_CHANNEL = 0x02,
    /// q = clamp(round(x / s) + o).
    LINEAR = 0x04,
    /// Floating-point (FP8) quantization; EXPONENTIAL in ≤0.6.5.
    FLOATING = 0x08,
    /// Offset fixed at zero.
    SYMMETRICAL = 0x10,
    /// Offset computed from the range.
    ASYMMETRICAL = 0x20,
    /// Scale restricted to powers of two.
    POWER_OF_2 = 0x40,
    /// Scale computed on the fly from each tensor (0.6.6+).
    DYNAMIC = 0x80,
}

impl QuantizationProperty {
    /// All eight properties, lowest bit first: the order of the UI's bitmap.
    pub const ALL: [QuantizationProperty; 8] = [
        Self::PER_TENSOR,
        Self::PER_CHANNEL,
        Self::LINEAR,
        Self::FLOATING,
        Self::SYMMETRICAL,
        Self::ASYMMETRICAL,
        Self::POWER_OF_2,
        Self::DYNAMIC,
    ];

    /// The bit value.
    pub const fn bits(self) -> u32 {
        self as u32
    }

    /// PPQ's name of the property in the given state model (0x08 is EXPONENTIAL in ppq-0.6.5).
    pub fn name(self, model: StateModel) -> &'static str {
        match (self, model) {
            (Self::FLOATING, StateModel::Ppq065) => "EXPONENTIAL",
            (Self::PER_TENSOR, _) => "PER_TENSOR",
            (Self::PER_CHANNEL, _) => "PER_CHANNEL",
            (Self::LINEAR, _) => "LINEAR",
            (Self::FLOATING, _) => "FLOATING",
            (Self::SYMMETRICAL, _) => "SYMMETRICAL",
            (Self::ASYMMETRICAL, _) => "ASYMMETRICAL",
            (Self::POWER_OF_2, _) => "POWER_OF_2",
            (Self::DYNAMIC, _) => "DYNAMIC",
        }
    }

    /// Parses a property name as PPQ writes it (EXPONENTIAL is accepted as the old name of FLOATING).
    pub fn from_name(name: &str) -> Result<Self, QuantError> {
        Ok(match name {
            "PER_TENSOR" => Self::PER_TENSOR,
            "PER_CHANNEL" => Self::PER_CHANNEL,
            "LINEAR" => Self::LINEAR,
            "FLOATING" | "EXPONENTIAL" => Self::FLOATING,
            "SYMMETRICAL" => Self::SYMMETRICAL,
            "ASYMMETRICAL" => Self::ASYMMETRICAL,
            "POWER_OF_2" => Self::POWER_OF_2,
            "DYNAMIC" => Self::DYNAMIC,
            other => return Err(QuantError::UnknownProperty(other.to_string())),
        })
    }
}

/// The whitelist of HEAD / 0.6.6 (`QuantizationPolicy.__check_valid`, spec §1.2): 18 combinations.
const VALID_066: [u32; 18] =
    [0x26, 0x25, 0x16, 0x15, 0x65, 0x55, 0x66, 0x56, 0x5A, 0x59, 0x95, 0xA5, 0x96, 0xA6, 0xD5, 0xE5, 0xD6, 0xE6];

/// The whitelist of ≤0.6.5: the 8 linear rows plus {ASYM, SYM} × EXPONENTIAL × {PER_CHANNEL, PER_TENSOR}.
const VALID_065: [u32; 12] = [0x26, 0x25, 0x16, 0x15, 0x65, 0x55, 0x66, 0x56, 0x2A, 0x29, 0x1A, 0x19];

/// A validated set of [`QuantizationProperty`] bits (PPQ's `QuantizationPolicy`).
///
/// Equality compares the bits, like PPQ's `__eq__`. Unlike PPQ the type is hashable, which is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct QuantizationPolicy {
    bits: u32,
}

impl QuantizationPolicy {
    /// Builds a policy from raw bits, accepting only the whitelist of `model`.
    pub fn new(bits: u32, model: StateModel) -> Result<Self, QuantError> {
        let valid: &[u32] = match model {
            StateModel::Ppq066 => &VALID_066,
            StateModel::Ppq065 => &VALID_065,
        };
        if valid.contains(&bits) {
            Ok(Self { bits })
        } else {
            Err(QuantError::InvalidPolicy { bits, model: model.name(), names: names_of(bits, model).join(" + ") })
        }
    }

    /// Builds a policy from properties (combined with OR; PPQ adds them, which only differs for duplicates).
    pub fn from_properties(props: &[QuantizationProperty], model: StateModel) -> Result<Self, QuantError> {
        Self::new(props.iter().fold(0, |acc, p| acc | p.bits()), model)
    }

    /// Builds a policy from PPQ property names, as found in `tqc.json` (`["PER_TENSOR", "LINEAR", …]`).
    pub fn from_names<S: AsRef<str>>(names: &[S], model: StateModel) -> Result<Self, QuantError> {
        let props = names.iter().map(|n| QuantizationProperty::from_name(n.as_ref())).collect::<Result<Vec<_>, _>>()?;
        Self::from_properties(&props, model)
    }

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.bits
    }

    /// PPQ's `has_property`: the bit is set.
    pub const fn has_property(self, p: QuantizationProperty) -> bool {
        self.bits & (p as u32) != 0
    }

    /// The 8 properties with their on/off value, lowest bit first: what the UI draws as a bitmap
    /// and what PPQ's `to_dict()` writes.
    pub fn bitmap(self) -> [(QuantizationProperty, bool); 8] {
        QuantizationProperty::ALL.map(|p| (p, self.has_property(p)))
    }

    /// Names of the set properties, lowest bit first (the `policy` list of `tqc.json`).
    pub fn names(self, model: StateModel) -> Vec<&'static str> {
        names_of(self.bits, model)
    }

    /// Shortcut: symmetric policies have no offset.
    pub const fn is_symmetric(self) -> bool {
        self.has_property(QuantizationProperty::SYMMETRICAL)
    }

    /// Shortcut: one scale per channel.
    pub const fn is_per_channel(self) -> bool {
        self.has_property(QuantizationProperty::PER_CHANNEL)
    }
}

impl From<QuantizationPolicy> for u32 {
    fn from(p: QuantizationPolicy) -> u32 {
        p.bits
    }
}

impl TryFrom<u32> for QuantizationPolicy {
    type Error = QuantError;
    /// Deserialisation accepts either whitelist (the union); callers re-check against their model.
    fn try_from(bits: u32) -> Result<Self, QuantError> {
        Self::new(bits, StateModel::Ppq066).or_else(|_| Self::new(bits, StateModel::Ppq065))
    }
}

fn names_of(bits: u32, model: StateModel) -> Vec<&'static str> {
    QuantizationProperty::ALL.iter().filter(|p| bits & p.bits() != 0).map(|p| p.name(model)).collect()
}

#[cfg(test)]
mod tests {
    use super::QuantizationProperty as P;
    use super::*;

    #[test]
    fn whitelists_have_the_spec_sizes() {
        let count = |m| (0u32..256).filter(|b| QuantizationPolicy::new(*b, m).is_ok()).count();
        assert_eq!(count(StateModel::Ppq066), 18);
        assert_eq!(count(StateModel::Ppq065), 12);
    }

    #[test]
    fn floating_needs_pow2_in_066_but_not_in_065() {
        let sym_fp_pt = [P::SYMMETRICAL, P::FLOATING, P::PER_TENSOR];
        assert!(QuantizationPolicy::from_properties(&sym_fp_pt, StateModel::Ppq066).is_err());
        assert!(QuantizationPolicy::from_properties(&sym_fp_pt, StateModel::Ppq065).is_ok());
        let with_pow2 = [P::SYMMETRICAL, P::FLOATING, P::PER_TENSOR, P::POWER_OF_2];
        assert!(QuantizationPolicy::from_properties(&with_pow2, StateModel::Ppq066).is_ok());
        assert!(QuantizationPolicy::from_properties(&with_pow2, StateModel::Ppq065).is_err());
    }

    #[test]
    fn dynamic_only_in_066() {
        assert!(QuantizationPolicy::new(0x95, StateModel::Ppq066).is_ok());
        assert!(QuantizationPolicy::new(0x95, StateModel::Ppq065).is_err());
    }

    #[test]
    fn names_and_bitmap() {
        let p = QuantizationPolicy::from_names(&["SYMMETRICAL", "LINEAR", "PER_CHANNEL"], StateModel::Ppq066).unwrap();
        assert_eq!(p.bits(), 0x16);
        assert_eq!(p.names(StateModel::Ppq066), vec!["PER_CHANNEL", "LINEAR", "SYMMETRICAL"]);
        assert!(p.has_property(P::PER_CHANNEL) && !p.has_property(P::PER_TENSOR));
        assert_eq!(p.bitmap().iter().filter(|(_, on)| *on).count(), 3);
        let e = QuantizationPolicy::new(0x03, StateModel::Ppq066).unwrap_err();
        assert!(e.to_string().contains("PER_TENSOR + PER_CHANNEL"), "{e}");
    }
}

//! The fields of one TQC (spec §3.1) and their setter checks. Sharing (reading through a root) is the
//! store's job; this file only knows a TQC's *own* values.

use super::id::TqcId;
use super::params::QuantParams;
use crate::error::QuantError;
use crate::policy::{QuantizationPolicy, QuantizationProperty};
use crate::quirks::Quirks;
use crate::rounding::RoundingPolicy;
use crate::state::QuantizationStates;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Smallest bit width PPQ accepts (asserted in the `num_of_bits` setter).
pub const MIN_NUM_OF_BITS: u32 = 2;
/// Largest bit width PPQ accepts (esp-ppq allows 64; PPQ 32).
pub const MAX_NUM_OF_BITS: u32 = 32;
/// Largest exponent width PPQ accepts for FLOATING policies.
pub const MAX_EXPONENT_BITS: u32 = 8;

/// The range a freshly constructed TQC gets. PPQ's constructor defaults to [-127, 128] (quirk
/// `tqc-default-range`); every quantizer overrides it. `Fixed` gives the usual signed range [-128, 127].
pub const fn default_quant_range(quirks: Quirks) -> (i32, i32) {
    match quirks {
        Quirks::Faithful => (-127, 128),
        Quirks::Fixed => (-128, 127),
    }
}

/// Whether and when exporters write a TQC (PPQ's `QuantizationVisibility`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[allow(non_camel_case_types)]
pub enum QuantizationVisibility {
    /// Export whenever scale and offset exist, whatever the state.
    FORCE_EXPORT = 1,
    /// Export only in an exportable state (the default; ≤0.6.5 spelled it `EXPOET_WHEN_ACTIVE`).
    #[default]
    EXPORT_WHEN_ACTIVE = 2,
    /// Never export (Clip min/max and Pad value after PassiveParameterQuantizePass).
    INTERNAL = 3,
}

/// PPQ's free `detail` dict, with the keys PPQ itself reads typed, so typos are compile errors.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TqcDetail {
    /// `OBSERVER_MIN_SCALE_MANUL_OVERRIDE`: lower bound on the scale an observer may produce.
    pub min_scale_override: Option<f32>,
    /// `OBSERVER_KL_HIST_BINS_MANUL_OVERRIDE`: histogram bin count of the KL observer.
    pub kl_hist_bins_override: Option<u32>,
    /// `OBSERVER_PERCENTILE_MANUL_OVERRIDE`: percentile of the percentile observer.
    pub percentile_override: Option<f32>,
    /// `OBSERVER_ISOTONE_OBSERVER_AXIS`: the axis the isotone observer reduces over (Softmax's axis).
    pub isotone_observer_axis: Option<i64>,
    /// `'Stored State'`: the state saved by `dequantize`, put back by `restore`.
    pub stored_state: Option<QuantizationStates>,
    /// Any other key a user or pass sets, kept as text.
    pub extra: BTreeMap<String, String>,
}

impl TqcDetail {
    /// PPQ's key for [`Self::min_scale_override`].
    pub const MIN_SCALE_KEY: &'static str = "OBSERVER_MIN_SCALE_MANUL_OVERRIDE";
    /// PPQ's key for [`Self::kl_hist_bins_override`].
    pub const KL_BINS_KEY: &'static str = "OBSERVER_KL_HIST_BINS_MANUL_OVERRIDE";
    /// PPQ's key for [`Self::percentile_override`].
    pub const PERCENTILE_KEY: &'static str = "OBSERVER_PERCENTILE_MANUL_OVERRIDE";
    /// PPQ's key for [`Self::isotone_observer_axis`].
    pub const ISOTONE_AXIS_KEY: &'static str = "OBSERVER_ISOTONE_OBSERVER_AXIS";
    /// PPQ's key for [`Self::stored_state`].
    pub const STORED_STATE_KEY: &'static str = "Stored State";
}

/// One TQC: how one input or output of one op is quantized (PPQ's `TensorQuantizationConfig`).
///
/// Build it with [`TensorQuantizationConfig::new`] and the checked setters, then hand it to
/// [`super::TqcStore::add`]. `state`, the parent pointer and scale/offset are read-only here: the store
/// changes them, because PPQ's rules for them depend on the other TQCs of the group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TensorQuantizationConfig {
    label: String,
    policy: QuantizationPolicy,
    rounding: RoundingPolicy,
    num_of_bits: u32,
    quant_min: i32,
    quant_max: i32,
    exponent_bits: u32,
    channel_axis: Option<i32>,
    observer_algorithm: Option<String>,
    detail: TqcDetail,
    visibility: QuantizationVisibility,
    pub(super) state: QuantizationStates,
    pub(super) params: Option<QuantParams>,
    /// Union-find parent (PPQ's `_dominator`); `None` until the store assigns the TQC an id, then
    /// `Some(own id)` for a root.
    pub(super) dominator: Option<TqcId>,
}

impl TensorQuantizationConfig {
    /// A TQC with PPQ's constructor defaults: HALF_EVEN, 8 bits, range [-127, 128] (the faithful quirk;
    /// see [`default_quant_range`]), no exponent bits, no scale, INITIAL, EXPORT_WHEN_ACTIVE.
    /// `label` is PPQ's `self` id in the reference files, e.g. `conv1:in0:x`.
    pub fn new(label: impl Into<String>, policy: QuantizationPolicy) -> Self {
        let (quant_min, quant_max) = default_quant_range(Quirks::Faithful);
        Self {
            label: label.into(),
            policy,
            rounding: RoundingPolicy::ROUND_HALF_EVEN,
            num_of_bits: 8,
            quant_min,
            quant_max,
            exponent_bits: 0,
            channel_axis: None,
            observer_algorithm: None,
            detail: TqcDetail::default(),
            visibility: QuantizationVisibility::EXPORT_WHEN_ACTIVE,
            state: QuantizationStates::INITIAL,
            params: None,
            dominator: None,
        }
    }

    /// Construction-time state (PPQ's `state=` constructor argument, e.g. FP32 or PASSIVE_INIT for a
    /// bias). Not a transition: the TQC is not in a store yet. Later changes go through the store.
    pub fn with_state(mut self, state: QuantizationStates) -> Self {
        self.state = state;
        self
    }

    /// Construction-time scale/offset (PPQ's `scale=`/`offset=` constructor arguments).
    pub fn with_params(mut self, params: QuantParams) -> Self {
        self.params = Some(params);
        self
    }

    /// PPQ's `self` id, shown in the UI and used to match reference files.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// This TQC's own policy (in ≤0.6.5 the effective one is the root's; ask the store).
    pub const fn own_policy(&self) -> QuantizationPolicy {
        self.policy
    }

    /// This TQC's own rounding policy.
    pub const fn own_rounding(&self) -> RoundingPolicy {
        self.rounding
    }

    /// This TQC's own bit width.
    pub const fn own_num_of_bits(&self) -> u32 {
        self.num_of_bits
    }

    /// This TQC's own lower clamp bound.
    pub const fn own_quant_min(&self) -> i32 {
        self.quant_min
    }

    /// This TQC's own upper clamp bound.
    pub const fn own_quant_max(&self) -> i32 {
        self.quant_max
    }

    /// Exponent width of a FLOATING policy (0 for LINEAR).
    pub const fn exponent_bits(&self) -> u32 {
        self.exponent_bits
    }

    /// Mantissa width, derived as num_of_bits − exponent_bits − 1 (one sign bit); may be negative for
    /// nonsense combinations, which PPQ does not reject either.
    pub const fn mantissa_bits(&self) -> i64 {
        self.num_of_bits as i64 - self.exponent_bits as i64 - 1
    }

    /// The axis scales run along (only with PER_CHANNEL).
    pub const fn channel_axis(&self) -> Option<i32> {
        self.channel_axis
    }

    /// The observer name (matched case-insensitively by observers), if any.
    pub fn observer_algorithm(&self) -> Option<&str> {
        self.observer_algorithm.as_deref()
    }

    /// The detail map.
    pub const fn detail(&self) -> &TqcDetail {
        &self.detail
    }

    /// Export visibility.
    pub const fn visibility(&self) -> QuantizationVisibility {
        self.visibility
    }

    /// The state (read-only; change it with [`super::TqcStore::set_state`]).
    pub const fn state(&self) -> QuantizationStates {
        self.state
    }

    /// This TQC's own scale/offset, ignoring its root (PPQ's `_scale`/`_offset`).
    pub const fn own_params(&self) -> Option<&QuantParams> {
        self.params.as_ref()
    }

    /// Sets the own rounding policy (unrestricted in PPQ).
    pub fn set_rounding(&mut self, rounding: RoundingPolicy) {
        self.rounding = rounding;
    }

    /// Sets the bit width; PPQ asserts 2..=32.
    pub fn set_num_of_bits(&mut self, bits: u32) -> Result<(), QuantError> {
        if !(MIN_NUM_OF_BITS..=MAX_NUM_OF_BITS).contains(&bits) {
            return Err(QuantError::InvalidConfig(format!(
                "num_of_bits must be in {MIN_NUM_OF_BITS}..={MAX_NUM_OF_BITS}, got {bits}"
            )));
        }
        self.num_of_bits = bits;
        Ok(())
    }

    /// Sets the clamp range. PPQ does not check it; we reject min > max because kernels would clamp
    /// into an empty range.
    pub fn set_quant_range(&mut self, quant_min: i32, quant_max: i32) -> Result<(), QuantError> {
        if quant_min > quant_max {
            return Err(QuantError::InvalidConfig(format!("quant_min {quant_min} > quant_max {quant_max}")));
        }
        self.quant_min = quant_min;
        self.quant_max = quant_max;
        Ok(())
    }

    /// Sets the exponent width; PPQ asserts 0..=8 and a FLOATING policy.
    pub fn set_exponent_bits(&mut self, bits: u32) -> Result<(), QuantError> {
        if !self.policy.has_property(QuantizationProperty::FLOATING) {
            return Err(QuantError::InvalidConfig(format!("{}: exponent_bits needs a FLOATING policy", self.label)));
        }
        if bits > MAX_EXPONENT_BITS {
            return Err(QuantError::InvalidConfig(format!("exponent_bits must be in 0..=8, got {bits}")));
        }
        self.exponent_bits = bits;
        Ok(())
    }

    /// Sets or clears the channel axis; setting one needs a PER_CHANNEL policy, as in PPQ.
    pub fn set_channel_axis(&mut self, axis: Option<i32>) -> Result<(), QuantError> {
        if axis.is_some() && !self.policy.is_per_channel() {
            return Err(QuantError::InvalidConfig(format!("{}: channel_axis needs a PER_CHANNEL policy", self.label)));
        }
        self.channel_axis = axis;
        Ok(())
    }

    /// Sets the observer algorithm name (unchecked here; the observer table rejects unknown names).
    pub fn set_observer_algorithm(&mut self, name: Option<String>) {
        self.observer_algorithm = name;
    }

    /// Mutable access to the detail map, for overrides. The stored state is managed by
    /// [`super::TqcStore::dequantize_op`]; writing it by hand only changes what `restore_op` restores.
    pub fn detail_mut(&mut self) -> &mut TqcDetail {
        &mut self.detail
    }

    /// Sets export visibility (unrestricted in PPQ).
    pub fn set_visibility(&mut self, visibility: QuantizationVisibility) {
        self.visibility = visibility;
    }

    /// Replaces the policy without any check; the store's `set_policy` applies the model's rules.
    pub(super) fn replace_policy(&mut self, policy: QuantizationPolicy) {
        self.policy = policy;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::StateModel;

    fn pol(bits: u32) -> QuantizationPolicy {
        QuantizationPolicy::new(bits, StateModel::Ppq066).unwrap()
    }

    #[test]
    fn constructor_defaults_follow_ppq() {
        let t = TensorQuantizationConfig::new("conv:in0:x", pol(0x15));
        assert_eq!((t.own_quant_min(), t.own_quant_max()), (-127, 128));
        assert_eq!(default_quant_range(Quirks::Fixed), (-128, 127));
        assert!(crate::quirks::quirk("tqc-default-range").is_some());
        assert!(crate::quirks::quirk("master-by-cycle").is_some());
        assert_eq!(t.own_num_of_bits(), 8);
        assert_eq!(t.own_rounding(), RoundingPolicy::ROUND_HALF_EVEN);
        assert_eq!(t.state(), QuantizationStates::INITIAL);
        assert_eq!(t.visibility(), QuantizationVisibility::EXPORT_WHEN_ACTIVE);
        assert_eq!(t.mantissa_bits(), 7);
        assert!(t.own_params().is_none() && t.observer_algorithm().is_none());
    }

    #[test]
    fn bit_width_is_checked() {
        let mut t = TensorQuantizationConfig::new("t", pol(0x15));
        assert!(t.set_num_of_bits(1).is_err());
        assert!(t.set_num_of_bits(33).is_err());
        assert!(t.set_num_of_bits(2).is_ok() && t.set_num_of_bits(32).is_ok());
        assert_eq!(t.own_num_of_bits(), 32);
        assert!(t.set_quant_range(5, 4).is_err());
    }

    #[test]
    fn exponent_bits_need_floating() {
        let mut lin = TensorQuantizationConfig::new("t", pol(0x15));
        assert!(lin.set_exponent_bits(4).is_err());
        let mut fp = TensorQuantizationConfig::new("t", pol(0x59));
        assert!(fp.set_exponent_bits(9).is_err());
        fp.set_exponent_bits(4).unwrap();
        assert_eq!(fp.mantissa_bits(), 3);
    }

    #[test]
    fn channel_axis_needs_per_channel() {
        let mut pt = TensorQuantizationConfig::new("t", pol(0x15));
        assert!(pt.set_channel_axis(Some(0)).is_err());
        assert!(pt.set_channel_axis(None).is_ok());
        let mut pc = TensorQuantizationConfig::new("t", pol(0x16));
        pc.set_channel_axis(Some(1)).unwrap();
        assert_eq!(pc.channel_axis(), Some(1));
    }

    #[test]
    fn visibility_values_are_ppqs() {
        assert_eq!(QuantizationVisibility::FORCE_EXPORT as u8, 1);
        assert_eq!(QuantizationVisibility::EXPORT_WHEN_ACTIVE as u8, 2);
        assert_eq!(QuantizationVisibility::INTERNAL as u8, 3);
    }
}

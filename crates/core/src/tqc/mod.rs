//! `TensorQuantizationConfig` (TQC), the quantization recipe of one op input or output (spec §3.1), and
//! the arena [`TqcStore`] that owns every TQC of a graph and implements PPQ's sharing relations (§3.3).
//!
//! PPQ links TQCs with shared mutable pointers (`_dominator`); Rust cannot, so TQCs live in a store and
//! refer to each other by [`TqcId`]. A TQC's `state` and parent pointer are private: they change only
//! through the store, which logs every state change as a [`Transition`].

mod config;
mod id;
mod params;
mod store;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use config::{
    MAX_EXPONENT_BITS, MAX_NUM_OF_BITS, MIN_NUM_OF_BITS, QuantizationVisibility, TensorQuantizationConfig, TqcDetail,
    default_quant_range,
};
pub use params::QuantParams;
pub use store::{EffectiveConfig, TqcGroup, TqcId, TqcStore, Transition};

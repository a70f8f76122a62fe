//! Scale and offset of a TQC: one pair per tensor or one pair per channel (spec §3.1).

use crate::error::QuantError;
use serde::{Deserialize, Serialize};

/// A TQC's scale and offset. PPQ stores two float32 tensors of equal shape (0-d per tensor, 1-d per
/// channel); keeping them in one value makes "scale set but offset missing" unrepresentable.
/// Offsets are `f32` holding integers, as in PPQ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QuantParams {
    /// One scale and offset for the whole tensor.
    PerTensor {
        /// The step size.
        scale: f32,
        /// The zero point (an integer stored as float).
        offset: f32,
    },
    /// One scale and offset per channel along the TQC's `channel_axis`.
    PerChannel {
        /// Step sizes, one per channel.
        scale: Vec<f32>,
        /// Zero points, one per channel.
        offset: Vec<f32>,
    },
}

impl QuantParams {
    /// A per-tensor pair.
    pub const fn per_tensor(scale: f32, offset: f32) -> Self {
        Self::PerTensor { scale, offset }
    }

    /// A per-channel pair; the vectors must be non-empty and of equal length, because PPQ broadcasts
    /// them against the channel axis and a mismatch would only fail later, mid-kernel.
    pub fn per_channel(scale: Vec<f32>, offset: Vec<f32>) -> Result<Self, QuantError> {
        if scale.is_empty() || scale.len() != offset.len() {
            return Err(QuantError::InvalidConfig(format!(
                "per-channel scale/offset need equal non-zero lengths, got {} and {}",
                scale.len(),
                offset.len()
            )));
        }
        Ok(Self::PerChannel { scale, offset })
    }

    /// Whether there is one pair per channel.
    pub const fn is_per_channel(&self) -> bool {
        matches!(self, Self::PerChannel { .. })
    }

    /// Number of (scale, offset) pairs: 1 per tensor, else the channel count.
    pub fn len(&self) -> usize {
        match self {
            Self::PerTensor { .. } => 1,
            Self::PerChannel { scale, .. } => scale.len(),
        }
    }

    /// Never true for a validated value; present because `len` is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The scales as a slice (length 1 per tensor), for kernels that index per channel.
    pub fn scales(&self) -> &[f32] {
        match self {
            Self::PerTensor { scale, .. } => std::slice::from_ref(scale),
            Self::PerChannel { scale, .. } => scale,
        }
    }

    /// The offsets as a slice (length 1 per tensor).
    pub fn offsets(&self) -> &[f32] {
        match self {
            Self::PerTensor { offset, .. } => std::slice::from_ref(offset),
            Self::PerChannel { offset, .. } => offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_channel_checks_lengths() {
        assert!(QuantParams::per_channel(vec![1.0, 2.0], vec![0.0]).is_err());
        assert!(QuantParams::per_channel(vec![], vec![]).is_err());
        let p = QuantParams::per_channel(vec![1.0, 2.0], vec![0.0, 3.0]).unwrap();
        assert_eq!((p.len(), p.scales(), p.offsets()), (2, &[1.0, 2.0][..], &[0.0, 3.0][..]));
        let t = QuantParams::per_tensor(0.5, 1.0);
        assert_eq!((t.len(), t.scales(), t.is_per_channel()), (1, &[0.5][..], false));
    }
}

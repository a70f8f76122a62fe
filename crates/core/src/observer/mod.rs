//! Observers and calibration algorithms (spec §5): minmax, percentile, kl, mse, isotone, constant.
//!
//! Observers are independent of the TQC arena: they take an [`ObserverTarget`] (the few TQC fields an
//! observer reads) and produce a [`ScaleOffset`] that the caller writes back into the TQC. They stream:
//! each `observe` call sees one calibration batch and keeps only bounded state (min/max, a histogram,
//! two floats per batch for percentile, two per row for isotone), never the batches themselves.
//!
//! kl and mse need two passes over the calibration data, as in PPQ: after the first pass the driver
//! calls [`Observer::start_second_phase`] (PPQ's first `render_quantization_config`, which fixes the
//! histogram range), feeds the same batches again, then calls [`Observer::render`].

mod constant;
mod hist;
mod isotone;
mod minmax;
mod mse;
mod percentile;
mod range;

pub use constant::ConstantObserver;
pub use hist::KlObserver;
pub use isotone::IsotoneObserver;
pub use minmax::MinMaxObserver;
pub use mse::MseObserver;
pub use percentile::PercentileObserver;
pub use range::{channel_minmax_to_scale_offset, minmax_to_scale_offset};

use super::error::QuantError;
use super::policy::{QuantizationPolicy, QuantizationProperty};
use super::quirks::Quirks;

/// PPQ's `OBSERVER_MIN_SCALE`: scales below it are clamped up to it.
pub const OBSERVER_MIN_SCALE: f64 = 1e-8;
/// PPQ's `OBSERVER_KL_HIST_BINS`: histogram size of the kl observer.
pub const OBSERVER_KL_HIST_BINS: usize = 4096;
/// PPQ's `OBSERVER_PERCENTILE`.
pub const OBSERVER_PERCENTILE: f64 = 0.9999;
/// PPQ's `OBSERVER_MSE_HIST_BINS`: histogram size of the mse observer (the kl override does not apply).
pub const OBSERVER_MSE_HIST_BINS: usize = 2048;
/// PPQ's `OBSERVER_MSE_COMPUTE_INTERVAL`: stride of asymmetric mse start candidates, in bins.
pub const OBSERVER_MSE_COMPUTE_INTERVAL: usize = 8;

/// The observer algorithms PPQ's table knows (`observer/__init__.py`), in its order.
pub const OBSERVER_ALGORITHMS: [&str; 7] = ["minmax", "kl", "percentile", "mse", "isotone", "constant", "floating"];

/// What an observer needs to know about the TQC it calibrates: PPQ reads these fields (and the
/// `detail` overrides) from the `TensorQuantizationConfig`. Kept separate from the TQC arena so the
/// observers can be used and tested on their own.
#[derive(Debug, Clone, PartialEq)]
pub struct ObserverTarget {
    /// The TQC's policy (decides SYM/ASYM, per tensor/channel, power of 2, floating).
    pub policy: QuantizationPolicy,
    /// Lowest integer of the grid.
    pub quant_min: i32,
    /// Highest integer of the grid.
    pub quant_max: i32,
    /// Bit width; kl uses 2^(bits−1) quantized bins.
    pub num_of_bits: u32,
    /// Channel axis for PER_CHANNEL policies (PPQ's `ChannelwiseTensorQuantizationConfig.channel_axis`).
    pub channel_axis: Option<usize>,
    /// Scale clamp: `OBSERVER_MIN_SCALE` or `detail[OBSERVER_MIN_SCALE_MANUL_OVERRIDE]`.
    pub min_scale: f64,
    /// `detail[OBSERVER_KL_HIST_BINS_MANUL_OVERRIDE]` (kl only).
    pub kl_bins: Option<usize>,
    /// `detail[OBSERVER_PERCENTILE_MANUL_OVERRIDE]` (percentile only).
    pub percentile: Option<f64>,
    /// `detail[OBSERVER_ISOTONE_OBSERVER_AXIS]` (isotone only; PPQ defaults to −1 with a warning).
    pub isotone_axis: Option<isize>,
    /// Reproduce PPQ's quirks or correct them.
    pub quirks: Quirks,
}

impl ObserverTarget {
    /// A target with PPQ's defaults: no channel axis, min scale 1e-8, no overrides, faithful quirks.
    pub fn new(policy: QuantizationPolicy, quant_min: i32, quant_max: i32, num_of_bits: u32) -> Self {
        Self {
            policy,
            quant_min,
            quant_max,
            num_of_bits,
            channel_axis: None,
            min_scale: OBSERVER_MIN_SCALE,
            kl_bins: None,
            percentile: None,
            isotone_axis: None,
            quirks: Quirks::Faithful,
        }
    }

    /// Sets the channel axis (PER_CHANNEL policies).
    pub fn with_channel_axis(mut self, axis: usize) -> Self {
        self.channel_axis = Some(axis);
        self
    }

    /// Sets the quirks mode.
    pub fn with_quirks(mut self, quirks: Quirks) -> Self {
        self.quirks = quirks;
        self
    }

    /// Checks what PPQ would trip over later (zero-width grid, missing channel axis, bad overrides),
    /// so observers never fail halfway through a calibration for a configuration reason.
    pub fn validate(&self) -> Result<(), QuantError> {
        if self.quant_max <= self.quant_min {
            return Err(QuantError::InvalidConfig(format!(
                "quant_max ({}) must be greater than quant_min ({})",
                self.quant_max, self.quant_min
            )));
        }
        if !(1..=32).contains(&self.num_of_bits) {
            return Err(QuantError::InvalidConfig(format!("num_of_bits {} is outside 1..=32", self.num_of_bits)));
        }
        if self.policy.is_per_channel() && self.channel_axis.is_none() {
            return Err(QuantError::InvalidConfig("a PER_CHANNEL policy needs a channel_axis".into()));
        }
        if !(self.min_scale.is_finite() && self.min_scale >= 0.0) {
            return Err(QuantError::InvalidConfig(format!("min_scale {} must be finite and ≥ 0", self.min_scale)));
        }
        if let Some(p) = self.percentile
            && !(p > 0.0 && p <= 1.0)
        {
            return Err(QuantError::InvalidConfig(format!("percentile {p} must be in (0, 1]")));
        }
        if self.kl_bins == Some(0) {
            return Err(QuantError::InvalidConfig("kl_bins must be positive".into()));
        }
        Ok(())
    }

    fn has(&self, p: QuantizationProperty) -> bool {
        self.policy.has_property(p)
    }
}

/// The result of rendering: float32 scale and offset, one value per tensor or one per channel
/// (PPQ stores 0-d tensors per tensor and 1-d tensors per channel).
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleOffset {
    /// Scales, as float32 like PPQ's `torch.tensor(..., dtype=torch.float32)`.
    pub scale: Vec<f32>,
    /// Offsets (integral values stored as float32).
    pub offset: Vec<f32>,
    /// Whether there is one value per channel.
    pub per_channel: bool,
}

impl ScaleOffset {
    /// One scale/offset for the whole tensor.
    pub fn per_tensor(scale: f32, offset: f32) -> Self {
        Self { scale: vec![scale], offset: vec![offset], per_channel: false }
    }
}

/// A streaming calibration algorithm (PPQ's `BaseTensorObserver`).
pub trait Observer {
    /// PPQ's name of the algorithm (`minmax`, `kl`, …).
    fn algorithm(&self) -> &'static str;

    /// Accumulates one calibration batch (`data` in row-major order with `shape`).
    /// Bad data (NaN/inf, empty, shape mismatch, channel axis out of range) is `QuantError::BadData`.
    fn observe(&mut self, data: &[f32], shape: &[usize]) -> Result<(), QuantError>;

    /// Whether the observer still needs its second pass over the data (kl and mse in phase 1).
    fn needs_second_phase(&self) -> bool {
        false
    }

    /// Ends phase 1 (PPQ's first `render_quantization_config` of a hist observer) and starts collecting
    /// the histogram. Only kl and mse have a second phase.
    fn start_second_phase(&mut self) -> Result<(), QuantError> {
        Err(QuantError::Observer { observer: self.algorithm().into(), why: "this observer has a single phase".into() })
    }

    /// Computes scale and offset from what was observed (PPQ's final `render_quantization_config`).
    fn render(&self) -> Result<ScaleOffset, QuantError>;
}

/// Builds the observer PPQ's table maps `algorithm` to (looked up lower-cased, like PPQ).
///
/// `floating` (DirectMSEObserver) fake-quantizes candidates with FP8, which PPQ only implements in CUDA;
/// it is refused with a clear error rather than approximated.
pub fn create_observer(algorithm: &str, target: ObserverTarget) -> Result<Box<dyn Observer>, QuantError> {
    target.validate()?;
    Ok(match algorithm.to_ascii_lowercase().as_str() {
        "minmax" => Box::new(MinMaxObserver::new(target)?),
        "kl" => Box::new(KlObserver::new(target)?),
        "percentile" => Box::new(PercentileObserver::new(target)?),
        "mse" => Box::new(MseObserver::new(target)?),
        "isotone" => Box::new(IsotoneObserver::new(target)?),
        "constant" => Box::new(ConstantObserver::new(target)?),
        "floating" => {
            return Err(QuantError::Observer {
                observer: "floating".into(),
                why: "DirectMSEObserver needs PPQ's CUDA FP8 kernels; it is not supported here".into(),
            });
        }
        other => {
            return Err(QuantError::Observer {
                observer: other.into(),
                why: format!("unknown observer algorithm; PPQ knows {}", OBSERVER_ALGORITHMS.join(", ")),
            });
        }
    })
}

/// Checks a batch's shape against its data: non-empty and numel == len. Returns numel.
pub(crate) fn check_shape(data: &[f32], shape: &[usize]) -> Result<usize, QuantError> {
    let numel = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| QuantError::BadData(format!("shape {shape:?} overflows")))?;
    if numel != data.len() {
        return Err(QuantError::BadData(format!(
            "shape {shape:?} has {numel} elements but the data has {}",
            data.len()
        )));
    }
    if numel == 0 {
        return Err(QuantError::BadData("observing an empty tensor".into()));
    }
    Ok(numel)
}

/// One pass over a slice: its minimum and maximum; `BadData` if any value is NaN or infinite.
///
/// Sixteen independent lanes with compare-and-select updates (which LLVM turns into `f32x4.pmin/pmax` under
/// simd128 and `minps/maxps` natively), and finiteness tracked as a running sum of `x − x` (NaN as soon as one
/// value is NaN or ±inf). On finite data the result equals the sequential `f32::min`/`f32::max` fold, except
/// that which of −0 and +0 is returned when both occur at the extreme is unspecified (as in torch).
// `x − x` is deliberate: 0 for finite x, NaN for NaN and ±inf.
#[allow(clippy::eq_op)]
pub(crate) fn scan_min_max(data: &[f32]) -> Result<(f32, f32), QuantError> {
    const L: usize = 16;
    let mut lo = [f32::INFINITY; L];
    let mut hi = [f32::NEG_INFINITY; L];
    let mut nan = [0.0f32; L];
    let chunks = data.chunks_exact(L);
    let tail = chunks.remainder();
    for c in chunks {
        for i in 0..L {
            let x = c[i];
            lo[i] = if x < lo[i] { x } else { lo[i] };
            hi[i] = if x > hi[i] { x } else { hi[i] };
            nan[i] += x - x;
        }
    }
    for (i, &x) in tail.iter().enumerate() {
        lo[i] = if x < lo[i] { x } else { lo[i] };
        hi[i] = if x > hi[i] { x } else { hi[i] };
        nan[i] += x - x;
    }
    if nan.iter().any(|v| v.is_nan()) {
        return Err(non_finite());
    }
    let lo = lo.iter().fold(f32::INFINITY, |a, &b| a.min(b));
    let hi = hi.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    Ok((lo, hi))
}

/// Checks every value is finite.
pub(crate) fn check_finite(data: &[f32]) -> Result<(), QuantError> {
    if data.iter().fold(false, |bad, x| bad | !x.is_finite()) { Err(non_finite()) } else { Ok(()) }
}

fn non_finite() -> QuantError {
    QuantError::BadData("the batch contains NaN or infinite values".into())
}

fn observer_error(observer: &str, why: impl Into<String>) -> QuantError {
    QuantError::Observer { observer: observer.into(), why: why.into() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::StateModel;

    fn sym() -> ObserverTarget {
        ObserverTarget::new(QuantizationPolicy::new(0x15, StateModel::Ppq066).unwrap(), -128, 127, 8)
    }

    #[test]
    fn table_is_case_insensitive_and_refuses_unknown_names() {
        for name in ["MinMax", "KL", "percentile", "MSE", "isotone"] {
            assert!(create_observer(name, sym()).is_ok(), "{name}");
        }
        let e = create_observer("entropy", sym()).err().unwrap();
        assert!(e.to_string().contains("unknown observer"), "{e}");
        let e = create_observer("floating", sym()).err().unwrap();
        assert!(e.to_string().contains("CUDA"), "{e}");
    }

    #[test]
    fn bad_batches_are_errors_not_panics() {
        let mut o = create_observer("minmax", sym()).unwrap();
        assert!(matches!(o.observe(&[], &[0]), Err(QuantError::BadData(_))));
        assert!(matches!(o.observe(&[1.0, 2.0], &[3]), Err(QuantError::BadData(_))));
        assert!(matches!(o.observe(&[1.0, f32::NAN], &[2]), Err(QuantError::BadData(_))));
        assert!(matches!(o.observe(&[1.0, f32::INFINITY], &[2]), Err(QuantError::BadData(_))));
        assert!(matches!(o.observe(&[1.0], &[usize::MAX, 2]), Err(QuantError::BadData(_))));
    }

    #[test]
    fn targets_are_validated() {
        let mut t = sym();
        t.quant_max = -128;
        assert!(create_observer("minmax", t).is_err());
        let pc = ObserverTarget::new(QuantizationPolicy::new(0x16, StateModel::Ppq066).unwrap(), -128, 127, 8);
        assert!(create_observer("minmax", pc.clone()).is_err());
        assert!(create_observer("minmax", pc.with_channel_axis(0)).is_ok());
    }
}

//! TorchHistObserver, PPQ's `kl` (spec §5.4), and the two-phase histogram collection it shares with mse.

use super::{OBSERVER_KL_HIST_BINS, Observer, ObserverTarget, ScaleOffset, check_shape, observer_error, scan_min_max};
use crate::error::QuantError;
use crate::policy::QuantizationProperty as P;
use crate::rounding::{RoundingPolicy, round_to_power_of_2};

/// Phase 1 collects the global min/max; phase 2 histograms the data over a range fixed at the switch.
/// Memory: the `bins` counters.
#[derive(Debug, Clone)]
pub(crate) struct HistCollector {
    name: &'static str,
    bins: usize,
    symmetric: bool,
    per_tensor: bool,
    /// Global (min, max) of phase 1, float32 like torch's per-batch min/max.
    range: Option<(f32, f32)>,
    phase2: Option<HistPhase2>,
}

/// What PPQ's phase-1 render fixes, plus the histogram of phase 2.
#[derive(Debug, Clone)]
pub(crate) struct HistPhase2 {
    /// Bin width in data units (Python float): absmax/B (SYM) or (max − min)/B (ASYM).
    pub hist_scale: f64,
    /// Phase-1 min as a Python float (mse's asymmetric candidates start from it).
    pub min: f64,
    /// The range passed to `torch.histc` (`min`, `max` arguments).
    lo: f64,
    hi: f64,
    /// Counts per bin (PPQ keeps int32).
    pub counts: Vec<u64>,
}

impl HistCollector {
    pub(crate) fn new(name: &'static str, bins: usize, target: &ObserverTarget) -> Result<Self, QuantError> {
        if bins == 0 {
            return Err(QuantError::InvalidConfig(format!("{name}: the histogram needs at least one bin")));
        }
        Ok(Self {
            name,
            bins,
            symmetric: target.has(P::SYMMETRICAL),
            per_tensor: target.has(P::PER_TENSOR),
            range: None,
            phase2: None,
        })
    }

    pub(crate) fn in_phase1(&self) -> bool {
        self.phase2.is_none()
    }

    pub(crate) fn observe(&mut self, data: &[f32], shape: &[usize]) -> Result<(), QuantError> {
        check_shape(data, shape)?;
        let Some(p2) = self.phase2.as_mut() else {
            let (lo, hi) = scan_min_max(data)?;
            self.range = Some(match self.range {
                None => (lo, hi),
                Some((a, b)) => (a.min(lo), b.max(hi)),
            });
            return Ok(());
        };
        histc_accumulate(&mut p2.counts, data, p2.lo, p2.hi, self.symmetric)
    }

    /// PPQ's first `render_quantization_config`: fixes hist_scale and the histogram range.
    pub(crate) fn start_second_phase(&mut self) -> Result<(), QuantError> {
        if !self.per_tensor {
            return Err(observer_error(self.name, "PPQ raises: hist observers only apply to per-tensor quantization"));
        }
        if self.phase2.is_some() {
            return Err(observer_error(self.name, "the second phase has already started"));
        }
        let (min, max) = self.range.ok_or_else(|| observer_error(self.name, "nothing observed in phase 1"))?;
        let (min, max) = (f64::from(min), f64::from(max));
        let (hist_range, lo, hi);
        let hist_scale;
        if self.symmetric {
            hist_range = min.abs().max(max.abs());
            hist_scale = hist_range / self.bins as f64;
            (lo, hi) = (0.0, hist_scale * self.bins as f64);
        } else {
            hist_range = max - min;
            hist_scale = hist_range / self.bins as f64;
            (lo, hi) = (min, max);
        }
        self.phase2 = Some(HistPhase2 { hist_scale, min, lo, hi, counts: vec![0; self.bins] });
        Ok(())
    }

    pub(crate) fn phase2(&self) -> Result<&HistPhase2, QuantError> {
        self.phase2.as_ref().ok_or_else(|| {
            observer_error(self.name, "needs its second pass: call start_second_phase() and observe the data again")
        })
    }
}

/// `torch.histc(values, B, min=lo, max=hi)` on CPU, added into `counts` (values are |x| when `abs`).
///
/// Edges are float32; the bin is ⌊(v − lo)·B/(hi − lo)⌋ evaluated in float32, v = hi goes to the last bin,
/// values outside [lo, hi] are dropped. If lo == hi the batch's own extrema are used, and if those are
/// equal too the range is widened by ±1 (torch's `histc_select_outer_bin_edges`).
// `x − x` is deliberate: 0 for finite x, NaN for NaN and ±inf.
#[allow(clippy::eq_op)]
pub(crate) fn histc_accumulate(
    counts: &mut [u64],
    data: &[f32],
    lo: f64,
    hi: f64,
    abs: bool,
) -> Result<(), QuantError> {
    let (mut lo, mut hi) = (lo, hi);
    if lo == hi {
        let (a, b) = if abs {
            let (a, b) = scan_min_max(data)?;
            let mut m = f32::INFINITY;
            for &x in data {
                m = m.min(x.abs());
            }
            (m, a.abs().max(b.abs()))
        } else {
            scan_min_max(data)?
        };
        (lo, hi) = (f64::from(a), f64::from(b));
    }
    if lo == hi {
        lo -= 1.0;
        hi += 1.0;
    }
    let (lo, hi) = (lo as f32, hi as f32);
    let bins = counts.len();
    let nb = bins as f32;
    let width = hi - lo;
    let last = bins - 1;
    // Four interleaved sub-histograms of u32 break the store-to-load dependency between neighbouring
    // elements that fall in the same bin (1.x× faster); the sums are the same counts.
    const WAYS: usize = 4;
    let mut bad = false;
    for block in data.chunks(u32::MAX as usize) {
        let mut sub = vec![0u32; WAYS * bins];
        let mut finite = 0.0f32;
        let bin = |x: f32| {
            let v = if abs { x.abs() } else { x };
            (v >= lo && v <= hi).then(|| ((((v - lo) * nb) / width) as usize).min(last))
        };
        let quads = block.chunks_exact(WAYS);
        let tail = quads.remainder();
        for q in quads {
            for (w, &x) in q.iter().enumerate() {
                finite += x - x;
                if let Some(b) = bin(x) {
                    sub[w * bins + b] += 1;
                }
            }
        }
        for &x in tail {
            finite += x - x;
            if let Some(b) = bin(x) {
                sub[b] += 1;
            }
        }
        bad |= finite.is_nan();
        for (b, c) in counts.iter_mut().enumerate() {
            *c += (0..WAYS).map(|w| u64::from(sub[w * bins + b])).sum::<u64>();
        }
    }
    if bad { Err(QuantError::BadData("the batch contains NaN or infinite values".into())) } else { Ok(()) }
}

/// PPQ's `kl` observer: symmetric per-tensor only, two passes.
#[derive(Debug, Clone)]
pub struct KlObserver {
    target: ObserverTarget,
    hist: HistCollector,
}

/// One kl candidate: bin_range and its divergence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KlCandidate {
    /// Number of histogram bins kept (a multiple of 2^(bits−1)).
    pub bin_range: usize,
    /// KL(P‖Q) with base-10 logs.
    pub kl: f64,
}

impl KlObserver {
    /// A kl observer with B = `target.kl_bins` or 4096.
    pub fn new(target: ObserverTarget) -> Result<Self, QuantError> {
        target.validate()?;
        let hist = HistCollector::new("kl", target.kl_bins.unwrap_or(OBSERVER_KL_HIST_BINS), &target)?;
        Ok(Self { target, hist })
    }

    /// Every candidate of the search, in PPQ's order (available after phase 2).
    pub fn candidates(&self) -> Result<Vec<KlCandidate>, QuantError> {
        let p2 = self.hist.phase2()?;
        if self.target.has(P::ASYMMETRICAL) {
            return Err(observer_error(
                "kl",
                "PPQ raises PermissionError: KL observer is not designed for ASYMMETRICAL",
            ));
        }
        kl_candidates(&p2.counts, 1usize << (self.target.num_of_bits - 1))
    }

    /// The phase-2 histogram and its bin width (for inspection and tests).
    pub fn histogram(&self) -> Result<(&[u64], f64), QuantError> {
        let p2 = self.hist.phase2()?;
        Ok((&p2.counts, p2.hist_scale))
    }
}

/// `hist_to_scale_offset`'s search: P and Q in float32 as torch builds them, KL in float64.
pub(crate) fn kl_candidates(counts: &[u64], quant_bins: usize) -> Result<Vec<KlCandidate>, QuantError> {
    let bins = counts.len();
    let mut h: Vec<f32> = counts.iter().map(|&c| c as f32).collect();
    let cut = (bins as f64 * 0.002) as usize;
    if cut >= bins {
        return Err(observer_error("kl", "the histogram is too small for PPQ's 0.2% cut"));
    }
    h[..cut].fill(0.0);
    h[cut] = 1.0;
    let total = f32_sum(&h);
    // tail[i] = Σ h[i..], the mass folded into P's last bin.
    let mut out = Vec::new();
    let mut bin_range = quant_bins;
    while bin_range < bins + quant_bins - 1 {
        if bin_range > bins {
            return Err(observer_error(
                "kl",
                format!("PPQ fails here: {bins} bins is not a multiple of 2^(bits-1) = {quant_bins}"),
            ));
        }
        let expand = bin_range / quant_bins;
        let tail = f32_sum(&h[bin_range..]);
        // Q: spread each group's sum evenly over its non-zero bins, then normalise.
        let mut q = vec![0.0f32; bin_range];
        for (g, group) in h[..bin_range].chunks_exact(expand).enumerate() {
            let sum = f32_sum(group);
            let positive = group.iter().filter(|&&v| v > 0.0).count().max(1) as f32;
            let level = sum / positive;
            for (k, &v) in group.iter().enumerate() {
                q[g * expand + k] = if v > 0.0 { level } else { 0.0 };
            }
        }
        let q_total = f32_sum(&q);
        let mut kl = 0.0f64;
        for i in 0..bin_range {
            let p_raw = if i == bin_range - 1 { h[i] + tail } else { h[i] };
            let p = f64::from(p_raw / total);
            let qv = f64::from(q[i] / q_total);
            kl += p * ((p + 1e-30).log10() - (qv + 1e-30).log10());
        }
        out.push(KlCandidate { bin_range, kl });
        bin_range += quant_bins;
    }
    if out.is_empty() {
        return Err(observer_error("kl", format!("no candidate: {bins} bins is fewer than 2^(bits-1) = {quant_bins}")));
    }
    Ok(out)
}

/// Float32 sum, accumulated in float64 and rounded once (torch's float32 sum is order-dependent in the
/// last bit; counts are integers, where both agree exactly below 2^24).
fn f32_sum(v: &[f32]) -> f32 {
    v.iter().map(|&x| f64::from(x)).sum::<f64>() as f32
}

impl Observer for KlObserver {
    fn algorithm(&self) -> &'static str {
        "kl"
    }

    fn observe(&mut self, data: &[f32], shape: &[usize]) -> Result<(), QuantError> {
        self.hist.observe(data, shape)
    }

    fn needs_second_phase(&self) -> bool {
        self.hist.in_phase1()
    }

    fn start_second_phase(&mut self) -> Result<(), QuantError> {
        self.hist.start_second_phase()
    }

    fn render(&self) -> Result<ScaleOffset, QuantError> {
        let p2 = self.hist.phase2()?;
        let candidates = self.candidates()?;
        // Stable sort by KL: the first minimum wins. NaN cannot occur (finite inputs, eps in the logs).
        let best = candidates.iter().fold(candidates[0], |best, c| if c.kl < best.kl { *c } else { best });
        let bins = self.hist.bins as f64;
        let quant_bins = (1u64 << (self.target.num_of_bits - 1)) as f64;
        let mut scale =
            ((best.bin_range as f64 / bins) * p2.hist_scale * (bins / quant_bins)).max(self.target.min_scale);
        if self.target.has(P::POWER_OF_2) {
            scale = round_to_power_of_2(scale, RoundingPolicy::ROUND_HALF_UP, self.target.quirks);
        }
        Ok(ScaleOffset::per_tensor(scale as f32, 0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::QuantizationPolicy;
    use crate::state::StateModel;

    fn target(bits: u32) -> ObserverTarget {
        ObserverTarget::new(QuantizationPolicy::new(bits, StateModel::Ppq066).unwrap(), -128, 127, 8)
    }

    #[test]
    fn histc_edges_and_top_value() {
        let mut c = vec![0u64; 4];
        histc_accumulate(&mut c, &[0.0, 0.99, 1.0, 3.99, 4.0, 4.5, -0.1], 0.0, 4.0, false).unwrap();
        assert_eq!(c, vec![2, 1, 0, 2]);
        let mut c = vec![0u64; 4];
        histc_accumulate(&mut c, &[2.0, 2.0], 1.0, 1.0, false).unwrap();
        assert_eq!(c, vec![0, 0, 2, 0]); // range widened to [1, 3]
    }

    #[test]
    fn kl_needs_two_phases_and_refuses_asym() {
        let mut o = KlObserver::new(target(0x15)).unwrap();
        let data: Vec<f32> = (0..5000).map(|i| ((i as f32) * 0.37).sin() * 3.0).collect();
        o.observe(&data, &[5000]).unwrap();
        assert!(o.needs_second_phase());
        assert!(o.render().is_err());
        o.start_second_phase().unwrap();
        assert!(!o.needs_second_phase());
        o.observe(&data, &[5000]).unwrap();
        let r = o.render().unwrap();
        assert!(r.scale[0] > 0.0 && r.scale[0] <= 3.0 / 128.0 + 1e-6, "{r:?}");
        let mut a =
            KlObserver::new(ObserverTarget::new(QuantizationPolicy::new(0x25, StateModel::Ppq066).unwrap(), 0, 255, 8))
                .unwrap();
        a.observe(&data, &[5000]).unwrap();
        a.start_second_phase().unwrap();
        a.observe(&data, &[5000]).unwrap();
        assert!(matches!(a.render(), Err(QuantError::Observer { .. })));
    }

    #[test]
    fn kl_per_channel_is_refused_at_the_phase_switch() {
        let mut o = KlObserver::new(target(0x16).with_channel_axis(0)).unwrap();
        o.observe(&[1.0, 2.0], &[2]).unwrap();
        assert!(matches!(o.start_second_phase(), Err(QuantError::Observer { .. })));
    }
}

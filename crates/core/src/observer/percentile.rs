//! TorchPercentileObserver (spec §5.3), CPU torch path: per batch the lo_k-th and hi_k-th smallest values
//! (`torch.kthvalue`), averaged over batches in float32, then §5.1.

use super::range::minmax_to_scale_offset;
use super::{OBSERVER_PERCENTILE, Observer, ObserverTarget, ScaleOffset, check_finite, check_shape, observer_error};
use crate::error::QuantError;

/// Keeps two floats per batch plus a scratch buffer the size of the largest batch (reused).
#[derive(Debug, Clone)]
pub struct PercentileObserver {
    target: ObserverTarget,
    percentile: f64,
    /// (min_b, max_b) per batch, in observation order.
    collected: Vec<(f32, f32)>,
    scratch: Vec<f32>,
}

impl PercentileObserver {
    /// A percentile observer; p = `target.percentile` or 0.9999.
    pub fn new(target: ObserverTarget) -> Result<Self, QuantError> {
        target.validate()?;
        let percentile = target.percentile.unwrap_or(OBSERVER_PERCENTILE);
        Ok(Self { target, percentile, collected: Vec::new(), scratch: Vec::new() })
    }

    /// PPQ's 1-based ranks for n values: lo_k = int(n·(1−p)) + 1 and hi_k = min(int(n·p), n−1) + 1.
    pub fn ranks(n: usize, percentile: f64) -> (usize, usize) {
        let nf = n as f64;
        let lo = (nf * (1.0 - percentile)).trunc().max(0.0) as usize + 1;
        let hi = ((nf * percentile).trunc().max(0.0) as usize).min(n - 1) + 1;
        (lo.min(n), hi)
    }

    /// The per-batch (min_b, max_b) collected so far.
    pub fn collected(&self) -> &[(f32, f32)] {
        &self.collected
    }

    /// Float32 means of min_b and max_b over the batches, as torch's `mean(dim=0)` (sequential sum).
    pub fn means(&self) -> Option<(f32, f32)> {
        if self.collected.is_empty() {
            return None;
        }
        let n = self.collected.len() as f32;
        let (lo, hi) = self.collected.iter().fold((0.0f32, 0.0f32), |(a, b), &(l, h)| (a + l, b + h));
        Some((lo / n, hi / n))
    }
}

impl Observer for PercentileObserver {
    fn algorithm(&self) -> &'static str {
        "percentile"
    }

    fn observe(&mut self, data: &[f32], shape: &[usize]) -> Result<(), QuantError> {
        let n = check_shape(data, shape)?;
        if self.target.policy.is_per_channel() {
            return Err(observer_error(
                "percentile",
                "PPQ raises PermissionError: percentile observer can not deal with per channel quantization",
            ));
        }
        check_finite(data)?;
        let (lo_k, hi_k) = Self::ranks(n, self.percentile);
        self.scratch.clear();
        self.scratch.extend_from_slice(data);
        let min_b = *self.scratch.select_nth_unstable_by(lo_k - 1, f32::total_cmp).1;
        let max_b = *self.scratch.select_nth_unstable_by(hi_k - 1, f32::total_cmp).1;
        self.collected.push((min_b, max_b));
        Ok(())
    }

    fn render(&self) -> Result<ScaleOffset, QuantError> {
        let (lo, hi) =
            self.means().ok_or_else(|| observer_error("percentile", "nothing observed yet: call observe() first"))?;
        let (s, o) = minmax_to_scale_offset(f64::from(lo), f64::from(hi), &self.target)?;
        Ok(ScaleOffset::per_tensor(s as f32, o as f32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::QuantizationPolicy;
    use crate::state::StateModel;

    #[test]
    fn ranks_follow_ppq() {
        assert_eq!(PercentileObserver::ranks(16384, 0.9999), (2, 16383));
        assert_eq!(PercentileObserver::ranks(1, 0.9999), (1, 1));
        assert_eq!(PercentileObserver::ranks(10, 0.9999), (1, 10));
        assert_eq!(PercentileObserver::ranks(100, 0.5), (51, 51));
    }

    #[test]
    fn picks_kth_values_and_refuses_per_channel() {
        let t = ObserverTarget::new(QuantizationPolicy::new(0x15, StateModel::Ppq066).unwrap(), -128, 127, 8);
        let mut o = PercentileObserver::new(t.clone()).unwrap();
        let data: Vec<f32> = (0..100).map(|i| i as f32 - 50.0).collect();
        o.observe(&data, &[100]).unwrap();
        assert_eq!(o.collected(), &[(-50.0, 49.0)]);
        let mut p = t;
        p.percentile = Some(0.9);
        let mut o = PercentileObserver::new(p).unwrap();
        o.observe(&data, &[10, 10]).unwrap();
        // n·(1−p) = 9.999999999999998 truncates to 9, so lo_k = 10 (−41); hi_k = 91 (40).
        assert_eq!(o.collected(), &[(-41.0, 40.0)]);
        let pc = ObserverTarget::new(QuantizationPolicy::new(0x16, StateModel::Ppq066).unwrap(), -128, 127, 8)
            .with_channel_axis(0);
        let mut o = PercentileObserver::new(pc).unwrap();
        assert!(matches!(o.observe(&data, &[100]), Err(QuantError::Observer { .. })));
    }
}

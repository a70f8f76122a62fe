//! TorchMSEObserver (spec §5.5): the hist observer's two phases with 2048 bins, then a search over
//! candidate grids scored by a histogram loss model (CPU path of `compute_mse_loss`).

use super::hist::HistCollector;
use super::range::minmax_to_scale_offset;
use super::{
    OBSERVER_MSE_COMPUTE_INTERVAL, OBSERVER_MSE_HIST_BINS, Observer, ObserverTarget, ScaleOffset, observer_error,
};
use crate::error::QuantError;
use crate::policy::QuantizationProperty as P;

/// PPQ's `mse` observer: per tensor, SYM or ASYM, two passes. The kl bin override does not apply.
#[derive(Debug, Clone)]
pub struct MseObserver {
    target: ObserverTarget,
    hist: HistCollector,
}

/// One candidate grid, in histogram-bin units, with its loss.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MseCandidate {
    /// First bin of the grid.
    pub start: usize,
    /// Bins per quantization level.
    pub step: usize,
    /// Last bin of the grid (start + levels·step).
    pub end: usize,
    /// Σ hist[i]·error² / Σhist, in float64 as PPQ's Python loop computes it.
    pub loss: f64,
}

/// PPQ's loss for one candidate: each bin's mass sits at its centre; errors in bin units.
pub fn mse_loss(counts: &[u64], start: usize, step: usize, end: usize) -> f64 {
    let total = counts.iter().sum::<u64>() as f64;
    let mut loss = 0.0f64;
    for (idx, &c) in counts.iter().enumerate() {
        let error = if idx < start {
            (start - idx - 1) as f64 + 0.5
        } else if idx > end {
            (idx - end) as f64 + 0.5
        } else {
            let l = (idx - start) % step;
            let r = step - l - 1;
            if l == r { l as f64 + 0.25 } else { (l as f64 + 0.5).min(r as f64 + 0.5) }
        };
        loss += (c as f64 * error * error) / total;
    }
    loss
}

impl MseObserver {
    /// An mse observer with B = 2048.
    pub fn new(target: ObserverTarget) -> Result<Self, QuantError> {
        target.validate()?;
        let hist = HistCollector::new("mse", OBSERVER_MSE_HIST_BINS, &target)?;
        Ok(Self { target, hist })
    }

    /// Every candidate in PPQ's order (available after phase 2): first the "min-max" grid, then
    /// (ASYM) starts every 8 bins while the real start is ≤ 0, steps 1..=B//L.
    pub fn candidates(&self) -> Result<Vec<MseCandidate>, QuantError> {
        let p2 = self.hist.phase2()?;
        let bins = p2.counts.len();
        let levels = (i64::from(self.target.quant_max) - i64::from(self.target.quant_min) + 1) as usize;
        let max_step = bins / levels;
        let mut out = Vec::new();
        let mut push = |start: usize, step: usize, end: usize| {
            out.push(MseCandidate { start, step, end, loss: mse_loss(&p2.counts, start, step, end) });
        };
        let first_step = max_step + 1;
        push(0, first_step, levels * first_step);
        if self.target.has(P::ASYMMETRICAL) {
            for start in (0..bins).step_by(OBSERVER_MSE_COMPUTE_INTERVAL) {
                if start as f64 * p2.hist_scale + p2.min > 0.0 {
                    break;
                }
                for step in 1..=max_step {
                    let end = start + levels * step;
                    if end > bins + levels {
                        break;
                    }
                    push(start, step, end);
                }
            }
        } else {
            for step in 1..=max_step {
                let end = levels * step;
                if end > bins + levels {
                    break;
                }
                push(0, step, end);
            }
        }
        Ok(out)
    }

    /// The best candidate: smallest loss, first on ties (Python's stable sort).
    pub fn best(&self) -> Result<MseCandidate, QuantError> {
        let c = self.candidates()?;
        c.iter()
            .copied()
            .reduce(|best, x| if x.loss < best.loss { x } else { best })
            .ok_or_else(|| observer_error("mse", "no candidate"))
    }
}

impl Observer for MseObserver {
    fn algorithm(&self) -> &'static str {
        "mse"
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
        let best = self.best()?;
        let (lo, hi) = if self.target.has(P::ASYMMETRICAL) {
            (best.start as f64 * p2.hist_scale + p2.min, best.end as f64 * p2.hist_scale + p2.min)
        } else {
            (-(best.end as f64 * p2.hist_scale), best.end as f64 * p2.hist_scale)
        };
        let (s, o) = minmax_to_scale_offset(lo, hi, &self.target)?;
        Ok(ScaleOffset::per_tensor(s as f32, o as f32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_model_matches_the_formula() {
        // One element in bin 0, grid start 2: error 1.5.
        assert_eq!(mse_loss(&[1, 0, 0, 0], 2, 1, 3), 2.25);
        // Beyond the end: bin 3, end 1 → 2.5.
        assert_eq!(mse_loss(&[0, 0, 0, 1], 0, 1, 1), 6.25);
        // Inside, step 3: l = 1 = r → 1.25; step 2: l = 0, r = 1 → 0.5.
        assert_eq!(mse_loss(&[0, 1, 0, 0], 0, 3, 3), 1.5625);
        assert_eq!(mse_loss(&[1, 1], 0, 2, 2), 0.25);
    }
}

//! TorchIsotoneObserver (spec §5.6): order-preserving calibration from the top-2 of each row.

use super::range::minmax_to_scale_offset;
use super::{Observer, ObserverTarget, ScaleOffset, check_finite, check_shape, observer_error};
use crate::error::QuantError;
use crate::policy::QuantizationProperty as P;
use std::cmp::Ordering;

/// Keeps two events per row (numpy float32 arithmetic, as PPQ under numpy 2) and the last row's l1.
#[derive(Debug, Clone)]
pub struct IsotoneObserver {
    target: ObserverTarget,
    axis: isize,
    /// (scale, is_min) events: 'max' sorts before 'min' on equal values (string order in PPQ).
    events: Vec<(f32, bool)>,
    last_l1: Option<f32>,
}

impl IsotoneObserver {
    /// An isotone observer; axis = `target.isotone_axis` or −1 (PPQ warns about the implicit axis).
    pub fn new(target: ObserverTarget) -> Result<Self, QuantError> {
        target.validate()?;
        let axis = target.isotone_axis.unwrap_or(-1);
        Ok(Self { target, axis, events: Vec::new(), last_l1: None })
    }

    fn add_row(&mut self, l1: f32, l2: f32) {
        let (l1, l2) = if self.target.has(P::SYMMETRICAL) { (l1.abs(), l2.abs()) } else { (l1, l2) };
        let denom = (f64::from(self.target.quant_max) - 0.51) as f32;
        let s_min = (l2 / denom).max(0.0);
        let s_max = 2.0 * (l1 - l2.max(0.0));
        if s_max > s_min && l1 > 0.0 {
            self.events.push((s_min, true));
            self.events.push((s_max, false));
        }
        self.last_l1 = Some(l1);
    }
}

/// Largest and second largest of a row (torch.topk(k=2, sorted)).
fn top2(mut it: impl Iterator<Item = f32>) -> (f32, f32) {
    let a = it.next().unwrap_or(f32::NEG_INFINITY);
    let b = it.next().unwrap_or(f32::NEG_INFINITY);
    let (mut l1, mut l2) = if a >= b { (a, b) } else { (b, a) };
    for x in it {
        if x > l1 {
            l2 = l1;
            l1 = x;
        } else if x > l2 {
            l2 = x;
        }
    }
    (l1, l2)
}

impl Observer for IsotoneObserver {
    fn algorithm(&self) -> &'static str {
        "isotone"
    }

    fn observe(&mut self, data: &[f32], shape: &[usize]) -> Result<(), QuantError> {
        check_shape(data, shape)?;
        if !self.target.has(P::PER_TENSOR) {
            return Err(observer_error("isotone", "PPQ raises: isotone observer is not designed for per-channel"));
        }
        check_finite(data)?;
        let ndim = shape.len().max(1) as isize;
        let a = if self.axis < 0 { self.axis + ndim } else { self.axis };
        if !(0..ndim).contains(&a) {
            return Err(QuantError::BadData(format!("isotone axis {} is out of range for shape {shape:?}", self.axis)));
        }
        // PPQ transposes the axis last, flattens to 2-d and runs topk along `axis` of that 2-d view:
        // only an axis that lands on the last dimension (−1, or 1 for tensors of ≥ 2 dims) gives rows.
        if shape.len() > 1 && !(self.axis == -1 || self.axis == 1) {
            return Err(observer_error(
                "isotone",
                format!("PPQ runs topk along dim {} of the flattened 2-d view, which is not the row axis", self.axis),
            ));
        }
        let a = a as usize;
        let n = shape.get(a).copied().unwrap_or(data.len());
        if n < 2 {
            return Err(QuantError::BadData(format!("isotone needs at least 2 values along axis {}", self.axis)));
        }
        let inner: usize = shape.get(a + 1..).map_or(1, |s| s.iter().product());
        let outer = data.len() / (n * inner);
        for o in 0..outer {
            let block = &data[o * n * inner..(o + 1) * n * inner];
            for i in 0..inner {
                let (l1, l2) = top2((0..n).map(|k| block[k * inner + i]));
                self.add_row(l1, l2);
            }
        }
        Ok(())
    }

    fn render(&self) -> Result<ScaleOffset, QuantError> {
        let last_l1 = self.last_l1.ok_or_else(|| observer_error("isotone", "nothing observed yet"))?;
        if self.events.is_empty() {
            // PPQ warns and falls back to minmax(0, l1 of the last row).
            let (s, o) = minmax_to_scale_offset(0.0, f64::from(last_l1), &self.target)?;
            return Ok(ScaleOffset::per_tensor(s as f32, o as f32));
        }
        let mut events = self.events.clone();
        events.sort_by(|x, y| x.0.partial_cmp(&y.0).unwrap_or(Ordering::Equal).then(x.1.cmp(&y.1)));
        let (mut count, mut best_count, mut best) = (0i64, 0i64, 0.0f32);
        for (s, is_min) in events {
            count += if is_min { 1 } else { -1 };
            if count > best_count {
                best_count = count;
                best = s;
            }
        }
        Ok(ScaleOffset::per_tensor(best, 0.0))
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
    fn sweep_picks_the_most_satisfied_scale() {
        let mut o = IsotoneObserver::new(target(0x15)).unwrap();
        // Rows (l1, l2): (1.0, 0.5) → [0.5/126.49, 1.0]; (2.0, 1.9) → [1.9/126.49, 0.2].
        o.observe(&[0.5, 1.0, 0.1, 1.9, 2.0, 0.0], &[2, 3]).unwrap();
        let r = o.render().unwrap();
        assert_eq!(r.scale, vec![1.9f32 / 126.49f32]);
        assert_eq!(r.offset, vec![0.0]);
    }

    #[test]
    fn fallback_and_axis_checks() {
        let mut o = IsotoneObserver::new(target(0x15)).unwrap();
        o.observe(&[1.0, 1.0], &[1, 2]).unwrap(); // s_max = 0: no events
        assert_eq!(o.render().unwrap().scale, vec![(2.0f64 / 255.0) as f32]);
        let mut t = target(0x15);
        t.isotone_axis = Some(0);
        let mut o = IsotoneObserver::new(t).unwrap();
        assert!(o.observe(&[1.0; 4], &[2, 2]).is_err());
        let mut o = IsotoneObserver::new(target(0x15)).unwrap();
        assert!(matches!(o.observe(&[1.0; 2], &[2, 1]), Err(QuantError::BadData(_))));
    }
}

//! TorchMinMaxObserver (spec §5.2): global min/max per tensor, or per channel along any axis.

use super::range::{channel_minmax_to_scale_offset, minmax_to_scale_offset};
use super::{Observer, ObserverTarget, ScaleOffset, check_shape, observer_error, scan_min_max};
use crate::error::QuantError;

/// Streams batch minima and maxima; memory is two floats per channel.
#[derive(Debug, Clone)]
pub struct MinMaxObserver {
    target: ObserverTarget,
    /// Running min/max: one entry per tensor, or one per channel (empty until the first batch).
    mins: Vec<f32>,
    maxs: Vec<f32>,
}

impl MinMaxObserver {
    /// A minmax observer for `target` (per tensor or per channel, from its policy).
    pub fn new(target: ObserverTarget) -> Result<Self, QuantError> {
        target.validate()?;
        Ok(Self { target, mins: Vec::new(), maxs: Vec::new() })
    }

    /// The observed range so far: one (min, max) per tensor or per channel.
    pub fn ranges(&self) -> impl Iterator<Item = (f32, f32)> + '_ {
        self.mins.iter().copied().zip(self.maxs.iter().copied())
    }
}

/// Per-channel min and max of one batch, channel `axis` of `shape` (PPQ transposes the axis first and
/// flattens; the traversal order does not change a min or max).
pub(crate) fn channel_min_max(data: &[f32], shape: &[usize], axis: usize) -> Result<(Vec<f32>, Vec<f32>), QuantError> {
    let channels = *shape
        .get(axis)
        .ok_or_else(|| QuantError::BadData(format!("channel axis {axis} is out of range for shape {shape:?}")))?;
    let inner: usize = shape[axis + 1..].iter().product();
    let mut mins = vec![f32::INFINITY; channels];
    let mut maxs = vec![f32::NEG_INFINITY; channels];
    for (i, chunk) in data.chunks_exact(inner).enumerate() {
        let c = i % channels;
        let (lo, hi) = scan_min_max(chunk)?;
        mins[c] = mins[c].min(lo);
        maxs[c] = maxs[c].max(hi);
    }
    Ok((mins, maxs))
}

impl Observer for MinMaxObserver {
    fn algorithm(&self) -> &'static str {
        "minmax"
    }

    fn observe(&mut self, data: &[f32], shape: &[usize]) -> Result<(), QuantError> {
        check_shape(data, shape)?;
        let (mins, maxs) = match self.target.channel_axis.filter(|_| self.target.policy.is_per_channel()) {
            Some(axis) => channel_min_max(data, shape, axis)?,
            None => {
                let (lo, hi) = scan_min_max(data)?;
                (vec![lo], vec![hi])
            }
        };
        if self.mins.is_empty() {
            self.mins = mins;
            self.maxs = maxs;
            return Ok(());
        }
        if mins.len() != self.mins.len() {
            return Err(QuantError::BadData(format!(
                "batch has {} channels, earlier batches had {}",
                mins.len(),
                self.mins.len()
            )));
        }
        for (acc, v) in self.mins.iter_mut().zip(mins) {
            *acc = acc.min(v);
        }
        for (acc, v) in self.maxs.iter_mut().zip(maxs) {
            *acc = acc.max(v);
        }
        Ok(())
    }

    fn render(&self) -> Result<ScaleOffset, QuantError> {
        if self.mins.is_empty() {
            return Err(observer_error("minmax", "nothing observed yet: call observe() before render"));
        }
        if self.target.policy.is_per_channel() {
            let mut out = ScaleOffset { scale: Vec::new(), offset: Vec::new(), per_channel: true };
            for (lo, hi) in self.ranges() {
                let (s, o) = channel_minmax_to_scale_offset(lo, hi, &self.target)?;
                out.scale.push(s as f32);
                out.offset.push(o as f32);
            }
            Ok(out)
        } else {
            let (s, o) = minmax_to_scale_offset(f64::from(self.mins[0]), f64::from(self.maxs[0]), &self.target)?;
            Ok(ScaleOffset::per_tensor(s as f32, o as f32))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::QuantizationPolicy;
    use crate::quirks::Quirks;
    use crate::state::StateModel;

    fn target(bits: u32) -> ObserverTarget {
        let (qmin, qmax) = if bits & 0x20 != 0 { (0, 255) } else { (-128, 127) };
        ObserverTarget::new(QuantizationPolicy::new(bits, StateModel::Ppq066).unwrap(), qmin, qmax, 8)
    }

    #[test]
    fn per_tensor_over_batches() {
        let mut o = MinMaxObserver::new(target(0x15)).unwrap();
        o.observe(&[0.5, -1.0], &[2]).unwrap();
        o.observe(&[2.0, 0.1, 0.2], &[3]).unwrap();
        assert_eq!(o.render().unwrap(), ScaleOffset::per_tensor(4.0 / 255.0, 0.0));
        let mut a = MinMaxObserver::new(target(0x25)).unwrap();
        a.observe(&[3.0, -1.0], &[1, 2]).unwrap();
        assert_eq!(a.render().unwrap(), ScaleOffset::per_tensor(0.015686275, 64.0));
    }

    #[test]
    fn per_channel_any_axis() {
        // w[c][k] with c on axis 1 of a [2, 2, 1] tensor.
        let w = [-1.0, -0.3, 2.0, 0.7];
        let mut o = MinMaxObserver::new(target(0x16).with_channel_axis(1)).unwrap();
        o.observe(&w, &[2, 2, 1]).unwrap();
        let r = o.render().unwrap();
        assert!(r.per_channel);
        assert_eq!(r.scale, vec![0.015686275, 0.005490196]);
        let mut bad = MinMaxObserver::new(target(0x16).with_channel_axis(3)).unwrap();
        assert!(matches!(bad.observe(&w, &[2, 2, 1]), Err(QuantError::BadData(_))));
        let mut o = MinMaxObserver::new(target(0x16).with_channel_axis(0)).unwrap();
        o.observe(&w, &[2, 2]).unwrap();
        assert!(matches!(o.observe(&w, &[4, 1]), Err(QuantError::BadData(_))));
    }

    #[test]
    fn per_channel_asym_faithful_errors_fixed_computes() {
        let w = [-1.0, 2.0, -0.3, 0.7];
        let mut o = MinMaxObserver::new(target(0x26).with_channel_axis(0)).unwrap();
        o.observe(&w, &[2, 2]).unwrap();
        assert!(matches!(o.render(), Err(QuantError::Observer { .. })));
        let mut f = MinMaxObserver::new(target(0x26).with_channel_axis(0).with_quirks(Quirks::Fixed)).unwrap();
        f.observe(&w, &[2, 2]).unwrap();
        let r = f.render().unwrap();
        assert_eq!(r.scale, vec![(3.0f64 / 255.0) as f32, (f64::from(0.7f32 + 0.3f32) / 255.0) as f32]);
        // 0.3f32 is 0.30000001192…, so −min/s = 76.500003 rounds to 77.
        assert_eq!(r.offset, vec![85.0, 77.0]);
    }

    #[test]
    fn render_before_observe_is_an_error() {
        assert!(MinMaxObserver::new(target(0x15)).unwrap().render().is_err());
    }
}

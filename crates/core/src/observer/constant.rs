//! ConstantObserver (spec §5.7): FLOATING policies only; scale 1 and offset 0, per tensor or per channel.

use super::{Observer, ObserverTarget, ScaleOffset, check_shape, observer_error};
use crate::error::QuantError;
use crate::policy::QuantizationProperty as P;

/// Remembers only the channel count of the observed tensor.
#[derive(Debug, Clone)]
pub struct ConstantObserver {
    target: ObserverTarget,
    channels: Option<usize>,
}

impl ConstantObserver {
    /// A constant observer; PPQ refuses non-FLOATING policies.
    pub fn new(target: ObserverTarget) -> Result<Self, QuantError> {
        target.validate()?;
        if !target.has(P::FLOATING) {
            return Err(observer_error(
                "constant",
                "PPQ raises: the constant observer only works with FLOATING policies",
            ));
        }
        Ok(Self { target, channels: None })
    }
}

impl Observer for ConstantObserver {
    fn algorithm(&self) -> &'static str {
        "constant"
    }

    fn observe(&mut self, data: &[f32], shape: &[usize]) -> Result<(), QuantError> {
        check_shape(data, shape)?;
        if let Some(axis) = self.target.channel_axis.filter(|_| self.target.policy.is_per_channel()) {
            let c = *shape.get(axis).ok_or_else(|| {
                QuantError::BadData(format!("channel axis {axis} is out of range for shape {shape:?}"))
            })?;
            self.channels = Some(c);
        } else {
            self.channels = Some(1);
        }
        Ok(())
    }

    fn render(&self) -> Result<ScaleOffset, QuantError> {
        let n = self.channels.ok_or_else(|| observer_error("constant", "nothing observed yet"))?;
        let per_channel = self.target.policy.is_per_channel();
        Ok(ScaleOffset { scale: vec![1.0; n], offset: vec![0.0; n], per_channel })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::QuantizationPolicy;
    use crate::state::StateModel;

    #[test]
    fn ones_per_channel_and_refuses_linear() {
        // 0x5A = SYM | FLOATING | POW2 | PER_CHANNEL.
        let t = ObserverTarget::new(QuantizationPolicy::new(0x5A, StateModel::Ppq066).unwrap(), -448, 448, 8)
            .with_channel_axis(1);
        let mut o = ConstantObserver::new(t).unwrap();
        o.observe(&[0.0; 6], &[2, 3]).unwrap();
        assert_eq!(o.render().unwrap(), ScaleOffset { scale: vec![1.0; 3], offset: vec![0.0; 3], per_channel: true });
        let lin = ObserverTarget::new(QuantizationPolicy::new(0x15, StateModel::Ppq066).unwrap(), -128, 127, 8);
        assert!(ConstantObserver::new(lin).is_err());
    }
}

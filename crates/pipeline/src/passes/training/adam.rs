//! `torch.optim.Adam` with its defaults (β₁ 0.9, β₂ 0.999, ε 1e-8, no weight decay, no amsgrad) — the
//! optimizer LearnedStepSizePass builds when none is given — on flat float32 tensors, in float32 as torch does:
//! `m ← m + (1−β₁)(g − m)`, `v ← β₂v + (1−β₂)g²`, `p ← p − (lr/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε)`.

/// Adam's state for one tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct AdamState {
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
}

const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
const EPS: f32 = 1e-8;

impl AdamState {
    /// Zero moments for a tensor of `len` elements.
    pub fn new(len: usize) -> Self {
        Self { m: vec![0.0; len], v: vec![0.0; len], t: 0 }
    }

    /// One step on `p` with gradient `g` (same length as the state).
    pub fn step(&mut self, lr: f32, p: &mut [f32], g: &[f32]) {
        self.t += 1;
        let bc1 = 1.0 - BETA1.powi(self.t);
        let bc2_sqrt = (1.0 - BETA2.powi(self.t)).sqrt();
        let step_size = lr / bc1;
        for (((p, &g), m), v) in p.iter_mut().zip(g).zip(&mut self.m).zip(&mut self.v) {
            *m += (g - *m) * (1.0 - BETA1);
            *v = *v * BETA2 + g * g * (1.0 - BETA2);
            let denom = v.sqrt() / bc2_sqrt + EPS;
            *p -= step_size * (*m / denom);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AdamState;

    /// Adam's first step moves every element by lr against its gradient's sign (m̂/√v̂ = ±1), whatever the
    /// gradient's size; a zero gradient does not move it.
    #[test]
    fn first_step_is_lr_times_sign() {
        let mut s = AdamState::new(3);
        let mut p = [1.0f32, 1.0, 1.0];
        s.step(0.01, &mut p, &[5.0, -1e-3, 0.0]);
        assert!((p[0] - 0.99).abs() < 1e-6 && (p[1] - 1.01).abs() < 1e-6 && p[2] == 1.0, "{p:?}");
    }
}

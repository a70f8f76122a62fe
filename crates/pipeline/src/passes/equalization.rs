//! LayerwiseEqualizationPass (`optim/equalization.py` + `algorithm/equalization.py`): Nagel et al.'s
//! data-free cross-layer equalization, run in the prequant pipeline before any op is quantized. For an
//! *equalization pair* (upstream Conv/Gemm/ConvTranspose layers whose outputs reach downstream layers
//! only through pass-through ops such as Relu or pooling), per channel c:
//!
//! ```text
//! up[c]   = max |W_up[c, ·]|           (over every upstream layer; bias·0.5 joins when including_bias)
//! down[c] = max |W_down[·, c, ·]|      (over every downstream layer)
//! s[c]    = clamp(1 / sqrt(up[c] / down[c]), 0.1, 10), and 1 where up[c] + down[c] < value_threshold
//! W_up[c] *= s[c], b_up[c] *= s[c], W_down[·, c] /= s[c]
//! ```
//!
//! ReLU is positively homogeneous, so the float network computes the same function, while per-tensor weight
//! ranges become flatter. The whole set of pairs is equalized `iterations` times, all in float32 like PPQ's
//! torch tensors, so the rescaled weights match PPQ bit for bit. The pass then refreshes the stored fp32
//! parameter values (PPQ's `store_parameter_value`), since the quantized graph already holds them.
//!
//! Faithful quirk: for grouped layers PPQ builds the per-channel key values with rows ordered
//! (channel-in-group, group) but applies the scale with rows ordered (group, channel-in-group); both are
//! reproduced. Activations (`including_act`) are off in every factory setting and not supported.

use super::super::context::QuantizedGraph;
use super::super::error::PipelineError;
use super::PassKind;
use ppq_graph::{BaseGraph, OpId, Tensor, VarId};
use std::collections::BTreeSet;

/// `EQUALIZATION_OPERATION_TYPE`: the layers a pair may contain.
pub const EQUALIZATION_OPERATION_TYPE: &[&str] = &["Conv", "Gemm", "ConvTranspose"];

/// `OPTIMIZATION_LAYERTYPE_CONFIG[2]` (the default `optimize_level`): ops a pair may reach through.
pub const PASS_THROUGH_TYPES: &[&str] =
    &["Relu", "MaxPool", "GlobalMaxPool", "Add", "Sub", "PRelu", "AveragePool", "GlobalAveragePool"];

/// PPQ's `scale_clip_value`: the scale factor stays within [1/10, 10].
const SCALE_CLIP: f32 = 10.0;

/// PPQ's default `bias_multiplier` (bias enters the upstream key value scaled by it).
const BIAS_MULTIPLIER: f32 = 0.5;

fn err(why: String) -> PipelineError {
    PipelineError::Pass { pass: PassKind::LayerwiseEqualization.name(), why }
}

/// An equalization pair: upstream and downstream layers sharing the channels between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EqualizationPair {
    /// Layers whose output channels are scaled by s.
    pub upstream: Vec<OpId>,
    /// Layers whose input channels are divided by s.
    pub downstream: Vec<OpId>,
}

/// Runs the pass: finds the pairs, equalizes them `iterations` times, refreshes stored values.
pub fn run(ctx: &mut QuantizedGraph) -> Result<(), PipelineError> {
    let es = ctx.setting.equalization_setting.clone();
    let pairs = find_pairs(&ctx.graph);
    let threshold = es.value_threshold as f32;
    for _ in 0..es.iterations {
        for pair in &pairs {
            equalize(&mut ctx.graph, pair, threshold, es.including_bias)?;
        }
    }
    let touched: BTreeSet<VarId> = pairs
        .iter()
        .flat_map(|p| p.upstream.iter().chain(&p.downstream))
        .flat_map(|&op| ctx.graph.op(op).inputs.iter().skip(1).copied())
        .collect();
    for v in touched {
        if ctx.stored_values.contains_key(&v)
            && let Some(value) = ctx.graph.var(v).value.clone()
        {
            ctx.stored_values.insert(v, value);
        }
    }
    Ok(())
}

/// Ops reached from `start` (direction down or up) through pass-through ops, stopping at the first op
/// that is not pass-through (PPQ's path search with `rp` = pass-through, `ep` = not pass-through).
fn reach(g: &BaseGraph, start: OpId, down: bool) -> BTreeSet<OpId> {
    let mut ends = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut stack = vec![start];
    while let Some(op) = stack.pop() {
        let next = if down { g.downstream_ops(op) } else { g.upstream_ops(op) };
        for x in next {
            if !PASS_THROUGH_TYPES.contains(&g.op(x).op_type.as_str()) {
                ends.insert(x);
            } else if seen.insert(x) {
                stack.push(x);
            }
        }
    }
    ends
}

/// `find_equalization_pair`: for each Conv/Gemm/ConvTranspose in graph order not yet visited, the
/// downstream layers it reaches, then every upstream layer reaching those; a pair is kept when both sides
/// are non-empty and made of equalizable layers. Upstream layers are marked visited either way.
pub fn find_pairs(g: &BaseGraph) -> Vec<EqualizationPair> {
    let is_eq = |op: OpId| EQUALIZATION_OPERATION_TYPE.contains(&g.op(op).op_type.as_str());
    let mut visited = BTreeSet::new();
    let mut pairs = Vec::new();
    for op in g.op_ids() {
        if visited.contains(&op) || !is_eq(op) {
            continue;
        }
        let downstream = reach(g, op, true);
        let upstream: BTreeSet<OpId> = downstream.iter().flat_map(|&d| reach(g, d, false)).collect();
        visited.extend(upstream.iter().copied());
        if !upstream.iter().chain(&downstream).all(|&o| is_eq(o)) {
            continue;
        }
        if !upstream.is_empty() && !downstream.is_empty() {
            pairs.push(EqualizationPair {
                upstream: upstream.into_iter().collect(),
                downstream: downstream.into_iter().collect(),
            });
        }
    }
    pairs
}

/// A layer's weight as a flat float32 buffer with its geometry.
struct Weight {
    var: VarId,
    data: Vec<f32>,
    shape: Vec<usize>,
    group: usize,
    trans_b: bool,
}

impl Weight {
    fn load(g: &BaseGraph, op: OpId) -> Result<Self, PipelineError> {
        let o = g.op(op);
        let var = *o.inputs.get(1).ok_or_else(|| err(format!("'{}' has no weight input", o.name)))?;
        let v = g.var(var);
        let value = match (&v.value, v.is_parameter) {
            (Some(Tensor::F32(a)), true) => a,
            _ => return Err(err(format!("parameter of op '{}' is not a static float32 weight", o.name))),
        };
        let shape = value.shape().to_vec();
        // Through the checked conversion: on wasm32 `2^32 + 1 as usize` would be a plausible group of 1.
        let group = o.attributes.int_or("group", 1).map_err(|e| err(e.to_string()))?.max(1);
        let group =
            ppq_graph::checked::to_usize(group, &o.name, "attribute 'group'").map_err(|e| err(e.to_string()))?;
        // Equalization rescales channels by their ranges: a NaN/inf would spread into the neighbouring op's weights.
        if let Some((i, x)) = value.iter().enumerate().find(|(_, x)| !x.is_finite()) {
            return Err(err(format!(
                "weight '{}' of op '{}' holds a non-finite value ({x} at flat index {i}); it cannot be equalized",
                v.name, o.name
            )));
        }
        let trans_b = o.attributes.int_or("transB", 0).map_err(|e| err(e.to_string()))? != 0;
        let ok = match o.op_type.as_str() {
            "Gemm" => shape.len() == 2,
            _ => shape.len() >= 3 && shape[0] % group == 0,
        };
        if !ok {
            return Err(err(format!("unexpected weight shape {shape:?} of '{}' (group {group})", o.name)));
        }
        Ok(Self { var, data: value.iter().copied().collect(), shape, group, trans_b })
    }

    fn store(self, g: &mut BaseGraph) -> Result<(), PipelineError> {
        let a = ndarray::ArrayD::from_shape_vec(self.shape, self.data).map_err(|e| err(e.to_string()))?;
        g.var_mut(self.var).value = Some(Tensor::F32(a));
        Ok(())
    }

    /// Elements per row of dims ≥ 2 (the kernel), and dims 0 and 1.
    fn dims(&self) -> (usize, usize, usize) {
        (self.shape[0], self.shape[1], self.shape[2..].iter().product())
    }

    /// For each element, (row of the key value, index into s the element is scaled by), seen from the
    /// upstream side: output channels of the layer.
    fn upstream_rows(&self, op_type: &str) -> Vec<(usize, usize)> {
        let n = self.data.len();
        match op_type {
            "Gemm" => {
                let c = self.shape[1];
                (0..n).map(|i| if self.trans_b { (i / c, i / c) } else { (i % c, i % c) }).collect()
            }
            "ConvTranspose" => {
                // weight [I, O/g, k]: key rows ordered (o_local, group), scale rows (group, o_local)
                let (i_all, o_g, k) = self.dims();
                let (g, i_g) = (self.group, i_all / self.group);
                (0..n)
                    .map(|e| {
                        let (i, ol) = (e / (o_g * k), (e / k) % o_g);
                        let gi = i / i_g;
                        (ol * g + gi, gi * o_g + ol)
                    })
                    .collect()
            }
            _ => {
                let (_, i_g, k) = self.dims();
                (0..n).map(|e| (e / (i_g * k), e / (i_g * k))).collect()
            }
        }
    }

    /// The same, seen from the downstream side: input channels of the layer.
    fn downstream_rows(&self, op_type: &str) -> Vec<(usize, usize)> {
        let n = self.data.len();
        match op_type {
            "Gemm" => {
                let c = self.shape[1];
                (0..n).map(|i| if self.trans_b { (i % c, i % c) } else { (i / c, i / c) }).collect()
            }
            "ConvTranspose" => {
                let (_, o_g, k) = self.dims();
                (0..n).map(|e| (e / (o_g * k), e / (o_g * k))).collect()
            }
            _ => {
                // weight [O, I/g, k]: key rows ordered (i_local, group), scale rows (group, i_local)
                let (o_all, i_g, k) = self.dims();
                let (g, o_g) = (self.group, o_all / self.group);
                (0..n)
                    .map(|e| {
                        let (o, il) = (e / (i_g * k), (e / k) % i_g);
                        let gi = o / o_g;
                        (il * g + gi, gi * i_g + il)
                    })
                    .collect()
            }
        }
    }
}

/// Max |x| per key row, growing `keys` as rows appear (rows absent from a layer stay at 0).
fn accumulate(keys: &mut Vec<f32>, rows: &[(usize, usize)], data: &[f32], scale: f32) {
    for (&(r, _), &x) in rows.iter().zip(data) {
        if keys.len() <= r {
            keys.resize(r + 1, 0.0);
        }
        keys[r] = keys[r].max((x * scale).abs());
    }
}

/// One `EqualizationPair.equalize` step (ABSOLUTE_MAX key values).
fn equalize(g: &mut BaseGraph, pair: &EqualizationPair, threshold: f32, bias: bool) -> Result<(), PipelineError> {
    let (mut up, mut down) = (Vec::new(), Vec::new());
    for &op in &pair.upstream {
        let w = Weight::load(g, op)?;
        let t = g.op(op).op_type.clone();
        let rows = w.upstream_rows(&t);
        accumulate(&mut up, &rows, &w.data, 1.0);
        if bias && let Some(b) = bias_values(g, op)? {
            let rows: Vec<(usize, usize)> = (0..b.1.len()).map(|i| (i, i)).collect();
            accumulate(&mut up, &rows, &b.1, BIAS_MULTIPLIER);
        }
    }
    for &op in &pair.downstream {
        let w = Weight::load(g, op)?;
        let rows = w.downstream_rows(&g.op(op).op_type);
        accumulate(&mut down, &rows, &w.data, 1.0);
    }
    if up.len() != down.len() {
        return Err(err(format!(
            "pair {:?} → {:?}: {} upstream channels against {} downstream channels",
            names(g, &pair.upstream),
            names(g, &pair.downstream),
            up.len(),
            down.len()
        )));
    }
    let scale: Vec<f32> = up
        .iter()
        .zip(&down)
        .map(
            |(&u, &d)| {
                if u + d < threshold { 1.0 } else { (1.0 / (u / d).sqrt()).clamp(1.0 / SCALE_CLIP, SCALE_CLIP) }
            },
        )
        .collect();
    let at = |i: usize| scale.get(i).copied().ok_or_else(|| err(format!("channel {i} outside the scale")));
    for &op in &pair.upstream {
        let mut w = Weight::load(g, op)?;
        let rows = w.upstream_rows(&g.op(op).op_type);
        for (x, &(_, s)) in w.data.iter_mut().zip(&rows) {
            *x *= at(s)?;
        }
        w.store(g)?;
        if let Some((var, mut b)) = bias_values(g, op)? {
            for (i, x) in b.iter_mut().enumerate() {
                *x *= at(i)?;
            }
            let shape = g.var(var).value.as_ref().map(|t| t.shape().to_vec()).unwrap_or_default();
            let a = ndarray::ArrayD::from_shape_vec(shape, b).map_err(|e| err(e.to_string()))?;
            g.var_mut(var).value = Some(Tensor::F32(a));
        }
    }
    for &op in &pair.downstream {
        let mut w = Weight::load(g, op)?;
        let rows = w.downstream_rows(&g.op(op).op_type);
        for (x, &(_, s)) in w.data.iter_mut().zip(&rows) {
            *x /= at(s)?;
        }
        w.store(g)?;
    }
    Ok(())
}

/// The static bias (input 2) of a layer, if any.
fn bias_values(g: &BaseGraph, op: OpId) -> Result<Option<(VarId, Vec<f32>)>, PipelineError> {
    let o = g.op(op);
    let Some(&var) = o.inputs.get(2) else { return Ok(None) };
    let v = g.var(var);
    match (&v.value, v.is_parameter) {
        (Some(Tensor::F32(a)), true) => Ok(Some((var, a.iter().copied().collect()))),
        _ => Err(err(format!("bias of op '{}' is not a static float32 value", o.name))),
    }
}

fn names(g: &BaseGraph, ops: &[OpId]) -> Vec<String> {
    ops.iter().map(|&o| g.op(o).name.clone()).collect()
}

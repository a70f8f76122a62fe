//! What calibration chose, drawn against the data it saw: for an op's activations, a histogram of the values
//! on the calibration batches with the TQC's clip range `scale·(quant_min − offset) .. scale·(quant_max −
//! offset)` and the share of values that quantization clamps; for its parameters, the fp32 range of every
//! channel next to that channel's clip range. The page draws these after calibration so a learner sees why an
//! observer's range costs precision (a wide range) or clips outliers (a narrow one).
//!
//! Activation values are the ones PPQ's observers see: RuntimeCalibrationPass runs after the parameters are
//! quantized and before any activation TQC is, so the graph runs with quantized parameters (baked, or
//! fake-quantized when their TQC is activated) and float activations. Parameter ranges are the stored fp32
//! values ([`super::analysis::fp32_copy`]).

use super::analysis::fp32_copy;
use super::context::QuantizedGraph;
use super::error::PipelineError;
use super::passes::calibration::CalibrationData;
use super::simulate::apply_if_active;
use ppq_core::policy::QuantizationProperty;
use ppq_core::rounding::{RoundingPolicy, tensor_round};
use ppq_core::tqc::{QuantParams, TqcId};
use ppq_graph::executor::{ExecutionHook, Executor};
use ppq_graph::{BaseGraph, GraphError, OpId, Tensor};
use serde::{Deserialize, Serialize};

/// Histogram bins of an activation.
pub const HISTOGRAM_BINS: usize = 64;

/// At most this many activation values are collected per tensor (64 MB of f32); later batches are skipped.
const MAX_VALUES: usize = 1 << 24;

/// A per-tensor linear quantization grid: what a value becomes is `clamp(R(x / scale) + offset, min, max)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// Step size.
    pub scale: f32,
    /// Zero point.
    pub offset: f32,
    /// Lower integer bound.
    pub quant_min: i32,
    /// Upper integer bound.
    pub quant_max: i32,
    /// Rounding of `x / scale`.
    pub rounding: RoundingPolicy,
}

impl Grid {
    /// The float range the grid represents: `scale·(quant_min − offset) .. scale·(quant_max − offset)`.
    pub fn clip_range(&self) -> (f64, f64) {
        let (s, o) = (f64::from(self.scale), f64::from(self.offset));
        (s * (f64::from(self.quant_min) - o), s * (f64::from(self.quant_max) - o))
    }

    /// Whether quantizing `x` clamps it: its rounded level lies outside `[quant_min, quant_max]` (computed in
    /// float32 as the fake-quant kernels do, so a minmax range never saturates its own extremes).
    pub fn saturates(&self, x: f32) -> bool {
        let q = tensor_round(x / self.scale, self.rounding) + self.offset;
        q < self.quant_min as f32 || q > self.quant_max as f32
    }
}

/// A histogram of an activation on the calibration data, with its TQC's clip range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivationHistogram {
    /// The variable.
    pub var: String,
    /// The TQC on it (`op:out0:var`).
    pub tqc: String,
    /// That TQC's state.
    pub state: String,
    /// Lower edge of the first bin (the smaller of the data minimum and the clip range's start).
    pub lo: f64,
    /// Upper edge of the last bin.
    pub hi: f64,
    /// Values per bin, [`HISTOGRAM_BINS`] equal bins over `lo..hi`.
    pub counts: Vec<u64>,
    /// Smallest and largest value seen.
    pub data_min: f64,
    /// Largest value seen.
    pub data_max: f64,
    /// The clip range, when the TQC fake-quantizes this tensor per tensor with a linear grid.
    pub clip: Option<(f64, f64)>,
    /// Values the grid clamps (0 without a clip range).
    pub saturated: u64,
    /// Values counted.
    pub total: u64,
    /// Calibration batches the values come from.
    pub batches: usize,
}

impl ActivationHistogram {
    /// `saturated / total` in percent (0 for an empty tensor).
    pub fn saturation_percent(&self) -> f64 {
        if self.total == 0 { 0.0 } else { 100.0 * self.saturated as f64 / self.total as f64 }
    }
}

/// One channel of a parameter: its fp32 range and its clip range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelRange {
    /// Smallest fp32 value.
    pub min: f64,
    /// Largest fp32 value.
    pub max: f64,
    /// Clip range of the channel's scale/offset, when it has one.
    pub clip: Option<(f64, f64)>,
}

/// The channels of one parameter (one entry for a per-tensor TQC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightRanges {
    /// The parameter variable.
    pub var: String,
    /// The TQC on it (`op:in1:var`).
    pub tqc: String,
    /// That TQC's state.
    pub state: String,
    /// The axis channels run along (None: per-tensor).
    pub axis: Option<usize>,
    /// Per channel, in order.
    pub channels: Vec<ChannelRange>,
}

/// Everything the page draws for one op.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpStats {
    /// The op.
    pub op: String,
    /// Its float outputs with a TQC, in slot order.
    pub activations: Vec<ActivationHistogram>,
    /// Its parameter inputs with a TQC, in slot order.
    pub weights: Vec<WeightRanges>,
}

/// Counts `values` into `bins` equal bins over `lo..hi` (values outside go to the end bins; NaN is skipped).
pub fn histogram(values: &[f32], lo: f64, hi: f64, bins: usize) -> Vec<u64> {
    let mut counts = vec![0u64; bins.max(1)];
    let last = counts.len() - 1;
    let width = (hi - lo) / counts.len() as f64;
    for &v in values.iter().filter(|v| !v.is_nan()) {
        let k = if width > 0.0 { ((f64::from(v) - lo) / width).floor() } else { 0.0 };
        // a float-to-int cast saturates, so ±inf and far outliers land in the end bins
        let k = (k.max(0.0) as usize).min(last);
        counts[k] += 1;
    }
    counts
}

/// The per-tensor linear grid of TQC `id`, if it fake-quantizes its tensor with one.
fn tensor_grid(ctx: &QuantizedGraph, id: TqcId) -> Result<Option<Grid>, PipelineError> {
    let e = ctx.store.effective(id)?;
    if !e.state.is_activated(ctx.store.model()) || !e.policy.has_property(QuantizationProperty::LINEAR) {
        return Ok(None);
    }
    Ok(match e.params {
        Some(QuantParams::PerTensor { scale, offset }) => Some(Grid {
            scale: *scale,
            offset: *offset,
            quant_min: e.quant_min,
            quant_max: e.quant_max,
            rounding: e.rounding,
        }),
        _ => None,
    })
}

fn tqc_label_state(ctx: &QuantizedGraph, id: TqcId) -> Result<(String, String), PipelineError> {
    let t = ctx.store.get(id)?;
    Ok((t.label().to_string(), t.state().name().to_string()))
}

/// The histogram of `values` for TQC `id`.
fn activation_histogram(
    ctx: &QuantizedGraph,
    id: TqcId,
    var: &str,
    values: &[f32],
    batches: usize,
) -> Result<ActivationHistogram, PipelineError> {
    let (tqc, state) = tqc_label_state(ctx, id)?;
    let grid = tensor_grid(ctx, id)?;
    let finite = values.iter().filter(|v| v.is_finite()).map(|&v| f64::from(v));
    let (data_min, data_max) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let (data_min, data_max) = if data_min <= data_max { (data_min, data_max) } else { (0.0, 0.0) };
    let clip = grid.map(|g| g.clip_range());
    let (lo, hi) = match clip {
        Some((a, b)) => (data_min.min(a), data_max.max(b)),
        None => (data_min, data_max),
    };
    let saturated = grid.map_or(0, |g| values.iter().filter(|&&v| g.saturates(v)).count() as u64);
    Ok(ActivationHistogram {
        var: var.to_string(),
        tqc,
        state,
        lo,
        hi,
        counts: histogram(values, lo, hi, HISTOGRAM_BINS),
        data_min,
        data_max,
        clip,
        saturated,
        total: values.len() as u64,
        batches,
    })
}

/// Per-channel fp32 ranges of parameter `value` under TQC `id`.
fn weight_ranges(ctx: &QuantizedGraph, id: TqcId, var: &str, value: &Tensor) -> Result<WeightRanges, PipelineError> {
    let (tqc, state) = tqc_label_state(ctx, id)?;
    let e = ctx.store.effective(id)?;
    let Tensor::F32(a) = value else {
        return Err(stats_error(format!("parameter '{var}' is {}, not float32", value.dtype_name())));
    };
    let axis = match e.params {
        Some(QuantParams::PerChannel { .. }) | None if e.policy.is_per_channel() => e.channel_axis,
        _ => None,
    };
    let axis = match axis {
        Some(ax) => {
            let rank = a.ndim() as i64;
            let ax = i64::from(ax);
            let ax = if ax < 0 { ax + rank } else { ax };
            Some(usize::try_from(ax).ok().filter(|&x| x < a.ndim()).ok_or_else(|| {
                stats_error(format!("TQC {tqc}: channel axis {ax} of a rank-{rank} parameter '{var}'"))
            })?)
        }
        None => None,
    };
    let linear = e.policy.has_property(QuantizationProperty::LINEAR);
    let clip = |c: usize| -> Option<(f64, f64)> {
        let p = e.params.filter(|_| linear)?;
        let (s, o) = (*p.scales().get(c)?, *p.offsets().get(c)?);
        Some(Grid { scale: s, offset: o, quant_min: e.quant_min, quant_max: e.quant_max, rounding: e.rounding })
            .map(|g| g.clip_range())
    };
    let range = |it: &mut dyn Iterator<Item = &f32>| {
        it.filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(f64::from(v)), hi.max(f64::from(v))))
    };
    let channels = match axis {
        Some(ax) => a
            .axis_iter(ndarray::Axis(ax))
            .enumerate()
            .map(|(c, view)| {
                let (min, max) = range(&mut view.iter());
                ChannelRange { min, max, clip: clip(c) }
            })
            .collect(),
        None => {
            let (min, max) = range(&mut a.iter());
            vec![ChannelRange { min, max, clip: clip(0) }]
        }
    };
    Ok(WeightRanges { var: var.to_string(), tqc, state, axis, channels })
}

/// Fake-quantizes the parameter inputs of quantable ops with activated TQCs and nothing else: the executor
/// as PPQ's calibration pass runs it.
struct ParametersOnly<'a>(&'a QuantizedGraph);

impl ExecutionHook for ParametersOnly<'_> {
    fn before_op(&mut self, g: &BaseGraph, op: OpId, inputs: &mut [Option<Tensor>]) -> Result<(), GraphError> {
        let Some(cfg) = self.0.config(op) else { return Ok(()) };
        let o = g.op(op);
        for ((&t, v), &var) in cfg.input_quantization_config.iter().zip(inputs.iter_mut()).zip(&o.inputs) {
            if let Some(v) = v.as_mut().filter(|_| g.var(var).is_parameter) {
                apply_if_active(&self.0.store, t, v)
                    .map_err(|e| GraphError::Invalid(format!("fake-quant of a parameter of '{}': {e}", o.name)))?;
            }
        }
        Ok(())
    }
}

fn stats_error(why: impl Into<String>) -> PipelineError {
    PipelineError::Pass { pass: "tensor statistics", why: why.into() }
}

/// The statistics of op `name`: a histogram of each float output with a TQC over the calibration batches (as
/// the observers see them), and the per-channel fp32 ranges of each parameter input with a TQC.
pub fn op_stats(ctx: &QuantizedGraph, calib: &CalibrationData, name: &str) -> Result<OpStats, PipelineError> {
    let op: OpId = ctx.quantable_by_name(name)?.op;
    calib.validate(&ctx.graph)?;
    let fp = fp32_copy(ctx)?;
    let o = fp.op(op);
    let mut weights = Vec::new();
    for (slot, &v) in o.inputs.iter().enumerate() {
        let var = fp.graph.var(v);
        // parameters with a scale (quantized, or kept in float after quantization); not FP32 biases
        if let (true, Some(value), Some(id)) = (var.is_parameter, var.value.as_ref(), ctx.input_tqc(op, slot))
            && matches!(value, Tensor::F32(_))
            && ctx.store.params(id)?.is_some()
        {
            weights.push(weight_ranges(ctx, id, &var.name, value)?);
        }
    }
    let outputs: Vec<(TqcId, String)> = o
        .outputs
        .iter()
        .enumerate()
        .filter_map(|(slot, &v)| Some((ctx.output_tqc(op, slot)?, fp.graph.var(v).name.clone())))
        .collect();
    let names: Vec<&str> = outputs.iter().map(|(_, n)| n.as_str()).collect();
    let exec = Executor::new(&ctx.graph)?;
    let mut values: Vec<Vec<f32>> = vec![Vec::new(); outputs.len()];
    let mut batches = 0;
    for batch in &calib.batches {
        if values.iter().any(|v| v.len() >= MAX_VALUES) {
            break;
        }
        let feeds: Vec<(&str, Tensor)> = batch.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
        let outs = exec.forward(&feeds, Some(&names), &mut ParametersOnly(ctx))?;
        for (acc, t) in values.iter_mut().zip(&outs) {
            if let Tensor::F32(a) = t {
                acc.extend(a.iter().copied());
            }
        }
        batches += 1;
    }
    let mut activations = Vec::new();
    for ((id, var), vals) in outputs.iter().zip(&values) {
        if !vals.is_empty() {
            activations.push(activation_histogram(ctx, *id, var, vals, batches)?);
        }
    }
    Ok(OpStats { op: name.to_string(), activations, weights })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_puts_edges_and_outliers_in_the_end_bins() {
        let c = histogram(&[0.0, 0.5, 0.99, 1.0, -5.0, 7.0, f32::NAN], 0.0, 1.0, 4);
        assert_eq!(c, vec![2, 0, 1, 3]); // bins of 0.25: {0, −5}, {}, {0.5}, {0.99, 1, 7}
        assert_eq!(histogram(&[3.0, 3.0], 3.0, 3.0, 8).iter().sum::<u64>(), 2);
    }

    #[test]
    fn grid_saturates_only_beyond_its_rounded_range() {
        let g = Grid {
            scale: 0.1,
            offset: 0.0,
            quant_min: -128,
            quant_max: 127,
            rounding: RoundingPolicy::ROUND_HALF_EVEN,
        };
        let (lo, hi) = g.clip_range();
        assert!((lo + 12.8).abs() < 1e-6 && (hi - 12.7).abs() < 1e-6);
        assert!(!g.saturates(12.7) && !g.saturates(12.74) && g.saturates(12.76));
        assert!(!g.saturates(-12.8) && g.saturates(-12.9));
    }
}

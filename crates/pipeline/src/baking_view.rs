//! What the Parameter Baking Pass did to one parameter: its fp32 values (kept by `store_parameter_value`)
//! beside the values baking wrote into the graph, the integers an exporter stores for them, and the rounding
//! error in units of the scale — the page's "baking" view and the baking lesson read it.
//!
//! Nothing here quantizes on its own: the baked values are the graph's (or, while the TQC is not baked yet,
//! [`fake_quant_tensor`] on a copy, the function baking itself calls), and the integers come from the core's
//! export kernel. For a Conv/ConvTranspose/Gemm bias it also reports the scales the bias scale is made of
//! (PPQ's passive-parameter rule: `bias_scale = input_scale · weight_scale`), read from the TQC store.

use super::context::QuantizedGraph;
use super::error::PipelineError;
use ppq_core::QuantizationStates as S;
use ppq_core::kernels::{LinearQuantParams, quantize_to_int};
use ppq_core::tqc::TqcId;
use ppq_graph::quantize::fake_quant_tensor;
use ppq_graph::{OpId, Tensor, VarId};
use serde::{Deserialize, Serialize};

/// Histogram bins of the rounding error over [−0.5, 0.5] scale units.
pub const ERROR_BINS: usize = 20;

/// One element of the parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BakedValue {
    /// Flat index (row-major).
    pub index: usize,
    /// The fp32 value before quantization.
    pub fp32: f32,
    /// The value after baking (quantized, then dequantized).
    pub baked: f32,
    /// The integer an exporter stores (`None` when the TQC has no scale).
    pub int: Option<i64>,
    /// The scale of this element's channel.
    pub scale: f32,
    /// (baked − fp32) / scale: within ±0.5 unless the value was clipped to the range.
    pub error_in_scale: f64,
}

/// Counts of `error_in_scale` in [`ERROR_BINS`] equal bins over [−0.5, 0.5], plus what fell outside (clipped).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorHistogram {
    /// Bin counts, lowest first.
    pub counts: Vec<u32>,
    /// Values whose error is below −0.5 scale (clipped at quant_max... or min).
    pub below: u32,
    /// Values whose error is above +0.5 scale.
    pub above: u32,
}

/// Where a bias scale comes from: the accumulator's scale `input_scale · weight_scale`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasPrecision {
    /// The op's input TQC id.
    pub input_tqc: String,
    /// Its (per-tensor) scale.
    pub input_scale: f32,
    /// The weight TQC id.
    pub weight_tqc: String,
    /// The first few weight scales (one per output channel).
    pub weight_scales: Vec<f32>,
    /// input_scale · weight_scale for those channels.
    pub products: Vec<f64>,
    /// The bias scales for those channels.
    pub bias_scales: Vec<f32>,
    /// Number of channels.
    pub channels: usize,
    /// Largest |bias_scale / product − 1| over every channel.
    pub max_relative_mismatch: f64,
}

/// Before/after baking of one parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BakingView {
    /// TQC id (`conv1:in1:c1_w`).
    pub tqc: String,
    /// The parameter variable.
    pub var: String,
    /// The op's type.
    pub op_type: String,
    /// The TQC's state now.
    pub state: String,
    /// True when the graph holds baked values (BAKED / PASSIVE_BAKED); false means the rows show what
    /// baking would write (or, without a scale, that the parameter stays float).
    pub baked: bool,
    /// Whether the TQC has a scale at all.
    pub quantized: bool,
    /// Bit width and integer range.
    pub num_of_bits: u32,
    /// Lowest integer.
    pub quant_min: i32,
    /// Highest integer.
    pub quant_max: i32,
    /// Number of scales (1 per tensor, else channels).
    pub scales: usize,
    /// Element count.
    pub count: usize,
    /// The first rows.
    pub rows: Vec<BakedValue>,
    /// Rounding error histogram over every element.
    pub histogram: ErrorHistogram,
    /// Largest |baked − fp32|.
    pub max_abs_error: f64,
    /// Mean |error| in scale units (uniform rounding gives about 0.25).
    pub mean_abs_error_in_scale: f64,
    /// For a bias: its scale against input_scale · weight_scale.
    pub bias: Option<BiasPrecision>,
}

fn error(why: String) -> PipelineError {
    PipelineError::Pass { pass: "baking view", why }
}

fn f32_values(t: &Tensor, what: &str) -> Result<(Vec<f32>, Vec<usize>), PipelineError> {
    match t {
        Tensor::F32(a) => Ok((a.iter().copied().collect(), a.shape().to_vec())),
        _ => Err(error(format!("{what} is not float32"))),
    }
}

/// The op and variable of a TQC id.
fn locate(ctx: &QuantizedGraph, id: TqcId) -> Option<(OpId, VarId)> {
    ctx.configs
        .keys()
        .find_map(|&op| ctx.config_with_variable(op).into_iter().find(|(t, _)| *t == id).map(|(_, v)| (op, v)))
}

/// Channel of flat element `i` along `axis` of `shape` (0 for per-tensor).
fn channel(i: usize, shape: &[usize], axis: Option<usize>) -> usize {
    let Some(a) = axis else { return 0 };
    let inner: usize = shape.iter().skip(a + 1).product();
    let dim = shape.get(a).copied().unwrap_or(1).max(1);
    (i / inner.max(1)) % dim
}

/// The baking view of parameter TQC `label`, with its first `rows` elements.
pub fn baking_view(ctx: &QuantizedGraph, label: &str, rows: usize) -> Result<BakingView, PipelineError> {
    let id = ctx.store.find(label).ok_or_else(|| error(format!("there is no TQC '{label}'")))?;
    let (op, var) = locate(ctx, id).ok_or_else(|| error(format!("TQC '{label}' belongs to no quantable op")))?;
    let v = ctx.graph.var(var);
    if !v.is_parameter {
        return Err(error(format!("'{}' of TQC '{label}' is not a parameter, so baking does not touch it", v.name)));
    }
    let fp32 = ctx.stored_values.get(&var).or(v.value.as_ref());
    let fp32 = fp32.ok_or_else(|| error(format!("parameter '{}' has no value", v.name)))?;
    let (fp, shape) = f32_values(fp32, &format!("parameter '{}'", v.name))?;
    let eff = ctx.store.effective(id)?;
    let baked_state = matches!(eff.state, S::BAKED | S::PASSIVE_BAKED);
    let params = eff.params.cloned();
    let axis = match (eff.policy.is_per_channel(), eff.channel_axis) {
        (true, Some(a)) => {
            let a = if a < 0 { a + shape.len() as i32 } else { a };
            Some(usize::try_from(a).map_err(|_| error(format!("{label}: channel axis {a}")))?)
        }
        _ => None,
    };
    let baked: Vec<f32> = match (&params, baked_state) {
        (_, true) => f32_values(v.value.as_ref().unwrap_or(fp32), &format!("baked '{}'", v.name))?.0,
        (Some(_), false) => {
            let mut t = fp32.clone();
            fake_quant_tensor(&ctx.store, id, &mut t)?;
            f32_values(&t, &format!("'{}'", v.name))?.0
        }
        (None, false) => fp.clone(),
    };
    if baked.len() != fp.len() {
        return Err(error(format!("'{}': baked and fp32 values differ in length", v.name)));
    }
    let ints = match &params {
        Some(p) => {
            let lq = LinearQuantParams::new(p.scales(), p.offsets(), eff.quant_min, eff.quant_max, eff.rounding, axis)?;
            let symmetrical = eff.policy.has_property(ppq_core::QuantizationProperty::SYMMETRICAL);
            // ints of the fp32 values: exactly what an exporter writes for this parameter
            quantize_to_int(&fp, &shape, &lq, eff.num_of_bits, symmetrical).ok().map(|q| q.to_i64())
        }
        None => None,
    };
    let scale_of = |i: usize| params.as_ref().and_then(|p| p.scales().get(channel(i, &shape, axis)).copied());
    let mut histogram = ErrorHistogram { counts: vec![0; ERROR_BINS], below: 0, above: 0 };
    let (mut max_abs, mut sum_units) = (0f64, 0f64);
    let mut out_rows = Vec::new();
    for (i, (&a, &b)) in fp.iter().zip(&baked).enumerate() {
        let diff = f64::from(b) - f64::from(a);
        max_abs = max_abs.max(diff.abs());
        let scale = scale_of(i).unwrap_or(0.0);
        let units = if scale > 0.0 { diff / f64::from(scale) } else { 0.0 };
        sum_units += units.abs();
        // 1e-6 tolerance: a value exactly half-way rounds to ±0.5 up to float32 noise
        if units < -0.5 - 1e-6 {
            histogram.below += 1;
        } else if units > 0.5 + 1e-6 {
            histogram.above += 1;
        } else {
            let bin = ((units + 0.5) * ERROR_BINS as f64).floor().clamp(0.0, (ERROR_BINS - 1) as f64) as usize;
            histogram.counts[bin] += 1;
        }
        if i < rows {
            let int = ints.as_ref().and_then(|q| q.get(i).copied());
            out_rows.push(BakedValue { index: i, fp32: a, baked: b, int, scale, error_in_scale: units });
        }
    }
    let o = ctx.graph.op(op);
    let bias = bias_precision(ctx, op, id)?;
    Ok(BakingView {
        tqc: label.to_string(),
        var: v.name.clone(),
        op_type: o.op_type.clone(),
        state: eff.state.name().to_string(),
        baked: baked_state,
        quantized: params.is_some(),
        num_of_bits: eff.num_of_bits,
        quant_min: eff.quant_min,
        quant_max: eff.quant_max,
        scales: params.as_ref().map_or(0, |p| p.len()),
        count: fp.len(),
        rows: out_rows,
        histogram,
        max_abs_error: max_abs,
        mean_abs_error_in_scale: if fp.is_empty() { 0.0 } else { sum_units / fp.len() as f64 },
        bias,
    })
}

/// How many channels the bias comparison lists.
const BIAS_ROWS: usize = 6;

/// For input 2 (the bias) of a Conv/ConvTranspose/Gemm with scales on all three: the accumulator scale.
fn bias_precision(ctx: &QuantizedGraph, op: OpId, id: TqcId) -> Result<Option<BiasPrecision>, PipelineError> {
    let o = ctx.graph.op(op);
    if !matches!(o.op_type.as_str(), "Conv" | "ConvTranspose" | "Gemm") || ctx.input_tqc(op, 2) != Some(id) {
        return Ok(None);
    }
    let (Some(i), Some(w)) = (ctx.input_tqc(op, 0), ctx.input_tqc(op, 1)) else { return Ok(None) };
    let (Some(ip), Some(wp), Some(bp)) = (ctx.store.params(i)?, ctx.store.params(w)?, ctx.store.params(id)?) else {
        return Ok(None);
    };
    let Some(&input_scale) = ip.scales().first() else { return Ok(None) };
    let channels = bp.len();
    let weight = |c: usize| wp.scales().get(c).or(wp.scales().first()).copied().unwrap_or(0.0);
    let product = |c: usize| f64::from(input_scale) * f64::from(weight(c));
    let max_relative_mismatch = (0..channels)
        .map(|c| {
            let b = f64::from(bp.scales().get(c).copied().unwrap_or(0.0));
            if product(c) > 0.0 { (b / product(c) - 1.0).abs() } else { f64::INFINITY }
        })
        .fold(0.0, f64::max);
    let n = channels.min(BIAS_ROWS);
    Ok(Some(BiasPrecision {
        input_tqc: ctx.label(i),
        input_scale,
        weight_tqc: ctx.label(w),
        weight_scales: (0..n).map(weight).collect(),
        products: (0..n).map(product).collect(),
        bias_scales: bp.scales().iter().take(n).copied().collect(),
        channels,
        max_relative_mismatch,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setting::QuantizationSetting;
    use crate::{CalibrationData, Pipeline, format_version};
    use ppq_core::platform::TargetPlatform;
    use ppq_graph::format::format_graph;
    use ppq_graph::import::import_onnx;

    fn run(platform: TargetPlatform, stop_before_baking: bool) -> Pipeline {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let bytes = std::fs::read(format!("{root}/www/samples/d_passive.onnx")).unwrap();
        let text = std::fs::read_to_string(format!("{root}/www/samples/calib/d_passive_calib.json")).unwrap();
        let calib: serde_json::Value = serde_json::from_str(&text).unwrap();
        let shape: Vec<usize> = serde_json::from_value(calib["shape"].clone()).unwrap();
        let samples: Vec<Vec<f32>> = serde_json::from_value(calib["samples"].clone()).unwrap();
        let setting = QuantizationSetting::for_platform(platform);
        let mut g = import_onnx(&bytes).unwrap();
        format_graph(&mut g, format_version(setting.state_model)).unwrap();
        let data = CalibrationData::single_input("input", &shape, &samples).unwrap();
        let mut p = Pipeline::new(g, platform, setting).unwrap();
        while !p.is_finished() {
            if stop_before_baking && p.passes().get(p.position()).is_some_and(|n| n.contains("Baking")) {
                break;
            }
            p.run_next(&data).unwrap();
        }
        p
    }

    #[test]
    fn weight_baking_rounds_to_the_grid_within_half_a_step() {
        let p = run(TargetPlatform::PplCudaInt8, false);
        let v = baking_view(p.context(), "conv1:in1:c1_w", 5).unwrap();
        assert_eq!((v.state.as_str(), v.baked, v.quantized), ("BAKED", true, true));
        assert_eq!(v.rows.len(), 5);
        assert_eq!(v.histogram.counts.iter().sum::<u32>() + v.histogram.below + v.histogram.above, v.count as u32);
        // PPQ's symmetric weight scale is max|w| / ((quant_max − quant_min) / 2) = max|w| / 127.5: a channel whose
        // largest magnitude is positive needs +127.5 steps and is clipped to 127 (−127.5 rounds to −128 and fits),
        // so at most one value per channel is clipped
        let clipped = v.histogram.below + v.histogram.above;
        assert!(clipped >= 1 && clipped as usize <= v.scales, "{:?}", v.histogram);
        assert!(v.mean_abs_error_in_scale > 0.05 && v.mean_abs_error_in_scale < 0.5, "{v:?}");
        for r in &v.rows {
            let q = r.int.unwrap() as f32;
            assert!((q * r.scale - r.baked).abs() <= r.scale * 1e-5, "int·scale is the baked value: {r:?}");
            assert!(r.error_in_scale.abs() <= 0.5 + 1e-6);
        }
        assert!(v.rows.iter().any(|r| r.fp32 != r.baked), "baking changed the values");
        assert!(v.bias.is_none());
    }

    #[test]
    fn before_baking_the_view_shows_what_baking_will_write() {
        let before = run(TargetPlatform::PplCudaInt8, true);
        let after = run(TargetPlatform::PplCudaInt8, false);
        let (b, a) = (
            baking_view(before.context(), "conv1:in1:c1_w", 8).unwrap(),
            baking_view(after.context(), "conv1:in1:c1_w", 8).unwrap(),
        );
        assert_eq!((b.state.as_str(), b.baked), ("ACTIVATED", false));
        assert_eq!(a.rows, b.rows);
    }

    #[test]
    fn int32_bias_scale_is_input_times_weight_scale() {
        let p = run(TargetPlatform::PplCudaInt8, false);
        let v = baking_view(p.context(), "conv1:in2:c1_b", 4).unwrap();
        assert_eq!((v.state.as_str(), v.num_of_bits), ("PASSIVE_BAKED", 32));
        let b = v.bias.clone().unwrap();
        assert_eq!(b.input_tqc, "conv1:in0:input");
        assert!(b.max_relative_mismatch < 1e-6, "{b:?}");
        assert!(v.rows.iter().all(|r| r.error_in_scale.abs() <= 0.5 + 1e-6));
        // an int32 range never clips: every error is within half a step of the accumulator's grid
        assert_eq!((v.histogram.below, v.histogram.above), (0, 0));
        let step = b.bias_scales.iter().copied().fold(0f32, f32::max);
        assert!(v.max_abs_error <= f64::from(step) * 0.5 * (1.0 + 1e-4), "{v:?}");
    }

    #[test]
    fn a_float_bias_is_untouched_and_non_parameters_are_errors() {
        let p = run(TargetPlatform::TrtInt8, false);
        let v = baking_view(p.context(), "conv1:in2:c1_b", 3).unwrap();
        assert_eq!((v.state.as_str(), v.baked, v.quantized), ("FP32", false, false));
        assert!(v.rows.iter().all(|r| r.fp32 == r.baked && r.int.is_none()));
        let e = baking_view(p.context(), "conv1:in0:input", 3).unwrap_err().to_string();
        assert!(e.contains("not a parameter"), "{e}");
        assert!(baking_view(p.context(), "nope", 3).is_err());
    }
}

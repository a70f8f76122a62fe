#![cfg(not(target_arch = "wasm32"))]
//! Activation histograms and per-channel weight ranges of the quantized digits CNN, checked against values
//! computed here a second way: the plain imported graph run without any quantization machinery, the ONNX
//! initializers sliced by hand, and the scales of the pipeline's `tqc.json` records.

use ppq_playground::graph::executor::{Executor, NoHook};
use ppq_playground::graph::format::{FormatVersion, format_graph};
use ppq_playground::graph::import::import_onnx;
use ppq_playground::graph::{BaseGraph, Tensor};
use ppq_playground::pipeline::record::{Record, ScaleValue};
use ppq_playground::pipeline::tensor_stats::{HISTOGRAM_BINS, op_stats};
use ppq_playground::pipeline::{CalibrationData, Pipeline};
use ppq_playground::reference::reference_dir;
use ppq_playground::session::calib::calib_from_npy;
use ppq_playground::session::{SessionSettings, prepare};

fn graph() -> BaseGraph {
    let bytes = std::fs::read(reference_dir().join("models/digits_cnn.onnx")).unwrap();
    let mut g = import_onnx(&bytes).unwrap();
    format_graph(&mut g, FormatVersion::V066).unwrap();
    g
}

/// TRT_INT8, minmax, calibrated on all 64 samples (the page's and the CLI's defaults).
fn setup() -> (Pipeline, CalibrationData) {
    let bytes = std::fs::read(reference_dir().join("models/digits_cnn.onnx")).unwrap();
    let data = calib_from_npy(&std::fs::read(reference_dir().join("calib/digits_cnn_calib.npy")).unwrap()).unwrap();
    // minmax over one pass of the 64 samples, as the reference runs were made
    let settings = SessionSettings { observer: Some("minmax".into()), calib_steps: None, ..SessionSettings::default() };
    let (mut p, calib, n) = prepare(import_onnx(&bytes).unwrap(), &data, &settings).unwrap();
    assert_eq!((n, calib.batches.len()), (64, 64));
    p.run_all(&calib).unwrap();
    (p, calib)
}

/// Every value of `var` over the calibration batches, in the imported graph with no quantization machinery;
/// `weights` names parameters to fake-quantize by hand first (symmetric int8 per output channel, as PPQ's
/// calibration sees them).
fn values(calib: &CalibrationData, var: &str, weights: &[(&str, &[f64])]) -> Vec<f32> {
    let mut g = graph();
    for (name, scales) in weights {
        let id = g.var_by_name(name).unwrap();
        let Some(Tensor::F32(a)) = g.var_mut(id).value.as_mut() else { panic!("{name}") };
        for (mut ch, &s) in a.axis_iter_mut(ndarray::Axis(0)).zip(*scales) {
            let s = s as f32;
            ch.mapv_inplace(|w| (w / s).round_ties_even().clamp(-128.0, 127.0) * s);
        }
    }
    let exec = Executor::new(&g).unwrap();
    let mut out = Vec::new();
    for b in &calib.batches {
        let feeds: Vec<(&str, Tensor)> = b.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
        let t = exec.forward(&feeds, Some(&[var]), &mut NoHook).unwrap();
        out.extend(t[0].to_f32_vec());
    }
    out
}

fn record_scale(p: &Pipeline, id: &str) -> ScaleValue {
    let records = p.records().unwrap();
    let t = records.iter().filter_map(Record::as_tqc).find(|t| t.id == id).unwrap();
    t.scale.clone().unwrap()
}

#[test]
fn minmax_activation_histogram_covers_its_data_and_saturates_only_its_top_half_step() {
    let (p, calib) = setup();
    let stats = op_stats(p.context(), &calib, "/Relu").unwrap();
    let [h] = &stats.activations[..] else { panic!("{stats:?}") };
    assert_eq!((h.var.as_str(), h.state.as_str()), ("/Relu_output_0", "ACTIVATED"));
    let ScaleValue::PerChannel(w) = record_scale(&p, "/c1/Conv:in1:onnx::Conv_31") else { panic!("per-channel") };
    let values = values(&calib, "/Relu_output_0", &[("onnx::Conv_31", &w)]);
    let max = values.iter().fold(f32::MIN, |a, &b| a.max(b));
    let min = values.iter().fold(f32::MAX, |a, &b| a.min(b));
    assert_eq!((h.data_min, h.data_max), (f64::from(min), f64::from(max)));
    assert_eq!(h.total, values.len() as u64);
    assert_eq!(h.counts.len(), HISTOGRAM_BINS);
    assert_eq!(h.counts.iter().sum::<u64>(), h.total);
    assert_eq!(h.batches, calib.batches.len());
    // TRT_INT8 activations: symmetric int8, so the clip range is scale·[−128, 127] with the record's scale.
    let ScaleValue::PerTensor(s) = record_scale(&p, "/Relu:out0:/Relu_output_0") else { panic!("per-tensor") };
    let (lo, hi) = h.clip.unwrap();
    assert!((lo + 128.0 * s).abs() <= 1e-9 * s && (hi - 127.0 * s).abs() <= 1e-9 * s, "{lo} {hi} {s}");
    // PPQ's symmetric minmax: s = 2·absmax / (qmax − qmin) = absmax / 127.5, so the largest value sits at
    // level 127.5, half a step beyond the clip range: it rounds to 128 and is clamped. Only values in that top
    // half step may saturate; nothing lies further out.
    assert!((127.5 * s - f64::from(max)).abs() <= 1e-5 * f64::from(max), "{s} vs max {max}");
    let far = values.iter().filter(|&&v| f64::from(v) > 127.5 * s * (1.0 + 1e-6)).count() as u64;
    let top = values.iter().filter(|&&v| f64::from(v) >= 127.5 * s * (1.0 - 1e-6)).count() as u64;
    assert_eq!(far, 0);
    assert!(h.saturated <= top && top <= 3, "{} saturated, {top} values in the top half step", h.saturated);
    assert!(h.saturation_percent() < 0.01, "{}", h.saturation_percent());
    // The first bins hold the ReLU's zeros: at least as many as the data has.
    let zeros = values.iter().filter(|&&v| v == 0.0).count() as u64;
    let zero_bin = ((0.0 - h.lo) / (h.hi - h.lo) * HISTOGRAM_BINS as f64).floor() as usize;
    assert!(h.counts[zero_bin] >= zeros && zeros > 0);
}

#[test]
fn an_overlapped_output_has_a_histogram_but_no_clip_range() {
    let (p, calib) = setup();
    let stats = op_stats(p.context(), &calib, "/c1/Conv").unwrap();
    let h = &stats.activations[0];
    assert_eq!(h.state, "OVERLAPPED");
    assert_eq!((h.clip, h.saturated), (None, 0));
    let values = values(&calib, "/c1/Conv_output_0", &[]);
    assert!(values.iter().any(|&v| v < 0.0), "a conv output before its ReLU");
    // against the fp32 graph: the quantized weights move the minimum a little, not more
    let min = f64::from(values.iter().fold(f32::MAX, |a, &b| a.min(b)));
    assert!(h.data_min != min && (h.data_min - min).abs() <= 0.02 * min.abs(), "{} vs fp32 {min}", h.data_min);
}

#[test]
fn weight_ranges_are_the_fp32_initializer_per_output_channel_with_each_channel_scale() {
    let (p, calib) = setup();
    let stats = op_stats(p.context(), &calib, "/c2/Conv").unwrap();
    let w = stats.weights.iter().find(|w| w.var == "c2.weight").unwrap();
    assert_eq!(w.state, "BAKED"); // the graph holds baked values; the ranges must still be the fp32 ones
    assert_eq!(w.axis, Some(0));
    let g = graph();
    let v = g.var(g.var_by_name("c2.weight").unwrap());
    let Some(Tensor::F32(a)) = &v.value else { panic!("float weight") };
    let flat: Vec<f32> = a.iter().copied().collect();
    let per = flat.len() / a.shape()[0];
    let ScaleValue::PerChannel(scales) = record_scale(&p, "/c2/Conv:in1:c2.weight") else { panic!("per-channel") };
    assert_eq!(w.channels.len(), a.shape()[0]);
    for (c, (chunk, ch)) in flat.chunks(per).zip(&w.channels).enumerate() {
        let min = chunk.iter().fold(f32::MAX, |x, &y| x.min(y));
        let max = chunk.iter().fold(f32::MIN, |x, &y| x.max(y));
        assert_eq!((ch.min, ch.max), (f64::from(min), f64::from(max)), "channel {c}");
        let (lo, hi) = ch.clip.unwrap();
        assert!((hi - 127.0 * scales[c]).abs() <= 1e-9 * hi && (lo + 128.0 * scales[c]).abs() <= 1e-9 * hi);
        // minmax per channel: the channel's largest magnitude sits at level 127.5 (see above)
        let amax = f64::from(min.abs().max(max.abs()));
        assert!((127.5 * scales[c] - amax).abs() <= 1e-5 * amax, "channel {c}: scale {} vs |w| {amax}", scales[c]);
    }
}

#[test]
fn unknown_or_float_ops_are_named_errors() {
    let (p, calib) = setup();
    let e = op_stats(p.context(), &calib, "/nope").unwrap_err().to_string();
    assert!(e.contains("/nope"), "{e}");
}

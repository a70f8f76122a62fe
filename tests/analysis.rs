#![cfg(not(target_arch = "wasm32"))]
//! Error analysis: PPQ's SNR definition, per-layer and per-output error of the quantized digits CNN against
//! its fp32 graph, and the sensitivity ranking (each op dequantized alone).

use ndarray::{ArrayD, IxDyn};
use ppq_playground::core::platform::TargetPlatform;
use ppq_playground::graph::format::{FormatVersion, format_graph};
use ppq_playground::graph::import::import_onnx;
use ppq_playground::graph::{BaseGraph, Tensor};
use ppq_playground::pipeline::analysis::{snr_db, snr_error};
use ppq_playground::pipeline::{CalibrationData, Pipeline, QuantizationSetting, graphwise_error, sensitivity};
use ppq_playground::reference::reference_dir;
use ppq_playground::session::calib::calib_from_npy;
use std::time::Instant;

fn graph() -> BaseGraph {
    let bytes = std::fs::read(reference_dir().join("models/digits_cnn.onnx")).unwrap();
    let mut g = import_onnx(&bytes).unwrap();
    format_graph(&mut g, FormatVersion::V066).unwrap();
    g
}

fn setup() -> (Pipeline, CalibrationData) {
    let g = graph();
    let data = calib_from_npy(&std::fs::read(reference_dir().join("calib/digits_cnn_calib.npy")).unwrap()).unwrap();
    let calib = CalibrationData::single_input(&g.var(g.inputs[0]).name, &data.sample_shape, &data.samples).unwrap();
    let setting = QuantizationSetting::for_platform(TargetPlatform::TrtInt8);
    let mut p = Pipeline::new(g, TargetPlatform::TrtInt8, setting).unwrap();
    p.run_all(&calib).unwrap();
    (p, calib)
}

fn t(shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), v.to_vec()).unwrap())
}

#[test]
fn snr_is_ppqs_noise_over_signal_per_sample_then_mean() {
    let real = t(&[2, 2], &[3.0, 4.0, 1.0, 0.0]);
    assert_eq!(snr_error(&real, &real).unwrap(), 0.0);
    // Sample 0: noise 1 / signal 25; sample 1: noise 1 / signal 1 (+1e-7 each).
    let pred = t(&[2, 2], &[3.0, 5.0, 1.0, 1.0]);
    let want = (1.0 / (25.0 + 1e-7) + 1.0 / (1.0 + 1e-7)) / 2.0;
    assert!((snr_error(&pred, &real).unwrap() - want).abs() < 1e-12);
    assert!(snr_error(&pred, &t(&[4], &[0.0; 4])).is_err(), "shape mismatch");
    assert_eq!(snr_db(0.01), 20.0);
    assert_eq!(snr_db(0.0), f64::INFINITY);
}

#[test]
fn graphwise_error_is_small_per_layer_and_zero_when_dequantized() {
    let (mut p, calib) = setup();
    let (layers, outputs) = graphwise_error(p.context(), &calib).unwrap();
    assert_eq!(layers.len(), p.context().quantable_ops().len());
    assert_eq!(layers[0].op, "/c1/Conv");
    assert!(layers.iter().all(|l| l.snr.is_finite() && l.snr >= 0.0 && l.snr < 0.1), "{layers:#?}");
    assert!(layers.iter().any(|l| l.snr > 0.0));
    assert_eq!(outputs.len(), 1);
    assert!(outputs[0].snr > 0.0 && outputs[0].snr < 0.1, "{outputs:?}");
    p.context_mut().dequantize_graph().unwrap();
    let (layers, outputs) = graphwise_error(p.context(), &calib).unwrap();
    assert!(layers.iter().all(|l| l.snr == 0.0), "{layers:#?}");
    assert_eq!(outputs[0].snr, 0.0);
}

#[test]
fn sensitivity_ranks_every_quantable_op_and_leaves_the_graph_alone() {
    let (p, calib) = setup();
    let before = p.context().store.clone();
    let values: Vec<_> = p.context().graph.variables().map(|(_, v)| v.value.clone()).collect();
    let start = Instant::now();
    let report = sensitivity(p.context(), &calib).unwrap();
    eprintln!(
        "sensitivity on digits_cnn: {} ops x {} samples in {:?} (debug build)",
        report.ranking.len(),
        calib.batches.len(),
        start.elapsed()
    );
    assert_eq!(report.ranking.len(), p.context().quantable_ops().len());
    assert!(report.ranking.windows(2).all(|w| w[0].improvement >= w[1].improvement));
    for r in &report.ranking {
        assert!((report.quantized_output_snr - r.output_snr_when_float - r.improvement).abs() < 1e-15, "{r:?}");
    }
    let top = &report.ranking[0];
    assert!(top.improvement > 0.0, "keeping the most sensitive op in float helps: {report:#?}");
    let states =
        |st: &ppq_playground::core::tqc::TqcStore| st.ids().map(|i| st.get(i).unwrap().state()).collect::<Vec<_>>();
    assert_eq!(states(&p.context().store), states(&before));
    let after: Vec<_> = p.context().graph.variables().map(|(_, v)| v.value.clone()).collect();
    assert_eq!(values, after);
    // Keeping the top op in float really gives the measured output error.
    let mut work = p.clone();
    work.dequantize_op(&top.op).unwrap();
    let (_, outputs) = graphwise_error(work.context(), &calib).unwrap();
    assert!((outputs[0].snr - top.output_snr_when_float).abs() < 1e-12);
}

//! Whole-model checks of the quantized simulation on the digits CNN: int8 accuracy on the 540 test images
//! within 0.5 % of real PPQ's (TRT_INT8, minmax: 0.9667, `run.json`), and breaking an alignment rule on
//! purpose changes exactly what it should.
#![cfg(not(target_arch = "wasm32"))]

mod parity_common;

use ndarray::{ArrayD, IxDyn};
use parity_common::{load, read_npy_f32};
use ppq_playground::core::platform::TargetPlatform;
use ppq_playground::graph::Tensor;
use ppq_playground::pipeline::setting::AlignmentMethod;
use ppq_playground::pipeline::{CalibrationData, Pipeline, QuantizationSetting};
use ppq_playground::reference::reference_dir;

/// int64 little-endian `.npy` labels.
fn read_npy_i64(p: &std::path::Path) -> Vec<i64> {
    let b = std::fs::read(p).unwrap();
    let hlen = u16::from_le_bytes([b[8], b[9]]) as usize;
    assert!(std::str::from_utf8(&b[10..10 + hlen]).unwrap().contains("'<i8'"));
    b[10 + hlen..].chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect()
}

fn pipeline(model: &str, setting: QuantizationSetting) -> (Pipeline, CalibrationData) {
    let r = reference_dir();
    let bytes = std::fs::read(r.join(format!("models/{model}.onnx"))).unwrap();
    let (shape, x) = read_npy_f32(&r.join(format!("calib/{model}_calib.npy")));
    let per = x.len() / shape[0];
    let samples: Vec<Vec<f32>> = x.chunks(per).map(<[f32]>::to_vec).collect();
    let mut p = Pipeline::from_onnx(&bytes, TargetPlatform::TrtInt8, setting).unwrap();
    let input = p.context().graph.var(p.context().graph.inputs[0]).name.clone();
    let calib = CalibrationData::single_input(&input, &shape[1..], &samples).unwrap();
    p.run_all(&calib).unwrap();
    (p, calib)
}

fn trt_minmax(steps: u32) -> QuantizationSetting {
    let mut s = QuantizationSetting::for_platform(TargetPlatform::TrtInt8);
    s.quantize_activation_setting.calib_algorithm = Some("minmax".into());
    s.quantize_activation_setting.calib_steps = steps;
    s
}

#[test]
fn digits_int8_accuracy_is_ppqs() {
    let r = reference_dir();
    let (p, _) = pipeline("digits_cnn", trt_minmax(64));
    let (shape, x) = read_npy_f32(&r.join("calib/digits_test_x.npy"));
    let y = read_npy_i64(&r.join("calib/digits_test_y.npy"));
    let per = x.len() / shape[0];
    // one batch-1 image per row, whatever leading axes the file keeps
    let sample: Vec<usize> = vec![1, 1, 8, 8];
    assert_eq!(per, 64);
    let input = p.context().graph.var(p.context().graph.inputs[0]).name.clone();
    let mut correct = 0;
    for (i, label) in y.iter().enumerate() {
        let xi = ArrayD::from_shape_vec(IxDyn(&sample), x[i * per..(i + 1) * per].to_vec()).unwrap();
        let out = p.simulate(&[(input.as_str(), Tensor::F32(xi))]).unwrap();
        let logits = out[0].as_f32("logits").unwrap();
        let arg = logits.iter().enumerate().fold((0, f32::MIN), |b, (k, &v)| if v > b.1 { (k, v) } else { b }).0;
        correct += usize::from(arg as i64 == *label);
    }
    let acc = correct as f64 / y.len() as f64;
    let run = load(&r.join("ppq-0.6.6/digits_cnn/TRT_INT8__minmax/run.json"));
    let ppq = run.get("ppq_sim_int8_acc").and_then(|v| v.as_f64()).unwrap_or(0.9667);
    println!("digits int8 accuracy: ours {acc:.4} ({correct}/{}), PPQ 0.6.6 {ppq:.4}", y.len());
    assert!((acc - ppq).abs() <= 0.005, "accuracy {acc} vs PPQ {ppq}");
}

#[test]
fn alignment_none_breaks_the_add_group_on_purpose() {
    let find = |p: &Pipeline, id: &str| {
        p.records().unwrap().into_iter().filter_map(|r| r.as_tqc().cloned()).find(|t| t.id == id).unwrap()
    };
    let (aligned, _) = pipeline("b_residual", trt_minmax(16));
    let mut s = trt_minmax(16);
    s.quantize_alignment_setting.elementwise_alignment = AlignmentMethod::None;
    let (unaligned, _) = pipeline("b_residual", s);
    // PPQ's default ('Align to Large'): both Add inputs are PASSIVE in one group under add:in0:c2.
    let a1 = find(&aligned, "add:in1:input");
    assert_eq!((a1.state.as_str(), a1.dominated_by.as_deref()), ("PASSIVE", Some("add:in0:c2")));
    // With 'None' the Add inputs keep their own producers' scales: no shared root, different scales.
    let (u0, u1) = (find(&unaligned, "add:in0:c2"), find(&unaligned, "add:in1:input"));
    assert_ne!(u1.dominated_by.as_deref(), Some("add:in0:c2"));
    assert_ne!(u0.scale, u1.scale);
    assert_ne!(u1.state, "PASSIVE");
}

#![cfg(not(target_arch = "wasm32"))]
//! The step driver, errors on bad calibration data, and the QuantableOperation round trip
//! (dequantize → restore), on the b_residual reference model.

use ppq_playground::core::QuantizationStates as S;
use ppq_playground::core::platform::TargetPlatform;
use ppq_playground::core::tqc::QuantParams;
use ppq_playground::pipeline::{CalibrationData, PassKind, Pipeline, PipelineError, QuantizationSetting};
use ppq_playground::reference::reference_dir;

fn model() -> Vec<u8> {
    std::fs::read(reference_dir().join("models/b_residual.onnx")).unwrap()
}

fn samples(n: usize) -> Vec<Vec<f32>> {
    (0..n).map(|k| (0..256).map(|i| ((i * 7 + k * 13) % 97) as f32 / 24.0 - 2.0).collect()).collect()
}

fn setting(steps: u32) -> QuantizationSetting {
    let mut s = QuantizationSetting::for_platform(TargetPlatform::TrtInt8);
    s.quantize_activation_setting.calib_steps = steps;
    s
}

#[test]
fn steps_one_pass_at_a_time_and_tags_transitions() {
    let mut p = Pipeline::from_onnx(&model(), TargetPlatform::TrtInt8, setting(8)).unwrap();
    let calib = CalibrationData::single_input("input", &[1, 4, 8, 8], &samples(8)).unwrap();
    assert_eq!(p.passes()[0], PassKind::Fusion.name());
    assert_eq!(p.trace().snapshots.len(), 2, "the two <before> entries");
    let mut names = Vec::new();
    while !p.is_finished() {
        let r = p.run_next(&calib).unwrap();
        assert!(r.implemented);
        assert!(r.transitions.iter().all(|t| t.pass.as_deref() == Some(r.pass)), "{}", r.pass);
        names.push(r.pass);
    }
    assert_eq!(names, p.passes());
    assert!(matches!(p.run_next(&calib), Err(PipelineError::Finished)));
    // add:in1 went ACTIVATED (calibration) → PASSIVE (alignment), logged under each pass.
    let t: Vec<_> = p.trace().transitions.iter().filter(|t| t.label == "add:in1:input").collect();
    assert_eq!(t.len(), 2);
    assert_eq!((t[0].to, t[0].pass.as_deref()), (S::ACTIVATED, Some(PassKind::RuntimeCalibration.name())));
    assert_eq!((t[1].to, t[1].pass.as_deref()), (S::PASSIVE, Some(PassKind::Alignment.name())));
    let json = serde_json::to_value(p.trace()).unwrap();
    assert_eq!(json["snapshots"][1]["pass"], "<before>");
    assert_eq!(json["snapshots"][1]["pipeline"], "quant");
}

#[test]
fn bad_calibration_data_names_the_input() {
    let mut p = Pipeline::from_onnx(&model(), TargetPlatform::TrtInt8, setting(8)).unwrap();
    let mut s = samples(8);
    s[3][17] = f32::NAN;
    let nan = CalibrationData::single_input("input", &[1, 4, 8, 8], &s).unwrap();
    let e = p.run_all(&nan).unwrap_err();
    assert!(matches!(&e, PipelineError::Calibration { input, .. } if input == "input"), "{e}");
    assert!(e.to_string().contains("NaN"), "{e}");

    let mut p = Pipeline::from_onnx(&model(), TargetPlatform::TrtInt8, setting(8)).unwrap();
    let wrong = CalibrationData::single_input("input", &[1, 4, 4, 16], &samples(8)).unwrap();
    let e = p.run_all(&wrong).unwrap_err();
    assert!(matches!(&e, PipelineError::Calibration { input, .. } if input == "input"), "{e}");
    assert!(e.to_string().contains("shape"), "{e}");

    let e = CalibrationData::single_input("input", &[1, 4, 8, 8], &[vec![0.0; 10]]).unwrap_err();
    assert!(matches!(&e, PipelineError::Calibration { input, .. } if input == "input"), "{e}");

    let mut p = Pipeline::from_onnx(&model(), TargetPlatform::TrtInt8, setting(8)).unwrap();
    let e = p.run_all(&CalibrationData::default()).unwrap_err();
    assert!(matches!(e, PipelineError::Calibration { .. }), "{e}");
}

#[test]
fn dequantize_restores_fp32_parameters_and_restore_bakes_again() {
    let mut p = Pipeline::from_onnx(&model(), TargetPlatform::TrtInt8, setting(8)).unwrap();
    let calib = CalibrationData::single_input("input", &[1, 4, 8, 8], &samples(8)).unwrap();
    p.run_all(&calib).unwrap();
    let ctx = p.context_mut();
    let conv = ctx.graph.op_by_name("conv1").unwrap();
    let w = ctx.graph.op(conv).inputs[1];
    let original = ctx.stored_values[&w].clone();
    let baked = ctx.graph.var(w).value.clone().unwrap();
    assert_ne!(baked, original, "baking changed the weight");
    let q = ctx.quantable(conv).unwrap();
    q.dequantize(ctx).unwrap();
    assert!(q.config.iter().all(|t| ctx.store.get(t).unwrap().state() == S::FP32));
    assert_eq!(ctx.graph.var(w).value.as_ref(), Some(&original));
    q.restore_quantize_state(ctx).unwrap();
    assert_eq!(ctx.store.get(q.config.input_quantization_config[1]).unwrap().state(), S::BAKED);
    assert_eq!(ctx.graph.var(w).value.as_ref(), Some(&baked));
}

#[test]
fn align_to_large_skips_fp32_inputs_in_the_range() {
    let mut p = Pipeline::from_onnx(&model(), TargetPlatform::TrtInt8, setting(8)).unwrap();
    let calib = CalibrationData::single_input("input", &[1, 4, 8, 8], &samples(8)).unwrap();
    while p.passes()[p.position()] != PassKind::Alignment.name() {
        p.run_next(&calib).unwrap();
    }
    let ctx = p.context_mut();
    let (a0, a1) = (ctx.store.find("add:in0:c2").unwrap(), ctx.store.find("add:in1:input").unwrap());
    ctx.store.set_state(a1, S::FP32, "learner edit").unwrap();
    let Some(QuantParams::PerTensor { scale: s0, .. }) = ctx.store.params(a0).unwrap().cloned() else { panic!() };
    p.run_next(&calib).unwrap();
    let ctx = p.context();
    // Only input 0 counts: range [-128 s0, 127 s0] → scale 2·128·s0/255, and the FP32 slave is not mastered
    // (the stale loop variable is the FP32 input itself).
    let want = (2.0 * 128.0 * f64::from(s0) / 255.0) as f32;
    assert_eq!(ctx.store.params(a0).unwrap(), Some(&QuantParams::per_tensor(want, 0.0)));
    assert_eq!(ctx.store.get(a0).unwrap().state(), S::PASSIVE);
    assert_eq!(ctx.store.get(a1).unwrap().state(), S::FP32);
    assert_eq!(ctx.store.root(a1).unwrap(), a1);
}

#[test]
fn fixed_quirks_make_slice_passive() {
    let bytes = std::fs::read(reference_dir().join("models/c_soi.onnx")).unwrap();
    let root_of_slice_out = |quirks| {
        let mut s = setting(8);
        s.quirks = quirks;
        let mut p = Pipeline::from_onnx(&bytes, TargetPlatform::TrtInt8, s).unwrap();
        p.run_next(&CalibrationData::default()).unwrap(); // fusion needs no data
        let st = &p.context().store;
        let out = st.find("slice:out0:sl").unwrap();
        (st.get(out).unwrap().state(), st.get(st.root(out).unwrap()).unwrap().label().to_string())
    };
    use ppq_playground::core::quirks::Quirks;
    // PPQ's 'DropoutSlice' typo: Slice is not passive, its output stays its own root.
    assert_eq!(root_of_slice_out(Quirks::Faithful), (S::INITIAL, "slice:out0:sl".to_string()));
    assert_eq!(root_of_slice_out(Quirks::Fixed), (S::OVERLAPPED, "slice:in0:up".to_string()));
}

#[test]
fn kl_and_mse_calibrate_in_two_phases() {
    for algo in ["kl", "mse", "percentile"] {
        let mut s = setting(8);
        s.quantize_activation_setting.calib_algorithm = Some(algo.to_string());
        let mut p = Pipeline::from_onnx(&model(), TargetPlatform::TrtInt8, s).unwrap();
        let calib = CalibrationData::single_input("input", &[1, 4, 8, 8], &samples(8)).unwrap();
        while p.passes()[p.position()] != PassKind::RuntimeCalibration.name() {
            p.run_next(&calib).unwrap();
        }
        let r = p.run_next(&calib).unwrap();
        let st = &p.context().store;
        assert!(st.ids().all(|i| st.get(i).unwrap().state() != S::INITIAL), "{algo}: a TQC stayed INITIAL");
        let out = st.find("relu_out:out0:output").unwrap();
        assert_eq!(st.get(out).unwrap().observer_algorithm(), Some(algo));
        let Some(QuantParams::PerTensor { scale, .. }) = st.params(out).unwrap() else { panic!("{algo}") };
        assert!(scale.is_finite() && *scale > 0.0, "{algo}: {scale}");
        assert_eq!(r.transitions.iter().filter(|t| t.to == S::ACTIVATED).count(), 6, "{algo}");
    }
}

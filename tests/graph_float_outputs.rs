//! The executor's fp32 outputs equal onnxruntime's (`reference/calib/<model>_float_outputs.npy`) on every
//! calibration sample of every reference model, within 1e-5 relative; the max abs error is printed.
#![cfg(not(target_arch = "wasm32"))]

mod parity_common;

use ndarray::{ArrayD, IxDyn};
use parity_common::read_npy_f32;
use ppq_playground::graph::Tensor;
use ppq_playground::graph::executor::{Executor, NoHook};
use ppq_playground::graph::format::{FormatVersion, format_graph};
use ppq_playground::graph::import::import_onnx;
use ppq_playground::reference::reference_dir;

#[test]
fn every_reference_model_matches_onnxruntime_fp32() {
    let r = reference_dir();
    for model in ["a_concat_pool", "b_residual", "c_soi", "d_passive", "digits_cnn"] {
        let bytes = std::fs::read(r.join(format!("models/{model}.onnx"))).unwrap();
        let mut g = import_onnx(&bytes).unwrap();
        // PPQ formats before it runs anything; the formatted graph must compute the same function.
        format_graph(&mut g, FormatVersion::V066).unwrap();
        let (xshape, x) = read_npy_f32(&r.join(format!("calib/{model}_calib.npy")));
        let (yshape, y) = read_npy_f32(&r.join(format!("calib/{model}_float_outputs.npy")));
        let (n, sample_shape) = (xshape[0], &xshape[1..]);
        let (per_x, per_y) = (x.len() / n, y.len() / yshape[0]);
        assert_eq!(yshape[0], n);
        let input = g.var(g.inputs[0]).name.clone();
        let exec = Executor::new(&g).unwrap();
        let (mut max_abs, mut max_rel) = (0f32, 0f32);
        for i in 0..n {
            let xi = ArrayD::from_shape_vec(IxDyn(sample_shape), x[i * per_x..(i + 1) * per_x].to_vec()).unwrap();
            let out = exec.forward(&[(input.as_str(), Tensor::F32(xi))], None, &mut NoHook).unwrap();
            let got = out[0].as_f32("output").unwrap();
            let want = &y[i * per_y..(i + 1) * per_y];
            assert_eq!(got.len(), want.len(), "{model}: output size");
            let scale = want.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
            for (a, b) in got.iter().zip(want) {
                max_abs = max_abs.max((a - b).abs());
                max_rel = max_rel.max((a - b).abs() / scale);
            }
        }
        println!("{model}: {n} samples, max abs err {max_abs:.3e}, max err / max|y| {max_rel:.3e}");
        assert!(max_rel <= 1e-5, "{model}: max error {max_abs} ({max_rel} of the output range)");
    }
}

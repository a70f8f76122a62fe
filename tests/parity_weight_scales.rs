#![cfg(not(target_arch = "wasm32"))]
//! Parity with real PPQ 0.6.6: every weight scale of b_residual, c_soi and d_passive (minmax runs on all
//! three platforms), recomputed from the ONNX initializers with our minmax observer.

use ppq_playground::core::QuantizationPolicy;
use ppq_playground::core::observer::{MinMaxObserver, Observer, ObserverTarget};
use ppq_playground::core::state::StateModel;
use ppq_playground::graph::onnx::{ModelProto, TensorProto};
use ppq_playground::reference::reference_dir;
use prost::Message;
use serde_json::Value;
use std::collections::HashMap;

const MODELS: [&str; 3] = ["b_residual", "c_soi", "d_passive"];
const PLATFORMS: [&str; 3] = ["TRT_INT8", "PPL_CUDA_INT8", "PPL_DSP_INT8"];
/// ONNX TensorProto.DataType FLOAT.
const ONNX_FLOAT: i32 = 1;

/// Float32 initializers by name, with their shapes.
fn initializers(model: &str) -> HashMap<String, (Vec<f32>, Vec<usize>)> {
    let path = reference_dir().join("models").join(format!("{model}.onnx"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let proto = ModelProto::decode(bytes.as_slice()).expect("valid ONNX protobuf");
    let graph = proto.graph.expect("model has a graph");
    graph
        .initializer
        .iter()
        .filter(|t| t.data_type() == ONNX_FLOAT)
        .map(|t: &TensorProto| {
            let data = if t.raw_data().is_empty() {
                t.float_data.clone()
            } else {
                t.raw_data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
            };
            let shape = t.dims.iter().map(|&d| d as usize).collect();
            (t.name().to_string(), (data, shape))
        })
        .collect()
}

fn as_vec(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_f64().expect("number")).collect(),
        other => vec![other.as_f64().expect("number")],
    }
}

/// Whether PPQ ran a pass that changes weights before calibration (PPL_DSP_INT8's setting enables
/// Layerwise Equalization), so the ONNX initializers are not what the observer saw.
fn rewrites_weights(run: &std::path::Path) -> bool {
    let text = std::fs::read_to_string(run.join("passes.json")).expect("passes.json");
    let passes: Vec<Value> = serde_json::from_str(&text).expect("passes.json is JSON");
    passes.iter().any(|p| p["pass"].as_str().is_some_and(|n| n.contains("Equalization")))
}

#[test]
fn weight_scales_match_ppq_066() {
    let (mut checked, mut skipped) = (0, 0);
    for model in MODELS {
        let inits = initializers(model);
        for platform in PLATFORMS {
            let run = reference_dir().join(format!("ppq-0.6.6/{model}/{platform}__minmax"));
            if rewrites_weights(&run) {
                skipped += 1;
                continue;
            }
            let path = run.join("tqc.json");
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let records: Vec<Value> = serde_json::from_str(&text).expect("tqc.json is JSON");
            for r in &records {
                let state = r["state"].as_str().unwrap_or("");
                // Weights only: biases and passive parameters (PASSIVE_BAKED) take their scale from others.
                if r["is_parameter"] != Value::Bool(true) || !matches!(state, "ACTIVATED" | "BAKED") {
                    continue;
                }
                if r["scale"].is_null() {
                    continue;
                }
                assert_eq!(r["observer"], "minmax", "{model}/{platform}: {}", r["self"]);
                let var = r["var"].as_str().expect("var");
                let (data, shape) = inits.get(var).unwrap_or_else(|| panic!("{model}: no initializer {var}"));
                let names: Vec<&str> =
                    r["policy"].as_array().expect("policy").iter().map(|p| p.as_str().expect("name")).collect();
                let policy = QuantizationPolicy::from_names(&names, StateModel::Ppq066).expect("valid policy");
                let mut target = ObserverTarget::new(
                    policy,
                    r["quant_min"].as_i64().expect("quant_min") as i32,
                    r["quant_max"].as_i64().expect("quant_max") as i32,
                    r["num_of_bits"].as_u64().expect("bits") as u32,
                );
                target.channel_axis = r["channel_axis"].as_u64().map(|a| a as usize);
                let mut o = MinMaxObserver::new(target).expect("valid target");
                o.observe(data, shape).expect("finite weights");
                let got = o.render().expect("renders");
                let (want_s, want_o) = (as_vec(&r["scale"]), as_vec(&r["offset"]));
                assert_eq!(got.scale.len(), want_s.len(), "{model}/{platform} {var}");
                for (i, (&g, &w)) in got.scale.iter().zip(&want_s).enumerate() {
                    let rel = ((f64::from(g) - w) / w).abs();
                    assert!(rel <= 1e-6, "{model}/{platform} {var}[{i}]: scale {g} vs PPQ {w}");
                }
                let got_o: Vec<f64> = got.offset.iter().map(|&o| f64::from(o)).collect();
                assert_eq!(got_o, want_o, "{model}/{platform} {var}: offsets");
                checked += 1;
            }
        }
    }
    // Weights (b, c, d): TRT_INT8 2 + 3 + 2, PPL_CUDA_INT8 2 + 3 + 1 (d_passive's second conv is not
    // quantized there). PPL_DSP_INT8 equalizes first and is skipped.
    assert_eq!((checked, skipped), (13, 3));
}

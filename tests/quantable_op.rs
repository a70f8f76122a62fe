#![cfg(not(target_arch = "wasm32"))]
//! QuantableOperation (spec §2.3, §6.8) on the digits CNN quantized for TRT_INT8 with its reference
//! calibration data: dequantize → restore is bit-exact, baking then dequantize gives the original fp32
//! values, a second dequantize is a no-op, `copy` makes fresh TQCs, and exporters skip a dequantized op.

use ppq_playground::core::QuantizationStates as S;
use ppq_playground::core::platform::TargetPlatform;
use ppq_playground::graph::format::{FormatVersion, format_graph};
use ppq_playground::graph::import::import_onnx;
use ppq_playground::graph::{BaseGraph, Tensor};
use ppq_playground::pipeline::export::{ExportInput, onnx_config_json, qdq_onnx, tqc_records, trt_json};
use ppq_playground::pipeline::{CalibrationData, Pipeline, QuantizationSetting, QuantizedGraph};
use ppq_playground::reference::reference_dir;
use ppq_playground::session::calib::calib_from_npy;
use std::collections::HashMap;

const MODEL: &str = "digits_cnn";

fn graph() -> BaseGraph {
    let bytes = std::fs::read(reference_dir().join(format!("models/{MODEL}.onnx"))).unwrap();
    let mut g = import_onnx(&bytes).unwrap();
    format_graph(&mut g, FormatVersion::V066).unwrap();
    g
}

fn calib(g: &BaseGraph) -> CalibrationData {
    let bytes = std::fs::read(reference_dir().join(format!("calib/{MODEL}_calib.npy"))).unwrap();
    let data = calib_from_npy(&bytes).unwrap();
    CalibrationData::single_input(&g.var(g.inputs[0]).name, &data.sample_shape, &data.samples).unwrap()
}

fn quantized() -> Pipeline {
    let g = graph();
    let c = calib(&g);
    let mut p =
        Pipeline::new(g, TargetPlatform::TrtInt8, QuantizationSetting::for_platform(TargetPlatform::TrtInt8)).unwrap();
    p.run_all(&c).unwrap();
    p
}

fn bits(t: &Tensor) -> Vec<u32> {
    match t {
        Tensor::F32(a) => a.iter().map(|v| v.to_bits()).collect(),
        other => panic!("not f32: {other:?}"),
    }
}

/// Every TQC's state and stored state, and every parameter's bits (value and stored value).
type Snapshot = (Vec<(S, Option<S>)>, Vec<(String, Vec<u32>, Option<Vec<u32>>)>);

fn snapshot(ctx: &QuantizedGraph) -> Snapshot {
    let states = ctx
        .store
        .ids()
        .map(|id| {
            let t = ctx.store.get(id).unwrap();
            (t.state(), t.detail().stored_state)
        })
        .collect();
    let mut params: Vec<_> = ctx
        .graph
        .variables()
        .filter(|(_, v)| v.is_parameter && v.value.is_some())
        .map(|(id, v)| (v.name.clone(), bits(v.value.as_ref().unwrap()), ctx.stored_values.get(&id).map(bits)))
        .collect();
    params.sort();
    (states, params)
}

fn param_bits(ctx: &QuantizedGraph, name: &str) -> Vec<u32> {
    bits(ctx.graph.var(ctx.graph.var_by_name(name).unwrap()).value.as_ref().unwrap())
}

#[test]
fn dequantize_then_restore_round_trips_states_and_values_bit_exactly() {
    let mut p = quantized();
    let before = snapshot(p.context());
    let names: Vec<String> = p.context().quantable_ops().iter().map(|&o| p.context().op(o).name.clone()).collect();
    assert!(names.len() >= 10, "{names:?}");
    for name in &names {
        let t = p.dequantize_op(name).unwrap();
        assert!(!t.is_empty() && t.iter().all(|t| t.pass.as_deref() == Some(&format!("dequantize {name}")[..])));
        let q = p.context().quantable_by_name(name).unwrap();
        assert!(q.config.iter().all(|t| p.context().store.get(t).unwrap().state() == S::FP32), "{name}");
        assert!(p.is_dequantized(name).unwrap());
        p.restore_op(name).unwrap();
        assert_eq!(snapshot(p.context()), before, "{name}");
    }
    // Whole graph at once, like PPQ's dequantize_graph / restore_quantize_state.
    let ctx = p.context_mut();
    ctx.dequantize_graph().unwrap();
    assert!(ctx.store.ids().all(|id| ctx.store.get(id).unwrap().state() == S::FP32));
    ctx.restore_quantize_state().unwrap();
    assert_eq!(snapshot(ctx), before);
}

#[test]
fn baking_then_dequantize_gives_the_original_fp32_values() {
    let mut p = quantized();
    let original = graph();
    let ctx = p.context();
    let mut baked_params = 0;
    for op in ctx.quantable_ops() {
        for (tqc, var) in ctx.config_with_variable(op) {
            let v = ctx.graph.var(var);
            if v.is_parameter && matches!(ctx.store.get(tqc).unwrap().state(), S::BAKED | S::PASSIVE_BAKED) {
                let fp32 = original.var(original.var_by_name(&v.name).unwrap()).value.clone().unwrap();
                assert_ne!(bits(v.value.as_ref().unwrap()), bits(&fp32), "{} was baked", v.name);
                baked_params += 1;
            }
        }
    }
    assert!(baked_params >= 5, "weights of 4 Conv + 1 Gemm (TRT keeps biases FP32): {baked_params}");
    let names: Vec<String> = ctx.quantable_ops().iter().map(|&o| ctx.op(o).name.clone()).collect();
    for name in &names {
        p.dequantize_op(name).unwrap();
    }
    let ctx = p.context();
    for (_, v) in ctx.graph.variables().filter(|(_, v)| v.is_parameter && v.value.is_some()) {
        let fp32 = original.var(original.var_by_name(&v.name).unwrap()).value.clone().unwrap();
        assert_eq!(bits(v.value.as_ref().unwrap()), bits(&fp32), "{}", v.name);
    }
}

#[test]
fn double_dequantize_and_double_restore_are_no_ops() {
    let mut p = quantized();
    let before = snapshot(p.context());
    let first = p.dequantize_op("/c2/Conv").unwrap();
    let once = snapshot(p.context());
    assert_eq!(first.len(), 3, "input, weight, output (the TRT bias already is FP32)");
    assert!(p.dequantize_op("/c2/Conv").unwrap().is_empty());
    assert_eq!(snapshot(p.context()), once, "values were not swapped back");
    p.restore_op("/c2/Conv").unwrap();
    assert!(p.restore_op("/c2/Conv").unwrap().is_empty());
    assert_eq!(snapshot(p.context()), before);
    assert!(!p.is_dequantized("/c2/Conv").unwrap());
    // Every change is in the trace, tagged with its step.
    let traced = p.trace().transitions.iter().filter(|t| t.pass.as_deref().is_some_and(|s| s.ends_with("/c2/Conv")));
    assert_eq!(traced.count(), 6);
}

#[test]
fn unknown_ops_and_ops_dispatched_to_fp32_are_refused_by_name() {
    let mut p = quantized();
    let e = p.dequantize_op("/nope").unwrap_err().to_string();
    assert!(e.contains("/nope"), "{e}");
    let g = graph();
    let c = calib(&g);
    let setting = QuantizationSetting::for_platform(TargetPlatform::TrtInt8);
    let keep = [("/c2/Conv".to_string(), TargetPlatform::Fp32)];
    let mut p = Pipeline::with_dispatching(g.clone(), TargetPlatform::TrtInt8, setting.clone(), &keep).unwrap();
    p.run_all(&c).unwrap();
    let e = p.dequantize_op("/c2/Conv").unwrap_err().to_string();
    assert!(e.contains("/c2/Conv") && e.contains("not a QuantableOperation"), "{e}");
    let w = p.context().graph.op(p.context().graph.op_by_name("/c2/Conv").unwrap()).inputs[1];
    assert_eq!(p.context().graph.var(w).value, g.var(w).value, "an FP32 op's weight is never baked");
    let bad = [("/c9/Conv".to_string(), TargetPlatform::Fp32)];
    let e = Pipeline::with_dispatching(g, TargetPlatform::TrtInt8, setting, &bad).unwrap_err().to_string();
    assert!(e.contains("/c9/Conv"), "{e}");
}

#[test]
fn copy_makes_fresh_tqcs_with_the_same_states_and_detached_basic_info() {
    let mut p = quantized();
    let ctx = p.context_mut();
    let q = ctx.quantable_by_name("/fc/Gemm").unwrap();
    let n = ctx.store.len();
    let c = q.copy(ctx).unwrap();
    assert_eq!(ctx.store.len(), n + q.config.len());
    assert_eq!((c.operation.name.as_str(), c.operation.op_type.as_str()), ("/fc/Gemm", "Gemm"));
    assert!(c.operation.inputs.is_empty() && c.operation.outputs.is_empty());
    assert_eq!(c.operation.platform, TargetPlatform::TrtInt8);
    for (a, b) in q.config.iter().zip(c.config.iter()) {
        assert_ne!(a, b);
        assert_eq!(ctx.store.get(a).unwrap().state(), ctx.store.get(b).unwrap().state());
    }
}

#[test]
fn ppq065_dequantize_uses_dequantized_and_restores() {
    let mut s = QuantizationSetting::for_platform(TargetPlatform::TrtInt8);
    s.state_model = ppq_playground::core::StateModel::Ppq065;
    let mut ctx = QuantizedGraph::new(graph(), TargetPlatform::TrtInt8, s).unwrap();
    let q = ctx.quantable_by_name("/c1/Conv").unwrap();
    let before: Vec<S> = q.config.iter().map(|t| ctx.store.get(t).unwrap().state()).collect();
    q.dequantize(&mut ctx).unwrap();
    assert!(q.config.iter().all(|t| ctx.store.get(t).unwrap().state() == S::DEQUANTIZED));
    q.restore_quantize_state(&mut ctx).unwrap();
    let after: Vec<S> = q.config.iter().map(|t| ctx.store.get(t).unwrap().state()).collect();
    assert_eq!(before, after);
}

/// PPQ's exporters test `can_export` on every TQC: FP32 (0.6.6's dequantized state) fails it, so the op's
/// configs are skipped — no Q/DQ around it, no TensorRT range from it, no `values` entry.
#[test]
fn exports_skip_a_dequantized_ops_configs() {
    let mut p = quantized();
    p.dequantize_op("/c2/Conv").unwrap();
    let records = p.records().unwrap();
    let tqcs = tqc_records(&records);
    let ctx = p.context();
    let mine: Vec<_> = tqcs.iter().filter(|t| t.op == "/c2/Conv").collect();
    assert_eq!(mine.len(), 4);
    assert!(mine.iter().all(|t| t.state == "FP32"));
    let input = ExportInput::new(&ctx.graph, &tqcs, &HashMap::new()).unwrap();
    for t in input.tqcs_of_op("/c2/Conv") {
        assert!(!t.can_export(true), "{}", t.record.id);
    }
    // QDQ: the weight stays a float initializer with no DequantizeLinear.
    let qdq = qdq_onnx(&input).unwrap();
    let g = import_onnx(&qdq).unwrap();
    let w = &mine.iter().find(|t| t.is_parameter && t.index == 1).unwrap().var;
    assert!(g.operations().all(|(_, o)| !(o.op_type == "DequantizeLinear" && g.var(o.outputs[0]).name.contains(w))));
    assert!(g.var_by_name(w).is_some_and(|v| matches!(g.var(v).value, Some(Tensor::F32(_)))));
    // The weight in the graph is the original fp32 value again.
    let original = graph();
    assert_eq!(param_bits(ctx, w), bits(original.var(original.var_by_name(w).unwrap()).value.as_ref().unwrap()));
    // onnx_cfg.json: the op's entries say FP32; TensorRT: its (non-shared) output has no range.
    let cfg: serde_json::Value = serde_json::from_str(&onnx_config_json(&input).unwrap()).unwrap();
    let entries = cfg["configs"]["/c2/Conv"].as_object().unwrap();
    assert!(entries.values().all(|e| e["state"] == "FP32"));
    let trt: serde_json::Value = serde_json::from_str(&trt_json(&input).unwrap()).unwrap();
    let out = &mine.iter().find(|t| t.io == "out").unwrap().var;
    let consumers_quantized = tqcs.iter().any(|t| t.var == *out && t.op != "/c2/Conv" && t.state != "FP32");
    if !consumers_quantized {
        assert!(trt["act_quant_info"].get(out).is_none(), "{out}");
    }
}

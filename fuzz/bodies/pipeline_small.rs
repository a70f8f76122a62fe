// The pipeline_small fuzz body, shared by fuzz/fuzz_targets/pipeline_small.rs (libFuzzer, native) and
// tests/wasm_fuzz.rs (wasm32 under Node). The includer defines `GOOD_SMALL` (the bytes of
// tests/corpus/models/good_small.onnx).
//
// The whole pre-quantization pipeline on mutations of a small valid model (tests/corpus/models/good_small.onnx:
// Conv → Relu → MaxPool → Flatten → Gemm). The fuzz bytes do not replace the file; they edit its fields — input
// dims, initializer dims and values, attribute ints, op types, wiring — so most runs are well-formed protobufs
// that reach validation, formatting, dispatch, an fp32 forward pass on zeros and then the full TRT INT8
// quantization pipeline (every pass) on one calibration sample. Any panic is a bug.

use ppq_playground::graph::Tensor;
use ppq_playground::graph::dispatch::dispatch_graph;
use ppq_playground::graph::executor::{Executor, NoHook};
use ppq_playground::graph::format::{FormatVersion, format_graph};
use ppq_playground::graph::onnx::ModelProto;
use ppq_playground::graph::validate::inspect_onnx;
use ppq_playground::core::platform::TargetPlatform;
use ppq_playground::pipeline::driver::Pipeline;
use ppq_playground::pipeline::passes::calibration::CalibrationData;
use ppq_playground::pipeline::setting::QuantizationSetting;
use prost::Message;

/// Keeps each run fast enough for a million executions.
const MAX_ELEMENTS: usize = 1 << 16;
const OP_TYPES: &[&str] = &[
    "Conv", "Relu", "MaxPool", "AveragePool", "Flatten", "Gemm", "MatMul", "Add", "Mul", "BatchNormalization",
    "ConvTranspose", "Reshape", "Transpose", "GlobalAveragePool", "Softmax", "Identity", "Concat", "Split", "Slice",
    "Pad", "Resize", "Clip", "Squeeze", "Unsqueeze", "ReduceMean", "Shape", "Gather", "Expand",
];
const INTERESTING: &[i64] = &[0, 1, 2, 3, -1, -2, 7, 64, 1 << 20, i64::MAX, i64::MIN];

/// Applies one edit per 4 bytes: (kind, target, value, value).
fn mutate(model: &mut ModelProto, data: &[u8]) {
    let Some(g) = model.graph.as_mut() else { return };
    for c in data.chunks_exact(4) {
        let (kind, t, v) = (c[0] % 8, usize::from(c[1]), i64::from(i16::from_le_bytes([c[2], c[3]])));
        let val = if c[2] & 0x80 != 0 { INTERESTING[usize::from(c[3]) % INTERESTING.len()] } else { v & 0xff };
        match kind {
            0 => {
                // A graph-input dim.
                use ppq_playground::graph::onnx::{tensor_shape_proto::dimension::Value, type_proto::Value as T};
                if let Some(T::TensorType(tt)) = g.input.first_mut().and_then(|i| i.r#type.as_mut()?.value.as_mut())
                    && let Some(s) = tt.shape.as_mut()
                    && !s.dim.is_empty()
                {
                    let k = t % s.dim.len();
                    s.dim[k].value = Some(Value::DimValue(val));
                }
            }
            1 => {
                // An initializer dim (values keep their count, so mismatches are also exercised).
                let n = g.initializer.len();
                if n > 0 && !g.initializer[t % n].dims.is_empty() {
                    let init = &mut g.initializer[t % n];
                    let k = usize::from(c[2]) % init.dims.len();
                    init.dims[k] = val;
                }
            }
            2 => {
                // An attribute int / ints entry.
                let nodes = g.node.len();
                if nodes > 0 {
                    let node = &mut g.node[t % nodes];
                    let na = node.attribute.len();
                    if na > 0 {
                        let a = &mut node.attribute[usize::from(c[2]) % na];
                        if a.ints.is_empty() {
                            a.i = Some(val);
                        } else {
                            let k = usize::from(c[3]) % a.ints.len();
                            a.ints[k] = val;
                        }
                    }
                }
            }
            3 => {
                let nodes = g.node.len();
                if nodes > 0 {
                    g.node[t % nodes].op_type = Some(OP_TYPES[usize::from(c[2]) % OP_TYPES.len()].to_string());
                }
            }
            4 => {
                // Rewire an input to another existing name (may create cycles or type clashes).
                let names: Vec<String> = g.node.iter().flat_map(|n| n.output.clone()).chain(g.initializer.iter().filter_map(|i| i.name.clone())).collect();
                let nodes = g.node.len();
                if nodes > 0 && !names.is_empty() {
                    let node = &mut g.node[t % nodes];
                    let name = names[usize::from(c[2]) % names.len()].clone();
                    match node.input.len() {
                        0 => node.input.push(name),
                        n => node.input[usize::from(c[3]) % n] = name,
                    }
                }
            }
            5 => {
                // Drop or duplicate an input slot.
                let nodes = g.node.len();
                if nodes > 0 {
                    let node = &mut g.node[t % nodes];
                    if c[2] & 1 == 0 {
                        node.input.pop();
                    } else if let Some(x) = node.input.first().cloned() {
                        node.input.push(x);
                    }
                }
            }
            6 => {
                // An initializer value: NaN, inf or a plain number.
                let n = g.initializer.len();
                if n > 0 && !g.initializer[t % n].float_data.is_empty() {
                    let init = &mut g.initializer[t % n];
                    let k = usize::from(c[2]) % init.float_data.len();
                    init.float_data[k] = [f32::NAN, f32::INFINITY, -1e30, 0.0][usize::from(c[3]) % 4];
                }
            }
            _ => {
                // Opset version.
                if let Some(o) = model.opset_import.first_mut() {
                    o.version = Some(val);
                }
                return;
            }
        }
    }
}

/// Edits good_small.onnx by `data`, then runs import → format → dispatch → fp32 → the TRT INT8 pipeline.
pub fn run(data: &[u8]) {
    let Ok(mut model) = ModelProto::decode(GOOD_SMALL) else { return };
    // Typed fields are easier to edit than raw_data.
    if let Some(g) = model.graph.as_mut() {
        for t in &mut g.initializer {
            if let Some(raw) = t.raw_data.take() {
                t.float_data = raw.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            }
        }
    }
    mutate(&mut model, data);
    let bytes = model.encode_to_vec();
    // `PPQ_FUZZ_DUMP=dir cargo fuzz run pipeline_small <input>` writes the mutated model, which is how crashes
    // become library-only regression files in tests/corpus/fuzz/.
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(dir) = std::env::var_os("PPQ_FUZZ_DUMP") {
        let _ = std::fs::write(std::path::Path::new(&dir).join("mutated.onnx"), &bytes);
    }
    let Ok((mut graph, report)) = inspect_onnx(&bytes) else { return };
    let outputs: usize = graph.operations().map(|(_, op)| op.outputs.len()).sum();
    let small = |s: &Vec<Option<usize>>| {
        s.iter().try_fold(1usize, |a, d| d.and_then(|d| a.checked_mul(d))).is_some_and(|n| n <= MAX_ELEMENTS)
    };
    if format_graph(&mut graph, FormatVersion::V066).is_err() {
        return;
    }
    let mut dispatched = graph.clone();
    dispatch_graph(&mut dispatched, &["Conv", "Gemm", "MatMul", "Add", "Relu"], &[]);
    // Execute only when every op output has a small, fully inferred shape.
    if report.shapes.len() < outputs || !report.shapes.iter().all(|t| t.shape.as_ref().is_some_and(small)) {
        return;
    }
    let mut feeds = Vec::new();
    for input in &report.inputs {
        let Some(shape) = input.shape.as_ref().and_then(|s| s.iter().copied().collect::<Option<Vec<usize>>>()) else {
            return;
        };
        if !small(&input.shape.clone().unwrap_or_default()) || input.dtype.is_some_and(|d| d != 1) {
            return;
        }
        feeds.push((input.name.as_str(), Tensor::F32(ndarray::ArrayD::zeros(ndarray::IxDyn(&shape)))));
    }
    let Ok(exec) = Executor::new(&dispatched) else { return };
    if exec.forward(&feeds, None, &mut NoHook).is_err() {
        return;
    }
    // The real quantization pipeline (TRT INT8, every pass) with one calibration sample of small values.
    let [input] = report.inputs.as_slice() else { return };
    let Some(shape) = input.shape.as_ref().and_then(|s| s.iter().copied().collect::<Option<Vec<usize>>>()) else {
        return;
    };
    let n: usize = shape.iter().product();
    let sample: Vec<f32> = (0..n).map(|i| ((i * 7919) % 255) as f32 / 127.0 - 1.0).collect();
    let Ok(calib) = CalibrationData::single_input(&input.name, &shape, &[sample]) else { return };
    let platform = TargetPlatform::TrtInt8;
    let Ok(mut pipeline) = Pipeline::new(graph, platform, QuantizationSetting::for_platform(platform)) else { return };
    let _ = pipeline.run_all(&calib);
}

//! Workloads shared by the native criterion benches (`benches/`) and the browser bench page
//! (`src/bin/bench-wasm.rs`), so both time exactly the same code on the same data.
//!
//! [`quantize`] is the whole quantize as PPQ's `quantize_onnx_model` does it (every pass of
//! `Pipeline::run_all`, calibration included); [`calibrate_minmax`] is its calibration part alone: the fp32
//! executor over every sample with a minmax observer on each float activation.

use crate::core::QuantizationPolicy;
use crate::core::StateModel;
use crate::core::error::QuantError;
use crate::core::observer::{Observer, ObserverTarget, create_observer};
use crate::core::platform::TargetPlatform;
use crate::graph::executor::{ExecutionHook, Executor, NoHook};
use crate::graph::format::{FormatVersion, format_graph};
use crate::graph::import::import_onnx;
use crate::graph::{BaseGraph, GraphError, OpId, Tensor, VarId};
use crate::pipeline::{CalibrationData, Pipeline, PipelineError, QuantizationSetting};
use ndarray::{ArrayD, IxDyn};
use std::collections::HashMap;

/// PPQ's int8 per-tensor symmetric linear policy (`PER_TENSOR | LINEAR | SYMMETRICAL`).
pub const POLICY_PER_TENSOR_SYM: u32 = 0x15;
/// PPQ's int8 per-channel symmetric linear policy (`PER_CHANNEL | LINEAR | SYMMETRICAL`).
pub const POLICY_PER_CHANNEL_SYM: u32 = 0x16;

/// An int8 symmetric observer target, per tensor or per channel along axis 0.
pub fn int8_target(per_channel: bool) -> ObserverTarget {
    let bits = if per_channel { POLICY_PER_CHANNEL_SYM } else { POLICY_PER_TENSOR_SYM };
    let policy = QuantizationPolicy::new(bits, StateModel::Ppq066).expect("a valid 0.6.6 policy");
    let t = ObserverTarget::new(policy, -128, 127, 8);
    if per_channel { t.with_channel_axis(0) } else { t }
}

/// An observer ready for timed `observe` calls. For `kl` (4096 bins) and `mse` (2048 bins) the first phase has
/// already seen `data`, so further calls time the histogram (PPQ's `torch.histc`) pass.
pub fn ready_observer(algorithm: &str, data: &[f32], shape: &[usize]) -> Result<Box<dyn Observer>, QuantError> {
    let per_channel = shape.len() > 1 && algorithm == "minmax";
    let mut o = create_observer(algorithm, int8_target(per_channel))?;
    if o.needs_second_phase() {
        o.observe(data, shape)?;
        o.start_second_phase()?;
    }
    Ok(o)
}

/// Calibration hook: one minmax observer per float activation (every op output), fed on every run.
#[derive(Default)]
pub struct ActivationMinMax {
    observers: HashMap<VarId, Box<dyn Observer>>,
}

impl ActivationMinMax {
    /// How many activations have an observer.
    pub fn len(&self) -> usize {
        self.observers.len()
    }

    /// Whether nothing was observed yet.
    pub fn is_empty(&self) -> bool {
        self.observers.is_empty()
    }

    /// Renders every observer (scale and offset), as the calibration pass does at its end.
    pub fn render_all(&self) -> Result<usize, QuantError> {
        self.observers.values().try_fold(0, |n, o| o.render().map(|_| n + 1))
    }
}

impl ExecutionHook for ActivationMinMax {
    fn wants_inputs(&self, _: &BaseGraph, _: OpId) -> bool {
        false
    }

    fn after_op(&mut self, graph: &BaseGraph, op: OpId, outputs: &mut [Tensor]) -> Result<(), GraphError> {
        for (&v, t) in graph.op(op).outputs.iter().zip(outputs.iter()) {
            let Tensor::F32(a) = t else { continue };
            let Some(data) = a.as_slice() else { continue };
            let o = match self.observers.entry(v) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(
                    create_observer("minmax", int8_target(false)).map_err(|e| GraphError::Invalid(e.to_string()))?,
                ),
            };
            o.observe(data, a.shape()).map_err(|e| GraphError::Invalid(e.to_string()))?;
        }
        Ok(())
    }
}

/// Imports an ONNX model and formats it as PPQ 0.6.6 does before quantizing.
pub fn prepare_graph(bytes: &[u8]) -> Result<BaseGraph, GraphError> {
    let mut g = import_onnx(bytes)?;
    format_graph(&mut g, FormatVersion::V066)?;
    Ok(g)
}

/// The name and shape of the graph's first input (batch dimension set to 1 when symbolic).
pub fn first_input(graph: &BaseGraph) -> Result<(String, Vec<usize>), GraphError> {
    let id = *graph.inputs.first().ok_or_else(|| GraphError::Invalid("the graph has no input".into()))?;
    let var = graph.var(id);
    let dims = var.shape.as_ref().ok_or_else(|| GraphError::Invalid(format!("input '{}' has no shape", var.name)))?;
    let shape = dims
        .iter()
        .map(|d| match d {
            crate::graph::ir::Dim::Value(v) if *v > 0 => *v as usize,
            _ => 1,
        })
        .collect();
    Ok((var.name.clone(), shape))
}

/// A deterministic input tensor of `shape` (values in about [−1, 1)).
pub fn random_tensor(shape: &[usize], seed: u32) -> Tensor {
    let n = shape.iter().product();
    let data = crate::core::kernels::bench_workload(n, seed).into_iter().map(|x| x / 4.0).collect();
    Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), data).expect("length matches shape"))
}

/// One fp32 inference of `graph` on `input` (fed as `name`); returns the first output's element count.
pub fn infer(exec: &Executor<'_>, name: &str, input: &Tensor) -> Result<usize, GraphError> {
    let out = exec.forward(&[(name, input.clone())], None, &mut NoHook)?;
    Ok(out.first().map_or(0, Tensor::len))
}

/// Minmax calibration of every activation over `samples` (each a flat batch-1 input of `shape`):
/// import + format + one forward per sample + render. Returns the number of calibrated activations.
pub fn calibrate_minmax(model: &[u8], samples: &[&[f32]]) -> Result<usize, GraphError> {
    let graph = prepare_graph(model)?;
    let (name, shape) = first_input(&graph)?;
    let exec = Executor::new(&graph)?;
    let mut hook = ActivationMinMax::default();
    for s in samples {
        let t = Tensor::F32(
            ArrayD::from_shape_vec(IxDyn(&shape), s.to_vec())
                .map_err(|e| GraphError::Invalid(format!("sample does not fit {shape:?}: {e}")))?,
        );
        exec.forward(&[(name.as_str(), t)], None, &mut hook)?;
    }
    hook.render_all().map_err(|e| GraphError::Invalid(e.to_string()))
}

/// The whole quantize of `model` as the Python peer calls PPQ 0.6.6 (`scripts/bench/peers.py`): TRT_INT8 with
/// the platform's setting, minmax calibration, `calib_steps` = the sample count; import + format + dispatch +
/// every pass of [`Pipeline::run_all`]. Returns the number of passes run.
pub fn quantize(model: &[u8], samples: &[&[f32]]) -> Result<usize, PipelineError> {
    let mut setting = QuantizationSetting::for_platform(TargetPlatform::TrtInt8);
    setting.quantize_activation_setting.calib_algorithm = Some("minmax".into());
    setting.quantize_activation_setting.calib_steps = u32::try_from(samples.len()).unwrap_or(u32::MAX);
    let mut pipeline = Pipeline::from_onnx(model, TargetPlatform::TrtInt8, setting)?;
    let (name, shape) = first_input(&pipeline.context().graph)?;
    let owned: Vec<Vec<f32>> = samples.iter().map(|s| s.to_vec()).collect();
    let calib = CalibrationData::single_input(&name, &shape, &owned)?;
    Ok(pipeline.run_all(&calib)?.len())
}

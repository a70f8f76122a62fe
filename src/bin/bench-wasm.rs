//! The browser bench's wasm entry (wasm32 only; on native its main just explains that).
//!
//! `scripts/bench-web.sh` builds it twice (with and without simd128) for `bench/index.html`. Every workload
//! lives in wasm memory (the guide measured a Float32Array round trip at ~4× the kernel), and JS times each
//! exported call with `performance.now()`: the calls are milliseconds long, so the crossing is noise.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("bench-wasm is the browser bench: run scripts/bench-web.sh, then node bench/run.mjs.");
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(target_arch = "wasm32")]
mod web {
    use ppq_playground::bench::{calibrate_minmax, first_input, infer, prepare_graph, random_tensor, ready_observer};
    use ppq_playground::core::RoundingPolicy;
    use ppq_playground::core::kernels::{KernelPath, LinearQuantParams, bench_workload, fake_quant_with};
    use ppq_playground::core::observer::Observer;
    use ppq_playground::graph::executor::{ExecutionHook, Executor};
    use ppq_playground::graph::{BaseGraph, GraphError, OpId, Tensor};
    use std::hint::black_box;
    use wasm_bindgen::prelude::*;

    /// Whether this build has simd128 (the page shows which build it runs).
    #[wasm_bindgen]
    pub fn simd128() -> bool {
        cfg!(target_feature = "simd128")
    }

    /// A tensor workload held in wasm memory, with an output buffer of the same size.
    #[wasm_bindgen]
    pub struct Workload {
        input: Vec<f32>,
        output: Vec<f32>,
        channels: usize,
        scales: Vec<f32>,
        offsets: Vec<f32>,
        observer: Option<Box<dyn Observer>>,
        observer_shape: Vec<usize>,
    }

    #[wasm_bindgen]
    impl Workload {
        /// `len` pseudo-random f32 (the kernels' `bench_workload`) and `channels` per-channel parameters.
        #[wasm_bindgen(constructor)]
        pub fn new(len: usize, channels: usize) -> Workload {
            Workload {
                input: bench_workload(len, 42),
                output: vec![0.0; len],
                channels,
                scales: (0..channels).map(|i| 0.01 + i as f32 * 0.001).collect(),
                offsets: vec![0.0; channels],
                observer: None,
                observer_shape: Vec::new(),
            }
        }

        /// Copies input to output inside wasm memory (the wasm memory ceiling).
        pub fn copy(&mut self) {
            self.output.copy_from_slice(black_box(&self.input));
        }

        /// Per-tensor int8 fake-quant, out of place; `simd` picks the explicit lanes (else the scalar oracle).
        pub fn fake_quant_per_tensor(&mut self, simd: bool) -> Result<(), JsError> {
            let (s, o) = ([1.0f32 / 32.0], [0.0f32]);
            let p = LinearQuantParams::new(&s, &o, -128, 127, RoundingPolicy::ROUND_HALF_EVEN, None)?;
            let path = if simd { KernelPath::Simd } else { KernelPath::Scalar };
            fake_quant_with(path, black_box(&self.input), &mut self.output, &[self.input.len()], &p)?;
            Ok(())
        }

        /// Per-channel int8 fake-quant along axis 0 of [channels, len/channels], out of place.
        pub fn fake_quant_per_channel(&mut self, simd: bool) -> Result<(), JsError> {
            let p = LinearQuantParams::new(
                &self.scales,
                &self.offsets,
                -128,
                127,
                RoundingPolicy::ROUND_HALF_EVEN,
                Some(0),
            )?;
            let path = if simd { KernelPath::Simd } else { KernelPath::Scalar };
            let shape = [self.channels, self.input.len() / self.channels];
            fake_quant_with(path, black_box(&self.input), &mut self.output, &shape, &p)?;
            Ok(())
        }

        /// Prepares observer `algorithm` (`minmax`, `minmax_channel`, `kl` = 4096-bin histogram, `mse` =
        /// 2048-bin histogram, `percentile`) on this workload; [`Workload::observe`] then times one batch.
        pub fn prepare_observer(&mut self, algorithm: &str) -> Result<(), JsError> {
            let (name, shape) = match algorithm {
                "minmax_channel" => ("minmax", vec![self.channels, self.input.len() / self.channels]),
                other => (other, vec![self.input.len()]),
            };
            self.observer = Some(ready_observer(name, &self.input, &shape)?);
            self.observer_shape = shape;
            Ok(())
        }

        /// Feeds the workload once to the prepared observer.
        pub fn observe(&mut self) -> Result<(), JsError> {
            let o = self.observer.as_mut().ok_or_else(|| JsError::new("call prepare_observer first"))?;
            o.observe(black_box(&self.input), &self.observer_shape)?;
            Ok(())
        }
    }

    /// An imported, formatted model with a fixed random input, for fp32 latency.
    #[wasm_bindgen]
    pub struct Model {
        graph: Box<BaseGraph>,
        input_name: String,
        input: Tensor,
    }

    #[wasm_bindgen]
    impl Model {
        /// Imports and formats `bytes` (ONNX) as PPQ 0.6.6 does.
        #[wasm_bindgen(constructor)]
        pub fn new(bytes: &[u8]) -> Result<Model, JsError> {
            let graph = Box::new(prepare_graph(bytes)?);
            let (input_name, shape) = first_input(&graph)?;
            let input = random_tensor(&shape, 7);
            Ok(Model { graph, input_name, input })
        }

        /// The input's shape.
        pub fn input_shape(&self) -> Vec<u32> {
            self.input.shape().iter().map(|&d| d as u32).collect()
        }

        /// One fp32 inference with a timer around every op: JSON `{op_type: [ms, count], ...}` (profile evidence
        /// for BENCHMARKS.md; the timer is coarsened to 0.1 ms without cross-origin isolation, so sum over runs).
        pub fn profile(&self, runs: usize) -> Result<String, JsError> {
            let exec = Executor::new(&self.graph)?;
            let mut hook = OpTimer::default();
            for _ in 0..runs {
                exec.forward(&[(self.input_name.as_str(), self.input.clone())], None, &mut hook)?;
            }
            let map: std::collections::BTreeMap<&str, (f64, usize)> =
                hook.per_type.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            Ok(serde_json::to_string(&map)?)
        }

        /// One fp32 inference; returns the first output's element count.
        pub fn run(&self) -> Result<usize, JsError> {
            let exec = Executor::new(&self.graph)?;
            Ok(infer(&exec, &self.input_name, &self.input)?)
        }
    }

    /// Times every op (before_op → after_op) by op type.
    #[derive(Default)]
    struct OpTimer {
        start: f64,
        per_type: std::collections::HashMap<String, (f64, usize)>,
    }

    fn now() -> f64 {
        web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
    }

    impl ExecutionHook for OpTimer {
        fn wants_inputs(&self, _: &BaseGraph, _: OpId) -> bool {
            false
        }

        fn before_op(&mut self, _: &BaseGraph, _: OpId, _: &mut [Option<Tensor>]) -> Result<(), GraphError> {
            self.start = now();
            Ok(())
        }

        fn after_op(&mut self, g: &BaseGraph, op: OpId, _: &mut [Tensor]) -> Result<(), GraphError> {
            let op = g.op(op);
            let key = if op.op_type == "Conv" {
                let group = op.attributes.int_or("group", 1).unwrap_or(1);
                let k = g.var(op.inputs[1]).value.as_ref().map_or(0, |w| w.shape().get(2).copied().unwrap_or(0));
                format!("Conv{k}x{k}{}", if group > 1 { " depthwise" } else { "" })
            } else {
                op.op_type.clone()
            };
            let e = self.per_type.entry(key).or_default();
            e.0 += now() - self.start;
            e.1 += 1;
            Ok(())
        }
    }

    /// Import + format + minmax calibration of every activation over `samples` (n flat batch-1 inputs
    /// concatenated). Returns the number of calibrated activations.
    #[wasm_bindgen]
    pub fn calibrate(model: &[u8], samples: &[f32], n: usize) -> Result<usize, JsError> {
        if n == 0 || !samples.len().is_multiple_of(n) {
            return Err(JsError::new("samples must hold n equal-size inputs"));
        }
        let per = samples.len() / n;
        let batches: Vec<&[f32]> = samples.chunks_exact(per).collect();
        Ok(calibrate_minmax(model, &batches)?)
    }

    /// The whole quantize (PPQ's `quantize_onnx_model`: TRT_INT8, minmax, every pass) over `samples` (n flat
    /// batch-1 inputs concatenated). Returns the number of passes run.
    #[wasm_bindgen]
    pub fn quantize(model: &[u8], samples: &[f32], n: usize) -> Result<usize, JsError> {
        if n == 0 || !samples.len().is_multiple_of(n) {
            return Err(JsError::new("samples must hold n equal-size inputs"));
        }
        let per = samples.len() / n;
        let batches: Vec<&[f32]> = samples.chunks_exact(per).collect();
        ppq_playground::bench::quantize(model, &batches).map_err(|e| JsError::new(&e.to_string()))
    }
}

//! The quantized graph every pass works on: PPQ keeps TQCs inside `QuantableOperation`s of the graph;
//! we keep the plain [`BaseGraph`] plus a [`TqcStore`], one [`OperationQuantizationConfig`] per
//! quantable op, and the fp32 parameter values PPQ saves with `store_parameter_value` (spec §13.3.5).

use super::error::PipelineError;
use super::quantizer::{OpAttrs, OpDesc, QuantizerKind, TqcSpec};
use super::record::tqc_id;
use super::setting::QuantizationSetting;
use ppq_core::op_config::OperationQuantizationConfig;
use ppq_core::platform::TargetPlatform;
use ppq_core::state::StateModel;
use ppq_core::tqc::{TensorQuantizationConfig, TqcId, TqcStore};
use ppq_graph::dispatch::{Dispatcher, dispatch_graph_with, resolve_platforms};
use ppq_graph::{BaseGraph, OpId, Operation, QuantableOperation, QuantableOperationCopy, Tensor, VarId};
use std::collections::{BTreeMap, HashMap};

/// The graph under quantization with everything the passes read and write.
#[derive(Debug, Clone)]
pub struct QuantizedGraph {
    /// The graph; parameter values are baked in place by ParameterBakingPass.
    pub graph: BaseGraph,
    /// Every TQC, and the log of their state changes.
    pub store: TqcStore,
    /// The config of each quantable op (ops whose platform is neither FP32 nor SOI).
    pub configs: BTreeMap<OpId, OperationQuantizationConfig>,
    /// fp32 copies of the parameters of quantable ops, taken when the op was quantized.
    pub stored_values: HashMap<VarId, Tensor>,
    /// The setting the pipeline runs with.
    pub setting: QuantizationSetting,
    /// The quantizer that created the configs.
    pub quantizer: QuantizerKind,
    /// The target platform.
    pub platform: TargetPlatform,
    /// PPQ's executing order (`graph.topological_sort()`), also the order of `tqc.json`.
    pub order: Vec<OpId>,
}

impl QuantizedGraph {
    /// Dispatches `graph` (conservative dispatcher), resolves UNSPECIFIED platforms (§13.3.5), then turns
    /// every op not on FP32/SOI into a quantable op with the quantizer's `init_quantize_config`, storing
    /// its fp32 parameters. `graph` must already be formatted.
    pub fn new(
        graph: BaseGraph,
        platform: TargetPlatform,
        setting: QuantizationSetting,
    ) -> Result<Self, PipelineError> {
        Self::with_dispatching(graph, platform, setting, &[])
    }

    /// [`QuantizedGraph::new`] with PPQ's `dispatching_table`: each `(op name, platform)` overrides the
    /// dispatcher before the quantizer creates configs, which is how PPQ users keep a sensitive layer in float
    /// (`TargetPlatform::Fp32`). PPQ ignores names that are not in the graph; we refuse them, since a typo
    /// would otherwise quantize the layer the user meant to keep in float.
    pub fn with_dispatching(
        mut graph: BaseGraph,
        platform: TargetPlatform,
        setting: QuantizationSetting,
        dispatching_table: &[(String, TargetPlatform)],
    ) -> Result<Self, PipelineError> {
        setting.validate()?;
        if let Some((name, _)) = dispatching_table.iter().find(|(n, _)| graph.op_by_name(n).is_none()) {
            return Err(PipelineError::InvalidSetting(format!(
                "dispatching table names op '{name}', which is not in the (formatted) graph"
            )));
        }
        let model = setting.state_model;
        let quantizer = QuantizerKind::from_platform(platform).ok_or_else(|| {
            PipelineError::InvalidSetting(format!(
                "platform {} has no quantizer in the {model} profile (known: {})",
                platform.name(),
                QuantizerKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
            ))
        })?;
        let quant_types = quantizer.quant_operation_types(model);
        let dispatcher = match model {
            StateModel::Ppq066 => Dispatcher::Conservative,
            StateModel::Ppq065 => Dispatcher::Conservative065,
        };
        dispatch_graph_with(&mut graph, dispatcher, &quant_types, dispatching_table);
        // ops take the quantizer's own target platform (SNPE_INT8 → PPL_DSP_INT8 ops, as PPQ dispatches)
        resolve_platforms(&mut graph, quantizer.op_platform().unwrap_or(platform), &quant_types);
        let order = graph.topological_sort()?;
        let mut ctx = Self {
            graph,
            store: TqcStore::new(model),
            configs: BTreeMap::new(),
            stored_values: HashMap::new(),
            setting,
            quantizer,
            platform,
            order,
        };
        let ops: Vec<OpId> = ctx.graph.op_ids();
        for id in ops {
            let p = ctx.graph.op(id).platform;
            if p != TargetPlatform::Fp32 && p != TargetPlatform::Soi {
                ctx.quantize_op(id)?;
            }
        }
        let bits = ctx.setting.bit_width.clone();
        super::bit_width::apply(&mut ctx, &bits)?;
        Ok(ctx)
    }

    /// `init_quantize_config` + `QuantableOperation(...)` + `store_parameter_value` for one op.
    fn quantize_op(&mut self, id: OpId) -> Result<(), PipelineError> {
        let desc = op_desc(&self.graph, id);
        let spec = self.quantizer.init_quantize_config(&desc, self.setting.state_model)?;
        let op = self.graph.op(id).clone();
        let mut add = |is_input: bool, i: usize, var: VarId, s: &TqcSpec| -> Result<TqcId, PipelineError> {
            let v = self.graph.var(var);
            let label = tqc_id(&op.name, is_input, i, &v.name);
            // A non-float tensor (an int64 `axes`, shape or index input) is never quantized: its TQC starts
            // FP32. (PPQ 0.6.6 offers such a parameter to its quantizer and fake-quantizes it on the
            // platforms whose socket leaves it INITIAL, e.g. PPL_DSP_INT8; the playground deliberately does
            // not, as a dequantized float `axes` is no longer an index.)
            // ONNX integer and bool element types (float16/bfloat16/double import as float32 and stay quantable)
            const INTEGRAL: [i32; 9] = [2, 3, 4, 5, 6, 7, 9, 12, 13];
            let non_float = v.value.as_ref().is_some_and(|t| !matches!(t, Tensor::F32(_)))
                || v.dtype.is_some_and(|d| INTEGRAL.contains(&d));
            // Classic profile: PPQ 0.6.5.1 keeps such TQCs INITIAL and our 0.6.5 passes already never
            // fake-quantize them (the shared models' Slice/Resize inputs match PPQ there), so only 0.6.6.
            let model = self.setting.state_model;
            if non_float && model == StateModel::Ppq066 && s.state != ppq_core::QuantizationStates::FP32 {
                let mut s = s.clone();
                s.state = ppq_core::QuantizationStates::FP32;
                return Ok(self.store.add(tqc_from_spec(label, &s)?)?);
            }
            Ok(self.store.add(tqc_from_spec(label, s)?)?)
        };
        let mut inputs = Vec::with_capacity(op.inputs.len());
        for (i, (&v, s)) in op.inputs.iter().zip(&spec.inputs).enumerate() {
            inputs.push(add(true, i, v, s)?);
        }
        let mut outputs = Vec::with_capacity(op.outputs.len());
        for (i, (&v, s)) in op.outputs.iter().zip(&spec.outputs).enumerate() {
            outputs.push(add(false, i, v, s)?);
        }
        let mut cfg = OperationQuantizationConfig::new(inputs, outputs);
        let passive = crate::quantizer::socket::passive_operations(self.setting.quirks, self.setting.state_model);
        cfg.is_active_quant_op = !passive.contains(&op.op_type.as_str());
        let q = QuantableOperation::new(&self.graph, id, cfg)?;
        q.store_parameter_value(&self.graph, &mut self.stored_values);
        self.configs.insert(id, q.config);
        Ok(())
    }

    /// The config of a quantable op.
    pub fn config(&self, op: OpId) -> Option<&OperationQuantizationConfig> {
        self.configs.get(&op)
    }

    /// Whether `op` is a QuantableOperation.
    pub fn is_quantable(&self, op: OpId) -> bool {
        self.configs.contains_key(&op)
    }

    /// A QuantableOperation view of `op`, if it is one.
    pub fn quantable(&self, op: OpId) -> Option<QuantableOp> {
        self.configs.get(&op).map(|c| QuantableOp { op, config: c.clone() })
    }

    /// The QuantableOperation named `name`; the error says whether the op is missing or not quantized.
    pub fn quantable_by_name(&self, name: &str) -> Result<QuantableOp, PipelineError> {
        let id = self
            .graph
            .op_by_name(name)
            .ok_or_else(|| PipelineError::InvalidSetting(format!("no op named '{name}' in the graph")))?;
        self.quantable(id).ok_or_else(|| {
            let p = self.graph.op(id).platform.name();
            PipelineError::InvalidSetting(format!("op '{name}' is not a QuantableOperation (platform {p})"))
        })
    }

    /// PPQ's `QuantableGraph.dequantize_graph()`: every quantable op dequantized (the fp32 graph).
    pub fn dequantize_graph(&mut self) -> Result<(), PipelineError> {
        for op in self.quantable_ops() {
            if let Some(q) = self.quantable(op) {
                q.dequantize(self)?;
            }
        }
        Ok(())
    }

    /// PPQ's `QuantableGraph.restore_quantize_state()`: every quantable op restored.
    pub fn restore_quantize_state(&mut self) -> Result<(), PipelineError> {
        for op in self.quantable_ops() {
            if let Some(q) = self.quantable(op) {
                q.restore_quantize_state(self)?;
            }
        }
        Ok(())
    }

    /// Quantable ops in executing order.
    pub fn quantable_ops(&self) -> Vec<OpId> {
        self.order.iter().copied().filter(|o| self.is_quantable(*o)).collect()
    }

    /// The op behind an id.
    pub fn op(&self, op: OpId) -> &Operation {
        self.graph.op(op)
    }

    /// Input TQC `i` of a quantable op.
    pub fn input_tqc(&self, op: OpId, i: usize) -> Option<TqcId> {
        self.configs.get(&op).and_then(|c| c.input_quantization_config.get(i).copied())
    }

    /// Output TQC `i` of a quantable op.
    pub fn output_tqc(&self, op: OpId, i: usize) -> Option<TqcId> {
        self.configs.get(&op).and_then(|c| c.output_quantization_config.get(i).copied())
    }

    /// PPQ's `config_with_variable`: each TQC with its variable, inputs first then outputs.
    pub fn config_with_variable(&self, op: OpId) -> Vec<(TqcId, VarId)> {
        let Some(cfg) = self.configs.get(&op) else { return Vec::new() };
        let o = self.graph.op(op);
        let ins = cfg.input_quantization_config.iter().copied().zip(o.inputs.iter().copied());
        ins.chain(cfg.output_quantization_config.iter().copied().zip(o.outputs.iter().copied())).collect()
    }

    /// A TQC's label (PPQ `self` id) for messages.
    pub fn label(&self, id: TqcId) -> String {
        self.store.get(id).map_or_else(|_| format!("#{}", id.0), |t| t.label().to_string())
    }
}

/// The pipeline's handle on a QuantableOperation: an op id and (a copy of) its config. The semantics live in
/// [`QuantableOperation`] (graph layer); these methods hand it the pieces of a [`QuantizedGraph`].
#[derive(Debug, Clone, PartialEq)]
pub struct QuantableOp {
    /// The op.
    pub op: OpId,
    /// Its TQCs.
    pub config: OperationQuantizationConfig,
}

impl QuantableOp {
    fn operation(&self) -> QuantableOperation {
        QuantableOperation { op: self.op, config: self.config.clone() }
    }

    /// `baking_parameters` (spec §6.8): ACTIVATED → BAKED, PASSIVE → PASSIVE_BAKED, values fake-quantized.
    pub fn baking_parameters(&self, ctx: &mut QuantizedGraph) -> Result<(), PipelineError> {
        Ok(self.operation().baking_parameters(&mut ctx.graph, &mut ctx.store)?)
    }

    /// `dequantize()` (spec §2.3): TQCs to FP32/DEQUANTIZED, stored fp32 parameters swapped in; idempotent.
    pub fn dequantize(&self, ctx: &mut QuantizedGraph) -> Result<(), PipelineError> {
        Ok(self.operation().dequantize(&mut ctx.graph, &mut ctx.store, &mut ctx.stored_values)?)
    }

    /// `restore_quantize_state()`: remembered states and baked parameters back; no-op if not dequantized.
    pub fn restore_quantize_state(&self, ctx: &mut QuantizedGraph) -> Result<(), PipelineError> {
        Ok(self.operation().restore_quantize_state(&mut ctx.graph, &mut ctx.store, &mut ctx.stored_values)?)
    }

    /// Whether the op is currently dequantized.
    pub fn is_dequantized(&self, ctx: &QuantizedGraph) -> bool {
        self.operation().is_dequantized(&ctx.store)
    }

    /// `copy()`: the op's basic information and a config of new TQCs (added to `ctx.store`).
    pub fn copy(&self, ctx: &mut QuantizedGraph) -> Result<QuantableOperationCopy, PipelineError> {
        Ok(self.operation().copy(&ctx.graph, &mut ctx.store)?)
    }
}

/// What the quantizer needs to know about an op.
fn op_desc(g: &BaseGraph, id: OpId) -> OpDesc {
    let op = g.op(id);
    let a = &op.attributes;
    let params: Vec<bool> = op.inputs.iter().map(|&v| g.var(v).is_parameter).collect();
    let mut d = OpDesc::new(&op.name, &op.op_type, &params, op.outputs.len());
    d.attrs = OpAttrs {
        group: a.int_or("group", 1).ok().filter(|_| a.has("group")),
        kernel_shape: a.ints("kernel_shape").ok().flatten(),
        strides: a.ints("strides").ok().flatten(),
        dilations: a.ints("dilations").ok().flatten(),
        trans_b: a.int_or("transB", 0).ok().filter(|_| a.has("transB")),
        alpha: a.float_or("alpha", 1.0).ok().filter(|_| a.has("alpha")).map(f64::from),
        beta: a.float_or("beta", 1.0).ok().filter(|_| a.has("beta")).map(f64::from),
    };
    d
}

/// A TQC built from the quantizer's spec (PPQ's `TensorQuantizationConfig(...)` constructor call).
fn tqc_from_spec(label: String, s: &TqcSpec) -> Result<TensorQuantizationConfig, PipelineError> {
    let mut t = TensorQuantizationConfig::new(label.clone(), s.policy);
    t.set_rounding(s.rounding);
    t.set_num_of_bits(s.num_of_bits)?;
    let narrow = |v: i64| {
        i32::try_from(v).map_err(|_| PipelineError::InvalidSetting(format!("{label}: quant range {v} exceeds i32")))
    };
    t.set_quant_range(narrow(s.quant_min)?, narrow(s.quant_max)?)?;
    if s.exponent_bits != 0 {
        t.set_exponent_bits(s.exponent_bits)?;
    }
    if let Some(axis) = s.channel_axis {
        t.set_channel_axis(Some(narrow(axis)?))?;
    }
    t.set_observer_algorithm(Some(s.observer_algorithm.clone()));
    t.set_visibility(s.visibility);
    Ok(t.with_state(s.state))
}

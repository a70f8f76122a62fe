//! RuntimeCalibrationPass (`optim/calibration.py`, spec §5.8/§13.4): observers on every INITIAL TQC of
//! the quantable ops watch the calibration batches through executor hooks, then render
//! (INITIAL → ACTIVATED). kl/mse observers need a second pass over the data, during which the TQCs
//! finished in phase 1 already fake-quantize.

use super::super::context::QuantizedGraph;
use super::super::error::PipelineError;
use super::super::simulate::apply_if_active;
use super::PassKind;
use ppq_core::QuantizationStates as S;
use ppq_core::observer::{Observer, ObserverTarget, ScaleOffset, create_observer};
use ppq_core::tqc::{QuantParams, TqcId};
use ppq_core::{QuantError, QuantizationProperty};
use ppq_graph::executor::{ExecutionHook, Executor};
use ppq_graph::ir::Dim;
use ppq_graph::{BaseGraph, GraphError, OpId, Tensor};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Calibration batches: each batch gives a value to every graph input, by name (PPQ's dataloader).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CalibrationData {
    /// The batches, in the order the dataloader yields them.
    pub batches: Vec<Vec<(String, Tensor)>>,
}

impl CalibrationData {
    /// One-input data as the reference `<model>_calib.json` stores it: flat float samples of `shape`.
    /// Errors name the input when a sample does not have `shape`'s element count.
    pub fn single_input(input: &str, shape: &[usize], samples: &[Vec<f32>]) -> Result<Self, PipelineError> {
        let mut batches = Vec::with_capacity(samples.len());
        for (i, s) in samples.iter().enumerate() {
            let arr = ndarray::ArrayD::from_shape_vec(shape.to_vec(), s.clone()).map_err(|e| {
                PipelineError::Calibration { input: input.to_string(), why: format!("sample {i}: {e}") }
            })?;
            batches.push(vec![(input.to_string(), Tensor::F32(arr))]);
        }
        Ok(Self { batches })
    }

    /// Checks every batch against the graph: each input given, declared shape respected, values finite.
    pub fn validate(&self, g: &BaseGraph) -> Result<(), PipelineError> {
        let bad = |input: &str, why: String| PipelineError::Calibration { input: input.to_string(), why };
        if self.batches.is_empty() {
            let name = g.inputs.first().map(|&v| g.var(v).name.clone()).unwrap_or_default();
            return Err(bad(&name, "no calibration batches".into()));
        }
        for (b, batch) in self.batches.iter().enumerate() {
            for &i in &g.inputs {
                let var = g.var(i);
                if var.dest_ops.is_empty() {
                    continue;
                }
                let Some((_, t)) = batch.iter().find(|(n, _)| *n == var.name) else {
                    return Err(bad(&var.name, format!("batch {b} has no value for it")));
                };
                if let Some(dims) = &var.shape {
                    let ok = dims.len() == t.shape().len()
                        && dims.iter().zip(t.shape()).all(|(d, &s)| !matches!(d, Dim::Value(v) if *v != s as i64));
                    if !ok {
                        return Err(bad(&var.name, format!("batch {b}: expected shape {dims:?}, got {:?}", t.shape())));
                    }
                }
                if let Tensor::F32(a) = t
                    && a.iter().any(|x| !x.is_finite())
                {
                    return Err(bad(&var.name, format!("batch {b} contains NaN or infinite values")));
                }
            }
        }
        Ok(())
    }

    fn feeds(batch: &[(String, Tensor)]) -> Vec<(&str, Tensor)> {
        batch.iter().map(|(n, t)| (n.as_str(), t.clone())).collect()
    }
}

/// The observer PPQ builds for a TQC (its `observer_algorithm`, range, policy, channel axis, overrides).
pub(crate) fn observer_for(ctx: &QuantizedGraph, tqc: TqcId, ndim: usize) -> Result<Box<dyn Observer>, PipelineError> {
    let t = ctx.store.get(tqc)?;
    let mut target = ObserverTarget::new(t.own_policy(), t.own_quant_min(), t.own_quant_max(), t.own_num_of_bits())
        .with_quirks(ctx.setting.quirks);
    if t.own_policy().is_per_channel() {
        let axis = t.channel_axis().unwrap_or(0);
        let axis = if axis < 0 { axis + ndim as i32 } else { axis };
        let axis = usize::try_from(axis).map_err(|_| QuantError::InvalidConfig(format!("{}: bad axis", t.label())))?;
        target = target.with_channel_axis(axis);
    }
    let d = t.detail();
    if let Some(s) = d.min_scale_override {
        target.min_scale = f64::from(s);
    }
    target.kl_bins = d.kl_hist_bins_override.map(|b| b as usize);
    target.percentile = d.percentile_override.map(f64::from);
    target.isotone_axis = d.isotone_observer_axis.map(|a| a as isize);
    let algo = t.observer_algorithm().unwrap_or("minmax");
    Ok(create_observer(algo, target)?)
}

/// An observer's float32 result as TQC scale/offset. A NaN or infinite scale is refused: it would quantize every
/// value to garbage (last line of defence; parameters and calibration data are checked for finiteness earlier).
pub(crate) fn to_params(so: ScaleOffset) -> Result<QuantParams, QuantError> {
    if let Some(s) = so.scale.iter().find(|s| !s.is_finite()) {
        return Err(QuantError::InvalidConfig(format!("the observer rendered the scale {s}, not a finite number")));
    }
    if so.per_channel {
        QuantParams::per_channel(so.scale, so.offset)
    } else {
        match (so.scale.first(), so.offset.first()) {
            (Some(&s), Some(&o)) => Ok(QuantParams::per_tensor(s, o)),
            _ => Err(QuantError::InvalidConfig("observer rendered no scale".into())),
        }
    }
}

/// Where an observer looks: op, input (true) or output, slot.
type Slot = (OpId, bool, usize);

struct Watch {
    tqc: TqcId,
    observer: Box<dyn Observer>,
}

/// A tensor's float32 values without a copy when it is a contiguous float32 tensor (every activation the
/// executor produces); other element types and layouts are converted.
pub(crate) fn f32_values(t: &Tensor) -> Cow<'_, [f32]> {
    match t {
        Tensor::F32(a) => match a.as_slice() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(a.iter().copied().collect()),
        },
        other => Cow::Owned(other.to_f32_vec()),
    }
}

/// The CalibrationHook: observers see raw values, then the op's active TQCs fake-quantize. Observers read the
/// executor's values in place (no copy); an op's inputs are copied only when one of its active input TQCs
/// rewrites them, and activated parameters were fake-quantized once into the graph the calibration runs on
/// (`prebaked`), since their TQCs cannot change during the pass.
struct CalibrationHook<'a> {
    ctx: &'a QuantizedGraph,
    watches: &'a mut HashMap<Slot, Watch>,
    prebaked: &'a HashSet<(OpId, usize)>,
}

impl CalibrationHook<'_> {
    fn observe(&mut self, g: &BaseGraph, slot: Slot, value: &Tensor) -> Result<(), GraphError> {
        if let Some(w) = self.watches.get_mut(&slot) {
            w.observer.observe(&f32_values(value), value.shape()).map_err(|e| {
                GraphError::Invalid(format!("observing {} at op '{}': {e}", self.ctx.label(w.tqc), g.op(slot.0).name))
            })?;
        }
        Ok(())
    }

    /// Whether input `slot` of `op` is rewritten in this forward: its TQC is active and was not prebaked.
    fn rewrites_input(&self, op: OpId, slot: usize, tqc: TqcId) -> bool {
        !self.prebaked.contains(&(op, slot))
            && self.ctx.store.get(tqc).is_ok_and(|t| t.state().is_activated(self.ctx.store.model()))
    }
}

impl ExecutionHook for CalibrationHook<'_> {
    fn wants_inputs(&self, _: &BaseGraph, op: OpId) -> bool {
        let Some(cfg) = self.ctx.config(op) else { return false };
        cfg.input_quantization_config.iter().enumerate().any(|(i, &t)| self.rewrites_input(op, i, t))
    }

    fn look_at_inputs(&mut self, g: &BaseGraph, op: OpId, inputs: &[Option<&Tensor>]) -> Result<(), GraphError> {
        if self.ctx.config(op).is_none() {
            return Ok(());
        }
        for (i, v) in inputs.iter().enumerate() {
            if let Some(v) = v {
                self.observe(g, (op, true, i), v)?;
            }
        }
        Ok(())
    }

    fn before_op(&mut self, g: &BaseGraph, op: OpId, inputs: &mut [Option<Tensor>]) -> Result<(), GraphError> {
        let Some(cfg) = self.ctx.config(op) else { return Ok(()) };
        for (i, v) in inputs.iter().enumerate() {
            if let Some(v) = v {
                self.observe(g, (op, true, i), v)?;
            }
        }
        for (i, (&t, v)) in cfg.input_quantization_config.iter().zip(inputs.iter_mut()).enumerate() {
            if let Some(v) = v
                && !self.prebaked.contains(&(op, i))
            {
                apply_if_active(&self.ctx.store, t, v).map_err(|e| GraphError::Invalid(e.to_string()))?;
            }
        }
        Ok(())
    }

    fn after_op(&mut self, g: &BaseGraph, op: OpId, outputs: &mut [Tensor]) -> Result<(), GraphError> {
        let Some(cfg) = self.ctx.config(op) else { return Ok(()) };
        for (i, v) in outputs.iter().enumerate() {
            self.observe(g, (op, false, i), v)?;
        }
        for (&t, v) in cfg.output_quantization_config.iter().zip(outputs.iter_mut()) {
            apply_if_active(&self.ctx.store, t, v).map_err(|e| GraphError::Invalid(e.to_string()))?;
        }
        Ok(())
    }
}

/// The graph the calibration runs on: `ctx.graph` with every parameter that one input slot of a quantable op
/// reads through an ACTIVATED TQC of its own (a weight after the parameter pass) replaced by its fake-quantized
/// value, and the set of those slots. Fake-quantizing them here once gives the same values as doing it in every
/// forward, as PPQ does, because calibration renders no parameter TQC.
fn prebake_parameters(ctx: &QuantizedGraph) -> Result<(BaseGraph, HashSet<(OpId, usize)>), PipelineError> {
    let mut graph = ctx.graph.clone();
    let mut slots = HashSet::new();
    for op in ctx.quantable_ops() {
        let Some(cfg) = ctx.config(op) else { continue };
        for (i, (&tqc, &var)) in cfg.input_quantization_config.iter().zip(&ctx.graph.op(op).inputs).enumerate() {
            let v = ctx.graph.var(var);
            let single_use = v.dest_ops == [op] && ctx.graph.op(op).inputs.iter().filter(|&&x| x == var).count() == 1;
            if !v.is_parameter || !single_use || v.value.is_none() || ctx.store.root(tqc)? != tqc {
                continue;
            }
            if ctx.store.get(tqc)?.state() != S::ACTIVATED {
                continue;
            }
            if let Some(value) = graph.var_mut(var).value.as_mut() {
                apply_if_active(&ctx.store, tqc, value)?;
                slots.insert((op, i));
            }
        }
    }
    Ok((graph, slots))
}

/// PPQ's loop: ceil(steps / len) epochs over the batches, stopping after `steps` batches; `on_sample(k, steps)`
/// after batch k.
fn feed_all(
    ctx: &QuantizedGraph,
    calib: &CalibrationData,
    watches: &mut HashMap<Slot, Watch>,
    on_sample: &mut dyn FnMut(usize, usize),
) -> Result<(), PipelineError> {
    let steps = ctx.setting.quantize_activation_setting.calib_steps as usize;
    let (graph, prebaked) = prebake_parameters(ctx)?;
    let exec = Executor::new(&graph)?;
    let mut hook = CalibrationHook { ctx, watches, prebaked: &prebaked };
    for (k, batch) in calib.batches.iter().cycle().take(steps).enumerate() {
        exec.forward(&CalibrationData::feeds(batch), None, &mut hook)?;
        on_sample(k + 1, steps);
    }
    Ok(())
}

/// Runs the pass: observer override, phase 1, render, phase 2 for kl/mse, render; `on_sample` hears of each
/// batch fed (both phases).
pub fn run(
    ctx: &mut QuantizedGraph,
    calib: &CalibrationData,
    on_sample: &mut dyn FnMut(usize, usize),
) -> Result<(), PipelineError> {
    let err = |why: String| PipelineError::Pass { pass: PassKind::RuntimeCalibration.name(), why };
    calib.validate(&ctx.graph)?;
    if let Some(m) = ctx.setting.quantize_activation_setting.calib_algorithm.clone() {
        for op in ctx.quantable_ops() {
            for (tqc, var) in ctx.config_with_variable(op) {
                if !ctx.graph.var(var).is_parameter {
                    ctx.store.get_mut(tqc)?.set_observer_algorithm(Some(m.clone()));
                }
            }
        }
    }
    let mut watches: HashMap<Slot, Watch> = HashMap::new();
    for op in ctx.quantable_ops() {
        let Some(cfg) = ctx.config(op).cloned() else { continue };
        let o = ctx.op(op).clone();
        let slots =
            cfg.input_quantization_config.iter().zip(&o.inputs).enumerate().map(|(i, (t, v))| ((op, true, i), *t, *v));
        let outs = cfg
            .output_quantization_config
            .iter()
            .zip(&o.outputs)
            .enumerate()
            .map(|(i, (t, v))| ((op, false, i), *t, *v));
        for (slot, tqc, var) in slots.chain(outs) {
            let st = ctx.store.get(tqc)?;
            if st.state() != S::INITIAL || st.own_policy().has_property(QuantizationProperty::FLOATING) {
                continue;
            }
            let ndim = ctx.graph.var(var).shape.as_ref().map_or(4, Vec::len);
            watches.insert(slot, Watch { tqc, observer: observer_for(ctx, tqc, ndim)? });
        }
    }
    feed_all(ctx, calib, &mut watches, on_sample)?;
    let mut second: HashMap<Slot, Watch> = HashMap::new();
    for k in render_order(ctx, &watches) {
        let Some(mut w) = watches.remove(&k) else { continue };
        if w.observer.needs_second_phase() {
            w.observer.start_second_phase().map_err(|e| err(format!("{}: {e}", ctx.label(w.tqc))))?;
            second.insert(k, w);
        } else {
            let so = w.observer.render().map_err(|e| err(format!("{}: {e}", ctx.label(w.tqc))))?;
            ctx.store.render(w.tqc, to_params(so)?)?;
        }
    }
    if !second.is_empty() {
        feed_all(ctx, calib, &mut second, on_sample)?;
        for k in render_order(ctx, &second) {
            let Some(w) = second.remove(&k) else { continue };
            let so = w.observer.render().map_err(|e| err(format!("{}: {e}", ctx.label(w.tqc))))?;
            ctx.store.render(w.tqc, to_params(so)?)?;
        }
    }
    Ok(())
}

/// PPQ renders op by op in executing order, inputs before outputs.
fn render_order(ctx: &QuantizedGraph, watches: &HashMap<Slot, Watch>) -> Vec<Slot> {
    let pos: HashMap<OpId, usize> = ctx.order.iter().enumerate().map(|(i, &o)| (o, i)).collect();
    let mut keys: Vec<Slot> = watches.keys().copied().collect();
    keys.sort_by_key(|&(op, is_input, i)| (pos.get(&op).copied().unwrap_or(usize::MAX), !is_input, i));
    keys
}

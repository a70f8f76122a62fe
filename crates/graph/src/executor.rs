//! Runs a [`BaseGraph`] on [`Tensor`]s in PPQ's executing order (its topological sort), like PPQ's
//! `TorchExecutor.forward` (spec §13.4): only the prefix of ops needed for the requested outputs runs, and
//! every activation is freed right after its last consumer. An [`ExecutionHook`] sees (and may rewrite) each
//! op's inputs and outputs: calibration observes them, fake-quant simulation quantizes them.

use super::ir::{BaseGraph, Dim, OpId, VarId};
use super::{Attributes, GraphError, Tensor, budget, ops};
use std::collections::HashMap;

/// The op kernel entry point the executor calls; [`ops::run_op`] unless replaced (tests, other backends).
pub type OpRunner = fn(&str, &[Option<&Tensor>], &Attributes) -> Result<Vec<Tensor>, GraphError>;

/// Observes or transforms values around every op. Both methods default to doing nothing.
pub trait ExecutionHook {
    /// Whether [`ExecutionHook::before_op`] looks at or changes `op`'s inputs. When false the executor lends
    /// the op its inputs instead of copying them (weights included) and `before_op` gets an empty slice:
    /// plain inference and output-only observers copy nothing.
    fn wants_inputs(&self, graph: &BaseGraph, op: OpId) -> bool {
        let _ = (graph, op);
        true
    }

    /// Called with the op's input values (None for omitted optional inputs) before it runs; may change them
    /// (e.g. fake-quantize inputs with the op's input TQCs).
    fn before_op(&mut self, graph: &BaseGraph, op: OpId, inputs: &mut [Option<Tensor>]) -> Result<(), GraphError> {
        let _ = (graph, op, inputs);
        Ok(())
    }

    /// Called instead of [`ExecutionHook::before_op`] when [`ExecutionHook::wants_inputs`] is false: the op's
    /// inputs lent for reading only (None for omitted optional inputs), nothing copied. Observers that only look
    /// at values use this.
    fn look_at_inputs(&mut self, graph: &BaseGraph, op: OpId, inputs: &[Option<&Tensor>]) -> Result<(), GraphError> {
        let _ = (graph, op, inputs);
        Ok(())
    }

    /// Called with the op's outputs after it runs; what it leaves in `outputs` is stored for consumers.
    fn after_op(&mut self, graph: &BaseGraph, op: OpId, outputs: &mut [Tensor]) -> Result<(), GraphError> {
        let _ = (graph, op, outputs);
        Ok(())
    }
}

/// A hook that does nothing (plain fp32 inference).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHook;

impl ExecutionHook for NoHook {
    fn wants_inputs(&self, _: &BaseGraph, _: OpId) -> bool {
        false
    }
}

/// An executor bound to one graph, with its executing order computed once (PPQ `load_graph`).
#[derive(Debug, Clone)]
pub struct Executor<'g> {
    graph: &'g BaseGraph,
    order: Vec<OpId>,
    runner: OpRunner,
}

impl<'g> Executor<'g> {
    /// Prepares `graph` for execution with the playground's op kernels. Errors on a cyclic graph.
    pub fn new(graph: &'g BaseGraph) -> Result<Self, GraphError> {
        Self::with_runner(graph, ops::run_op)
    }

    /// Like [`Executor::new`] but running ops with `runner`.
    pub fn with_runner(graph: &'g BaseGraph, runner: OpRunner) -> Result<Self, GraphError> {
        Ok(Self { graph, order: graph.topological_sort()?, runner })
    }

    /// The executing order.
    pub fn order(&self) -> &[OpId] {
        &self.order
    }

    /// Runs the graph. `feeds` gives every graph input by name (checked against the declared shape and element
    /// type); `output_names` None means the graph outputs. Returns the requested values in the requested order.
    pub fn forward(
        &self,
        feeds: &[(&str, Tensor)],
        output_names: Option<&[&str]>,
        hook: &mut dyn ExecutionHook,
    ) -> Result<Vec<Tensor>, GraphError> {
        let g = self.graph;
        let requested: Vec<VarId> = match output_names {
            None => g.outputs.clone(),
            Some(names) => names
                .iter()
                .map(|n| g.var_by_name(n).ok_or_else(|| GraphError::Invalid(format!("no variable named '{n}'"))))
                .collect::<Result<_, _>>()?,
        };
        let mut values: HashMap<VarId, Tensor> = HashMap::new();
        // Live activations, so every op output is checked against what the run's memory budget has left.
        let mut live = budget::LiveBytes::start();
        for (name, t) in feeds {
            let id = g
                .var_by_name(name)
                .filter(|id| g.inputs.contains(id))
                .ok_or_else(|| GraphError::Invalid(format!("'{name}' is not an input of the graph")))?;
            check_feed(g, id, t)?;
            live.add(t);
            values.insert(id, t.clone());
        }
        for &i in &g.inputs {
            if !values.contains_key(&i) && !g.var(i).dest_ops.is_empty() {
                return Err(GraphError::MissingValue(g.var(i).name.clone()));
            }
        }

        // Only the prefix up to the last producer of a requested output runs.
        let pos: HashMap<OpId, usize> = self.order.iter().enumerate().map(|(i, &o)| (o, i)).collect();
        let end =
            requested.iter().filter_map(|&v| g.var(v).source_op).filter_map(|o| pos.get(&o)).max().map(|&p| p + 1);
        let order = &self.order[..end.unwrap_or(0)];
        let mut last_use: HashMap<VarId, usize> = HashMap::new();
        for (i, &op) in order.iter().enumerate() {
            for &v in g.op(op).inputs.iter().chain(&g.op(op).outputs) {
                last_use.insert(v, i);
            }
        }

        for (i, &id) in order.iter().enumerate() {
            let op = g.op(id);
            let wants = hook.wants_inputs(g, id);
            let mut owned: Vec<Option<Tensor>> = Vec::with_capacity(if wants { op.inputs.len() } else { 0 });
            if wants {
                // A value this op consumes last (and only once) is moved to it, not copied.
                let moved = |slot: usize, v: VarId| {
                    last_use.get(&v) == Some(&i) && !requested.contains(&v) && !op.inputs[slot + 1..].contains(&v)
                };
                // The copies can dwarf the op itself (one 1 MiB weight listed 50,000 times): bound them first.
                // Every named slot is a copy except an activation moved out of `values` (parameters always copy).
                let copies = op
                    .inputs
                    .iter()
                    .enumerate()
                    .filter(|&(k, &v)| !(g.var(v).name.is_empty() || moved(k, v) && values.contains_key(&v)));
                let copy_bytes = copies
                    .map(|(_, &v)| values.get(&v).or(g.var(v).value.as_ref()).map_or(0, budget::nbytes))
                    .try_fold(0u64, u64::checked_add);
                budget::check_alloc(&op.name, "the copies of its inputs for the hook", copy_bytes)?;
                for (slot, &v) in op.inputs.iter().enumerate() {
                    let value = match values.get(&v) {
                        _ if g.var(v).name.is_empty() => None,
                        Some(_) if moved(slot, v) => values.remove(&v).inspect(|t| live.remove(t)),
                        Some(t) => Some(t.clone()),
                        None => Some(value_of(g, v, None)?.clone()),
                    };
                    owned.push(value);
                }
            }
            hook.before_op(g, id, &mut owned)?;
            let attrs = super::validate::run_attributes(op);
            let mut outputs = if wants {
                let refs: Vec<Option<&Tensor>> = owned.iter().map(Option::as_ref).collect();
                (self.runner)(&op.op_type, &refs, &attrs)?
            } else {
                let refs = op
                    .inputs
                    .iter()
                    .map(
                        |&v| if g.var(v).name.is_empty() { Ok(None) } else { value_of(g, v, values.get(&v)).map(Some) },
                    )
                    .collect::<Result<Vec<_>, _>>()?;
                hook.look_at_inputs(g, id, &refs)?;
                (self.runner)(&op.op_type, &refs, &attrs)?
            };
            drop(owned);
            if outputs.len() < op.outputs.len() {
                return Err(GraphError::shape(
                    &op.name,
                    format!("produced {} outputs, the graph expects {}", outputs.len(), op.outputs.len()),
                ));
            }
            outputs.truncate(op.outputs.len());
            hook.after_op(g, id, &mut outputs)?;
            for (&v, t) in op.outputs.iter().zip(outputs) {
                live.add(&t);
                if let Some(old) = values.insert(v, t) {
                    live.remove(&old);
                }
            }
            // Free activations whose last consumer just ran (requested outputs stay).
            for &v in op.inputs.iter().chain(&op.outputs) {
                if last_use.get(&v) == Some(&i)
                    && !requested.contains(&v)
                    && let Some(t) = values.remove(&v)
                {
                    live.remove(&t);
                }
            }
        }

        requested
            .iter()
            .map(|&v| {
                let t = values
                    .get(&v)
                    .or(g.var(v).value.as_ref())
                    .cloned()
                    .ok_or_else(|| GraphError::MissingValue(g.var(v).name.clone()))?;
                Ok(ops::round_to_declared(g.var(v).dtype, t))
            })
            .collect()
    }
}

/// The value of `v`: the activation computed in this run if any, else its initializer.
fn value_of<'a>(g: &'a BaseGraph, v: VarId, computed: Option<&'a Tensor>) -> Result<&'a Tensor, GraphError> {
    computed.or(g.var(v).value.as_ref()).ok_or_else(|| GraphError::MissingValue(g.var(v).name.clone()))
}

/// Checks a fed tensor against the input's declared element type and fixed dimensions.
fn check_feed(g: &BaseGraph, id: VarId, t: &Tensor) -> Result<(), GraphError> {
    let var = g.var(id);
    let bad = |why: String| GraphError::shape(format!("input '{}'", var.name), why);
    if let Some(dt) = var.dtype
        && ops::storage_code(dt) != t.onnx_dtype()
    {
        return Err(bad(format!("expected ONNX element type {dt}, got {}", t.dtype_name())));
    }
    if let Some(dims) = &var.shape {
        let fits = dims.len() == t.shape().len()
            && dims.iter().zip(t.shape()).all(|(d, &s)| !matches!(d, Dim::Value(v) if *v != s as i64));
        if !fits {
            return Err(bad(format!("expected shape {}, got {:?}", super::ir::fmt_dims(dims), t.shape())));
        }
    }
    Ok(())
}

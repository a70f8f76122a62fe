//! PPQ's graph IR (`ppq/IR/base/graph.py`): a [`BaseGraph`] of [`Operation`]s linked through [`Variable`]s.
//!
//! Ops and variables live in two arenas indexed by [`OpId`] / [`VarId`]; a removed entry leaves a hole so ids
//! stay valid. Arena order is PPQ's insertion order (`graph.operations` / `graph.variables` are insertion-ordered
//! dicts), which several formatting passes and the topological sort depend on (spec §13.2.4).
//! Ids are only meaningful for the graph that issued them; using a removed id is a programming error.

use super::{Attributes, GraphError, Tensor};
use ppq_core::platform::TargetPlatform;
use std::collections::{HashMap, VecDeque};

/// Index of an [`Operation`] in its graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpId(pub usize);

/// Index of a [`Variable`] in its graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarId(pub usize);

/// An operator set (PPQ `Opset`): the domain and version an op was parsed under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opset {
    /// `ai.onnx` for standard ops (PPQ ignores node domains, see [`Operation::domain`]).
    pub domain: String,
    /// The opset version.
    pub version: i64,
}

impl Default for Opset {
    /// PPQ's `Opset()` default, `ai.onnx` 11, which ops re-created by formatting (fuse_bn) receive.
    fn default() -> Self {
        Self { domain: "ai.onnx".into(), version: 11 }
    }
}

/// One dimension of a declared (value_info) shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    /// A fixed size.
    Value(i64),
    /// A symbolic size such as `batch`.
    Param(String),
    /// Declared but unknown.
    Unknown,
}

impl std::fmt::Display for Dim {
    /// `3`, `batch` or `?`, as users write shapes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Value(v) => write!(f, "{v}"),
            Self::Param(p) => write!(f, "{p}"),
            Self::Unknown => f.write_str("?"),
        }
    }
}

/// A declared shape as `[batch, 3, 224, 224]`, for messages.
pub fn fmt_dims(dims: &[Dim]) -> String {
    let parts: Vec<String> = dims.iter().map(ToString::to_string).collect();
    format!("[{}]", parts.join(", "))
}

/// A node of the graph (PPQ `Operation`).
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// Unique name (ONNX node name, or `generated_name_<k>` for unnamed nodes).
    pub name: String,
    /// ONNX op type, e.g. `Conv`.
    pub op_type: String,
    /// Attributes; `attributes.op` equals `name`.
    pub attributes: Attributes,
    /// Attribute names in file order, so export writes them back in the same order.
    pub attr_order: Vec<String>,
    /// Input variables in slot order (the shared `''` variable marks omitted optional inputs).
    pub inputs: Vec<VarId>,
    /// Output variables in slot order.
    pub outputs: Vec<VarId>,
    /// Where the op runs; UNSPECIFIED until dispatch.
    pub platform: TargetPlatform,
    /// PPQ's opset (always `ai.onnx`, model version, as PPQ ignores `node.domain`).
    pub opset: Opset,
    /// The node's own ONNX domain, kept only for a faithful write-back.
    pub domain: String,
    /// The node's doc string, kept for write-back.
    pub doc_string: String,
}

/// An edge of the graph (PPQ `Variable`): an activation, a parameter or a graph input.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// Unique name.
    pub name: String,
    /// True for weights and other constants (initializers, folded Constants).
    pub is_parameter: bool,
    /// The value of a parameter; None for activations.
    pub value: Option<Tensor>,
    /// Declared shape from graph inputs/outputs/value_info, if any.
    pub shape: Option<Vec<Dim>>,
    /// Declared ONNX element type from graph inputs/outputs/value_info, if any.
    pub dtype: Option<i32>,
    /// The element type the file stored a parameter in (float16/bfloat16/float64 become float32 on import, so
    /// `value` no longer says): the schema's type constraints are checked against what the model declared.
    pub stored_dtype: Option<i32>,
    /// True if the model listed this variable in `graph.value_info` (for write-back).
    pub in_value_info: bool,
    /// The op producing it, if any.
    pub source_op: Option<OpId>,
    /// The ops consuming it, in link order (duplicates when an op reads it twice).
    pub dest_ops: Vec<OpId>,
}

/// Model-level facts PPQ keeps in `graph._detail`, plus what a faithful write-back needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GraphDetail {
    /// `ModelProto.ir_version`.
    pub ir_version: Option<i64>,
    /// `opset_import` entries in file order (PPQ `GRAPH_OPSET`).
    pub opset_imports: Vec<Opset>,
    /// Producer name.
    pub producer_name: Option<String>,
    /// Producer version.
    pub producer_version: Option<String>,
    /// Model domain.
    pub domain: Option<String>,
    /// Model version.
    pub model_version: Option<i64>,
    /// Model doc string.
    pub doc_string: Option<String>,
    /// Graph doc string.
    pub graph_doc_string: Option<String>,
    /// Model metadata_props in order.
    pub metadata: Vec<(String, String)>,
}

/// PPQ's `BaseGraph`: ops, variables, graph inputs and outputs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BaseGraph {
    /// Graph name.
    pub name: String,
    /// Model-level details for export.
    pub detail: GraphDetail,
    /// Graph inputs in order (never parameters).
    pub inputs: Vec<VarId>,
    /// Graph outputs in order.
    pub outputs: Vec<VarId>,
    ops: Vec<Option<Operation>>,
    vars: Vec<Option<Variable>>,
    op_names: HashMap<String, OpId>,
    var_names: HashMap<String, VarId>,
    num_generated_var: usize,
    num_generated_op: usize,
}

impl BaseGraph {
    /// An empty graph named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), ..Self::default() }
    }

    /// The op `id`. Panics on a removed or foreign id (a programming error, never user data).
    pub fn op(&self, id: OpId) -> &Operation {
        self.ops[id.0].as_ref().unwrap_or_else(|| panic!("operation {} was removed", id.0))
    }

    /// The op `id`, mutably.
    pub fn op_mut(&mut self, id: OpId) -> &mut Operation {
        self.ops[id.0].as_mut().unwrap_or_else(|| panic!("operation {} was removed", id.0))
    }

    /// The variable `id`. Panics on a removed or foreign id.
    pub fn var(&self, id: VarId) -> &Variable {
        self.vars[id.0].as_ref().unwrap_or_else(|| panic!("variable {} was removed", id.0))
    }

    /// The variable `id`, mutably.
    pub fn var_mut(&mut self, id: VarId) -> &mut Variable {
        self.vars[id.0].as_mut().unwrap_or_else(|| panic!("variable {} was removed", id.0))
    }

    /// True while op `id` is in the graph.
    pub fn has_op(&self, id: OpId) -> bool {
        self.ops.get(id.0).is_some_and(Option::is_some)
    }

    /// True while variable `id` is in the graph.
    pub fn has_var(&self, id: VarId) -> bool {
        self.vars.get(id.0).is_some_and(Option::is_some)
    }

    /// Op ids in PPQ's `graph.operations` (insertion) order.
    pub fn op_ids(&self) -> Vec<OpId> {
        self.ops.iter().enumerate().filter(|(_, o)| o.is_some()).map(|(i, _)| OpId(i)).collect()
    }

    /// Variable ids in PPQ's `graph.variables` (insertion) order.
    pub fn var_ids(&self) -> Vec<VarId> {
        self.vars.iter().enumerate().filter(|(_, v)| v.is_some()).map(|(i, _)| VarId(i)).collect()
    }

    /// Ops in insertion order.
    pub fn operations(&self) -> impl Iterator<Item = (OpId, &Operation)> {
        self.ops.iter().enumerate().filter_map(|(i, o)| o.as_ref().map(|o| (OpId(i), o)))
    }

    /// Variables in insertion order.
    pub fn variables(&self) -> impl Iterator<Item = (VarId, &Variable)> {
        self.vars.iter().enumerate().filter_map(|(i, v)| v.as_ref().map(|v| (VarId(i), v)))
    }

    /// Number of ops.
    pub fn num_ops(&self) -> usize {
        self.op_names.len()
    }

    /// Number of variables.
    pub fn num_vars(&self) -> usize {
        self.var_names.len()
    }

    /// The op named `name`.
    pub fn op_by_name(&self, name: &str) -> Option<OpId> {
        self.op_names.get(name).copied()
    }

    /// The variable named `name`.
    pub fn var_by_name(&self, name: &str) -> Option<VarId> {
        self.var_names.get(name).copied()
    }

    /// Adds a variable. `name` None gives PPQ's `PPQ_Variable_<n>` from the graph's never-reset counter.
    /// A duplicate name is an error naming it.
    pub fn create_variable(
        &mut self,
        name: Option<String>,
        value: Option<Tensor>,
        is_parameter: bool,
    ) -> Result<VarId, GraphError> {
        let name = match name {
            Some(n) => n,
            None => {
                let n = format!("PPQ_Variable_{}", self.num_generated_var);
                self.num_generated_var += 1;
                n
            }
        };
        if self.var_names.contains_key(&name) {
            return Err(GraphError::Invalid(format!("duplicate variable name '{name}'")));
        }
        let id = VarId(self.vars.len());
        self.vars.push(Some(Variable {
            name: name.clone(),
            is_parameter,
            value,
            shape: None,
            dtype: None,
            stored_dtype: None,
            in_value_info: false,
            source_op: None,
            dest_ops: Vec::new(),
        }));
        self.var_names.insert(name, id);
        Ok(id)
    }

    /// Adds an op and links it: appended to each input's `dest_ops`, set as each output's `source_op`.
    /// `name` None gives PPQ's `PPQ_Operation_<k>`. Errors on a duplicate name or an output already produced.
    pub fn create_operation(
        &mut self,
        name: Option<String>,
        op_type: &str,
        mut attributes: Attributes,
        inputs: Vec<VarId>,
        outputs: Vec<VarId>,
        opset: Opset,
    ) -> Result<OpId, GraphError> {
        let name = match name {
            Some(n) => n,
            None => {
                let n = format!("PPQ_Operation_{}", self.num_generated_op);
                self.num_generated_op += 1;
                n
            }
        };
        if self.op_names.contains_key(&name) {
            return Err(GraphError::Invalid(format!("duplicate operation name '{name}'")));
        }
        for &o in &outputs {
            if let Some(src) = self.var(o).source_op {
                return Err(GraphError::Invalid(format!(
                    "variable '{}' is produced by both '{}' and '{name}'",
                    self.var(o).name,
                    self.op(src).name
                )));
            }
        }
        let id = OpId(self.ops.len());
        for &i in &inputs {
            self.var_mut(i).dest_ops.push(id);
        }
        for &o in &outputs {
            self.var_mut(o).source_op = Some(id);
        }
        attributes.op = name.clone();
        attributes.opset = opset.version;
        let attr_order = attributes.values.keys().cloned().collect();
        self.ops.push(Some(Operation {
            name: name.clone(),
            op_type: op_type.to_string(),
            attributes,
            attr_order,
            inputs,
            outputs,
            platform: TargetPlatform::Unspecified,
            opset,
            domain: String::new(),
            doc_string: String::new(),
        }));
        self.op_names.insert(name, id);
        Ok(id)
    }

    /// Deletes a variable and unlinks it from its producer and consumers (their slots are dropped).
    pub fn remove_variable(&mut self, id: VarId) {
        let Some(var) = self.vars.get_mut(id.0).and_then(Option::take) else { return };
        self.var_names.remove(&var.name);
        if let Some(src) = var.source_op.filter(|&s| self.has_op(s)) {
            self.op_mut(src).outputs.retain(|&v| v != id);
        }
        for d in var.dest_ops {
            if self.has_op(d) {
                self.op_mut(d).inputs.retain(|&v| v != id);
            }
        }
        self.inputs.retain(|&v| v != id);
        self.outputs.retain(|&v| v != id);
    }

    /// Deletes an op (PPQ `remove_operation`). Its input links are dropped; a parameter input left without
    /// consumers is deleted. Without `keep_coherence` its outputs stay as producer-less variables.
    /// With it, the op must have one non-parameter input (or a single parameter input) and one output: consumers of the output are rewired
    /// to that input, the output is deleted, and if it was a graph output the input is appended to the outputs.
    pub fn remove_operation(&mut self, id: OpId, keep_coherence: bool) -> Result<(), GraphError> {
        if !self.has_op(id) {
            return Err(GraphError::Invalid(format!("operation {} is not in the graph", id.0)));
        }
        let op = self.op(id).clone();
        let mut data_inputs: Vec<VarId> = op.inputs.iter().copied().filter(|&v| !self.var(v).is_parameter).collect();
        if data_inputs.is_empty() && op.inputs.len() == 1 {
            // An Identity of a parameter: consumers are rewired to the parameter, which is kept.
            data_inputs = op.inputs.clone();
        }
        if keep_coherence && (data_inputs.len() != 1 || op.outputs.len() != 1) {
            return Err(GraphError::Invalid(format!(
                "cannot remove '{}' coherently: it needs exactly one non-parameter input and one output",
                op.name
            )));
        }
        for &v in &op.inputs {
            let var = self.var_mut(v);
            if let Some(pos) = var.dest_ops.iter().position(|&d| d == id) {
                var.dest_ops.remove(pos);
            }
            if var.is_parameter && var.dest_ops.is_empty() && !(keep_coherence && data_inputs.contains(&v)) {
                self.remove_variable(v);
            }
        }
        for &v in &op.outputs {
            self.var_mut(v).source_op = None;
        }
        if let Some(slot) = self.ops.get_mut(id.0) {
            *slot = None;
        }
        self.op_names.remove(&op.name);
        if keep_coherence {
            let (input, output) = (data_inputs[0], op.outputs[0]);
            let consumers = self.var(output).dest_ops.clone();
            for c in consumers {
                for slot in self.op_mut(c).inputs.iter_mut().filter(|s| **s == output) {
                    *slot = input;
                }
                self.var_mut(input).dest_ops.push(c);
            }
            let was_output = self.outputs.contains(&output);
            self.var_mut(output).dest_ops.clear();
            self.remove_variable(output);
            if was_output {
                self.outputs.push(input);
            }
        }
        Ok(())
    }

    /// Producers of `op`'s inputs, in input order, duplicates kept (PPQ `get_upstream_operations`).
    pub fn upstream_ops(&self, op: OpId) -> Vec<OpId> {
        self.op(op).inputs.iter().filter_map(|&v| self.var(v).source_op).collect()
    }

    /// Consumers of `op`'s outputs, in output then `dest_ops` order, duplicates kept
    /// (PPQ `get_downstream_operations`).
    pub fn downstream_ops(&self, op: OpId) -> Vec<OpId> {
        self.op(op).outputs.iter().flat_map(|&v| self.var(v).dest_ops.iter().copied()).collect()
    }

    /// The parameter inputs of `op`, in input order.
    pub fn parameter_inputs(&self, op: OpId) -> Vec<VarId> {
        self.op(op).inputs.iter().copied().filter(|&v| self.var(v).is_parameter).collect()
    }

    /// PPQ's `topological_sort`: Kahn's algorithm, FIFO queue seeded in insertion order, in-degree counting
    /// duplicate upstream links. This is the executor order. A cycle is an error naming the stuck ops.
    pub fn topological_sort(&self) -> Result<Vec<OpId>, GraphError> {
        let mut indeg: HashMap<OpId, usize> = HashMap::new();
        let mut queue = VecDeque::new();
        for (id, _) in self.operations() {
            let d = self.upstream_ops(id).len();
            indeg.insert(id, d);
            if d == 0 {
                queue.push_back(id);
            }
        }
        let mut order = Vec::with_capacity(indeg.len());
        while let Some(id) = queue.pop_front() {
            order.push(id);
            for down in self.downstream_ops(id) {
                if let Some(d) = indeg.get_mut(&down) {
                    *d -= 1;
                    if *d == 0 {
                        queue.push_back(down);
                    }
                }
            }
        }
        if order.len() != indeg.len() {
            let mut stuck: Vec<&str> =
                indeg.iter().filter(|(_, d)| **d > 0).map(|(id, _)| self.op(*id).name.as_str()).collect();
            stuck.sort_unstable();
            return Err(GraphError::Invalid(format!("graph has a cycle through {}", stuck.join(", "))));
        }
        Ok(order)
    }

    /// Rebuilds the name index after a variable or op is renamed in place.
    pub fn reindex_names(&mut self) {
        self.op_names = self.operations().map(|(id, o)| (o.name.clone(), id)).collect();
        self.var_names = self.variables().map(|(id, v)| (v.name.clone(), id)).collect();
    }
}

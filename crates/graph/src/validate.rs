//! Whole-model validation before any work starts (`ppq-playground inspect`, the page's load step): structure,
//! opsets, element types, limits and shape inference over every supported op. A model that passes will not fail
//! later for a reason visible in the file (a Conv whose weight does not fit its input, a Reshape that cannot
//! apply …), so the page and the CLI can refuse it up front and keep the user's previous model.
//!
//! Shape inference is an abstract run in executing order. Each variable has a rank-known shape whose dims may
//! be unknown (symbolic), and an exact value when it is computed from constants and `Shape` only (shape chains).
//! Heavy ops (Conv, ConvTranspose, Gemm, MatMul, pools, BatchNormalization) and elementwise ops have explicit
//! rules; the rest are run for real by [`ops::run_op`] on zero placeholders when their shapes are known and
//! small ([`DRY_RUN_ELEMENTS`]), which keeps inference identical to execution. A leading symbolic dim of a graph
//! input (the batch) is taken as 1, as the playground calibrates with batch 1; other symbolic dims stay unknown
//! and the checks that need them are skipped (noted in the report).

use super::ir::{BaseGraph, Dim, OpId, Operation, fmt_dims};
use super::{AttrValue, Attributes, GraphError, Tensor, budget, checked, import, onnx, ops, schema};
use ndarray::{ArrayD, IxDyn};
use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

/// Oldest default-domain opset accepted: before opset 7 the arithmetic ops had the legacy `broadcast`/`axis`
/// attributes, which the kernels do not implement (PPQ itself targets opset 11).
pub const MIN_OPSET: i64 = 7;
/// Newest default-domain opset the kernels were written against. A newer model is refused, as onnxruntime
/// refuses opsets it does not know: an op may have changed meaning since. The importer's limit (one number).
pub const MAX_KNOWN_OPSET: i64 = import::NEWEST_OPSET_VERSION;
/// Newest `ir_version` the vendored onnx.proto describes; newer files may use fields this build cannot read.
pub const MAX_KNOWN_IR_VERSION: i64 = onnx::Version::IrVersion as i64;
/// Longest op chain accepted (ops on the longest path), so per-path work stays bounded in the browser.
pub const MAX_GRAPH_DEPTH: usize = 10_000;
/// Largest element count an op is run on during inference (zeros), so validation stays fast.
pub const DRY_RUN_ELEMENTS: usize = 1 << 20;
/// Largest total input size of an op whose inputs are all constants and which is therefore folded exactly
/// (shape chains are tiny; this bounds e.g. a MatMul of two big initializers).
pub const FOLD_ELEMENTS: usize = 1 << 16;

/// An inferred shape: `None` for a dimension that is not known before calibration data arrives.
pub type InferredShape = Vec<Option<usize>>;

/// What validation learnt about one tensor, for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorSummary {
    /// Variable name.
    pub name: String,
    /// Inferred shape, `None` when even the rank is unknown.
    pub shape: Option<InferredShape>,
    /// ONNX element type code, when known.
    pub dtype: Option<i32>,
}

/// The result of a successful validation: what the page's model panel and `inspect` print.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidationReport {
    /// Number of operations.
    pub num_ops: usize,
    /// Number of variables (activations and parameters).
    pub num_variables: usize,
    /// Total parameter elements.
    pub num_parameters: usize,
    /// Default-domain opset version.
    pub opset: i64,
    /// Ops on the longest path.
    pub depth: usize,
    /// Graph inputs with their (assumed) shapes.
    pub inputs: Vec<TensorSummary>,
    /// Graph outputs with their inferred shapes.
    pub outputs: Vec<TensorSummary>,
    /// Every variable with an inferred rank, in executing order of producers.
    pub shapes: Vec<TensorSummary>,
    /// Op types and how often they occur, sorted by type.
    pub op_histogram: Vec<(String, usize)>,
    /// Things the user should know that are not errors (assumed batch size, unchecked dims, new opset).
    pub notes: Vec<String>,
}

/// Parses and validates ONNX bytes: [`import::import_onnx`] then [`validate`]. This is the single call the page
/// and `ppq-playground inspect` make before anything else.
pub fn inspect_onnx(bytes: &[u8]) -> Result<(BaseGraph, ValidationReport), GraphError> {
    if bytes.is_empty() {
        return Err(GraphError::Malformed("the file is empty".into()));
    }
    let model = import::decode_model(bytes)?;
    check_header(&model)?;
    let graph = import::build_graph(&model)?;
    let report = validate(&graph)?;
    Ok((graph, report))
}

/// The model-level fields onnx.checker and onnxruntime refuse a file for: a missing or unknown `ir_version` and
/// a missing `opset_import`. (Graphs built in code have neither, so this checks files only.)
fn check_header(model: &onnx::ModelProto) -> Result<(), GraphError> {
    if model.graph.is_none() {
        // the most basic problem first (build_graph words it)
        return import::build_graph(model).map(|_| ());
    }
    match model.ir_version {
        None | Some(..=0) => {
            return Err(GraphError::Invalid(
                "the model has no ir_version (onnx.checker and onnxruntime refuse such files); re-export it".into(),
            ));
        }
        Some(v) if v > MAX_KNOWN_IR_VERSION => {
            return Err(GraphError::Invalid(format!(
                "ir_version {v} is newer than the newest this playground knows ({MAX_KNOWN_IR_VERSION}); re-export \
                 the model with an older ONNX"
            )));
        }
        Some(_) => {}
    }
    if model.opset_import.is_empty() {
        return Err(GraphError::Invalid(
            "the model has no opset_import, so its ops have no defined version (onnxruntime refuses it)".into(),
        ));
    }
    Ok(())
}

/// Validates an imported (not yet formatted) graph completely; the error names the op, tensor or field at fault.
pub fn validate(graph: &BaseGraph) -> Result<ValidationReport, GraphError> {
    validate_seeded(graph, &[])
}

/// [`validate`] with the shapes of the data the user supplies for (some of) the graph inputs: symbolic dims
/// (`dim_param`, and the negative `dim_value` some exporters write for a dynamic batch) take the data's sizes,
/// so every shape downstream is resolved and checked, and the report's notes say what each symbolic dim became.
/// Fixed dims must match the data exactly; an input not listed keeps its declared shape (leading symbolic dim
/// taken as 1). This is what a calibration reader calls once it has read a sample per input (`.npz` keyed by
/// input name, JSON per input, one file per input in the page).
pub fn validate_with_inputs(graph: &BaseGraph, data: &[(&str, &[usize])]) -> Result<ValidationReport, GraphError> {
    for (name, _) in data {
        if !graph.inputs.iter().any(|&v| graph.var(v).name == *name) {
            let names: Vec<&str> = graph.inputs.iter().map(|&v| graph.var(v).name.as_str()).collect();
            return Err(GraphError::CalibData(format!(
                "data for '{name}', which is not a graph input (inputs: {})",
                names.join(", ")
            )));
        }
    }
    validate_seeded(graph, data)
}

fn validate_seeded(graph: &BaseGraph, data: &[(&str, &[usize])]) -> Result<ValidationReport, GraphError> {
    let mut report =
        ValidationReport { num_ops: graph.num_ops(), num_variables: graph.num_vars(), ..Default::default() };
    check_structure(graph, &mut report)?;
    let order = graph.topological_sort()?;
    report.depth = depth(graph, &order)?;
    let mut infos: HashMap<&str, Info> = HashMap::new();
    seed_infos(graph, &mut infos, &mut report, data)?;
    for &id in &order {
        let op = graph.op(id);
        let ins: Vec<Option<Info>> = op
            .inputs
            .iter()
            .map(|&v| {
                let name = graph.var(v).name.as_str();
                if name.is_empty() { None } else { Some(infos.get(name).cloned().unwrap_or_default()) }
            })
            .collect();
        let typed: Vec<Option<(&str, Option<i32>)>> = op
            .inputs
            .iter()
            .zip(&ins)
            // float16/bfloat16/float64 are computed as float32 here: compared as what they are stored as
            .map(|(&v, i)| i.as_ref().map(|i| (graph.var(v).name.as_str(), i.dtype.map(ops::storage_code))))
            .collect();
        schema::check_inputs(&op.name, &op.op_type, &typed)?;
        // Where the model itself declares both types (initializers, graph inputs), they must agree as declared:
        // a float64 weight beside a float32 input is a model onnx.checker and onnxruntime refuse.
        let declared: Vec<Option<(&str, Option<i32>)>> = op
            .inputs
            .iter()
            .map(|&v| {
                let var = graph.var(v);
                let t = if graph.inputs.contains(&v) { var.dtype } else { var.stored_dtype };
                (!var.name.is_empty()).then_some((var.name.as_str(), t))
            })
            .collect();
        if declared.iter().flatten().filter(|(_, t)| t.is_some()).count() >= 2 {
            schema::check_inputs(&op.name, &op.op_type, &declared)?;
        }
        // Ops whose output has their input's type (`T → T`): a declared output type must be the declared input's.
        if SAME_TYPE_OPS.contains(&op.op_type.as_str())
            && let (Some(Some((in_name, Some(t_in)))), Some(&out)) = (declared.first(), op.outputs.first())
            && let Some(t_out) = graph.var(out).dtype
            && t_out != *t_in
        {
            return Err(GraphError::Invalid(format!(
                "op '{}': output '{}' is declared {} but its input '{in_name}' is {} ({} keeps the type)",
                op.name,
                graph.var(out).name,
                schema::dtype_name(t_out),
                schema::dtype_name(*t_in),
                op.op_type
            )));
        }
        let outs = infer_op(graph, id, &ins)?;
        for (k, (&v, info)) in op.outputs.iter().zip(outs).enumerate() {
            let var = graph.var(v);
            if let Some(shape) = &info.shape {
                let known: Vec<usize> = shape.iter().flatten().copied().collect();
                if count(&known).is_none() {
                    return Err(GraphError::TooLarge(format!(
                        "op '{}': output #{k} '{}' would have shape {}, over the limit of {} elements",
                        op.name,
                        var.name,
                        fmt_shape(shape),
                        ops::MAX_TENSOR_ELEMENTS
                    )));
                }
                check_declared(op, &var.name, var.shape.as_deref(), shape)?;
            }
            infos.insert(var.name.as_str(), info);
        }
    }
    let summary = |name: &str| {
        let info = infos.get(name);
        TensorSummary {
            name: name.to_string(),
            shape: info.and_then(|i| i.shape.clone()),
            dtype: info.and_then(|i| i.dtype),
        }
    };
    report.inputs = graph.inputs.iter().map(|&v| summary(&graph.var(v).name)).collect();
    report.outputs = graph.outputs.iter().map(|&v| summary(&graph.var(v).name)).collect();
    for &id in &order {
        for &v in &graph.op(id).outputs {
            let s = summary(&graph.var(v).name);
            if s.shape.is_some() {
                report.shapes.push(s);
            }
        }
    }
    Ok(report)
}

/// Structural checks that need no shapes: ops, outputs, opsets, domains, supported op types, subgraphs.
fn check_structure(graph: &BaseGraph, report: &mut ValidationReport) -> Result<(), GraphError> {
    if graph.num_ops() == 0 {
        return Err(GraphError::Invalid("the graph has no operations".into()));
    }
    if graph.outputs.is_empty() {
        return Err(GraphError::Invalid("the graph declares no outputs".into()));
    }
    let opset = graph
        .detail
        .opset_imports
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map_or(import::DEFAULT_OPSET_VERSION, |o| o.version);
    if opset < MIN_OPSET {
        return Err(GraphError::Invalid(format!(
            "opset_import: the model uses ai.onnx opset {opset}; the playground supports opset {MIN_OPSET} and \
             later (PPQ targets 11) — re-export the model with a newer opset"
        )));
    }
    if opset > MAX_KNOWN_OPSET {
        return Err(GraphError::Invalid(format!(
            "opset_import: ai.onnx opset {opset} is newer than {MAX_KNOWN_OPSET}, the newest the playground's ops \
             implement — re-export the model with opset {MAX_KNOWN_OPSET} or older"
        )));
    }
    report.opset = opset;
    let mut hist: HashMap<&str, usize> = HashMap::new();
    for (_, op) in graph.operations() {
        *hist.entry(op.op_type.as_str()).or_default() += 1;
    }
    // Every op type that cannot run, at once: that is what a user inspecting a model wants to know.
    let missing = unsupported_ops(graph);
    if let Some(first) = missing.first() {
        let op_type = if missing.len() == 1 {
            first.describe()
        } else {
            format!(
                "{} op types cannot run: {}",
                missing.len(),
                missing.iter().map(UnsupportedOp::describe).collect::<Vec<_>>().join("; ")
            )
        };
        return Err(GraphError::UnsupportedOp { op: first.first_op.clone(), op_type });
    }
    let mut hist: Vec<(String, usize)> = hist.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    hist.sort();
    report.op_histogram = hist;
    Ok(())
}

/// One op type of a model that the executor cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedOp {
    /// `domain::type` for ops outside ai.onnx, else the type.
    pub op_type: String,
    /// How many ops of the model have it.
    pub count: usize,
    /// The first of them (in file order), to find it in the model.
    pub first_op: String,
    /// Why, when there is more to say than "not implemented".
    pub why: Option<&'static str>,
}

impl UnsupportedOp {
    /// `LSTM ×2 (recurrent layers are not supported)`.
    pub fn describe(&self) -> String {
        let n = if self.count > 1 { format!(" ×{}", self.count) } else { String::new() };
        match self.why {
            Some(w) => format!("{}{n} ({w})", self.op_type),
            None => format!("{}{n}", self.op_type),
        }
    }
}

/// Every op type of `graph` the executor cannot run (other domains included), in order of first appearance.
pub fn unsupported_ops(graph: &BaseGraph) -> Vec<UnsupportedOp> {
    let mut out: Vec<UnsupportedOp> = Vec::new();
    for (_, op) in graph.operations() {
        let foreign = !(op.domain.is_empty() || op.domain == "ai.onnx");
        if !foreign && ops::supported_ops().contains(&op.op_type.as_str()) {
            continue;
        }
        let op_type = if foreign { format!("{}::{}", op.domain, op.op_type) } else { op.op_type.clone() };
        match out.iter_mut().find(|u| u.op_type == op_type) {
            Some(u) => u.count += 1,
            None => out.push(UnsupportedOp {
                why: if foreign {
                    Some("only the ai.onnx domain is supported")
                } else {
                    ops::unsupported_hint(&op.op_type)
                },
                op_type,
                count: 1,
                first_op: op.name.clone(),
            }),
        }
    }
    out
}

/// Reads a model and validates it, keeping the graph when only validation fails (an unsupported op, a shape
/// that does not fit): `inspect` reports what it found and still exits 0 for a model it could read.
pub fn read_and_validate(bytes: &[u8]) -> Result<(BaseGraph, Result<ValidationReport, GraphError>), GraphError> {
    if bytes.is_empty() {
        return Err(GraphError::Malformed("the file is empty".into()));
    }
    let model = import::decode_model(bytes)?;
    check_header(&model)?;
    let graph = import::build_graph(&model)?;
    let report = validate(&graph);
    Ok((graph, report))
}

/// Ops on the longest path, checked against [`MAX_GRAPH_DEPTH`].
fn depth(graph: &BaseGraph, order: &[OpId]) -> Result<usize, GraphError> {
    let mut level: HashMap<OpId, usize> = HashMap::new();
    let mut deepest = 0;
    for &id in order {
        let d = graph.upstream_ops(id).iter().filter_map(|u| level.get(u)).max().map_or(1, |d| d + 1);
        if d > MAX_GRAPH_DEPTH {
            return Err(GraphError::TooLarge(format!(
                "op '{}' is {d} ops deep, over the graph depth limit of {MAX_GRAPH_DEPTH}",
                graph.op(id).name
            )));
        }
        deepest = deepest.max(d);
        level.insert(id, d);
    }
    Ok(deepest)
}

/// Ops whose first output has the element type of their first input (the schema's `T → T`).
const SAME_TYPE_OPS: &[&str] = &[
    "Relu",
    "Sigmoid",
    "Tanh",
    "LeakyRelu",
    "Elu",
    "Selu",
    "HardSigmoid",
    "HardSwish",
    "Softplus",
    "Abs",
    "Neg",
    "Exp",
    "Log",
    "Sqrt",
    "Reciprocal",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Softmax",
    "Identity",
    "Conv",
    "Gemm",
    "MatMul",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "BatchNormalization",
];

/// What inference knows about one variable.
#[derive(Debug, Clone, Default)]
struct Info {
    shape: Option<InferredShape>,
    dtype: Option<i32>,
    /// The exact value, for constants and shape chains.
    /// Shared: an op may list one big initializer thousands of times, and each slot gets this Info.
    value: Option<Rc<Tensor>>,
}

impl Info {
    fn of_value(t: Tensor) -> Self {
        Self {
            shape: Some(t.shape().iter().map(|&d| Some(d)).collect()),
            dtype: Some(t.onnx_dtype()),
            value: Some(Rc::new(t)),
        }
    }

    fn of_shape(shape: InferredShape, dtype: Option<i32>) -> Self {
        Self { shape: Some(shape), dtype, value: None }
    }

    /// The shape when every dim is known.
    fn known(&self) -> Option<Vec<usize>> {
        self.shape.as_ref()?.iter().copied().collect()
    }
}

/// Supported element types of graph inputs (those [`Tensor`] can hold).
const INPUT_DTYPES: &[(i32, &str)] = &[
    (1, "float32"),
    (2, "uint8"),
    (3, "int8"),
    (4, "uint16"),
    (5, "int16"),
    (6, "int32"),
    (7, "int64"),
    (9, "bool"),
    (10, "float16"),
    (11, "float64"),
    (12, "uint32"),
    (13, "uint64"),
    (16, "bfloat16"),
];

/// Parameters get their values; graph inputs their declared shapes (leading symbolic dim → 1).
fn seed_infos<'g>(
    graph: &'g BaseGraph,
    infos: &mut HashMap<&'g str, Info>,
    report: &mut ValidationReport,
    data: &[(&str, &[usize])],
) -> Result<(), GraphError> {
    for (_, v) in graph.variables() {
        if let Some(t) = &v.value {
            report.num_parameters = report.num_parameters.saturating_add(t.len());
            infos.insert(v.name.as_str(), Info::of_value(t.clone()));
        }
    }
    for &i in &graph.inputs {
        let v = graph.var(i);
        let bad = |why: String| GraphError::Invalid(format!("graph input '{}': {why}", v.name));
        if let Some(dt) = v.dtype
            && !INPUT_DTYPES.iter().any(|&(c, _)| c == dt)
        {
            let names: Vec<&str> = INPUT_DTYPES.iter().map(|&(_, n)| n).collect();
            return Err(bad(format!("elem_type {dt} is not supported ({})", names.join(", "))));
        }
        if let Some((_, shape)) = data.iter().find(|(n, _)| *n == v.name) {
            seed_from_data(v, shape, report)?;
            infos.insert(v.name.as_str(), Info::of_shape(shape.iter().map(|&d| Some(d)).collect(), v.dtype));
            continue;
        }
        let Some(dims) = &v.shape else {
            report.notes.push(format!("graph input '{}' declares no shape; shapes after it are not checked", v.name));
            infos.insert(v.name.as_str(), Info { dtype: v.dtype, ..Info::default() });
            continue;
        };
        // Sizes are checked in u64 first so the message is the same on 32-bit wasm and 64-bit native.
        let too_large = || {
            GraphError::TooLarge(format!(
                "graph input '{}': shape {} is over the limit of {} elements",
                v.name,
                fmt_dims(dims),
                ops::MAX_TENSOR_ELEMENTS
            ))
        };
        let mut shape = Vec::with_capacity(dims.len());
        let mut total: u64 = 1;
        for (k, d) in dims.iter().enumerate() {
            shape.push(match d {
                Dim::Value(x) if *x < 0 => return Err(bad(format!("dimension {k} is negative ({x})"))),
                Dim::Value(x) => {
                    total = total.saturating_mul(x.unsigned_abs().max(1));
                    if total > ops::MAX_TENSOR_ELEMENTS as u64 {
                        return Err(too_large());
                    }
                    Some(usize::try_from(*x).map_err(|_| too_large())?)
                }
                _ if k == 0 => {
                    report.notes.push(format!("graph input '{}': symbolic batch dimension taken as 1", v.name));
                    Some(1)
                }
                _ => {
                    report.notes.push(format!("graph input '{}': dimension {k} is symbolic and not checked", v.name));
                    None
                }
            });
        }
        infos.insert(v.name.as_str(), Info::of_shape(shape, v.dtype));
    }
    Ok(())
}

/// Checks the data's shape for graph input `v` against its declared shape and notes what its symbolic dims are.
fn seed_from_data(v: &super::ir::Variable, shape: &[usize], report: &mut ValidationReport) -> Result<(), GraphError> {
    let bad = |why: String| GraphError::CalibData(format!("input '{}': {why}", v.name));
    if count(shape).is_none() {
        return Err(GraphError::TooLarge(format!("input '{}': data of shape {shape:?} is too large", v.name)));
    }
    let Some(dims) = &v.shape else {
        report.notes.push(format!("graph input '{}' declares no shape; the data gives {shape:?}", v.name));
        return Ok(());
    };
    if dims.len() != shape.len() {
        return Err(bad(format!("the data has shape {shape:?}, the model declares {}", fmt_dims(dims))));
    }
    let mut resolved = Vec::new();
    for (k, (d, &n)) in dims.iter().zip(shape).enumerate() {
        match d {
            Dim::Value(x) if usize::try_from(*x).ok() != Some(n) => {
                return Err(bad(format!(
                    "dimension {k} is {n} in the data but {x} in the model (shape {})",
                    fmt_dims(dims)
                )));
            }
            Dim::Value(_) => {}
            Dim::Param(p) => resolved.push(format!("'{p}' (dim {k}) = {n}")),
            Dim::Unknown => resolved.push(format!("dim {k} = {n}")),
        }
    }
    if !resolved.is_empty() {
        report.notes.push(format!("graph input '{}': {} from the data", v.name, resolved.join(", ")));
    }
    Ok(())
}

/// The element count of `shape` if it is allocatable ([`ops::shape_fits`]: zero dims do not hide huge ones).
fn count(shape: &[usize]) -> Option<usize> {
    ops::shape_fits(shape).then(|| shape.iter().product())
}

fn fmt_shape(s: &[Option<usize>]) -> String {
    let dims: Vec<String> = s.iter().map(|d| d.map_or_else(|| "?".to_string(), |d| d.to_string())).collect();
    format!("[{}]", dims.join(", "))
}

/// An inferred output must agree with the shape the model declares for it (value_info / graph outputs).
fn check_declared(
    op: &Operation,
    name: &str,
    declared: Option<&[Dim]>,
    inferred: &[Option<usize>],
) -> Result<(), GraphError> {
    let Some(declared) = declared else { return Ok(()) };
    let mismatch = declared.len() != inferred.len()
        || declared.iter().zip(inferred).enumerate().any(|(k, (d, i))| {
            k > 0 && matches!((d, i), (Dim::Value(a), Some(b)) if usize::try_from(*a).ok() != Some(*b))
        });
    if mismatch {
        return Err(GraphError::shape(
            &op.name,
            format!(
                "output '{name}' is inferred as {} but the model declares {}",
                fmt_shape(inferred),
                fmt_dims(declared)
            ),
        ));
    }
    Ok(())
}

/// The attributes an op runs with: Split without sizes gets `num_outputs` from its output count, as ONNX
/// defines (the kernel needs it explicitly); a MaxPool listing its Indices output gets `num_outputs` = 2.
pub fn run_attributes(op: &Operation) -> Cow<'_, Attributes> {
    let has_sizes = op.inputs.len() > 1 || op.attributes.has("split");
    if op.op_type == "Split" && !has_sizes && !op.attributes.has("num_outputs") {
        let n = i64::try_from(op.outputs.len()).unwrap_or(i64::MAX);
        Cow::Owned(op.attributes.clone().with("num_outputs", AttrValue::Int(n)))
    } else if op.op_type == "MaxPool" && op.outputs.len() > 1 {
        // The Indices output is computed only when the node lists it.
        Cow::Owned(op.attributes.clone().with("num_outputs", AttrValue::Int(2)))
    } else {
        Cow::Borrowed(&op.attributes)
    }
}

/// Infers one op's outputs from its inputs (`None` for omitted optional inputs).
fn infer_op(graph: &BaseGraph, id: OpId, ins: &[Option<Info>]) -> Result<Vec<Info>, GraphError> {
    let op = graph.op(id);
    let attrs = run_attributes(op);
    // Everything exact and small: run it (constant folding of shape chains).
    let all_exact = ins.iter().flatten().all(|i| i.value.is_some());
    let small =
        ins.iter().flatten().map(|i| i.value.as_ref().map_or(0, |v| v.len())).fold(0usize, usize::saturating_add)
            <= FOLD_ELEMENTS;
    if all_exact && small && !HEAVY.contains(&op.op_type.as_str()) {
        let vals: Vec<Option<&Tensor>> = ins.iter().map(|i| i.as_ref().and_then(|i| i.value.as_deref())).collect();
        let out = match ops::with_element_limit(DRY_RUN_ELEMENTS, || ops::run_op(&op.op_type, &vals, &attrs)) {
            // Too big to fold cheaply; the executor enforces the real limit.
            Err(GraphError::TooLarge(_)) => return Ok(vec![Info::default(); op.outputs.len()]),
            other => other?,
        };
        return outputs_of(op, out.into_iter().map(Info::of_value).collect());
    }
    let same = |k: usize| ins.get(k).cloned().flatten().map(|i| Info { value: None, ..i }).unwrap_or_default();
    let rule: Option<Vec<Info>> = match op.op_type.as_str() {
        "Conv" => Some(vec![conv(graph, op, &attrs, ins)?]),
        "Gemm" => Some(vec![gemm(op, &attrs, ins)?]),
        "ConvTranspose" => {
            // Channels only: output spatial sizes are left to the executor (see HEAVY).
            let (x, w) = (same(0), same(1));
            if let (Some(c), Some(wc)) =
                (x.shape.as_ref().and_then(|s| s.get(1).copied().flatten()), w.known().and_then(|s| s.first().copied()))
                && c != wc
            {
                return Err(GraphError::shape(
                    &op.name,
                    format!(
                        "input '{}' has {c} channels but the weight '{}' has {wc}",
                        in_name(graph, op, 0),
                        in_name(graph, op, 1)
                    ),
                ));
            }
            None
        }
        "MatMul" => Some(vec![matmul(op, ins)?]),
        "MaxPool" | "AveragePool" => Some(pool(op, &attrs, ins)?),
        "GlobalAveragePool" | "GlobalMaxPool" => {
            let x = same(0);
            let shape = x.shape.map(|s| s.iter().enumerate().map(|(k, &d)| if k < 2 { d } else { Some(1) }).collect());
            Some(vec![Info { shape, ..x }])
        }
        "BatchNormalization" => {
            per_channel(graph, op, ins, &[(1, "scale"), (2, "B"), (3, "input_mean"), (4, "input_var")])?;
            Some(vec![same(0)])
        }
        "Add" | "Sub" | "Mul" | "Div" | "Pow" | "PRelu" => {
            let (a, b) = (same(0), same(1));
            let shape = match (&a.shape, &b.shape) {
                (Some(x), Some(y)) => Some(broadcast(op, x, y)?),
                _ => None,
            };
            Some(vec![Info { shape, dtype: a.dtype.or(b.dtype), value: None }])
        }
        "Relu" | "Sigmoid" | "Tanh" | "Softplus" | "Sqrt" | "LeakyRelu" | "HardSigmoid" | "HardSwish" | "Erf"
        | "Gelu" | "Clip" | "Softmax" | "LayerNormalization" | "Identity" => Some(vec![same(0)]),
        "QuantizeLinear" => {
            let zp = ins.get(2).cloned().flatten().and_then(|i| i.dtype).unwrap_or(2);
            Some(vec![Info { dtype: Some(zp), ..same(0) }])
        }
        "DequantizeLinear" => Some(vec![Info { dtype: Some(1), ..same(0) }]),
        "Cast" => Some(vec![Info { dtype: Some(i32::try_from(attrs.int_or("to", 1)?).unwrap_or(-1)), ..same(0) }]),
        // Shape's start/end (opset 15) through the kernel's own rule: the selected dims may all be known even
        // when others (a symbolic batch) are not.
        "Shape" => Some(vec![match same(0).shape {
            Some(full) => {
                let (start, end) = ops::shape_range(full.len(), &attrs)?;
                let dims = &full[start..end];
                match dims.iter().copied().collect::<Option<Vec<usize>>>() {
                    Some(s) => Info::of_value(Tensor::I64(
                        ArrayD::from_shape_vec(IxDyn(&[s.len()]), s.iter().map(|&d| d as i64).collect())
                            .map_err(|e| GraphError::shape(&op.name, e.to_string()))?,
                    )),
                    None => Info::of_shape(vec![Some(dims.len())], Some(7)),
                }
            }
            None => Info::of_shape(vec![None], Some(7)),
        }]),
        _ => None,
    };
    if let Some(mut outs) = rule {
        // Rules infer the main output; optional extra outputs (LayerNormalization's Mean/InvStdDev,
        // BatchNormalization's running statistics) stay unknown here and are checked by the kernel at run time.
        if outs.len() < op.outputs.len() {
            outs.resize(op.outputs.len(), Info::default());
        }
        return outputs_of(op, outs);
    }
    if HEAVY.contains(&op.op_type.as_str()) {
        // Work grows with kernel size × output, not with the inputs: never run these during validation.
        return Ok(vec![Info { dtype: Some(1), ..Info::default() }; op.outputs.len()]);
    }
    dry_run(op, &attrs, ins)
}

/// Ops whose cost is not bounded by their input sizes (a fuzzed ConvTranspose took 50 s): inferred by rules only.
const HEAVY: &[&str] = &["Conv", "ConvTranspose", "Gemm", "MatMul"];

/// Pads or trims inferred outputs to the op's output count.
fn outputs_of(op: &Operation, mut outs: Vec<Info>) -> Result<Vec<Info>, GraphError> {
    if outs.len() < op.outputs.len() {
        return Err(GraphError::shape(
            &op.name,
            format!("{} produces {} outputs, the node lists {}", op.op_type, outs.len(), op.outputs.len()),
        ));
    }
    outs.truncate(op.outputs.len());
    Ok(outs)
}

/// Runs an op on zero placeholders (exact values where known) to learn its output shapes; unknown when a shape
/// or a shape/index input is unknown, or the data is larger than [`DRY_RUN_ELEMENTS`].
fn dry_run(op: &Operation, attrs: &Attributes, ins: &[Option<Info>]) -> Result<Vec<Info>, GraphError> {
    let unknown = || Ok(vec![Info::default(); op.outputs.len()]);
    let soi = super::dispatch::soi_input_slots(&op.op_type, ins.len());
    let mut total = 0usize;
    let mut vals: Vec<Option<Rc<Tensor>>> = Vec::with_capacity(ins.len());
    for (k, i) in ins.iter().enumerate() {
        let Some(i) = i else {
            vals.push(None);
            continue;
        };
        if let Some(v) = &i.value {
            vals.push(Some(v.clone()));
            continue;
        }
        let Some(shape) = i.known() else { return unknown() };
        // Shape/index inputs (PPQ's SOI slots, and any integer input after the data) change the output's shape
        // with their values: zeros would infer a wrong shape (Reduce* axes), so their outputs stay unknown.
        if soi.contains(&k) || (k >= 1 && (matches!(i.dtype, Some(6 | 7)) || op.op_type == "Upsample")) {
            return unknown();
        }
        total = total.saturating_add(count(&shape).unwrap_or(usize::MAX));
        if total > DRY_RUN_ELEMENTS {
            return unknown();
        }
        vals.push(Some(Rc::new(placeholder(i.dtype.unwrap_or(1), &shape))));
    }
    let refs: Vec<Option<&Tensor>> = vals.iter().map(Option::as_deref).collect();
    let out = match ops::with_element_limit(DRY_RUN_ELEMENTS, || ops::run_op(&op.op_type, &refs, attrs)) {
        Err(GraphError::TooLarge(_)) => return unknown(),
        other => other?,
    };
    outputs_of(
        op,
        out.into_iter()
            .map(|t| Info::of_shape(t.shape().iter().map(|&d| Some(d)).collect(), Some(t.onnx_dtype())))
            .collect(),
    )
}

/// A placeholder tensor of ONNX element type `dtype` for a dry run: float zeros, integer ones (an integer Div or
/// Mod by a placeholder must not fail: the real data decides), false bools (float32 for other codes).
fn placeholder(dtype: i32, shape: &[usize]) -> Tensor {
    let s = IxDyn(shape);
    match dtype {
        7 => Tensor::I64(ArrayD::ones(s)),
        6 => Tensor::I32(ArrayD::ones(s)),
        3 => Tensor::I8(ArrayD::ones(s)),
        2 => Tensor::U8(ArrayD::ones(s)),
        4 => Tensor::U16(ArrayD::ones(s)),
        5 => Tensor::I16(ArrayD::ones(s)),
        12 => Tensor::U32(ArrayD::ones(s)),
        13 => Tensor::U64(ArrayD::ones(s)),
        9 => Tensor::Bool(ArrayD::from_elem(s, false)),
        _ => Tensor::F32(ArrayD::zeros(s)),
    }
}

/// The variable name of input `k` of `op`, for messages.
fn in_name<'g>(graph: &'g BaseGraph, op: &Operation, k: usize) -> &'g str {
    op.inputs.get(k).map_or("", |&v| graph.var(v).name.as_str())
}

/// A required input's info or an error naming the slot.
fn need<'a>(op: &Operation, ins: &'a [Option<Info>], k: usize, what: &str) -> Result<&'a Info, GraphError> {
    ins.get(k)
        .and_then(Option::as_ref)
        .ok_or_else(|| GraphError::shape(&op.name, format!("required input #{k} ({what}) is missing")))
}

/// Numpy broadcast over possibly unknown dims; an error names both shapes.
fn broadcast(op: &Operation, a: &[Option<usize>], b: &[Option<usize>]) -> Result<InferredShape, GraphError> {
    let n = a.len().max(b.len());
    let at = |s: &[Option<usize>], i: usize| if i + s.len() >= n { s[i + s.len() - n] } else { Some(1) };
    (0..n)
        .map(|i| match (at(a, i), at(b, i)) {
            (Some(x), Some(y)) if x == y => Ok(Some(x)),
            (Some(1), y) | (y, Some(1)) => Ok(y),
            (Some(_), Some(_)) => Err(GraphError::shape(
                &op.name,
                format!("input shapes {} and {} cannot be broadcast together", fmt_shape(a), fmt_shape(b)),
            )),
            // An unknown dim broadcasts to the known one unless that is 1.
            (Some(x), None) | (None, Some(x)) if x != 1 => Ok(Some(x)),
            _ => Ok(None),
        })
        .collect()
}

/// Checks the 1-D per-channel parameters of BatchNormalization against the input channels.
fn per_channel(
    graph: &BaseGraph,
    op: &Operation,
    ins: &[Option<Info>],
    params: &[(usize, &str)],
) -> Result<(), GraphError> {
    let x = need(op, ins, 0, "X")?;
    let c = x.shape.as_ref().and_then(|s| s.get(1).copied().flatten());
    for &(k, name) in params {
        let p = need(op, ins, k, name)?;
        if let (Some(c), Some(s)) = (c, p.known())
            && s != [c]
        {
            return Err(GraphError::shape(
                &op.name,
                format!("{name} '{}' has shape {s:?} but input X has {c} channels", in_name(graph, op, k)),
            ));
        }
    }
    Ok(())
}

/// Conv: rank, channels per group, bias length and output spatial size.
fn conv(graph: &BaseGraph, op: &Operation, attrs: &Attributes, ins: &[Option<Info>]) -> Result<Info, GraphError> {
    let x = need(op, ins, 0, "X")?;
    let w = need(op, ins, 1, "W")?;
    let Some(ws) = w.known() else { return Ok(Info::default()) };
    let (xn, wn) = (in_name(graph, op, 0), in_name(graph, op, 1));
    if ws.len() < 3 || ws.contains(&0) {
        return Err(GraphError::shape(
            &op.name,
            format!("weight '{wn}' has shape {ws:?}; a convolution needs M×C/group×spatial non-empty weights"),
        ));
    }
    let group = attrs.int_or("group", 1)?;
    if group < 1 {
        return Err(GraphError::attribute(&op.name, "group", "must be ≥ 1"));
    }
    let group = checked::to_usize(group, &op.name, "attribute 'group'")?;
    let (m, cg) = (ws[0], ws[1]);
    if m % group != 0 {
        return Err(GraphError::shape(
            &op.name,
            format!("weight '{wn}' has {m} output channels, not divisible by group = {group}"),
        ));
    }
    if let Some(b) = ins.get(2).and_then(Option::as_ref).and_then(Info::known)
        && b != [m]
    {
        return Err(GraphError::shape(
            &op.name,
            format!("bias '{}' has shape {b:?}, the weight '{wn}' {ws:?} needs [{m}]", in_name(graph, op, 2)),
        ));
    }
    let Some(xs) = &x.shape else { return Ok(Info { shape: None, dtype: Some(1), value: None }) };
    if xs.len() != ws.len() {
        return Err(GraphError::shape(
            &op.name,
            format!(
                "input '{xn}' has shape {} (rank {}) but the weight '{wn}' {ws:?} has rank {}",
                fmt_shape(xs),
                xs.len(),
                ws.len()
            ),
        ));
    }
    if let Some(c) = xs[1]
        && c != cg * group
    {
        return Err(GraphError::shape(
            &op.name,
            format!(
                "input '{xn}' has {c} channels (shape {}) but the weight '{wn}' {ws:?} expects {} ({cg} per group × {group} groups)",
                fmt_shape(xs),
                cg * group
            ),
        ));
    }
    let kernel = &ws[2..];
    let out = window(attrs, xs, kernel, false)?;
    let y = [vec![xs[0], Some(m)], out].concat();
    check_cost(op, "multiply-adds", &y, &[&[cg][..], kernel].concat())?;
    Ok(Info::of_shape(y, Some(1)))
}

/// The executor's per-op work bound ([`budget::check_cost`]) applied up front: `output` elements × `per_output`
/// steps each, when the output shape is fully known, so a model that could not run is refused at load time.
fn check_cost(op: &Operation, unit: &str, output: &[Option<usize>], per_output: &[usize]) -> Result<(), GraphError> {
    let Some(out) = output.iter().copied().collect::<Option<Vec<usize>>>() else { return Ok(()) };
    let steps = checked::product(&out).and_then(|n| n.checked_mul(checked::product(per_output)?));
    budget::check_cost(&op.name, unit, steps)
}

/// Output spatial dims of a window op (unknown when an input spatial dim is).
fn window(attrs: &Attributes, xs: &[Option<usize>], kernel: &[usize], ceil: bool) -> Result<InferredShape, GraphError> {
    // Axes are independent: an unknown (symbolic) axis stays unknown, the known ones are computed. The stand-in
    // size for unknown axes is k · 2^20, at least the dilated kernel extent (dilations are ≤ 2^20), so no window
    // geometry refuses it; its result is discarded.
    let stand_in: Vec<usize> =
        xs[2..].iter().zip(kernel).map(|(d, &k)| d.unwrap_or(k.max(1).saturating_mul(1 << 20))).collect();
    let out = ops::window_output(attrs, kernel, &stand_in, ceil).map_err(|e| match e {
        GraphError::Shape { op: o, why } => GraphError::shape(o, format!("{why} (input shape {})", fmt_shape(xs))),
        other => other,
    })?;
    Ok(out.into_iter().zip(&xs[2..]).map(|(o, d)| d.map(|_| o)).collect())
}

/// MaxPool / AveragePool output shapes (MaxPool's Indices too).
fn pool(op: &Operation, attrs: &Attributes, ins: &[Option<Info>]) -> Result<Vec<Info>, GraphError> {
    let x = need(op, ins, 0, "X")?;
    let Some(xs) = &x.shape else { return Ok(vec![Info::default(); op.outputs.len()]) };
    if xs.len() < 3 {
        return Err(GraphError::shape(&op.name, format!("input must be N×C×spatial, has shape {}", fmt_shape(xs))));
    }
    let kernel = ops::pool_kernel(attrs, xs.len() - 2)?;
    let ceil = attrs.int_or("ceil_mode", 0)? != 0;
    let out = window(attrs, xs, &kernel, ceil)?;
    let y = [vec![xs[0], xs[1]], out].concat();
    check_cost(op, "window reads", &y, &kernel)?;
    let mut outs = vec![Info::of_shape(y.clone(), Some(1))];
    if op.op_type == "MaxPool" && op.outputs.len() > 1 {
        outs.push(Info::of_shape(y, Some(7)));
    }
    Ok(outs)
}

/// Gemm: 2-D operands, inner dimension, C broadcast.
fn gemm(op: &Operation, attrs: &Attributes, ins: &[Option<Info>]) -> Result<Info, GraphError> {
    let a = need(op, ins, 0, "A")?;
    let b = need(op, ins, 1, "B")?;
    let dims = |i: &Info, what: &str, trans: bool| -> Result<Option<[Option<usize>; 2]>, GraphError> {
        match &i.shape {
            None => Ok(None),
            Some(s) if s.len() == 2 => Ok(Some(if trans { [s[1], s[0]] } else { [s[0], s[1]] })),
            Some(s) => Err(GraphError::shape(&op.name, format!("{what} must be 2-D, it has shape {}", fmt_shape(s)))),
        }
    };
    let a = dims(a, "A", attrs.int_or("transA", 0)? != 0)?;
    let b = dims(b, "B", attrs.int_or("transB", 0)? != 0)?;
    let (Some([m, k]), Some([k2, n])) = (a, b) else { return Ok(Info { dtype: Some(1), ..Info::default() }) };
    if let (Some(k), Some(k2)) = (k, k2)
        && k != k2
    {
        return Err(GraphError::shape(
            &op.name,
            format!("inner dimensions differ: op(A) has {k} columns, op(B) has {k2} rows"),
        ));
    }
    let y = vec![m, n];
    if let Some(k) = k.or(k2) {
        check_cost(op, "multiply-adds", &y, &[k])?;
    }
    if let Some(c) = ins.get(2).and_then(Option::as_ref).and_then(|c| c.shape.clone()) {
        let full = broadcast(op, &y, &c)?;
        if full.len() != 2
            || matches!((full[0], m), (Some(a), Some(b)) if a != b)
            || matches!((full[1], n), (Some(a), Some(b)) if a != b)
        {
            return Err(GraphError::shape(
                &op.name,
                format!("C of shape {} does not broadcast to {}", fmt_shape(&c), fmt_shape(&y)),
            ));
        }
    }
    Ok(Info::of_shape(y, Some(1)))
}

/// MatMul with numpy semantics (1-D operands promoted, batch dims broadcast).
fn matmul(op: &Operation, ins: &[Option<Info>]) -> Result<Info, GraphError> {
    let (Some(a), Some(b)) = (need(op, ins, 0, "A")?.shape.clone(), need(op, ins, 1, "B")?.shape.clone()) else {
        return Ok(Info { dtype: Some(1), ..Info::default() });
    };
    if a.is_empty() || b.is_empty() {
        return Err(GraphError::shape(&op.name, "MatMul operands must have rank ≥ 1"));
    }
    let a2 = if a.len() == 1 { vec![Some(1), a[0]] } else { a.clone() };
    let b2 = if b.len() == 1 { vec![b[0], Some(1)] } else { b.clone() };
    let (ra, rb) = (a2.len(), b2.len());
    if let (Some(k), Some(k2)) = (a2[ra - 1], b2[rb - 2])
        && k != k2
    {
        return Err(GraphError::shape(
            &op.name,
            format!("inner dimensions differ: {} × {}", fmt_shape(&a), fmt_shape(&b)),
        ));
    }
    let mut y = broadcast(op, &a2[..ra - 2], &b2[..rb - 2])?;
    if a.len() > 1 {
        y.push(a2[ra - 2]);
    }
    if b.len() > 1 {
        y.push(b2[rb - 1]);
    }
    if let Some(k) = a2[ra - 1].or(b2[rb - 2]) {
        check_cost(op, "multiply-adds", &y, &[k])?;
    }
    Ok(Info::of_shape(y, Some(1)))
}

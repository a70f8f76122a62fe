//! `ppq-playground inspect`: what is in an ONNX model before quantizing it — op types, variables, opsets,
//! inputs/outputs with shapes, ops the executor cannot run, and the parameter count.

use ppq_graph::{BaseGraph, VarId};
use serde::Serialize;
use std::collections::BTreeMap;

/// The summary `inspect` prints (and writes as JSON with `--json`).
#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    /// The graph's name.
    pub name: String,
    /// Opset imports as `domain` → version (`""` is ai.onnx).
    pub opsets: BTreeMap<String, i64>,
    /// Number of ops.
    pub num_ops: usize,
    /// Op type → count.
    pub op_types: BTreeMap<String, usize>,
    /// Number of variables (activations and parameters).
    pub num_variables: usize,
    /// Graph inputs.
    pub inputs: Vec<IoSummary>,
    /// Graph outputs.
    pub outputs: Vec<IoSummary>,
    /// Op types the playground's executor does not run, every one of them (with count and reason).
    pub unsupported_ops: Vec<String>,
    /// `None` when the whole model validated (it will run); else why not — an unsupported op, a shape that does
    /// not fit … `inspect` still exits 0: it could read the model.
    pub validation_error: Option<String>,
    /// What validation noted (symbolic dims resolved from the data, assumed batch …).
    pub notes: Vec<String>,
    /// Inferred shapes of the graph outputs (`None` dims are resolved only from the data).
    pub inferred_outputs: Vec<IoSummary>,
    /// Number of parameter tensors.
    pub num_parameters: usize,
    /// Total number of parameter elements.
    pub parameter_elements: usize,
}

/// A graph input or output.
#[derive(Debug, Clone, Serialize)]
pub struct IoSummary {
    /// Variable name.
    pub name: String,
    /// Declared shape; `None` entries are symbolic or unknown dims; `None` overall when undeclared.
    pub shape: Option<Vec<Option<i64>>>,
}

/// The declared dims of a variable (`None` for symbolic ones).
pub fn declared_dims(g: &BaseGraph, v: VarId) -> Option<Vec<Option<i64>>> {
    ppq_session::declared_dims(g, v)
}

/// Summarises a graph.
pub fn summarize(g: &BaseGraph) -> ModelSummary {
    let mut op_types: BTreeMap<String, usize> = BTreeMap::new();
    for (_, op) in g.operations() {
        *op_types.entry(op.op_type.clone()).or_default() += 1;
    }
    let unsupported_ops = ppq_graph::validate::unsupported_ops(g).iter().map(|u| u.describe()).collect();
    let params: Vec<_> = g.variables().filter(|(_, v)| v.is_parameter).collect();
    let io = |ids: &[VarId]| {
        ids.iter().map(|&v| IoSummary { name: g.var(v).name.clone(), shape: declared_dims(g, v) }).collect()
    };
    ModelSummary {
        name: g.name.clone(),
        opsets: g.detail.opset_imports.iter().map(|o| (o.domain.clone(), o.version)).collect(),
        num_ops: g.num_ops(),
        op_types,
        num_variables: g.num_vars(),
        inputs: io(&g.inputs),
        outputs: io(&g.outputs),
        unsupported_ops,
        validation_error: None,
        notes: Vec::new(),
        inferred_outputs: Vec::new(),
        num_parameters: params.len(),
        parameter_elements: params.iter().filter_map(|(_, v)| v.value.as_ref().map(|t| t.len())).sum(),
    }
}

fn shape_text(s: &Option<Vec<Option<i64>>>) -> String {
    match s {
        None => "?".into(),
        Some(d) => {
            let parts: Vec<String> = d.iter().map(|x| x.map_or("?".into(), |v| v.to_string())).collect();
            format!("[{}]", parts.join(", "))
        }
    }
}

/// The human-readable form.
pub fn summary_text(s: &ModelSummary) -> String {
    let mut out = format!("model: {}\n", s.name);
    let opsets: Vec<String> =
        s.opsets.iter().map(|(d, v)| format!("{}={v}", if d.is_empty() { "ai.onnx" } else { d })).collect();
    out += &format!("opsets: {}\n", opsets.join(", "));
    out += &format!("ops: {} ({} types)\n", s.num_ops, s.op_types.len());
    for (t, n) in &s.op_types {
        out += &format!("  {t:<24} {n}\n");
    }
    out += &format!("variables: {}\n", s.num_variables);
    for (label, list) in [("inputs", &s.inputs), ("outputs", &s.outputs)] {
        out += &format!("{label}:\n");
        for io in list {
            out += &format!("  {} {}\n", io.name, shape_text(&io.shape));
        }
    }
    out += &format!("parameters: {} tensors, {} values\n", s.num_parameters, s.parameter_elements);
    if s.unsupported_ops.is_empty() {
        out += "unsupported ops: none\n";
    } else {
        out += &format!("unsupported ops ({}):\n", s.unsupported_ops.len());
        for u in &s.unsupported_ops {
            out += &format!("  {u}\n");
        }
    }
    if !s.inferred_outputs.is_empty() {
        out += "inferred outputs:\n";
        for io in &s.inferred_outputs {
            out += &format!("  {} {}\n", io.name, shape_text(&io.shape));
        }
    }
    for n in &s.notes {
        out += &format!("note: {n}\n");
    }
    match &s.validation_error {
        None => out += "validation: ok (the model runs in the playground)\n",
        Some(e) => out += &format!("validation: {e}\n"),
    }
    out
}

/// `ppq-playground inspect`: reads the model (errors here are the exit-1 kind: unreadable, not ONNX), then
/// reports everything it found, validation problems included, and succeeds.
pub fn inspect_file(path: &std::path::Path, json: bool) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (g, report) = ppq_graph::validate::read_and_validate(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut s = summarize(&g);
    match report {
        Ok(r) => {
            s.notes = r.notes;
            s.inferred_outputs = r
                .outputs
                .iter()
                .map(|o| IoSummary {
                    name: o.name.clone(),
                    shape: o.shape.as_ref().map(|d| d.iter().map(|x| x.map(|v| v as i64)).collect()),
                })
                .collect();
        }
        Err(e) => s.validation_error = Some(e.to_string()),
    }
    // "ok" promises the model runs: sizes only known at run time are checked by one fp32 run on zeros.
    if s.validation_error.is_none()
        && let Err(e) = ppq_graph::probe::probe_run(&g)
    {
        s.validation_error = Some(format!("the fp32 probe run on zeros of the declared input shapes: {e}"));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&s).map_err(|e| e.to_string())?);
    } else {
        print!("{}", summary_text(&s));
    }
    Ok(())
}

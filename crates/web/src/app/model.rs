//! The page's view-model: a formatted, dispatched graph laid out for drawing, plus the optional TQC records
//! and per-pass snapshots that say how it was quantized. It is built once per opened model; the components
//! only read it. Quantization results come from elsewhere (today the bundled real-PPQ results, later our own
//! pipeline): nothing here computes a state, a group or a scale.

use crate::layout::{Layout, LayoutConfig, layout};
use ppq_core::platform::TargetPlatform;
use ppq_graph::dispatch::{dispatch_graph, resolve_platforms};
use ppq_graph::format::{FormatVersion, format_graph};
use ppq_graph::ir::{BaseGraph, Dim, VarId};
use ppq_graph::validate::inspect_onnx;
use ppq_pipeline::record::{Record, ScaleValue, TqcRecord};
use serde::Deserialize;
use std::collections::HashMap;

/// What a node of the drawing stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// An operation (index into [`ViewModel::ops`]).
    Op(usize),
    /// A graph input variable.
    Input(String),
    /// A graph output variable.
    Output(String),
}

/// One operation as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpView {
    /// Op name (PPQ's, after formatting).
    pub name: String,
    /// ONNX type.
    pub op_type: String,
    /// Platform after dispatch (`TRT_INT8`, `FP32`, `SOI` …), or the result's platform when one is loaded.
    pub platform: String,
    /// Input variable names in slot order.
    pub inputs: Vec<String>,
    /// Output variable names in slot order.
    pub outputs: Vec<String>,
    /// Drawing node index.
    pub node: usize,
}

/// One drawn edge: a non-parameter variable from its producer (or the graph input) to one consumer (or the
/// graph output).
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeView {
    /// The variable's name.
    pub var: String,
    /// Shape label (`1×4×8×8`) when the model declares it.
    pub shape: Option<String>,
    /// Source drawing node.
    pub from: usize,
    /// Target drawing node.
    pub to: usize,
    /// Id of the producer's output TQC (`op:outK:var`), if the producer is an op.
    pub from_tqc: Option<String>,
    /// Id of the consumer's input TQC (`op:inK:var`), if the consumer is an op.
    pub to_tqc: Option<String>,
}

/// The state of every TQC after one pass (one entry of `passes.json`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Snapshot {
    /// Pass name (`<before>` for the states the quantizer created).
    pub pass: String,
    /// Pipeline name (`prequant`, `quant` …).
    #[serde(default)]
    pub pipeline: String,
    /// State name per TQC id.
    #[serde(default)]
    pub states: HashMap<String, String>,
    /// Root id per TQC id, for TQCs that are not their own root.
    #[serde(default)]
    pub dominated_by: HashMap<String, String>,
    /// Scale per TQC id (null when not set yet).
    #[serde(default)]
    pub scales: HashMap<String, Option<SnapScale>>,
}

/// A scale as `passes.json` records it: per-tensor values in full, per-channel ones only as a summary.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum SnapScale {
    /// A per-tensor scale.
    Value(f64),
    /// Per-channel values, if a file lists them.
    Values(Vec<f64>),
    /// A summary such as `per-channel[4]`.
    Summary(String),
}

/// Quantization results to show on the graph, with where they come from.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultView {
    /// Where the result comes from, shown on the page.
    pub source: String,
    /// Every TQC record, in file order.
    pub tqcs: Vec<TqcRecord>,
    /// Record indices per op name.
    pub by_op: HashMap<String, Vec<usize>>,
    /// Record index per TQC id.
    pub by_id: HashMap<String, usize>,
    /// Snapshots after each pass (empty when unknown); the last one is the final state.
    pub snapshots: Vec<Snapshot>,
}

/// What one TQC looks like at one step of the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TqcAt<'a> {
    /// The record (policy, bits, … are fixed at creation).
    pub rec: &'a TqcRecord,
    /// State name at this step.
    pub state: String,
    /// Group root id at this step (the TQC's own id when it is its own root).
    pub root: String,
    /// Scale at this step.
    pub scale: Option<ScaleValue>,
    /// Set when the snapshot gives only a summary of the scale (e.g. `per-channel[4]`).
    pub scale_summary: Option<String>,
}

impl ResultView {
    /// Builds the result from `tqc.json` and optional `passes.json` texts. Errors name the file at fault.
    pub fn from_json(source: String, tqc_json: &str, passes_json: Option<&str>) -> Result<Self, String> {
        let records: Vec<Record> = serde_json::from_str(tqc_json).map_err(|e| format!("tqc.json: {e}"))?;
        let snapshots: Vec<Snapshot> = match passes_json {
            Some(text) => serde_json::from_str(text).map_err(|e| format!("passes.json: {e}"))?,
            None => Vec::new(),
        };
        let tqcs: Vec<TqcRecord> = records.iter().filter_map(Record::as_tqc).cloned().collect();
        let mut by_op: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_id = HashMap::new();
        for (i, t) in tqcs.iter().enumerate() {
            by_op.entry(t.op.clone()).or_default().push(i);
            by_id.insert(t.id.clone(), i);
        }
        Ok(Self { source, tqcs, by_op, by_id, snapshots })
    }

    /// The TQC `index` at snapshot `step` (the final record when there are no snapshots or the TQC is absent).
    pub fn at(&self, index: usize, step: Option<usize>) -> Option<TqcAt<'_>> {
        let rec = self.tqcs.get(index)?;
        let snap = step.and_then(|s| self.snapshots.get(s));
        let state = snap.and_then(|s| s.states.get(&rec.id)).cloned().unwrap_or_else(|| rec.state.clone());
        let root = match snap {
            Some(s) => s.dominated_by.get(&rec.id).cloned(),
            None => rec.dominated_by.clone(),
        }
        .unwrap_or_else(|| rec.id.clone());
        // The last snapshot is the final result, whose record has the full values.
        let last = step.is_some_and(|s| s + 1 == self.snapshots.len());
        let (scale, scale_summary) = match snap.filter(|_| !last) {
            Some(s) => match s.scales.get(&rec.id).cloned().flatten() {
                Some(SnapScale::Value(v)) => (Some(ScaleValue::PerTensor(v)), None),
                Some(SnapScale::Values(v)) => (Some(ScaleValue::PerChannel(v)), None),
                Some(SnapScale::Summary(text)) => (None, Some(text)),
                None => (None, None),
            },
            None => (rec.scale.clone(), None),
        };
        Some(TqcAt { rec, state, root, scale, scale_summary })
    }

    /// The TQC with id `id` at `step`.
    pub fn by_id_at(&self, id: &str, step: Option<usize>) -> Option<TqcAt<'_>> {
        self.at(*self.by_id.get(id)?, step)
    }

    /// Alignment groups at `step`: root id → member ids (root first), only for groups of two or more.
    pub fn groups(&self, step: Option<usize>) -> HashMap<String, Vec<String>> {
        let mut groups: HashMap<String, Vec<String>> = HashMap::new();
        for i in 0..self.tqcs.len() {
            if let Some(t) = self.at(i, step)
                && t.root != t.rec.id
            {
                groups.entry(t.root.clone()).or_insert_with(|| vec![t.root.clone()]).push(t.rec.id.clone());
            }
        }
        groups
    }
}

/// Everything the page draws for one opened model.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewModel {
    /// File or sample name.
    pub name: String,
    /// Operations in graph order.
    pub ops: Vec<OpView>,
    /// Drawing nodes (ops, graph inputs, graph outputs) in layout order.
    pub nodes: Vec<NodeKind>,
    /// Drawn edges.
    pub edges: Vec<EdgeView>,
    /// Node and edge geometry.
    pub layout: Layout,
    /// Quantization results, when known.
    pub result: Option<ResultView>,
}

/// Width and height of a node's box, from its labels and its number of TQC squares (a text-width estimate;
/// the layout only needs to keep boxes apart).
pub fn node_size(kind: &NodeKind, ops: &[OpView], tqcs: &dyn Fn(&str) -> usize) -> (f64, f64) {
    match kind {
        NodeKind::Op(i) => {
            let op = &ops[*i];
            let name = op.name.chars().count() as f64 * 6.6;
            let mut head = op.op_type.chars().count() as f64 * 7.6;
            if crate::app::colors::is_float_platform(&op.platform) {
                head += op.platform.chars().count() as f64 * 6.0 + 10.0;
            }
            let squares = tqcs(&op.name) as f64 * 13.0;
            ((name.max(head).max(squares) + 22.0).clamp(84.0, 280.0), 48.0)
        }
        NodeKind::Input(n) | NodeKind::Output(n) => ((n.chars().count() as f64 * 6.6 + 26.0).clamp(56.0, 220.0), 24.0),
    }
}

impl ViewModel {
    /// Builds the drawing of an already formatted graph.
    pub fn from_graph(name: &str, graph: &BaseGraph, result: Option<ResultView>) -> Self {
        let platform_of = |op: &str, dispatched: String| {
            result
                .as_ref()
                .and_then(|r| r.by_op.get(op))
                .and_then(|ix| ix.first())
                .and_then(|&i| result.as_ref().map(|r| r.tqcs[i].platform.clone()))
                .unwrap_or(dispatched)
        };
        let var_name = |v: VarId| graph.var(v).name.clone();
        let mut nodes = Vec::new();
        let mut ops = Vec::new();
        let mut op_node = HashMap::new();
        for &v in &graph.inputs {
            if !graph.var(v).is_parameter {
                nodes.push(NodeKind::Input(var_name(v)));
            }
        }
        for (id, op) in graph.operations() {
            op_node.insert(id, nodes.len());
            nodes.push(NodeKind::Op(ops.len()));
            ops.push(OpView {
                name: op.name.clone(),
                op_type: op.op_type.clone(),
                platform: platform_of(&op.name, op.platform.name().to_string()),
                inputs: op.inputs.iter().map(|&v| var_name(v)).collect(),
                outputs: op.outputs.iter().map(|&v| var_name(v)).collect(),
                node: nodes.len() - 1,
            });
        }
        let input_node: HashMap<String, usize> = nodes
            .iter()
            .enumerate()
            .filter_map(|(i, k)| if let NodeKind::Input(n) = k { Some((n.clone(), i)) } else { None })
            .collect();
        let mut edges = Vec::new();
        for (vid, var) in graph.variables() {
            if var.is_parameter || var.name.is_empty() {
                continue;
            }
            let shape = var.shape.as_ref().map(|s| shape_label(s));
            let (from, from_tqc) = match var.source_op {
                Some(op) => {
                    let o = graph.op(op);
                    let slot = o.outputs.iter().position(|&x| x == vid).unwrap_or(0);
                    (op_node.get(&op).copied(), Some(tqc_id(&o.name, false, slot, &var.name)))
                }
                None => (input_node.get(&var.name).copied(), None),
            };
            let Some(from) = from else { continue };
            let mut seen = Vec::new();
            for &dest in &var.dest_ops {
                let o = graph.op(dest);
                for (slot, _) in o.inputs.iter().enumerate().filter(|&(_, &x)| x == vid) {
                    if seen.contains(&(dest, slot)) {
                        continue;
                    }
                    seen.push((dest, slot));
                    if let Some(&to) = op_node.get(&dest) {
                        let to_tqc = Some(tqc_id(&o.name, true, slot, &var.name));
                        edges.push(EdgeView {
                            var: var.name.clone(),
                            shape: shape.clone(),
                            from,
                            to,
                            from_tqc: from_tqc.clone(),
                            to_tqc,
                        });
                    }
                }
            }
            if graph.outputs.contains(&vid) {
                let to = nodes.len();
                nodes.push(NodeKind::Output(var.name.clone()));
                edges.push(EdgeView { var: var.name.clone(), shape, from, to, from_tqc, to_tqc: None });
            }
        }
        let tqcs = |op: &str| result.as_ref().and_then(|r| r.by_op.get(op)).map_or(0, Vec::len);
        let sizes: Vec<(f64, f64)> = nodes.iter().map(|k| node_size(k, &ops, &tqcs)).collect();
        let pairs: Vec<(usize, usize)> = edges.iter().map(|e| (e.from, e.to)).collect();
        let layout = layout(&sizes, &pairs, &LayoutConfig::default());
        Self { name: name.to_string(), ops, nodes, edges, layout, result }
    }

    /// The op named `name`.
    pub fn op_index(&self, name: &str) -> Option<usize> {
        self.ops.iter().position(|o| o.name == name)
    }

    /// Record indices of op `i`'s TQCs (inputs then outputs, as PPQ lists them).
    pub fn tqcs_of(&self, i: usize) -> &[usize] {
        let name = self.ops.get(i).map(|o| o.name.as_str()).unwrap_or_default();
        self.result.as_ref().and_then(|r| r.by_op.get(name)).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Parses ONNX bytes, runs PPQ 0.6.6's formatting and the conservative dispatcher (TRT_INT8 quant types) for
/// drawing. Errors are readable sentences for the page.
///
/// Async so that each step is its own main-thread task: between import/validation, formatting and dispatch the
/// browser gets to paint and handle input, so a big model never holds the page for the sum of them.
pub async fn parse_graph(name: &str, bytes: &[u8]) -> Result<BaseGraph, String> {
    let (mut graph, _) = inspect_onnx(bytes).map_err(|e| format!("{name}: {e}"))?;
    super::loader::next_task().await;
    format_graph(&mut graph, FormatVersion::V066).map_err(|e| format!("{name}: formatting failed: {e}"))?;
    super::loader::next_task().await;
    // a user's own model is drawn dispatched the way the TRT_INT8 samples are (the quantizer owns the op list)
    let quant_types = ppq_pipeline::QuantizerKind::TrtInt8.quant_operation_types(ppq_core::StateModel::Ppq066);
    dispatch_graph(&mut graph, &quant_types, &[]);
    resolve_platforms(&mut graph, TargetPlatform::TrtInt8, &quant_types);
    if graph.num_ops() == 0 {
        return Err(format!("{name}: the model has no operations to show"));
    }
    Ok(graph)
}

/// One difference between two final results.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffRow {
    /// TQC id.
    pub id: String,
    /// `state`, `root`, `scale` or `presence`.
    pub field: &'static str,
    /// Our value.
    pub ours: String,
    /// PPQ's value.
    pub ppq: String,
}

fn scale_text(s: &Option<ScaleValue>) -> String {
    match s {
        None => "—".into(),
        Some(ScaleValue::PerTensor(v)) => format!("{v:.9}"),
        Some(ScaleValue::PerChannel(v)) => format!("per-channel[{}]", v.len()),
    }
}

fn scales_differ(a: &Option<ScaleValue>, b: &Option<ScaleValue>) -> bool {
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1e-30);
    match (a, b) {
        (None, None) => false,
        (Some(ScaleValue::PerTensor(x)), Some(ScaleValue::PerTensor(y))) => !close(*x, *y),
        (Some(ScaleValue::PerChannel(x)), Some(ScaleValue::PerChannel(y))) => {
            x.len() != y.len() || x.iter().zip(y).any(|(a, b)| !close(*a, *b))
        }
        _ => true,
    }
}

/// Compares the final records of two results: TQCs present in one only, then state, root and scale
/// (relative tolerance 1e-6) of the shared ones, in `ours`' order.
pub fn diff_results(ours: &ResultView, ppq: &ResultView) -> Vec<DiffRow> {
    let mut rows = Vec::new();
    for a in &ours.tqcs {
        let Some(b) = ppq.by_id.get(&a.id).and_then(|&i| ppq.tqcs.get(i)) else {
            rows.push(DiffRow { id: a.id.clone(), field: "presence", ours: "yes".into(), ppq: "no".into() });
            continue;
        };
        if a.state != b.state {
            rows.push(DiffRow { id: a.id.clone(), field: "state", ours: a.state.clone(), ppq: b.state.clone() });
        }
        if a.dominated_by != b.dominated_by {
            let root = |r: &Option<String>| r.clone().unwrap_or_else(|| "itself".into());
            rows.push(DiffRow {
                id: a.id.clone(),
                field: "root",
                ours: root(&a.dominated_by),
                ppq: root(&b.dominated_by),
            });
        }
        if scales_differ(&a.scale, &b.scale) {
            rows.push(DiffRow {
                id: a.id.clone(),
                field: "scale",
                ours: scale_text(&a.scale),
                ppq: scale_text(&b.scale),
            });
        }
    }
    for b in ppq.tqcs.iter().filter(|b| !ours.by_id.contains_key(&b.id)) {
        rows.push(DiffRow { id: b.id.clone(), field: "presence", ours: "no".into(), ppq: "yes".into() });
    }
    rows
}

/// `op:in0:var`, the id PPQ's reference files give a TQC.
fn tqc_id(op: &str, is_input: bool, index: usize, var: &str) -> String {
    ppq_pipeline::record::tqc_id(op, is_input, index, var)
}

/// `1×4×8×8`, with symbolic sizes by name and unknown ones as `?`.
fn shape_label(dims: &[Dim]) -> String {
    let parts: Vec<String> = dims
        .iter()
        .map(|d| match d {
            Dim::Value(v) => v.to_string(),
            Dim::Param(p) => p.clone(),
            Dim::Unknown => "?".into(),
        })
        .collect();
    parts.join("×")
}

//! PPQ's graph dispatching (`ppq/api/interface.py::dispatch_graph`, `ppq/scheduler/`; spec §13.3): which ops
//! are quantization candidates (UNSPECIFIED, decided by the quantizer), which compute shapes or indices (SOI)
//! and which stay FP32. The default is the ConservativeDispatcher.

use super::ir::{BaseGraph, OpId};
use ppq_core::platform::TargetPlatform;
use std::collections::{HashMap, HashSet};

/// PPQ's `COMPUTING_OP` (0.6.6).
pub const COMPUTING_OP: &[&str] = &["Conv", "Gemm", "ConvTranspose", "MatMul", "Attention", "PPQBiasFusedMatMul"];

/// Ops whose data input is input 0 and whose other inputs are shapes/indices (`value_tracing_pattern`).
const DATA_FIRST: &[&str] =
    &["Reshape", "Slice", "Gather", "Pad", "Resize", "Split", "TopK", "Tile", "Expand", "RoiAlign", "MMCVRoiAlign"];

/// Shape-producing ops that end a computing extension.
const SHAPE_SOURCES: &[&str] = &["Shape", "TopK", "NonMaxSuppression"];

/// Which dispatcher to run (`setting.dispatcher`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dispatcher {
    /// `conservative`, PPQ's default.
    #[default]
    Conservative,
    /// `allin`: every quant-type op is a candidate, no SOI.
    Allin,
    /// PPQ 0.6.5's `conservative` (see [`conservative_dispatch_065`]).
    Conservative065,
}

/// Input slots whose OpSocket platform is SOI or FP32 in PPQ 0.6.6's DEFAULT_SOCKET_TABLE (spec §6.2); their
/// producers are the "receivers" of shape/index values.
pub fn soi_input_slots(op_type: &str, num_inputs: usize) -> Vec<usize> {
    let range = |a: usize, b: usize| (a..=b).filter(|&i| i < num_inputs).collect::<Vec<_>>();
    match op_type {
        "Reshape" | "Gather" | "Split" | "TopK" | "Expand" | "grid_sampler" | "GatherElements" | "GatherND"
        | "ScatterElements" | "ScatterND" | "Squeeze" | "Unsqueeze" => range(1, 1),
        "Pad" | "Tile" | "RoiAlign" | "Clip" | "Where" => range(1, 2),
        "Resize" => range(1, 3),
        "Slice" | "NonMaxSuppression" => range(1, 4),
        "ConstantOfShape" => range(0, 0),
        "Range" => range(0, 2),
        "OneHot" => (0..num_inputs).collect(),
        _ => Vec::new(),
    }
}

fn ty(graph: &BaseGraph, op: OpId) -> &str {
    graph.op(op).op_type.as_str()
}

fn is_computing(graph: &BaseGraph, op: OpId) -> bool {
    COMPUTING_OP.contains(&ty(graph, op))
}

/// PPQ `is_boundary`: no input has a producer (also true with no inputs), or nothing consumes the outputs.
fn is_boundary(graph: &BaseGraph, op: OpId) -> bool {
    graph.upstream_ops(op).is_empty() || graph.downstream_ops(op).is_empty()
}

fn produces(graph: &BaseGraph, producer: OpId, op: OpId, slot: usize) -> bool {
    graph.op(op).inputs.get(slot).is_some_and(|&v| graph.var(v).source_op == Some(producer))
}

/// PPQ `value_tracing_pattern(from, to)` for downward steps.
fn value_tracing(graph: &BaseGraph, from: OpId, to: OpId) -> bool {
    let t = ty(graph, to);
    if DATA_FIRST.contains(&t) {
        produces(graph, from, to, 0)
    } else if t == "ScatterND" {
        let last = graph.op(to).inputs.len().saturating_sub(1);
        produces(graph, from, to, 0) || produces(graph, from, to, last)
    } else {
        !matches!(t, "ConstantOfShape" | "Shape" | "NonMaxSuppression")
    }
}

/// PPQ `reverse_tracing_pattern(from, to)` for upward steps (`to` is upstream of `from`).
fn reverse_tracing(graph: &BaseGraph, from: OpId, to: OpId) -> bool {
    let f = ty(graph, from);
    if matches!(ty(graph, to), "Shape" | "TopK") {
        false
    } else if DATA_FIRST.contains(&f) {
        produces(graph, to, from, 0)
    } else if f == "ScatterND" {
        let last = graph.op(from).inputs.len().saturating_sub(1);
        produces(graph, to, from, 0) || produces(graph, to, from, last)
    } else {
        !matches!(f, "NonMaxSuppression" | "Shape")
    }
}

/// PPQ `opset_matching`: from every op S with `sp(S)`, walk neighbours (down or up); an end point `ep(X)` adds S
/// and X, a relay `rp(S, X)` adds X's own result (and S) when non-empty.
///
/// PPQ memoises one result set per op, which costs O(ops²) on a long chain (each set holds everything below
/// it). The same sets are computed here without materialising them: in reverse walking order each op records
/// its end points and the relays whose result is non-empty (exactly the decisions PPQ's recursion makes), and
/// the answer is the closure of those links from the starting ops whose result is non-empty. O(ops + edges).
fn opset_matching(
    graph: &BaseGraph,
    order: &[OpId],
    sp: impl Fn(OpId) -> bool,
    rp: impl Fn(OpId, OpId) -> bool,
    ep: impl Fn(OpId) -> bool,
    down: bool,
) -> HashSet<OpId> {
    let walk: Vec<OpId> = if down { order.iter().rev().copied().collect() } else { order.to_vec() };
    // Per op: (end points, relays with a non-empty result); an op's own result is non-empty iff it has either.
    let mut links: HashMap<OpId, (Vec<OpId>, Vec<OpId>)> = HashMap::new();
    for &s in &walk {
        let neighbours = if down { graph.downstream_ops(s) } else { graph.upstream_ops(s) };
        let (mut ends, mut relays) = (Vec::new(), Vec::new());
        for x in neighbours {
            if ep(x) {
                ends.push(x);
            } else if rp(s, x) && links.contains_key(&x) {
                relays.push(x);
            }
        }
        if !ends.is_empty() || !relays.is_empty() {
            links.insert(s, (ends, relays));
        }
    }
    let mut result = HashSet::new();
    // Expanded ops; an end point is added to the result without being expanded, so it needs its own mark.
    let mut expanded = HashSet::new();
    let mut stack: Vec<OpId> = order.iter().copied().filter(|&s| sp(s) && links.contains_key(&s)).collect();
    while let Some(s) = stack.pop() {
        if !expanded.insert(s) {
            continue;
        }
        result.insert(s);
        if let Some((ends, relays)) = links.get(&s) {
            result.extend(ends.iter().copied());
            stack.extend(relays.iter().copied());
        }
    }
    result
}

/// PPQ 0.6.5's hard-coded receiver slots (spec §13.3.6): the inputs whose producers compute shapes/indices.
pub fn soi_input_slots_065(op_type: &str, num_inputs: usize) -> Vec<usize> {
    let last = num_inputs.checked_sub(1);
    let from_one = (1..num_inputs).collect::<Vec<_>>();
    match op_type {
        "Reshape" | "Gather" | "ConstantOfShape" | "MMCVRoiAlign" => last.into_iter().collect(),
        "Slice" | "Resize" | "Squeeze" | "Unsqueeze" | "ReduceSum" => from_one,
        "Pad" | "ScatterND" => (1..2.min(num_inputs)).collect(),
        "Split" | "TopK" | "Tile" | "Expand" if num_inputs == 2 => vec![1],
        "RoiAlign" => (num_inputs.saturating_sub(2)..num_inputs).collect(),
        _ => Vec::new(),
    }
}

/// Producers of the inputs in `slots(op_type, n)` of every op: the receivers R.
fn receivers(graph: &BaseGraph, slots: fn(&str, usize) -> Vec<usize>) -> HashSet<OpId> {
    let mut r = HashSet::new();
    for (_, op) in graph.operations() {
        for slot in slots(&op.op_type, op.inputs.len()) {
            r.extend(graph.var(op.inputs[slot]).source_op);
        }
    }
    r
}

/// The ConservativeDispatcher table (spec §13.3.3): op → SOI, FP32 or UNSPECIFIED.
pub fn conservative_dispatch(graph: &BaseGraph, quant_types: &[&str]) -> HashMap<OpId, TargetPlatform> {
    let Ok(order) = graph.topological_sort() else { return HashMap::new() };
    let receivers = receivers(graph, soi_input_slots);
    let (soi, q) = soi_and_candidates(graph, &order, quant_types, &receivers);
    let computing = |op: OpId| is_computing(graph, op);
    let boundary = |op: OpId| is_boundary(graph, op);
    let tracing = |a: OpId, b: OpId| value_tracing(graph, a, b);
    let ce = opset_matching(
        graph,
        &order,
        computing,
        tracing,
        |x| SHAPE_SOURCES.contains(&ty(graph, x)) || boundary(x),
        true,
    );
    let mut table = HashMap::new();
    for (id, _) in graph.operations() {
        let p = if soi.contains(&id) && !ce.contains(&id) {
            TargetPlatform::Soi
        } else if q.contains(&id) {
            TargetPlatform::Unspecified
        } else {
            TargetPlatform::Fp32
        };
        table.insert(id, p);
    }
    for (id, op) in graph.operations() {
        let producer = op.inputs.first().and_then(|&v| graph.var(v).source_op);
        if SHAPE_SOURCES.contains(&op.op_type.as_str()) {
            let p = producer.and_then(|p| table.get(&p).copied()).unwrap_or(TargetPlatform::Fp32);
            table.insert(id, p);
        } else if matches!(op.op_type.as_str(), "Relu" | "Clip")
            && let Some(p) = producer.and_then(|p| table.get(&p).copied())
        {
            table.insert(id, p);
        }
    }
    table
}

/// The SOI set (R ∪ F, closed backwards) and the quant candidates Q of the ConservativeDispatcher (spec
/// §13.3.3 steps 2, 4 and 5), shared by the 0.6.6 and 0.6.5 tables.
fn soi_and_candidates(
    graph: &BaseGraph,
    order: &[OpId],
    quant_types: &[&str],
    receivers: &HashSet<OpId>,
) -> (HashSet<OpId>, HashSet<OpId>) {
    let qt = |op: OpId| quant_types.contains(&ty(graph, op));
    let generator = |op: OpId| matches!(ty(graph, op), "Shape" | "NonMaxSuppression" | "ConstantOfShape" | "TopK");
    let boundary = |op: OpId| is_boundary(graph, op);
    let computing = |op: OpId| is_computing(graph, op);
    let tracing = |a: OpId, b: OpId| value_tracing(graph, a, b);
    let mut q = opset_matching(graph, order, computing, tracing, |x| !qt(x) || boundary(x), true);
    q.retain(|&x| qt(x));
    let mut f = opset_matching(
        graph,
        order,
        generator,
        tracing,
        |x| receivers.contains(&x) || q.contains(&x) || boundary(x) || computing(x),
        true,
    );
    f.retain(|&x| !computing(x) && !q.contains(&x));
    let mut soi: HashSet<OpId> = receivers.union(&f).copied().collect();
    loop {
        let snapshot = soi.clone();
        let mut b = opset_matching(
            graph,
            order,
            |x| snapshot.contains(&x) && ty(graph, x) != "Shape",
            |a, b| reverse_tracing(graph, a, b),
            |x| snapshot.contains(&x) || q.contains(&x) || boundary(x) || computing(x),
            false,
        );
        b.retain(|&x| !computing(x) && !q.contains(&x));
        if b.is_subset(&soi) {
            break;
        }
        soi.extend(b);
    }
    (soi, q)
}

/// PPQ 0.6.5's ConservativeDispatcher table, as the 0.6.5.1 reference runs show it: ops in the SOI set go
/// to SOI (a Shape op included: there is no computing-extension exception and no second pass), every other
/// op stays UNSPECIFIED, so the quantizer sends each quant-type op to the target platform wherever it sits
/// (TRT_INT8 quantizes the Gemm behind Relu → Concat → AveragePool → Flatten) and the rest to FP32.
pub fn conservative_dispatch_065(graph: &BaseGraph, quant_types: &[&str]) -> HashMap<OpId, TargetPlatform> {
    let Ok(order) = graph.topological_sort() else { return HashMap::new() };
    let receivers = receivers(graph, soi_input_slots_065);
    let (soi, _) = soi_and_candidates(graph, &order, quant_types, &receivers);
    graph
        .operations()
        .map(|(id, _)| (id, if soi.contains(&id) { TargetPlatform::Soi } else { TargetPlatform::Unspecified }))
        .collect()
}

/// The AllinDispatcher table: quant-type ops UNSPECIFIED, the rest FP32.
pub fn allin_dispatch(graph: &BaseGraph, quant_types: &[&str]) -> HashMap<OpId, TargetPlatform> {
    graph
        .operations()
        .map(|(id, op)| {
            let p = if quant_types.contains(&op.op_type.as_str()) {
                TargetPlatform::Unspecified
            } else {
                TargetPlatform::Fp32
            };
            (id, p)
        })
        .collect()
}

/// PPQ 0.6.6 `dispatch_graph` with the conservative dispatcher: sets every op's platform from the table, then
/// applies `overrides` (op name → platform; unknown names are ignored, as in PPQ).
pub fn dispatch_graph(graph: &mut BaseGraph, quant_types: &[&str], overrides: &[(String, TargetPlatform)]) {
    dispatch_graph_with(graph, Dispatcher::Conservative, quant_types, overrides);
}

/// [`dispatch_graph`] with an explicit dispatcher.
pub fn dispatch_graph_with(
    graph: &mut BaseGraph,
    dispatcher: Dispatcher,
    quant_types: &[&str],
    overrides: &[(String, TargetPlatform)],
) {
    let table = match dispatcher {
        Dispatcher::Conservative => conservative_dispatch(graph, quant_types),
        Dispatcher::Allin => allin_dispatch(graph, quant_types),
        Dispatcher::Conservative065 => conservative_dispatch_065(graph, quant_types),
    };
    for (id, p) in table {
        graph.op_mut(id).platform = p;
    }
    for (name, p) in overrides {
        if let Some(id) = graph.op_by_name(name) {
            graph.op_mut(id).platform = *p;
        }
    }
}

/// The quantizer's platform resolution (spec §13.3.5, 0.6.6): an UNSPECIFIED op goes to `target` when its type
/// is a quant type, else to FP32.
pub fn resolve_platforms(graph: &mut BaseGraph, target: TargetPlatform, quant_types: &[&str]) {
    for id in graph.op_ids() {
        let op = graph.op_mut(id);
        if op.platform == TargetPlatform::Unspecified {
            op.platform = if quant_types.contains(&op.op_type.as_str()) { target } else { TargetPlatform::Fp32 };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PPQ's memoised recursion, as written before the linear version: the oracle for it.
    fn opset_matching_memo(
        graph: &BaseGraph,
        order: &[OpId],
        sp: impl Fn(OpId) -> bool,
        rp: impl Fn(OpId, OpId) -> bool,
        ep: impl Fn(OpId) -> bool,
        down: bool,
    ) -> HashSet<OpId> {
        let mut memo: HashMap<OpId, HashSet<OpId>> = HashMap::new();
        let walk: Vec<OpId> = if down { order.iter().rev().copied().collect() } else { order.to_vec() };
        for &s in &walk {
            let neighbours = if down { graph.downstream_ops(s) } else { graph.upstream_ops(s) };
            let mut ret = HashSet::new();
            for x in neighbours {
                if ep(x) {
                    ret.insert(s);
                    ret.insert(x);
                } else if rp(s, x)
                    && let Some(r) = memo.get(&x).filter(|r| !r.is_empty())
                {
                    ret.extend(r.iter().copied());
                    ret.insert(s);
                }
            }
            memo.insert(s, ret);
        }
        order.iter().filter(|&&s| sp(s)).flat_map(|s| memo.get(s).into_iter().flatten().copied()).collect()
    }

    /// Every importable model of the corpora (reference-like, malformed and fuzzed), in both directions with
    /// the dispatcher's predicates and with hash-picked ones: the linear closure equals PPQ's recursion.
    #[test]
    fn linear_opset_matching_equals_the_memoised_recursion() {
        let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let mut checked = 0;
        for dir in
            ["tests/corpus/models", "tests/corpus/fuzz/onnx_import", "tests/corpus/fuzz/pipeline_small", "www/samples"]
        {
            let Ok(rd) = std::fs::read_dir(root.join(dir)) else { continue };
            for e in rd.flatten() {
                let Ok(bytes) = std::fs::read(e.path()) else { continue };
                let Ok(g) = crate::import::import_onnx(&bytes) else { continue };
                let Ok(order) = g.topological_sort() else { continue };
                let pick = |op: OpId, salt: u64| {
                    let h = (format!("{op:?}").len() as u64 + g.op(op).name.len() as u64 * 31 + salt)
                        .wrapping_mul(0x9e37_79b9);
                    h.is_multiple_of(3)
                };
                for down in [true, false] {
                    for salt in 0..4u64 {
                        let sp = |x: OpId| if salt == 0 { is_computing(&g, x) } else { pick(x, salt) };
                        let ep = |x: OpId| if salt == 0 { is_boundary(&g, x) } else { pick(x, salt + 7) };
                        let rp = |a: OpId, b: OpId| {
                            if down { value_tracing(&g, a, b) } else { reverse_tracing(&g, a, b) }
                        };
                        let fast = opset_matching(&g, &order, sp, rp, ep, down);
                        let slow = opset_matching_memo(&g, &order, sp, rp, ep, down);
                        assert_eq!(fast, slow, "{} (down {down}, salt {salt})", e.path().display());
                    }
                }
                checked += 1;
            }
        }
        assert!(checked > 50, "only {checked} models checked");
    }
}

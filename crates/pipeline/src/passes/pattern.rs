//! PPQ 0.6.6's subgraph pattern matching (`SearchableGraph.pattern_matching`, `ppq/IR/search.py`): node
//! predicates joined by edges, matched by enumeration in the graph's op order. The order of the matches
//! matters to the passes that use them (the union-find roots they build), so this follows PPQ's
//! enumeration exactly rather than searching some other way.
//!
//! With `exclusive`, a matched op other than the pattern's roots takes inputs only from matched ops
//! (and from exactly as many distinct ops as the pattern gives it), and an op with pattern successors
//! sends its outputs only to matched ops.

use ppq_graph::{BaseGraph, OpId};
use std::collections::{BTreeSet, VecDeque};

/// A node predicate.
pub type NodePattern<'a> = &'a dyn Fn(&BaseGraph, OpId) -> bool;

/// A compiled pattern: predicates and the edges between them, by index.
pub struct GraphPattern<'a> {
    nodes: Vec<NodePattern<'a>>,
    /// Pattern indices in topological order (Kahn, FIFO, as PPQ's `compile`).
    order: Vec<usize>,
    inputs: Vec<BTreeSet<usize>>,
    outputs: Vec<BTreeSet<usize>>,
}

impl<'a> GraphPattern<'a> {
    /// Compiles a pattern; `None` if an edge is out of range or the pattern has a cycle (PPQ raises).
    pub fn new(nodes: Vec<NodePattern<'a>>, edges: &[(usize, usize)]) -> Option<Self> {
        let n = nodes.len();
        let mut inputs = vec![BTreeSet::new(); n];
        let mut outputs = vec![BTreeSet::new(); n];
        let mut indeg = vec![0usize; n];
        for &(a, b) in edges {
            if a >= n || b >= n {
                return None;
            }
            outputs[a].insert(b);
            inputs[b].insert(a);
            indeg[b] += 1;
        }
        let mut queue: VecDeque<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(c) = queue.pop_front() {
            order.push(c);
            for &next in &outputs[c] {
                indeg[next] -= 1;
                if indeg[next] == 0 {
                    queue.push_back(next);
                }
            }
        }
        (order.len() == n).then_some(Self { nodes, order, inputs, outputs })
    }

    /// Every match, each a list of ops indexed like the pattern's nodes, in PPQ's enumeration order.
    pub fn matches(&self, g: &BaseGraph, exclusive: bool) -> Vec<Vec<OpId>> {
        let ops = g.op_ids();
        let Some(&root) = self.order.first() else { return Vec::new() };
        let mut matched: Vec<Vec<Option<OpId>>> = ops
            .iter()
            .filter(|&&o| (self.nodes[root])(g, o))
            .map(|&o| {
                let mut m = vec![None; self.nodes.len()];
                m[root] = Some(o);
                m
            })
            .collect();
        for &idx in &self.order[1..] {
            let candidates: Vec<OpId> = ops.iter().copied().filter(|&o| (self.nodes[idx])(g, o)).collect();
            let is_root = self.inputs[idx].is_empty();
            let mut next = Vec::new();
            for m in &matched {
                for &op in &candidates {
                    let linked = self.inputs[idx].iter().all(|&u| match m[u] {
                        Some(up) => g.downstream_ops(up).contains(&op),
                        None => true,
                    });
                    if !linked || m.contains(&Some(op)) {
                        continue;
                    }
                    if exclusive && !is_root {
                        let ups = g.upstream_ops(op);
                        let distinct: BTreeSet<OpId> = ups.iter().copied().collect();
                        if ups.iter().any(|u| !m.contains(&Some(*u))) || distinct.len() != self.inputs[idx].len() {
                            continue;
                        }
                    }
                    let mut generated = m.clone();
                    generated[idx] = Some(op);
                    next.push(generated);
                }
            }
            matched = next;
            if matched.is_empty() {
                break;
            }
        }
        let complete = matched.into_iter().filter_map(|m| m.into_iter().collect::<Option<Vec<OpId>>>());
        complete
            .filter(|m| {
                !exclusive
                    || m.iter().enumerate().all(|(i, &op)| {
                        self.outputs[i].is_empty() || g.downstream_ops(op).iter().all(|d| m.contains(d))
                    })
            })
            .collect()
    }
}

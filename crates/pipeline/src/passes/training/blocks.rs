//! PPQ's block partition for training passes (`ppq/quantization/algorithm/training.py`, `BlockBuilder`, and
//! `TrainingBasedPass.split_graph_into_blocks`): the graph is cut into [`TrainableBlock`]s, each with one
//! start op (every path from the graph inputs to the block passes through it) and one end op (every path
//! from the start to the graph outputs passes through it), at most `block_size` levels deep.

use super::super::super::context::QuantizedGraph;
use ppq_graph::dispatch::COMPUTING_OP;
use ppq_graph::{BaseGraph, OpId};
use std::collections::{HashMap, HashSet};

/// A sub-graph trained or corrected as a unit: PPQ's `TrainableBlock(sp, ep, rps)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainableBlock {
    /// The start op (`sp`).
    pub sp: OpId,
    /// The end op (`ep`).
    pub ep: OpId,
    /// Every op on a path from `sp` to `ep`, both included, in executing order (`rps`).
    pub rps: Vec<OpId>,
}

/// PPQ's `BlockBuilder`: op depths (longest path from an op without producers) and the block search.
struct BlockBuilder<'g> {
    graph: &'g BaseGraph,
    order: &'g [OpId],
    depth: HashMap<OpId, usize>,
}

impl<'g> BlockBuilder<'g> {
    /// `initialize_depth`: 0 for ops with no upstream op, else 1 + the deepest upstream op.
    fn new(graph: &'g BaseGraph, order: &'g [OpId]) -> Self {
        let mut depth = HashMap::new();
        for &op in order {
            let d = graph.upstream_ops(op).iter().filter_map(|u| depth.get(u)).max().map_or(0, |d| d + 1);
            depth.insert(op, d);
        }
        Self { graph, order, depth }
    }

    fn depth(&self, op: OpId) -> usize {
        self.depth.get(&op).copied().unwrap_or(0)
    }

    /// `_find_coherent_ep`: the single consumer of `op`, if it has exactly one non-parameter input and one
    /// upstream op (so nothing else flows into it).
    fn coherent_ep(&self, op: OpId) -> Option<OpId> {
        let down = self.graph.downstream_ops(op);
        let [next] = down.as_slice() else { return None };
        let o = self.graph.op(*next);
        let non_parameter = o.inputs.len() - self.graph.parameter_inputs(*next).len();
        (non_parameter == 1 && self.graph.upstream_ops(*next).len() == 1).then_some(*next)
    }

    /// `_find_multi_input_ep`: walks downstream shallowest-first (a stable queue by depth); the first op
    /// that is alone in the queue when popped, has several upstream ops, and all of them already queued,
    /// blocks every path from `op`: it is the end candidate.
    fn multi_input_ep(&self, op: OpId) -> Option<OpId> {
        let mut queued: HashSet<OpId> = HashSet::from([op]);
        let mut queue: Vec<(usize, OpId)> = Vec::new();
        let mut next = 0usize;
        let push = |queue: &mut Vec<(usize, OpId)>, queued: &mut HashSet<OpId>, o: OpId| {
            if queued.insert(o) {
                queue.push((self.depth(o), o));
            }
        };
        for d in self.graph.downstream_ops(op) {
            push(&mut queue, &mut queued, d);
        }
        while next < queue.len() {
            // stable sort of the not-yet-popped tail: new ops are deeper than every popped one
            queue[next..].sort_by_key(|(d, _)| *d);
            let (_, it) = queue[next];
            next += 1;
            if next == queue.len() {
                let up = self.graph.upstream_ops(it);
                if up.len() > 1 && up.iter().all(|u| queued.contains(u)) {
                    return Some(it);
                }
            }
            for d in self.graph.downstream_ops(it) {
                push(&mut queue, &mut queued, d);
            }
        }
        None
    }

    /// `build(op, limit)`: extends the block from `op` while the next end candidate is at most `limit`
    /// levels below the start.
    fn build(&self, sp: OpId, limit: usize) -> TrainableBlock {
        let mut ep = sp;
        loop {
            let future =
                if self.graph.downstream_ops(ep).len() <= 1 { self.coherent_ep(ep) } else { self.multi_input_ep(ep) };
            match future {
                Some(f) if self.depth(f).saturating_sub(self.depth(sp)) <= limit => ep = f,
                _ => return self.create_block(sp, ep),
            }
        }
    }

    /// `create_block`: the ops on every path from `sp` down to `ep`, in executing order.
    fn create_block(&self, sp: OpId, ep: OpId) -> TrainableBlock {
        if sp == ep {
            return TrainableBlock { sp, ep, rps: vec![sp] };
        }
        // reachable from sp (downwards) ∩ reaching ep (upwards)
        let mut down = HashSet::from([sp]);
        let mut stack = vec![sp];
        while let Some(o) = stack.pop() {
            for d in self.graph.downstream_ops(o) {
                if d != ep && down.insert(d) {
                    stack.push(d);
                }
            }
        }
        down.insert(ep);
        let mut up = HashSet::from([ep]);
        let mut stack = vec![ep];
        while let Some(o) = stack.pop() {
            if o == sp {
                continue;
            }
            for u in self.graph.upstream_ops(o) {
                if up.insert(u) {
                    stack.push(u);
                }
            }
        }
        let rps = self.order.iter().copied().filter(|o| down.contains(o) && up.contains(o)).collect();
        TrainableBlock { sp, ep, rps }
    }
}

/// Whether PPQ counts `op` as a computing op (`COMPUTING_OP`: Conv, Gemm, ConvTranspose, MatMul, …).
pub fn is_computing_op(ctx: &QuantizedGraph, op: OpId) -> bool {
    COMPUTING_OP.contains(&ctx.op(op).op_type.as_str())
}

/// `split_graph_into_blocks(blocksize, overlap=False, interested_layers)`: a block starts at every quantable
/// computing op (in graph order) not already inside an earlier block; with `interested_layers` given, only
/// blocks containing one of them are kept.
pub fn split_graph_into_blocks(
    ctx: &QuantizedGraph,
    block_size: usize,
    interested_layers: &[String],
) -> Vec<TrainableBlock> {
    let builder = BlockBuilder::new(&ctx.graph, &ctx.order);
    let mut visited: HashSet<OpId> = HashSet::new();
    let mut blocks = Vec::new();
    for op in ctx.graph.op_ids() {
        if visited.contains(&op) || !ctx.is_quantable(op) || !is_computing_op(ctx, op) {
            continue;
        }
        let block = builder.build(op, block_size);
        visited.extend(block.rps.iter().copied());
        blocks.push(block);
    }
    if interested_layers.is_empty() {
        return blocks;
    }
    blocks.into_iter().filter(|b| b.rps.iter().any(|&o| interested_layers.contains(&ctx.op(o).name))).collect()
}

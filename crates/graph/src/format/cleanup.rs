//! The last formatting steps: Identity removal and isolated op/variable deletion (spec §13.2.2, steps 12–13).

use crate::GraphError;
use crate::ir::BaseGraph;
use std::collections::VecDeque;

/// REMOVE_IDENTITY: every Identity is removed; its consumers read its input instead.
pub fn remove_identity(graph: &mut BaseGraph) -> Result<(), GraphError> {
    for id in graph.op_ids() {
        if graph.op(id).op_type == "Identity" {
            graph.remove_operation(id, true)?;
        }
    }
    Ok(())
}

/// DELETE_ISOLATED: repeatedly deletes ops whose outputs nobody reads (and are not graph outputs) with their
/// outputs, then variables with neither producer nor consumer (unused graph inputs, orphan parameters).
pub fn delete_isolated(graph: &mut BaseGraph) {
    // A worklist instead of rescanning every op per round: a dead chain of n ops costs O(n), not O(n²), so a
    // 20 000-node model cannot stall the page. The fixpoint (the set of ops removed) is the same.
    let is_dead = |graph: &BaseGraph, id| {
        graph.has_op(id)
            && graph.downstream_ops(id).is_empty()
            && !graph.op(id).outputs.iter().any(|o| graph.outputs.contains(o))
    };
    let mut queue: VecDeque<_> = graph.op_ids().into_iter().filter(|&id| is_dead(graph, id)).collect();
    while let Some(id) = queue.pop_front() {
        if !is_dead(graph, id) {
            continue;
        }
        let upstream = graph.upstream_ops(id);
        let outputs = graph.op(id).outputs.clone();
        // The op exists (checked above), so removal cannot fail.
        let _ = graph.remove_operation(id, false);
        for v in outputs {
            graph.remove_variable(v);
        }
        queue.extend(upstream.into_iter().filter(|&u| is_dead(graph, u)));
    }
    loop {
        let dead: Vec<_> = graph
            .variables()
            .filter(|(_, v)| {
                let orphan = v.source_op.is_none() && v.dest_ops.is_empty();
                let dangling =
                    v.source_op.is_some_and(|s| !graph.has_op(s)) || v.dest_ops.iter().any(|&d| !graph.has_op(d));
                orphan || dangling
            })
            .map(|(id, _)| id)
            .collect();
        if dead.is_empty() {
            break;
        }
        for v in dead {
            graph.remove_variable(v);
        }
    }
}

//! Reachability: unreachable nodes, `yes` cycles, loops with no way out, dead ends.

use crate::check::{Problem, quoted_list};
use crate::graph::successors::{Successors, UNDEFINED, index32};
use crate::graph::{Flow, NodeId, NodeKind, ParseGraph};

pub(crate) fn check(g: &ParseGraph, flow: &Flow<'_>) -> Vec<Problem> {
    let mut out = Vec::new();
    let Some(start) = g.start() else { return out };
    let start_key = g.node(start).key.to_string();

    // Reachable through any stored branch, even ones the flow ignores: only
    // needed for the help of an unreachable node, so only walked if there is one.
    let mut loosely: Option<Vec<bool>> = None;
    for (_, id) in g.live() {
        if flow.is_reachable(*id) {
            continue;
        }
        let node = g.node(*id);
        let loosely = loosely.get_or_insert_with(|| {
            let mut seen = vec![false; g.node_count()];
            let mut stack = vec![start];
            while let Some(n) = stack.pop() {
                if std::mem::replace(&mut seen[n.index()], true) {
                    continue;
                }
                stack.extend(g.targets(n));
            }
            seen
        });
        let help = if loosely[id.index()] {
            "it is only reached through a branch that is never followed (see the warnings on plain `->` from conditions and ignored branches)".to_owned()
        } else {
            format!(
                "connect it, e.g. `{}->{}`, or delete it",
                start_key, node.key
            )
        };
        out.push(Problem::Unreachable {
            key: node.key.to_string(),
            start: start_key.clone(),
            span: node.key_span(),
            help,
        });
    }

    let n = g.node_count();
    let lists = flow.successor_lists();
    let mut dead_ends = Vec::new();
    for (id, node) in g.nodes() {
        if !flow.is_reachable(id) {
            continue;
        }
        // Dead ends: nothing follows and not an end. A condition's missing branches
        // have their own warning; a parallel with no path at all is a dead end like
        // any other node.
        if lists.steps(id.index()).is_empty()
            && node
                .kind
                .is_some_and(|k| !matches!(k, NodeKind::End | NodeKind::Condition))
        {
            dead_ends.push(Problem::DeadEnd {
                key: node.key.to_string(),
                span: node.key_span(),
            });
        }
    }

    // `yes` cycles among conditions: each has at most one `yes`, so the cycles
    // are found by walking each chain once.
    // 0: not seen; 1: on the chain being walked; 2: done.
    let mut state = vec![0u8; n];
    let mut chain = Vec::new();
    for i in 0..n {
        if !lists.is_condition(i) || state[i] != 0 || !flow.is_reachable(node_id(i)) {
            continue;
        }
        chain.clear();
        let mut at = Some(i);
        while let Some(c) = at {
            match state[c] {
                0 => {
                    state[c] = 1;
                    chain.push(c);
                    at = lists.yes_condition(c);
                }
                1 => {
                    let from = chain.iter().position(|x| *x == c).unwrap_or(0);
                    let mut nodes: Vec<NodeId> =
                        chain[from..].iter().map(|&x| node_id(x)).collect();
                    nodes.sort();
                    let first = nodes[0];
                    let span = g
                        .branch(first, "yes")
                        .map_or(g.node(first).key_span(), |b| b.span());
                    out.push(Problem::YesCycle {
                        keys: quoted_list(nodes.iter().map(|n| g.node(*n).key.as_str())),
                        span,
                    });
                    break;
                }
                _ => break,
            }
        }
        for &c in &chain {
            state[c] = 2;
        }
    }
    drop(state);

    // Loops with no way out: cyclic components of the flow from which no end can be reached.
    let is_end = |i: usize| lists.is_end(i);
    for trap in traps(lists, is_end, |i| flow.is_reachable(node_id(i))) {
        let first = node_id(trap);
        out.push(Problem::NoWayOut {
            key: g.node(first).key.to_string(),
            span: g.node(first).key_span(),
        });
    }

    out.extend(dead_ends);
    out
}

/// The node at an index of the parse graph.
fn node_id(i: usize) -> NodeId {
    NodeId::from_index(i)
}

/// The cyclic strongly connected components, among the nodes `in_graph`, from
/// which no node `is_end` can be reached: each as its smallest node index.
///
/// Tarjan's algorithm without recursion (a flow may be a million nodes deep): a
/// component is complete only after every component it reaches, so whether it
/// can reach an end is known when it is complete.
fn traps(
    lists: &Successors,
    is_end: impl Fn(usize) -> bool,
    in_graph: impl Fn(usize) -> bool,
) -> Vec<usize> {
    const UNSEEN: u32 = u32::MAX;
    let n = lists.len();
    // Per node: its visit number, the lowest visit number it reaches, and
    // (once its component is complete) whether an end can be reached from it.
    let mut order = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut done = vec![false; n];
    let mut can_end = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    // The walk: (node, how many of its successors were entered).
    let mut walk: Vec<(u32, u32)> = Vec::new();
    let mut next = 0u32;
    let mut out = Vec::new();
    for root in 0..n {
        if order[root] != UNSEEN || !in_graph(root) {
            continue;
        }
        walk.push((index32(root), 0));
        order[root] = next;
        low[root] = next;
        next += 1;
        stack.push(index32(root));
        while let Some(&mut (v, ref mut k)) = walk.last_mut() {
            let vi = v as usize;
            let succ = lists.steps(vi);
            if let Some(&w) = succ.get(*k as usize) {
                *k += 1;
                if w == UNDEFINED {
                    continue;
                }
                let wi = w as usize;
                if order[wi] == UNSEEN {
                    order[wi] = next;
                    low[wi] = next;
                    next += 1;
                    stack.push(w);
                    walk.push((w, 0));
                } else if !done[wi] {
                    low[vi] = low[vi].min(order[wi]);
                }
                continue;
            }
            walk.pop();
            if let Some(&(u, _)) = walk.last() {
                low[u as usize] = low[u as usize].min(low[vi]);
            }
            if low[vi] != order[vi] {
                continue;
            }
            // `v` is the root of a complete component: the stack down to `v`.
            let at = stack.iter().rposition(|&x| x == v).unwrap_or(0);
            let members = &stack[at..];
            let mut ends = false;
            let mut smallest = vi;
            let mut cyclic = members.len() > 1;
            for &m in members {
                let mi = m as usize;
                smallest = smallest.min(mi);
                ends |= is_end(mi);
                for ti in lists.of_node(mi) {
                    ends |= done[ti] && can_end[ti];
                    cyclic |= ti == mi;
                }
            }
            for &m in members {
                done[m as usize] = true;
                can_end[m as usize] = ends;
            }
            stack.truncate(at);
            if cyclic && !ends {
                out.push(smallest);
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use petgraph::algo::kosaraju_scc;
    use petgraph::graph::DiGraph;
    use proptest::prelude::*;

    use super::traps;
    use crate::graph::successors::Successors;

    fn lists(n: usize, edges: &[(usize, usize)]) -> Successors {
        Successors::from_edges(n, edges)
    }

    /// The traps by petgraph: reverse reachability from the ends, then Kosaraju.
    fn reference(n: usize, edges: &[(usize, usize)], ends: &[bool]) -> Vec<usize> {
        let mut g: DiGraph<(), ()> = DiGraph::new();
        let nodes: Vec<_> = (0..n).map(|_| g.add_node(())).collect();
        for &(a, b) in edges {
            g.add_edge(nodes[a], nodes[b], ());
        }
        let mut can_end = vec![false; n];
        let mut stack: Vec<usize> = (0..n).filter(|&i| ends[i]).collect();
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut can_end[i], true) {
                continue;
            }
            stack.extend(edges.iter().filter(|(_, b)| *b == i).map(|(a, _)| *a));
        }
        let mut out: Vec<usize> = kosaraju_scc(&g)
            .into_iter()
            .filter(|scc| scc.len() > 1 || g.contains_edge(scc[0], scc[0]))
            .filter(|scc| scc.iter().all(|n| !can_end[n.index()]))
            .map(|scc| scc.iter().map(|n| n.index()).min().unwrap())
            .collect();
        out.sort_unstable();
        out
    }

    proptest! {
        #[test]
        fn traps_agree_with_kosaraju(
            n in 1usize..12,
            raw in proptest::collection::vec((0usize..12, 0usize..12), 0..30),
            ends in proptest::collection::vec(any::<bool>(), 12),
        ) {
            let edges: Vec<_> = raw.into_iter().map(|(a, b)| (a % n, b % n)).collect();
            let mut got = traps(&lists(n, &edges), |i| ends[i], |_| true);
            got.sort_unstable();
            prop_assert_eq!(got, reference(n, &edges, &ends));
        }
    }

    #[test]
    fn a_million_deep_chain_does_not_overflow() {
        let n = 1_000_000;
        let mut edges: Vec<(usize, usize)> = (0..n - 1).map(|i| (i, i + 1)).collect();
        edges.push((n - 1, n - 2));
        assert_eq!(traps(&lists(n, &edges), |_| false, |_| true), vec![n - 2]);
    }
}

//! Reachability: unreachable nodes, `yes` cycles, loops with no way out, dead ends.

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::check::{Problem, quoted_list};
use crate::graph::{Flow, NodeId, NodeKind, ParseGraph};

pub(crate) fn check(g: &ParseGraph, flow: &Flow<'_>) -> Vec<Problem> {
    let mut out = Vec::new();
    let Some(start) = g.start() else { return out };
    let start_key = g.node(start).key.clone();

    // Reachable through any stored branch, even ones the flow ignores.
    let mut loosely = vec![false; g.node_count()];
    let mut stack = vec![start];
    while let Some(n) = stack.pop() {
        if std::mem::replace(&mut loosely[n.index()], true) {
            continue;
        }
        stack.extend(g.targets(n));
    }
    for (_, id) in g.live() {
        if flow.is_reachable(*id) {
            continue;
        }
        let node = g.node(*id);
        let help = if loosely[id.index()] {
            "it is only reached through a branch that is never followed (see the warnings on plain `->` from conditions and ignored branches)".to_owned()
        } else {
            format!(
                "connect it, e.g. `{}->{}`, or delete it",
                start_key, node.key
            )
        };
        out.push(Problem::Unreachable {
            key: node.key.clone(),
            start: start_key.clone(),
            span: node.key_span,
            help,
        });
    }

    // The flow as a petgraph over reachable nodes.
    let steps: Vec<NodeId> = flow.steps().collect();
    let mut index = vec![None; g.node_count()];
    let mut fg: DiGraph<NodeId, &'static str> = DiGraph::with_capacity(steps.len(), steps.len());
    for &s in &steps {
        index[s.index()] = Some(fg.add_node(s));
    }
    for &s in &steps {
        for e in flow.follow(s) {
            if let (Some(a), Some(t)) = (index[s.index()], e.target.and_then(|t| index[t.index()]))
            {
                fg.add_edge(a, t, e.branch);
            }
        }
    }

    // `yes` cycles among conditions.
    let mut yes_graph: DiGraph<NodeId, ()> = DiGraph::new();
    let mut yes_index = vec![None; g.node_count()];
    for &s in &steps {
        if g.node(s).kind == Some(NodeKind::Condition) {
            yes_index[s.index()] = Some(yes_graph.add_node(s));
        }
    }
    for &s in &steps {
        if let Some(a) = yes_index[s.index()] {
            if let Some(t) = g.branch(s, "yes").and_then(|b| b.target()) {
                if let Some(b) = yes_index[t.index()] {
                    yes_graph.add_edge(a, b, ());
                }
            }
        }
    }
    for scc in kosaraju_scc(&yes_graph) {
        let cyclic = scc.len() > 1 || scc.iter().any(|&n| yes_graph.contains_edge(n, n));
        if !cyclic {
            continue;
        }
        let mut nodes: Vec<NodeId> = scc.iter().map(|&n| yes_graph[n]).collect();
        nodes.sort();
        let first = nodes[0];
        let span = g
            .branch(first, "yes")
            .map_or(g.node(first).key_span, |b| b.span());
        out.push(Problem::YesCycle {
            keys: quoted_list(nodes.iter().map(|n| g.node(*n).key.as_str())),
            span,
        });
    }

    // Which reachable nodes can still reach an end?
    let mut can_end = vec![false; fg.node_count()];
    let mut stack: Vec<NodeIndex> = fg
        .node_indices()
        .filter(|&n| g.node(fg[n]).kind == Some(NodeKind::End))
        .collect();
    while let Some(n) = stack.pop() {
        if std::mem::replace(&mut can_end[n.index()], true) {
            continue;
        }
        stack.extend(fg.neighbors_directed(n, petgraph::Direction::Incoming));
    }
    for scc in kosaraju_scc(&fg) {
        let cyclic = scc.len() > 1 || scc.iter().any(|&n| fg.contains_edge(n, n));
        if cyclic && scc.iter().all(|&n| !can_end[n.index()]) {
            let first = scc.iter().map(|&n| fg[n]).min().unwrap_or(start);
            out.push(Problem::NoWayOut {
                key: g.node(first).key.clone(),
                span: g.node(first).key_span,
            });
        }
    }

    // Dead ends: nothing follows and not an end.
    for &s in &steps {
        let node = g.node(s);
        let Some(kind) = node.kind else { continue };
        // A condition's missing branches have their own warning; a parallel with
        // no path at all is a dead end like any other node.
        if matches!(kind, NodeKind::End | NodeKind::Condition) {
            continue;
        }
        if flow.follow(s).next().is_none() {
            out.push(Problem::DeadEnd {
                key: node.key.clone(),
                span: node.key_span,
            });
        }
    }
    out
}

//! The flow: what flowrun executes and renders.
//!
//! From flowchart.js's start, conditions follow only `yes`/`no`, parallels
//! only `path1`..`path3`, every other node only `next` (SPEC §8). Unlike
//! flowchart.js's renderer, every such edge counts, including an edge back
//! into the start node and `yes`-cycles, which flowchart.js fails to draw.

use crate::graph::successors::Successors;
use crate::graph::{NodeId, NodeKind, ParseGraph};
use crate::source::Span;

/// One edge of the flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowEdge {
    /// `next`, `yes`, `no`, `path1`, `path2` or `path3`.
    pub branch: &'static str,
    /// The target, or `None` when its name was undefined.
    pub target: Option<NodeId>,
    /// The draw direction, with flowchart.js's defaults applied.
    pub direction: Option<String>,
    /// The label: an annotation, `yes`/`no` for conditions, else none.
    pub label: Option<String>,
    /// The connection that made it.
    pub span: Span,
}

/// The executable view of a parse graph.
#[derive(Debug)]
pub struct Flow<'g> {
    graph: &'g ParseGraph,
    successors: Successors,
    reachable: Vec<bool>,
}

impl<'g> Flow<'g> {
    /// The flow of a parse graph.
    pub fn new(graph: &'g ParseGraph) -> Self {
        let successors = Successors::of(graph);
        let mut reachable = vec![false; graph.node_count()];
        let mut stack: Vec<usize> = graph.start().map(NodeId::index).into_iter().collect();
        while let Some(n) = stack.pop() {
            if std::mem::replace(&mut reachable[n], true) {
                continue;
            }
            stack.extend(successors.of_node(n));
        }
        Flow {
            graph,
            successors,
            reachable,
        }
    }

    /// Every node's followed steps, as compact lists by node index.
    pub(crate) fn successor_lists(&self) -> &Successors {
        &self.successors
    }

    /// The parse graph.
    pub fn graph(&self) -> &'g ParseGraph {
        self.graph
    }

    /// The start node.
    pub fn start(&self) -> Option<NodeId> {
        self.graph.start()
    }

    /// Whether a node can be reached from the start.
    pub fn is_reachable(&self, id: NodeId) -> bool {
        self.reachable.get(id.index()).copied().unwrap_or(false)
    }

    /// Nodes reachable from the start, in source order.
    pub fn steps(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.graph
            .nodes()
            .map(|(id, _)| id)
            .filter(|id| self.is_reachable(*id))
    }

    /// The edges out of a node.
    pub fn successors(&self, id: NodeId) -> Vec<FlowEdge> {
        successors(self.graph, id)
    }

    /// The edges out of a node without their directions and labels (no allocation):
    /// the same branches, targets and spans as [`Flow::successors`], in the same order.
    pub(crate) fn follow(&self, id: NodeId) -> impl Iterator<Item = Step> + 'g {
        follow(self.graph, id)
    }

    /// Whether [`follow`] takes every branch stored on a node, told from their
    /// names alone ([`followed_names`]). `false` means "not known" for a
    /// parallel, which may take its `next` as one of its paths.
    pub(crate) fn follows_all_by_name(&self, id: NodeId) -> bool {
        followed_names(self.graph.node(id).kind).is_some_and(|names| {
            self.graph
                .branches_unordered(id)
                .all(|b| names.contains(&b.name()))
        })
    }
}

/// A followed edge, without its direction and label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    /// `next`, `yes`, `no`, `path1`, `path2` or `path3`.
    pub(crate) branch: &'static str,
    /// The target, or `None` when its name was undefined.
    pub(crate) target: Option<NodeId>,
    /// The connection that made it.
    pub(crate) span: Span,
}

/// The branches [`successors`] returns, without computing directions and labels.
pub(crate) fn follow(g: &ParseGraph, id: NodeId) -> impl Iterator<Item = Step> + '_ {
    let step = |branch: &'static str| {
        g.branch(id, branch).map(|b| Step {
            branch,
            target: b.target(),
            span: b.span(),
        })
    };
    let steps: [Option<Step>; 3] = match followed_names(g.node(id).kind) {
        Some(names) => [0, 1, 2].map(|i| names.get(i).and_then(|&name| step(name))),
        None => parallel_paths(g, id).map(|(branch, b, _)| {
            b.map(|b| Step {
                branch,
                target: b.target(),
                span: b.span(),
            })
        }),
    };
    steps.into_iter().flatten()
}

/// The branches a node of `kind` follows, in order: a condition's `yes` and
/// `no`, any other node's `next`. `None` for a parallel, whose paths may also
/// come from its `next` ([`parallel_paths`]).
fn followed_names(kind: Option<NodeKind>) -> Option<&'static [&'static str]> {
    match kind {
        Some(NodeKind::Condition) => Some(&["yes", "no"]),
        Some(NodeKind::Parallel) => None,
        _ => Some(&["next"]),
    }
}

/// The edges the flow follows out of a node, with flowchart.js's draw-time defaults.
pub(crate) fn successors(g: &ParseGraph, id: NodeId) -> Vec<FlowEdge> {
    let node = g.node(id);
    let get = |b: &str| g.branch(id, b);
    let edge = |branch: &'static str, dir: Option<String>, label: Option<String>| {
        get(branch).map(|b| FlowEdge {
            branch,
            target: b.target(),
            direction: dir,
            label,
            span: b.span(),
        })
    };
    let set = |s: Option<&str>| s.filter(|d| !d.is_empty()).map(str::to_owned);
    match node.kind {
        Some(NodeKind::Condition) => {
            let (yes, no) = condition_directions(
                get("yes").and_then(|b| set(b.direction())),
                get("no").and_then(|b| set(b.direction())),
            );
            let label = |b: &str| Some(node.annotation(b).unwrap_or(b).to_owned());
            [
                edge("yes", Some(yes), label("yes")),
                edge("no", Some(no), label("no")),
            ]
            .into_iter()
            .flatten()
            .collect()
        }
        Some(NodeKind::Parallel) => {
            let paths = parallel_paths(g, id);
            let label = |b: &str| Some(node.annotation(b).unwrap_or("").to_owned());
            paths
                .into_iter()
                .filter_map(|(branch, b, dir)| {
                    b.map(|b| FlowEdge {
                        branch,
                        target: b.target(),
                        direction: Some(dir),
                        label: label(branch),
                        span: b.span(),
                    })
                })
                .collect()
        }
        _ => {
            let dir = get("next").and_then(|b| b.direction().map(str::to_owned));
            edge("next", dir.filter(|d| !d.is_empty()), None)
                .into_iter()
                .collect()
        }
    }
}

/// A condition's draw directions (flowchart.js `Condition` constructor).
pub(crate) fn condition_directions(yes: Option<String>, no: Option<String>) -> (String, String) {
    let mut yes = yes;
    let mut no = no;
    if no.is_none() && yes.as_deref() == Some("right") {
        no = Some("bottom".to_owned());
    } else if yes.is_none() && no.as_deref() == Some("bottom") {
        yes = Some("right".to_owned());
    }
    (
        yes.unwrap_or_else(|| "bottom".to_owned()),
        no.unwrap_or_else(|| "right".to_owned()),
    )
}

type Path<'g> = (&'static str, Option<crate::graph::Branch<'g>>, String);

/// A parallel's three paths with their directions (flowchart.js `Parallel`
/// constructor), including the rescue of `para(pathN)->x` written without a comma.
#[allow(clippy::many_single_char_names)] // mirrors flowchart.js's own names
pub(crate) fn parallel_paths(g: &ParseGraph, id: NodeId) -> [Path<'_>; 3] {
    let names = ["path1", "path2", "path3"];
    let mut paths: [Option<crate::graph::Branch<'_>>; 3] = names.map(|n| g.branch(id, n));
    if let Some(next) = g.branch(id, "next") {
        if let Some(i) = names.iter().position(|n| Some(*n) == next.direction()) {
            let unset = paths[i].is_none_or(|b| b.target().is_none());
            if unset && next.target().is_some() {
                paths[i] = Some(next);
            }
        }
    }
    let has = |i: usize| paths[i].is_some_and(|b| b.target().is_some());
    let dir = |i: usize| {
        paths[i]
            .and_then(|b| {
                if b.name() == names[i] {
                    b.direction()
                } else {
                    None
                }
            })
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
    };
    let d = [dir(0), dir(1), dir(2)];
    let s = |x: &str| Some(x.to_owned());
    let (mut p1, mut p2, mut p3);
    if has(0) && d[0].is_some() && has(1) && d[1].is_none() && has(2) && d[2].is_none() {
        (p1, p2, p3) = match d[0].as_deref() {
            Some("right") => (s("right"), s("bottom"), s("top")),
            Some("top") => (s("top"), s("right"), s("bottom")),
            Some("left") => (s("left"), s("right"), s("bottom")),
            _ => (s("bottom"), s("right"), s("top")),
        };
    } else if has(0) && d[0].is_none() && has(1) && d[1].is_some() && has(2) && d[2].is_none() {
        (p1, p2, p3) = match d[1].as_deref() {
            Some("right") => (s("bottom"), s("right"), s("top")),
            Some("left") => (s("bottom"), s("left"), s("right")),
            _ => (s("right"), s("bottom"), s("top")),
        };
    } else if has(0) && d[0].is_none() && has(1) && d[1].is_none() && has(2) && d[2].is_some() {
        // flowchart.js tests direction_path2 here (always unset), so it always takes the last arm.
        (p1, p2, p3) = (s("right"), s("bottom"), s("top"));
    } else {
        (p1, p2, p3) = (d[0].clone(), d[1].clone(), d[2].clone());
    }
    p1 = p1.or_else(|| s("bottom"));
    p2 = p2.or_else(|| s("right"));
    p3 = p3.or_else(|| s("top"));
    let [a, b, c] = paths;
    [
        ("path1", a, p1.unwrap_or_default()),
        ("path2", b, p2.unwrap_or_default()),
        ("path3", c, p3.unwrap_or_default()),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// When the names tell, [`follow`] does take every branch; where a branch
    /// is ignored (`d`'s plain arrow, `op`'s `yes`) or a parallel may take its
    /// `next` as a path, they do not tell.
    #[test]
    fn following_all_by_name_agrees_with_following() {
        let text = "st=>start: s\nc=>condition: c\nd=>condition: d\nop=>operation: o\n\
                    q=>operation: q\np=>parallel: p\ne=>end: e\n\
                    st->c\nc(yes)->op\nc(no)->e\nd(yes)->e\nd->q\nop(yes)->e\nop->q\n\
                    q->e\np(path1)->e\np->q\n";
        let g = crate::graph::build(&crate::syntax::parse(text));
        let flow = Flow::new(&g);
        let mut told = Vec::new();
        for (id, node) in g.nodes() {
            if flow.follows_all_by_name(id) {
                let names: Vec<&str> = flow.follow(id).map(|s| s.branch).collect();
                assert!(
                    g.branches_unordered(id).all(|b| names.contains(&b.name())),
                    "{}",
                    node.key
                );
                told.push(node.key.to_string());
            }
        }
        assert_eq!(told, ["st", "c", "q", "e"]);
    }
}

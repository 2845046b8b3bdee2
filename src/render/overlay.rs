//! A run drawn on its flow: which nodes it visited, which edges it took,
//! where it is now and where it failed.
//!
//! An [`Overlay`] names nodes by key, as a run's journal does. [`marks`]
//! resolves it against one [`View`]: a key can name several drawn nodes (a
//! redefined key is drawn as `key` and `key~2`), so the run's path is walked
//! from the start along the taken edges, and a key names the drawn nodes that
//! walk reached. Keys and edges the flow does not have are ignored.
//!
//! Invariant: marking never panics and never adds or removes nodes or edges.

use std::collections::{HashMap, HashSet};

use crate::graph::NodeId;
use crate::render::view::{RenderOptions, View, ViewEdge, view};
use crate::syntax::{Definition, Statement, parse};

/// A run drawn on its flow: what happened, by node key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overlay {
    /// The run's id (shown in titles/legends).
    pub run_id: String,
    /// One line saying where the run is, e.g. "waiting until 2026-11-27T09:00:00Z at `wait`" or "completed at `e`".
    pub status: String,
    /// Keys of the nodes the run has visited (each once, in first-visit order).
    pub visited: Vec<String>,
    /// Edges the run took: (from key, branch, to key), branch being `next`, `yes`, `no`, `path1`..`path3`; each once.
    pub taken: Vec<(String, String, String)>,
    /// How many times each visited node was visited (same order as `visited`).
    pub visits: Vec<u32>,
    /// The node the run is at now (running, waiting, suspended, held), if any.
    pub current: Option<String>,
    /// The node whose step failed (the run failed or is held there), if any.
    pub failed: Option<String>,
}

impl Overlay {
    /// How many times the run visited `key` (0 when it did not; 1 when `visits` has no count for it).
    pub fn visit_count(&self, key: &str) -> u32 {
        match self.visited.iter().position(|k| k == key) {
            Some(i) => self.visits.get(i).copied().unwrap_or(1),
            None => 0,
        }
    }

    /// The one-line title: `run <id>: <status>` (or just one of them when the other is empty).
    pub fn title(&self) -> String {
        match (self.run_id.is_empty(), self.status.is_empty()) {
            (false, false) => format!("run {}: {}", self.run_id, self.status),
            (false, true) => format!("run {}", self.run_id),
            (true, false) => self.status.clone(),
            (true, true) => "run".to_owned(),
        }
    }
}

/// How a node looks on a run: one of flowchart.js's flowstates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Progress {
    /// Visited (`past`).
    Past,
    /// Where the run is now (`current`).
    Current,
    /// Not visited yet (`future`).
    Future,
    /// Its step failed (`rejected`).
    Rejected,
}

impl Progress {
    /// Every state, in legend order.
    pub const ALL: [Progress; 4] = [
        Progress::Past,
        Progress::Current,
        Progress::Future,
        Progress::Rejected,
    ];

    /// flowchart.js's name for the state.
    pub fn flowstate(self) -> &'static str {
        match self {
            Progress::Past => "past",
            Progress::Current => "current",
            Progress::Future => "future",
            Progress::Rejected => "rejected",
        }
    }
}

/// How one drawn node looks on a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeMark {
    /// Its state.
    pub state: Progress,
    /// How many times the run visited it (0 when never; 1 for each of several drawn nodes sharing a visited key).
    pub visits: u32,
}

/// An overlay resolved against one view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marks {
    /// Per node of [`View::nodes`], same order.
    pub nodes: Vec<NodeMark>,
    /// Per edge of [`View::edges`], same order: whether the run took it.
    pub taken: Vec<bool>,
}

/// Resolves an overlay against a view.
///
/// Taken edges are followed from the start node, matching each drawn edge by
/// (source key, branch, target key); a taken edge the walk did not reach is
/// matched on any reachable node with that key. A visited key marks the drawn
/// nodes with that key the walk reached, else every reachable one; a current
/// or failed key, of those, the ones the run has not left (no taken edge out),
/// if any. Visit counts are per key, so when a key names several drawn nodes
/// (a redefined key on the path twice) each gets 1. Unreachable nodes are never marked: a run cannot get there.
pub fn marks(view: &View, overlay: &Overlay) -> Marks {
    let triples: HashSet<(&str, &str, &str)> = overlay
        .taken
        .iter()
        .map(|(f, b, t)| (f.as_str(), b.as_str(), t.as_str()))
        .collect();
    let triple = |i: usize| {
        let e = &view.edges[i];
        (
            view.nodes[e.from].key.as_str(),
            e.branch,
            view.nodes[e.to].key.as_str(),
        )
    };
    // The edges out of each node.
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); view.nodes.len()];
    for (i, e) in view.edges.iter().enumerate() {
        out[e.from].push(i);
    }
    let mut taken = vec![false; view.edges.len()];
    let mut reached = vec![false; view.nodes.len()];
    let mut stack: Vec<usize> = view
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.is_start)
        .map(|(i, _)| i)
        .collect();
    while let Some(n) = stack.pop() {
        if std::mem::replace(&mut reached[n], true) {
            continue;
        }
        for &i in &out[n] {
            if triples.contains(&triple(i)) {
                taken[i] = true;
                stack.push(view.edges[i].to);
            }
        }
    }
    // Taken edges the walk missed (an overlay from a different version of the flow).
    let matched: HashSet<(&str, &str, &str)> = (0..view.edges.len())
        .filter(|&i| taken[i])
        .map(triple)
        .collect();
    for (i, e) in view.edges.iter().enumerate() {
        let t = triple(i);
        if !taken[i]
            && view.nodes[e.from].reachable
            && triples.contains(&t)
            && !matched.contains(&t)
        {
            taken[i] = true;
        }
    }

    // The drawn nodes a key names.
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, n) in view.nodes.iter().enumerate() {
        if n.reachable {
            by_key.entry(n.key.as_str()).or_default().push(i);
        }
    }
    let named = |key: &str| -> Vec<usize> {
        let candidates = by_key.get(key).cloned().unwrap_or_default();
        let on_path: Vec<usize> = candidates.iter().copied().filter(|&i| reached[i]).collect();
        if on_path.is_empty() {
            candidates
        } else {
            on_path
        }
    };
    let mut nodes = vec![
        NodeMark {
            state: Progress::Future,
            visits: 0,
        };
        view.nodes.len()
    ];
    for key in &overlay.visited {
        let drawn = named(key);
        // A run counts visits per key: split over several drawn nodes, each is known only to be 1 or more.
        let count = if drawn.len() == 1 {
            overlay.visit_count(key)
        } else {
            1
        };
        for i in drawn {
            nodes[i] = NodeMark {
                state: Progress::Past,
                visits: count,
            };
        }
    }
    // The run is where its path stops: of several nodes with the key, the ones it has not left.
    let stopped = |key: &str| -> Vec<usize> {
        let all = named(key);
        let open: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&n| !out[n].iter().any(|&i| taken[i]))
            .collect();
        if open.is_empty() { all } else { open }
    };
    for (key, state) in [
        (overlay.current.as_deref(), Progress::Current),
        (overlay.failed.as_deref(), Progress::Rejected),
    ] {
        let Some(key) = key else { continue };
        for i in stopped(key) {
            nodes[i].state = state;
            nodes[i].visits = nodes[i].visits.max(1);
        }
    }
    Marks { nodes, taken }
}

/// An edge's label on a run: the run's flowstate replaces the node's, so a
/// branch labelled for an `approved`/`rejected` condition is labelled with its name again.
pub(crate) fn run_label(e: &ViewEdge) -> Option<&str> {
    if e.flowstate_label {
        Some(e.branch)
    } else {
        e.label.as_deref()
    }
}

/// A flow's canonical flowchart.js text (as [`crate::fmt::format_flow`] writes
/// it) with every node definition carrying the run's flowstate: `past`,
/// `current`, `rejected`, `future` for the rest, replacing any flowstate it
/// had. A definition without text gets an empty one (`e=>end: |past`), which
/// flowchart.js draws as it draws no text for `start`/`end`, and which flowrun
/// reads as no text; everything else keeps its meaning. A definition whose
/// rewritten text would read differently is left as it was.
pub fn to_flowchartjs(text: &str, overlay: &Overlay) -> String {
    let formatted = crate::fmt::format_flow(text).text;
    let ast = parse(&formatted);
    let g = crate::graph::build(&ast);
    let v = view(&g, RenderOptions { all: true });
    let m = marks(&v, overlay);
    // Per parse-graph node (one per definition); a node the view leaves out is `future`.
    let mut state = vec![Progress::Future; g.node_count()];
    for (n, mark) in v.nodes.iter().zip(&m.nodes) {
        state[n.id.index()] = mark.state;
    }
    let by_span: HashMap<usize, NodeId> = g.nodes().map(|(id, n)| (n.span.start, id)).collect();
    let mut out = String::with_capacity(formatted.len() + 16 * g.node_count());
    let mut at = 0;
    for stmt in &ast.statements {
        let Statement::Definition(d) = stmt else {
            continue;
        };
        let Some(&id) = by_span.get(&d.span.start) else {
            continue;
        };
        let Some(rewritten) = with_flowstate(d, state[id.index()].flowstate()) else {
            continue;
        };
        let range = d.span.range();
        if range.start < at || formatted.get(range.clone()).is_none() {
            continue;
        }
        out.push_str(&formatted[at..range.start]);
        out.push_str(&rewritten);
        at = range.end;
    }
    out.push_str(&formatted[at..]);
    out
}

/// A definition's canonical text with `state` as its flowstate, if it reads back the same otherwise.
fn with_flowstate(d: &Definition, state: &str) -> Option<String> {
    let mut new = d.clone();
    new.text = Some(d.text.clone().unwrap_or_default());
    new.flowstate = Some(state.to_owned());
    let text = crate::fmt::definition_text(&new);
    let ast = parse(&text);
    let [Statement::Definition(again)] = ast.statements.as_slice() else {
        return None;
    };
    let same = (
        &again.key,
        &again.params,
        &again.kind,
        &again.text,
        &again.flowstate,
        &again.link,
        &again.target,
        &again.callback,
    ) == (
        &new.key,
        &new.params,
        &new.kind,
        &new.text,
        &new.flowstate,
        &new.link,
        &new.target,
        &new.callback,
    );
    same.then_some(text)
}

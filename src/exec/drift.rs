//! Definition drift: what changed in a flow since a run began, node by node.
//!
//! Node keys are the stable handles of a flowchart.js flow, so a resume can
//! say *which* nodes changed instead of failing on an opaque hash mismatch.

use std::collections::{BTreeMap, BTreeSet};

use crate::graph::{Flow, NodeId, NodeKind, ParseGraph};

/// One node as the run sees it: type, text, and where each branch leads.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Shape {
    kind: String,
    text: String,
    ways: Vec<(&'static str, Option<String>)>,
}

fn shapes(g: &ParseGraph) -> BTreeMap<String, Shape> {
    let flow = Flow::new(g);
    // The last definition of a key is the node lookups find.
    g.nodes()
        .filter_map(|(id, n)| (g.lookup(&n.key) == Some(id)).then_some((id, n)))
        .map(|(id, n)| {
            let ways = flow
                .successors(id)
                .into_iter()
                .map(|e| (e.branch, e.target.map(|t| g.node(t).key.to_string())))
                .collect();
            (
                n.key.to_string(),
                Shape {
                    kind: n.type_name().to_string(),
                    text: n.text.clone().unwrap_or_default(),
                    ways,
                },
            )
        })
        .collect()
}

/// Every node-level difference between two versions of a flow, in key order.
pub fn diff(old: &ParseGraph, new: &ParseGraph) -> Vec<String> {
    let (a, b) = (shapes(old), shapes(new));
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        match (a.get(key), b.get(key)) {
            (Some(_), None) => out.push(format!("`{key}` was removed")),
            (None, Some(s)) => out.push(format!("`{key}` was added ({})", s.kind)),
            (Some(x), Some(y)) if x != y => {
                let mut what = Vec::new();
                if x.kind != y.kind {
                    what.push(format!("type {} → {}", x.kind, y.kind));
                }
                if x.text != y.text {
                    what.push(format!("text \"{}\" → \"{}\"", x.text, y.text));
                }
                if x.ways != y.ways {
                    let show = |w: &[(&str, Option<String>)]| {
                        w.iter()
                            .map(|(b, t)| format!("{b}→{}", t.as_deref().unwrap_or("?")))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    what.push(format!("ways on [{}] → [{}]", show(&x.ways), show(&y.ways)));
                }
                out.push(format!("`{key}` changed: {}", what.join("; ")));
            }
            _ => {}
        }
    }
    out
}

/// Why the run cannot go on in `new` from `current` (its present node), if it cannot:
/// the node must still exist with the same type, and an end must still be reachable from it.
pub fn blocker(old: &ParseGraph, new: &ParseGraph, current: Option<&str>) -> Option<String> {
    let Some(key) = current else {
        return new
            .start()
            .is_none()
            .then(|| "the changed flow has no start".to_owned());
    };
    let Some(id) = new.lookup(key) else {
        return Some(format!(
            "the run is at `{key}`, which the changed flow no longer has"
        ));
    };
    let old_kind = old.lookup(key).map(|i| old.node(i).type_name());
    let new_kind = new.node(id).type_name();
    if let Some(old_kind) = old_kind.filter(|k| *k != new_kind) {
        return Some(format!(
            "the run is at `{key}`, whose type changed from {old_kind} to {new_kind}"
        ));
    }
    if !reaches_end(new, id) {
        return Some(format!(
            "no end can be reached from `{key}` in the changed flow: the path ahead is gone"
        ));
    }
    None
}

fn reaches_end(g: &ParseGraph, from: NodeId) -> bool {
    let flow = Flow::new(g);
    let mut seen = vec![false; g.node_count()];
    let mut stack = vec![from];
    while let Some(n) = stack.pop() {
        if std::mem::replace(&mut seen[n.index()], true) {
            continue;
        }
        if g.node(n).kind == Some(NodeKind::End) {
            return true;
        }
        stack.extend(flow.successors(n).into_iter().filter_map(|e| e.target));
    }
    false
}

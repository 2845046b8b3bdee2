//! Branches: ignored ones, missing ones, overwritten ones, and those that go nowhere.

use std::fmt::Write as _;

use crate::check::Problem;
use crate::graph::{Event, Flow, NodeKind, ParseGraph};

pub(crate) fn check(g: &ParseGraph, flow: &Flow<'_>) -> Vec<Problem> {
    let mut out = Vec::new();
    if !g.unresolved().is_empty() {
        let first_defs = crate::graph::first_definitions(g);
        for u in g.unresolved() {
            out.push(Problem::UndefinedTarget {
                name: u.name.to_string(),
                span: u.target_span,
                help: crate::graph::hint(
                    &u.name,
                    u.target_span,
                    first_defs.get(u.name.as_str()).copied(),
                    g.live().iter().map(|(k, _)| k.as_str()),
                ),
            });
        }
    }
    for event in g.events() {
        if let Event::Overwritten {
            node,
            branch,
            old,
            new,
        } = event
        {
            out.push(Problem::OverwrittenEdge {
                key: g.node(*node).key.to_string(),
                branch: branch.to_string(),
                span: *new,
                old: *old,
            });
        }
    }
    for (id, node) in g.nodes() {
        let Some(kind) = node.kind else { continue };
        if !g.is_live(id) && !flow.is_reachable(id) {
            continue;
        }
        // Most nodes only have branches that their kind follows: then none is
        // ignored, and following them to compare is not needed.
        if !flow.follows_all_by_name(id) {
            let mut followed = [None; 3];
            for (slot, e) in followed.iter_mut().zip(flow.follow(id)) {
                *slot = Some((e.branch, e.span));
            }
            let is_followed = |b: &crate::graph::Branch<'_>| {
                followed
                    .iter()
                    .flatten()
                    .any(|(f, s)| *f == b.name() || *s == b.span())
            };
            // Sorting the branches is only needed when some are ignored.
            if !g.branches_unordered(id).all(|b| is_followed(&b)) {
                ignored_branches(g, id, node, kind, &is_followed, &mut out);
            }
        }
        if kind == NodeKind::Condition && flow.is_reachable(id) {
            let has = |b: &str| g.branch(id, b).is_some();
            let present = match (has("yes"), has("no")) {
                (true, true) => continue,
                (true, false) => "only `yes` leaves it",
                (false, true) => "only `no` leaves it",
                (false, false) => "no branch leaves it",
            };
            for missing in ["yes", "no"].into_iter().filter(|b| !has(b)) {
                out.push(Problem::MissingBranch {
                    key: node.key.to_string(),
                    missing,
                    span: node.key_span(),
                    present,
                    help: format!(
                        "add `{key}({missing})->target`; a run that answers `{missing}` has nowhere to go",
                        key = node.key
                    ),
                });
            }
        }
    }
    out
}

/// Warnings for the stored branches of a node that the flow does not follow.
fn ignored_branches(
    g: &ParseGraph,
    id: crate::graph::NodeId,
    node: &crate::graph::Node,
    kind: NodeKind,
    is_followed: &dyn Fn(&crate::graph::Branch<'_>) -> bool,
    out: &mut Vec<Problem>,
) {
    for b in g.branches(id) {
        if is_followed(&b) {
            continue;
        }
        let name = b.name();
        let target = b
            .target()
            .map_or_else(|| "…".to_owned(), |t| g.node(t).key.to_string());
        if kind == NodeKind::Condition && name == "next" {
            out.push(Problem::PlainArrowFromCondition {
                key: node.key.to_string(),
                span: b.span(),
                help: plain_arrow_help(g, id, &node.key, &target, b.direction()),
            });
            continue;
        }
        out.push(Problem::IgnoredBranch {
            key: node.key.to_string(),
            kind: kind.name().to_owned(),
            branch: name.to_owned(),
            span: b.span(),
            help: ignored_branch_help(kind, &node.key, name, &target, b.direction()),
        });
    }
}

fn plain_arrow_help(
    g: &ParseGraph,
    id: crate::graph::NodeId,
    key: &str,
    target: &str,
    dir: Option<&str>,
) -> String {
    let branch_to = |b: &str| {
        g.branch(id, b)
            .and_then(|b| b.target())
            .map(|t| g.node(t).key.to_string())
    };
    let (yes, no) = (branch_to("yes"), branch_to("no"));
    let mut help = match (&yes, &no) {
        (Some(y), _) if y == target => {
            format!("it agrees with `{key}(yes)->{target}`, so nothing is lost: delete it")
        }
        (Some(y), Some(n)) => format!(
            "only `{key}(yes)->{y}` and `{key}(no)->{n}` are followed, so this edge to `{target}` is never taken; delete it or make it a branch"
        ),
        _ => format!("write `{key}(yes)->{target}` or `{key}(no)->{target}`"),
    };
    if let Some(d) = dir.filter(|d| !d.is_empty()) {
        let _ = write!(
            help,
            " (`({d})` is read as a direction: a condition's branches are only `yes` and `no`)"
        );
    }
    help
}

fn ignored_branch_help(
    kind: NodeKind,
    key: &str,
    branch: &str,
    target: &str,
    dir: Option<&str>,
) -> String {
    let trimmed = branch.trim();
    if kind == NodeKind::Condition && (branch == "true" || branch == "false") {
        let b = if branch == "true" { "yes" } else { "no" };
        let d = dir.unwrap_or("right");
        return format!(
            "`{branch}` becomes `{b}` only without a direction: write `{key}({b}, {d})->{target}`"
        );
    }
    if trimmed != branch && kind.branches().contains(&trimmed) {
        return format!("remove the spaces: write `{key}({trimmed}, …)->{target}`");
    }
    let follows = kind
        .branches()
        .iter()
        .map(|b| format!("`{b}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if kind.branches() == ["next"] {
        format!(
            "{} follows only a plain `->`: write `{key}->{target}`",
            crate::graph::with_article(kind.name())
        )
    } else {
        format!(
            "{} follows only {follows}",
            crate::graph::with_article(kind.name())
        )
    }
}

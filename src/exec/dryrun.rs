//! `--dry-run`: the plan of a run, step by step, without running anything.
//! The path follows scripted answers; it stops at a condition without one.

use std::fmt::Write as _;

use crate::exec::bindings::{Action, Bindings};
use crate::exec::plan::{Plan, Resolution, fill, match_text, resolve_placeholder};
use crate::exec::prompt::Scripted;
use crate::graph::{Flow, NodeKind, ParseGraph};

/// One planned step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedStep {
    /// 1-based.
    pub step: u64,
    /// The node's key.
    pub node: String,
    /// Its type.
    pub kind: String,
    /// Its text.
    pub text: String,
    /// What would happen: the binding's action with its exact argv, or how an answer would come.
    pub does: String,
}

/// How the plan ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanEnd {
    /// At an end node.
    End(String),
    /// It cannot be known without running (a condition with no scripted answer) or the run would fail.
    Stops(String),
}

/// Walks the flow without running anything.
pub fn dry_run(
    g: &ParseGraph,
    plan: &Plan,
    bindings: &Bindings,
    scripted: &mut Scripted,
    max_steps: u64,
) -> (Vec<PlannedStep>, PlanEnd) {
    let flow = Flow::new(g);
    let shapes = crate::graph::join::parallel_shapes(&flow);
    let mut steps = Vec::new();
    let Some(mut current) = flow.start() else {
        return (steps, PlanEnd::Stops("the flow has no start".to_owned()));
    };
    let mut visits = vec![0u32; g.node_count()];
    for n in 1..=max_steps {
        let node = g.node(current);
        visits[current.index()] += 1;
        if let Resolution::Bound { index, .. } = plan.resolution(current) {
            if let Some(max) = bindings.bindings.get(*index).and_then(|b| b.max_visits) {
                if visits[current.index()] > max {
                    return (
                        steps,
                        PlanEnd::Stops(format!(
                            "`{}` would be reached a {}th time, more than its max-visits = {max}: the run would fail here",
                            node.key,
                            visits[current.index()]
                        )),
                    );
                }
            }
        }
        let text = match_text(node.text.as_deref());
        let kind = node.kind.map_or("?", |k| k.name()).to_owned();
        let binding = match plan.resolution(current) {
            Resolution::Bound { index, params } => {
                bindings.bindings.get(*index).map(|b| (b, params))
            }
            Resolution::Unbound => None,
        };
        let is_condition = node.kind == Some(NodeKind::Condition);
        let mut branch = "next";
        // A parallel: its paths run as branch runs, then the walk goes on at the join.
        let shape = (node.kind == Some(NodeKind::Parallel))
            .then(|| shapes.iter().find(|s| s.parallel == current))
            .flatten();
        let does = if let Some(shape) = shape {
            let paths: Vec<String> = shape
                .paths
                .iter()
                .map(|(p, first)| format!("{p} from `{}`", g.node(*first).key))
                .collect();
            let after = match shape.join {
                Some(j) => {
                    branch = "join";
                    format!("then `{}`", g.node(j).key)
                }
                None => "each to its own end".to_owned(),
            };
            format!(
                "run {} at once as branch runs, {after}",
                paths.join(" and ")
            )
        } else if is_condition && scripted.has(&node.key) {
            match scripted.next(&node.key) {
                Some(Ok(a)) => {
                    branch = a.branch();
                    format!("scripted answer: {}", a.branch())
                }
                Some(Err(e)) => {
                    steps.push(PlannedStep {
                        step: n,
                        node: node.key.to_string(),
                        kind,
                        text,
                        does: "scripted answer".to_owned(),
                    });
                    return (steps, PlanEnd::Stops(e));
                }
                None => String::new(),
            }
        } else {
            match binding {
                Some((b, params)) => describe(&b.action, params, &node.key, &text),
                None if matches!(node.kind, Some(NodeKind::Start | NodeKind::End)) => {
                    "nothing to do".to_owned()
                }
                None => "unbound (--unbound decides: ask a person, skip, or fail)".to_owned(),
            }
        };
        steps.push(PlannedStep {
            step: n,
            node: node.key.to_string(),
            kind,
            text,
            does,
        });
        if is_condition && branch == "next" {
            return (
                steps,
                PlanEnd::Stops(format!(
                    "`{}` is answered at run time; pass --answer {}=yes|no,... to plan past it",
                    node.key, node.key
                )),
            );
        }
        if node.kind == Some(NodeKind::End) {
            return (steps, PlanEnd::End(node.key.to_string()));
        }
        let next = if branch == "join" {
            shape.and_then(|s| s.join)
        } else if shape.is_some() {
            return (
                steps,
                PlanEnd::Stops(format!("the paths of `{}` end at their own ends", node.key)),
            );
        } else {
            flow.successors(current)
                .into_iter()
                .find(|e| e.branch == branch)
                .and_then(|e| e.target)
        };
        match next {
            Some(t) => current = t,
            None => {
                return (
                    steps,
                    PlanEnd::Stops(format!(
                        "`{}` has no `{branch}` step: the run would fail here",
                        node.key
                    )),
                );
            }
        }
    }
    (
        steps,
        PlanEnd::Stops(format!("more than {max_steps} steps (--max-steps)")),
    )
}

fn describe(action: &Action, params: &[(String, String)], key: &str, text: &str) -> String {
    let argv = |a: &[String]| {
        a.iter()
            .map(|arg| {
                let out = fill(arg, |p| match p {
                    "run_id" => "<run id>".to_owned(),
                    "now" => "<run clock>".to_owned(),
                    _ => resolve_placeholder(p, params, key, text).unwrap_or_default(),
                });
                format!("{out:?}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    match action {
        Action::Run(a) => format!("run [{}]", argv(a)),
        Action::Command { argv: a, .. } => format!("answer from command [{}]", argv(a)),
        Action::Manual(i) => format!(
            "manual: a person confirms{}",
            i.as_ref().map(|i| format!(" ({i})")).unwrap_or_default()
        ),
        Action::Log(m) => format!("log {m:?}"),
        Action::Wait(d) => format!("wait {}", human_duration(*d)),
        Action::WaitUntil(u) => format!("wait until the next matching time in {}", u.zone()),
        Action::Fail(m) => format!("fail: {m}"),
        Action::Ask(q) => format!("ask a person: {}", q.as_deref().unwrap_or(text)),
        Action::Flow(f) => format!("run the flow {f} as a child run"),
        Action::Parallel(p) => format!("run the paths at once ({p:?})"),
    }
}

/// `3d`, `1h30m`, `45s`, `250ms`.
fn human_duration(d: std::time::Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            let _ = write!(out, "{}{unit}", secs / size);
            secs %= size;
        }
    }
    out
}

//! Which binding each node of a flow resolves to, with its parameters.
//!
//! Resolved once before a run, so `check --bindings`, `--dry-run` and the
//! engine agree: key bindings beat text bindings; two of the same kind
//! matching one node is an ambiguity, reported before anything runs.

use miette::Diagnostic;
use thiserror::Error;

use crate::exec::bindings::{Action, Bindings, Matcher};
use crate::graph::{Flow, NodeId, NodeKind, ParseGraph};
use crate::source::Span;

/// A node's binding, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Bound to binding `index` with these parameters (name, value), in order.
    Bound {
        /// Index into [`Bindings::bindings`].
        index: usize,
        /// `(NAME, value)`: upper-case names, `_2` for a repeated type.
        params: Vec<(String, String)>,
    },
    /// No binding matches.
    Unbound,
}

/// A problem found while resolving bindings.
#[derive(Clone, Debug, Error, Diagnostic, PartialEq, Eq)]
pub enum PlanProblem {
    /// A reachable node with no binding.
    #[error("`{key}` has no binding")]
    #[diagnostic(code(flowrun::exec::unbound), severity(Warning))]
    Unbound {
        /// The node.
        key: String,
        /// Its definition.
        #[label(primary, "unbound")]
        span: Span,
        /// A snippet to paste into the bindings file.
        #[help]
        help: String,
    },
    /// Two bindings match one node.
    #[error("`{key}` matches {count} bindings: {which}")]
    #[diagnostic(
        code(flowrun::exec::ambiguous),
        help("make one binding more specific, or bind the node by key (`node = \"{key}\"`)")
    )]
    Ambiguous {
        /// The node.
        key: String,
        /// How many.
        count: usize,
        /// Which (file positions).
        which: String,
        /// Its definition.
        #[label(primary, "ambiguous")]
        span: Span,
    },
    /// An action that does not fit the node type.
    #[error("`{key}` is a {kind}, but its binding's action is `{action}`")]
    #[diagnostic(code(flowrun::exec::wrong_action))]
    WrongAction {
        /// The node.
        key: String,
        /// Its type.
        kind: &'static str,
        /// The action.
        action: &'static str,
        /// Its definition.
        #[label(primary, "bound here")]
        span: Span,
        /// What to do.
        #[help]
        help: String,
    },
    /// An argv placeholder that is not a parameter.
    #[error(
        "`{{{placeholder}}}` in the binding for `{key}` is not one of its parameters ({known})"
    )]
    #[diagnostic(code(flowrun::exec::unknown_placeholder))]
    UnknownPlaceholder {
        /// The node.
        key: String,
        /// The placeholder.
        placeholder: String,
        /// The parameters there are.
        known: String,
        /// The node.
        #[label(primary, "bound here")]
        span: Span,
    },
}

impl PlanProblem {
    /// Whether it stops a run.
    pub fn is_error(&self) -> bool {
        !matches!(self, PlanProblem::Unbound { .. })
    }

    /// Where it points.
    pub fn span(&self) -> Span {
        match self {
            PlanProblem::Unbound { span, .. }
            | PlanProblem::Ambiguous { span, .. }
            | PlanProblem::WrongAction { span, .. }
            | PlanProblem::UnknownPlaceholder { span, .. } => *span,
        }
    }
}

/// Every reachable node's resolution.
#[derive(Clone, Debug)]
pub struct Plan {
    resolutions: Vec<Resolution>,
}

impl Plan {
    /// The resolution of a node.
    pub fn resolution(&self, id: NodeId) -> &Resolution {
        &self.resolutions[id.index()]
    }
}

/// The text a node is matched on: lines joined by spaces, trimmed.
pub fn match_text(text: Option<&str>) -> String {
    text.unwrap_or_default()
        .split('\n')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_owned()
}

/// Resolves every reachable node; returns the plan and its problems.
pub fn resolve(g: &ParseGraph, bindings: &Bindings) -> (Plan, Vec<PlanProblem>) {
    let flow = Flow::new(g);
    let mut resolutions = vec![Resolution::Unbound; g.node_count()];
    let mut problems = Vec::new();
    for id in flow.steps() {
        let node = g.node(id);
        let Some(kind) = node.kind else { continue };
        let text = match_text(node.text.as_deref());
        let mut by_key = Vec::new();
        let mut by_text = Vec::new();
        for (i, b) in bindings.bindings.iter().enumerate() {
            match &b.matcher {
                Matcher::Key(k) if *k == node.key => by_key.push((i, Vec::new())),
                // Start and end nodes only run a binding made for them by key:
                // a catch-all text expression must not turn them into steps.
                Matcher::Text { .. } if matches!(kind, NodeKind::Start | NodeKind::End) => {}
                Matcher::Text { regex, params, .. } => {
                    if let Some(values) = capture(regex, params, &text) {
                        by_text.push((i, values));
                    }
                }
                Matcher::Key(_) => {}
            }
        }
        let hits = if by_key.is_empty() { by_text } else { by_key };
        match hits.len() {
            0 => {
                // A subroutine whose `:>` link names a local flow file runs that flow.
                let linked = kind == NodeKind::Subroutine && linked_flow(node).is_some();
                // Start, end and parallel nodes need no binding.
                if !matches!(kind, NodeKind::Start | NodeKind::End | NodeKind::Parallel) && !linked
                {
                    problems.push(PlanProblem::Unbound {
                        key: node.key.to_string(),
                        span: node.key_span(),
                        help: snippet(&node.key, &text, kind),
                    });
                }
            }
            1 => {
                let Some((index, params)) = hits.into_iter().next() else {
                    continue;
                };
                let action = &bindings.bindings[index].action;
                let condition = kind == NodeKind::Condition;
                let subroutine = kind == NodeKind::Subroutine;
                let parallel = kind == NodeKind::Parallel;
                if matches!(action, Action::Parallel(_)) != parallel {
                    problems.push(PlanProblem::WrongAction {
                        key: node.key.to_string(),
                        kind: kind.name(),
                        action: action.name(),
                        span: node.key_span(),
                        help: "a parallel node runs its paths by itself; its binding only sets what a failed branch does: `parallel = \"fail-fast\"` or `parallel = \"complete\"`".to_owned(),
                    });
                    continue;
                }
                if matches!(action, Action::Flow(_)) && !subroutine {
                    problems.push(PlanProblem::WrongAction {
                        key: node.key.to_string(),
                        kind: kind.name(),
                        action: action.name(),
                        span: node.key_span(),
                        help: "`flow` runs a child flow: bind it to a subroutine node (`key=>subroutine: …`)".to_owned(),
                    });
                    continue;
                }
                if condition != action.answers() {
                    problems.push(PlanProblem::WrongAction {
                        key: node.key.to_string(),
                        kind: kind.name(),
                        action: action.name(),
                        span: node.key_span(),
                        help: if condition {
                            "a condition is answered by `command = [...]` (exit 0 yes, 1 no) or `ask = \"question\"`".to_owned()
                        } else {
                            "`command` and `ask` answer conditions; an operation takes `run`, `manual`, `log`, `wait`, `wait-until` or `fail`".to_owned()
                        },
                    });
                    continue;
                }
                if let Action::Run(argv) | Action::Command { argv, .. } = action {
                    for placeholder in argv.iter().flat_map(|a| placeholders(a)) {
                        if resolve_placeholder(&placeholder, &params, &node.key, &text).is_none() {
                            problems.push(PlanProblem::UnknownPlaceholder {
                                key: node.key.to_string(),
                                placeholder,
                                known: known_list(&params),
                                span: node.key_span(),
                            });
                        }
                    }
                }
                resolutions[id.index()] = Resolution::Bound { index, params };
            }
            n => problems.push(PlanProblem::Ambiguous {
                key: node.key.to_string(),
                count: n,
                which: hits
                    .iter()
                    .map(|(i, _)| {
                        let off = bindings.bindings[*i].span.offset();
                        let line = bindings.text[..off.min(bindings.text.len())]
                            .matches('\n')
                            .count()
                            + 1;
                        format!("{}:{line}", bindings.name)
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                span: node.key_span(),
            }),
        }
    }
    (Plan { resolutions }, problems)
}

/// The local flow a subroutine's `:>` link names (`season.flow`, `runbook.md#2`), if any:
/// a relative path ending in `.flow` or `.md` (optionally `#N`/`#heading`), not a URL.
pub fn linked_flow(node: &crate::graph::Node) -> Option<String> {
    let link = node.link()?.trim();
    let file = link.split('#').next().unwrap_or(link);
    let local = !link.contains("://") && !link.starts_with('/') && !link.starts_with("mailto:");
    let ext = std::path::Path::new(file)
        .extension()
        .map(std::ffi::OsStr::to_ascii_lowercase);
    let flow_file = ext.is_some_and(|e| e == "flow" || e == "md");
    (local && flow_file).then(|| link.to_owned())
}

fn known_list(params: &[(String, String)]) -> String {
    let mut names: Vec<String> = params
        .iter()
        .map(|(n, _)| format!("{{{}}}", n.to_lowercase()))
        .collect();
    names.extend(["{node}", "{text}", "{run_id}", "{now}"].map(str::to_owned));
    names.join(", ")
}

/// The values of an expression's parameters in `text`, named and numbered.
fn capture(regex: &regex::Regex, params: &[String], text: &str) -> Option<Vec<(String, String)>> {
    let caps = regex.captures(text)?;
    let names: Vec<Option<&str>> = regex.capture_names().collect();
    let mut out = Vec::with_capacity(params.len());
    let mut group = 1;
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (k, p) in params.iter().enumerate() {
        let prefix = format!("__{k}_");
        let mut value = None;
        if names
            .get(group)
            .copied()
            .flatten()
            .is_some_and(|n| n.starts_with(&prefix))
        {
            while names
                .get(group)
                .copied()
                .flatten()
                .is_some_and(|n| n.starts_with(&prefix))
            {
                if value.is_none() {
                    value = caps.get(group).map(|m| m.as_str().to_owned());
                }
                group += 1;
            }
        } else {
            value = caps.get(group).map(|m| m.as_str().to_owned());
            group += 1;
        }
        let base = if p.is_empty() {
            "ARG".to_owned()
        } else {
            p.to_uppercase()
                .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        };
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        let name = if *n == 1 { base } else { format!("{base}_{n}") };
        out.push((name, value.unwrap_or_default()));
    }
    Some(out)
}

/// Fills an argv element in one pass: each `{name}` is replaced by `value(name)`;
/// a value is never scanned again, so a parameter that looks like `{2}` stays literal.
pub(crate) fn fill(arg: &str, mut value: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&value(&rest[open + 1..open + close]));
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// `{name}` placeholders in an argv element.
pub(crate) fn placeholders(arg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push(rest[open + 1..open + close].to_owned());
        rest = &rest[open + close + 1..];
    }
    out
}

/// The value of a placeholder: a parameter (`{region}`, `{word_2}`, `{1}`) or `{node}`/`{text}`.
pub(crate) fn resolve_placeholder(
    name: &str,
    params: &[(String, String)],
    key: &str,
    text: &str,
) -> Option<String> {
    match name {
        "node" => return Some(key.to_owned()),
        "text" => return Some(text.to_owned()),
        "run_id" | "now" => return Some(String::new()),
        _ => {}
    }
    if let Ok(i) = name.parse::<usize>() {
        return params.get(i.checked_sub(1)?).map(|(_, v)| v.clone());
    }
    let upper = name.to_uppercase();
    params
        .iter()
        .find(|(n, _)| *n == upper)
        .map(|(_, v)| v.clone())
}

/// A binding to paste for an unbound node.
fn snippet(key: &str, text: &str, kind: NodeKind) -> String {
    let expr = text
        .replace('\\', "\\\\")
        .replace('{', "\\{")
        .replace('"', "\\\"");
    let action = if kind == NodeKind::Condition {
        "ask = \"{text}\"".replace("{text}", &expr)
    } else {
        "manual = true".to_owned()
    };
    format!("bind it, e.g.:\n[[bind]]\ntext = \"{expr}\"   # or node = \"{key}\"\n{action}")
}

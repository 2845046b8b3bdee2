//! Definitions: unknown types, redefinitions, dropped and glued text.

use crate::check::Problem;
use crate::check::notes::Notes;
use crate::graph::{Event, NodeKind, ParseGraph};
use crate::syntax::js;

pub(crate) fn check(g: &ParseGraph, notes: Notes) -> Vec<Problem> {
    let mut out = Vec::new();
    for (_, node) in g.nodes() {
        if node.kind.is_none() {
            out.push(Problem::UnknownType {
                type_name: node.type_name().to_string(),
                key: node.key.to_string(),
                span: node.kind_span(),
                help: type_help(node.type_name()),
            });
        }
    }
    for event in g.events() {
        match event {
            Event::Redefined { old, new } => out.push(Problem::Redefined {
                key: g.node(*new).key.to_string(),
                span: g.node(*new).key_span(),
                first: g.node(*old).key_span(),
            }),
            Event::DroppedAnnotation { span, reason } => out.push(Problem::IgnoredAnnotation {
                span: *span,
                help: reason.clone(),
            }),
            Event::Overwritten { .. } => {}
        }
    }
    out.extend(notes.problems);
    out
}

/// What to write instead of an unknown type.
fn type_help(t: &str) -> String {
    let names = NodeKind::ALL.map(NodeKind::name);
    let list = names.join("`, `");
    if let Some((before, after)) = t.split_once(':') {
        if NodeKind::from_name(before).is_some() {
            let after = js::trim(after);
            return if after.is_empty() {
                format!("the text is empty: write `{before}` alone, or `{before}: Some text`")
            } else {
                format!(
                    "put a space after the colon: write `{before}: {after}` (flowchart.js splits type and text at `: `)"
                )
            };
        }
    }
    if let Some((before, _)) = t.split_once('|') {
        if NodeKind::from_name(before).is_some() {
            return format!("a flowstate needs text before it: write `{before}: Text|state`");
        }
    }
    let trimmed = js::trim(t);
    if NodeKind::from_name(trimmed).is_some() {
        return format!(
            "remove the spaces around `{trimmed}`: flowchart.js does not trim the type (write `key=>{trimmed}: text`)"
        );
    }
    let lower = trimmed.to_lowercase();
    if NodeKind::from_name(&lower).is_some() {
        return format!("types are lower-case: write `{lower}`");
    }
    let synonyms = [
        ("decision", "condition"),
        ("if", "condition"),
        ("process", "operation"),
        ("stop", "end"),
        ("io", "inputoutput"),
    ];
    if let Some((_, k)) = synonyms.iter().find(|(s, _)| *s == lower) {
        return format!("did you mean `{k}`? the node types are `{list}`");
    }
    if let Some(best) = names
        .iter()
        .map(|n| (strsim::damerau_levenshtein(&lower, n), *n))
        .filter(|(d, _)| *d <= 2)
        .min()
    {
        return format!("did you mean `{}`?", best.1);
    }
    format!("the node types are `{list}`")
}

//! The start: no connection, several starts, a start that is not where the flow starts.

use crate::check::Problem;
use crate::graph::{Flow, NodeKind, ParseGraph};
use crate::source::Span;

/// `statements` is the span from the first statement to the last, if any.
pub(crate) fn check(
    text: &str,
    statements: Option<Span>,
    g: &ParseGraph,
    flow: &Flow<'_>,
) -> Vec<Problem> {
    let mut out = Vec::new();
    let Some(start) = g.start() else {
        if g.errors().is_empty() {
            let span = statements.unwrap_or(Span::new(0, text.len()));
            out.push(Problem::NoStart { span });
        }
        return out;
    };
    let start_node = g.node(start);
    let starts: Vec<_> = g
        .live()
        .iter()
        .map(|(_, id)| *id)
        .filter(|id| g.node(*id).kind == Some(NodeKind::Start))
        .collect();
    if start_node.kind == Some(NodeKind::Start) {
        for other in starts.iter().filter(|id| **id != start) {
            out.push(Problem::MultipleStarts {
                span: g.node(*other).key_span(),
                first: start_node.key_span(),
            });
        }
    } else {
        for other in &starts {
            out.push(Problem::StartNotFirst {
                key: g.node(*other).key.to_string(),
                actual: start_node.key.to_string(),
                span: g.node(*other).key_span(),
                first: g.start_span().unwrap_or_default(),
            });
        }
    }
    let into_start = |id: crate::graph::NodeId| {
        flow.successor_lists()
            .of_node(id.index())
            .any(|t| t == start.index())
    };
    for id in flow.steps().filter(|id| into_start(*id)) {
        for edge in flow.follow(id) {
            if edge.target == Some(start) {
                out.push(Problem::EdgeIntoStart {
                    key: start_node.key.to_string(),
                    span: edge.span,
                });
            }
        }
    }
    out
}

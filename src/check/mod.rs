//! Check: a flow's problems, every one at once, sorted by position.
//!
//! Each rule family lives in its own file and returns `Vec<Problem>`; errors
//! are what makes flowchart.js throw or silently lose an edge, warnings are
//! what it accepts but does not mean what the author probably meant.

mod branches;
mod definitions;
mod notes;
mod parallel;
mod problem;
mod reach;
mod start;

pub(crate) use notes::{Noted, Notes};
pub use problem::{Problem, Severity};

use crate::graph::{Flow, ParseGraph};
use crate::syntax::Ast;

/// From this many nodes on, the walks over the flow run on a second thread,
/// beside the other checks.
const SPLIT: usize = 4096;

/// All problems of a flow, sorted by position (errors first at the same place).
pub fn check(text: &str, ast: &Ast, graph: &ParseGraph) -> Vec<Problem> {
    let mut notes = Notes::default();
    for stmt in &ast.statements {
        notes.see(text, stmt);
    }
    check_notes(text, notes, graph)
}

/// [`check`] with the statements already [`Notes::see`]n, one by one.
pub(crate) fn check_notes(text: &str, notes: Notes, graph: &ParseGraph) -> Vec<Problem> {
    let flow = Flow::new(graph);
    // Where flowchart.js's parse throws there is no start and no walk to speak of:
    // warnings about them would only echo the error.
    let parse_throws = !graph.errors().is_empty();
    let whole = notes.span();
    // The checks in two halves of similar length (at 1M nodes, measured: the
    // walks 82-143 ms, the others 63-98 ms): the walks over the flow (loops and
    // dead ends, the start, parallels) and the others, node by node.
    let walks = || {
        if parse_throws {
            return (Vec::new(), Vec::new(), Vec::new());
        }
        (
            reach::check(graph, &flow),
            start::check(text, whole, graph, &flow),
            parallel::check(graph, &flow),
        )
    };
    let others = || {
        let mut problems: Vec<Problem> =
            graph.errors().iter().cloned().map(Problem::Build).collect();
        problems.extend(definitions::check(graph, notes));
        let branch_problems = branches::check(graph, &flow);
        // One typo mid-chain is both an undefined target and an undefined source: report it once.
        let source_spans: Vec<_> = graph
            .errors()
            .iter()
            .map(crate::graph::BuildError::span)
            .collect();
        let branch_problems: Vec<Problem> = branch_problems
            .into_iter()
            .filter(|p| {
                !(matches!(p, Problem::UndefinedTarget { .. }) && source_spans.contains(&p.span()))
            })
            .collect();
        (problems, branch_problems)
    };
    // From `SPLIT` nodes on, the walks run on a thread of their own, beside the others.
    let ((mut problems, branch_problems), (walked, start, parallels)) =
        if graph.node_count() >= SPLIT {
            std::thread::scope(|scope| {
                let walked = crate::threads::spawn(scope, walks);
                let problems = others();
                (problems, crate::threads::join(walked))
            })
        } else {
            (others(), walks())
        };
    // In a fixed order, so that problems at the same place always come out alike.
    problems.extend(start);
    problems.extend(branch_problems);
    problems.extend(walked);
    problems.extend(parallels);
    problems.sort_by_key(|p| (p.span().start, p.severity(), p.span().end));
    problems
}

/// `` `a`, `b` `` for a list of keys.
pub(crate) fn quoted_list<'a>(keys: impl IntoIterator<Item = &'a str>) -> String {
    keys.into_iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

//! flowrun: executable flowcharts.
//!
//! Architecture (data flows one way):
//!
//! ```text
//! document ─read→ FlowText(Source) ─syntax::parse→ Ast ─graph::build→ ParseGraph
//!                                          ParseGraph ─check::check→ Vec<Problem>
//!                                          ParseGraph ─graph::json / Flow→ output
//! ```
//!
//! - [`document`] finds flows in files (`.flow`, Markdown fences) and maps spans back.
//! - [`syntax`] owns pest: text → statements, with flowchart.js's string rules.
//! - [`graph`] owns petgraph: statements executed in order → parse graph, flow view,
//!   and a replay of flowchart.js's drawing (for conformance).
//! - [`check`] finds every problem at once; [`report`] renders them with miette.
//! - [`cli`] is the only place that reads files, prints, and picks exit codes.
//!
//! Invariants: parsing never fails (flowchart.js accepts every text); every
//! `Problem` carries the span of its culprit; output follows source order.
//! A large text is parsed on every core, in pieces cut where a statement must
//! start (`syntax/pieces.rs`), but its statements are still executed one by one,
//! in source order, on one thread: the result is the same as parsing it whole.

pub mod check;
pub mod cli;
mod cli_child;
mod cli_execute;
mod cli_runs;
pub mod document;
pub mod exec;
mod file;
pub mod fmt;
pub mod graph;
mod pages;
pub mod render;
pub mod report;
pub mod source;
pub mod syntax;
mod threads;

use crate::check::Problem;
use crate::graph::ParseGraph;

/// A flow taken through every stage up to `check`.
///
/// The statements are not kept: each is executed as soon as it is parsed, so a
/// large flow is never held both as statements and as a graph
/// ([`syntax::parse`] gives them, where they are wanted).
#[derive(Debug)]
pub struct Analysis {
    /// The parse graph.
    pub graph: ParseGraph,
    /// Every problem, sorted by position.
    pub problems: Vec<Problem>,
}

impl Analysis {
    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.problems
            .iter()
            .any(|p| p.severity() == check::Severity::Error)
    }
}

/// Parses, builds and checks a flow text: `check::check(text, &ast, &graph::build(&ast))`
/// for `ast = syntax::parse(text)`, one statement at a time.
pub fn analyze(text: &str) -> Analysis {
    // Room for as many nodes and links as the text could have lines: memory that
    // is never written is never paged in, and nothing is copied as the graph grows.
    let lines = syntax::max_statements(text);
    let new_builder = || graph::Builder::with_capacity(lines, lines);
    // Made with the first statement, once the parsing threads have started:
    // its first writes page in fresh memory (0.8 ms at 10k nodes), which the
    // calling thread then does while they parse, not before.
    let mut builder = None;
    let mut notes = check::Notes::default();
    syntax::each_statement_as(
        text,
        |stmt| (check::Noted::of(text, &stmt), graph::Prepared::of(stmt)),
        |(noted, prepared)| {
            notes.add(noted);
            builder.get_or_insert_with(new_builder).prepared(prepared);
        },
    );
    let graph = builder.unwrap_or_else(new_builder).finish();
    let problems = check::check_notes(text, notes, &graph);
    Analysis { graph, problems }
}

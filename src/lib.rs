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

pub mod check;
pub mod cli;
mod cli_execute;
mod cli_runs;
pub mod document;
pub mod exec;
pub mod fmt;
pub mod graph;
pub mod render;
pub mod report;
pub mod source;
pub mod syntax;

use crate::check::Problem;
use crate::graph::ParseGraph;
use crate::syntax::Ast;

/// A flow taken through every stage up to `check`.
#[derive(Debug)]
pub struct Analysis {
    /// The statements.
    pub ast: Ast,
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

/// Parses, builds and checks a flow text.
pub fn analyze(text: &str) -> Analysis {
    let ast = syntax::parse(text);
    let graph = graph::build(&ast);
    let problems = check::check(text, &ast, &graph);
    Analysis {
        ast,
        graph,
        problems,
    }
}

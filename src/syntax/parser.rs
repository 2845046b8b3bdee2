//! The pest parser generated from `grammar/flow.pest`.

use pest_derive::Parser;

/// The flowchart.js DSL grammar.
#[derive(Parser)]
#[grammar = "grammar/flow.pest"]
pub struct FlowParser;

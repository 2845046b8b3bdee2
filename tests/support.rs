//! Helpers shared by the test modules.

use std::path::PathBuf;

use serde_json::Value;

/// `../shared/conformance/flowchartjs`, when the shared folder is beside the clone.
pub(crate) fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/flowchartjs");
    dir.is_dir().then_some(dir)
}

/// flowrun's oracle-shaped JSON for a flow text.
pub(crate) fn graph_json(text: &str, render: flowrun::graph::json::Render) -> Value {
    let ast = flowrun::syntax::parse(text);
    let g = flowrun::graph::build(&ast);
    let code = g.errors().first().map(|e| {
        miette::Diagnostic::code(e)
            .map(|c| c.to_string())
            .unwrap_or_default()
    });
    flowrun::graph::json::to_json(&g, code.as_deref(), render)
}

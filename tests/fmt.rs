//! `fmt`: canonical text that never changes meaning and is idempotent, over
//! every corpus flow, fixture and workflow; Markdown rewritten only inside fences.

use std::path::PathBuf;

use flowrun::graph::json::{Render, to_json};

use crate::support::corpus_dir;

fn meaning(text: &str) -> String {
    let g = flowrun::graph::build(&flowrun::syntax::parse(text));
    let code = g
        .errors()
        .first()
        .map(|e| miette::Diagnostic::code(e).unwrap().to_string());
    to_json(&g, code.as_deref(), Render::No).to_string()
}

fn all_flow_texts() -> Vec<(String, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["workflows", "tests/fixtures"] {
        files.extend(flowrun::document::files_below(&root.join(dir)));
    }
    if let Some(dir) = corpus_dir() {
        files.extend(flowrun::document::files_below(&dir));
    }
    let mut out = Vec::new();
    for f in files {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).to_string();
        for flow in flowrun::document::read(&f.display().to_string(), &text).flows {
            out.push((
                format!("{}#{}", f.display(), flow.index),
                flow.source.text.to_string(),
            ));
        }
    }
    out
}

#[test]
fn fmt_keeps_meaning_and_is_idempotent() {
    let flows = all_flow_texts();
    assert!(flows.len() >= 50, "only {} flows", flows.len());
    let mut bad = Vec::new();
    let mut grouped = 0;
    for (name, text) in &flows {
        let once = flowrun::fmt::format_flow(text);
        if meaning(&once.text) != meaning(text) {
            bad.push(format!("{name}: meaning changed"));
        }
        let twice = flowrun::fmt::format_flow(&once.text);
        if twice.text != once.text {
            bad.push(format!(
                "{name}: not idempotent:\n{}\n---\n{}",
                once.text, twice.text
            ));
        }
        if once.layout == flowrun::fmt::Layout::Grouped {
            grouped += 1;
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // Most flows get the canonical grouped layout; the rest keep source order for a reason.
    assert!(
        grouped * 10 >= flows.len() * 8,
        "only {grouped} of {} grouped",
        flows.len()
    );
}

#[test]
fn fmt_groups_definitions_then_connections() {
    let text = "st=>start: S\nop=>operation: old\nst->op\nop=>operation: new\ne=>end\nop->e\n";
    // `st->op` links the first `op`; with the definitions first it would link the second.
    let f = flowrun::fmt::format_flow(text);
    assert_eq!(f.layout, flowrun::fmt::Layout::SourceOrder);
    assert_eq!(meaning(&f.text), meaning(text));

    let text = "st=>start: S\ne=>end\nst->e\nmid=>operation: M\n";
    let f = flowrun::fmt::format_flow(text);
    assert_eq!(f.layout, flowrun::fmt::Layout::Grouped);
    assert_eq!(f.text, "st=>start: S\ne=>end\nmid=>operation: M\n\nst->e\n");
}

#[test]
fn markdown_is_rewritten_only_inside_fences() {
    let md = "# Title\n\nSome *prose*  with `code`.\n\n```flow\nst=>start:   S\ne=>end\nst->e\n```\n\n  trailing   text  \n\n```python\nx=>y\n```\n";
    let out = flowrun::fmt::format_document("doc.md", md).unwrap();
    assert_eq!(
        out,
        md.replace("st->e\n```\n\n  trailing", "\nst->e\n```\n\n  trailing")
    );
    let md2 = "Intro\n\n```flow\nst=>start: S\ne=>end\nst->e\nmid=>operation: M\n```\nOutro\n";
    let out2 = flowrun::fmt::format_document("doc.md", md2).unwrap();
    assert_eq!(
        out2,
        "Intro\n\n```flow\nst=>start: S\ne=>end\nmid=>operation: M\n\nst->e\n```\nOutro\n"
    );
}

#[test]
fn files_with_errors_are_not_formatted() {
    let err =
        flowrun::fmt::format_document("x.flow", "st=>start: S\nst -> e\ne=>end\n").unwrap_err();
    assert_eq!(err, flowrun::fmt::FormatError::HasErrors { index: 1 });
}

#[test]
fn crlf_and_bom_survive() {
    let text = "\u{feff}st=>start: S\r\ne=>end\r\nst->e\r\nmid=>operation: M\r\n";
    let out = flowrun::fmt::format_document("x.flow", text).unwrap();
    assert_eq!(
        out,
        "\u{feff}st=>start: S\r\ne=>end\r\nmid=>operation: M\r\n\r\nst->e\r\n"
    );
}

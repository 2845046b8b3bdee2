//! Rendering: snapshots of every format, and validation by the real peers —
//! Graphviz's `dot` and Mermaid's own parser — over every workflow, corpus
//! flow and fixture that flowchart.js can draw.

use std::path::PathBuf;

use flowrun::render::{RenderOptions, to_dot, to_mermaid, view};

use crate::support::{corpus_dir, graphviz_svg, has_graphviz, manifest, mermaid_parse};

/// Every flow text that has no errors: workflows, our fixtures, and the corpus
/// (when `../shared` is beside the clone), named for messages.
fn drawable_flows() -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [
        "workflows",
        "tests/fixtures/render",
        "tests/fixtures/oracle",
    ] {
        files.extend(flowrun::document::files_below(&manifest().join(dir)));
    }
    if let Some(dir) = corpus_dir() {
        let mut corpus: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "flow"))
            .collect();
        corpus.sort();
        files.extend(corpus);
    }
    let mut flows = Vec::new();
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).to_string();
        let doc = flowrun::document::read(&file.display().to_string(), &text);
        for f in doc.flows {
            let a = flowrun::analyze(&f.source.text);
            if !a.has_errors() {
                flows.push((
                    format!("{}#{}", file.display(), f.index),
                    f.source.text.to_string(),
                ));
            }
        }
    }
    flows
}

fn outputs(text: &str, all: bool) -> (String, String) {
    let a = flowrun::analyze(text);
    let v = view(&a.graph, RenderOptions { all });
    (to_dot(&v, "flow"), to_mermaid(&v))
}

#[test]
fn snapshots_of_every_format() {
    insta::glob!("fixtures/render/*.flow", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let (dot, mermaid) = outputs(&text, false);
        let (dot_all, _) = outputs(&text, true);
        insta::assert_snapshot!("dot", dot);
        insta::assert_snapshot!("dot-all", dot_all);
        insta::assert_snapshot!("mermaid", mermaid);
        insta::assert_snapshot!("flowchartjs", flowrun::fmt::format_flow(&text).text);
    });
}

#[test]
fn graphviz_accepts_every_flow_without_warnings() {
    if !has_graphviz() {
        return;
    }
    let flows = drawable_flows();
    assert!(flows.len() >= 20, "only {} flows", flows.len());
    let mut failures = Vec::new();
    for (name, text) in &flows {
        for all in [false, true] {
            let (dot, _) = outputs(text, all);
            if let Err(e) = graphviz_svg(dot) {
                failures.push(format!("{name} (all={all}): {e}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "dot rejected:\n{}",
        failures.join("\n")
    );
}

#[test]
fn mermaid_parser_accepts_every_flow() {
    let flows = drawable_flows();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, (name, text)) in flows.iter().enumerate() {
        for all in [false, true] {
            let path = dir.path().join(format!("{i}-{all}.mmd"));
            std::fs::write(&path, outputs(text, all).1).unwrap();
            files.push((path, name.clone()));
        }
    }
    // A broken file proves the parser really rejects bad input.
    let broken = dir.path().join("broken.mmd");
    std::fs::write(&broken, "flowchart TD\n    a --> end\n").unwrap();
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|(p, _)| p.clone())
        .chain([broken.clone()])
        .collect();
    let Some((stdout, stderr)) = mermaid_parse(&paths) else {
        return;
    };
    let failures: Vec<String> = files
        .iter()
        .filter(|(p, _)| !stdout.contains(&format!("ok {}", p.display())))
        .map(|(p, name)| {
            let line = stdout
                .lines()
                .find(|l| l.contains(&*p.display().to_string()))
                .unwrap_or("no output");
            format!("{name}: {line}")
        })
        .collect();
    assert!(
        failures.is_empty(),
        "Mermaid rejected:\n{}\n{}",
        failures.join("\n"),
        stderr
    );
    assert!(
        stdout.contains(&format!("FAIL {}", broken.display())),
        "the broken file was not rejected:\n{stdout}"
    );
}

#[test]
fn dot_output_is_deterministic() {
    let text =
        std::fs::read_to_string(manifest().join("tests/fixtures/render/every-shape.flow")).unwrap();
    assert_eq!(outputs(&text, true), outputs(&text, true));
}

//! flowrun's graph JSON against flowchart.js's own, as dumped by the oracle.
//!
//! Reads `../shared/conformance/flowchartjs/*.flow` and their `*.expected.json`.
//! That folder is beside the clone in CI and on developer machines; when it is
//! absent (a clone on its own), the test says so and skips.

use std::fmt::Write as _;

use serde_json::Value;

use crate::support::{corpus_dir, graph_json, same_json};
use flowrun::graph::json::Render;

/// Files where flowrun deliberately differs, with the reason.
const DEVIATIONS: &[(&str, &str)] = &[(
    "constructor-key",
    "a node named `toString` is an ordinary key to flowrun; flowchart.js's symbol table is a plain JS \
     object, so its drawing finds the inherited `Object.prototype.toString` and throws (SPEC §3.2)",
)];

/// Compares flowrun's JSON with the oracle's; returns what differs.
pub(crate) fn compare(name: &str, ours: &Value, expected: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let field = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    if field(ours, "ok") != field(expected, "ok") {
        diffs.push(format!(
            "{name}: ok {} (error {}) but flowchart.js says {} ({})",
            field(ours, "ok"),
            field(ours, "error"),
            field(expected, "ok"),
            field(expected, "error")
        ));
        return diffs;
    }
    for k in ["start", "nodes", "edges"] {
        let (a, b) = (field(ours, k), field(expected, k));
        if !same_json(&a, &b) {
            diffs.push(format!(
                "{name}: `{k}` differs\n  ours:     {}\n  expected: {}",
                serde_json::to_string(&a).unwrap(),
                serde_json::to_string(&b).unwrap()
            ));
        }
    }
    if let Some(exp_render) = expected.get("render") {
        let our_render = field(ours, "render");
        if exp_render.is_null() {
            if !our_render.is_null() {
                diffs.push(format!("{name}: render should be null"));
            }
        } else if field(exp_render, "ok") == Value::Bool(true) {
            if !same_json(&our_render, exp_render) {
                diffs.push(format!(
                    "{name}: render differs\n  ours:     {}\n  expected: {}",
                    serde_json::to_string(&our_render).unwrap(),
                    serde_json::to_string(exp_render).unwrap()
                ));
            }
        } else {
            let name_of = |r: &Value| field(&field(r, "error"), "name");
            if field(&our_render, "ok") != Value::Bool(false)
                || name_of(&our_render) != name_of(exp_render)
            {
                diffs.push(format!(
                    "{name}: flowchart.js's drawing throws {}, ours gives {}",
                    field(exp_render, "error"),
                    field(&our_render, "error")
                ));
            }
        }
    }
    diffs
}

/// Compares every `*.flow` in `dir` with its `*.expected.json`; returns (checked, report).
fn compare_dir(dir: &std::path::Path, deviations: &[(&str, &str)]) -> (usize, String) {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "flow"))
        .collect();
    files.sort();
    let mut report = String::new();
    let mut checked = 0;
    for path in &files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if deviations.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).to_string();
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(path.with_extension("expected.json")).unwrap(),
        )
        .unwrap();
        let ours = graph_json(&text, Render::Yes);
        for d in compare(&name, &ours, &expected) {
            writeln!(report, "{d}").unwrap();
        }
        checked += 1;
    }
    (checked, report)
}

#[test]
fn corpus_matches_flowchart_js() {
    let Some(dir) = corpus_dir() else {
        eprintln!("SKIPPED: ../shared/conformance/flowchartjs is not beside this clone");
        return;
    };
    let (checked, report) = compare_dir(&dir, DEVIATIONS);
    assert!(report.is_empty(), "{report}");
    assert!(checked >= 50, "the corpus has only {checked} flows");
    eprintln!("{checked} corpus flows match flowchart.js");
}

/// flowrun's own edge cases; their expected JSON came from the oracle
/// (`../shared/tools/fcjs-oracle/run.sh tests/fixtures/oracle/NAME.flow`).
#[test]
fn own_cases_match_flowchart_js() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oracle");
    let (checked, report) = compare_dir(&dir, DEVIATIONS);
    assert!(report.is_empty(), "{report}");
    assert!(checked >= 40, "only {checked} cases");
}

//! Property tests: nothing panics, whatever the text.
//!
//! (a) arbitrary strings, and strings biased towards the DSL's operators,
//! go through every stage (`analyze`, the oracle JSON with the drawing
//! replay, miette rendering, JSON diagnostics, documents); (b) the oracle
//! fixtures (`fixtures/oracle/*.flow`) are mutated a few characters or
//! operators at a time. Every problem's span must lie inside the text, on
//! character boundaries. Case counts are bounded so that the module runs in a
//! few seconds in a debug build; failures are not persisted to files (a
//! failing case is printed, minimised, by proptest).

use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::Config;

use crate::support::graph_json;
use flowrun::graph::json::Render;
use flowrun::report::{JsonDiagnostic, render_human};
use flowrun::source::Source;

/// `cases` cases, or `PROPTEST_CASES` when set (for a long local run).
fn config(cases: u32) -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Pieces flows are made of, with the characters that trip parsers up.
const PIECES: &[&str] = &[
    "=>",
    "->",
    "@>",
    "(",
    ")",
    ",",
    ":",
    ": ",
    " ",
    "|",
    "@",
    "\n",
    "\r",
    "\r\n",
    "\\",
    "\\\n",
    "[",
    "]",
    "{",
    "}",
    "\"",
    ":>",
    ":$",
    "st",
    "e",
    "op",
    "c",
    "p",
    "start",
    "end",
    "operation",
    "condition",
    "parallel",
    "inputoutput",
    "subroutine",
    "input",
    "output",
    "yes",
    "no",
    "true",
    "false",
    "path1",
    "path2",
    "path3",
    "right",
    "left",
    "top",
    "bottom",
    "next",
    "#",
    "//",
    "http://x",
    "{\"stroke\":\"red\"}",
    "é",
    "✓",
    "\u{feff}",
    "\u{a0}",
    "\t",
    "```",
    "```flow\n",
    "~~~",
    "> ",
    "- ",
    "# H\n",
    "x",
    "y",
    "a",
    "b",
    "1",
];

/// Strings biased towards the DSL: concatenated pieces plus stray characters.
fn dsl_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(PIECES).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

/// Lines that look like statements, so deeper stages get exercised.
fn dsl_lines() -> impl Strategy<Value = String> {
    let key = proptest::sample::select(&["st", "e", "op", "c", "p", "a", "x y", "", "st "][..]);
    let kind = proptest::sample::select(
        &[
            "start",
            "end",
            "operation",
            "condition",
            "parallel",
            "input",
            "output",
            "subroutine",
            "inputoutput",
            "start:x",
            "bogus",
        ][..],
    );
    let spec = proptest::sample::select(
        &[
            "",
            "(yes)",
            "(no)",
            "(true)",
            "(false)",
            "(right)",
            "(yes, right)",
            "(no,left)",
            "(path1)",
            "(path2, bottom)",
            "(path3@x, top)",
            "(yes@ok)",
            "(no@)",
            "(",
            ")",
        ][..],
    );
    let def = (key.clone(), kind, "[ -~é✓|:>$]{0,12}")
        .prop_map(|(k, t, text)| format!("{k}=>{t}: {text}"));
    let conn = proptest::collection::vec((key.clone(), spec), 1..5).prop_map(|toks| {
        toks.iter()
            .map(|(k, s)| format!("{k}{s}"))
            .collect::<Vec<_>>()
            .join("->")
    });
    let style = (key.clone(), key, "[{}\":a-z0-9,]{0,16}")
        .prop_map(|(a, b, json)| format!("{a}@>{b}({json})"));
    let line = prop_oneof![3 => def, 3 => conn, 1 => style, 1 => "[ -~]{0,10}"];
    proptest::collection::vec(line, 0..12).prop_map(|lines| lines.join("\n"))
}

/// Asserts that a span lies inside `text`, on character boundaries.
fn assert_span_in(text: &str, span: flowrun::source::Span, what: &str) {
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what}: span {span:?} outside a text of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what}: span {span:?} splits a character"
    );
}

/// Runs a flow text through every stage.
fn exercise_flow(text: &str) {
    let analysis = flowrun::analyze(text);
    for p in &analysis.problems {
        assert_span_in(text, p.span(), &p.code());
    }
    let _ = analysis.has_errors();
    // `analyze` executes each statement as it is parsed: the same as the stages one by one.
    let ast = flowrun::syntax::parse(text);
    let graph = flowrun::graph::build(&ast);
    assert_eq!(analysis.problems, flowrun::check::check(text, &ast, &graph));
    for render in [Render::Yes, Render::No] {
        assert_eq!(
            flowrun::graph::json::to_json(&analysis.graph, None, render),
            flowrun::graph::json::to_json(&graph, None, render)
        );
    }
    for render in [Render::Yes, Render::No] {
        let json = graph_json(text, render);
        assert!(json.get("ok").is_some_and(serde_json::Value::is_boolean));
    }
    let source = Source::whole("prop.flow", text);
    let _ = render_human(&analysis.problems, &source, false, 80);
    for p in &analysis.problems {
        let d = JsonDiagnostic::new(p, &source);
        assert!(d.line >= 1 && d.column >= 1);
        assert!(d.span[0] <= d.span[1] && d.span[1] <= text.len());
    }
}

/// Reads a text as a document (both as `.md` and `.flow`) and checks each flow.
fn exercise_document(text: &str) {
    for name in ["prop.md", "prop.flow"] {
        let doc = flowrun::document::read(name, text);
        for f in &doc.flows {
            let flow_text = &*f.source.text;
            let analysis = flowrun::analyze(flow_text);
            for p in &analysis.problems {
                assert_span_in(flow_text, p.span(), &p.code());
                let fs = f.source.file_span(p.span());
                assert!(
                    fs.offset() + fs.len() <= text.len(),
                    "{}: file span {fs:?} outside the document",
                    p.code()
                );
                let (line, column) = f.source.line_col(p.span().start);
                assert!(line >= 1 && column >= 1);
                let d = JsonDiagnostic::new(p, &f.source);
                assert!(d.span[1] <= text.len());
            }
            let _ = render_human(&analysis.problems, &f.source, false, 80);
        }
        for sel in [
            None,
            Some(flowrun::document::Selector::Index(1)),
            Some(flowrun::document::Selector::parse("h")),
        ] {
            let _ = doc.select(sel.as_ref());
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        exercise_flow(&text);
        exercise_document(&text);
    }

    #[test]
    fn dsl_soup_never_panics(text in dsl_text()) {
        exercise_flow(&text);
        exercise_document(&text);
        exercise_document(&format!("# Flow\n\n```flow\n{text}\n```\n"));
    }

    #[test]
    fn statement_like_lines_never_panic(text in dsl_lines()) {
        exercise_flow(&text);
        exercise_document(&format!("## Steps\n\n- item\n\n  ```flow\n  {}\n  ```\n", text.replace('\n', "\n  ")));
    }
}

/// The oracle fixtures' texts, read once.
fn oracle_flows() -> &'static [String] {
    static FLOWS: OnceLock<Vec<String>> = OnceLock::new();
    FLOWS.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oracle");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "flow"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
            .collect()
    })
}

/// One edit of a text.
#[derive(Clone, Debug)]
enum Mutation {
    Insert(f64, String),
    Delete(f64, usize),
    Replace(f64, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let payload = prop_oneof![
        3 => proptest::sample::select(PIECES).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    prop_oneof![
        (0.0..=1.0f64, payload.clone()).prop_map(|(at, s)| Mutation::Insert(at, s)),
        (0.0..=1.0f64, 1..4usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (0.0..=1.0f64, payload).prop_map(|(at, s)| Mutation::Replace(at, s)),
    ]
}

/// The char boundary nearest below `at` (a fraction of the length).
fn boundary(text: &str, at: f64) -> usize {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a position in a small text"
    )]
    let mut i = ((text.len() as f64) * at) as usize;
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &mut String, m: &Mutation) {
    match m {
        Mutation::Insert(at, s) => {
            let i = boundary(text, *at);
            text.insert_str(i, s);
        }
        Mutation::Delete(..) | Mutation::Replace(..) if text.is_empty() => {}
        Mutation::Delete(at, n) => {
            let i = boundary(text, *at);
            let end = text[i..]
                .char_indices()
                .nth(*n)
                .map_or(text.len(), |(j, _)| i + j);
            text.replace_range(i..end, "");
        }
        Mutation::Replace(at, s) => {
            let i = boundary(text, *at);
            let end = text[i..].chars().next().map_or(i, |c| i + c.len_utf8());
            text.replace_range(i..end, s);
        }
    }
}

proptest! {
    #![proptest_config(config(384))]

    #[test]
    fn mutated_oracle_flows_never_panic(
        which in any::<proptest::sample::Index>(),
        edits in proptest::collection::vec(mutation(), 1..5),
    ) {
        let flows = oracle_flows();
        let mut text = which.get(flows).clone();
        for m in &edits {
            apply(&mut text, m);
        }
        exercise_flow(&text);
        exercise_document(&format!("# Mutated\n\n```flow\n{text}\n```\n"));
    }
}

#[test]
fn oracle_fixtures_are_there_to_mutate() {
    assert!(oracle_flows().len() >= 40);
}

/// A flow large enough to be parsed in pieces on several threads (see
/// `src/syntax/pieces.rs`) means the same as its stages run one by one: every
/// check fixture and oracle case, one after another, several times over, so that
/// every kind of statement and problem falls on both sides of a cut.
#[test]
fn a_flow_parsed_in_pieces_means_the_same() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check");
    let mut cases: Vec<String> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "flow"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    cases.extend(oracle_flows().iter().cloned());
    assert!(cases.len() > 50, "fixtures missing: {}", cases.len());
    let mut text = String::new();
    while text.len() < 300 * 1024 {
        for case in &cases {
            text.push_str(case);
            text.push('\n');
        }
    }
    exercise_flow(&text);
}

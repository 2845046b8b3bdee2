//! Rendered diagnostics, one fixture per diagnostic code.
//!
//! `fixtures/check/CODE.flow` (or `CODE-variant.flow`) shows the diagnostic
//! `CODE`; `clean.flow` has none. Snapshots (`snapshots/check/`) are the
//! miette reports, no colour, width 80, named after the file only so that they
//! do not depend on the machine. `fixtures/check-md/*.md` shows that labels of
//! flows in Markdown fences point at the right line of the document.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::support::{fixture_name, read_fixture};
use flowrun::report::render_human;
use flowrun::source::Source;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The rendered report of a `.flow` fixture.
fn report(path: &Path) -> (String, String) {
    let name = fixture_name(path);
    let text = read_fixture(path);
    let source = Source::whole(name, text.as_str());
    let analysis = flowrun::analyze(&text);
    (text, render_human(&analysis.problems, &source, false, 80))
}

#[test]
fn check_reports() {
    insta::glob!("fixtures/check/*.flow", |path| {
        let (text, rendered) = report(path);
        insta::with_settings!({
            description => text,
            omit_expression => true,
            prepend_module_to_snapshot => false,
            snapshot_path => "snapshots/check",
        }, {
            insta::assert_snapshot!(rendered);
        });
    });
}

/// Every flow of a Markdown document, each with its report.
fn markdown_report(path: &Path) -> String {
    let name = fixture_name(path);
    let text = read_fixture(path);
    let doc = flowrun::document::read(&name, &text);
    assert!(doc.markdown, "{name} is not read as Markdown");
    let mut out = String::new();
    for f in &doc.flows {
        let analysis = flowrun::analyze(&f.source.text);
        writeln!(
            out,
            "── flow #{} at line {} ({}): {} problem(s)",
            f.index,
            f.line,
            f.heading.as_deref().unwrap_or("no heading"),
            analysis.problems.len()
        )
        .unwrap();
        out.push_str(&render_human(&analysis.problems, &f.source, false, 80));
    }
    out
}

#[test]
fn markdown_reports() {
    insta::glob!("fixtures/check-md/*.md", |path| {
        insta::with_settings!({
            omit_expression => true,
            prepend_module_to_snapshot => false,
            snapshot_path => "snapshots/check-md",
        }, {
            insta::assert_snapshot!(markdown_report(path));
        });
    });
}

/// In a Markdown document, each single-line span maps to the same text in the
/// file, at a line inside the flow's fence.
#[test]
fn markdown_spans_point_into_the_fence() {
    let dir = manifest_dir().join("tests/fixtures/check-md");
    let mut checked = 0;
    for path in md_files(&dir) {
        let text = read_fixture(&path);
        let doc = flowrun::document::read("doc.md", &text);
        for f in &doc.flows {
            let fence_lines = f.source.text.lines().count();
            for p in flowrun::analyze(&f.source.text).problems {
                let span = p.span();
                let in_flow = &f.source.text[span.range()];
                let (line, column) = f.source.line_col(span.start);
                assert!(
                    line > f.line && line <= f.line + fence_lines,
                    "{}: {} at line {line}, fence at line {}",
                    path.display(),
                    p.code(),
                    f.line
                );
                let file_span = f.source.file_span(span);
                let in_file = &text[file_span.offset()..file_span.offset() + file_span.len()];
                if !in_flow.contains('\n') {
                    assert_eq!(in_file, in_flow, "{}: {}", path.display(), p.code());
                }
                let file_line = text.lines().nth(line - 1).unwrap();
                let col_byte = file_line
                    .char_indices()
                    .nth(column - 1)
                    .map_or(file_line.len(), |(i, _)| i);
                assert!(
                    file_line[col_byte..].starts_with(in_file.lines().next().unwrap_or("")),
                    "{}: {} at {line}:{column} is not on `{file_line}`",
                    path.display(),
                    p.code()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 5, "only {checked} problems checked");
}

fn md_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files
}

fn flow_fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(manifest_dir().join("tests/fixtures/check"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "flow"))
        .collect();
    files.sort();
    files
}

/// The diagnostic code a fixture is named after: `undefined_source-typo.flow`
/// → `undefined_source`.
fn named_code(path: &Path) -> String {
    let stem = path.file_stem().unwrap().to_string_lossy();
    stem.split('-').next().unwrap().to_owned()
}

/// Each fixture produces the diagnostic it is named after, so a snapshot
/// cannot silently lose it; `clean.flow` produces none.
#[test]
fn each_fixture_shows_its_code() {
    let mut failures = Vec::new();
    for path in flow_fixtures() {
        let code = named_code(&path);
        let text = read_fixture(&path);
        let codes: BTreeSet<String> = flowrun::analyze(&text)
            .problems
            .iter()
            .map(|p| p.code().rsplit("::").next().unwrap().to_owned())
            .collect();
        let ok = if code == "clean" {
            codes.is_empty()
        } else {
            codes.contains(&code)
        };
        if !ok {
            failures.push(format!("{}: got {codes:?}", fixture_name(&path)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The diagnostic codes of `check` and `graph` declared in `src/`
/// (`code(flowrun::check::name)`, `code(flowrun::graph::name)`): every
/// `Problem` and `BuildError`.
fn declared_codes() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    let mut dirs = vec![manifest_dir().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for piece in text.split("code(flowrun::").skip(1) {
                    let full = piece.split(')').next().unwrap();
                    if let Some(name) = full
                        .strip_prefix("check::")
                        .or_else(|| full.strip_prefix("graph::"))
                    {
                        codes.insert(name.to_owned());
                    }
                }
            }
        }
    }
    codes
}

/// Every diagnostic flowrun can produce has a fixture (and so a snapshot).
#[test]
fn every_code_has_a_fixture() {
    let declared = declared_codes();
    assert!(declared.len() >= 23, "found only {declared:?}");
    let fixtures: BTreeSet<String> = flow_fixtures().iter().map(|p| named_code(p)).collect();
    let missing: Vec<_> = declared.difference(&fixtures).collect();
    assert!(missing.is_empty(), "no fixture for {missing:?}");
    let unknown: Vec<_> = fixtures
        .iter()
        .filter(|c| *c != "clean" && !declared.contains(*c))
        .collect();
    assert!(
        unknown.is_empty(),
        "fixtures named after no code: {unknown:?}"
    );
}

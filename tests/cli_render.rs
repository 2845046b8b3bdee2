//! CLI tests of `render` and `fmt`: the built binary, every exit code.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn flowrun() -> Command {
    assert_cmd::cargo::cargo_bin_cmd!("flowrun")
}

fn workflows(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("workflows")
        .join(file)
        .display()
        .to_string()
}

fn has_dot() -> bool {
    std::process::Command::new("dot").arg("-V").output().is_ok()
}

#[test]
fn render_dot_mermaid_and_flowchartjs_to_stdout() {
    let md = workflows("prod-deployment.md");
    flowrun()
        .args(["render", &md, "--flow", "1", "--format", "dot"])
        .assert()
        .success()
        .stdout(
            predicate::str::starts_with("digraph ").and(predicate::str::contains(
                "\"seasoned\" -> \"season\" [label=\"no\"",
            )),
        );
    flowrun()
        .args(["render", &md, "--flow", "2", "--format", "mermaid"])
        .assert()
        .success()
        .stdout(
            predicate::str::starts_with("flowchart TD\n")
                .and(predicate::str::contains("n_seasoned -->|\"yes\"| n_dmus")),
        );
    flowrun()
        .args([
            "render",
            &workflows("us-hotfix.flow"),
            "--format",
            "flowchartjs",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("seasoned(yes)->dmus->e\n"));
}

#[test]
fn render_needs_a_flow_choice_for_a_document_with_several() {
    flowrun()
        .args(["render", &workflows("prod-deployment.md")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has 2 flows"));
}

#[test]
fn render_svg_to_a_file() {
    if !has_dot() {
        assert!(std::env::var_os("CI").is_none(), "CI must install graphviz");
        eprintln!("SKIPPED: Graphviz `dot` is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.svg");
    flowrun()
        .args([
            "render",
            &workflows("prod-deployment.md"),
            "--flow",
            "1",
            "--format",
            "svg",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success();
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(
        svg.contains("<svg")
            && svg.contains("Seasoned enough?")
            && svg.contains("Deploy EDNA to US")
    );
    let png = dir.path().join("x.png");
    flowrun()
        .args([
            "render",
            &workflows("uk-bug-fix.flow"),
            "--format",
            "png",
            "-o",
        ])
        .arg(&png)
        .assert()
        .success();
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
}

/// `render workflows/uk-bug-fix.flow --format svg -o OUT`, with `dot` as Graphviz.
fn render_svg_with_dot(dot: &Path, out: &Path) -> Command {
    let mut cmd = flowrun();
    cmd.env("FLOWRUN_DOT", dot)
        .args([
            "render",
            &workflows("uk-bug-fix.flow"),
            "--format",
            "svg",
            "-o",
        ])
        .arg(out);
    cmd
}

#[test]
fn render_svg_without_graphviz_says_how_to_install_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.svg");
    render_svg_with_dot(&dir.path().join("no-such-dot"), &out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("apt-get install graphviz"));
    assert!(!out.exists());
}

#[test]
fn render_refuses_a_flow_with_errors() {
    let dir = tempfile::tempdir().unwrap();
    let flow = dir.path().join("bad.flow");
    std::fs::write(&flow, "st=>start: S\ne=>end\nst -> e\n").unwrap();
    let out = dir.path().join("x.dot");
    flowrun()
        .args(["render"])
        .arg(&flow)
        .args(["-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("flowrun::graph::undefined_source")
                .and(predicate::str::contains("nothing was drawn")),
        );
    assert!(!out.exists());
}

#[test]
fn render_all_marks_unreachable_nodes() {
    let flow = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render/unreachable.flow");
    flowrun()
        .arg("render")
        .arg(&flow)
        .assert()
        .success()
        .stdout(predicate::str::contains("orphan").not());
    flowrun()
        .arg("render")
        .arg(&flow)
        .arg("--all")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("\"orphan\"")
                .and(predicate::str::contains("xlabel=\"unreachable\"")),
        );
}

#[test]
fn fmt_check_then_fmt_then_check_again() {
    let dir = tempfile::tempdir().unwrap();
    let flow = dir.path().join("a.flow");
    let messy = "st=>start: S\ne=>end\nst->e\nmid=>operation: M\n";
    std::fs::write(&flow, messy).unwrap();
    flowrun()
        .args(["fmt", "--check"])
        .arg(&flow)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("-st->e\n").and(predicate::str::contains("+st->e\n")))
        .stderr(predicate::str::contains("1 file not formatted"));
    assert_eq!(std::fs::read_to_string(&flow).unwrap(), messy);
    flowrun().arg("fmt").arg(&flow).assert().success();
    assert_eq!(
        std::fs::read_to_string(&flow).unwrap(),
        "st=>start: S\ne=>end\nmid=>operation: M\n\nst->e\n"
    );
    flowrun()
        .args(["fmt", "--check"])
        .arg(&flow)
        .assert()
        .success()
        .stdout("");
}

#[test]
fn fmt_leaves_files_with_errors_alone() {
    let dir = tempfile::tempdir().unwrap();
    let flow = dir.path().join("bad.flow");
    let text = "st=>start: S\nst -> e\ne=>end\nmid=>operation: M\n";
    std::fs::write(&flow, text).unwrap();
    flowrun()
        .arg("fmt")
        .arg(&flow)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has errors"));
    assert_eq!(std::fs::read_to_string(&flow).unwrap(), text);
}

#[test]
fn fmt_markdown_changes_only_the_fence() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("runbook.md");
    std::fs::write(&md, "# Runbook\n\nProse   stays.\n\n```flow\nst=>start:   Go\ne=>end\nst->e\n```\n\nMore  prose.\n").unwrap();
    flowrun().args(["fmt"]).arg(dir.path()).assert().success();
    assert_eq!(
        std::fs::read_to_string(&md).unwrap(),
        "# Runbook\n\nProse   stays.\n\n```flow\nst=>start:   Go\ne=>end\n\nst->e\n```\n\nMore  prose.\n"
    );
}

#[test]
fn fmt_check_passes_on_the_workflows() {
    flowrun()
        .args(["fmt", "--check", &workflows("")])
        .assert()
        .success();
}

#[test]
fn fmt_refuses_stdin() {
    flowrun()
        .args(["fmt", "-"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("render - --format flowchartjs"));
}

/// Graphviz, like a plugin, inherits the huge-page setting flowrun was started
/// with (flowrun turns them off for itself on small inputs, `src/pages.rs`).
#[cfg(target_os = "linux")]
#[test]
fn graphviz_gets_huge_pages_as_flowrun_found_them() {
    use crate::support::{our_thp_line, thp_line};
    use std::os::unix::fs::PermissionsExt;
    let Some(expected) = our_thp_line() else {
        eprintln!("SKIPPED: this kernel's /proc/self/status has no THP_enabled line");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // A stand-in for `dot` that prints its own huge-page setting instead of a picture.
    let dot = dir.path().join("dot");
    std::fs::write(
        &dot,
        "#!/bin/sh\ncat >/dev/null\ngrep THP_enabled /proc/self/status\n",
    )
    .unwrap();
    std::fs::set_permissions(&dot, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = dir.path().join("x.svg");
    render_svg_with_dot(&dot, &out).assert().code(0);
    let seen = std::fs::read_to_string(&out).unwrap();
    assert_eq!(thp_line(&seen), Some(expected), "{seen}");
}

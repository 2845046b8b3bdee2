//! The `flowrun` binary: every subcommand, output format and exit code.
//!
//! Inputs live in `fixtures/cli/` or in temporary directories. Exit codes:
//! 0 success, 2 errors in a flow, bad usage or an unreadable file.

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cli")
        .join(name)
}

/// The built binary (`CARGO_BIN_EXE_flowrun`), with stable rendering (no colour, 80 columns).
fn flowrun() -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("flowrun");
    cmd.env("NO_COLOR", "1").env("COLUMNS", "80");
    cmd
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// The JSON objects printed one per line.
fn json_lines(output: &std::process::Output) -> Vec<Value> {
    stdout_of(output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

// ── check ────────────────────────────────────────────────────────────────

#[test]
fn check_clean_flow_exits_0() {
    flowrun()
        .arg("check")
        .arg(fixture("clean.flow"))
        .assert()
        .code(0)
        .stdout("")
        .stderr("checked 1 flow in 1 file: 0 errors, 0 warnings\n");
}

#[test]
fn check_warnings_only_exits_0() {
    flowrun()
        .arg("check")
        .arg(fixture("warnings.flow"))
        .assert()
        .code(0)
        .stderr(
            predicate::str::contains("flowrun::check::unreachable")
                .and(predicate::str::contains("⚠ `orphan` cannot be reached"))
                .and(predicate::str::contains("warnings.flow:3:1]"))
                .and(predicate::str::ends_with(
                    "checked 1 flow in 1 file: 0 errors, 1 warning\n",
                )),
        );
}

#[test]
fn check_deny_warnings_exits_2() {
    flowrun()
        .args(["check", "--deny-warnings"])
        .arg(fixture("warnings.flow"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("0 errors, 1 warning"));
    // Nothing to deny on a clean flow.
    flowrun()
        .args(["check", "--deny-warnings"])
        .arg(fixture("clean.flow"))
        .assert()
        .code(0);
}

#[test]
fn check_errors_exits_2() {
    flowrun()
        .arg("check")
        .arg(fixture("errors.flow"))
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::contains("flowrun::check::undefined_target")
                .and(predicate::str::contains(
                    "× `ed` is not defined, so this edge goes nowhere",
                ))
                .and(predicate::str::contains("help: did you mean `e`?"))
                .and(predicate::str::contains("1 error, 1 warning")),
        );
}

#[test]
fn check_reports_several_files_and_fails_if_any_has_errors() {
    flowrun()
        .arg("check")
        .arg(fixture("clean.flow"))
        .arg(fixture("errors.flow"))
        .assert()
        .code(2)
        .stderr(predicate::str::ends_with(
            "checked 2 flows in 2 files: 1 error, 1 warning\n",
        ));
}

#[test]
fn check_json_has_every_field() {
    let out = flowrun()
        .args(["check", "--format", "json"])
        .arg(fixture("errors.flow"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "no human report");
    let diags = json_lines(&out);
    assert_eq!(diags.len(), 2, "{diags:?}");
    for d in &diags {
        assert_eq!(
            keys(d),
            [
                "code", "severity", "message", "file", "line", "column", "span", "help"
            ]
        );
        assert!(d["file"].as_str().unwrap().ends_with("errors.flow"));
    }
    let target = diags
        .iter()
        .find(|d| d["code"] == "flowrun::check::undefined_target")
        .unwrap();
    assert_eq!(target["severity"], "error");
    assert_eq!(
        target["message"],
        "`ed` is not defined, so this edge goes nowhere"
    );
    assert_eq!(
        (target["line"].as_u64(), target["column"].as_u64()),
        (Some(4), Some(9))
    );
    let text = std::fs::read_to_string(fixture("errors.flow")).unwrap();
    let span = &target["span"];
    let (a, b) = (span[0].as_u64().unwrap(), span[1].as_u64().unwrap());
    assert_eq!(
        &text[usize::try_from(a).unwrap()..usize::try_from(b).unwrap()],
        "ed"
    );
    assert_eq!(target["help"], "did you mean `e`?");
    let unreachable = diags
        .iter()
        .find(|d| d["code"] == "flowrun::check::unreachable")
        .unwrap();
    assert_eq!(unreachable["severity"], "warning");
}

#[test]
fn check_json_column_counts_characters() {
    let text = "st=>start: Café\ncafé=>operation: Crème brûlée\ne=>end\nst->café->ed\n";
    let out = flowrun()
        .args(["check", "--format", "json", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    let diags = json_lines(&out);
    let target = diags
        .iter()
        .find(|d| d["code"] == "flowrun::check::undefined_target")
        .unwrap();
    assert_eq!(
        (target["line"].as_u64(), target["column"].as_u64()),
        (Some(4), Some(11))
    );
    let at = text.find("ed\n").unwrap() as u64;
    assert_eq!(target["span"], serde_json::json!([at, at + 2]));
}

#[test]
fn check_json_clean_prints_nothing() {
    flowrun()
        .args(["check", "--format", "json"])
        .arg(fixture("clean.flow"))
        .assert()
        .code(0)
        .stdout("")
        .stderr("");
}

#[test]
fn check_json_points_into_markdown() {
    let path = fixture("runbook.md");
    let out = flowrun()
        .args(["check", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let diags = json_lines(&out);
    let found: Vec<(String, u64, u64)> = diags
        .iter()
        .map(|d| {
            (
                d["code"]
                    .as_str()
                    .unwrap()
                    .rsplit("::")
                    .next()
                    .unwrap()
                    .to_owned(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("unreachable".to_owned(), 19, 1),
            ("unreachable".to_owned(), 31, 3),
            ("undefined_target".to_owned(), 32, 10),
        ]
    );
    for d in &diags {
        // The span is the culprit's text in the .md, and line:column is where it starts.
        let [a, b] = [0, 1].map(|i| usize::try_from(d["span"][i].as_u64().unwrap()).unwrap());
        let culprit = &text[a..b];
        let line = lines[usize::try_from(d["line"].as_u64().unwrap()).unwrap() - 1];
        let column = usize::try_from(d["column"].as_u64().unwrap()).unwrap();
        assert!(
            line[column - 1..].starts_with(culprit),
            "{culprit:?} is not at column {column} of {line:?}"
        );
    }
}

#[test]
fn check_directory_expands_to_flow_and_md_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("clean.flow"), dir.path().join("a.flow")).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::copy(fixture("runbook.md"), dir.path().join("sub/b.md")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "st -> nowhere\n").unwrap();
    let out = flowrun()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let files: Vec<String> = json_lines(&out)
        .iter()
        .map(|d| d["file"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(files.len(), 3);
    assert!(files.iter().all(|f| f.ends_with("b.md")), "{files:?}");
    flowrun()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::ends_with(
            "checked 4 flows in 2 files: 1 error, 2 warnings\n",
        ));
}

#[test]
fn check_directory_without_flows_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("readme.txt"), "nothing here\n").unwrap();
    flowrun()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has no .flow or .md files"));
}

#[test]
fn check_reads_stdin() {
    let text = std::fs::read_to_string(fixture("errors.flow")).unwrap();
    let out = flowrun()
        .args(["check", "--format", "json", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let diags = json_lines(&out);
    assert!(!diags.is_empty());
    assert!(diags.iter().all(|d| d["file"] == "-"));
    flowrun()
        .args(["check", "-"])
        .write_stdin(std::fs::read_to_string(fixture("clean.flow")).unwrap())
        .assert()
        .code(0)
        .stderr("checked 1 flow in 1 file: 0 errors, 0 warnings\n");
}

#[test]
fn check_missing_file_exits_2_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-flow.flow");
    flowrun()
        .arg("check")
        .arg(&missing)
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::starts_with("error: cannot read ")
                .and(predicate::str::contains("no-such-flow.flow")),
        );
}

#[test]
fn check_non_utf8_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.flow");
    std::fs::write(&path, b"st=>start: Caf\xe9\ne=>end\nst->e\n").unwrap();
    flowrun().arg("check").arg(&path).assert().code(2).stderr(
        predicate::str::contains("latin1.flow is not UTF-8 text")
            .and(predicate::str::contains("offset 14")),
    );
}

#[test]
fn check_selects_a_flow_by_index_or_heading() {
    let md = fixture("runbook.md");
    // Flow 2 (Rollback) has one warning and no error.
    for sel in ["2", "Rollback", "rollback", "roll"] {
        flowrun()
            .args(["check", "--flow", sel])
            .arg(&md)
            .assert()
            .code(0)
            .stderr(predicate::str::contains("`orphan` cannot be reached").and(
                predicate::str::ends_with("checked 1 flow in 1 file: 0 errors, 1 warning\n"),
            ));
    }
    flowrun()
        .args(["check", "--flow", "verify"])
        .arg(&md)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`ed` is not defined"));
    flowrun()
        .args(["check", "--flow", "7"])
        .arg(&md)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has no flow 7"));
    flowrun()
        .args(["check", "--flow", "0"])
        .arg(&md)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has no flow 0"));
}

// ── graph ────────────────────────────────────────────────────────────────

#[test]
fn graph_json_has_the_oracle_shape() {
    let out = flowrun()
        .arg("graph")
        .arg(fixture("clean.flow"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(
        keys(&v),
        ["ok", "error", "start", "nodes", "edges", "render"]
    );
    assert_eq!(v["ok"], true);
    assert_eq!(v["error"], Value::Null);
    assert_eq!(v["start"], "st");
    let ids: Vec<&str> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["c", "e", "op", "st"], "sorted by id");
    let edges: Vec<(&str, &str, &str)> = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap(),
                e["branch"].as_str().unwrap(),
                e["to"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        edges,
        [
            ("c", "yes", "e"),
            ("c", "no", "op"),
            ("op", "next", "c"),
            ("st", "next", "op")
        ]
    );
    assert_eq!(v["render"]["ok"], true);
    // `--format json` is the default.
    flowrun()
        .args(["graph", "--format", "json"])
        .arg(fixture("clean.flow"))
        .assert()
        .code(0)
        .stdout(stdout_of(&out));
}

#[test]
fn graph_of_a_flow_flowchart_js_rejects_exits_2() {
    let out = flowrun()
        .arg("graph")
        .arg(fixture("throws.flow"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["error"], "flowrun::graph::undefined_source");
    assert_eq!(v["start"], Value::Null);
    assert_eq!(v["nodes"], serde_json::json!([]));
    assert_eq!(v["render"], Value::Null);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("× `st ` is not defined, but a connection starts from it"));
    assert!(stderr.contains("throws.flow:3:1]"));
}

#[test]
fn graph_of_a_flow_whose_drawing_throws_exits_0() {
    let out = flowrun()
        .arg("graph")
        .arg(fixture("draw-throws.flow"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "the parse succeeds");
    let v: Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["render"]["ok"], false);
    assert_eq!(v["render"]["error"]["name"], "TypeError");
}

#[test]
fn graph_no_render_leaves_out_render() {
    for file in ["clean.flow", "throws.flow"] {
        let out = flowrun()
            .args(["graph", "--no-render"])
            .arg(fixture(file))
            .output()
            .unwrap();
        let v: Value = serde_json::from_str(&stdout_of(&out)).unwrap();
        assert_eq!(
            keys(&v),
            ["ok", "error", "start", "nodes", "edges"],
            "{file}"
        );
    }
}

#[test]
fn graph_text() {
    flowrun()
        .args(["graph", "--format", "text"])
        .arg(fixture("clean.flow"))
        .assert()
        .code(0)
        .stdout(
            "start: st\n\
             st [start] Start\n  --next--> op\n\
             op [operation] Work\n  --next--> c\n\
             c [condition] Done?\n  --yes--> e\n  --no--> op\n\
             e [end] End\n",
        );
    flowrun()
        .args(["graph", "--format", "text"])
        .arg(fixture("errors.flow"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "op [operation] Work\n  --next--> (undefined)\n",
        ));
}

/// Issue #6: `graph --format text` shows where a parallel's paths join.
#[test]
fn graph_text_shows_the_join_of_a_parallel() {
    let head = "st=>start: S\np=>parallel: P\na=>operation: A\nb=>operation: B\n\
                j=>operation: J\ne=>end\ne2=>end\nst->p\n";
    let cases = [
        (
            "p(path1, bottom)->a->j\np(path2, right)->b->j\nj->e\n",
            "p [parallel] P\n  --path1--> a\n  --path2--> b\n  p: parallel, joins at `j`\n",
        ),
        (
            "p(path1, bottom)->a->e\np(path2, right)->b->e2\n",
            "  p: parallel, paths end separately\n",
        ),
        (
            "p(path1, bottom)->a->j\np(path2, right)->b->st\nj->e\n",
            "  p: parallel, has no well-defined join (see `flowrun check`)\n",
        ),
    ];
    for (lines, expected) in cases {
        flowrun()
            .args(["graph", "--format", "text", "-"])
            .write_stdin(format!("{head}{lines}"))
            .assert()
            .code(0)
            .stdout(predicate::str::contains(expected));
    }
}

#[test]
fn graph_of_a_multi_flow_document_needs_flow() {
    let md = fixture("runbook.md");
    flowrun()
        .arg("graph")
        .arg(&md)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "runbook.md has 3 flows; pick one with --flow N or --flow HEADING",
        ));
    let by_index = flowrun()
        .args(["graph", "--flow", "2", "--no-render"])
        .arg(&md)
        .output()
        .unwrap();
    assert_eq!(by_index.status.code(), Some(0));
    let v: Value = serde_json::from_str(&stdout_of(&by_index)).unwrap();
    assert!(
        v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["key"] == "rb")
    );
    flowrun()
        .args(["graph", "--flow", "ROLLBACK", "--no-render"])
        .arg(&md)
        .assert()
        .code(0)
        .stdout(stdout_of(&by_index));
    flowrun()
        .args(["graph", "--flow", "nothing like it"])
        .arg(&md)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has no flow nothing like it"));
}

#[test]
fn graph_of_a_document_without_flows_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.md");
    std::fs::write(&path, "# Nothing\n\n```sh\nls\n```\n").unwrap();
    flowrun()
        .arg("graph")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has no flow (no ```flow fence)"));
}

#[test]
fn graph_reads_stdin() {
    flowrun()
        .args(["graph", "--format", "text", "-"])
        .write_stdin("st=>start: S\ne=>end\nst->e\n")
        .assert()
        .code(0)
        .stdout("start: st\nst [start] S\n  --next--> e\ne [end]\n");
}

// ── list ─────────────────────────────────────────────────────────────────

#[test]
fn list_human() {
    let md = fixture("runbook.md");
    let name = md.display().to_string();
    flowrun()
        .arg("list")
        .arg(&md)
        .arg(fixture("clean.flow"))
        .assert()
        .code(0)
        .stdout(format!(
            "{name}:7\t#1\t3 nodes\tDeploy\n\
             {name}:16\t#2\t4 nodes\tRollback\n\
             {name}:28\t#3\t3 nodes\tVerify\n\
             {}:1\t#1\t4 nodes\t\n",
            fixture("clean.flow").display()
        ));
}

#[test]
fn list_json() {
    let out = flowrun()
        .args(["list", "--format", "json"])
        .arg(fixture("runbook.md"))
        .arg(fixture("clean.flow"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let rows = json_lines(&out);
    let summary: Vec<(u64, u64, Value, u64)> = rows
        .iter()
        .map(|r| {
            assert_eq!(keys(r), ["file", "index", "line", "heading", "nodes"]);
            (
                r["index"].as_u64().unwrap(),
                r["line"].as_u64().unwrap(),
                r["heading"].clone(),
                r["nodes"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, 7, Value::from("Deploy"), 3),
            (2, 16, Value::from("Rollback"), 4),
            (3, 28, Value::from("Verify"), 3),
            (1, 1, Value::Null, 4),
        ]
    );
}

#[test]
fn list_missing_file_exits_2() {
    flowrun()
        .args(["list", "does-not-exist.md"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read does-not-exist.md"));
}

// ── usage ────────────────────────────────────────────────────────────────

#[test]
fn help_and_version_exit_0() {
    flowrun().arg("--help").assert().code(0).stdout(
        predicate::str::contains("Usage: flowrun <COMMAND>")
            .and(predicate::str::contains("check"))
            .and(predicate::str::contains("graph"))
            .and(predicate::str::contains("list")),
    );
    for sub in ["check", "graph", "list"] {
        flowrun()
            .args([sub, "--help"])
            .assert()
            .code(0)
            .stdout(predicate::str::contains(format!("Usage: flowrun {sub}")));
    }
    flowrun()
        .arg("--version")
        .assert()
        .code(0)
        .stdout(format!("flowrun {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn bad_usage_exits_2() {
    flowrun()
        .arg("frobnicate")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unrecognized subcommand 'frobnicate'",
        ));
    flowrun()
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Usage"));
    flowrun()
        .arg("check")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("required"));
    flowrun()
        .args(["check", "--format", "xml"])
        .arg(fixture("clean.flow"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'xml'"));
}

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

/// A fixture's text, exactly as stored (CR, BOM and all).
pub(crate) fn read_fixture(path: &std::path::Path) -> String {
    String::from_utf8(std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{} is not UTF-8: {e}", path.display()))
}

/// A fixture's file name (`name.flow`), for machine-independent output.
pub(crate) fn fixture_name(path: &std::path::Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Whether two JSON values serialize to the same text: unlike `==`, object
/// key order counts (flowrun promises the oracle's order).
pub(crate) fn same_json(a: &Value, b: &Value) -> bool {
    serde_json::to_string(a).unwrap() == serde_json::to_string(b).unwrap()
}

/// The project folder.
pub(crate) fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether the tests run in CI, where every tool they use must be installed.
pub(crate) fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// Runs Mermaid's own parser (`tests/mermaid/parse.mjs`) on `files` and returns
/// what it printed (`ok FILE` for each file it accepts). `None` when Mermaid or
/// node is not installed, which fails in CI (`.ci/run` installs them) and is a
/// skip, said on stderr, elsewhere.
pub(crate) fn mermaid_parse(files: &[PathBuf]) -> Option<(String, String)> {
    let installed = manifest()
        .join("tests/mermaid/node_modules/mermaid")
        .is_dir();
    let node = std::process::Command::new("node").arg("--version").output();
    if !installed || node.is_err() {
        assert!(
            !in_ci(),
            "CI must install tests/mermaid (npm install) and node (.ci/run)"
        );
        eprintln!("SKIPPED: Mermaid is not installed (cd tests/mermaid && npm install)");
        return None;
    }
    let out = std::process::Command::new("node")
        .arg(manifest().join("tests/mermaid/parse.mjs"))
        .args(files)
        .output()
        .ok()?;
    Some((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// Whether Graphviz's `dot` is installed; when it is not, CI fails (`.ci/run`
/// installs it) and elsewhere the caller skips, said on stderr.
pub(crate) fn has_graphviz() -> bool {
    if std::process::Command::new("dot").arg("-V").output().is_ok() {
        return true;
    }
    assert!(!in_ci(), "CI must install graphviz (.ci/run)");
    eprintln!("SKIPPED: Graphviz `dot` is not installed");
    false
}

/// Lays out a DOT text with Graphviz (`dot -Tsvg`): `Err` with the exit status
/// and stderr when it fails, warns or writes no SVG.
pub(crate) fn graphviz_svg(dot: String) -> Result<(), String> {
    use std::process::{Command, Stdio};
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run dot: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin for dot")?;
    // Written from a thread: a large graph would fill the pipe while dot writes its SVG.
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, dot.as_bytes()));
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let written = writer.join().map_err(|_| "writer panicked".to_owned())?;
    written.map_err(|e| format!("cannot write to dot: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() && !stderr.contains("Warning:") && out.stdout.starts_with(b"<?xml") {
        Ok(())
    } else {
        Err(format!("{} {stderr}", out.status))
    }
}

/// The `THP_enabled:` line of a `/proc/PID/status` text, its spacing made plain.
pub(crate) fn thp_line(status: &str) -> Option<String> {
    status
        .lines()
        .find(|l| l.starts_with("THP_enabled:"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// This test process's huge-page setting (what flowrun, started from it, finds),
/// or `None` when the kernel does not show it.
pub(crate) fn our_thp_line() -> Option<String> {
    thp_line(&std::fs::read_to_string("/proc/self/status").ok()?)
}

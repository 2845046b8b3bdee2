//! A run drawn on its flow (`render --run`): snapshots of every format, each
//! checked by its real peer — Graphviz, Mermaid's parser, flowchart.js (the
//! oracle's dump of the rewritten text, committed beside each case).
//!
//! One case per `tests/fixtures/overlay/NAME.flow`, with its run in
//! `NAME.run.json` (the [`Overlay`] fields) and flowchart.js's parse of the
//! flowstate text in `NAME.fcjs.json`
//! (`../shared/tools/fcjs-oracle/run.sh` on the `overlay-flowchartjs` snapshot's text).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use flowrun::graph::json::Render;
use flowrun::render::{
    Overlay, Progress, RenderOptions, marks, to_dot, to_dot_with, to_flowchartjs, to_mermaid,
    to_mermaid_with, view,
};

use crate::support::{graph_json, graphviz_svg, has_graphviz, manifest, mermaid_parse, same_json};

/// The run of a case, from `NAME.run.json`.
fn read_overlay(flow: &Path) -> Overlay {
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(flow.with_extension("run.json")).unwrap())
            .unwrap();
    let strings = |k: &str| -> Vec<String> {
        json[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    Overlay {
        run_id: json["run_id"].as_str().unwrap().to_owned(),
        status: json["status"].as_str().unwrap().to_owned(),
        visited: strings("visited"),
        taken: json["taken"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let s = |i: usize| t[i].as_str().unwrap().to_owned();
                (s(0), s(1), s(2))
            })
            .collect(),
        visits: json["visits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| u32::try_from(n.as_u64().unwrap()).unwrap())
            .collect(),
        current: json["current"].as_str().map(str::to_owned),
        failed: json["failed"].as_str().map(str::to_owned),
    }
}

/// Every case: (name, flow text, run).
fn cases() -> Vec<(String, String, Overlay)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(manifest().join("tests/fixtures/overlay"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "flow"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "only {} overlay cases", files.len());
    files
        .iter()
        .map(|p| {
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(p).unwrap(),
                read_overlay(p),
            )
        })
        .collect()
}

fn dot_of(text: &str, overlay: &Overlay) -> String {
    let a = flowrun::analyze(text);
    to_dot_with(
        &view(&a.graph, RenderOptions::default()),
        "flow",
        Some(overlay),
    )
}

fn mermaid_of(text: &str, overlay: &Overlay) -> String {
    let a = flowrun::analyze(text);
    to_mermaid_with(&view(&a.graph, RenderOptions::default()), Some(overlay))
}

#[test]
fn overlay_snapshots_of_every_format() {
    insta::glob!("fixtures/overlay/*.flow", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let overlay = read_overlay(path);
        insta::assert_snapshot!("overlay-dot", dot_of(&text, &overlay));
        insta::assert_snapshot!("overlay-mermaid", mermaid_of(&text, &overlay));
        insta::assert_snapshot!("overlay-flowchartjs", to_flowchartjs(&text, &overlay));
    });
}

#[test]
fn overlay_dot_passes_graphviz_without_warnings() {
    if !has_graphviz() {
        return;
    }
    for (name, text, overlay) in cases() {
        if let Err(e) = graphviz_svg(dot_of(&text, &overlay)) {
            panic!("dot rejected {name}: {e}");
        }
    }
}

#[test]
fn overlay_mermaid_passes_mermaid_parser() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, text, overlay) in cases() {
        let path = dir.path().join(format!("{name}.mmd"));
        std::fs::write(&path, mermaid_of(&text, &overlay)).unwrap();
        files.push(path);
    }
    let Some((stdout, stderr)) = mermaid_parse(&files) else {
        return;
    };
    for path in &files {
        assert!(
            stdout.contains(&format!("ok {}", path.display())),
            "Mermaid rejected:\n{stdout}\n{stderr}"
        );
    }
}

/// flowrun's graph JSON with flowstates dropped and empty texts as none.
fn without_flowstates(mut json: Value) -> Value {
    for n in json["nodes"].as_array_mut().unwrap() {
        n["flowstate"] = Value::Null;
        if n["text"] == "" {
            n["text"] = Value::Null;
        }
    }
    json
}

#[test]
fn overlay_flowchartjs_keeps_the_meaning_and_sets_each_flowstate() {
    for (name, text, overlay) in cases() {
        let canonical = flowrun::fmt::format_flow(&text).text;
        let rewritten = to_flowchartjs(&text, &overlay);
        // Only flowstates (and text-less nodes' empty text) change.
        let before = without_flowstates(graph_json(&canonical, Render::No));
        let after = graph_json(&rewritten, Render::No);
        assert!(
            same_json(&before, &without_flowstates(after.clone())),
            "{name}: the meaning changed:\n{rewritten}"
        );
        // Each definition carries the state its drawn node shows (definitions are
        // the parse graph's nodes, in order; one the view leaves out is `future`).
        let a = flowrun::analyze(&canonical);
        let v = view(&a.graph, RenderOptions { all: true });
        let m = marks(&v, &overlay);
        let definitions = flowrun::syntax::parse(&rewritten)
            .statements
            .into_iter()
            .filter_map(|s| match s {
                flowrun::syntax::Statement::Definition(d) => Some(d),
                _ => None,
            });
        for (i, d) in definitions.enumerate() {
            let expected = v
                .nodes
                .iter()
                .zip(&m.nodes)
                .find(|(n, _)| n.id.index() == i)
                .map_or(Progress::Future, |(_, mark)| mark.state);
            assert_eq!(
                d.flowstate.as_deref(),
                Some(expected.flowstate()),
                "{name}: `{}` (definition {i})",
                d.key
            );
        }
        // flowchart.js itself reads the text the same way (its parse, from the oracle).
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(
                manifest().join(format!("tests/fixtures/overlay/{name}.fcjs.json")),
            )
            .unwrap(),
        )
        .unwrap();
        let ours = graph_json(&rewritten, Render::Yes);
        let diffs = crate::conformance::compare(&name, &ours, &expected);
        assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    }
}

/// The committed `NAME.fcjs.json` files are flowchart.js's own parse of today's text.
#[test]
fn overlay_flowchartjs_matches_the_oracle_live() {
    let oracle = manifest().join("../shared/tools/fcjs-oracle/run.sh");
    if !oracle.is_file() || Command::new("node").arg("--version").output().is_err() {
        eprintln!("SKIPPED: ../shared/tools/fcjs-oracle (and node) are not beside this clone");
        return;
    }
    for (name, text, overlay) in cases() {
        let mut child = Command::new(&oracle)
            .arg("--compact")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let input = to_flowchartjs(&text, &overlay);
        let mut stdin = child.stdin.take().unwrap();
        let writer =
            std::thread::spawn(move || std::io::Write::write_all(&mut stdin, input.as_bytes()));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        let live: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{name}: oracle output: {e}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let committed: Value = serde_json::from_str(
            &std::fs::read_to_string(
                manifest().join(format!("tests/fixtures/overlay/{name}.fcjs.json")),
            )
            .unwrap(),
        )
        .unwrap();
        for k in ["ok", "start", "nodes", "edges", "render"] {
            assert!(
                same_json(&live[k], &committed[k]),
                "{name}: `{k}` differs from {name}.fcjs.json; regenerate it with the oracle"
            );
        }
    }
}

#[test]
fn an_overlay_naming_nothing_in_the_flow_is_ignored() {
    let text = "st=>start: S\nop=>operation: Op|past\ne=>end\nst->op->e\n";
    let a = flowrun::analyze(text);
    let v = view(&a.graph, RenderOptions { all: true });
    let overlay = Overlay {
        run_id: "x".to_owned(),
        status: "lost".to_owned(),
        visited: vec!["nowhere".to_owned(), String::new()],
        taken: vec![
            ("nowhere".to_owned(), "next".to_owned(), "e".to_owned()),
            ("st".to_owned(), "path9".to_owned(), "op".to_owned()),
        ],
        visits: vec![],
        current: Some("ghost".to_owned()),
        failed: Some("gone".to_owned()),
    };
    let m = marks(&v, &overlay);
    assert!(
        m.nodes
            .iter()
            .all(|n| n.state == Progress::Future && n.visits == 0)
    );
    assert!(m.taken.iter().all(|t| !t));
    // Everything still draws; the written `past` gives way to the run's `future`.
    assert!(!to_dot_with(&v, "flow", Some(&overlay)).contains("#CCCCCC"));
    assert!(to_mermaid_with(&v, Some(&overlay)).contains("class n_st,n_op,n_e future"));
    assert_eq!(
        to_flowchartjs(text, &overlay),
        "st=>start: S|future\nop=>operation: Op|future\ne=>end: |future\n\nst->op->e\n"
    );
    // No overlay: the plain drawing, byte for byte.
    assert_eq!(to_dot_with(&v, "flow", None), to_dot(&v, "flow"));
    assert_eq!(to_mermaid_with(&v, None), to_mermaid(&v));
}

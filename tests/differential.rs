//! flowrun against flowchart.js itself, on generated and fixture flows.
//!
//! Flows come from `../shared/tools/genflow.py N --seed S --shape SHAPE`
//! (chains, branchy flows with merges, retry loops; 20 to 2000 nodes), and
//! from this crate's own parse and check fixtures. Each is run through the
//! oracle (`../shared/tools/fcjs-oracle/run.sh FILE --no-render`, real
//! flowchart.js 1.18.0 in node) and compared with flowrun's graph JSON:
//! `ok`, `start`, `nodes` and `edges` must serialize identically. Oracle runs
//! go in parallel so the module stays well under 30 s.
//!
//! Needs `../shared` beside the clone, `python3` and `node`; without them the
//! tests print `SKIPPED: <reason>` and pass, so a clone passes on its own.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{graph_json, read_fixture, same_json};
use flowrun::graph::json::Render;

/// `(nodes, seed, shape)`: every shape at every size, plus a few more seeds.
const GENERATED: &[(usize, u64, &str)] = &[
    (20, 1, "chain"),
    (200, 2, "chain"),
    (2000, 3, "chain"),
    (20, 4, "branchy"),
    (200, 5, "branchy"),
    (2000, 6, "branchy"),
    (20, 7, "loops"),
    (200, 8, "loops"),
    (2000, 9, "loops"),
    (500, 10, "branchy"),
    (60, 11, "loops"),
];

fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// Whether `program --version` runs.
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The tools, or why the comparison cannot run here.
fn tools() -> Result<(PathBuf, PathBuf), String> {
    let shared = shared_dir();
    let genflow = shared.join("tools/genflow.py");
    let oracle = shared.join("tools/fcjs-oracle/run.sh");
    if !shared.is_dir() {
        return Err(format!("{} is not beside this clone", shared.display()));
    }
    if !genflow.is_file() || !oracle.is_file() {
        return Err(format!(
            "{} or {} is missing",
            genflow.display(),
            oracle.display()
        ));
    }
    if !runs("python3") {
        return Err("python3 is not on PATH".to_owned());
    }
    if !runs("node") {
        return Err("node is not on PATH".to_owned());
    }
    let installed = |dir: PathBuf| dir.join("node_modules/flowchart.js/package.json").is_file();
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|c| c.join("fcjs-oracle"));
    if !installed(shared.join("tools/fcjs-oracle")) && !cache.is_some_and(installed) && !runs("npm")
    {
        return Err(
            "flowchart.js is not installed for the oracle and npm is not on PATH".to_owned(),
        );
    }
    Ok((genflow, oracle))
}

/// `tools()`, with the oracle run once on its own: its first run installs
/// flowchart.js (`npm ci`), which parallel first runs would race on.
fn warmed_tools() -> Result<(PathBuf, PathBuf), String> {
    let (genflow, oracle) = tools()?;
    let v = oracle_json(&oracle, "st=>start: S\ne=>end\nst->e\n", false);
    assert_eq!(v["ok"], true, "the oracle does not work: {v}");
    Ok((genflow, oracle))
}

fn generate(genflow: &Path, n: usize, seed: u64, shape: &str) -> String {
    let out = Command::new("python3")
        .arg(genflow)
        .arg(n.to_string())
        .args(["--seed", &seed.to_string(), "--shape", shape])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "genflow {n} --seed {seed} --shape {shape}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// flowchart.js's parse of a flow text, via a temporary file.
fn oracle_json(oracle: &Path, text: &str, render: bool) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flow.flow");
    std::fs::write(&file, text).unwrap();
    let mut cmd = Command::new(oracle);
    cmd.arg(&file).arg("--compact");
    if !render {
        cmd.arg("--no-render");
    }
    let out = cmd.output().unwrap();
    // 0: parse succeeded; 3: flowchart.parse() threw (JSON still printed).
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "oracle failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What differs in `ok`, `start`, `nodes`, `edges` (empty when they agree).
fn differences(name: &str, ours: &Value, theirs: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    for k in ["ok", "start", "nodes", "edges"] {
        let (a, b) = (&ours[k], &theirs[k]);
        if !same_json(a, b) {
            let (a, b) = (a.to_string(), b.to_string());
            let at = a
                .bytes()
                .zip(b.bytes())
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            let from = at.saturating_sub(120);
            let excerpt = |s: &str| {
                s.get(from..(at + 120).min(s.len()))
                    .unwrap_or("")
                    .to_owned()
            };
            diffs.push(format!(
                "{name}: `{k}` differs at byte {at}\n  flowrun:      …{}…\n  flowchart.js: …{}…",
                excerpt(&a),
                excerpt(&b)
            ));
        }
    }
    diffs
}

/// Runs `job` on every item, two at a time per CPU, and collects the results in order.
fn parallel<T: Sync, R: Send>(items: &[T], job: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get() * 2);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<R>>> =
        items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..workers.min(items.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    *results[i].lock().unwrap() = Some(job(item));
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.into_inner().unwrap().unwrap())
        .collect()
}

#[test]
fn generated_flows_match_flowchart_js() {
    let (genflow, oracle) = match warmed_tools() {
        Ok(t) => t,
        Err(reason) => {
            eprintln!("SKIPPED: {reason}");
            return;
        }
    };
    let reports = parallel(GENERATED, |&(n, seed, shape)| {
        let name = format!("genflow {n} --seed {seed} --shape {shape}");
        let text = generate(&genflow, n, seed, shape);
        let theirs = oracle_json(&oracle, &text, false);
        assert_eq!(theirs["ok"], true, "{name}: flowchart.js rejects it");
        let nodes = theirs["nodes"].as_array().map_or(0, Vec::len);
        assert_eq!(nodes, n, "{name}: the oracle sees {nodes} nodes");
        let ours = graph_json(&text, Render::No);
        assert!(ours.get("render").is_none());
        differences(&name, &ours, &theirs)
    });
    let diffs: Vec<String> = reports.into_iter().flatten().collect();
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    eprintln!("{} generated flows match flowchart.js", GENERATED.len());
}

/// The fixtures of the parse and check snapshots, compared the same way
/// (with the drawing replay too, as the conformance corpus is).
#[test]
fn snapshot_fixtures_match_flowchart_js() {
    let (_, oracle) = match warmed_tools() {
        Ok(t) => t,
        Err(reason) => {
            eprintln!("SKIPPED: {reason}");
            return;
        }
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    for dir in ["parse", "check", "cli"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "flow") {
                files.push(path);
            }
        }
    }
    files.sort();
    let reports = parallel(&files, |path| {
        let name = path.strip_prefix(&root).unwrap().display().to_string();
        let text = read_fixture(path);
        let theirs = oracle_json(&oracle, &text, true);
        let ours = graph_json(&text, Render::Yes);
        crate::conformance::compare(&name, &ours, &theirs)
    });
    let diffs: Vec<String> = reports.into_iter().flatten().collect();
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    assert!(files.len() >= 45, "only {} fixtures", files.len());
}

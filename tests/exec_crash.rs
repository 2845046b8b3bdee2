//! The kill-9 harness: the seed runbooks with the demo plugins (and the
//! runbook whose seasoning is a subroutine, `shared-season.md`), killed with
//! SIGKILL at every step boundary (right after each `step_started`,
//! `step_finished`, `waited` and `answered` record reaches the journal) and in
//! the middle of every action, then resumed until they end.
//!
//! After each crash an operator (this harness) looks at the evidence for a
//! held, in-doubt step — the demo deploy log, the scratch git repository — and
//! skips it if its effect happened, else retries it. Each case asserts that
//! every deploy happened exactly once, the path is the clean run's path, and
//! the journal is valid and ends completed.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use flowrun::exec::Event;
use flowrun::exec::journal::{self, Record};
use flowrun::exec::state::{RunState, Status};

use crate::exec_support::{flowrun, run_ids_in, wait_for, workflow};

/// One seed runbook.
#[derive(Clone, Copy)]
struct Case {
    /// `workflows/FILE`.
    file: &'static str,
    /// `--flow N` for a document.
    flow: Option<&'static str>,
    /// The deploys, in order, as `RELEASE REGION`.
    deploys: &'static [&'static str],
    /// Whether the last deploys run in parallel branches (in any order).
    parallel: bool,
}

const FLOW_1: Case = Case {
    file: "prod-deployment.md",
    flow: Some("1"),
    deploys: &["EDNA UK", "EDNA US"],
    parallel: false,
};

/// Flow 1 with its seasoning as a child run of `season.flow`.
const SHARED_SEASON: Case = Case {
    file: "shared-season.md",
    flow: Some("1"),
    deploys: &["EDNA UK", "EDNA US"],
    parallel: false,
};

/// Flow 2 deploying to the US and the EU in parallel branches after seasoning.
const PARALLEL: Case = Case {
    file: "parallel-deploy.md",
    flow: None,
    deploys: &["us-release US", "BERTHA UK", "BERTHA EU", "BERTHA US"],
    parallel: true,
};

const FLOW_2: Case = Case {
    file: "us-hotfix.flow",
    flow: None,
    deploys: &["us-release US", "BERTHA UK", "BERTHA US"],
    parallel: false,
};

/// One attempt of a case: its own demo state and run folder.
struct Attempt {
    demo: tempfile::TempDir,
    runs: tempfile::TempDir,
}

impl Attempt {
    fn new() -> Self {
        Attempt {
            demo: tempfile::tempdir().unwrap(),
            runs: tempfile::tempdir().unwrap(),
        }
    }

    fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = flowrun();
        c.env("FLOWRUN_DEMO_STATE", self.demo.path())
            .env("FLOWRUN_STATE_DIR", self.runs.path())
            .args(args);
        c
    }

    fn execute_args(case: &Case) -> Vec<String> {
        let mut a = vec![
            "execute".to_owned(),
            workflow(case.file).display().to_string(),
            "--clock".to_owned(),
            // Thursday noon: flow 2's "Wait until Friday" waits 21 hours.
            "virtual:2026-11-26T12:00:00Z".to_owned(),
        ];
        if let Some(f) = case.flow {
            a.extend(["--flow".to_owned(), f.to_owned()]);
        }
        a
    }

    /// Every run's id: the run and its child runs (`RUN.s5a1`).
    fn run_ids(&self) -> Vec<String> {
        run_ids_in(self.runs.path())
    }

    /// A new attempt at `case`, killed by the crash hook after journal record `k`.
    fn killed_after(case: &Case, k: u64, what: &str) -> Attempt {
        let a = Attempt::new();
        let out = a
            .cmd(&[])
            .args(Attempt::execute_args(case))
            .env("FLOWRUN_CRASH_AFTER", k.to_string())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), None, "{what}: not killed");
        a
    }

    /// The top run's id.
    fn run_id(&self) -> Option<String> {
        self.run_ids().into_iter().find(|id| !id.contains('.'))
    }

    /// The journal of the run whose id ends with `suffix` (`""`: the top run).
    fn journal_of(&self, suffix: &str) -> Option<PathBuf> {
        let top = self.run_id()?;
        let id = format!("{top}{suffix}");
        Some(self.runs.path().join("runs").join(id).join("journal.jsonl"))
    }

    fn journal_path(&self) -> Option<PathBuf> {
        self.journal_of("")
    }

    /// Records over every journal of the attempt.
    fn all_records(&self) -> usize {
        let top = self.run_id().unwrap_or_default();
        self.run_ids()
            .iter()
            .map(|id| {
                let suffix = id.strip_prefix(&top).unwrap_or_default().to_owned();
                let read = journal::read(&self.journal_of(&suffix).unwrap()).unwrap();
                assert_eq!(read.torn_bytes, 0, "a torn line is left in {id}");
                assert!(
                    RunState::fold(&read.records)
                        .is_some_and(|s| matches!(s.status, Status::Completed { .. })),
                    "run {id} did not complete"
                );
                read.records.len()
            })
            .sum()
    }

    fn records(&self) -> Vec<Record> {
        let read = journal::read(&self.journal_path().unwrap()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.torn_bytes, 0, "a torn line is left");
        read.records
    }

    fn deploys(&self) -> Vec<String> {
        std::fs::read_to_string(self.demo.path().join("deploys.log"))
            .unwrap_or_default()
            .lines()
            .map(|l| {
                // `2026-11-26T14:58:55.015000+00:00 deploy EDNA UK run=…`
                let f: Vec<&str> = l.split(' ').collect();
                format!("{} {}", f[2], f[3])
            })
            .collect()
    }

    /// Whether the effect of an in-doubt step happened, from the demo's own records.
    fn happened(&self, text: &str) -> bool {
        if let Some(rest) = text.strip_prefix("Deploy ") {
            let wanted = rest.replacen(" to ", " ", 1);
            return self.deploys().contains(&wanted);
        }
        let repo = self.demo.path().join("repo");
        if text.starts_with("Fix bug in master") {
            return std::fs::read_dir(repo.join("fixes")).is_ok_and(|mut d| d.next().is_some());
        }
        if text.starts_with("Create us-release") {
            return std::process::Command::new("git")
                .args(["-C"])
                .arg(&repo)
                .args(["rev-parse", "--verify", "-q", "us-release"])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
        }
        // Notes: running them again is harmless.
        false
    }

    /// The innermost held runs (no unfinished child runs of their own) and the
    /// text of the step each is held at.
    fn held(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for id in self.run_ids() {
            let path = self
                .runs
                .path()
                .join("runs")
                .join(&id)
                .join("journal.jsonl");
            let read = journal::read(&path).unwrap_or_else(|e| panic!("{e}"));
            let Some(state) = RunState::fold(&read.records) else {
                continue;
            };
            let Some(p) = state.pending() else { continue };
            let waits_in_child = p.children.iter().any(|c| {
                let path = self.runs.path().join("runs").join(c).join("journal.jsonl");
                journal::read(&path)
                    .ok()
                    .and_then(|r| RunState::fold(&r.records))
                    .is_some_and(|c| !c.status.is_final())
            });
            let held =
                matches!(&state.status, Status::Suspended { reason, .. } if reason == "held");
            if held && !waits_in_child {
                out.push((id, p.text.clone()));
            }
        }
        out
    }

    /// Resumes until the run ends, deciding on held steps from the evidence.
    fn settle(&self, what: &str) {
        let id = self.run_id().unwrap_or_else(|| panic!("{what}: no run"));
        for _ in 0..20 {
            let out = self.cmd(&["resume", &id]).output().unwrap();
            match out.status.code() {
                Some(0) => return,
                Some(3) => {
                    let state = RunState::fold(&self.records()).unwrap();
                    let Status::Suspended { reason, .. } = &state.status else {
                        panic!("{what}: exit 3 but {:?}", state.status)
                    };
                    assert_eq!(reason, "held", "{what}");
                    // Each held run (the run itself, or a branch) on its own evidence,
                    // once every action the killed process left behind has ended.
                    self.wait_for_orphans();
                    for (run, text) in self.held() {
                        let decision = if self.happened(&text) {
                            vec![
                                "skip",
                                &run,
                                "--reason",
                                "the demo records show it happened",
                            ]
                        } else {
                            vec![
                                "retry",
                                &run,
                                "--reason",
                                "the demo records show it did not happen",
                            ]
                        };
                        let out = self.cmd(&decision).output().unwrap();
                        assert!(
                            matches!(out.status.code(), Some(0 | 3)),
                            "{what}: {decision:?} exited {:?}: {}",
                            out.status.code(),
                            String::from_utf8_lossy(&out.stderr)
                        );
                    }
                }
                other => panic!(
                    "{what}: resume exited {other:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                ),
            }
        }
        panic!("{what}: still not finished after 20 resumes");
    }

    /// The run ended at `e` along `path`, with each deploy once, and a valid journal.
    fn assert_done(&self, case: &Case, path: &[String], what: &str) {
        let records = self.records();
        let mut deploys = self.deploys();
        let mut expected: Vec<String> = case.deploys.iter().map(|d| (*d).to_owned()).collect();
        if case.parallel {
            // The branches' deploys come in either order.
            deploys.sort();
            expected.sort();
        }
        assert_eq!(
            deploys,
            expected,
            "{what}: deploys; the journal:\n{}",
            summary(&records)
        );
        let state = RunState::fold(&records).unwrap();
        assert!(
            matches!(&state.status, Status::Completed { end: Some(e) } if e == "e"),
            "{what}: {:?}",
            state.status
        );
        assert_eq!(state.path, path, "{what}: path");
        match records.last().map(|r| &r.event) {
            Some(Event::RunFinished { path: p, .. }) => assert_eq!(p, path, "{what}"),
            other => panic!("{what}: the journal ends with {other:?}"),
        }
    }

    /// Waits until no process of this attempt is left (a killed run's action
    /// goes on as an orphan): none has our demo state in its environment, in
    /// ten scans in a row (a process between two `exec`s shows no environment
    /// for a moment; the demo plugins exec twice, through `env`).
    fn wait_for_orphans(&self) {
        let needle = format!("FLOWRUN_DEMO_STATE={}\0", self.demo.path().display());
        let none_left = || {
            std::fs::read_dir("/proc").unwrap().flatten().all(|e| {
                std::fs::read(e.path().join("environ")).map_or(true, |env| {
                    !env.windows(needle.len()).any(|w| w == needle.as_bytes())
                })
            })
        };
        let mut clean = 0;
        wait_for("orphaned actions", Duration::from_secs(60), || {
            clean = if none_left() { clean + 1 } else { 0 };
            clean >= 10
        });
    }
}

/// One line per record that matters, for failure messages.
fn summary(records: &[Record]) -> String {
    records
        .iter()
        .filter_map(|r| {
            let e = serde_json::to_value(&r.event).unwrap();
            let kind = e["event"].as_str().unwrap_or("?").to_owned();
            (kind != "output").then(|| {
                format!(
                    "{:>3} {kind} {} {} {} {}",
                    r.seq,
                    e["node"].as_str().unwrap_or(""),
                    e["status"].as_str().unwrap_or(""),
                    e["decision"].as_str().unwrap_or(""),
                    e["message"].as_str().unwrap_or("")
                )
            })
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A clean run: its journal and path.
fn clean(case: &Case) -> (Vec<Record>, Vec<String>) {
    let a = Attempt::new();
    a.cmd(&[])
        .args(Attempt::execute_args(case))
        .assert()
        .code(0);
    let records = a.records();
    let path = RunState::fold(&records).unwrap().path;
    a.assert_done(case, &path, "clean run");
    (records, path)
}

fn kill_at_every_boundary(case: &Case) {
    let (records, path) = clean(case);
    let boundaries: Vec<u64> = records
        .iter()
        .filter(|r| {
            matches!(
                r.event,
                Event::StepStarted { .. }
                    | Event::StepFinished { .. }
                    | Event::Waited { .. }
                    | Event::Answered { .. }
            )
        })
        .map(|r| r.seq)
        .collect();
    assert!(boundaries.len() > 20, "{boundaries:?}");
    for k in boundaries {
        let what = format!("{} killed after record {k}", case.file);
        let a = Attempt::killed_after(case, k, &what);
        a.settle(&what);
        a.assert_done(case, &path, &what);
    }
}

fn kill_in_every_action(case: &Case) {
    let (_, path) = clean(case);
    // Every step that runs a program, in the run or a child run: (run id suffix, step, node).
    let a = Attempt::new();
    a.cmd(&[])
        .args(Attempt::execute_args(case))
        .assert()
        .code(0);
    let top = a.run_id().unwrap();
    let mut actions: Vec<(String, u64, String)> = Vec::new();
    for id in a.run_ids() {
        let suffix = id.strip_prefix(&top).unwrap_or_default().to_owned();
        let read = journal::read(&a.journal_of(&suffix).unwrap()).unwrap();
        actions.extend(read.records.iter().filter_map(|r| match &r.event {
            Event::StepStarted {
                step,
                node,
                argv: Some(_),
                ..
            } => Some((suffix.clone(), *step, node.clone())),
            _ => None,
        }));
    }
    assert!(actions.len() >= 4, "{actions:?}");
    for (suffix, step, node) in actions {
        let what = format!(
            "{} killed while step {step} ({node}) of run …{suffix} ran",
            case.file
        );
        let a = Attempt::new();
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("flowrun"))
            .env("FLOWRUN_DEMO_STATE", a.demo.path())
            .env("FLOWRUN_STATE_DIR", a.runs.path())
            .args(Attempt::execute_args(case))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = |p: &Path| {
            std::fs::read_to_string(p).is_ok_and(|t| {
                t.ends_with('\n')
                    && t.lines().last().is_some_and(|l| {
                        l.contains("\"event\":\"step_started\"")
                            && l.contains(&format!("\"step\":{step},"))
                    })
            })
        };
        wait_for(&what, Duration::from_secs(60), || {
            a.journal_of(&suffix).is_some_and(|p| started(&p))
        });
        child.kill().unwrap();
        assert_eq!(child.wait().unwrap().code(), None, "{what}");
        a.wait_for_orphans();
        a.settle(&what);
        a.assert_done(case, &path, &what);
    }
}

#[test]
fn flow_1_killed_at_every_step_boundary() {
    kill_at_every_boundary(&FLOW_1);
}

#[test]
fn flow_1_killed_in_every_action() {
    kill_in_every_action(&FLOW_1);
}

/// A run with a child run: killed after every record it writes, in either journal.
fn kill_after_every_record(case: &Case) {
    let a = Attempt::new();
    a.cmd(&[])
        .args(Attempt::execute_args(case))
        .assert()
        .code(0);
    let total = a.all_records() as u64;
    let path = RunState::fold(&a.records()).unwrap().path;
    assert!(a.run_ids().len() >= 2, "no child run: {:?}", a.run_ids());
    for k in 1..=total {
        let what = format!("{} killed after record {k} of {total}", case.file);
        let a = Attempt::killed_after(case, k, &what);
        // A sibling branch's action may still be running as an orphan.
        a.wait_for_orphans();
        a.settle(&what);
        a.assert_done(case, &path, &what);
        a.all_records();
    }
}

#[test]
fn a_subroutine_run_killed_after_every_record() {
    kill_after_every_record(&SHARED_SEASON);
}

#[test]
fn a_subroutine_run_killed_in_every_action() {
    kill_in_every_action(&SHARED_SEASON);
}

#[test]
fn a_parallel_run_killed_after_every_record() {
    kill_after_every_record(&PARALLEL);
}

#[test]
fn a_parallel_run_killed_in_every_action() {
    kill_in_every_action(&PARALLEL);
}

#[test]
fn flow_2_killed_at_every_step_boundary() {
    kill_at_every_boundary(&FLOW_2);
}

#[test]
fn flow_2_killed_in_every_action() {
    kill_in_every_action(&FLOW_2);
}

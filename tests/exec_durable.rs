//! Durable runs: the journal, suspending (exit 3) and resuming, answers,
//! held steps (retry, skip, abort), in-doubt steps, one executor per run,
//! torn and corrupt journals, definition drift, secrets, `runs` and `show`.

use std::process::Stdio;
use std::time::Duration;

use flowrun::exec::Event;
use predicates::prelude::*;
use predicates::str::contains;

use crate::exec_support::{Sandbox, wait_for};

/// start → op → end.
const LINE: &str = "st=>start: go\nop=>operation: Do the thing\ne=>end\nst->op->e\n";

/// start → w (a wait) → c (a condition) → end / back to w.
const SEASON: &str = "st=>start: go\nw=>operation: Season\nc=>condition: Seasoned enough?\ne=>end\nst->w->c\nc(yes)->e\nc(no)->w\n";

impl Sandbox {
    /// `flowrun execute flow.flow --events events.jsonl ARGS…` with a clock of the test's choice.
    fn execute_with_clock(&self, clock: &str, args: &[&str]) -> assert_cmd::Command {
        let mut c = self.flowrun();
        c.args([
            "execute",
            "flow.flow",
            "--events",
            crate::exec_support::EVENTS,
            "--clock",
            clock,
        ])
        .args(args);
        c
    }

    /// The only run's id.
    fn run_id(&self) -> String {
        let ids = self.run_ids();
        assert_eq!(ids.len(), 1, "{ids:?}");
        ids[0].clone()
    }

    /// `flowrun show RUN --format json`.
    fn show(&self, id: &str) -> serde_json::Value {
        let out = self
            .flowrun()
            .args(["show", id, "--format", "json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    }

    /// `flowrun CMD RUN ARGS…` in the sandbox.
    fn on_run(&self, cmd: &str, id: &str, args: &[&str]) -> assert_cmd::Command {
        let mut c = self.flowrun();
        c.arg(cmd).arg(id).args(args);
        c
    }
}

fn status(run: &serde_json::Value) -> &str {
    run["status"].as_str().unwrap()
}

/// The nodes of the `step_started` events, in order.
fn started(events: &[Event]) -> Vec<String> {
    crate::exec_support::started(events)
}

// ── the journal ──────────────────────────────────────────────────────────

#[test]
fn every_run_has_a_versioned_journal_a_snapshot_and_a_lock() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nrun = [\"touch\", \"ran\"]\n",
    );
    s.execute(&[]).assert().code(0);
    let id = s.run_id();
    let records = s.journal(&id);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.v, 1);
        assert_eq!(r.seq, i as u64 + 1);
        assert!(r.time.parse::<jiff::Timestamp>().is_ok(), "{}", r.time);
    }
    let Event::RunStarted { run_id, .. } = &records[0].event else {
        panic!("{:?}", records[0])
    };
    assert_eq!(run_id, &id);
    // The snapshot is the flow's text, pinned by its hash in run_started.
    let snapshot = s.read(&format!(".flowrun/runs/{id}/flow.flow")).unwrap();
    assert_eq!(snapshot, LINE);
    let text =
        std::fs::read_to_string(s.file(&format!(".flowrun/runs/{id}/journal.jsonl"))).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["event"], "run_started");
    assert_eq!(first["flow_sha256"].as_str().unwrap().len(), 64);
    assert!(s.file(&format!(".flowrun/runs/{id}/lock")).exists());
    // Write-ahead: op's step_started comes before its effect's step_finished.
    let kinds: Vec<&str> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            match v["event"].as_str().unwrap() {
                "step_started" if v["node"] == "op" => "op started",
                "step_finished" if v["node"] == "op" => "op finished",
                _ => "",
            }
        })
        .filter(|k| !k.is_empty())
        .collect();
    assert_eq!(kinds, ["op started", "op finished"]);
    // The journal and the --events stream tell the same story.
    assert_eq!(s.journal_events(&id), s.events());
    let runs = s.runs();
    assert_eq!(status(&runs[0]), "completed");
    assert_eq!(runs[0]["current"], "e");
}

#[test]
fn state_dir_puts_runs_elsewhere() {
    let s = Sandbox::with(LINE, "[[bind]]\nnode = \"op\"\nlog = \"hi\"\n");
    s.execute(&["--state-dir", "runs-here"]).assert().code(0);
    assert!(s.run_ids().is_empty());
    let out = s.stdout_of(&["runs", "--state-dir", "runs-here"]);
    assert!(out.contains("completed"));
}

// ── suspend and resume: timers ───────────────────────────────────────────

#[test]
fn a_detached_wait_suspends_and_is_never_recomputed() {
    let s = Sandbox::with(LINE, "[[bind]]\nnode = \"op\"\nwait = \"2s\"\n");
    s.execute_with_clock("real", &["--detach"])
        .assert()
        .code(3)
        .stderr(contains("⏸ suspended at `op`").and(contains("continue:  flowrun resume")));
    let id = s.run_id();
    let until = s.runs()[0]["until"].as_str().unwrap().to_owned();
    assert_eq!(status(&s.runs()[0]), "waiting");
    // Resumed before it is due: suspended again, same instant.
    s.on_run("resume", &id, &["--detach"]).assert().code(3);
    let run = &s.runs()[0];
    assert_eq!(run["until"], until.as_str());
    let waits = s
        .journal_events(&id)
        .iter()
        .filter(|e| matches!(e, Event::Waited { .. }))
        .count();
    assert_eq!(waits, 1, "the instant is resolved once");
    // After it: the run goes on to its end.
    let due: jiff::Timestamp = until.parse().unwrap();
    while jiff::Timestamp::now() < due {
        std::thread::sleep(Duration::from_millis(100));
    }
    s.on_run("resume", &id, &["--detach"]).assert().code(0);
    assert_eq!(status(&s.runs()[0]), "completed");
    assert_eq!(started(&s.journal_events(&id)), ["st", "op", "e"]);
}

#[test]
fn a_wait_shorter_than_detach_allows_is_slept() {
    let s = Sandbox::with(LINE, "[[bind]]\nnode = \"op\"\nwait = \"1s\"\n");
    s.execute_with_clock("real", &["--detach=1m"])
        .assert()
        .code(0);
}

#[test]
fn the_seed_flow_2_suspends_at_wait_until_friday() {
    let state = tempfile::tempdir().unwrap();
    let runs = tempfile::tempdir().unwrap();
    let mut cmd = crate::exec_support::flowrun();
    cmd.env("FLOWRUN_DEMO_STATE", state.path())
        .args([
            "execute",
            "--flow",
            "2",
            "--clock",
            "real",
            "--detach",
            "--state-dir",
        ])
        .arg(runs.path())
        .arg(crate::exec_support::workflow("prod-deployment.md"));
    cmd.assert()
        .code(3)
        .stderr(contains("⏸ suspended at `wait`"));
    let out = crate::exec_support::flowrun()
        .args(["runs", "--format", "json", "--state-dir"])
        .arg(runs.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let run: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(run["status"], "waiting");
    assert_eq!(run["current"], "wait");
    // Friday 09:00 in London, resolved to an absolute UTC instant.
    let until: jiff::Timestamp = run["until"].as_str().unwrap().parse().unwrap();
    let london = until.to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap());
    assert_eq!(london.weekday(), jiff::civil::Weekday::Friday);
    assert_eq!((london.hour(), london.minute()), (9, 0));
    assert!(until > jiff::Timestamp::now());
    // Nothing was deployed to the UK yet: that comes after the wait.
    let deploys = std::fs::read_to_string(state.path().join("deploys.log")).unwrap();
    assert!(deploys.contains("deploy us-release US"), "{deploys}");
    assert!(!deploys.contains(" UK "), "{deploys}");
}

// ── suspend and resume: answers ──────────────────────────────────────────

const ASKED: &str = "[[bind]]\nnode = \"w\"\nwait = \"3d\"\n\n[[bind]]\nnode = \"c\"\nask = true\n";

#[test]
fn a_detached_question_suspends_until_answered() {
    let s = Sandbox::with(SEASON, ASKED);
    s.execute_with_clock("virtual:2026-01-01T00:00:00Z", &["--detach"])
        .assert()
        .code(3)
        .stderr(contains("answer it: flowrun answer"));
    let id = s.run_id();
    assert_eq!(status(&s.runs()[0]), "answer");
    assert_eq!(s.runs()[0]["current"], "c");
    // Resuming without an answer suspends again.
    s.on_run("resume", &id, &["--detach"]).assert().code(3);
    // Answering the wrong node, or with a bad answer, is refused.
    s.on_run("answer", &id, &["w", "yes", "--reason", "x"])
        .assert()
        .code(2)
        .stderr(contains("run ").and(contains("is at `c`, not `w`")));
    s.on_run("answer", &id, &["c", "maybe", "--reason", "x"])
        .assert()
        .code(2);
    s.on_run(
        "answer",
        &id,
        &[
            "c",
            "no",
            "--reason",
            "error rate still high",
            "--by",
            "alice",
        ],
    )
    .assert()
    .code(0)
    .stderr(contains(
        "recorded: `c` = no (by alice: error rate still high)",
    ));
    // `no` loops back through the 3-day wait to the question again.
    s.on_run("resume", &id, &["--detach"]).assert().code(3);
    s.on_run("answer", &id, &["c", "yes", "--reason", "flat for a week"])
        .assert()
        .code(0);
    s.on_run("resume", &id, &[]).assert().code(0);
    let events = s.journal_events(&id);
    assert_eq!(started(&events), ["st", "w", "c", "w", "c", "e"]);
    let answers = crate::exec_support::answers(&events);
    assert_eq!(
        answers,
        [
            ("c".to_owned(), "no".to_owned(), "operator".to_owned()),
            ("c".to_owned(), "yes".to_owned(), "operator".to_owned())
        ]
    );
    // The virtual clock is part of the run: it went on from where it stood, 6 days in.
    let Some(Event::RunFinished { at, .. }) = events.last() else {
        panic!("{:?}", events.last())
    };
    let end: jiff::Timestamp = at.parse().unwrap();
    let start: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let days = end.duration_since(start).as_hours() / 24;
    assert_eq!(days, 6, "ended at {end}");
    // show tells who answered and why.
    let show = s.show(&id);
    let c = &show["timeline"][2];
    assert_eq!(c["answer"]["by"], "alice");
    assert_eq!(c["answer"]["reason"], "error rate still high");
    s.on_run("show", &id, &[])
        .assert()
        .success()
        .stdout(contains(
            "answered no by operator (alice): error rate still high",
        ));
}

#[test]
fn the_seed_flow_1_with_an_asked_condition_runs_to_its_end() {
    let state = tempfile::tempdir().unwrap();
    let runs = tempfile::tempdir().unwrap();
    let bindings = runs.path().join("asked.toml");
    let seed = std::fs::read_to_string(crate::exec_support::workflow("flowrun.toml")).unwrap();
    // "Seasoned enough?" is asked instead of computed.
    let asked = seed.replace(
        "command = [\"./plugins/seasoned.py\", \"UK\", \"7\"]\nidempotent = true",
        "ask = true",
    );
    assert_ne!(asked, seed);
    std::fs::write(&bindings, asked).unwrap();
    let flowrun = |args: &[&str]| {
        let mut c = crate::exec_support::flowrun();
        c.env("FLOWRUN_DEMO_STATE", state.path())
            .env("FLOWRUN_STATE_DIR", runs.path())
            .args(args);
        c
    };
    let flow = crate::exec_support::workflow("prod-deployment.md");
    flowrun(&[
        "execute",
        "--flow",
        "1",
        "--clock",
        "virtual",
        "--detach",
        "--bindings",
    ])
    .arg(&bindings)
    .arg(&flow)
    .assert()
    .code(3)
    .stderr(contains("⏸ suspended at `seasoned`"));
    let out = flowrun(&["runs", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let run: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let id = run["id"].as_str().unwrap();
    flowrun(&[
        "answer",
        id,
        "seasoned",
        "yes",
        "--reason",
        "a week in the UK, no errors",
    ])
    .assert()
    .code(0);
    flowrun(&["resume", id]).assert().code(0);
    let deploys = std::fs::read_to_string(state.path().join("deploys.log")).unwrap();
    assert_eq!(deploys.lines().count(), 2, "{deploys}");
    assert!(deploys.lines().nth(1).unwrap().contains("deploy EDNA US"));
}

// ── held steps ───────────────────────────────────────────────────────────

/// op succeeds once the file `ok` exists.
const FLAKY: &str = "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"echo trying >> tries; test -f ok || (echo 'not ready' >&2; exit 1)\"]\n";

#[test]
fn a_failed_step_is_held_by_default_and_retry_runs_it_again() {
    let s = Sandbox::with(LINE, FLAKY);
    s.execute(&[]).assert().code(3).stderr(
        contains("`op` failed and is held: exit code 1: not ready").and(contains("flowrun retry")),
    );
    let id = s.run_id();
    assert_eq!(status(&s.runs()[0]), "held");
    // Resume does not decide for the operator.
    s.on_run("resume", &id, &[]).assert().code(3);
    assert_eq!(s.read("tries").unwrap().lines().count(), 1);
    s.write("ok", "");
    s.on_run("retry", &id, &["--reason", "disk cleaned", "--by", "bob"])
        .assert()
        .code(0);
    assert_eq!(s.read("tries").unwrap().lines().count(), 2);
    let show = s.show(&id);
    let op = &show["timeline"][1];
    assert_eq!(op["attempts"], 2);
    assert_eq!(op["status"], "ok");
    assert_eq!(op["decisions"][0]["decision"], "retry");
    assert_eq!(op["decisions"][0]["by"], "bob");
}

#[test]
fn skip_goes_on_without_running_the_step() {
    let s = Sandbox::with(LINE, FLAKY);
    s.execute(&[]).assert().code(3);
    let id = s.run_id();
    s.on_run("skip", &id, &[])
        .assert()
        .code(2)
        .stderr(contains("--reason"));
    s.on_run("skip", &id, &["--reason", "done by hand", "--by", "carol"])
        .assert()
        .code(0)
        .stderr(contains("skipped by carol: done by hand"));
    assert_eq!(s.read("tries").unwrap().lines().count(), 1);
    let events = s.journal_events(&id);
    assert!(events.iter().any(|e| matches!(e,
        Event::StepFinished { node, status, .. } if node == "op" && status == "skipped")));
    assert_eq!(status(&s.runs()[0]), "completed");
}

#[test]
fn a_held_condition_is_answered_not_skipped() {
    let s = Sandbox::with(
        "st=>start: go\nc=>condition: ok?\ne=>end\nst->c\nc(yes)->e\nc(no)->e\n",
        "[[bind]]\nnode = \"c\"\ncommand = [\"sh\", \"-c\", \"exit 7\"]\n",
    );
    s.execute(&[])
        .assert()
        .code(3)
        .stderr(contains("flowrun answer"));
    let id = s.run_id();
    s.on_run("skip", &id, &["--reason", "x"])
        .assert()
        .code(2)
        .stderr(contains("`c` is a condition: it cannot be skipped"));
    s.on_run(
        "answer",
        &id,
        &["c", "yes", "--reason", "checked the dashboard"],
    )
    .assert()
    .code(0);
    s.on_run("resume", &id, &[]).assert().code(0);
}

#[test]
fn on_failure_fail_ends_the_run() {
    let s = Sandbox::with(LINE, &format!("{FLAKY}on-failure = \"fail\"\n"));
    s.execute(&[]).assert().code(1);
    assert_eq!(status(&s.runs()[0]), "failed");
    s.on_run("retry", &s.run_id(), &[])
        .assert()
        .code(2)
        .stderr(contains("is failed: nothing to retry"));
}

#[test]
fn a_bad_on_failure_is_refused() {
    let s = Sandbox::with(LINE, &format!("{FLAKY}on-failure = \"later\"\n"));
    s.execute(&[])
        .assert()
        .code(2)
        .stderr(contains("expected `hold` or `fail`"));
}

#[test]
fn abort_ends_a_suspended_run_for_good() {
    let s = Sandbox::with(LINE, FLAKY);
    s.execute(&[]).assert().code(3);
    let id = s.run_id();
    s.on_run("abort", &id, &["--reason", "release cancelled"])
        .assert()
        .code(0)
        .stderr(contains("aborted run"));
    assert_eq!(status(&s.runs()[0]), "aborted");
    s.on_run("resume", &id, &[])
        .assert()
        .code(4)
        .stderr(contains("is already aborted"));
    s.on_run("abort", &id, &[]).assert().code(2);
    s.on_run("answer", &id, &["op", "yes", "--reason", "x"])
        .assert()
        .code(2);
    assert_eq!(s.read("tries").unwrap().lines().count(), 1);
}

#[test]
fn resuming_a_completed_run_runs_nothing() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"echo x >> ran\"]\n",
    );
    s.execute(&[]).assert().code(0);
    s.on_run("resume", &s.run_id(), &[])
        .assert()
        .code(0)
        .stderr(contains("is already completed at `e`"));
    assert_eq!(s.read("ran").unwrap().lines().count(), 1);
}

#[test]
fn unknown_runs_are_named() {
    let s = Sandbox::with(LINE, FLAKY);
    s.on_run("resume", "nope", &[])
        .assert()
        .code(2)
        .stderr(contains("no run `nope`"));
    s.on_run("show", "nope", &[]).assert().code(2);
}

// ── crashes: in-doubt steps ──────────────────────────────────────────────

/// The record number of the first `step_started` of `node` in a clean run's journal.
fn started_record(s: &Sandbox, node: &str) -> u64 {
    s.execute(&[]).assert().code(0);
    let id = s.run_id();
    let n = s
        .journal(&id)
        .iter()
        .find(|r| matches!(&r.event, Event::StepStarted { node: k, .. } if k == node))
        .unwrap()
        .seq;
    std::fs::remove_dir_all(s.file(".flowrun")).unwrap();
    n
}

#[test]
fn a_step_whose_end_was_not_recorded_is_held_not_rerun() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"echo x >> ran\"]\n",
    );
    let n = started_record(&s, "op");
    std::fs::remove_file(s.file("ran")).unwrap();
    // Killed right after op's step_started reached the disk, before op ran.
    s.execute(&[])
        .env("FLOWRUN_CRASH_AFTER", n.to_string())
        .assert()
        .interrupted();
    let id = s.run_id();
    assert_eq!(status(&s.runs()[0]), "stopped");
    s.on_run("resume", &id, &[])
        .assert()
        .code(3)
        .stderr(contains(
            "`op` is in doubt: `sh -c echo x >> ran` started at",
        ));
    assert!(s.read("ran").is_none(), "never re-run on its own");
    s.on_run("show", &id, &[])
        .assert()
        .stdout(contains("in doubt"));
    s.on_run("retry", &id, &["--reason", "it never ran"])
        .assert()
        .code(0);
    assert_eq!(s.read("ran").unwrap().lines().count(), 1);
}

#[test]
fn an_idempotent_step_in_doubt_runs_again() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"echo x >> ran\"]\nidempotent = true\n",
    );
    let n = started_record(&s, "op");
    std::fs::remove_file(s.file("ran")).unwrap();
    s.execute(&[])
        .env("FLOWRUN_CRASH_AFTER", n.to_string())
        .assert()
        .interrupted();
    let id = s.run_id();
    s.on_run("resume", &id, &[]).assert().code(0);
    let events = s.journal_events(&id);
    assert!(events.iter().any(|e| matches!(e,
        Event::StepStarted { node, attempt: 2, .. } if node == "op")));
}

#[test]
fn a_torn_last_line_is_repaired_with_a_warning() {
    let s = Sandbox::with(LINE, FLAKY);
    s.execute(&[]).assert().code(3);
    let id = s.run_id();
    let path = s.file(&format!(".flowrun/runs/{id}/journal.jsonl"));
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{\"v\":1,\"seq\":99,\"time\":\"2026-");
    std::fs::write(&path, &text).unwrap();
    s.write("ok", "");
    s.on_run("retry", &id, &[])
        .assert()
        .code(0)
        .stderr(contains(
            "the last line was torn by a crash (29 bytes, never completed): removed",
        ));
    let events = s.journal_events(&id);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::JournalRepaired {
            dropped_bytes: 29,
            ..
        }
    )));
}

#[test]
fn corruption_before_the_end_is_an_error() {
    let s = Sandbox::with(LINE, FLAKY);
    s.execute(&[]).assert().code(3);
    let id = s.run_id();
    let path = s.file(&format!(".flowrun/runs/{id}/journal.jsonl"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2] = "{\"v\":1,\"seq\":3,\"event\":\"garbage";
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    s.on_run("resume", &id, &[])
        .assert()
        .code(6)
        .stderr(contains("journal.jsonl:3: the journal is corrupt"));
    s.on_run("show", &id, &[]).assert().code(6);
    assert_eq!(status(&s.runs()[0]), "corrupt");
    // Nothing was run or appended.
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        lines.join("\n") + "\n"
    );
}

#[test]
fn a_run_that_cannot_be_journaled_does_not_start() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nrun = [\"touch\", \"ran\"]\n",
    );
    // A state folder below a plain file cannot be created, not even by root.
    s.write("not-a-folder", "");
    s.execute(&["--state-dir", "not-a-folder/state"])
        .assert()
        .code(2)
        .stderr(contains("cannot create").and(contains("not-a-folder/state")));
    assert!(s.read("ran").is_none());
}

// ── one executor per run ─────────────────────────────────────────────────

#[test]
fn a_second_executor_is_refused_while_one_runs() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"echo started > started; sleep 30\"]\n",
    );
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("flowrun"))
        .current_dir(s.path())
        .args(["execute", "flow.flow", "--clock", "virtual"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the action", Duration::from_secs(20), || {
        s.read("started").is_some()
    });
    let id = s.run_id();
    let pid = child.id().to_string();
    for cmd in [
        &["resume", &id][..],
        &["abort", &id],
        &["answer", &id, "op", "yes", "--reason", "x"],
    ] {
        s.flowrun()
            .args(cmd)
            .assert()
            .code(5)
            .stderr(contains(format!(
                "is in use by another flowrun (pid {pid})"
            )));
    }
    assert_eq!(status(&s.runs()[0]), "running");
    // Stopped with SIGTERM: the step was interrupted, so it is in doubt; resume holds it.
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert_eq!(status(&s.runs()[0]), "interrupted");
    s.on_run("resume", &id, &[])
        .assert()
        .code(3)
        .stderr(contains("it was interrupted while it ran"));
}

// ── definition drift ─────────────────────────────────────────────────────

#[test]
fn a_changed_flow_is_refused_unless_accepted() {
    let s = Sandbox::with(
        LINE,
        &format!("{FLAKY}\n[[bind]]\nnode = \"op2\"\nlog = \"more\"\n"),
    );
    s.execute(&[]).assert().code(3);
    let id = s.run_id();
    s.write(
        "flow.flow",
        "st=>start: go\nop=>operation: Do the thing\nop2=>operation: And more\ne=>end\nst->op->op2->e\n",
    );
    s.on_run("resume", &id, &[]).assert().code(2).stderr(
        contains("flow.flow changed since run")
            .and(contains("`op2` was added (operation)"))
            .and(contains("`op` changed: ways on [next→e] → [next→op2]"))
            .and(contains("--accept-changes")),
    );
    s.write("ok", "");
    s.on_run("retry", &id, &["--accept-changes"])
        .assert()
        .code(0)
        .stderr(contains("with changes to the flow"));
    assert_eq!(
        started(&s.journal_events(&id)),
        ["st", "op", "op", "op2", "e"]
    );
}

#[test]
fn a_flow_without_the_current_node_cannot_be_accepted() {
    let s = Sandbox::with(LINE, FLAKY);
    s.execute(&[]).assert().code(3);
    let id = s.run_id();
    s.write("flow.flow", "st=>start: go\ne=>end\nst->e\n");
    s.on_run("resume", &id, &["--accept-changes"])
        .assert()
        .code(2)
        .stderr(contains("`op` was removed").and(contains(
            "cannot go on: the run is at `op`, which the changed flow no longer has",
        )));
}

// ── secrets ──────────────────────────────────────────────────────────────

#[test]
fn secrets_never_reach_the_journal_or_the_console() {
    let s = Sandbox::with(
        LINE,
        "secrets = [\"DEPLOY_TOKEN\"]\n\n[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"echo using $DEPLOY_TOKEN; echo \\\"denied for $DEPLOY_TOKEN\\\" >&2; exit 1\"]\n",
    );
    let token = "s3cr3t-t0k3n-42";
    let out = s
        .execute(&[])
        .env("DEPLOY_TOKEN", token)
        .assert()
        .code(3)
        .get_output()
        .clone();
    let console = String::from_utf8_lossy(&out.stderr);
    assert!(console.contains("using ***"), "{console}");
    assert!(console.contains("denied for ***"), "{console}");
    let id = s.run_id();
    let journal = s
        .read(&format!(".flowrun/runs/{id}/journal.jsonl"))
        .unwrap();
    let events = s.read(crate::exec_support::EVENTS).unwrap();
    let show = s
        .on_run("show", &id, &[])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    for (what, text) in [
        ("console", console.to_string()),
        ("journal", journal),
        ("events", events),
        ("show", String::from_utf8_lossy(&show).into_owned()),
    ] {
        assert!(!text.contains(token), "the secret is in the {what}: {text}");
        assert!(text.contains("***"), "{what}: {text}");
    }
}

#[test]
fn a_secret_must_be_a_variable_name() {
    let s = Sandbox::with(
        LINE,
        "secrets = [\"hunter2 \"]\n\n[[bind]]\nnode = \"op\"\nlog = \"x\"\n",
    );
    s.execute(&[])
        .assert()
        .code(2)
        .stderr(contains("is not an environment variable name"));
}

// ── the run on the diagram ───────────────────────────────────────────────

#[test]
fn render_run_shows_the_path_and_where_the_run_is() {
    let s = Sandbox::with(SEASON, ASKED);
    s.execute(&["--detach"]).assert().code(3);
    let id = s.run_id();
    let fcjs = s.stdout_of(&[
        "render",
        "flow.flow",
        "--format",
        "flowchartjs",
        "--run",
        &id,
    ]);
    assert!(fcjs.contains("st=>start: go|past"), "{fcjs}");
    assert!(fcjs.contains("w=>operation: Season|past"), "{fcjs}");
    assert!(
        fcjs.contains("c=>condition: Seasoned enough?|current"),
        "{fcjs}"
    );
    assert!(fcjs.contains("e=>end: |future"), "{fcjs}");
    let dot = s.stdout_of(&["render", "flow.flow", "--format", "dot", "--run", &id]);
    assert!(
        dot.contains(&format!("run {id}: waiting for an answer at `c`")),
        "{dot}"
    );
    let mermaid = s.stdout_of(&["render", "flow.flow", "--format", "mermaid", "--run", &id]);
    assert!(mermaid.contains("class n_c current"));
    s.flowrun()
        .args(["render", "flow.flow", "--run", "nope"])
        .assert()
        .code(2)
        .stderr(contains("no run `nope`"));
}

//! Helpers for the `execute` tests: a sandbox folder per test (flow, bindings,
//! fixture scripts), the binary run there on the virtual clock, and the events
//! it wrote.
//!
//! Scripts that actions run are either inline (`["sh", "-c", "…"]`) or fixture
//! files linked into the sandbox: an executable written during the test could
//! fail to start with "Text file busy" while another test forks.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flowrun::exec::Event;
use flowrun::exec::journal::{self, Record};

/// The events file every sandbox run writes.
pub(crate) const EVENTS: &str = "events.jsonl";

/// `tests/fixtures/exec/NAME`.
pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/exec")
        .join(name)
}

/// `workflows/NAME`.
pub(crate) fn workflow(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("workflows")
        .join(name)
}

/// The built binary with stable rendering (no colour, 80 columns) and a known user.
pub(crate) fn flowrun() -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("flowrun");
    cmd.env("NO_COLOR", "1")
        .env("COLUMNS", "80")
        .env("USER", "tester")
        .env_remove("FLOWRUN_DEMO_STATE")
        .timeout(Duration::from_secs(120));
    cmd
}

/// A temporary folder holding `flow.flow`, `flow.flowrun.toml` and what the actions write.
pub(crate) struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    /// An empty sandbox.
    pub(crate) fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A sandbox with `flow.flow` and its bindings `flow.flowrun.toml`.
    pub(crate) fn with(flow: &str, bindings: &str) -> Self {
        let s = Sandbox::new();
        s.write("flow.flow", flow);
        s.write("flow.flowrun.toml", bindings);
        s
    }

    /// The folder.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the folder.
    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file.
    pub(crate) fn write(&self, name: &str, text: &str) {
        std::fs::write(self.file(name), text).unwrap();
    }

    /// Links `tests/fixtures/exec/NAME` into the folder (as `./NAME`).
    pub(crate) fn link_fixture(&self, name: &str) {
        std::os::unix::fs::symlink(fixture(name), self.file(name)).unwrap();
    }

    /// A file's text, or `None` when it does not exist.
    pub(crate) fn read(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.file(name)).ok()
    }

    /// `flowrun` run in the folder.
    pub(crate) fn flowrun(&self) -> assert_cmd::Command {
        let mut cmd = flowrun();
        cmd.current_dir(self.path());
        cmd
    }

    /// `flowrun execute flow.flow --clock virtual --events events.jsonl ARGS…`.
    pub(crate) fn execute(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = self.flowrun();
        cmd.args([
            "execute",
            "flow.flow",
            "--clock",
            "virtual",
            "--events",
            EVENTS,
        ])
        .args(args);
        cmd
    }

    /// The ids of the runs kept in the sandbox's `.flowrun`, oldest first.
    pub(crate) fn run_ids(&self) -> Vec<String> {
        run_ids_in(&self.file(".flowrun"))
    }

    /// The run's journal, which must be valid.
    pub(crate) fn journal(&self, id: &str) -> Vec<Record> {
        let read = journal::read(&self.file(&format!(".flowrun/runs/{id}/journal.jsonl")))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.torn_bytes, 0);
        read.records
    }

    /// The journal's events.
    pub(crate) fn journal_events(&self, id: &str) -> Vec<Event> {
        self.journal(id).into_iter().map(|r| r.event).collect()
    }

    /// `flowrun runs --format json`, one object per run.
    pub(crate) fn runs(&self) -> Vec<serde_json::Value> {
        let out = self
            .flowrun()
            .args(["runs", "--format", "json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The stdout of `flowrun ARGS…` run in the folder, which must succeed.
    pub(crate) fn stdout_of(&self, args: &[&str]) -> String {
        let out = self
            .flowrun()
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    }

    /// The events of the last run.
    pub(crate) fn events(&self) -> Vec<Event> {
        read_events(&self.file(EVENTS))
    }
}

/// Parses a JSON Lines events file.
/// The ids of the runs in a state folder (`.flowrun` or `--state-dir`), sorted:
/// a run before its child runs (`RUN.s5a1`).
pub(crate) fn run_ids_in(state_dir: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(state_dir.join("runs"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

pub(crate) fn read_events(path: &Path) -> Vec<Event> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not an event ({e}): {l}")))
        .collect()
}

/// The nodes of the `step_started` events, in order (one per attempt).
pub(crate) fn started(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::StepStarted { node, .. } => Some(node.clone()),
            _ => None,
        })
        .collect()
}

/// `(node, answer, source)` of each `answered` event.
pub(crate) fn answers(events: &[Event]) -> Vec<(String, String, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Answered {
                node,
                answer,
                source,
                ..
            } => Some((node.clone(), answer.clone(), source.clone())),
            _ => None,
        })
        .collect()
}

/// `(node, status, message)` of each `step_finished` event.
pub(crate) fn finished_steps(events: &[Event]) -> Vec<(String, String, Option<String>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::StepFinished {
                node,
                status,
                message,
                ..
            } => Some((node.clone(), status.clone(), message.clone())),
            _ => None,
        })
        .collect()
}

/// The lines of the `output` events of one stream.
pub(crate) fn output(events: &[Event], of_stream: &str) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Output { stream, line, .. } if stream == of_stream => Some(line.clone()),
            _ => None,
        })
        .collect()
}

/// How the run ended, from its last event.
#[derive(Debug)]
pub(crate) struct RunEnd {
    pub(crate) status: String,
    pub(crate) end: Option<String>,
    pub(crate) steps: u64,
    pub(crate) path: Vec<String>,
    pub(crate) message: Option<String>,
    pub(crate) at: jiff::Timestamp,
}

/// The `run_finished` event, which must be the last one.
pub(crate) fn run_end(events: &[Event]) -> RunEnd {
    match events.last() {
        Some(Event::RunFinished {
            status,
            end,
            steps,
            path,
            message,
            at,
        }) => RunEnd {
            status: status.clone(),
            end: end.clone(),
            steps: *steps,
            path: path.clone(),
            message: message.clone(),
            at: at.parse().unwrap(),
        },
        other => panic!("the last event is not run_finished: {other:?}"),
    }
}

/// The run clock when the run started.
pub(crate) fn run_start(events: &[Event]) -> jiff::Timestamp {
    match events.first() {
        Some(Event::RunStarted { at, .. }) => at.parse().unwrap(),
        other => panic!("the first event is not run_started: {other:?}"),
    }
}

/// Waits until `ready` holds, panicking with `what` after `limit`.
pub(crate) fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether a process is gone: `kill -0` fails, or it is a zombie nobody reaped
/// (a container's PID 1 may not reap orphans; a zombie runs nothing).
pub(crate) fn process_gone(pid: &str) -> bool {
    let alive = std::process::Command::new("kill")
        .args(["-0", pid])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success();
    if !alive {
        return true;
    }
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        // `pid (comm) S …`: the state follows the last `)`.
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| matches!(rest.trim_start().chars().next(), Some('Z' | 'X')))
    })
}

/// Waits up to 10 s for a process to be gone; if it is not, kills it (so a
/// failing test leaves nothing behind) and fails.
pub(crate) fn assert_gone(pid: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !process_gone(pid) {
        if Instant::now() >= deadline {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", pid])
                .status();
            panic!("process {pid} is still running");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

//! `flowrun execute` exit codes: 0 an end was reached; 1 the run failed (an
//! action, a step error, a guard, a dead end); 2 nothing ran (invalid flow,
//! bindings or usage); 130 interrupted by Ctrl-C.

use std::process::Stdio;
use std::time::Duration;

use flowrun::exec::Event;
use predicates::prelude::*;
use predicates::str::contains;

use crate::exec_support::{
    EVENTS, RunEnd, Sandbox, assert_gone, finished_steps, run_end, started, wait_for,
};

/// start → op → end.
pub(crate) const LINE: &str = "st=>start: go\nop=>operation: Do the thing\ne=>end\nst->op->e\n";

/// start → op → c; c(no) → op, c(yes) → end.
pub(crate) const LOOP: &str = "st=>start: go\nop=>operation: tick\nc=>condition: done?\ne=>end\nst->op->c\nc(yes)->e\nc(no)->op\n";

/// Runs the sandbox's flow, expects exit 1 with `message` on the console and in `run_finished`.
/// Failures are tested with `--on-failure fail`; holding is tested in `exec_durable`.
fn run_fails(s: &Sandbox, args: &[&str], message: &str) -> (Vec<Event>, RunEnd) {
    s.execute(args)
        .args(["--on-failure", "fail"])
        .assert()
        .code(1)
        .stderr(contains(format!("■ failed: {message}")));
    let events = s.events();
    let end = run_end(&events);
    assert_eq!(end.status, "failed");
    assert_eq!(end.end, None);
    assert!(
        end.message.as_deref().is_some_and(|m| m.contains(message)),
        "{end:?}"
    );
    (events, end)
}

/// The exit code of the `step_finished` of `node`.
fn exit_code(events: &[Event], of: &str) -> Option<i32> {
    events
        .iter()
        .find_map(|e| match e {
            Event::StepFinished {
                node, exit_code, ..
            } if node == of => Some(*exit_code),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no step_finished for {of}"))
}

// ── 0 ────────────────────────────────────────────────────────────────────

#[test]
fn reaching_an_end_exits_0() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nrun = [\"touch\", \"ran\"]\n",
    );
    s.execute(&[])
        .assert()
        .code(0)
        .stdout("")
        .stderr(contains("■ completed at `e` — 3 steps").and(contains("path: st → op → e")));
    assert!(
        s.file("ran").exists(),
        "the action runs in the flow's folder"
    );
    let events = s.events();
    assert!(matches!(events[0], Event::RunStarted { ref clock, .. } if clock == "virtual"));
    let end = run_end(&events);
    assert_eq!(
        (end.status.as_str(), end.end.as_deref()),
        ("completed", Some("e"))
    );
    assert_eq!(
        finished_steps(&events)
            .into_iter()
            .map(|(n, s, _)| format!("{n}:{s}"))
            .collect::<Vec<_>>(),
        ["st:ok", "op:ok", "e:ok"]
    );
}

#[test]
fn events_to_stdout_with_a_dash() {
    let s = Sandbox::with(LINE, "[[bind]]\nnode = \"op\"\nlog = \"hi\"\n");
    let out = s
        .flowrun()
        .args([
            "execute",
            "flow.flow",
            "--clock",
            "virtual",
            "--events",
            "-",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let events: Vec<Event> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(started(&events), ["st", "op", "e"]);
    assert_eq!(run_end(&events).status, "completed");
}

#[test]
fn a_flow_on_stdin_runs_in_the_current_folder() {
    let s = Sandbox::new();
    s.write("b.toml", TOUCH);
    s.flowrun()
        .args(["execute", "-", "--bindings", "b.toml", "--clock", "virtual"])
        .write_stdin(LINE)
        .assert()
        .code(0)
        .stderr(contains("▶ run ").and(contains(" of - (virtual clock")));
    assert!(s.file("ran").exists());
}

#[test]
fn an_unwritable_events_file_is_reported() {
    let s = Sandbox::with(LINE, "[[bind]]\nnode = \"op\"\nlog = \"x\"\n");
    s.flowrun()
        .args([
            "execute",
            "flow.flow",
            "--clock",
            "virtual",
            "--events",
            "/dev/full",
        ])
        .assert()
        .stderr(contains("/dev/full").and(contains("No space left on device")));
}

// ── 1 ────────────────────────────────────────────────────────────────────

#[test]
fn a_fail_action_fails_the_run() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nfail = \"the release is blocked\"\n",
    );
    let (events, end) = run_fails(&s, &[], "the release is blocked");
    assert_eq!(end.path, ["st", "op"]);
    assert_eq!(
        finished_steps(&events).last().unwrap(),
        &(
            "op".to_owned(),
            "failed".to_owned(),
            Some("the release is blocked".to_owned())
        )
    );
}

#[test]
fn a_command_exiting_3_fails_the_run() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"echo partial; echo oops >&2; exit 3\"]\n",
    );
    let (events, _) = run_fails(&s, &[], "exit code 3: oops");
    assert_eq!(exit_code(&events, "op"), Some(3));
    let output: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Output { stream, line, .. } => Some(format!("{stream}: {line}")),
            _ => None,
        })
        .collect();
    assert!(output.contains(&"stdout: partial".to_owned()), "{output:?}");
    assert!(output.contains(&"stderr: oops".to_owned()), "{output:?}");
}

#[test]
fn a_condition_command_exiting_2_is_a_step_error() {
    let s = Sandbox::with(
        LOOP,
        "[[bind]]\nnode = \"op\"\nlog = \"tick\"\n\n[[bind]]\nnode = \"c\"\ncommand = [\"sh\", \"-c\", \"exit 2\"]\n",
    );
    let (events, end) = run_fails(
        &s,
        &[],
        "the command answers with exit 0 (yes) or 1 (no), not exit code 2",
    );
    assert_eq!(end.path, ["st", "op", "c"]);
    assert_eq!(exit_code(&events, "c"), Some(2));
    assert!(crate::exec_support::answers(&events).is_empty());
}

#[test]
fn a_missing_program_fails_the_run() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nrun = [\"./no-such-script\"]\n",
    );
    run_fails(
        &s,
        &[],
        "cannot run `./no-such-script`: No such file or directory",
    );
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nrun = [\"flowrun-test-no-such-program\"]\n",
    );
    run_fails(&s, &[], "cannot run `flowrun-test-no-such-program`");
}

#[test]
fn running_out_of_scripted_answers_fails_the_run() {
    // `c` has no binding: the scripted answers stand in for it.
    let s = Sandbox::with(LOOP, "[[bind]]\nnode = \"op\"\nlog = \"tick\"\n");
    let (events, end) = run_fails(
        &s,
        &["--answer", "c=no"],
        "ran out of scripted answers for `c`",
    );
    assert_eq!(end.path, ["st", "op", "c", "op", "c"]);
    assert_eq!(
        crate::exec_support::answers(&events),
        [("c".to_owned(), "no".to_owned(), "scripted".to_owned())]
    );
}

#[test]
fn max_steps_stops_a_loop() {
    let s = Sandbox::with(
        LOOP,
        "[[bind]]\nnode = \"op\"\nlog = \"tick\"\n\n[[bind]]\nnode = \"c\"\ncommand = [\"false\"]\n",
    );
    let (events, end) = run_fails(
        &s,
        &["--max-steps", "5"],
        "stopped after 5 steps (--max-steps 5): is there a loop that never ends?",
    );
    assert_eq!(end.steps, 5);
    assert_eq!(started(&events), ["st", "op", "c", "op", "c"]);
}

#[test]
fn max_visits_stops_a_loop() {
    let s = Sandbox::with(
        LOOP,
        "[[bind]]\nnode = \"op\"\nlog = \"tick\"\nmax-visits = 3\n\n[[bind]]\nnode = \"c\"\ncommand = [\"false\"]\n",
    );
    let (events, _) = run_fails(
        &s,
        &[],
        "`op` reached 4 times, more than its max-visits = 3",
    );
    assert_eq!(started(&events), ["st", "op", "c", "op", "c", "op", "c"]);
}

#[test]
fn a_dead_end_fails_the_run() {
    let s = Sandbox::with(
        "st=>start: go\nop=>operation: Do the thing\ne=>end\nst->op\n",
        "[[bind]]\nnode = \"op\"\nlog = \"x\"\n",
    );
    run_fails(
        &s,
        &[],
        "`op` has no next step and is not an end: the run cannot go on",
    );
}

#[test]
fn a_condition_without_the_answered_branch_fails_the_run() {
    let s = Sandbox::with(
        "st=>start: go\nc=>condition: ok?\ne=>end\nst->c\nc(yes)->e\n",
        "[[bind]]\nnode = \"c\"\ncommand = [\"false\"]\n",
    );
    let (events, _) = run_fails(
        &s,
        &[],
        "condition `c` answered `no`, but has no `no` branch",
    );
    assert_eq!(
        crate::exec_support::answers(&events),
        [("c".to_owned(), "no".to_owned(), "command".to_owned())]
    );
}

// ── 2: nothing runs ──────────────────────────────────────────────────────

/// Bindings for [`LINE`] whose action would leave a `ran` file.
const TOUCH: &str = "[[bind]]\nnode = \"op\"\nrun = [\"touch\", \"ran\"]\n";

/// Expects exit 2 with `stderr` containing each of `expected`, and that nothing ran.
fn refused(s: &Sandbox, args: &[&str], expected: &[&str]) -> String {
    let out = s.execute(args).assert().code(2).get_output().clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    for e in expected {
        assert!(stderr.contains(e), "expected {e:?} in:\n{stderr}");
    }
    assert!(!s.file("ran").exists(), "an action ran");
    assert!(!s.file(EVENTS).exists(), "a run started");
    stderr
}

#[test]
fn a_flow_with_errors_is_refused() {
    let s = Sandbox::with(
        "st=>start: go\nop=>operation: Do the thing\nst->op->zz\n",
        TOUCH,
    );
    refused(
        &s,
        &[],
        &[
            "flowrun::check::undefined_target",
            "[flow.flow:3:9]",
            "error: flow.flow has errors; nothing was run",
        ],
    );
}

/// An invalid bindings file: the miette report names the file, line and column.
fn invalid_bindings(bindings: &str, expected: &[&str]) {
    let s = Sandbox::with(LINE, bindings);
    let mut all = vec![
        "flowrun::bindings::invalid",
        "error: flow.flowrun.toml is not valid",
    ];
    all.extend_from_slice(expected);
    refused(&s, &[], &all);
}

#[test]
fn bindings_with_an_unknown_key_are_refused() {
    invalid_bindings(
        "[[bind]]\nnode = \"op\"\nrun = [\"touch\", \"ran\"]\ncolour = \"red\"\n",
        &[
            "flow.flowrun.toml has 1 problem",
            "unknown key `colour`",
            "[flow.flowrun.toml:4:1]",
        ],
    );
}

#[test]
fn bindings_with_two_actions_are_refused() {
    invalid_bindings(
        "[[bind]]\nnode = \"op\"\nlog = \"x\"\nrun = [\"touch\", \"ran\"]\n",
        &[
            "a binding has exactly one action, but this one also has `log`",
            "[flow.flowrun.toml:3:7]",
        ],
    );
}

#[test]
fn retries_without_idempotent_are_refused() {
    invalid_bindings(
        "[[bind]]\nnode = \"op\"\nrun = [\"touch\", \"ran\"]\nretries = 2\n",
        &[
            "retries are allowed only for idempotent actions",
            "[flow.flowrun.toml:4:11]",
        ],
    );
}

#[test]
fn a_bad_duration_is_refused() {
    invalid_bindings(
        "[[bind]]\nnode = \"op\"\nrun = [\"touch\", \"ran\"]\ntimeout = \"soon\"\n",
        &["`soon` is not a duration", "[flow.flowrun.toml:4:11]"],
    );
}

#[test]
fn a_bad_cucumber_expression_is_refused() {
    invalid_bindings(
        "[[bind]]\ntext = \"Do the {thing\"\nrun = [\"touch\", \"ran\"]\n",
        &[
            "invalid Cucumber expression `Do the {thing`",
            "[flow.flowrun.toml:2:8]",
        ],
    );
}

#[test]
fn an_unknown_parameter_type_is_refused() {
    invalid_bindings(
        "[[bind]]\ntext = \"Do the {gizmo}\"\nrun = [\"touch\", \"ran\"]\n",
        &["`Do the {gizmo}`", "gizmo", "[flow.flowrun.toml:2:8]"],
    );
}

#[test]
fn an_unknown_parameter_type_says_to_define_it() {
    invalid_bindings(
        "[[bind]]\ntext = \"Do the {gizmo}\"\nrun = [\"touch\", \"ran\"]\n",
        &["unknown parameter type `{gizmo}`: define it under [types]"],
    );
}

#[test]
fn every_problem_in_a_bindings_file_is_reported_at_once() {
    invalid_bindings(
        "[[bind]]\nnode = \"op\"\nlog = \"x\"\nrun = [\"touch\", \"ran\"]\n\n\
         [[bind]]\nnode = \"c\"\ncommand = [\"false\"]\nretries = 2\n\n\
         [[bind]]\ntext = \"Deploy {region\"\nwait = \"3 fortnights\"\n",
        &[
            "flow.flowrun.toml has 4 problems",
            "[flow.flowrun.toml:3:7]",
            "[flow.flowrun.toml:9:11]",
            "[flow.flowrun.toml:12:8]",
            "[flow.flowrun.toml:13:8]",
        ],
    );
}

#[test]
fn an_unknown_key_does_not_hide_other_problems() {
    invalid_bindings(
        "[[bind]]\nnode = \"op\"\nrun = [\"touch\", \"ran\"]\ncolour = \"red\"\n\n\
         [[bind]]\nnode = \"c\"\nwait = \"soon\"\n",
        &[
            "has 2 problems",
            "unknown key `colour`",
            "`soon` is not a duration",
        ],
    );
}

#[test]
fn ambiguous_bindings_are_refused() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\ntext = \"Do the {word}\"\nrun = [\"touch\", \"ran\"]\n\n\
         [[bind]]\ntext = \"Do {} thing\"\nrun = [\"touch\", \"ran\"]\n",
    );
    refused(
        &s,
        &[],
        &[
            "flowrun::exec::ambiguous",
            "`op` matches 2 bindings: flow.flowrun.toml:1, flow.flowrun.toml:5",
            "[flow.flow:2:1]",
            "error: flow.flow cannot run as bound; nothing was run",
        ],
    );
}

#[test]
fn a_key_binding_beats_a_text_binding() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\ntext = \"Do the {word}\"\nfail = \"the text binding ran\"\n\n\
         [[bind]]\nnode = \"op\"\nlog = \"the key binding ran\"\n",
    );
    s.execute(&[])
        .assert()
        .code(0)
        .stderr(contains("the key binding ran"));
}

#[test]
fn unbound_nodes_are_refused_when_stdin_is_not_a_terminal() {
    let s = Sandbox::with(
        LOOP,
        "[[bind]]\nnode = \"op\"\nrun = [\"touch\", \"ran\"]\n",
    );
    // assert_cmd gives the child no terminal: the default is `--unbound fail`.
    refused(
        &s,
        &[],
        &[
            "flowrun::exec::unbound",
            "`c` has no binding",
            "ask = \"done?\"",
            "error: 1 node is without a binding and --unbound is `fail` (the default when stdin is not a terminal)",
        ],
    );
    let stderr = refused(
        &s,
        &["--unbound", "fail"],
        &["--unbound is `fail`: bind them"],
    );
    assert!(!stderr.contains("the default"), "{stderr}");
}

#[test]
fn a_run_action_bound_to_a_condition_is_refused() {
    let s = Sandbox::with(
        LOOP,
        "[[bind]]\nnode = \"op\"\nlog = \"x\"\n\n[[bind]]\nnode = \"c\"\nrun = [\"touch\", \"ran\"]\n",
    );
    refused(
        &s,
        &[],
        &[
            "flowrun::exec::wrong_action",
            "`c` is a condition, but its binding's action is `run`",
            "[flow.flow:3:1]",
        ],
    );
}

#[test]
fn a_command_bound_to_an_operation_is_refused() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\ncommand = [\"touch\", \"ran\"]\n",
    );
    refused(
        &s,
        &[],
        &[
            "flowrun::exec::wrong_action",
            "its binding's action is `command`",
        ],
    );
}

#[test]
fn an_unknown_placeholder_is_refused() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nrun = [\"touch\", \"{region}\"]\n",
    );
    refused(
        &s,
        &[],
        &[
            "flowrun::exec::unknown_placeholder",
            "`{region}` in the binding for `op` is not one of its parameters",
        ],
    );
}

#[test]
fn a_missing_bindings_file_is_refused() {
    let s = Sandbox::with(LINE, TOUCH);
    refused(
        &s,
        &["--bindings", "nope.toml"],
        &["cannot read bindings nope.toml"],
    );
}

#[test]
fn bad_usage_is_refused() {
    let s = Sandbox::with(LINE, TOUCH);
    s.flowrun()
        .args(["execute", "flow.flow", "--clock", "sundial"])
        .assert()
        .code(2)
        .stderr(contains("`sundial` is not a clock"));
    assert!(!s.file("ran").exists());
    refused(
        &s,
        &["--answer", "c=maybe"],
        &["`maybe` in `c=maybe` is not yes or no"],
    );
    refused(&s, &["--answer", "c"], &["`c` is not KEY=yes,no,…"]);
    refused(&s, &["--answers", "nope.toml"], &["cannot read nope.toml"]);
    refused(&s, &["--flow", "2"], &[]);
}

#[test]
fn scripted_answers_for_unknown_nodes_are_refused() {
    let s = Sandbox::with(
        LOOP,
        "[[bind]]\nnode = \"op\"\nlog = \"x\"\n\n[[bind]]\nnode = \"c\"\ncommand = [\"touch\", \"ran\"]\n",
    );
    // A typo: the real command would run instead of the scripted answer.
    refused(&s, &["--answer", "cc=yes"], &["cc"]);
    // An operation takes no answers.
    refused(&s, &["--answer", "op=yes", "--answer", "c=yes"], &["op"]);
}

// ── 130 ──────────────────────────────────────────────────────────────────

/// `flowrun execute flow.flow ARGS… --events …` in the background.
fn spawn_execute(s: &Sandbox, args: &[&str], stdin: Stdio) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin!("flowrun"))
        .current_dir(s.path())
        .args(["execute", "flow.flow", "--events", EVENTS])
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(stdin)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Sends `signal` (`INT`, `TERM`) to the child and returns its exit code.
fn signal_and_wait(child: &mut std::process::Child, signal: &str) -> Option<i32> {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("flowrun still runs 10 s after SIG{signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The events end with `node`'s step interrupted, then the run suspended as
/// interrupted (so `resume` can pick it up).
fn assert_ends_interrupted(s: &Sandbox, node: &str) {
    let events = s.events();
    let n = events.len();
    assert!(
        matches!(&events[n - 2], Event::StepFinished { node: k, status, .. } if k == node && status == "interrupted"),
        "{:?}",
        events[n - 2]
    );
    match &events[n - 1] {
        Event::Suspended {
            node: k,
            reason,
            message,
            ..
        } => {
            assert_eq!(k.as_deref(), Some(node));
            assert_eq!(reason, "interrupted");
            assert_eq!(message.as_deref(), Some("interrupted (Ctrl-C or SIGTERM)"));
        }
        other => panic!("the last event is not suspended: {other:?}"),
    }
}

/// A run whose action starts a grandchild in its process group and waits for it;
/// `signal` arrives once the grandchild runs. Returns the grandchild's pid.
fn interrupt_action(signal: &str) -> String {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"sleep 1000 & echo $! > grandchild.pid; echo started; wait\"]\n",
    );
    let mut child = spawn_execute(&s, &["--clock", "virtual"], Stdio::null());
    wait_for("the grandchild's pid", Duration::from_secs(20), || {
        s.read("grandchild.pid").is_some_and(|p| p.ends_with('\n'))
    });
    let grandchild = s.read("grandchild.pid").unwrap().trim().to_owned();
    assert!(!crate::exec_support::process_gone(&grandchild));

    assert_eq!(signal_and_wait(&mut child, signal), Some(130));
    assert_gone(&grandchild);
    assert_ends_interrupted(&s, "op");
    grandchild
}

#[test]
fn ctrl_c_stops_the_action_group_and_exits_130() {
    interrupt_action("INT");
}

#[test]
fn sigterm_is_handled_like_ctrl_c() {
    interrupt_action("TERM");
}

#[test]
fn ctrl_c_ends_a_wait_on_the_real_clock() {
    // The one real-clock test: the hour-long wait is cut short at once.
    let s = Sandbox::with(
        "st=>start: go\nw=>operation: Season\ne=>end\nst->w->e\n",
        "[[bind]]\nnode = \"w\"\nwait = \"1h\"\n",
    );
    let mut child = spawn_execute(&s, &["--clock", "real"], Stdio::null());
    wait_for("the wait", Duration::from_secs(20), || {
        s.read(EVENTS)
            .is_some_and(|t| t.contains("\"event\":\"waited\""))
    });
    assert_eq!(signal_and_wait(&mut child, "INT"), Some(130));
    assert_ends_interrupted(&s, "w");
}

#[test]
fn ctrl_c_at_a_prompt_is_journaled_for_resume() {
    let s = Sandbox::with(
        "st=>start: go\nc=>condition: ok?\ne=>end\nst->c\nc(yes)->e\nc(no)->e\n",
        "[[bind]]\nnode = \"c\"\nask = \"Is it ok?\"\n",
    );
    let mut child = spawn_execute(&s, &["--clock", "virtual"], Stdio::piped());
    // Keep stdin open: the prompt waits for an answer.
    let _stdin = child.stdin.take();
    wait_for("the prompt", Duration::from_secs(20), || {
        s.read(EVENTS)
            .is_some_and(|t| t.contains("\"action\":\"ask\""))
    });
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(signal_and_wait(&mut child, "INT"), Some(130));
    assert_ends_interrupted(&s, "c");
}

#[test]
fn sigterm_at_a_prompt_ends_the_run() {
    let s = Sandbox::with(
        "st=>start: go\nc=>condition: ok?\ne=>end\nst->c\nc(yes)->e\nc(no)->e\n",
        "[[bind]]\nnode = \"c\"\nask = \"Is it ok?\"\n",
    );
    let mut child = spawn_execute(&s, &["--clock", "virtual"], Stdio::piped());
    let _stdin = child.stdin.take();
    wait_for("the prompt", Duration::from_secs(20), || {
        s.read(EVENTS)
            .is_some_and(|t| t.contains("\"action\":\"ask\""))
    });
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(signal_and_wait(&mut child, "TERM"), Some(130));
}

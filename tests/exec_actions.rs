//! What bound actions do when `flowrun execute` runs them: argv without a
//! shell, failures, crashes, timeouts, floods of output, retries, waits on the
//! virtual clock, people answering on stdin, scripted answers, and loop guards.

use std::time::{Duration, Instant};

use flowrun::exec::Event;
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;

use crate::exec_exit::{LINE, LOOP};
use crate::exec_support::{
    EVENTS, Sandbox, answers, assert_gone, finished_steps, output, run_end, run_start, started,
};

/// The records `echo_args.py` appended to `args.jsonl`.
fn echoed(s: &Sandbox) -> Vec<Value> {
    s.read("args.jsonl")
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn argv_of(record: &Value) -> Vec<&str> {
    record["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect()
}

/// Every file below `dir` whose name contains `pwned`.
fn pwned_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .contains("pwned")
        {
            found.push(path.clone());
        }
        if path.is_dir() && !path.is_symlink() {
            found.extend(pwned_files(&path));
        }
    }
    found
}

// ── argv, never a shell ──────────────────────────────────────────────────

/// Node texts full of shell syntax. (`|` cannot be in a node's text: flowchart.js
/// reads `text|state` as a flowstate.)
const INJECTION_FLOW: &str = r#"st=>start: go
a=>operation: Deploy "$(touch pwned); rm -rf x `touch pwned` 'q' && echo hi > pwned" to UK
b=>operation: Deploy '$(touch pwned) "dq"; x' to US
c=>operation: Ship $(touch pwned); rm -rf x `touch pwned` "q" 'q' > pwned & echo * $HOME < /etc/passwd to DE
d=>operation: Deploy "ünïcødé ✓ 日本 $PATH %s \\" to JP
e=>end
st->a->b->c->d->e
"#;

const INJECTION_BINDINGS: &str = r#"[[bind]]
text = "Deploy {string} to {word}"
run = ["./echo_args.py", "{1}", "{word}", "{string}", "--to={word}:{string}"]

[[bind]]
text = "Ship {} to {word}"
run = ["./echo_args.py", "{1}", "{2}", "{node}", "{text}"]
"#;

#[test]
fn node_text_reaches_actions_as_literal_argv_and_env() {
    let sandbox = Sandbox::with(INJECTION_FLOW, INJECTION_BINDINGS);
    sandbox.link_fixture("echo_args.py");
    std::fs::create_dir(sandbox.file("x")).unwrap();
    sandbox.write("x/keep", "rm -rf x must not run");
    sandbox.execute(&[]).assert().code(0);

    let quoted = r"$(touch pwned); rm -rf x `touch pwned` 'q' && echo hi > pwned";
    let single_quoted = r#"$(touch pwned) "dq"; x"#;
    let bare =
        r#"$(touch pwned); rm -rf x `touch pwned` "q" 'q' > pwned & echo * $HOME < /etc/passwd"#;
    let bare_text = format!("Ship {bare} to DE");
    let records = echoed(&sandbox);
    assert_eq!(records.len(), 4);
    assert_eq!(
        argv_of(&records[0]),
        [quoted, "UK", quoted, &format!("--to=UK:{quoted}")]
    );
    assert_eq!(
        argv_of(&records[1]),
        [
            single_quoted,
            "US",
            single_quoted,
            &format!("--to=US:{single_quoted}")
        ]
    );
    assert_eq!(argv_of(&records[2]), [bare, "DE", "c", &bare_text]);
    let unicode = r"ünïcødé ✓ 日本 $PATH %s \\";
    assert_eq!(
        argv_of(&records[3]),
        [unicode, "JP", unicode, &format!("--to=JP:{unicode}")]
    );

    let env = |i: usize, k: &str| records[i]["env"][k].as_str().map(str::to_owned);
    assert_eq!(env(0, "FLOWRUN_PARAM_STRING").as_deref(), Some(quoted));
    assert_eq!(env(0, "FLOWRUN_PARAM_WORD").as_deref(), Some("UK"));
    assert_eq!(
        env(1, "FLOWRUN_PARAM_STRING").as_deref(),
        Some(single_quoted)
    );
    assert_eq!(env(2, "FLOWRUN_PARAM_ARG").as_deref(), Some(bare));
    assert_eq!(env(2, "FLOWRUN_PARAM_WORD").as_deref(), Some("DE"));
    assert_eq!(env(2, "FLOWRUN_TEXT"), Some(bare_text.clone()));
    assert_eq!(env(2, "FLOWRUN_NODE").as_deref(), Some("c"));

    // The events carry the same exact argv.
    let argvs: Vec<Vec<String>> = sandbox
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::StepStarted { argv, .. } => argv.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(argvs[2][1..], [bare, "DE", "c", &bare_text]);

    assert!(sandbox.file("x/keep").exists(), "`rm -rf x` ran");
    assert_eq!(
        pwned_files(sandbox.path()),
        Vec::<std::path::PathBuf>::new()
    );
    assert_eq!(
        pwned_files(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("workflows")
                .as_path()
        ),
        Vec::<std::path::PathBuf>::new()
    );
    assert!(
        !std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("pwned")
            .exists()
    );
}

#[test]
fn repeated_parameter_types_are_numbered() {
    let s = Sandbox::with(
        "st=>start: go\nop=>operation: Copy alpha to beta on 42\ne=>end\nst->op->e\n",
        "[[bind]]\ntext = \"Copy {word} to {word} on {int}\"\nrun = [\"./echo_args.py\", \"{word}\", \"{word_2}\", \"{int}\", \"{3}\", \"{run_id}\"]\n",
    );
    s.link_fixture("echo_args.py");
    s.execute(&[]).assert().code(0);
    let records = echoed(&s);
    let run_id = match &s.events()[0] {
        Event::RunStarted { run_id, .. } => run_id.clone(),
        e => panic!("{e:?}"),
    };
    assert_eq!(
        argv_of(&records[0]),
        ["alpha", "beta", "42", "42", run_id.as_str()]
    );
    let env = &records[0]["env"];
    assert_eq!(env["FLOWRUN_PARAM_WORD"], "alpha");
    assert_eq!(env["FLOWRUN_PARAM_WORD_2"], "beta");
    assert_eq!(env["FLOWRUN_PARAM_INT"], "42");
    assert_eq!(env["FLOWRUN_RUN_ID"], run_id.as_str());
}

#[test]
fn a_parameter_value_is_not_expanded_again() {
    let s = Sandbox::with(
        "st=>start: go\nop=>operation: Ship {2} to UK\ne=>end\nst->op->e\n",
        "[[bind]]\ntext = \"Ship {} to {word}\"\nrun = [\"./echo_args.py\", \"{1}:{2}\"]\n",
    );
    s.link_fixture("echo_args.py");
    s.execute(&[]).assert().code(0);
    assert_eq!(argv_of(&echoed(&s)[0]), ["{2}:UK"]);
}

#[test]
fn text_bindings_do_not_run_on_start_and_end() {
    let s = Sandbox::with(
        "st=>start: go\nop=>operation: work\ne=>end: done\nst->op->e\n",
        "[[bind]]\ntext = \"{word}\"\nrun = [\"./echo_args.py\", \"{node}\"]\n",
    );
    s.link_fixture("echo_args.py");
    s.execute(&[]).assert().code(0);
    let nodes: Vec<_> = echoed(&s).iter().map(|r| r["argv"][0].clone()).collect();
    assert_eq!(nodes, ["op"]);
}

// ── failing, crashing, hanging, flooding ─────────────────────────────────

#[test]
fn a_failing_action_shows_its_output_and_exit_code() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"echo 'disk full' >&2; exit 1\"]\n",
    );
    s.execute(&["--on-failure", "fail"])
        .assert()
        .code(1)
        .stderr(
            contains("    ┆ disk full")
                .and(contains("  ✗ op         Do the thing"))
                .and(contains("— exit code 1: disk full\n"))
                .and(contains("■ failed: exit code 1: disk full — 2 steps in ")),
        );
}

#[test]
fn a_crashing_action_fails_the_run() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"kill -KILL $$\"]\n",
    );
    s.execute(&["--on-failure", "fail"])
        .assert()
        .code(1)
        .stderr(contains("■ failed: killed by signal 9 — "));
    let events = s.events();
    assert!(events.iter().any(|e| matches!(e,
        Event::StepFinished { node, status, exit_code: None, .. } if node == "op" && status == "failed")));
}

/// A hanging action and its grandchild; returns how long the run took.
fn hang(action: &str) -> (Sandbox, Duration) {
    let s = Sandbox::with(
        LINE,
        &format!(
            "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"{action}\"]\ntimeout = \"1s\"\n"
        ),
    );
    let t = Instant::now();
    s.execute(&["--on-failure", "fail"])
        .assert()
        .code(1)
        .stderr(contains("■ failed: timed out after 1s"));
    let took = t.elapsed();
    let events = s.events();
    assert!(events.iter().any(|e| matches!(e,
        Event::StepFinished { node, status, .. } if node == "op" && status == "timeout")));
    let grandchild = s.read("grandchild.pid").unwrap();
    assert_gone(grandchild.trim());
    (s, took)
}

#[test]
fn a_hanging_action_times_out_with_its_process_group() {
    let (_, took) = hang("sleep 1000 & echo $! > grandchild.pid; wait");
    assert!(took < Duration::from_secs(8), "took {took:?}");
}

#[test]
fn an_action_ignoring_sigterm_is_killed() {
    // SIG_IGN is inherited: the shell and its sleep both ignore SIGTERM.
    let (_, took) = hang("trap '' TERM; sleep 1000 & echo $! > grandchild.pid; wait");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn a_grandchild_ignoring_sigterm_is_killed_after_a_timeout() {
    // Only the grandchild ignores SIGTERM: the shell exits, the grandchild holds the pipes.
    hang("sh -c 'trap \\\"\\\" TERM; exec sleep 1000' & echo $! > grandchild.pid; wait");
}

/// 200 000 lines of 100 bytes: 20 MB of output.
const FLOOD: &str = "[[bind]]\nnode = \"op\"\nrun = [\"python3\", \"-c\", \"import sys; sys.stdout.write(('x' * 99 + '\\\\n') * 200000); print('last line')\"]\n";

/// 200 MB of output, produced without holding it in memory.
const FLOOD_STREAMED: &str = "[[bind]]\nnode = \"op\"\nrun = [\"python3\", \"-c\", \"import sys\\nfor _ in range(2000000): sys.stdout.write('x' * 99 + '\\\\n')\"]\n";

#[test]
fn a_flood_of_output_is_recorded_up_to_a_limit() {
    let s = Sandbox::with(LINE, FLOOD);
    let out = s.execute(&[]).assert().code(0).get_output().clone();
    let events = s.events();
    let stdout = output(&events, "stdout");
    assert_eq!(stdout.len(), 10_000);
    assert!(stdout.iter().all(|l| l.len() == 99));
    assert_eq!(
        output(&events, "flowrun"),
        ["… more output not recorded (over 10000 lines)"]
    );
    assert!(events.len() < 10_020, "{} events", events.len());
    assert_eq!(run_end(&events).status, "completed");
    // The console shows what the events hold, not 20 MB.
    assert!(out.stderr.len() < 2_000_000, "{} bytes", out.stderr.len());
}

/// The peak resident memory (KiB) of `flowrun ARGS…` run in `dir`, measured by python.
fn peak_rss_kib(dir: &std::path::Path, args: &[&str]) -> u64 {
    let out = std::process::Command::new("python3")
        .current_dir(dir)
        .args([
            "-c",
            "import resource, subprocess, sys\n\
             subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n\
             print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
        ])
        .arg(assert_cmd::cargo::cargo_bin!("flowrun"))
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_flood_of_output_stays_bounded_in_memory() {
    let quiet = Sandbox::with(LINE, "[[bind]]\nnode = \"op\"\nrun = [\"true\"]\n");
    let base = peak_rss_kib(
        quiet.path(),
        &["execute", "flow.flow", "--clock", "virtual"],
    );
    // The flood is written line by line, so the program itself stays small: the
    // measure (the largest process of the tree) is then flowrun's own.
    let s = Sandbox::with(LINE, FLOOD_STREAMED);
    let flood = peak_rss_kib(s.path(), &["execute", "flow.flow", "--clock", "virtual"]);
    assert!(
        flood < base + 10 * 1024,
        "peak RSS {flood} KiB for 200 MB of output, {base} KiB for none"
    );
}

#[test]
fn an_overlong_line_is_cut() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nrun = [\"python3\", \"-c\", \"print('y' * 5000000); print('after')\"]\n",
    );
    s.execute(&[]).assert().code(0);
    let stdout = output(&s.events(), "stdout");
    assert_eq!(
        stdout.len(),
        2,
        "{:?}",
        stdout.iter().map(String::len).collect::<Vec<_>>()
    );
    assert!(stdout[0].len() <= 16 * 1024 && stdout[0].starts_with("yyyy"));
    assert_eq!(stdout[1], "after");
}

#[test]
fn a_background_process_holding_the_pipes_does_not_hang_the_run() {
    let s = Sandbox::with(
        LINE,
        "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"sleep 1000 & echo $! > grandchild.pid; echo done\"]\n",
    );
    let t = Instant::now();
    s.execute(&[]).assert().code(0);
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!(output(&s.events(), "stdout"), ["done"]);
    assert_gone(s.read("grandchild.pid").unwrap().trim());
}

// ── retries ──────────────────────────────────────────────────────────────

/// Counts its attempts in `./attempts`; succeeds from attempt N on.
fn flaky(succeed_at: u32) -> String {
    format!(
        "n=$(cat attempts 2>/dev/null || echo 0); n=$((n+1)); echo $n > attempts; echo attempt $n; [ $n -ge {succeed_at} ]"
    )
}

/// `(attempt, run clock)` of each `step_started` of `of`.
fn attempts(events: &[Event], of: &str) -> Vec<(u32, jiff::Timestamp)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::StepStarted {
                node, attempt, at, ..
            } if node == of => Some((*attempt, at.parse().unwrap())),
            _ => None,
        })
        .collect()
}

#[test]
fn an_idempotent_action_is_retried_with_backoff() {
    let s = Sandbox::with(
        LINE,
        &format!(
            "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"{}\"]\nidempotent = true\nretries = 2\nbackoff = \"1h\"\n",
            flaky(3)
        ),
    );
    let t = Instant::now();
    s.execute(&[])
        .assert()
        .code(0)
        .stderr(contains("  ↻ [op] attempt 2").and(contains("  ↻ [op] attempt 3")));
    assert!(t.elapsed() < Duration::from_secs(20), "the backoff slept");
    let events = s.events();
    let tries = attempts(&events, "op");
    assert_eq!(tries.iter().map(|t| t.0).collect::<Vec<_>>(), [1, 2, 3]);
    // Backoff doubles: 1 h, then 2 h, on the run clock.
    let hours = |a: jiff::Timestamp, b: jiff::Timestamp| b.duration_since(a).as_secs() / 3600;
    assert_eq!(hours(tries[0].1, tries[1].1), 1);
    assert_eq!(hours(tries[1].1, tries[2].1), 2);
    let statuses: Vec<_> = finished_steps(&events)
        .into_iter()
        .filter(|(n, _, _)| n == "op")
        .map(|(_, s, m)| format!("{s} {}", m.unwrap_or_default()))
        .collect();
    assert_eq!(
        statuses,
        [
            "failed exit code 1: attempt 1",
            "failed exit code 1: attempt 2",
            "ok "
        ]
    );
    assert_eq!(
        output(&events, "stdout"),
        ["attempt 1", "attempt 2", "attempt 3"]
    );
    assert_eq!(run_end(&events).steps, 3, "retries are attempts, not steps");
}

#[test]
fn retries_run_out() {
    let s = Sandbox::with(
        LINE,
        &format!(
            "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"{}\"]\nidempotent = true\nretries = 1\n",
            flaky(99)
        ),
    );
    s.execute(&[])
        .assert()
        .code(1)
        .stderr(contains("■ failed: exit code 1: attempt 2 — "));
    assert_eq!(s.read("attempts").unwrap(), "2\n");
}

// ── waits on the virtual clock ───────────────────────────────────────────

#[test]
fn waits_advance_the_run_clock_at_once() {
    let s = Sandbox::with(
        "st=>start: go\n\
         a=>operation: Note the time\n\
         w=>operation: Season for three days\n\
         b=>operation: Note the time\n\
         f=>operation: Wait for Friday\n\
         c=>operation: Note the time\n\
         y=>operation: Wait for the new year\n\
         d=>operation: Note the time\n\
         e=>end\n\
         st->a->w->b->f->c->y->d->e\n",
        "[[bind]]\ntext = \"Note the time\"\nrun = [\"sh\", \"-c\", \"echo $FLOWRUN_NOW $1 >> times\", \"sh\", \"{now}\"]\n\n\
         [[bind]]\nnode = \"w\"\nwait = \"3d\"\n\n\
         [[bind]]\nnode = \"f\"\nwait-until = \"friday 09:00 Europe/London\"\n\n\
         [[bind]]\nnode = \"y\"\nwait-until = \"2030-01-01 00:00 Asia/Tokyo\"\n",
    );
    let t = Instant::now();
    // Thursday 2026-11-26 12:00 UTC.
    s.flowrun()
        .args([
            "execute",
            "flow.flow",
            "--clock",
            "virtual:2026-11-26T12:00:00Z",
        ])
        .args(["--events", EVENTS])
        .assert()
        .code(0)
        .stderr(contains("⏳ waiting until 2026-12-04T09:00:00.000Z"));
    assert!(t.elapsed() < Duration::from_secs(20));
    let times: Vec<jiff::Timestamp> = s
        .read("times")
        .unwrap()
        .lines()
        .map(|l| {
            let (env, placeholder) = l.split_once(' ').unwrap();
            let env: jiff::Timestamp = env.parse().unwrap();
            let placeholder: jiff::Timestamp = placeholder.parse().unwrap();
            // `{now}` is read when the argv is built, FLOWRUN_NOW when the program starts.
            assert!(
                env.duration_since(placeholder).abs() < jiff::SignedDuration::from_secs(5),
                "{l}"
            );
            env
        })
        .collect();
    let ts = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
    let within = |t: jiff::Timestamp, from: &str| {
        let d = t.duration_since(ts(from));
        assert!(
            !d.is_negative() && d < jiff::SignedDuration::from_mins(1),
            "{t} is not just after {from}"
        );
    };
    within(times[0], "2026-11-26T12:00:00Z");
    within(times[1], "2026-11-29T12:00:00Z"); // + 3 days: a Sunday
    within(times[2], "2026-12-04T09:00:00Z"); // the next Friday, 09:00 GMT
    within(times[3], "2029-12-31T15:00:00Z"); // midnight in Tokyo
    let events = s.events();
    let waited: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Waited { until, .. } => Some(until.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(waited.len(), 3);
    assert_eq!(
        waited[1..],
        ["2026-12-04T09:00:00.000Z", "2029-12-31T15:00:00.000Z"]
    );
    assert!(run_end(&events).at >= ts("2029-12-31T15:00:00Z"));
    assert!(run_start(&events) < ts("2026-11-26T12:01:00Z"));
}

// ── people and scripted answers ──────────────────────────────────────────

/// start → m (manual) → u (unbound) → end.
const CHECKLIST: &str = "st=>start: go\nm=>operation: Verify the dashboard\nu=>operation: Tell the team\ne=>end\nst->m->u->e\n";
const CHECKLIST_BINDINGS: &str =
    "[[bind]]\nnode = \"m\"\nmanual = \"Open grafana and check the error rate\"\n";

#[test]
fn manual_and_unbound_steps_are_confirmed_on_stdin() {
    let s = Sandbox::with(CHECKLIST, CHECKLIST_BINDINGS);
    s.execute(&["--unbound", "ask"])
        .write_stdin("yes\ny\n")
        .assert()
        .code(0)
        .stderr(
            contains("  ▸ Open grafana and check the error rate\n")
                .and(contains(
                    "  ? [m] Verify the dashboard — done? [y]es / [n]o (failed): ",
                ))
                .and(contains(
                    "  ? [u] Tell the team — done? [y]es / [n]o (failed): ",
                )),
        );
    let events = s.events();
    let actions: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::StepStarted { node, action, .. } => Some(format!("{node}:{action}")),
            _ => None,
        })
        .collect();
    assert_eq!(actions, ["st:none", "m:manual", "u:unbound", "e:none"]);
    assert_eq!(run_end(&events).status, "completed");
}

#[test]
fn a_manual_step_answered_no_fails_with_the_note() {
    let s = Sandbox::with(CHECKLIST, CHECKLIST_BINDINGS);
    s.execute(&["--unbound", "ask", "--on-failure", "fail"])
        .write_stdin("maybe\nno\nthe error rate is 12%\n")
        .assert()
        .code(1)
        .stderr(
            contains("    please answer yes or no")
                .and(contains("    what went wrong? "))
                .and(contains("■ failed: the error rate is 12%")),
        );
}

#[test]
fn a_prompt_with_stdin_closed_fails_the_run() {
    let s = Sandbox::with(CHECKLIST, CHECKLIST_BINDINGS);
    s.execute(&["--unbound", "ask"])
        .write_stdin("")
        .assert()
        .code(1)
        .stderr(contains("■ failed: no answer: input closed"));
}

#[test]
fn skipped_unbound_steps_are_recorded() {
    let s = Sandbox::with(CHECKLIST, "[[bind]]\nnode = \"m\"\nlog = \"checked\"\n");
    s.execute(&["--unbound", "skip"])
        .assert()
        .code(0)
        .stderr(contains("  ↷ u "));
    assert!(finished_steps(&s.events()).contains(&(
        "u".to_owned(),
        "skipped".to_owned(),
        Some("unbound: skipped (--unbound skip)".to_owned())
    )));
}

#[test]
fn an_unbound_condition_cannot_be_skipped() {
    let s = Sandbox::with(LOOP, "[[bind]]\nnode = \"op\"\nlog = \"tick\"\n");
    s.execute(&["--unbound", "skip"])
        .assert()
        .code(1)
        .stderr(contains(
            "■ failed: condition `c` has no binding and cannot be skipped",
        ));
}

/// start → c; c(yes) → shipped, c(no) → held.
const SHIP: &str = "st=>start: go\nc=>condition: Ready?\nshipped=>end: shipped\nheld=>end: held\nst->c\nc(yes)->shipped\nc(no)->held\n";

/// The `answered` event of `c`: `(answer, source, by, reason)`.
fn answered(events: &[Event]) -> (String, String, Option<String>, Option<String>) {
    events
        .iter()
        .find_map(|e| match e {
            Event::Answered {
                answer,
                source,
                by,
                reason,
                ..
            } => Some((answer.clone(), source.clone(), by.clone(), reason.clone())),
            _ => None,
        })
        .unwrap()
}

#[test]
fn ask_records_who_answered_and_why() {
    let s = Sandbox::with(
        SHIP,
        "[[bind]]\nnode = \"c\"\nask = \"Ship it to everyone?\"\n",
    );
    s.execute(&[])
        .write_stdin("yes\nerror rate is flat\n")
        .assert()
        .code(0)
        .stderr(
            contains("  ? [c] Ship it to everyone? [y]es / [n]o: ")
                .and(contains("    why? (optional) "))
                .and(contains("    → c: yes (ask by tester: error rate is flat)"))
                .and(contains("■ completed at `shipped`")),
        );
    assert_eq!(
        answered(&s.events()),
        (
            "yes".to_owned(),
            "ask".to_owned(),
            Some("tester".to_owned()),
            Some("error rate is flat".to_owned())
        )
    );
}

#[test]
fn an_unbound_condition_is_asked_with_unbound_ask() {
    let s = Sandbox::with(SHIP, "");
    s.execute(&["--unbound", "ask"])
        .write_stdin("n\n\n")
        .assert()
        .code(0)
        .stderr(contains("  ? [c] Ready? [y]es / [n]o: "));
    let events = s.events();
    assert_eq!(
        answered(&events),
        (
            "no".to_owned(),
            "ask".to_owned(),
            Some("tester".to_owned()),
            None
        )
    );
    assert_eq!(run_end(&events).end.as_deref(), Some("held"));
}

#[test]
fn scripted_answers_from_a_file_beat_the_bound_command() {
    let s = Sandbox::with(
        LOOP,
        "[[bind]]\nnode = \"op\"\nlog = \"tick\"\n\n[[bind]]\nnode = \"c\"\ncommand = [\"touch\", \"command-ran\"]\n",
    );
    s.write("answers.toml", "c = [\"no\", \"n\", \"yes\"]\n");
    s.execute(&["--answers", "answers.toml"]).assert().code(0);
    let events = s.events();
    assert_eq!(
        started(&events),
        ["st", "op", "c", "op", "c", "op", "c", "e"]
    );
    let got: Vec<_> = answers(&events)
        .into_iter()
        .map(|(_, a, source)| format!("{a} {source}"))
        .collect();
    assert_eq!(got, ["no scripted", "no scripted", "yes scripted"]);
    assert!(!s.file("command-ran").exists());

    s.write("bad.toml", "c = \"yes\"\n");
    s.execute(&["--answers", "bad.toml"])
        .assert()
        .code(2)
        .stderr(contains(
            "bad.toml: `c` must be a list like [\"no\", \"yes\"]",
        ));
}

/// `SHIP` with `c` answered by a command's last line of output.
fn stdout_answer(script: &str) -> Sandbox {
    Sandbox::with(
        SHIP,
        &format!(
            "[[bind]]\nnode = \"c\"\ncommand = [\"sh\", \"-c\", \"{script}\"]\nstdout-answer = true\n"
        ),
    )
}

#[test]
fn stdout_answer_takes_the_last_line() {
    let s = stdout_answer("echo checking; echo yes; echo no; echo");
    s.execute(&[]).assert().code(0);
    let events = s.events();
    assert_eq!(answered(&events).0, "no");
    assert_eq!(run_end(&events).end.as_deref(), Some("held"));

    let s = stdout_answer("echo checking; echo YES");
    s.execute(&[]).assert().code(0);
    assert_eq!(run_end(&s.events()).end.as_deref(), Some("shipped"));
}

#[test]
fn stdout_answer_needs_exit_0_and_yes_or_no() {
    stdout_answer("echo maybe")
        .execute(&["--on-failure", "fail"])
        .assert()
        .code(1)
        .stderr(contains(
            "■ failed: the command must exit 0 and print `yes` or `no` last (exit code 0)",
        ));
    stdout_answer("echo yes; exit 1")
        .execute(&["--on-failure", "fail"])
        .assert()
        .code(1)
        .stderr(contains("print `yes` or `no` last (exit code 1)"));
}

// ── loop guards ──────────────────────────────────────────────────────────

#[test]
fn max_visits_ends_a_10_000_round_loop() {
    let s = Sandbox::with(
        LOOP,
        "[[bind]]\nnode = \"op\"\nlog = \"tick\"\nmax-visits = 10000\n\n[[bind]]\nnode = \"c\"\ncommand = [\"/bin/false\"]\n",
    );
    // 20 000 steps with 10 000 commands, journaled: minutes on a busy 2-core machine.
    s.execute(&["--max-steps", "100000"])
        .timeout(std::time::Duration::from_secs(600))
        .assert()
        .code(1)
        .stderr(contains(
            "■ failed: `op` reached 10001 times, more than its max-visits = 10000",
        ));
    let events = s.events();
    assert_eq!(output(&events, "log").len(), 10_000);
    let answered = answers(&events);
    assert_eq!(answered.len(), 10_000);
    assert!(
        answered
            .iter()
            .all(|(_, a, src)| a == "no" && src == "command")
    );
    // The 10 001st visit is refused before it starts.
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::StepStarted { node, .. } if node == "op"))
            .count(),
        10_000
    );
    assert_eq!(
        run_end(&events).message.as_deref(),
        Some("`op` reached 10001 times, more than its max-visits = 10000")
    );
}

#[test]
fn dry_run_stops_where_max_visits_would() {
    let s = Sandbox::with(
        LOOP,
        "[[bind]]\nnode = \"op\"\nlog = \"tick\"\nmax-visits = 1\n",
    );
    s.execute(&["--answer", "c=no,yes"])
        .assert()
        .code(1)
        .stderr(contains(
            "`op` reached 2 times, more than its max-visits = 1",
        ));
    s.execute(&["--dry-run", "--answer", "c=no,yes"])
        .assert()
        .code(0)
        .stdout(contains("plan stops: ").and(contains("max-visits")));
}

#[test]
fn max_steps_defaults_to_10_000() {
    let s = Sandbox::with(LOOP, "[[bind]]\nnode = \"op\"\nlog = \"tick\"\n");
    s.write(
        "answers.toml",
        &format!("c = [{}]\n", vec!["\"no\""; 6000].join(", ")),
    );
    s.execute(&["--answers", "answers.toml"])
        .assert()
        .code(1)
        .stderr(contains(
            "■ failed: stopped after 10000 steps (--max-steps 10000): is there a loop that never ends?",
        ));
    let events = s.events();
    assert_eq!(started(&events).len(), 10_000);
    assert_eq!(run_end(&events).steps, 10_000);
}

// ── what a plugin inherits ───────────────────────────────────────────────

/// flowrun turns transparent huge pages off for itself on small inputs
/// (`src/pages.rs`); a plugin it starts inherits the setting, which must then be
/// the one flowrun was started with.
#[cfg(target_os = "linux")]
#[test]
fn plugins_get_huge_pages_as_flowrun_found_them() {
    use crate::support::{our_thp_line, thp_line};
    let Some(expected) = our_thp_line() else {
        eprintln!("SKIPPED: this kernel's /proc/self/status has no THP_enabled line");
        return;
    };
    let sandbox = Sandbox::with(
        "st=>start: go\na=>operation: Look\ne=>end\nst->a->e\n",
        "[[bind]]\nnode = \"a\"\nrun = [\"grep\", \"THP_enabled\", \"/proc/self/status\"]\n",
    );
    sandbox.execute(&[]).assert().code(0);
    let seen = output(&sandbox.events(), "stdout");
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(thp_line(&seen[0]), Some(expected));
}

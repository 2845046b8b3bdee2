//! Parallel branches: each path of a `parallel` node runs at once as a branch
//! run of the same flow, up to the inferred join, which runs once after all
//! arrive; fail-fast cancels the other branches, complete lets them finish;
//! suspensions, answers, decisions and crashes inside a branch.

use std::time::{Duration, Instant};

use predicates::prelude::*;
use predicates::str::contains;

use crate::exec_support::{Sandbox, assert_gone};

/// st → para → (a | b) → j → e.
const FORK: &str = "st=>start: go\npara=>parallel: Both\na=>operation: Task a\nb=>operation: Task b\nj=>operation: Join\ne=>end\nst->para\npara(path1, bottom)->a->j\npara(path2, right)->b->j\nj->e\n";

/// Each task records when it started and ended (nanoseconds), after `sleep`.
fn timed(sleep: &str) -> String {
    format!(
        "[[bind]]\ntext = \"Task {{word}}\"\nrun = [\"sh\", \"-c\", \"echo $(date +%s%N) > start-$FLOWRUN_PARAM_WORD; sleep {sleep}; echo $(date +%s%N) > end-$FLOWRUN_PARAM_WORD\"]\n\n[[bind]]\nnode = \"j\"\nrun = [\"sh\", \"-c\", \"ls end-a end-b > joined\"]\n"
    )
}

impl Sandbox {
    /// `(id, status, detail)` of every run, from `flowrun runs`.
    fn run_statuses(&self) -> Vec<(String, String, String)> {
        self.runs()
            .iter()
            .map(|v| {
                let field = |k: &str| v[k].as_str().unwrap_or("").to_owned();
                (field("id"), field("status"), field("detail"))
            })
            .collect()
    }

    fn nanos(&self, file: &str) -> u128 {
        self.read(file).unwrap().trim().parse().unwrap()
    }
}

#[test]
fn the_paths_run_at_once_and_the_join_runs_once_after_both() {
    let s = Sandbox::with(FORK, &timed("1"));
    let t = Instant::now();
    s.execute(&[]).assert().code(0);
    let took = t.elapsed();
    // Real overlap: each task started before the other ended.
    assert!(
        s.nanos("start-a") < s.nanos("end-b"),
        "a started after b ended"
    );
    assert!(
        s.nanos("start-b") < s.nanos("end-a"),
        "b started after a ended"
    );
    assert!(
        took < Duration::from_millis(1900),
        "took {took:?}: not concurrent"
    );
    // The join ran once, after both (it lists both end files).
    assert_eq!(s.read("joined").unwrap().lines().count(), 2);
    let ids = s.run_ids();
    assert_eq!(ids.len(), 3, "{ids:?}");
    let top = &ids[0];
    let starts = crate::exec_support::started(&s.journal_events(top));
    assert_eq!(starts, ["st", "para", "j", "e"]);
    // Each branch is a run of its own, from its path to (not including) the join.
    assert_eq!(ids[1], format!("{top}.s2a1.path1"));
    assert_eq!(
        crate::exec_support::started(&s.journal_events(&ids[1])),
        ["a"]
    );
    assert_eq!(
        crate::exec_support::started(&s.journal_events(&ids[2])),
        ["b"]
    );
    assert!(s.run_statuses().iter().all(|(_, st, _)| st == "completed"));
}

/// A failing step whose binding says `on-failure = "fail"` fails its branch; a
/// held step (the default) only holds its own branch while the others go on.
#[test]
fn fail_fast_cancels_a_hanging_branch_and_its_process_group() {
    let s = Sandbox::with(
        FORK,
        "[[bind]]\nnode = \"a\"\nrun = [\"sh\", \"-c\", \"sleep 0.5; echo broken >&2; exit 1\"]\non-failure = \"fail\"\n\n[[bind]]\nnode = \"b\"\nrun = [\"sh\", \"-c\", \"sleep 1000 & echo $! > grandchild.pid; wait\"]\n\n[[bind]]\nnode = \"j\"\nlog = \"joined\"\n",
    );
    let t = Instant::now();
    s.execute(&[])
        .assert()
        .code(3)
        .stderr(contains("branch path1 (run ").and(contains(
            "failed: exit code 1: broken; the other branches were cancelled (fail-fast)",
        )));
    assert!(t.elapsed() < Duration::from_secs(30));
    assert_gone(s.read("grandchild.pid").unwrap().trim());
    let statuses = s.run_statuses();
    assert_eq!(statuses[0].1, "held");
    assert_eq!(statuses[1].1, "failed");
    assert_eq!(statuses[2].1, "aborted");
    assert!(
        statuses[2]
            .2
            .contains("cancelled: a sibling branch failed (fail-fast)"),
        "{statuses:?}"
    );
}

#[test]
fn complete_lets_the_other_branch_finish() {
    let s = Sandbox::with(
        FORK,
        "[[bind]]\nnode = \"para\"\nparallel = \"complete\"\n\n[[bind]]\nnode = \"a\"\nrun = [\"false\"]\non-failure = \"fail\"\n\n[[bind]]\nnode = \"b\"\nrun = [\"sh\", \"-c\", \"sleep 0.5; touch b-done\"]\n\n[[bind]]\nnode = \"j\"\nlog = \"joined\"\n",
    );
    s.execute(&[]).assert().code(3);
    assert!(s.read("b-done").is_some());
    let statuses = s.run_statuses();
    assert_eq!(statuses[2].1, "completed");
    // Retry re-runs only the failed branch: b's run is kept.
    s.write("flow.flowrun.toml", "[[bind]]\nnode = \"para\"\nparallel = \"complete\"\n\n[[bind]]\nnode = \"a\"\nrun = [\"true\"]\n\n[[bind]]\nnode = \"b\"\nrun = [\"sh\", \"-c\", \"echo again >> b-done\"]\n\n[[bind]]\nnode = \"j\"\nlog = \"joined\"\n");
    let top = s.run_ids()[0].clone();
    s.flowrun().args(["retry", &top]).assert().code(0);
    assert_eq!(s.read("b-done").unwrap(), "", "b ran again");
    let ids = s.run_ids();
    assert!(ids.contains(&format!("{top}.s2a2.path1")), "{ids:?}");
    assert!(!ids.contains(&format!("{top}.s2a2.path2")), "{ids:?}");
}

#[test]
fn nested_parallels_and_paths_that_end_on_their_own() {
    let s = Sandbox::with(
        "st=>start: go\nout=>parallel: Outer\nin=>parallel: Inner\nx=>operation: Task x\ny=>operation: Task y\nz=>operation: Task z\nij=>operation: Task inner-join\nj=>operation: Task join\ne=>end\nst->out\nout(path1, bottom)->in\nin(path1, bottom)->x->ij\nin(path2, right)->y->ij\nij->j\nout(path2, right)->z->j\nj->e\n",
        "[[bind]]\ntext = \"Task {}\"\nrun = [\"sh\", \"-c\", \"echo $FLOWRUN_NODE >> ran\"]\n",
    );
    s.execute(&[]).assert().code(0);
    let mut ran: Vec<String> = s.read("ran").unwrap().lines().map(str::to_owned).collect();
    assert_eq!(ran.last().map(String::as_str), Some("j"));
    ran.sort();
    assert_eq!(ran, ["ij", "j", "x", "y", "z"]);
    // Paths that end at their own ends: the run ends when both have.
    let t = Sandbox::with(
        "st=>start: go\np=>parallel: Split\na=>operation: Task a\nb=>operation: Task b\ne1=>end\ne2=>end\nst->p\np(path1, bottom)->a->e1\np(path2, right)->b->e2\n",
        "[[bind]]\ntext = \"Task {}\"\nrun = [\"sh\", \"-c\", \"echo $FLOWRUN_NODE >> ran\"]\n",
    );
    t.execute(&[])
        .assert()
        .code(0)
        .stderr(contains("completed at "));
    assert_eq!(t.read("ran").unwrap().lines().count(), 2);
}

#[test]
fn a_question_in_a_branch_suspends_the_run_and_is_answered_through_it() {
    let s = Sandbox::with(
        "st=>start: go\npara=>parallel: Both\na=>operation: Task a\nc=>condition: Ready?\nj=>operation: Join\ne=>end\nst->para\npara(path1, bottom)->a->j\npara(path2, right)->c\nc(yes)->j\nc(no)->j\nj->e\n",
        "[[bind]]\nnode = \"a\"\nrun = [\"touch\", \"a-done\"]\n\n[[bind]]\nnode = \"c\"\nask = true\n\n[[bind]]\nnode = \"j\"\nlog = \"joined\"\n",
    );
    s.execute(&["--detach"]).assert().code(3);
    assert!(s.read("a-done").is_some(), "the other branch went on");
    let top = s.run_ids()[0].clone();
    assert_eq!(s.run_statuses()[0].1, "answer");
    s.flowrun()
        .args(["answer", &top, "c", "yes", "--reason", "ready"])
        .assert()
        .code(0);
    s.flowrun().args(["resume", &top]).assert().code(0);
    assert!(s.run_statuses().iter().all(|(_, st, _)| st == "completed"));
}

#[test]
fn an_unstructured_parallel_is_refused_before_the_run() {
    let s = Sandbox::with(
        "st=>start: go\nop=>operation: Task a\npara=>parallel: Both\nb=>operation: Task b\ne=>end\nst->op->para\npara(path1, bottom)->b->e\npara(path2, right)->op\n",
        "[[bind]]\ntext = \"Task {word}\"\nrun = [\"touch\", \"ran\"]\n",
    );
    s.execute(&[])
        .assert()
        .code(2)
        .stderr(contains("flowrun::check::parallel_escape"));
    assert!(s.read("ran").is_none());
}

#[test]
fn a_crash_inside_a_branch_resumes_there() {
    let bindings = "[[bind]]\ntext = \"Task {word}\"\nrun = [\"sh\", \"-c\", \"echo $FLOWRUN_NODE >> ran\"]\nidempotent = true\n\n[[bind]]\nnode = \"j\"\nrun = [\"sh\", \"-c\", \"echo j >> ran\"]\nidempotent = true\n";
    let clean = Sandbox::with(FORK, bindings);
    clean.execute(&[]).assert().code(0);
    let total: usize = clean
        .run_ids()
        .iter()
        .map(|id| clean.journal_events(id).len())
        .sum();
    for k in 1..=total {
        let s = Sandbox::with(FORK, bindings);
        let out = s
            .execute(&[])
            .env("FLOWRUN_CRASH_AFTER", k.to_string())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), None, "record {k}: not killed");
        let top = s.run_ids()[0].clone();
        s.flowrun().args(["resume", &top]).assert().code(0);
        assert!(
            s.run_statuses().iter().all(|(_, st, _)| st == "completed"),
            "record {k}: {:?}",
            s.run_statuses()
        );
        // Idempotent steps may repeat once after a kill; none is lost, the join runs last.
        let ran = s.read("ran").unwrap();
        for task in ["a", "b", "j"] {
            let n = ran.lines().filter(|l| *l == task).count();
            assert!(
                (1..=2).contains(&n),
                "record {k}: {task} ran {n} times: {ran}"
            );
        }
        assert_eq!(ran.lines().last(), Some("j"), "record {k}: {ran}");
    }
}

#[test]
fn complete_can_be_chosen_for_the_run() {
    let s = Sandbox::with(
        FORK,
        "[[bind]]\nnode = \"a\"\nrun = [\"false\"]\non-failure = \"fail\"\n\n[[bind]]\nnode = \"b\"\nrun = [\"sh\", \"-c\", \"sleep 0.5; touch b-done\"]\n\n[[bind]]\nnode = \"j\"\nlog = \"joined\"\n",
    );
    s.execute(&["--parallel", "complete"]).assert().code(3);
    assert!(s.read("b-done").is_some(), "b was cancelled");
    s.execute(&["--parallel", "sometimes"])
        .assert()
        .code(2)
        .stderr(contains("expected `fail-fast` or `complete`"));
}

#[test]
fn render_run_draws_each_branch() {
    let s = Sandbox::with(
        "st=>start: go\npara=>parallel: Both\na=>operation: Task a\nc=>condition: Ready?\nj=>operation: Join\ne=>end\nst->para\npara(path1, bottom)->a->j\npara(path2, right)->c\nc(yes)->j\nc(no)->j\nj->e\n",
        "[[bind]]\nnode = \"a\"\nrun = [\"true\"]\n\n[[bind]]\nnode = \"c\"\nask = true\n\n[[bind]]\nnode = \"j\"\nlog = \"joined\"\n",
    );
    s.execute(&["--detach"]).assert().code(3);
    let top = s.run_ids()[0].clone();
    let text = s.stdout_of(&[
        "render",
        "flow.flow",
        "--format",
        "flowchartjs",
        "--run",
        &top,
    ]);
    // Branch 1 arrived at the join; branch 2 waits at its question; the join has not run.
    assert!(text.contains("a=>operation: Task a|past"), "{text}");
    assert!(text.contains("c=>condition: Ready?|current"), "{text}");
    assert!(text.contains("j=>operation: Join|future"), "{text}");
    let dot = s.stdout_of(&["render", "flow.flow", "--format", "dot", "--run", &top]);
    assert!(
        dot.contains("\"para\" -> \"a\" [tailport=s, color=black, penwidth=3]"),
        "{dot}"
    );
    assert!(
        dot.contains("\"a\" -> \"j\" [color=black, penwidth=3]"),
        "{dot}"
    );
}

#[test]
fn the_dry_run_plans_the_branches_and_the_join() {
    let s = Sandbox::with(FORK, &timed("1"));
    s.execute(&["--dry-run"]).assert().code(0).stdout(
        contains("run path1 from `a` and path2 from `b` at once as branch runs, then `j`")
            .and(contains("ends at `e`")),
    );
    assert!(s.read("start-a").is_none());
}

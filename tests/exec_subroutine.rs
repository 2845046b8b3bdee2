//! Subroutines: a `subroutine` node runs another flow as a child run, chosen by
//! its binding's `flow` or its `:>` link; the child's outcome is the step's,
//! suspensions and operator decisions cascade, recursion is refused.

use flowrun::exec::Event;
use predicates::prelude::*;
use predicates::str::contains;

use crate::exec_support::Sandbox;

/// start → sub (a subroutine) → end.
const PARENT: &str = "st=>start: go\nsub=>subroutine: Season EDNA in UK\ne=>end\nst->sub->e\n";

const PARENT_BINDINGS: &str =
    "[[bind]]\ntext = \"Season {word} in {word}\"\nflow = \"child.flow\"\n";

/// start → op → end, in `child.flow`.
const CHILD: &str = "st=>start: child\nop=>operation: Record the inputs\ne=>end\nst->op->e\n";

fn sandbox(child_bindings: &str) -> Sandbox {
    let s = Sandbox::with(PARENT, PARENT_BINDINGS);
    s.write("child.flow", CHILD);
    s.write("child.flowrun.toml", child_bindings);
    s
}

const RECORD: &str = "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"echo \\\"$FLOWRUN_PARAM_WORD $FLOWRUN_PARAM_WORD_2\\\" >> child.log\"]\n";

impl Sandbox {
    /// `(id, status)` of every run, from `flowrun runs`.
    fn statuses(&self) -> Vec<(String, String)> {
        self.runs()
            .iter()
            .map(|v| {
                (
                    v["id"].as_str().unwrap().to_owned(),
                    v["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }
}

#[test]
fn a_subroutine_runs_its_flow_as_a_child_run_with_its_inputs() {
    let s = sandbox(RECORD);
    s.execute(&[])
        .assert()
        .code(0)
        .stderr(contains("↳ child run ").and(contains("    ┊   ✓ op ")));
    // The child's action ran in the child's folder with the parent's captured parameters.
    assert_eq!(s.read("child.log").unwrap(), "EDNA UK\n");
    let ids = s.run_ids();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let (parent, child) = (&ids[0], &ids[1]);
    assert_eq!(child, &format!("{parent}.s2a1"));
    // The parent journals the child's id before the child starts; the child names its parent.
    assert!(s.journal_events(parent).iter().any(|e| matches!(e,
        Event::ChildStarted { node, child: c, flow, .. } if node == "sub" && c == child && flow == "child.flow")));
    match &s.journal_events(child)[0] {
        Event::RunStarted { origin, .. } => {
            assert_eq!(origin.parent.as_deref(), Some(parent.as_str()));
        }
        other => panic!("{other:?}"),
    }
    assert!(s.statuses().iter().all(|(_, st)| st == "completed"));
}

#[test]
fn a_subroutine_link_names_its_flow() {
    let s = Sandbox::with(
        "st=>start: go\nsub=>subroutine: Season:>child.flow\ne=>end\nst->sub->e\n",
        "",
    );
    s.write("child.flow", CHILD);
    s.write(
        "child.flowrun.toml",
        "[[bind]]\nnode = \"op\"\nrun = [\"touch\", \"ran\"]\n",
    );
    s.execute(&[]).assert().code(0);
    assert!(s.read("ran").is_some());
}

#[test]
fn a_flow_binding_only_fits_a_subroutine() {
    let s = Sandbox::with(
        "st=>start: go\nop=>operation: Season EDNA in UK\ne=>end\nst->op->e\n",
        PARENT_BINDINGS,
    );
    s.execute(&[]).assert().code(2).stderr(
        contains("`op` is a operation, but its binding's action is `flow`")
            .or(contains("bind it to a subroutine node")),
    );
}

#[test]
fn a_failed_child_holds_the_parent_and_retry_starts_a_new_child() {
    let s = sandbox(
        "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"test -f ok\"]\non-failure = \"fail\"\n",
    );
    s.execute(&[]).assert().code(3).stderr(
        contains("`sub` failed and is held: child run ").and(contains("failed: exit code 1")),
    );
    let parent = s.run_ids()[0].clone();
    s.write("ok", "");
    s.flowrun().args(["retry", &parent]).assert().code(0);
    let ids = s.run_ids();
    assert_eq!(
        ids,
        [
            parent.clone(),
            format!("{parent}.s2a1"),
            format!("{parent}.s2a2")
        ]
    );
    let statuses = s.statuses();
    assert_eq!(statuses[1].1, "failed");
    assert_eq!(statuses[2].1, "completed");
}

#[test]
fn a_question_inside_a_child_suspends_the_parent_and_is_answered_through_it() {
    let s = Sandbox::with(PARENT, PARENT_BINDINGS);
    s.write(
        "child.flow",
        "st=>start: child\nc=>condition: Seasoned enough?\ne=>end\nst->c\nc(yes)->e\nc(no)->e\n",
    );
    s.write("child.flowrun.toml", "[[bind]]\nnode = \"c\"\nask = true\n");
    s.execute(&["--detach"])
        .assert()
        .code(3)
        .stderr(contains("in child run "));
    let parent = s.run_ids()[0].clone();
    assert_eq!(s.statuses()[0].1, "answer");
    // Answered through the parent: the question is the child's.
    s.flowrun()
        .args([
            "answer",
            &parent,
            "c",
            "yes",
            "--reason",
            "looks good",
            "--by",
            "dana",
        ])
        .assert()
        .code(0)
        .stderr(contains(format!("continue: flowrun resume {parent}")));
    s.flowrun().args(["resume", &parent]).assert().code(0);
    let child = format!("{parent}.s2a1");
    assert!(s.journal_events(&child).iter().any(|e| matches!(e,
        Event::Answered { node, answer, by: Some(by), .. } if node == "c" && answer == "yes" && by == "dana")));
    assert!(s.statuses().iter().all(|(_, st)| st == "completed"));
}

#[test]
fn a_held_step_inside_a_child_is_retried_or_skipped_through_the_parent() {
    let s = sandbox(
        "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"echo x >> tries; test -f ok\"]\n",
    );
    s.execute(&[])
        .assert()
        .code(3)
        .stderr(contains("in child run "));
    let parent = s.run_ids()[0].clone();
    s.write("ok", "");
    s.flowrun()
        .args(["retry", &parent, "--reason", "fixed"])
        .assert()
        .code(0);
    assert_eq!(s.read("tries").unwrap().lines().count(), 2);
    // One child: the decision was the child's, not a new attempt of the subroutine.
    assert_eq!(s.run_ids().len(), 2);
    let child = format!("{parent}.s2a1");
    assert!(s.journal_events(&child).iter().any(|e| matches!(e,
        Event::Decided { decision, .. } if decision == "retry")));
}

#[test]
fn abort_cascades_to_the_child_run() {
    let s = sandbox("[[bind]]\nnode = \"op\"\nrun = [\"false\"]\n");
    s.execute(&[]).assert().code(3);
    let parent = s.run_ids()[0].clone();
    s.flowrun().args(["abort", &parent]).assert().code(0);
    let statuses = s.statuses();
    assert_eq!(statuses.len(), 2);
    assert!(
        statuses.iter().all(|(_, st)| st == "aborted"),
        "{statuses:?}"
    );
}

#[test]
fn recursion_is_refused_before_anything_runs() {
    let s = Sandbox::with(
        "st=>start: a\nop=>operation: Side effect\nsub=>subroutine: Call b:>b.flow\ne=>end\nst->op->sub->e\n",
        "[[bind]]\nnode = \"op\"\nrun = [\"touch\", \"ran\"]\n",
    );
    s.write(
        "b.flow",
        "st=>start: b\nsub=>subroutine: Call a:>flow.flow\ne=>end\nst->sub->e\n",
    );
    s.execute(&[]).assert().code(2).stderr(
        contains("subroutine `sub` makes the flows call each other forever: ")
            .and(contains("flow.flow#1 → ").and(contains("b.flow#1 → "))),
    );
    assert!(s.read("ran").is_none());
    assert!(s.run_ids().is_empty());
}

#[test]
fn a_child_flow_with_errors_fails_the_step_with_a_clear_message() {
    let s = sandbox(RECORD);
    s.write("child.flow", "st=>start: child\nst->nowhere\n");
    s.execute(&["--on-failure", "fail"])
        .assert()
        .code(1)
        .stderr(contains(
            "the child flow child.flow has errors (see `flowrun check",
        ));
}

#[test]
fn a_crash_inside_the_child_resumes_inside_the_child() {
    let s = sandbox(
        "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"echo x >> child.log\"]\nidempotent = true\n",
    );
    s.execute(&[]).assert().code(0);
    let clean: usize = s
        .run_ids()
        .iter()
        .map(|id| s.journal_events(id).len())
        .sum();
    for k in 1..=clean as u64 {
        let t = sandbox(
            "[[bind]]\nnode = \"op\"\nrun = [\"sh\", \"-c\", \"echo x >> child.log\"]\nidempotent = true\n",
        );
        let out = t
            .execute(&[])
            .env("FLOWRUN_CRASH_AFTER", k.to_string())
            .output()
            .unwrap();
        if out.status.code().is_some() {
            // The last record: the run had finished.
            assert_eq!(k, clean as u64, "{}", String::from_utf8_lossy(&out.stderr));
            continue;
        }
        let parent = t.run_ids()[0].clone();
        t.flowrun().args(["resume", &parent]).assert().code(0);
        assert!(
            t.statuses().iter().all(|(_, st)| st == "completed"),
            "after record {k}"
        );
        // Idempotent: it may have run twice if killed between its start and its end; never zero times.
        let runs = t.read("child.log").map_or(0, |l| l.lines().count());
        assert!((1..=2).contains(&runs), "after record {k}: {runs}");
    }
}

#[test]
fn render_run_names_the_child_run() {
    let s = sandbox(RECORD);
    s.execute(&[]).assert().code(0);
    let ids = s.run_ids();
    let out = s
        .flowrun()
        .args(["render", "flow.flow", "--format", "dot", "--run", &ids[0]])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let dot = String::from_utf8(out).unwrap();
    assert!(
        dot.contains(&format!(
            "completed at `e` · child run {}: completed",
            ids[1]
        )),
        "{dot}"
    );
}

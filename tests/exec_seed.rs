//! The seed runbooks (`workflows/`) executed end to end with the demo plugins on
//! the virtual clock, and their `--dry-run` plans.
//!
//! Each test keeps the plugins' state (`deploys.log`, `regions/`, the scratch git
//! repository) in its own temporary `FLOWRUN_DEMO_STATE`.

use std::path::Path;
use std::time::{Duration, Instant};

use predicates::prelude::*;

use crate::exec_support::{answers, flowrun, read_events, run_end, run_start, started, workflow};

/// Flow 1: the seasoning loop answers no, no, yes (3 days per round, 7 needed).
const FLOW_1_PATH: [&str; 12] = [
    "st", "find", "fix", "dmuk", "season", "seasoned", "season", "seasoned", "season", "seasoned",
    "dmus", "e",
];

/// Flow 2: hotfix branch to the US, wait for Friday, then the same loop.
const FLOW_2_PATH: [&str; 15] = [
    "st", "find", "fix", "delta", "dmusr", "wait", "dmuk", "season", "seasoned", "season",
    "seasoned", "season", "seasoned", "dmus", "e",
];

/// A run of a seed flow: its events and the plugins' state folder.
struct SeedRun {
    state: tempfile::TempDir,
    events: Vec<flowrun::exec::Event>,
    took: Duration,
}

impl SeedRun {
    fn state(&self) -> &Path {
        self.state.path()
    }

    /// `deploys.log` as `(time, release, region)`.
    fn deploys(&self) -> Vec<(jiff::Timestamp, String, String)> {
        std::fs::read_to_string(self.state().join("deploys.log"))
            .unwrap()
            .lines()
            .map(|l| {
                // `2026-11-26T14:58:55.015000+00:00 deploy EDNA UK run=…`
                let f: Vec<&str> = l.split(' ').collect();
                assert_eq!(f[1], "deploy", "{l}");
                (f[0].parse().unwrap(), f[2].to_owned(), f[3].to_owned())
            })
            .collect()
    }

    fn git(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(self.state().join("repo"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }
}

/// `flowrun execute FILE ARGS… --events …` with a fresh state folder; must exit 0.
fn execute_seed(file: &str, args: &[&str]) -> SeedRun {
    let state = tempfile::tempdir().unwrap();
    let events = state.path().join("events.jsonl");
    let t = Instant::now();
    flowrun()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("FLOWRUN_DEMO_STATE", state.path())
        .arg("execute")
        .arg(workflow(file))
        .args(args)
        .arg("--events")
        .arg(&events)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("■ completed at `e`"));
    let took = t.elapsed();
    let events = read_events(&events);
    SeedRun {
        state,
        events,
        took,
    }
}

fn assert_flow_1(run: &SeedRun) {
    assert_eq!(started(&run.events), FLOW_1_PATH);
    let end = run_end(&run.events);
    assert_eq!(end.status, "completed");
    assert_eq!(end.end.as_deref(), Some("e"));
    assert_eq!(end.path, FLOW_1_PATH);
    assert_eq!(end.steps, 12);
    let seasoned: Vec<_> = answers(&run.events)
        .into_iter()
        .map(|(node, answer, source)| format!("{node}={answer} ({source})"))
        .collect();
    assert_eq!(
        seasoned,
        [
            "seasoned=no (command)",
            "seasoned=no (command)",
            "seasoned=yes (command)"
        ]
    );

    // Each deploy exactly once, nine run-clock days apart (three seasons of 3 days).
    let deploys = run.deploys();
    let what: Vec<_> = deploys
        .iter()
        .map(|(_, rel, region)| format!("{rel} {region}"))
        .collect();
    assert_eq!(what, ["EDNA UK", "EDNA US"]);
    let apart = deploys[1].0.duration_since(deploys[0].0);
    assert!(
        apart >= jiff::SignedDuration::from_hours(9 * 24),
        "US deploy only {apart:?} after UK"
    );
    // The fix is on master in the scratch repository.
    assert!(
        run.git(&["log", "-1", "--format=%s", "master"])
            .contains("Fix the production bug (master is EDNA)")
    );
    assert_days_passed_in_seconds(run, 9);
}

/// The run clock advanced by at least `days` while the run took seconds.
fn assert_days_passed_in_seconds(run: &SeedRun, days: i64) {
    let run_clock = run_end(&run.events)
        .at
        .duration_since(run_start(&run.events));
    assert!(
        run_clock >= jiff::SignedDuration::from_hours(days * 24),
        "the run clock advanced only {run_clock:?}"
    );
    assert!(
        run.took < Duration::from_secs(60),
        "the run took {:?} of real time",
        run.took
    );
}

#[test]
fn markdown_flow_1_deploys_uk_seasons_then_us() {
    let run = execute_seed("prod-deployment.md", &["--flow", "1", "--clock", "virtual"]);
    assert_flow_1(&run);
}

#[test]
fn flow_file_uk_bug_fix_runs_like_markdown_flow_1() {
    let run = execute_seed("uk-bug-fix.flow", &["--clock", "virtual"]);
    assert_flow_1(&run);
}

fn assert_flow_2(run: &SeedRun) {
    assert_eq!(started(&run.events), FLOW_2_PATH);
    let end = run_end(&run.events);
    assert_eq!(end.status, "completed");
    assert_eq!(end.path, FLOW_2_PATH);
    let seasoned: Vec<_> = answers(&run.events)
        .into_iter()
        .map(|(_, answer, _)| answer)
        .collect();
    assert_eq!(seasoned, ["no", "no", "yes"]);

    let deploys = run.deploys();
    let what: Vec<_> = deploys
        .iter()
        .map(|(_, rel, region)| format!("{rel} {region}"))
        .collect();
    assert_eq!(what, ["us-release US", "BERTHA UK", "BERTHA US"]);
    // "Wait until Friday": the UK deploy happens on a Friday at 09:00 in London.
    let uk = deploys[1].0.in_tz("Europe/London").unwrap();
    assert_eq!(uk.weekday(), jiff::civil::Weekday::Friday, "{uk}");
    assert_eq!((uk.hour(), uk.minute()), (9, 0), "{uk}");
    assert!(deploys[2].0.duration_since(deploys[1].0) >= jiff::SignedDuration::from_hours(9 * 24));

    // us-release = the ALICIA tag + the fix from master, cherry-picked (-x).
    let fix = run.git(&["log", "-1", "--format=%H", "master", "--", "fixes"]);
    assert!(!fix.is_empty());
    assert_eq!(
        run.git(&["rev-parse", "us-release^"]),
        run.git(&["rev-parse", "ALICIA^{commit}"])
    );
    let message = run.git(&["log", "-1", "--format=%B", "us-release"]);
    assert!(
        message.contains(&format!("(cherry picked from commit {fix})")),
        "{message}"
    );
    assert!(
        run.git(&["show", "us-release:fixes/fix-1.txt"])
            .contains("master is BERTHA")
    );
    assert_eq!(run.git(&["show", "us-release:RELEASE"]), "ALICIA");
    assert_eq!(run.git(&["rev-parse", "--abbrev-ref", "HEAD"]), "master");
    assert_days_passed_in_seconds(run, 9);
}

#[test]
fn markdown_flow_2_cherry_picks_to_us_release() {
    let run = execute_seed("prod-deployment.md", &["--flow", "2", "--clock", "virtual"]);
    assert_flow_2(&run);
}

#[test]
fn flow_file_us_hotfix_from_a_thursday() {
    // Thursday noon: "Wait until Friday" waits for the next morning, 21 hours.
    let run = execute_seed(
        "us-hotfix.flow",
        &["--clock", "virtual:2026-11-26T12:00:00Z"],
    );
    assert_flow_2(&run);
    // Deployed right after the wait: the virtual clock runs at real speed between waits.
    let friday: jiff::Timestamp = "2026-11-27T09:00:00Z".parse().unwrap();
    let after = run.deploys()[1].0.duration_since(friday);
    assert!(
        !after.is_negative() && after < jiff::SignedDuration::from_secs(1),
        "deployed {after} after Friday 09:00"
    );
    let waited = run
        .events
        .iter()
        .find_map(|e| match e {
            flowrun::exec::Event::Waited { until, .. } => Some(until.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(waited, "2026-11-27T09:00:00.000Z");
}

// ── --dry-run ────────────────────────────────────────────────────────────

/// `execute --dry-run` of a seed flow with an empty state folder that must stay empty.
fn dry_run(file: &str, args: &[&str]) -> String {
    let state = tempfile::tempdir().unwrap();
    let out = flowrun()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("FLOWRUN_DEMO_STATE", state.path())
        .arg("execute")
        .arg(workflow(file))
        .args(["--dry-run", "--clock", "virtual"])
        .args(args)
        .assert()
        .code(0)
        .get_output()
        .clone();
    let entries: Vec<_> = std::fs::read_dir(state.path()).unwrap().collect();
    assert!(entries.is_empty(), "a dry run wrote {entries:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn dry_run_prints_the_plan_and_stops_at_the_condition() {
    let out = dry_run("prod-deployment.md", &["--flow", "1"]);
    let expected = r#"   1. st         [start] DARLENE is in UK
        nothing to do
   2. find       [operation] Find bug in DARLENE on UK (Note, bug does not exist in CHARLIE)
        run ["./plugins/note.py" "found a bug in DARLENE on UK; CHARLIE is fine"]
   3. fix        [operation] Fix bug in master, currently EDNA.
        run ["./plugins/git_fix.py" "EDNA"]
   4. dmuk       [operation] Deploy EDNA to UK
        run ["./plugins/deploy.py" "EDNA" "UK"]
   5. season     [operation] Season EDNA in UK
        wait "#;
    assert!(out.contains(expected), "{out}");
    assert!(
        out.contains(
            "   6. seasoned   [condition] Seasoned enough?\n        answer from command [\"./plugins/seasoned.py\" \"UK\" \"7\"]\n"
        ),
        "{out}"
    );
    assert!(
        out.ends_with(
            "plan stops: `seasoned` is answered at run time; pass --answer seasoned=yes|no,... to plan past it\n"
        ),
        "{out}"
    );
    assert!(!out.contains("dmus "), "{out}");
}

#[test]
fn dry_run_follows_scripted_answers_to_the_end() {
    let out = dry_run(
        "prod-deployment.md",
        &["--flow", "1", "--answer", "seasoned=no,yes"],
    );
    let steps: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_once(". ").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    assert_eq!(
        steps,
        [
            "st", "find", "fix", "dmuk", "season", "seasoned", "season", "seasoned", "dmus", "e"
        ],
        "{out}"
    );
    assert!(out.contains("scripted answer: no\n"), "{out}");
    assert!(out.contains("scripted answer: yes\n"), "{out}");
    assert!(
        out.contains("   9. dmus       [operation] Deploy EDNA to US\n        run [\"./plugins/deploy.py\" \"EDNA\" \"US\"]\n"),
        "{out}"
    );
    assert!(out.ends_with("ends at `e` after 10 steps\n"), "{out}");
}

#[test]
fn dry_run_of_the_hotfix_shows_the_cherry_pick_argv() {
    let out = dry_run("us-hotfix.flow", &["--answer", "seasoned=yes"]);
    assert!(
        out.contains("run [\"./plugins/cherry_pick.py\" \"us-release\" \"ALICIA\"]"),
        "{out}"
    );
    assert!(
        out.contains("run [\"./plugins/deploy.py\" \"us-release\" \"US\"]"),
        "{out}"
    );
    assert!(
        out.contains("wait until the next matching time in Europe/London"),
        "{out}"
    );
    assert!(out.ends_with("ends at `e` after 11 steps\n"), "{out}");
}

#[test]
fn dry_run_reports_running_out_of_scripted_answers() {
    let out = dry_run("uk-bug-fix.flow", &["--answer", "seasoned=no"]);
    assert!(
        out.ends_with("plan stops: ran out of scripted answers for `seasoned`\n"),
        "{out}"
    );
}

#[test]
fn a_markdown_flow_is_chosen_by_heading() {
    let out = dry_run(
        "prod-deployment.md",
        &["--flow", "good for a week", "--answer", "seasoned=yes"],
    );
    assert!(
        out.starts_with("plan for workflows/prod-deployment.md#2 (nothing runs):\n")
            || out.contains("prod-deployment.md#2 (nothing runs):\n"),
        "{out}"
    );
    assert!(
        out.contains("  4. delta      [operation] Create us-release"),
        "{out}"
    );
}

/// Regression: flow 1's fix left a file on master that flow 2's cherry-pick onto
/// ALICIA then conflicted with. Both runbooks, one after the other, in one state folder.
#[test]
fn both_flows_in_one_state_folder() {
    let state = tempfile::tempdir().unwrap();
    for (flow, clock) in [
        ("1", "virtual"),
        ("2", "virtual:2026-11-23T10:00:00Z"),
        ("2", "virtual:2026-11-30T10:00:00Z"),
    ] {
        flowrun()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("FLOWRUN_DEMO_STATE", state.path())
            .arg("execute")
            .arg(workflow("prod-deployment.md"))
            .args(["--flow", flow, "--clock", clock])
            .assert()
            .code(0);
    }
    let log = std::fs::read_to_string(state.path().join("deploys.log")).unwrap();
    assert_eq!(log.lines().count(), 2 + 3 + 3, "{log}");
}

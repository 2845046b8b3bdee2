//! Parallel branches: a `parallel` node runs each of its paths as a child run
//! of the same flow, on its own thread, from the path's first node to the
//! inferred join (`graph::join`); the join runs once, after every branch
//! arrived. A branch that fails cancels the others (`fail-fast`, the default:
//! their running actions' whole process groups are stopped and the branch
//! runs are recorded as cancelled) or lets them finish (`complete`).
//!
//! Branches are child runs, so each has its own journal: a crash, a
//! suspension or an operator's decision inside a branch is handled there,
//! and resuming the parent resumes every branch that has not finished.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::exec::child::{ChildCall, ChildOutcome, Children};
use crate::exec::clock::Clock;
use crate::exec::prompt::{Prompter, SharedPrompter};

/// What a failed branch does to its siblings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BranchFailure {
    /// Cancel the other branches' running actions (their process groups).
    FailFast,
    /// Let the other branches finish.
    Complete,
}

impl BranchFailure {
    /// `fail-fast` or `complete`.
    pub fn name(self) -> &'static str {
        match self {
            BranchFailure::FailFast => "fail-fast",
            BranchFailure::Complete => "complete",
        }
    }

    /// `fail-fast` or `complete`.
    pub fn parse(s: &str) -> Option<BranchFailure> {
        match s {
            "fail-fast" | "fail_fast" => Some(BranchFailure::FailFast),
            "complete" => Some(BranchFailure::Complete),
            _ => None,
        }
    }
}

/// One branch to run: its path, first node and child run id.
#[derive(Clone, Debug)]
pub struct Branch {
    /// `path1`..`path3`.
    pub path: &'static str,
    /// The key of its first node.
    pub start: String,
    /// Its child run's id.
    pub child: String,
}

/// How the branches ended.
#[derive(Debug)]
pub struct Joined {
    /// Each branch's outcome, in path order.
    pub outcomes: Vec<ChildOutcome>,
    /// Whether a sibling's failure cancelled branches (`fail-fast`).
    pub cancelled: bool,
}

/// What every branch shares with the parent run.
pub struct Fork<'a, 'p> {
    /// The parent run's id.
    pub parent: &'a str,
    /// The parallel node's step.
    pub step: u64,
    /// The parallel node's key.
    pub node: &'a str,
    /// Where the paths meet (`None`: each ends at its own end).
    pub join: Option<&'a str>,
    /// The failure policy.
    pub policy: BranchFailure,
    /// Starts child runs (forked for each branch's thread).
    pub children: &'a mut dyn Children,
    /// The parent's clock: each branch gets a copy; afterwards the parent's is
    /// the latest of theirs (on the virtual clock, the longest branch's waits).
    pub clock: &'a mut Clock,
    /// The person, asked by one branch at a time.
    pub prompter: &'a mut (dyn Prompter + 'p),
    /// Ctrl-C.
    pub interrupted: &'a AtomicBool,
}

/// Runs the branches at once and waits for all of them.
pub fn run_branches(fork: Fork<'_, '_>, branches: &[Branch]) -> Joined {
    let Fork {
        parent,
        step,
        node,
        join,
        policy,
        children,
        clock,
        prompter,
        interrupted,
    } = fork;
    let cancel = AtomicBool::new(false);
    let cancelled_by_failure = AtomicBool::new(false);
    let done = AtomicUsize::new(0);
    let prompter: Mutex<&mut dyn Prompter> = Mutex::new(prompter);
    let start_clock = clock.clone();
    let runners: Vec<Box<dyn Children + '_>> = branches.iter().map(|_| children.fork()).collect();
    let results: Vec<(ChildOutcome, Clock)> = std::thread::scope(|scope| {
        let handles: Vec<_> = branches
            .iter()
            .zip(runners)
            .map(|(b, mut runner)| {
                let mut clock = start_clock.clone();
                let (cancel, cancelled_by_failure, done, prompter) =
                    (&cancel, &cancelled_by_failure, &done, &prompter);
                scope.spawn(move || {
                    let call = ChildCall {
                        parent,
                        step,
                        node,
                        flow: "",
                        inputs: &[],
                        child: &b.child,
                        start_at: Some(&b.start),
                        stop_at: join,
                    };
                    let mut shared = SharedPrompter(prompter);
                    let out = runner.run(&call, &mut clock, &mut shared, cancel);
                    if policy == BranchFailure::FailFast && matches!(out, ChildOutcome::Failed(_)) {
                        cancelled_by_failure.store(true, Ordering::SeqCst);
                        cancel.store(true, Ordering::SeqCst);
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                    (out, clock)
                })
            })
            .collect();
        // Ctrl-C reaches every branch through their shared flag.
        while done.load(Ordering::SeqCst) < branches.len() {
            if interrupted.load(Ordering::SeqCst) {
                cancel.store(true, Ordering::SeqCst);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    (
                        ChildOutcome::Failed("the branch's thread panicked".to_owned()),
                        start_clock.clone(),
                    )
                })
            })
            .collect()
    });
    // The parent's clock goes on from the latest branch.
    if let Clock::Virtual { offset } = clock {
        for (_, c) in &results {
            if let Clock::Virtual { offset: o } = c {
                if o > offset {
                    *offset = *o;
                }
            }
        }
    }
    let cancelled = cancelled_by_failure.load(Ordering::SeqCst);
    let outcomes: Vec<ChildOutcome> = results.into_iter().map(|(o, _)| o).collect();
    if cancelled {
        // Recorded as cancelled, not as interrupted: nobody pressed Ctrl-C.
        for (b, o) in branches.iter().zip(&outcomes) {
            if matches!(o, ChildOutcome::Interrupted) {
                children.cancel(&b.child, "cancelled: a sibling branch failed (fail-fast)");
            }
        }
    }
    Joined {
        outcomes,
        cancelled,
    }
}

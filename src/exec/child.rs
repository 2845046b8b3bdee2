//! Subroutines: a `subroutine` node runs another flow as a child run.
//!
//! The engine only knows that a child run has an id, is started once (its id
//! is journaled in the parent before it starts) and ends like a run does:
//! completed, failed, suspended or interrupted. Finding the child flow,
//! its bindings, its folder and journal is the caller's job ([`Children`]),
//! so the library stays free of file system policy.

use std::sync::atomic::AtomicBool;

use crate::exec::clock::Clock;
use crate::exec::prompt::Prompter;

/// A child run to start, or to continue after a suspension or a crash.
#[derive(Clone, Debug)]
pub struct ChildCall<'a> {
    /// The parent run's id.
    pub parent: &'a str,
    /// The parent's step.
    pub step: u64,
    /// The subroutine node's key.
    pub node: &'a str,
    /// The child flow as the binding or link names it.
    pub flow: &'a str,
    /// Parameters captured from the subroutine's text: the child's actions
    /// get them as `FLOWRUN_PARAM_<NAME>`.
    pub inputs: &'a [(String, String)],
    /// The child run's id.
    pub child: &'a str,
    /// A parallel branch: the child runs the parent's own flow from this node…
    pub start_at: Option<&'a str>,
    /// …until it reaches this one (the join), which it does not run.
    pub stop_at: Option<&'a str>,
}

/// How a child run ended (this time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChildOutcome {
    /// It reached an end.
    Completed,
    /// It failed, or could not start (unreadable flow, recursion).
    Failed(String),
    /// It suspended: the parent suspends with it.
    Suspended {
        /// `waiting`, `answer`, `held`.
        reason: String,
        /// What it waits for.
        message: String,
    },
    /// Ctrl-C.
    Interrupted,
}

/// Starts or continues child runs.
pub trait Children: Send {
    /// Another runner like this one, for a parallel branch's thread.
    fn fork(&self) -> Box<dyn Children + '_>;

    /// Records a child run that stopped because a sibling branch failed as
    /// cancelled (it will not run again).
    fn cancel(&mut self, child: &str, why: &str);

    /// How a child run stands now, if it was started.
    fn outcome(&self, child: &str) -> Option<ChildOutcome>;

    /// Runs the child (a new one, or the one with this id continued) until it
    /// ends or suspends. The clock, the person and Ctrl-C are the parent's.
    fn run(
        &mut self,
        call: &ChildCall<'_>,
        clock: &mut Clock,
        prompter: &mut dyn Prompter,
        interrupted: &AtomicBool,
    ) -> ChildOutcome;
}

/// The id of the child run a subroutine step starts on its `attempt`.
pub fn child_id(parent: &str, step: u64, attempt: u32) -> String {
    format!("{parent}.s{step}a{attempt}")
}

//! The engine: walks a flow from its start (or from where a journaled run
//! stopped) to an end, one step at a time, emitting an event for everything
//! it does.
//!
//! start → next; operation-like nodes run their action → next; a condition
//! gets `yes` or `no` → that branch; end → done. A node with no way on is a
//! run error, never a hang; `max_steps` and per-binding `max_visits` stop
//! runaway loops. A run can also stop on purpose (suspend): a timer longer
//! than `--detach` allows, a question nobody is there to answer, a failed
//! step that is held for an operator, a step whose end was never recorded.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};

use crate::exec::bindings::{Action, Binding, Bindings, OnFailure};
use crate::exec::child::{ChildCall, ChildOutcome, Children, child_id};
use crate::exec::clock::{Clock, rfc3339};
use crate::exec::event::{Event, EventSink, Origin, Settings};
use crate::exec::parallel::{Branch, BranchFailure, Fork, run_branches};
use crate::exec::plan::{Plan, Resolution, fill, linked_flow, match_text, resolve_placeholder};
use crate::exec::process::{self, Ended, Spec};
use crate::exec::prompt::{Answer, PromptError, Prompter, Scripted};
use crate::exec::state::{Pending, Position, RunState};
use crate::graph::join::{ParallelShape, parallel_shapes};
use crate::graph::{Flow, NodeId, NodeKind, ParseGraph};

/// What to do with a node that has no binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unbound {
    /// Ask a person (a checklist).
    Ask,
    /// Treat it as done.
    Skip,
    /// Stop the run.
    Fail,
}

/// Whether someone can answer a question now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum People {
    /// Ask on the prompter (a terminal, or a pipe feeding answers).
    Prompt,
    /// Nobody is there: suspend until `flowrun answer`.
    Suspend,
}

/// Settings of one run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The run's id.
    pub run_id: String,
    /// The flow's name (file, `#N`).
    pub flow_name: String,
    /// Where the flow came from (journaled for resume).
    pub origin: Origin,
    /// Where actions run (the flow file's folder).
    pub cwd: PathBuf,
    /// Unbound nodes.
    pub unbound: Unbound,
    /// Stop after this many steps.
    pub max_steps: u64,
    /// Output lines kept per stream per step.
    pub keep_lines: usize,
    /// Output lines recorded as events per step (the rest is counted).
    pub max_output_events: usize,
    /// Waits longer than this suspend the run instead of sleeping (real clock only).
    pub detach: Option<Duration>,
    /// Whether questions are asked or suspend the run.
    pub people: People,
    /// What a failed step does when its binding does not say.
    pub on_failure: Option<OnFailure>,
    /// Who runs it (recorded with `resumed`).
    pub user: Option<String>,
    /// A child run's inputs: the subroutine's parameters (`FLOWRUN_PARAM_<NAME>`).
    pub inputs: Vec<(String, String)>,
    /// A parallel branch's run starts at this node instead of the start…
    pub start_at: Option<String>,
    /// …and ends when it reaches this one (its join), without running it.
    pub stop_at: Option<String>,
    /// What a failed parallel branch does when the parallel's binding does not say.
    pub branch_failure: Option<BranchFailure>,
}

impl RunConfig {
    /// Defaults for a flow in `cwd`.
    pub fn new(run_id: String, flow_name: String, cwd: PathBuf) -> Self {
        RunConfig {
            run_id,
            flow_name,
            origin: Origin::default(),
            cwd,
            unbound: Unbound::Fail,
            max_steps: 10_000,
            keep_lines: 200,
            max_output_events: 10_000,
            detach: None,
            people: People::Prompt,
            on_failure: None,
            user: None,
            inputs: Vec::new(),
            start_at: None,
            stop_at: None,
            branch_failure: None,
        }
    }
}

impl RunConfig {
    /// What `resume` needs to go on as this run would have.
    pub fn settings(&self) -> Settings {
        Settings {
            unbound: Some(
                match self.unbound {
                    Unbound::Ask => "ask",
                    Unbound::Skip => "skip",
                    Unbound::Fail => "fail",
                }
                .to_owned(),
            ),
            max_steps: Some(self.max_steps),
            on_failure: self.on_failure.map(|o| o.name().to_owned()),
            parallel: self.branch_failure.map(|p| p.name().to_owned()),
            cwd: Some(self.cwd.display().to_string()),
            start_at: self.start_at.clone(),
            stop_at: self.stop_at.clone(),
        }
    }

    /// This configuration with a journaled run's settings restored.
    #[must_use]
    pub fn with_settings(self, s: &Settings) -> Self {
        RunConfig {
            unbound: match s.unbound.as_deref() {
                Some("ask") => Unbound::Ask,
                Some("skip") => Unbound::Skip,
                _ => Unbound::Fail,
            },
            max_steps: s.max_steps.unwrap_or(self.max_steps),
            on_failure: s.on_failure.as_deref().and_then(OnFailure::parse),
            branch_failure: s.parallel.as_deref().and_then(BranchFailure::parse),
            cwd: s.cwd.as_ref().map_or(self.cwd, PathBuf::from),
            start_at: s.start_at.clone(),
            stop_at: s.stop_at.clone(),
            ..self
        }
    }
}

/// What a run talks to: clock, people, scripted answers, Ctrl-C, event sink.
pub struct Runtime<'a> {
    /// The run clock.
    pub clock: &'a mut Clock,
    /// Asks people.
    pub prompter: &'a mut dyn Prompter,
    /// Scripted condition answers.
    pub scripted: &'a mut Scripted,
    /// Set by Ctrl-C.
    pub interrupted: &'a AtomicBool,
    /// Receives every event.
    pub sink: &'a mut dyn EventSink,
    /// Runs subroutines' child flows (none: a subroutine bound to a flow fails).
    pub children: Option<&'a mut dyn Children>,
}

/// How a run (or this part of it) ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// An end node was reached.
    Completed {
        /// Its key.
        end: String,
    },
    /// An action failed, a step could not be done, or a guard stopped the run.
    Failed {
        /// The node, if the failure belongs to one.
        node: Option<String>,
        /// What happened.
        message: String,
    },
    /// Stopped on purpose; `resume` continues.
    Suspended {
        /// The node.
        node: String,
        /// `waiting`, `answer`, `held`.
        reason: String,
        /// What it waits for.
        message: String,
    },
    /// Ctrl-C (journaled as a suspension: `resume` continues).
    Interrupted,
}

impl From<PromptError> for Performed {
    fn from(e: PromptError) -> Self {
        match e {
            PromptError::Interrupted => Performed::Interrupted,
            PromptError::Failed(m) => Performed::Failed {
                message: m,
                code: None,
                holdable: false,
            },
        }
    }
}

/// What an action did.
enum Performed {
    Ok,
    /// Go on along this branch (a parallel's `join`, or a one-path parallel's path).
    Next(&'static str),
    /// Every path of a parallel without a join reached its own end.
    AllEnded(String),
    Skipped,
    Answer(Answer),
    Failed {
        message: String,
        code: Option<i32>,
        /// A step failure the binding's `on_failure` applies to (not a usage problem).
        holdable: bool,
    },
    TimedOut(String),
    Interrupted,
    Suspend {
        reason: &'static str,
        until: Option<Timestamp>,
        message: String,
    },
}

/// How a step ended, for the walk.
enum StepEnd {
    /// Go on along this branch.
    Next(&'static str),
    /// Stop the run with this outcome (already finished or suspended in the journal).
    Stop(Outcome),
}

/// One step's fixed facts.
struct Ctx<'b> {
    id: NodeId,
    key: String,
    text: String,
    kind: Option<NodeKind>,
    binding: Option<&'b Binding>,
    params: &'b [(String, String)],
    step: u64,
    visit: u32,
    scripted: bool,
    /// The child flow a subroutine runs (its binding's `flow`, or its `:>` link).
    subflow: Option<String>,
}

impl Ctx<'_> {
    /// Whether the step can run again without asking: it has no side effects
    /// flowrun cannot see, or its binding says running it twice is safe.
    fn safe_to_repeat(&self) -> bool {
        // A child run looks after its own steps; starting it again continues it.
        self.scripted
            || self.subflow.is_some()
            || self.kind == Some(NodeKind::Parallel)
            || self.binding.is_none_or(|b| {
                b.idempotent || !matches!(b.action, Action::Run(_) | Action::Command { .. })
            })
    }

    fn action_name(&self) -> String {
        if self.scripted {
            return "scripted".to_owned();
        }
        if self.subflow.is_some() {
            return "flow".to_owned();
        }
        if self.kind == Some(NodeKind::Parallel) {
            return "parallel".to_owned();
        }
        match self.binding {
            Some(b) => b.action.name().to_owned(),
            None if matches!(self.kind, Some(NodeKind::Start | NodeKind::End)) => "none".to_owned(),
            None => "unbound".to_owned(),
        }
    }
}

/// Runs a flow from its start.
pub fn run(
    g: &ParseGraph,
    plan: &Plan,
    bindings: &Bindings,
    cfg: &RunConfig,
    rt: &mut Runtime<'_>,
) -> Outcome {
    let mut e = Engine::new(g, plan, bindings, cfg, rt);
    e.rt.sink.emit(&Event::RunStarted {
        run_id: cfg.run_id.clone(),
        flow: cfg.flow_name.clone(),
        clock: e.rt.clock.name().to_owned(),
        origin: cfg.origin.clone(),
        at: e.now(),
    });
    let start = match &cfg.start_at {
        Some(key) => g.lookup(key),
        None => e.flow.start(),
    };
    let Some(start) = start else {
        return e.finish(Outcome::Failed {
            node: None,
            message: "the flow has no start".to_owned(),
        });
    };
    e.walk(Entry::Node(start))
}

/// Continues a journaled run from where it stopped. The caller has checked
/// that the run is not over and has journaled `resumed`.
pub fn resume(
    g: &ParseGraph,
    plan: &Plan,
    bindings: &Bindings,
    cfg: &RunConfig,
    rt: &mut Runtime<'_>,
    state: &RunState,
) -> Outcome {
    let mut e = Engine::new(g, plan, bindings, cfg, rt);
    e.steps = state.steps;
    e.path.clone_from(&state.path);
    for (key, n) in &state.visits {
        if let Some(id) = g.lookup(key) {
            e.visits[id.index()] = *n;
        }
    }
    let missing = |e: &mut Engine<'_, '_, '_>, key: &str| {
        e.finish(Outcome::Failed {
            node: Some(key.to_owned()),
            message: format!("the flow has no node `{key}` any more"),
        })
    };
    match &state.position {
        Position::Start => match cfg
            .start_at
            .as_deref()
            .map_or(e.flow.start(), |k| g.lookup(k))
        {
            Some(s) => e.walk(Entry::Node(s)),
            None => e.finish(Outcome::Failed {
                node: None,
                message: "the flow has no start".to_owned(),
            }),
        },
        Position::At(key) => match g.lookup(key) {
            Some(id) => e.walk(Entry::Node(id)),
            None => missing(&mut e, key),
        },
        Position::InStep(p) => match g.lookup(&p.node) {
            Some(id) => e.walk(Entry::Pending(id, p)),
            None => missing(&mut e, &p.node),
        },
        // Killed between the end's step and the run's end.
        Position::Ended(key) => e.finish(Outcome::Completed { end: key.clone() }),
        Position::Over => e.finish(Outcome::Failed {
            node: None,
            message: "the run's last step led nowhere".to_owned(),
        }),
    }
}

enum Entry<'p> {
    Node(NodeId),
    Pending(NodeId, &'p Pending),
}

struct Engine<'g, 'r, 'a> {
    g: &'g ParseGraph,
    flow: Flow<'g>,
    plan: &'g Plan,
    bindings: &'g Bindings,
    cfg: &'g RunConfig,
    rt: &'r mut Runtime<'a>,
    steps: u64,
    visits: Vec<u32>,
    path: Vec<String>,
    /// The shape of every reachable parallel node (its paths and join).
    shapes: Vec<ParallelShape>,
    /// A retried parallel step's previous branch runs: finished ones are kept.
    previous_branches: Vec<String>,
}

impl<'g, 'r, 'a> Engine<'g, 'r, 'a> {
    fn new(
        g: &'g ParseGraph,
        plan: &'g Plan,
        bindings: &'g Bindings,
        cfg: &'g RunConfig,
        rt: &'r mut Runtime<'a>,
    ) -> Self {
        let flow = Flow::new(g);
        let shapes = parallel_shapes(&flow);
        Engine {
            g,
            flow,
            shapes,
            previous_branches: Vec::new(),
            plan,
            bindings,
            cfg,
            rt,
            steps: 0,
            visits: vec![0; g.node_count()],
            path: Vec::new(),
        }
    }

    fn now(&self) -> String {
        rfc3339(self.rt.clock.now())
    }

    fn ctx(&self, id: NodeId, step: u64, visit: u32) -> Ctx<'g> {
        let node = self.g.node(id);
        let (binding, params) = match self.plan.resolution(id) {
            Resolution::Bound { index, params } => {
                (self.bindings.bindings.get(*index), params.as_slice())
            }
            Resolution::Unbound => (None, &[][..]),
        };
        let kind = node.kind;
        let subflow = match binding.map(|b| &b.action) {
            Some(Action::Flow(f)) => Some(f.clone()),
            None if kind == Some(NodeKind::Subroutine) => linked_flow(node),
            _ => None,
        };
        Ctx {
            subflow,
            id,
            key: node.key.to_string(),
            text: match_text(node.text.as_deref()),
            kind,
            binding,
            params,
            step,
            visit,
            scripted: kind == Some(NodeKind::Condition) && self.rt.scripted.has(&node.key),
        }
    }

    /// Walks from `entry` until an end, a failure or a suspension.
    fn walk(&mut self, mut entry: Entry<'_>) -> Outcome {
        loop {
            if self.rt.interrupted.load(Ordering::SeqCst) {
                return self.interrupted(None);
            }
            let (id, end) = match entry {
                Entry::Pending(id, p) => (id, self.continue_step(id, p)),
                // A parallel branch ends where the paths join: the parent runs the join.
                Entry::Node(id) if self.cfg.stop_at.as_deref() == Some(&self.g.node(id).key) => {
                    let end = self.g.node(id).key.to_string();
                    return self.finish(Outcome::Completed { end });
                }
                Entry::Node(id) => {
                    if self.steps >= self.cfg.max_steps {
                        let message = format!(
                            "stopped after {} steps (--max-steps {}): is there a loop that never ends?",
                            self.steps, self.cfg.max_steps
                        );
                        return self.finish(Outcome::Failed {
                            node: Some(self.g.node(id).key.to_string()),
                            message,
                        });
                    }
                    let visit = self.visits[id.index()] + 1;
                    let ctx = self.ctx(id, self.steps + 1, visit);
                    // A refused visit is not a step: the guard stops the run before it.
                    if let Some(max) = ctx.binding.and_then(|b| b.max_visits) {
                        if visit > max {
                            let message = format!(
                                "`{}` reached {visit} times, more than its max-visits = {max}",
                                ctx.key
                            );
                            return self.finish(Outcome::Failed {
                                node: Some(ctx.key),
                                message,
                            });
                        }
                    }
                    self.steps += 1;
                    self.visits[id.index()] = visit;
                    self.path.push(ctx.key.clone());
                    (id, self.attempts(&ctx, 1, None))
                }
            };
            let branch = match end {
                StepEnd::Next(b) => b,
                StepEnd::Stop(outcome) => return outcome,
            };
            let node = self.g.node(id);
            if node.kind == Some(NodeKind::End) {
                let end = node.key.to_string();
                return self.finish(Outcome::Completed { end });
            }
            match self.target(id, branch) {
                Ok(t) => entry = Entry::Node(t),
                Err(message) => {
                    return self.finish(Outcome::Failed {
                        node: Some(node.key.to_string()),
                        message,
                    });
                }
            }
        }
    }

    /// Where `branch` leads from `id`, or why it leads nowhere.
    fn target(&self, id: NodeId, branch: &str) -> Result<NodeId, String> {
        let key = &self.g.node(id).key;
        if branch == "join" {
            return self
                .shapes
                .iter()
                .find(|s| s.parallel == id)
                .and_then(|s| s.join)
                .ok_or_else(|| format!("parallel `{key}` has no join"));
        }
        let edges = self.flow.successors(id);
        let next = edges.iter().find(|e| e.branch == branch);
        match next.map(|e| e.target) {
            Some(Some(t)) => Ok(t),
            Some(None) => Err(format!(
                "`{key}`'s `{branch}` edge points at an undefined node"
            )),
            None if branch == "next" => Err(format!(
                "`{key}` has no next step and is not an end: the run cannot go on"
            )),
            None => Err(format!(
                "condition `{key}` answered `{branch}`, but has no `{branch}` branch"
            )),
        }
    }

    /// Picks a journaled step up again.
    fn continue_step(&mut self, id: NodeId, p: &Pending) -> StepEnd {
        let ctx = self.ctx(id, p.step, p.visit);
        let started = Instant::now();
        if let Some(d) = p.decision.as_ref().filter(|d| d.decision == "skip") {
            let message = format!(
                "skipped by {}{}",
                d.by.as_deref().unwrap_or("an operator"),
                d.reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            );
            return self.step_finished(&ctx, "skipped", None, Some(message), Some("next"), started);
        }
        if let Some(a) = &p.answer {
            let answer = Answer::parse(&a.answer).unwrap_or(Answer::No);
            return self.answered_step(&ctx, answer, a.by.as_deref(), started);
        }
        if p.decision.as_ref().is_some_and(|d| d.decision == "retry") {
            self.previous_branches.clone_from(&p.children);
            return self.attempts(&ctx, p.attempt + 1, None);
        }
        if let Some((_, message)) = &p.failed {
            // Still held: nobody decided yet.
            let message = format!(
                "`{}` is held after a failure{}: retry it, skip it, or abort the run",
                ctx.key,
                message
                    .as_ref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            );
            return self.suspend(&ctx, "held", None, message);
        }
        let timer = p.timer.as_deref().and_then(|t| t.parse::<Timestamp>().ok());
        if let (Some(until), Some(_)) = (timer, &p.suspended) {
            // A journaled timer: never recomputed.
            return match self.wait_for(&ctx, until) {
                Performed::Ok => self.timer_fired(&ctx, until, started),
                other => self.settle(&ctx, other, started),
            };
        }
        if ctx.kind == Some(NodeKind::Parallel) && !p.children.is_empty() && p.failed.is_none() {
            // The branches pick up where they stopped; finished ones stay finished.
            let performed = self.parallel(&ctx, p.attempt, Some(&p.children));
            return self.settle(&ctx, performed, started);
        }
        if let (Some(child), Some(flow)) = (p.children.last(), ctx.subflow.clone()) {
            // The child run picks up where it stopped.
            let performed = self.child(&ctx, &flow, child);
            return self.settle(&ctx, performed, started);
        }
        if p.suspended.as_deref() == Some("answer") {
            let performed = self.perform(&ctx, None, p.attempt);
            return self.settle(&ctx, performed, started);
        }
        // Started, never finished: flowrun stopped while the step ran.
        if ctx.safe_to_repeat() {
            return self.attempts(&ctx, p.attempt + 1, timer);
        }
        let evidence = match (&p.argv, p.interrupted) {
            (_, true) => "it was interrupted while it ran".to_owned(),
            (Some(argv), false) => format!(
                "`{}` started at {} but its end was not recorded (flowrun was stopped while it ran)",
                argv.join(" "),
                p.started_at
            ),
            (None, false) => format!(
                "it started at {} but its end was not recorded",
                p.started_at
            ),
        };
        let message = format!(
            "`{}` is in doubt: {evidence}; it is not idempotent, so flowrun will not run it again on its own. Check whether it happened, then retry or skip it",
            ctx.key
        );
        self.suspend(&ctx, "held", None, message)
    }

    /// A journaled answer (from `flowrun answer`) settles the step.
    fn answered_step(
        &mut self,
        ctx: &Ctx<'_>,
        answer: Answer,
        by: Option<&str>,
        started: Instant,
    ) -> StepEnd {
        if ctx.kind == Some(NodeKind::Condition) {
            return self.step_finished(ctx, "ok", None, None, Some(answer.branch()), started);
        }
        // A manual step answered from outside: yes = done, no = failed.
        match answer {
            Answer::Yes => self.step_finished(ctx, "ok", None, None, Some("next"), started),
            Answer::No => self.settle(
                ctx,
                Performed::Failed {
                    message: format!("marked as failed by {}", by.unwrap_or("an operator")),
                    code: None,
                    holdable: true,
                },
                started,
            ),
        }
    }

    fn timer_fired(&mut self, ctx: &Ctx<'_>, until: Timestamp, started: Instant) -> StepEnd {
        let late = self.rt.clock.now().duration_since(until);
        let note = (late > SignedDuration::from_secs(1)).then(|| {
            format!(
                "due at {}, resumed {} late",
                rfc3339(until),
                crate::exec::duration::human(late)
            )
        });
        self.step_finished(ctx, "ok", None, note, Some("next"), started)
    }

    /// Runs a step from `attempt` on, retrying idempotent failures.
    fn attempts(&mut self, ctx: &Ctx<'_>, first: u32, timer: Option<Timestamp>) -> StepEnd {
        let max_attempts = ctx
            .binding
            .filter(|b| b.idempotent)
            .map_or(1, |b| b.retries + 1);
        let mut attempt = first;
        loop {
            let argv = ctx.binding.and_then(|b| match &b.action {
                Action::Run(a) | Action::Command { argv: a, .. } if !ctx.scripted => {
                    Some(self.expand(a, ctx))
                }
                _ => None,
            });
            self.rt.sink.emit(&Event::StepStarted {
                step: ctx.step,
                node: ctx.key.clone(),
                text: ctx.text.clone(),
                visit: ctx.visit,
                attempt,
                action: ctx.action_name(),
                argv: argv.clone(),
                at: self.now(),
            });
            // Write-ahead: an action flowrun could not record does not run.
            if let Some(e) = self.rt.sink.durable_error() {
                let message = format!("cannot write the journal: {e}");
                return StepEnd::Stop(Outcome::Failed {
                    node: Some(ctx.key.clone()),
                    message,
                });
            }
            let started = Instant::now();
            let performed = match timer {
                Some(until) => match self.wait_for(ctx, until) {
                    Performed::Ok => return self.timer_fired(ctx, until, started),
                    other => other,
                },
                None => self.perform(ctx, argv.as_deref(), attempt),
            };
            let retry = matches!(performed, Performed::Failed { .. } | Performed::TimedOut(_))
                && attempt - first + 1 < max_attempts;
            if !retry {
                return self.settle(ctx, performed, started);
            }
            let (status, message, code) = failure_parts(&performed);
            self.step_finished(ctx, status, code, message, None, started);
            // Back off (doubling) before the next attempt; the virtual clock skips it.
            let backoff = ctx.binding.map_or(Duration::from_secs(1), |b| b.backoff)
                * 2u32.saturating_pow(attempt - first);
            let until = self
                .rt
                .clock
                .now()
                .checked_add(SignedDuration::try_from(backoff).unwrap_or_default())
                .unwrap_or(Timestamp::MAX);
            if self
                .rt
                .clock
                .wait_until(until, self.rt.interrupted)
                .is_err()
            {
                return StepEnd::Stop(self.interrupted(Some(ctx)));
            }
            attempt += 1;
        }
    }

    /// Journals how an action ended and decides what the walk does next.
    fn settle(&mut self, ctx: &Ctx<'_>, performed: Performed, started: Instant) -> StepEnd {
        match performed {
            Performed::Ok => self.step_finished(ctx, "ok", None, None, Some("next"), started),
            Performed::Next(b) => self.step_finished(ctx, "ok", None, None, Some(b), started),
            Performed::AllEnded(ends) => {
                self.step_finished(
                    ctx,
                    "ok",
                    None,
                    Some(format!("every path ended ({ends})")),
                    None,
                    started,
                );
                StepEnd::Stop(self.finish(Outcome::Completed { end: ends }))
            }
            Performed::Answer(a) => {
                self.step_finished(ctx, "ok", None, None, Some(a.branch()), started)
            }
            Performed::Skipped => self.step_finished(
                ctx,
                "skipped",
                None,
                Some("unbound: skipped (--unbound skip)".to_owned()),
                Some("next"),
                started,
            ),
            Performed::Interrupted => {
                self.step_finished(ctx, "interrupted", None, None, None, started);
                StepEnd::Stop(self.interrupted(Some(ctx)))
            }
            Performed::Suspend {
                reason,
                until,
                message,
            } => self.suspend(ctx, reason, until, message),
            failed @ (Performed::Failed { .. } | Performed::TimedOut(_)) => {
                let holdable = !matches!(
                    failed,
                    Performed::Failed {
                        holdable: false,
                        ..
                    }
                );
                let (status, message, code) = failure_parts(&failed);
                self.step_finished(ctx, status, code, message.clone(), None, started);
                let message = message.unwrap_or_default();
                if holdable && self.policy(ctx) == OnFailure::Hold {
                    let message = format!("`{}` failed and is held: {message}", ctx.key);
                    return self.suspend(ctx, "held", None, message);
                }
                StepEnd::Stop(self.finish(Outcome::Failed {
                    node: Some(ctx.key.clone()),
                    message,
                }))
            }
        }
    }

    /// A failed step's policy: the binding's, else the run's, else hold
    /// unless the step is idempotent (running it again is a person's call).
    fn policy(&self, ctx: &Ctx<'_>) -> OnFailure {
        ctx.binding
            .and_then(|b| b.on_failure)
            .or(self.cfg.on_failure)
            .unwrap_or(if ctx.binding.is_some_and(|b| b.idempotent) {
                OnFailure::Fail
            } else {
                OnFailure::Hold
            })
    }

    fn step_finished(
        &mut self,
        ctx: &Ctx<'_>,
        status: &str,
        exit_code: Option<i32>,
        message: Option<String>,
        branch: Option<&'static str>,
        started: Instant,
    ) -> StepEnd {
        let is_end = ctx.kind == Some(NodeKind::End);
        let branch = branch.filter(|_| !is_end);
        let next = branch
            .and_then(|b| self.target(ctx.id, b).ok())
            .map(|t| self.g.node(t).key.to_string());
        self.rt.sink.emit(&Event::StepFinished {
            step: ctx.step,
            node: ctx.key.clone(),
            status: status.to_owned(),
            exit_code,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            message,
            branch: branch.map(str::to_owned),
            next,
            at: self.now(),
        });
        StepEnd::Next(branch.unwrap_or("next"))
    }

    fn suspend(
        &mut self,
        ctx: &Ctx<'_>,
        reason: &'static str,
        until: Option<Timestamp>,
        message: String,
    ) -> StepEnd {
        self.rt.sink.emit(&Event::Suspended {
            step: Some(ctx.step),
            node: Some(ctx.key.clone()),
            reason: reason.to_owned(),
            until: until.map(rfc3339),
            message: Some(message.clone()),
            at: self.now(),
        });
        StepEnd::Stop(Outcome::Suspended {
            node: ctx.key.clone(),
            reason: reason.to_owned(),
            message,
        })
    }

    /// Ctrl-C: journaled as a suspension, so `resume` picks the run up.
    fn interrupted(&mut self, ctx: Option<&Ctx<'_>>) -> Outcome {
        self.rt.sink.emit(&Event::Suspended {
            step: ctx.map(|c| c.step),
            node: ctx.map(|c| c.key.clone()),
            reason: "interrupted".to_owned(),
            until: None,
            message: Some("interrupted (Ctrl-C or SIGTERM)".to_owned()),
            at: self.now(),
        });
        Outcome::Interrupted
    }

    fn finish(&mut self, outcome: Outcome) -> Outcome {
        let (status, end, message) = match &outcome {
            Outcome::Completed { end } => ("completed", Some(end.clone()), None),
            Outcome::Failed { message, .. } => ("failed", None, Some(message.clone())),
            // Suspensions and interruptions are journaled where they happen.
            Outcome::Suspended { .. } | Outcome::Interrupted => return outcome,
        };
        self.rt.sink.emit(&Event::RunFinished {
            status: status.to_owned(),
            end,
            steps: self.steps,
            path: std::mem::take(&mut self.path),
            message,
            at: self.now(),
        });
        outcome
    }

    /// Fills an argv template: each `{placeholder}` becomes its value inside the same element.
    fn expand(&self, argv: &[String], ctx: &Ctx<'_>) -> Vec<String> {
        let now = self.now();
        argv.iter()
            .map(|arg| {
                fill(arg, |p| match p {
                    "run_id" => self.cfg.run_id.clone(),
                    "now" => now.clone(),
                    _ => {
                        resolve_placeholder(p, ctx.params, &ctx.key, &ctx.text).unwrap_or_default()
                    }
                })
            })
            .collect()
    }

    fn answered(
        &mut self,
        ctx: &Ctx<'_>,
        a: Answer,
        source: &str,
        by: Option<String>,
        reason: Option<String>,
    ) {
        let at = self.now();
        self.rt.sink.emit(&Event::Answered {
            step: ctx.step,
            node: ctx.key.clone(),
            answer: a.branch().to_owned(),
            source: source.to_owned(),
            by,
            reason,
            at,
        });
    }

    /// Does the node's action.
    fn perform(&mut self, ctx: &Ctx<'_>, argv: Option<&[String]>, attempt: u32) -> Performed {
        let key = ctx.key.as_str();
        if ctx.scripted {
            return match self.rt.scripted.next(key) {
                Some(Ok(a)) => {
                    self.answered(ctx, a, "scripted", None, None);
                    Performed::Answer(a)
                }
                Some(Err(message)) => Performed::Failed {
                    message,
                    code: None,
                    holdable: false,
                },
                None => Performed::Failed {
                    message: format!("no scripted answer for `{key}`"),
                    code: None,
                    holdable: false,
                },
            };
        }
        if ctx.kind == Some(NodeKind::Parallel) {
            return self.parallel(ctx, attempt, None);
        }
        if let Some(flow) = &ctx.subflow {
            let child = child_id(&self.cfg.run_id, ctx.step, attempt);
            self.rt.sink.emit(&Event::ChildStarted {
                step: ctx.step,
                node: ctx.key.clone(),
                child: child.clone(),
                flow: flow.clone(),
                at: self.now(),
            });
            if let Some(e) = self.rt.sink.durable_error() {
                return Performed::Failed {
                    message: format!("cannot write the journal: {e}"),
                    code: None,
                    holdable: false,
                };
            }
            return self.child(ctx, flow, &child);
        }
        let is_condition = ctx.kind == Some(NodeKind::Condition);
        let Some(b) = ctx.binding else {
            if matches!(ctx.kind, Some(NodeKind::Start | NodeKind::End)) {
                return Performed::Ok;
            }
            return match (self.cfg.unbound, is_condition) {
                (Unbound::Fail, _) => Performed::Failed {
                    message: format!(
                        "`{key}` has no binding (bind it, or run with --unbound ask|skip)"
                    ),
                    code: None,
                    holdable: false,
                },
                (Unbound::Skip, true) => Performed::Failed {
                    message: format!(
                        "condition `{key}` has no binding and cannot be skipped: bind it, script it (--answer {key}=yes), or use --unbound ask"
                    ),
                    code: None,
                    holdable: false,
                },
                (Unbound::Skip, false) => Performed::Skipped,
                (Unbound::Ask, true) => self.ask(ctx, &ctx.text),
                (Unbound::Ask, false) => self.confirm(ctx, None),
            };
        };
        match &b.action {
            Action::Run(_) | Action::Command { .. } => {
                self.run_program(ctx, argv.unwrap_or_default(), b)
            }
            // Subroutines and parallels ran above.
            Action::Flow(_) | Action::Parallel(_) => Performed::Ok,
            Action::Ask(question) => {
                let q = question.clone().unwrap_or_else(|| ctx.text.clone());
                self.ask(ctx, &q)
            }
            Action::Manual(instructions) => self.confirm(ctx, instructions.as_deref()),
            Action::Log(message) => {
                self.rt.sink.emit(&Event::Output {
                    step: ctx.step,
                    stream: "log".to_owned(),
                    line: message.clone(),
                });
                Performed::Ok
            }
            Action::Fail(message) => Performed::Failed {
                message: message.clone(),
                code: None,
                holdable: true,
            },
            Action::Wait(d) => {
                let until = self
                    .rt
                    .clock
                    .now()
                    .checked_add(SignedDuration::try_from(*d).unwrap_or(SignedDuration::MAX))
                    .unwrap_or(Timestamp::MAX);
                let rule = crate::exec::duration::human(
                    SignedDuration::try_from(*d).unwrap_or(SignedDuration::MAX),
                );
                self.start_wait(ctx, until, rule)
            }
            Action::WaitUntil(u) => match u.next_after(self.rt.clock.now()) {
                Ok(until) => self.start_wait(ctx, until, u.to_string()),
                Err(message) => Performed::Failed {
                    message,
                    code: None,
                    holdable: true,
                },
            },
        }
    }

    /// Runs (or continues) a subroutine's child run; its outcome is the step's.
    fn child(&mut self, ctx: &Ctx<'_>, flow: &str, child: &str) -> Performed {
        let Some(children) = self.rt.children.as_deref_mut() else {
            return Performed::Failed {
                message: format!(
                    "`{}` runs the flow `{flow}`, but this run cannot start child runs",
                    ctx.key
                ),
                code: None,
                holdable: false,
            };
        };
        let call = ChildCall {
            parent: &self.cfg.run_id,
            step: ctx.step,
            node: &ctx.key,
            flow,
            inputs: ctx.params,
            child,
            start_at: None,
            stop_at: None,
        };
        match children.run(&call, self.rt.clock, self.rt.prompter, self.rt.interrupted) {
            ChildOutcome::Completed => Performed::Ok,
            ChildOutcome::Failed(m) => Performed::Failed {
                message: format!("child run {child} failed: {m}"),
                code: None,
                holdable: true,
            },
            ChildOutcome::Suspended { reason, message } => Performed::Suspend {
                reason: match reason.as_str() {
                    "waiting" => "waiting",
                    "answer" => "answer",
                    _ => "held",
                },
                until: None,
                message: format!("in child run {child}: {message}"),
            },
            ChildOutcome::Interrupted => Performed::Interrupted,
        }
    }

    /// Runs a parallel node's paths as branch runs and joins them. `existing`:
    /// the branch runs of this attempt, when the step is picked up again.
    fn parallel(&mut self, ctx: &Ctx<'_>, attempt: u32, existing: Option<&[String]>) -> Performed {
        let unrunnable = |message: String| Performed::Failed {
            message,
            code: None,
            holdable: false,
        };
        let Some(shape) = self.shapes.iter().find(|s| s.parallel == ctx.id).cloned() else {
            return unrunnable(format!("`{}` is not a parallel node of this flow", ctx.key));
        };
        if !shape.is_structured() {
            return unrunnable(format!(
                "parallel `{}` has no well-defined join (see `flowrun check`)",
                ctx.key
            ));
        }
        if let [(path, _)] = shape.paths.as_slice() {
            // One path: a plain step.
            return Performed::Next(path);
        }
        let join = shape.join.map(|j| self.g.node(j).key.to_string());
        let base = child_id(&self.cfg.run_id, ctx.step, attempt);
        let previous = std::mem::take(&mut self.previous_branches);
        let branches: Vec<Branch> = shape
            .paths
            .iter()
            .enumerate()
            .map(|(i, (path, first))| {
                let child = match existing.and_then(|e| e.get(i)) {
                    Some(id) => id.clone(),
                    // A retry keeps the branches that finished.
                    None => previous
                        .get(i)
                        .filter(|id| {
                            self.rt.children.as_deref().and_then(|c| c.outcome(id))
                                == Some(ChildOutcome::Completed)
                        })
                        .cloned()
                        .unwrap_or_else(|| format!("{base}.{path}")),
                };
                Branch {
                    path,
                    start: self.g.node(*first).key.to_string(),
                    child,
                }
            })
            .collect();
        if existing.is_none() {
            for b in &branches {
                self.rt.sink.emit(&Event::ChildStarted {
                    step: ctx.step,
                    node: ctx.key.clone(),
                    child: b.child.clone(),
                    flow: format!("{} from `{}`", b.path, b.start),
                    at: self.now(),
                });
            }
            if let Some(e) = self.rt.sink.durable_error() {
                return unrunnable(format!("cannot write the journal: {e}"));
            }
        }
        let policy = ctx
            .binding
            .and_then(|b| match b.action {
                Action::Parallel(p) => Some(p),
                _ => None,
            })
            .or(self.cfg.branch_failure)
            .unwrap_or(BranchFailure::FailFast);
        let rt = &mut *self.rt;
        let Some(children) = rt.children.as_deref_mut() else {
            return unrunnable(format!(
                "`{}` runs its paths as branch runs, but this run cannot start child runs",
                ctx.key
            ));
        };
        let joined = run_branches(
            Fork {
                parent: &self.cfg.run_id,
                step: ctx.step,
                node: &ctx.key,
                join: join.as_deref(),
                policy,
                children,
                clock: rt.clock,
                prompter: rt.prompter,
                interrupted: rt.interrupted,
            },
            &branches,
        );
        let about = |b: &Branch| format!("branch {} (run {})", b.path, b.child);
        let mut failed = Vec::new();
        let mut suspended = None;
        let mut interrupted = false;
        let mut ends = Vec::new();
        for (b, o) in branches.iter().zip(&joined.outcomes) {
            match o {
                ChildOutcome::Completed => ends.push(b.child.clone()),
                ChildOutcome::Failed(m) => failed.push(format!("{} failed: {m}", about(b))),
                ChildOutcome::Suspended { reason, message } => {
                    suspended.get_or_insert((reason.clone(), format!("{}: {message}", about(b))));
                }
                ChildOutcome::Interrupted => interrupted = true,
            }
        }
        if !failed.is_empty() {
            let cancelled = if joined.cancelled {
                "; the other branches were cancelled (fail-fast)"
            } else {
                ""
            };
            return Performed::Failed {
                message: format!("{}{cancelled}", failed.join("; ")),
                code: None,
                holdable: true,
            };
        }
        if interrupted {
            return Performed::Interrupted;
        }
        if let Some((reason, message)) = suspended {
            return Performed::Suspend {
                reason: match reason.as_str() {
                    "waiting" => "waiting",
                    "answer" => "answer",
                    _ => "held",
                },
                until: None,
                message,
            };
        }
        match join {
            Some(_) => Performed::Next("join"),
            None => Performed::AllEnded(ends.join(", ")),
        }
    }

    /// Journals a wait's instant (resolved once), then waits for it.
    fn start_wait(&mut self, ctx: &Ctx<'_>, until: Timestamp, rule: String) -> Performed {
        self.rt.sink.emit(&Event::Waited {
            step: ctx.step,
            until: rfc3339(until),
            rule: Some(rule),
            at: self.now(),
        });
        self.wait_for(ctx, until)
    }

    /// Sleeps until `until`, or suspends when that is longer than `--detach` allows.
    fn wait_for(&mut self, ctx: &Ctx<'_>, until: Timestamp) -> Performed {
        if let (Clock::Real, Some(max)) = (&*self.rt.clock, self.cfg.detach) {
            let left = until.duration_since(self.rt.clock.now());
            if left > SignedDuration::try_from(max).unwrap_or(SignedDuration::MAX) {
                return Performed::Suspend {
                    reason: "waiting",
                    until: Some(until),
                    message: format!("`{}` waits until {}", ctx.key, rfc3339(until)),
                };
            }
        }
        match self.rt.clock.wait_until(until, self.rt.interrupted) {
            Ok(()) => Performed::Ok,
            Err(_) => Performed::Interrupted,
        }
    }

    fn ask(&mut self, ctx: &Ctx<'_>, question: &str) -> Performed {
        if self.cfg.people == People::Suspend {
            return Performed::Suspend {
                reason: "answer",
                until: None,
                message: format!("`{}` waits for an answer: {question}", ctx.key),
            };
        }
        match self.rt.prompter.ask(&ctx.key, question) {
            Ok(r) => {
                self.answered(ctx, r.answer, "ask", r.by, r.reason);
                Performed::Answer(r.answer)
            }
            Err(e) => e.into(),
        }
    }

    fn confirm(&mut self, ctx: &Ctx<'_>, instructions: Option<&str>) -> Performed {
        if self.cfg.people == People::Suspend {
            return Performed::Suspend {
                reason: "answer",
                until: None,
                message: format!(
                    "`{}` waits for a person to do it and confirm (answer yes = done, no = failed): {}",
                    ctx.key, ctx.text
                ),
            };
        }
        match self.rt.prompter.confirm(&ctx.key, &ctx.text, instructions) {
            Ok((true, _)) => Performed::Ok,
            Ok((false, note)) => Performed::Failed {
                message: note.unwrap_or_else(|| "marked as failed".to_owned()),
                code: None,
                holdable: true,
            },
            Err(e) => e.into(),
        }
    }

    /// Runs a program for a step.
    fn run_program(&mut self, ctx: &Ctx<'_>, argv: &[String], b: &Binding) -> Performed {
        let mut env = vec![
            ("FLOWRUN_RUN_ID".to_owned(), self.cfg.run_id.clone()),
            ("FLOWRUN_NODE".to_owned(), ctx.key.clone()),
            ("FLOWRUN_TEXT".to_owned(), ctx.text.clone()),
            ("FLOWRUN_NOW".to_owned(), self.now()),
            ("FLOWRUN_STEP".to_owned(), ctx.step.to_string()),
            ("FLOWRUN_VISIT".to_owned(), ctx.visit.to_string()),
        ];
        // A child run's inputs first, so the step's own parameters win.
        env.extend(
            self.cfg
                .inputs
                .iter()
                .chain(ctx.params)
                .map(|(n, v)| (format!("FLOWRUN_PARAM_{n}"), v.clone())),
        );
        let spec = Spec {
            argv,
            cwd: &self.cfg.cwd,
            env: &env,
            timeout: b.timeout,
            keep_lines: self.cfg.keep_lines,
        };
        let mut recorded = 0usize;
        let max_events = self.cfg.max_output_events;
        let step = ctx.step;
        let sink = &mut *self.rt.sink;
        let output = process::run(&spec, self.rt.interrupted, &mut |stream, line| {
            recorded += 1;
            if recorded <= max_events {
                sink.emit(&Event::Output {
                    step,
                    stream: stream.name().to_owned(),
                    line: line.to_owned(),
                });
            } else if recorded == max_events + 1 {
                sink.emit(&Event::Output {
                    step,
                    stream: "flowrun".to_owned(),
                    line: format!("… more output not recorded (over {max_events} lines)"),
                });
            }
        });
        let failed = |message: String, code: Option<i32>| Performed::Failed {
            message,
            code,
            holdable: true,
        };
        match output.ended {
            Ended::Exited(Some(code), _) if code != 0 && !b.action.answers() => {
                // The last thing the program said on stderr is usually why it failed.
                let why = output
                    .stderr
                    .back()
                    .or(output.stdout.back())
                    .map(|l| format!(": {l}"))
                    .unwrap_or_default();
                failed(format!("exit code {code}{why}"), Some(code))
            }
            Ended::Exited(None, signal) => failed(
                format!(
                    "killed by signal {}",
                    signal.map_or_else(|| "?".to_owned(), |s| s.to_string())
                ),
                None,
            ),
            Ended::Exited(code, _) => match &b.action {
                Action::Command { stdout_answer, .. } => {
                    let stdout: Vec<String> = output.stdout.into_iter().collect();
                    self.command_answer(ctx, *stdout_answer, code, &stdout)
                }
                _ => Performed::Ok,
            },
            Ended::TimedOut => Performed::TimedOut(format!(
                "timed out after {}",
                b.timeout.map_or_else(String::new, |t| format!("{t:?}"))
            )),
            Ended::Interrupted => Performed::Interrupted,
            Ended::SpawnFailed(e) => failed(
                format!(
                    "cannot run `{}`: {e}",
                    argv.first().map_or("", String::as_str)
                ),
                None,
            ),
        }
    }

    /// A condition's answer from its command: the exit code, or its last stdout line.
    fn command_answer(
        &mut self,
        ctx: &Ctx<'_>,
        stdout_answer: bool,
        code: Option<i32>,
        stdout: &[String],
    ) -> Performed {
        let answer = if stdout_answer {
            stdout
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .and_then(|l| Answer::parse(l))
        } else {
            match code {
                Some(0) => Some(Answer::Yes),
                Some(1) => Some(Answer::No),
                _ => None,
            }
        };
        let message = match answer {
            Some(a) if !stdout_answer || code == Some(0) => {
                self.answered(ctx, a, "command", None, None);
                return Performed::Answer(a);
            }
            _ if stdout_answer => format!(
                "the command must exit 0 and print `yes` or `no` last ({})",
                exit_message(code)
            ),
            _ => format!(
                "the command answers with exit 0 (yes) or 1 (no), not {}",
                exit_message(code)
            ),
        };
        Performed::Failed {
            message,
            code,
            holdable: true,
        }
    }
}

/// `(status, message, exit code)` of a failed or timed-out action.
fn failure_parts(p: &Performed) -> (&'static str, Option<String>, Option<i32>) {
    match p {
        Performed::Failed { message, code, .. } => ("failed", Some(message.clone()), *code),
        Performed::TimedOut(m) => ("timeout", Some(m.clone()), None),
        _ => ("failed", None, None),
    }
}

fn exit_message(code: Option<i32>) -> String {
    match code {
        Some(c) => format!("exit code {c}"),
        None => "killed by a signal".to_owned(),
    }
}

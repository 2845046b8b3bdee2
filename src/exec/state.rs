//! A run's state: a fold over its journal's events.
//!
//! `runs`, `show`, `resume`, `answer` and the overlay on the diagram all read
//! this one fold, so they cannot disagree about where a run is.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::exec::event::{Event, Origin};
use crate::exec::journal::Record;

/// Where a run stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// No final or suspending event: an executor is running it, or it crashed.
    Active,
    /// Stopped on purpose; `resume` continues it.
    Suspended {
        /// `waiting`, `answer`, `held`, `interrupted`.
        reason: String,
        /// For `waiting`: the instant.
        until: Option<String>,
        /// What it waits for.
        message: Option<String>,
    },
    /// An end was reached.
    Completed {
        /// The end's key.
        end: Option<String>,
    },
    /// The run failed.
    Failed {
        /// Why.
        message: Option<String>,
    },
    /// An operator aborted it.
    Aborted {
        /// Why.
        message: Option<String>,
    },
}

impl Status {
    /// Whether the run is over for good.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Status::Completed { .. } | Status::Failed { .. } | Status::Aborted { .. }
        )
    }

    /// One word: `active`, `waiting`, `answer`, `held`, `interrupted`, `completed`, `failed`, `aborted`.
    pub fn word(&self) -> &str {
        match self {
            Status::Active => "active",
            Status::Suspended { reason, .. } => reason,
            Status::Completed { .. } => "completed",
            Status::Failed { .. } => "failed",
            Status::Aborted { .. } => "aborted",
        }
    }
}

/// An answer recorded for a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnswerRecord {
    /// `yes`/`no`.
    pub answer: String,
    /// `command`, `ask`, `scripted`, `operator`.
    pub source: String,
    /// Who.
    pub by: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

/// An operator's decision on a held step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// `retry`, `skip`, `abort`.
    pub decision: String,
    /// Who.
    pub by: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

/// The step a run is in: started, not finished with a way on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// Step number.
    pub step: u64,
    /// Node key.
    pub node: String,
    /// Node text.
    pub text: String,
    /// Which visit of the node.
    pub visit: u32,
    /// The latest attempt.
    pub attempt: u32,
    /// The action's name.
    pub action: String,
    /// The argv of the latest attempt.
    pub argv: Option<Vec<String>>,
    /// Run clock when the latest attempt started.
    pub started_at: String,
    /// The latest attempt failed (status, message): held, or about to fail the run.
    pub failed: Option<(String, Option<String>)>,
    /// The latest attempt was cut short by Ctrl-C.
    pub interrupted: bool,
    /// A wait's journaled instant.
    pub timer: Option<String>,
    /// An answer not yet acted on.
    pub answer: Option<AnswerRecord>,
    /// An operator's decision not yet acted on.
    pub decision: Option<Decision>,
    /// The run suspended in this step, for this reason.
    pub suspended: Option<String>,
    /// The last output lines (evidence for an in-doubt step).
    pub output_tail: Vec<String>,
    /// Every child run of this attempt: a subroutine's, or a parallel node's branches.
    pub children: Vec<String>,
}

/// Where the next step begins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    /// Nothing ran yet: at the flow's start.
    Start,
    /// The previous step finished; the next one enters this node.
    At(String),
    /// Inside a step.
    InStep(Box<Pending>),
    /// The end node's step finished; only `run_finished` is missing.
    Ended(String),
    /// The run is over (or its last step led nowhere).
    Over,
}

/// One step as `show` tells it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepView {
    /// Step number.
    pub step: u64,
    /// Node key.
    pub node: String,
    /// Node text.
    pub text: String,
    /// Which visit.
    pub visit: u32,
    /// Attempts made.
    pub attempts: u32,
    /// The action.
    pub action: String,
    /// Run clock at the first start.
    pub started_at: String,
    /// Run clock at the last finish.
    pub finished_at: Option<String>,
    /// The last status (`ok`, `failed`, …), `running` when unfinished.
    pub status: String,
    /// Real milliseconds, summed over attempts.
    pub duration_ms: u64,
    /// The last message.
    pub message: Option<String>,
    /// The branch taken.
    pub branch: Option<String>,
    /// The answer, if a condition.
    pub answer: Option<AnswerRecord>,
    /// A wait's instant.
    pub until: Option<String>,
    /// Operator decisions.
    pub decisions: Vec<Decision>,
    /// Child runs (a subroutine; one per attempt).
    pub children: Vec<String>,
}

/// A run, folded from its journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunState {
    /// The run's id.
    pub run_id: String,
    /// The flow's name.
    pub flow: String,
    /// `real` or `virtual`.
    pub clock: String,
    /// Where the flow came from.
    pub origin: Origin,
    /// Run clock at the start.
    pub started_at: String,
    /// Wall clock at the start.
    pub started_time: String,
    /// Run clock of the last event that has one.
    pub last_at: String,
    /// Wall clock of the last record.
    pub last_time: String,
    /// Number of the last record.
    pub last_seq: u64,
    /// Where the run stands.
    pub status: Status,
    /// Steps taken.
    pub steps: u64,
    /// Keys visited, in order.
    pub path: Vec<String>,
    /// Visits per key.
    pub visits: HashMap<String, u32>,
    /// Where the next step begins.
    pub position: Position,
    /// Every step.
    pub timeline: Vec<StepView>,
    /// Edges taken: (from, branch, to), in order, with repeats.
    pub taken: Vec<(String, String, String)>,
    /// The end reached or the node the run failed at.
    pub final_node: Option<String>,
}

impl RunState {
    /// Folds a journal's records (the first must be `run_started`).
    pub fn fold(records: &[Record]) -> Option<RunState> {
        let first = records.first()?;
        let Event::RunStarted {
            run_id,
            flow,
            clock,
            origin,
            at,
        } = &first.event
        else {
            return None;
        };
        let mut s = RunState {
            run_id: run_id.clone(),
            flow: flow.clone(),
            clock: clock.clone(),
            origin: origin.clone(),
            started_at: at.clone(),
            started_time: first.time.clone(),
            last_at: at.clone(),
            last_time: first.time.clone(),
            last_seq: first.seq,
            status: Status::Active,
            steps: 0,
            path: Vec::new(),
            visits: HashMap::new(),
            position: Position::Start,
            timeline: Vec::new(),
            taken: Vec::new(),
            final_node: None,
        };
        for r in &records[1..] {
            s.apply(r);
        }
        Some(s)
    }

    /// The node the run is at (its current step, or the next one), if any.
    pub fn current(&self) -> Option<&str> {
        match &self.position {
            Position::At(k) | Position::Ended(k) => Some(k),
            Position::InStep(p) => Some(&p.node),
            Position::Start | Position::Over => None,
        }
    }

    /// The step in progress, if any.
    pub fn pending(&self) -> Option<&Pending> {
        match &self.position {
            Position::InStep(p) => Some(p),
            _ => None,
        }
    }

    fn pending_mut(&mut self, step: u64) -> Option<&mut Pending> {
        match &mut self.position {
            Position::InStep(p) if p.step == step => Some(p),
            _ => None,
        }
    }

    fn view_mut(&mut self, step: u64) -> Option<&mut StepView> {
        let i = usize::try_from(step).ok()?.checked_sub(1)?;
        self.timeline.get_mut(i)
    }

    fn apply(&mut self, r: &Record) {
        self.last_time.clone_from(&r.time);
        self.last_seq = r.seq;
        if let Some(at) = r.event.at() {
            at.clone_into(&mut self.last_at);
        }
        match &r.event {
            Event::RunStarted { .. } | Event::JournalRepaired { .. } => {}
            Event::ChildStarted { step, child, .. } => {
                if let Some(p) = self.pending_mut(*step) {
                    p.children.push(child.clone());
                }
                if let Some(v) = self.view_mut(*step) {
                    v.children.push(child.clone());
                }
            }
            Event::StepStarted {
                step,
                node,
                text,
                visit,
                attempt,
                action,
                argv,
                at,
            } => {
                self.status = Status::Active;
                if let Some(p) = self.pending_mut(*step) {
                    p.attempt = *attempt;
                    p.argv.clone_from(argv);
                    p.started_at.clone_from(at);
                    p.failed = None;
                    p.interrupted = false;
                    p.answer = None;
                    p.decision = None;
                    p.suspended = None;
                    p.output_tail.clear();
                    p.children.clear();
                    if let Some(v) = self.view_mut(*step) {
                        v.attempts = *attempt;
                        "running".clone_into(&mut v.status);
                    }
                    return;
                }
                self.steps = *step;
                self.visits.insert(node.clone(), *visit);
                if let Some(prev) = self.path.last() {
                    // The way here: the previous step's branch.
                    let branch = self
                        .timeline
                        .last()
                        .and_then(|v| v.branch.clone())
                        .unwrap_or_else(|| "next".to_owned());
                    self.taken.push((prev.clone(), branch, node.clone()));
                }
                self.path.push(node.clone());
                self.position = Position::InStep(Box::new(Pending {
                    step: *step,
                    node: node.clone(),
                    text: text.clone(),
                    visit: *visit,
                    attempt: *attempt,
                    action: action.clone(),
                    argv: argv.clone(),
                    started_at: at.clone(),
                    failed: None,
                    interrupted: false,
                    timer: None,
                    answer: None,
                    decision: None,
                    suspended: None,
                    output_tail: Vec::new(),
                    children: Vec::new(),
                }));
                self.timeline.push(StepView {
                    step: *step,
                    node: node.clone(),
                    text: text.clone(),
                    visit: *visit,
                    attempts: *attempt,
                    action: action.clone(),
                    started_at: at.clone(),
                    status: "running".to_owned(),
                    ..StepView::default()
                });
            }
            Event::Output { step, line, .. } => {
                if let Some(p) = self.pending_mut(*step) {
                    if p.output_tail.len() == 5 {
                        p.output_tail.remove(0);
                    }
                    p.output_tail.push(line.clone());
                }
            }
            Event::Answered {
                step,
                answer,
                source,
                by,
                reason,
                ..
            } => {
                let rec = AnswerRecord {
                    answer: answer.clone(),
                    source: source.clone(),
                    by: by.clone(),
                    reason: reason.clone(),
                };
                if let Some(p) = self.pending_mut(*step) {
                    p.answer = Some(rec.clone());
                }
                if let Some(v) = self.view_mut(*step) {
                    v.answer = Some(rec);
                }
            }
            Event::Waited { step, until, .. } => {
                if let Some(p) = self.pending_mut(*step) {
                    p.timer = Some(until.clone());
                }
                if let Some(v) = self.view_mut(*step) {
                    v.until = Some(until.clone());
                }
            }
            Event::StepFinished {
                step,
                status,
                duration_ms,
                message,
                branch,
                next,
                at,
                ..
            } => {
                if let Some(v) = self.view_mut(*step) {
                    v.status.clone_from(status);
                    v.duration_ms += duration_ms;
                    v.message.clone_from(message);
                    v.finished_at = Some(at.clone());
                    v.branch.clone_from(branch);
                }
                if branch.is_some() {
                    self.position = next.clone().map_or(Position::Over, Position::At);
                } else if status == "ok" || status == "skipped" {
                    // An end: nothing follows.
                    self.position =
                        Position::Ended(self.pending().map(|p| p.node.clone()).unwrap_or_default());
                } else if let Some(p) = self.pending_mut(*step) {
                    if status == "interrupted" {
                        p.interrupted = true;
                    } else {
                        p.failed = Some((status.clone(), message.clone()));
                    }
                    p.answer = None;
                    p.decision = None;
                }
            }
            Event::Suspended {
                reason,
                until,
                message,
                step,
                ..
            } => {
                self.status = Status::Suspended {
                    reason: reason.clone(),
                    until: until.clone(),
                    message: message.clone(),
                };
                let in_doubt = match step.and_then(|s| self.pending_mut(s)) {
                    Some(p) => {
                        p.suspended = Some(reason.clone());
                        reason == "held" && p.failed.is_none()
                    }
                    None => false,
                };
                if let Some(v) = step.and_then(|s| self.view_mut(s)).filter(|_| in_doubt) {
                    "in doubt".clone_into(&mut v.status);
                }
            }
            Event::Resumed { .. } => self.status = Status::Active,
            Event::Decided {
                step,
                decision,
                by,
                reason,
                ..
            } => {
                let d = Decision {
                    decision: decision.clone(),
                    by: by.clone(),
                    reason: reason.clone(),
                };
                if let Some(v) = step.and_then(|s| self.view_mut(s)) {
                    v.decisions.push(d.clone());
                }
                if let Some(p) = step.and_then(|s| self.pending_mut(s)) {
                    p.decision = Some(d);
                }
            }
            Event::RunFinished {
                status,
                end,
                message,
                ..
            } => {
                self.final_node = end.clone().or_else(|| self.current().map(str::to_owned));
                self.status = match status.as_str() {
                    "completed" => Status::Completed { end: end.clone() },
                    "aborted" => Status::Aborted {
                        message: message.clone(),
                    },
                    _ => Status::Failed {
                        message: message.clone(),
                    },
                };
                self.position = Position::Over;
            }
        }
    }
}

impl RunState {
    /// What the run looks like on its diagram.
    pub fn overlay(&self) -> crate::render::Overlay {
        let mut visited: Vec<String> = Vec::new();
        for k in &self.path {
            if !visited.contains(k) {
                visited.push(k.clone());
            }
        }
        let mut taken: Vec<(String, String, String)> = Vec::new();
        for t in &self.taken {
            if !taken.contains(t) {
                taken.push(t.clone());
            }
        }
        let visits = visited
            .iter()
            .map(|k| self.visits.get(k).copied().unwrap_or(1))
            .collect();
        let held_failed = self
            .pending()
            .filter(|p| p.failed.is_some())
            .map(|p| p.node.clone());
        let (current, failed) = match &self.status {
            Status::Failed { .. } => (None, self.final_node.clone()),
            Status::Completed { .. } | Status::Aborted { .. } => (None, None),
            Status::Active | Status::Suspended { .. } => {
                (self.current().map(str::to_owned), held_failed)
            }
        };
        let at = |k: &Option<String>| k.as_ref().map(|k| format!(" at `{k}`")).unwrap_or_default();
        let status = match &self.status {
            Status::Active => format!("running{}", at(&self.current().map(str::to_owned))),
            Status::Suspended { reason, until, .. } => match (reason.as_str(), until) {
                ("waiting", Some(u)) => format!("waiting until {u}{}", at(&current)),
                ("answer", _) => format!("waiting for an answer{}", at(&current)),
                (r, _) => format!("{r}{}", at(&current)),
            },
            Status::Completed { end } => format!("completed{}", at(end)),
            Status::Failed { message } => format!(
                "failed{}{}",
                at(&self.final_node),
                message
                    .as_ref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ),
            Status::Aborted { .. } => format!("aborted{}", at(&self.current().map(str::to_owned))),
        };
        crate::render::Overlay {
            run_id: self.run_id.clone(),
            status,
            visited,
            taken,
            visits,
            current,
            failed,
        }
    }
}

impl RunState {
    /// The first node of a branch run (a parallel's path), if this is one.
    pub fn branch_start(&self) -> Option<&str> {
        self.origin.settings.as_ref()?.start_at.as_deref()
    }

    /// [`RunState::overlay`] with the run's child runs drawn too: a parallel's
    /// branch runs (the same flow) add their nodes, edges and where they are; a
    /// subroutine's child run (another flow) is named in the status line.
    pub fn overlay_with(&self, children: &[RunState]) -> crate::render::Overlay {
        let mut o = self.overlay();
        for c in children {
            let Some(start) = c.branch_start() else {
                let _ = write!(o.status, " · child run {}: {}", c.run_id, c.status.word());
                continue;
            };
            // The fork edge: the parallel's path into the branch.
            let path = c.run_id.rsplit('.').next().unwrap_or("path1").to_owned();
            let parallel = self
                .timeline
                .iter()
                .chain(children.iter().flat_map(|p| p.timeline.iter()))
                .find(|v| v.children.contains(&c.run_id))
                .map(|v| v.node.clone());
            if let Some(p) = &parallel {
                push_once(&mut o.taken, (p.clone(), path, start.to_owned()));
            }
            for (k, n) in c
                .path
                .iter()
                .map(|k| (k, c.visits.get(k).copied().unwrap_or(1)))
            {
                if let Some(i) = o.visited.iter().position(|v| v == k) {
                    o.visits[i] = o.visits[i].max(n);
                } else {
                    o.visited.push(k.clone());
                    o.visits.push(n);
                }
            }
            for t in &c.taken {
                push_once(&mut o.taken, t.clone());
            }
            // The join edge, once the branch arrived.
            if let (Status::Completed { end: Some(join) }, Some(last), Some(v)) =
                (&c.status, c.path.last(), c.timeline.last())
            {
                let branch = v.branch.clone().unwrap_or_else(|| "next".to_owned());
                push_once(&mut o.taken, (last.clone(), branch, join.clone()));
            }
            // Where a waiting branch is, rather than the parallel node that waits for it.
            if !c.status.is_final() && (o.current.is_none() || o.current == parallel) {
                o.current = c.current().map(str::to_owned);
            }
            if matches!(c.status, Status::Failed { .. }) {
                o.failed.clone_from(&c.final_node);
            }
        }
        o
    }
}

fn push_once<T: PartialEq>(v: &mut Vec<T>, t: T) {
    if !v.contains(&t) {
        v.push(t);
    }
}

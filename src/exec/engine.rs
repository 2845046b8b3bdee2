//! The engine: walks a flow from its start to an end, one step at a time,
//! emitting an event for everything it does.
//!
//! start → next; operation-like nodes run their action → next; a condition
//! gets `yes` or `no` → that branch; end → done. A node with no way on is a
//! run error, never a hang; `max_steps` and per-binding `max_visits` stop
//! runaway loops.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::exec::bindings::{Action, Binding, Bindings};
use crate::exec::clock::{Clock, rfc3339};
use crate::exec::event::{Event, EventSink};
use crate::exec::plan::{Plan, Resolution, fill, match_text, resolve_placeholder};
use crate::exec::process::{self, Ended, Spec};
use crate::exec::prompt::{Answer, PromptError, Prompter, Scripted};
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

/// Settings of one run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The run's id.
    pub run_id: String,
    /// The flow's name (file, `#N`).
    pub flow_name: String,
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
}

impl RunConfig {
    /// Defaults for a flow in `cwd`.
    pub fn new(run_id: String, flow_name: String, cwd: PathBuf) -> Self {
        RunConfig {
            run_id,
            flow_name,
            cwd,
            unbound: Unbound::Fail,
            max_steps: 10_000,
            keep_lines: 200,
            max_output_events: 10_000,
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
}

/// How a run ended.
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
    /// Ctrl-C.
    Interrupted,
}

impl From<PromptError> for StepResult {
    fn from(e: PromptError) -> Self {
        match e {
            PromptError::Interrupted => StepResult::Interrupted,
            PromptError::Failed(m) => StepResult::Failed(m, None),
        }
    }
}

impl Outcome {
    /// A failure at a node.
    fn at(key: String, message: String) -> Outcome {
        Outcome::Failed {
            node: Some(key),
            message,
        }
    }
}

/// The result of one step.
enum StepResult {
    Ok,
    Skipped,
    Answer(Answer),
    Failed(String, Option<i32>),
    TimedOut(String),
    Interrupted,
}

/// Runs a flow from its start.
pub fn run(
    g: &ParseGraph,
    plan: &Plan,
    bindings: &Bindings,
    cfg: &RunConfig,
    rt: &mut Runtime<'_>,
) -> Outcome {
    let flow = Flow::new(g);
    let now = |rt: &Runtime<'_>| rfc3339(rt.clock.now());
    rt.sink.emit(&Event::RunStarted {
        run_id: cfg.run_id.clone(),
        flow: cfg.flow_name.clone(),
        clock: rt.clock.name().to_owned(),
        at: now(rt),
    });
    let mut path: Vec<String> = Vec::new();
    let mut visits = vec![0u32; g.node_count()];
    let mut steps = 0u64;
    let Some(mut current) = flow.start() else {
        return finish(
            rt,
            Outcome::Failed {
                node: None,
                message: "the flow has no start".to_owned(),
            },
            steps,
            path,
        );
    };
    loop {
        if rt.interrupted.load(Ordering::SeqCst) {
            return finish(rt, Outcome::Interrupted, steps, path);
        }
        if steps >= cfg.max_steps {
            let message = format!(
                "stopped after {steps} steps (--max-steps {}): is there a loop that never ends?",
                cfg.max_steps
            );
            return finish(
                rt,
                Outcome::Failed {
                    node: Some(g.node(current).key.clone()),
                    message,
                },
                steps,
                path,
            );
        }
        let node = g.node(current);
        let key = node.key.clone();
        let visit = visits[current.index()] + 1;
        let (binding, params) = match plan.resolution(current) {
            Resolution::Bound { index, params } => {
                (bindings.bindings.get(*index), params.as_slice())
            }
            Resolution::Unbound => (None, &[][..]),
        };
        // A refused visit is not a step: the guard stops the run before it.
        if let Some(max) = binding.and_then(|b| b.max_visits) {
            if visit > max {
                let message =
                    format!("`{key}` reached {visit} times, more than its max-visits = {max}");
                return finish(rt, Outcome::at(key, message), steps, path);
            }
        }
        steps += 1;
        visits[current.index()] = visit;
        path.push(key.clone());
        let result = step(g, current, binding, params, cfg, rt, steps, visit);
        let next_branch = match result {
            StepResult::Ok | StepResult::Skipped => "next",
            StepResult::Answer(a) => a.branch(),
            StepResult::Failed(message, _) | StepResult::TimedOut(message) => {
                return finish(rt, Outcome::at(key, message), steps, path);
            }
            StepResult::Interrupted => return finish(rt, Outcome::Interrupted, steps, path),
        };
        if node.kind == Some(NodeKind::End) {
            return finish(rt, Outcome::Completed { end: key }, steps, path);
        }
        let edges = flow.successors(current);
        let next = edges.iter().find(|e| e.branch == next_branch);
        if let Some(t) = next.and_then(|e| e.target) {
            current = t;
        } else {
            let message = match next {
                Some(_) => {
                    format!("`{key}`'s `{next_branch}` edge points at an undefined node")
                }
                None if next_branch == "next" => {
                    format!("`{key}` has no next step and is not an end: the run cannot go on")
                }
                None => format!(
                    "condition `{key}` answered `{next_branch}`, but has no `{next_branch}` branch"
                ),
            };
            return finish(rt, Outcome::at(key, message), steps, path);
        }
    }
}

fn finish(rt: &mut Runtime<'_>, outcome: Outcome, steps: u64, path: Vec<String>) -> Outcome {
    let (status, end, message) = match &outcome {
        Outcome::Completed { end } => ("completed", Some(end.clone()), None),
        Outcome::Failed { message, .. } => ("failed", None, Some(message.clone())),
        Outcome::Interrupted => (
            "interrupted",
            None,
            Some("interrupted (Ctrl-C or SIGTERM)".to_owned()),
        ),
    };
    rt.sink.emit(&Event::RunFinished {
        status: status.to_owned(),
        end,
        steps,
        path,
        message,
        at: rfc3339(rt.clock.now()),
    });
    outcome
}

/// Runs one node; emits its start, output, answer and finish events.
#[allow(clippy::too_many_arguments)]
fn step(
    g: &ParseGraph,
    id: NodeId,
    binding: Option<&Binding>,
    params: &[(String, String)],
    cfg: &RunConfig,
    rt: &mut Runtime<'_>,
    step: u64,
    visit: u32,
) -> StepResult {
    let node = g.node(id);
    let key = node.key.as_str();
    let text = match_text(node.text.as_deref());
    let kind = node.kind;
    let is_condition = kind == Some(NodeKind::Condition);
    let scripted = is_condition && rt.scripted.has(key);
    let action_name = if scripted {
        "scripted".to_owned()
    } else {
        binding.map_or_else(
            || {
                if matches!(kind, Some(NodeKind::Start | NodeKind::End)) {
                    "none".to_owned()
                } else {
                    "unbound".to_owned()
                }
            },
            |b| b.action.name().to_owned(),
        )
    };
    let max_attempts = binding
        .filter(|b| b.idempotent)
        .map_or(1, |b| b.retries + 1);
    let mut attempt = 1;
    loop {
        let argv = binding.and_then(|b| match &b.action {
            Action::Run(a) | Action::Command { argv: a, .. } if !scripted => {
                Some(expand(a, params, key, &text, cfg, rt))
            }
            _ => None,
        });
        rt.sink.emit(&Event::StepStarted {
            step,
            node: key.to_owned(),
            text: text.clone(),
            visit,
            attempt,
            action: action_name.clone(),
            argv: argv.clone(),
            at: rfc3339(rt.clock.now()),
        });
        let started = Instant::now();
        let result = if scripted {
            match rt.scripted.next(key) {
                Some(Ok(a)) => {
                    answered(rt, step, key, a, "scripted", None, None);
                    StepResult::Answer(a)
                }
                Some(Err(e)) => StepResult::Failed(e, None),
                None => StepResult::Failed(format!("no scripted answer for `{key}`"), None),
            }
        } else {
            perform(
                node.kind,
                key,
                &text,
                binding,
                argv.as_deref(),
                params,
                cfg,
                rt,
                step,
            )
        };
        let (status, message, exit_code) = match &result {
            StepResult::Ok | StepResult::Answer(_) => ("ok", None, None),
            StepResult::Skipped => (
                "skipped",
                Some("unbound: skipped (--unbound skip)".to_owned()),
                None,
            ),
            StepResult::Failed(m, code) => ("failed", Some(m.clone()), *code),
            StepResult::TimedOut(m) => ("timeout", Some(m.clone()), None),
            StepResult::Interrupted => ("interrupted", None, None),
        };
        rt.sink.emit(&Event::StepFinished {
            step,
            node: key.to_owned(),
            status: status.to_owned(),
            exit_code,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            message,
            at: rfc3339(rt.clock.now()),
        });
        let retry = matches!(result, StepResult::Failed(..) | StepResult::TimedOut(_))
            && attempt < max_attempts;
        if !retry {
            return result;
        }
        // Back off (doubling) before the next attempt; the virtual clock skips it.
        let backoff = binding.map_or(Duration::from_secs(1), |b| b.backoff)
            * 2u32.saturating_pow(attempt - 1);
        let until = rt
            .clock
            .now()
            .checked_add(jiff::SignedDuration::try_from(backoff).unwrap_or_default())
            .unwrap_or(jiff::Timestamp::MAX);
        if rt.clock.wait_until(until, rt.interrupted).is_err() {
            return StepResult::Interrupted;
        }
        attempt += 1;
    }
}

/// Fills an argv template: each `{placeholder}` becomes its value inside the same element.
fn expand(
    argv: &[String],
    params: &[(String, String)],
    key: &str,
    text: &str,
    cfg: &RunConfig,
    rt: &Runtime<'_>,
) -> Vec<String> {
    let now = rfc3339(rt.clock.now());
    argv.iter()
        .map(|arg| {
            fill(arg, |p| match p {
                "run_id" => cfg.run_id.clone(),
                "now" => now.clone(),
                _ => resolve_placeholder(p, params, key, text).unwrap_or_default(),
            })
        })
        .collect()
}

fn answered(
    rt: &mut Runtime<'_>,
    step: u64,
    key: &str,
    a: Answer,
    source: &str,
    by: Option<String>,
    reason: Option<String>,
) {
    let at = rfc3339(rt.clock.now());
    rt.sink.emit(&Event::Answered {
        step,
        node: key.to_owned(),
        answer: a.branch().to_owned(),
        source: source.to_owned(),
        by,
        reason,
        at,
    });
}

#[allow(clippy::too_many_arguments)]
fn perform(
    kind: Option<NodeKind>,
    key: &str,
    text: &str,
    binding: Option<&Binding>,
    argv: Option<&[String]>,
    params: &[(String, String)],
    cfg: &RunConfig,
    rt: &mut Runtime<'_>,
    step: u64,
) -> StepResult {
    let is_condition = kind == Some(NodeKind::Condition);
    let Some(b) = binding else {
        if matches!(kind, Some(NodeKind::Start | NodeKind::End)) {
            return StepResult::Ok;
        }
        return match (cfg.unbound, is_condition) {
            (Unbound::Fail, _) => StepResult::Failed(
                format!("`{key}` has no binding (bind it, or run with --unbound ask|skip)"),
                None,
            ),
            (Unbound::Skip, true) => StepResult::Failed(
                format!(
                    "condition `{key}` has no binding and cannot be skipped: bind it, script it (--answer {key}=yes), or use --unbound ask"
                ),
                None,
            ),
            (Unbound::Skip, false) => StepResult::Skipped,
            (Unbound::Ask, true) => match rt.prompter.ask(key, text) {
                Ok(r) => {
                    answered(rt, step, key, r.answer, "ask", r.by, r.reason);
                    StepResult::Answer(r.answer)
                }
                Err(e) => e.into(),
            },
            (Unbound::Ask, false) => confirm(rt, key, text, None),
        };
    };
    if let Action::Run(_) | Action::Command { .. } = &b.action {
        let ran = run_program(
            argv.unwrap_or_default(),
            b,
            key,
            text,
            params,
            cfg,
            rt,
            step,
        );
        return match (&b.action, ran) {
            (_, Err(r)) => r,
            (Action::Command { stdout_answer, .. }, Ok((code, stdout))) => {
                command_answer(rt, step, key, *stdout_answer, code, &stdout)
            }
            (_, Ok((Some(0), _))) => StepResult::Ok,
            (_, Ok((code, _))) => StepResult::Failed(exit_message(code), code),
        };
    }
    match &b.action {
        // Programs ran above.
        Action::Run(_) | Action::Command { .. } => StepResult::Ok,
        Action::Ask(question) => match rt.prompter.ask(key, question.as_deref().unwrap_or(text)) {
            Ok(r) => {
                answered(rt, step, key, r.answer, "ask", r.by, r.reason);
                StepResult::Answer(r.answer)
            }
            Err(e) => e.into(),
        },
        Action::Manual(instructions) => confirm(rt, key, text, instructions.as_deref()),
        Action::Log(message) => {
            rt.sink.emit(&Event::Output {
                step,
                stream: "log".to_owned(),
                line: message.clone(),
            });
            StepResult::Ok
        }
        Action::Fail(message) => StepResult::Failed(message.clone(), None),
        Action::Wait(d) => {
            let now = rt.clock.now();
            let until = now
                .checked_add(
                    jiff::SignedDuration::try_from(*d).unwrap_or(jiff::SignedDuration::MAX),
                )
                .unwrap_or(jiff::Timestamp::MAX);
            wait(rt, step, until)
        }
        Action::WaitUntil(u) => match u.next_after(rt.clock.now()) {
            Ok(until) => wait(rt, step, until),
            Err(e) => StepResult::Failed(e, None),
        },
    }
}

/// A condition's answer from its command: the exit code, or its last stdout line.
fn command_answer(
    rt: &mut Runtime<'_>,
    step: u64,
    key: &str,
    stdout_answer: bool,
    code: Option<i32>,
    stdout: &[String],
) -> StepResult {
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
    match answer {
        Some(a) if !stdout_answer || code == Some(0) => {
            answered(rt, step, key, a, "command", None, None);
            StepResult::Answer(a)
        }
        _ if stdout_answer => StepResult::Failed(
            format!(
                "the command must exit 0 and print `yes` or `no` last ({})",
                exit_message(code)
            ),
            code,
        ),
        _ => StepResult::Failed(
            format!(
                "the command answers with exit 0 (yes) or 1 (no), not {}",
                exit_message(code)
            ),
            code,
        ),
    }
}

fn wait(rt: &mut Runtime<'_>, step: u64, until: jiff::Timestamp) -> StepResult {
    rt.sink.emit(&Event::Waited {
        step,
        until: rfc3339(until),
        at: rfc3339(rt.clock.now()),
    });
    match rt.clock.wait_until(until, rt.interrupted) {
        Ok(()) => StepResult::Ok,
        Err(_) => StepResult::Interrupted,
    }
}

fn confirm(rt: &mut Runtime<'_>, key: &str, text: &str, instructions: Option<&str>) -> StepResult {
    match rt.prompter.confirm(key, text, instructions) {
        Ok((true, _)) => StepResult::Ok,
        Ok((false, note)) => {
            StepResult::Failed(note.unwrap_or_else(|| "marked as failed".to_owned()), None)
        }
        Err(e) => e.into(),
    }
}

fn exit_message(code: Option<i32>) -> String {
    match code {
        Some(c) => format!("exit code {c}"),
        None => "killed by a signal".to_owned(),
    }
}

/// Runs a program for a step; `Ok((exit code, kept stdout))` or the step's failure.
#[allow(clippy::too_many_arguments)]
fn run_program(
    argv: &[String],
    b: &Binding,
    key: &str,
    text: &str,
    params: &[(String, String)],
    cfg: &RunConfig,
    rt: &mut Runtime<'_>,
    step: u64,
) -> Result<(Option<i32>, Vec<String>), StepResult> {
    let mut env = vec![
        ("FLOWRUN_RUN_ID".to_owned(), cfg.run_id.clone()),
        ("FLOWRUN_NODE".to_owned(), key.to_owned()),
        ("FLOWRUN_TEXT".to_owned(), text.to_owned()),
        ("FLOWRUN_NOW".to_owned(), rfc3339(rt.clock.now())),
    ];
    env.extend(
        params
            .iter()
            .map(|(n, v)| (format!("FLOWRUN_PARAM_{n}"), v.clone())),
    );
    let spec = Spec {
        argv,
        cwd: &cfg.cwd,
        env: &env,
        timeout: b.timeout,
        keep_lines: cfg.keep_lines,
    };
    let mut recorded = 0usize;
    let max_events = cfg.max_output_events;
    let sink = &mut *rt.sink;
    let output = process::run(&spec, rt.interrupted, &mut |stream, line| {
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
    match output.ended {
        Ended::Exited(Some(code), _) if code != 0 && !b.action.answers() => {
            // The last thing the program said on stderr is usually why it failed.
            let why = output
                .stderr
                .back()
                .or(output.stdout.back())
                .map(|l| format!(": {l}"))
                .unwrap_or_default();
            Err(StepResult::Failed(
                format!("exit code {code}{why}"),
                Some(code),
            ))
        }
        Ended::Exited(None, signal) => Err(StepResult::Failed(
            format!(
                "killed by signal {}",
                signal.map_or_else(|| "?".to_owned(), |s| s.to_string())
            ),
            None,
        )),
        Ended::Exited(code, _) => Ok((code, output.stdout.into_iter().collect())),
        Ended::TimedOut => Err(StepResult::TimedOut(format!(
            "timed out after {}",
            b.timeout.map_or_else(String::new, |t| format!("{t:?}"))
        ))),
        Ended::Interrupted => Err(StepResult::Interrupted),
        Ended::SpawnFailed(e) => Err(StepResult::Failed(
            format!(
                "cannot run `{}`: {e}",
                argv.first().map_or("", String::as_str)
            ),
            None,
        )),
    }
}

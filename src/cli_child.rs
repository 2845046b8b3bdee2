//! Child runs of subroutines, on the command line's side: finding the child
//! flow (`other.flow`, `doc.md#2`, `#Heading` of the parent's document, or the
//! subroutine's `:>` link), its bindings, its run folder and journal, and
//! refusing recursion — statically before a run starts, and at run time.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::cli_execute::find_bindings;
use crate::document::{self, Selector};
use crate::exec::bindings::{Action, Bindings, OnFailure};
use crate::exec::child::{ChildCall, ChildOutcome, Children};
use crate::exec::clock::Clock;
use crate::exec::console::Console;
use crate::exec::event::{Event, EventSink, Masked, Origin, Tee};
use crate::exec::journal::{self, Journal};
use crate::exec::parallel::BranchFailure;
use crate::exec::plan::{Resolution, linked_flow};
use crate::exec::prompt::{Prompter, Scripted};
use crate::exec::state::{RunState, Status};
use crate::exec::store::{RunDir, RunLock, Store, StoreError, create_journal, sha256};
use crate::exec::{Outcome, People, RunConfig, Unbound, resolve};
use crate::graph::NodeKind;

/// How deep subroutines may nest.
const MAX_DEPTH: usize = 16;

/// Starts and continues child runs in the parent's state folder.
#[derive(Clone, Debug)]
pub(crate) struct ChildRunner {
    /// The state folder (shared with the parent).
    pub(crate) store: Store,
    /// The file the calling flow was read from (for `#N` references).
    pub(crate) source: Option<PathBuf>,
    /// The calling flow's folder (child paths are relative to it).
    pub(crate) base: PathBuf,
    /// The flows on the call stack, outermost first (`path#index`).
    pub(crate) stack: Vec<String>,
    /// Questions: ask or suspend (the parent's setting).
    pub(crate) people: People,
    /// `--detach`.
    pub(crate) detach: Option<Duration>,
    /// `--on-failure`.
    pub(crate) on_failure: Option<OnFailure>,
    /// `--parallel`.
    pub(crate) branch_failure: Option<BranchFailure>,
    /// Who runs it.
    pub(crate) user: Option<String>,
    /// Stderr is a terminal.
    pub(crate) terminal: bool,
}

/// A child flow, read and checked.
struct ChildFlow {
    path: PathBuf,
    index: usize,
    markdown: bool,
    text: String,
    identity: String,
    analysis: crate::Analysis,
    bindings: Bindings,
    bindings_path: Option<PathBuf>,
}

/// A path as people read it: relative to the current folder when it is below it.
fn shown_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    cwd.and_then(|c| absolute.strip_prefix(c).ok().map(Path::to_path_buf))
        .unwrap_or(absolute)
        .display()
        .to_string()
}

/// `FLOWRUN_CRASH_AFTER` (the crash tests' hook).
pub(crate) fn crash_after() -> Option<u64> {
    std::env::var("FLOWRUN_CRASH_AFTER").ok()?.parse().ok()
}

/// `path#index`: one flow of one file.
pub(crate) fn identity(path: &Path, index: usize) -> String {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    format!("{}#{index}", path.display())
}

/// Reads the flow a subroutine names, relative to the calling flow.
fn load(reference: &str, base: &Path, source: Option<&Path>) -> Result<ChildFlow, String> {
    let (file, selector) = match reference.split_once('#') {
        Some((f, s)) => (f, Some(s)),
        None => (reference, None),
    };
    let path = if file.is_empty() {
        source.map(Path::to_path_buf).ok_or_else(|| {
            format!(
                "`{reference}` names a flow of the same document, but the flow was read from stdin"
            )
        })?
    } else {
        base.join(file)
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read the child flow {}: {e}", path.display()))?;
    let doc = document::read(&path.display().to_string(), &text);
    let f = doc
        .select(selector.map(Selector::parse).as_ref())
        .map_err(|_| {
            format!(
                "{} has no flow `{}`",
                path.display(),
                selector.unwrap_or("")
            )
        })?;
    let analysis = crate::analyze(&f.source.text);
    if analysis.has_errors() {
        return Err(format!(
            "the child flow {reference} has errors (see `flowrun check {}`)",
            path.display()
        ));
    }
    let bindings_path = find_bindings(&path, None);
    let bindings = match &bindings_path {
        Some(p) => {
            let t = std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read bindings {}: {e}", p.display()))?;
            Bindings::parse(&p.display().to_string(), &t).map_err(|_| {
                format!(
                    "the bindings {} are not valid (see `flowrun check {} --bindings {}`)",
                    p.display(),
                    path.display(),
                    p.display()
                )
            })?
        }
        None => Bindings::empty(),
    };
    Ok(ChildFlow {
        identity: identity(&path, f.index),
        index: f.index,
        markdown: doc.markdown,
        text: f.source.text.to_string(),
        path,
        analysis,
        bindings,
        bindings_path,
    })
}

/// The child flows a flow's reachable subroutines run: `(node key, reference)`.
fn calls(g: &crate::graph::ParseGraph, bindings: &Bindings) -> Vec<(String, String)> {
    let (plan, _) = resolve(g, bindings);
    let flow = crate::graph::Flow::new(g);
    flow.steps()
        .filter_map(|id| {
            let node = g.node(id);
            if node.kind != Some(NodeKind::Subroutine) {
                return None;
            }
            let reference = match plan.resolution(id) {
                Resolution::Bound { index, .. } => match &bindings.bindings.get(*index)?.action {
                    Action::Flow(f) => Some(f.clone()),
                    _ => None,
                },
                Resolution::Unbound => linked_flow(node),
            }?;
            Some((node.key.to_string(), reference))
        })
        .collect()
}

/// Refuses a flow whose subroutines call back into a flow already on the call
/// chain (static recursion), or nest deeper than flowrun allows, before anything runs.
pub(crate) fn check_recursion(
    root: &str,
    g: &crate::graph::ParseGraph,
    bindings: &Bindings,
    base: &Path,
    source: Option<&Path>,
) -> Result<(), String> {
    // Depth-first over (flow, its calls), with the chain that led to it; no recursion in Rust.
    struct Frame {
        chain: Vec<String>,
        calls: Vec<(String, String)>,
        base: PathBuf,
        source: Option<PathBuf>,
    }
    let mut stack = vec![Frame {
        chain: vec![root.to_owned()],
        calls: calls(g, bindings),
        base: base.to_path_buf(),
        source: source.map(Path::to_path_buf),
    }];
    let mut seen: Vec<String> = Vec::new();
    while let Some(frame) = stack.last_mut() {
        let Some((key, reference)) = frame.calls.pop() else {
            stack.pop();
            continue;
        };
        // Problems of the child itself are reported when it runs.
        let Ok(child) = load(&reference, &frame.base, frame.source.as_deref()) else {
            continue;
        };
        let chain = frame.chain.clone();
        if let Some(at) = chain.iter().position(|c| *c == child.identity) {
            let mut cycle: Vec<&str> = chain[at..].iter().map(String::as_str).collect();
            cycle.push(&child.identity);
            return Err(format!(
                "subroutine `{key}` makes the flows call each other forever: {}",
                cycle.join(" → ")
            ));
        }
        if chain.len() >= MAX_DEPTH {
            return Err(format!(
                "subroutines nest more than {MAX_DEPTH} deep: {} → …",
                chain.join(" → ")
            ));
        }
        if seen.contains(&child.identity) {
            continue;
        }
        seen.push(child.identity.clone());
        let mut next = chain;
        next.push(child.identity.clone());
        let base = child
            .path
            .parent()
            .map_or_else(PathBuf::new, Path::to_path_buf);
        stack.push(Frame {
            chain: next,
            calls: calls(&child.analysis.graph, &child.bindings),
            base,
            source: Some(child.path),
        });
    }
    Ok(())
}

impl Children for ChildRunner {
    fn fork(&self) -> Box<dyn Children + '_> {
        Box::new(self.clone())
    }

    fn cancel(&mut self, child: &str, why: &str) {
        let dir = self.store.dir(child);
        let Ok(_lock) = dir.lock() else { return };
        let Ok(read) = journal::read(&dir.journal()) else {
            return;
        };
        let Some(state) = RunState::fold(&read.records) else {
            return;
        };
        if state.status.is_final() {
            return;
        }
        let Ok(file) = journal::open_for_append(&dir.journal(), read.valid_len) else {
            return;
        };
        let mut j = Journal::new(file, state.last_seq, true);
        j.emit(&Event::Decided {
            step: state.pending().map(|p| p.step),
            node: state.current().map(str::to_owned),
            decision: "abort".to_owned(),
            by: None,
            reason: Some(why.to_owned()),
            at: state.last_at.clone(),
        });
        j.emit(&Event::RunFinished {
            status: "aborted".to_owned(),
            end: None,
            steps: state.steps,
            path: state.path.clone(),
            message: Some(why.to_owned()),
            at: state.last_at,
        });
    }

    fn outcome(&self, child: &str) -> Option<ChildOutcome> {
        let read = journal::read(&self.store.dir(child).journal()).ok()?;
        let state = RunState::fold(&read.records)?;
        Some(from_status(&state.status))
    }

    fn run(
        &mut self,
        call: &ChildCall<'_>,
        clock: &mut Clock,
        prompter: &mut dyn Prompter,
        interrupted: &AtomicBool,
    ) -> ChildOutcome {
        self.run_child(call, clock, prompter, interrupted)
            .unwrap_or_else(ChildOutcome::Failed)
    }
}

fn from_status(status: &Status) -> ChildOutcome {
    match status {
        Status::Completed { .. } => ChildOutcome::Completed,
        Status::Failed { message } | Status::Aborted { message } => {
            ChildOutcome::Failed(message.clone().unwrap_or_else(|| status.word().to_owned()))
        }
        Status::Suspended {
            reason, message, ..
        } => ChildOutcome::Suspended {
            reason: reason.clone(),
            message: message.clone().unwrap_or_default(),
        },
        Status::Active => ChildOutcome::Failed("the child run is in an unknown state".to_owned()),
    }
}

/// A child run's folder, its lock, its journal (open for appending) and its state so far.
type Opened = (RunDir, RunLock, Journal, Option<RunState>);

impl ChildRunner {
    /// A child started before is continued; otherwise its folder is made (a crash
    /// may have left the folder without a journal, or with an empty one).
    fn open_child(&self, id: &str, text: &str, clock: &Clock) -> Result<Opened, String> {
        let err = |e: StoreError| e.to_string();
        let (dir, lock) = if let Some(created) = self.store.create_exact(id, text).map_err(err)? {
            created
        } else {
            let dir = self.store.dir(id);
            let lock = dir.lock().map_err(err)?;
            (dir, lock)
        };
        if !dir.journal().exists() {
            let file = create_journal(&dir).map_err(err)?;
            let mut j = Journal::new(file, 0, true);
            j.crash_after(crash_after());
            return Ok((dir, lock, j, None));
        }
        let read = journal::read(&dir.journal()).map_err(|e| e.to_string())?;
        let state = RunState::fold(&read.records);
        let file = journal::open_for_append(&dir.journal(), read.valid_len)
            .map_err(|e| format!("cannot append to {}: {e}", dir.journal().display()))?;
        let mut j = Journal::new(file, state.as_ref().map_or(0, |s| s.last_seq), true);
        j.crash_after(crash_after());
        if read.torn_bytes > 0 {
            j.emit(&Event::JournalRepaired {
                dropped_bytes: read.torn_bytes,
                at: crate::exec::clock::rfc3339(clock.now()),
            });
        }
        Ok((dir, lock, j, state))
    }

    fn run_child(
        &mut self,
        call: &ChildCall<'_>,
        clock: &mut Clock,
        prompter: &mut dyn Prompter,
        interrupted: &AtomicBool,
    ) -> Result<ChildOutcome, String> {
        // A parallel branch runs the calling flow itself, from its path to the join.
        let branch = call.start_at.is_some();
        let reference = if branch {
            let index = self
                .stack
                .last()
                .and_then(|s| s.rsplit_once('#'))
                .map_or("1", |(_, i)| i);
            format!("#{index}")
        } else {
            call.flow.to_owned()
        };
        let child = load(&reference, &self.base, self.source.as_deref())?;
        if branch {
            // Not a call: the same flow, a part of it.
        } else if let Some(at) = self.stack.iter().position(|c| *c == child.identity) {
            let mut cycle: Vec<&str> = self.stack[at..].iter().map(String::as_str).collect();
            cycle.push(&child.identity);
            return Err(format!("recursion: {}", cycle.join(" → ")));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(format!("subroutines nest more than {MAX_DEPTH} deep"));
        }
        let (plan, problems) = resolve(&child.analysis.graph, &child.bindings);
        if let Some(p) = problems
            .iter()
            .find(|p| p.is_error() || matches!(p, crate::exec::PlanProblem::Unbound { .. }))
        {
            return Err(format!(
                "the child flow {} cannot run as bound: {p}",
                call.flow
            ));
        }
        let (dir, lock, mut journal, state) = self.open_child(call.child, &child.text, clock)?;
        if let Some(s) = &state {
            if s.status.is_final() {
                return Ok(from_status(&s.status));
            }
            if s.origin.flow_sha256.as_deref() != Some(&sha256(&child.text)) {
                return Err(format!(
                    "the child flow {} changed since child run {} began: resume it on its own with `flowrun resume {} --accept-changes`, then resume this run",
                    call.flow, dir.id, dir.id
                ));
            }
        }
        let cwd = child
            .path
            .parent()
            .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()))
            .unwrap_or_default();
        let cfg = RunConfig {
            origin: Origin {
                source: std::fs::canonicalize(&child.path)
                    .ok()
                    .map(|p| p.display().to_string()),
                flow_index: child.markdown.then_some(child.index),
                flow_sha256: Some(sha256(&child.text)),
                bindings: child
                    .bindings_path
                    .as_deref()
                    .and_then(|p| std::fs::canonicalize(p).ok())
                    .map(|p| p.display().to_string()),
                parent: Some(call.parent.to_owned()),
                settings: None,
            },
            unbound: Unbound::Fail,
            people: self.people,
            detach: self.detach,
            on_failure: self.on_failure,
            branch_failure: self.branch_failure,
            user: self.user.clone(),
            inputs: call.inputs.to_vec(),
            start_at: call.start_at.map(str::to_owned),
            stop_at: call.stop_at.map(str::to_owned),
            ..RunConfig::new(
                dir.id.clone(),
                {
                    let shown = shown_path(&child.path);
                    if child.markdown {
                        format!("{shown}#{}", child.index)
                    } else {
                        shown
                    }
                },
                cwd.clone(),
            )
        };
        let mut cfg = cfg;
        cfg.origin.settings = Some(cfg.settings());
        let mut nested = ChildRunner {
            source: Some(child.path.clone()),
            base: cwd,
            stack: {
                let mut s = self.stack.clone();
                if !branch {
                    s.push(child.identity.clone());
                }
                s
            },
            ..self.clone()
        };
        // Branches print side by side: no spinners, each line whole.
        let mut console = Console::nested(self.terminal && !branch, self.stack.len());
        let secrets: Vec<String> = child
            .bindings
            .secrets
            .iter()
            .filter_map(|n| std::env::var(n).ok())
            .collect();
        let mut tee = Tee {
            sinks: vec![&mut console, &mut journal],
        };
        let mut masked = Masked::new(secrets, &mut tee);
        let mut scripted = Scripted::default();
        let mut rt = crate::exec::Runtime {
            clock,
            prompter,
            scripted: &mut scripted,
            interrupted,
            sink: &mut masked,
            children: Some(&mut nested),
        };
        let g = &child.analysis.graph;
        let outcome = match &state {
            Some(s) => {
                rt.sink.emit(&Event::Resumed {
                    pid: std::process::id(),
                    by: self.user.clone(),
                    accepted_changes: Vec::new(),
                    at: crate::exec::clock::rfc3339(rt.clock.now()),
                });
                crate::exec::resume(g, &plan, &child.bindings, &cfg, &mut rt, s)
            }
            None => crate::exec::run(g, &plan, &child.bindings, &cfg, &mut rt),
        };
        drop(masked);
        drop(tee);
        drop(lock);
        if let Some(e) = journal.error() {
            return Err(format!(
                "cannot write the journal of child run {}: {e}",
                dir.id
            ));
        }
        Ok(match outcome {
            Outcome::Completed { .. } => ChildOutcome::Completed,
            Outcome::Failed { message, .. } => ChildOutcome::Failed(message),
            Outcome::Suspended {
                reason, message, ..
            } => ChildOutcome::Suspended { reason, message },
            Outcome::Interrupted => ChildOutcome::Interrupted,
        })
    }
}

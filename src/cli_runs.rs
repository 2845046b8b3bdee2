//! Commands on journaled runs: `runs`, `show`, `resume`, `answer`, `abort`,
//! `retry`, `skip`. Each reads the run's journal and folds it
//! ([`RunState`]); the ones that change a run take its lock first and only
//! ever append to the journal.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::{EXIT_INVALID, report_errors, terminal_width};
use crate::cli_execute::{
    EXIT_ABORTED, EXIT_BUSY, EXIT_FAILED, EXIT_JOURNAL, Launch, RunArgs, drive, load_bindings,
    state_dir_flag,
};
use crate::exec::drift;
use crate::exec::event::{Event, EventSink};
use crate::exec::journal::{self, Journal, JournalError};
use crate::exec::prompt::{Answer, Scripted};
use crate::exec::state::{Decision, Position, RunState, Status};
use crate::exec::store::{RunDir, RunLock, Store, StoreError, sha256};
use crate::exec::{Clock, RunConfig, resolve, resume};
use crate::graph::NodeKind;
use crate::report::{Located, render_one};

/// `--state-dir` for commands that look runs up.
#[derive(Debug, clap::Args)]
pub(crate) struct StateArgs {
    /// Where runs are kept (default: `.flowrun` in the current folder).
    #[arg(long, env = "FLOWRUN_STATE_DIR")]
    state_dir: Option<PathBuf>,
}

impl StateArgs {
    fn store(&self) -> Store {
        Store::new(
            self.state_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(".flowrun")),
        )
    }
}

/// Output format of `runs` and `show`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// For people.
    #[default]
    Human,
    /// JSON (`runs`: one object per line).
    Json,
}

/// `flowrun runs`.
#[derive(Debug, clap::Args)]
pub(crate) struct RunsArgs {
    #[command(flatten)]
    state: StateArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// `flowrun show`.
#[derive(Debug, clap::Args)]
pub(crate) struct ShowArgs {
    /// The run: its id, a unique prefix of it, or its folder.
    run: String,
    #[command(flatten)]
    state: StateArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// `flowrun answer`.
#[derive(Debug, clap::Args)]
pub(crate) struct AnswerArgs {
    /// The run.
    run: String,
    /// The condition (or manual step) the run waits at.
    node: String,
    /// `yes` or `no` (for a manual step: yes = done, no = failed).
    answer: String,
    /// Why: recorded with the answer.
    #[arg(long)]
    reason: String,
    /// Who answers (default: $USER).
    #[arg(long)]
    by: Option<String>,
    #[command(flatten)]
    state: StateArgs,
}

/// `flowrun abort`.
#[derive(Debug, clap::Args)]
pub(crate) struct AbortArgs {
    /// The run.
    run: String,
    /// Why.
    #[arg(long)]
    reason: Option<String>,
    /// Who aborts (default: $USER).
    #[arg(long)]
    by: Option<String>,
    #[command(flatten)]
    state: StateArgs,
}

/// `flowrun resume`, `retry`, `skip`.
#[derive(Debug, clap::Args)]
pub(crate) struct ResumeArgs {
    /// The run.
    run: String,
    /// Go on even though the flow changed since the run began, if the node the
    /// run is at and a way to an end still exist.
    #[arg(long)]
    accept_changes: bool,
    /// Scripted answers for conditions ahead: `KEY=no,yes` (repeatable).
    #[arg(long = "answer", value_name = "KEY=ANSWERS")]
    answers: Vec<String>,
    /// Who decides (retry/skip; default: $USER).
    #[arg(long)]
    by: Option<String>,
    #[command(flatten)]
    run_args: RunArgs,
}

/// `flowrun skip`: like resume, with a required reason.
#[derive(Debug, clap::Args)]
pub(crate) struct SkipArgs {
    #[command(flatten)]
    resume: ResumeArgs,
    /// Why the step can be skipped: recorded in the journal.
    #[arg(long)]
    reason: String,
}

/// `flowrun retry`.
#[derive(Debug, clap::Args)]
pub(crate) struct RetryArgs {
    #[command(flatten)]
    resume: ResumeArgs,
    /// Why it is retried.
    #[arg(long)]
    reason: Option<String>,
}

/// A command's failure with its exit code.
struct Refusal(u8, String);

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        let code = match e {
            StoreError::Busy { .. } => EXIT_BUSY,
            _ => EXIT_INVALID,
        };
        Refusal(code, e.to_string())
    }
}

impl From<JournalError> for Refusal {
    fn from(e: JournalError) -> Self {
        Refusal(EXIT_JOURNAL, e.to_string())
    }
}

fn exit(r: Result<ExitCode, Refusal>) -> ExitCode {
    r.unwrap_or_else(|Refusal(code, message)| {
        eprintln!("error: {message}");
        ExitCode::from(code)
    })
}

/// A run read from disk.
struct Opened {
    dir: RunDir,
    read: journal::Loaded,
    state: RunState,
}

fn open(store: &Store, run: &str) -> Result<Opened, Refusal> {
    let dir = store.open(run)?;
    let read = journal::read(&dir.journal())?;
    let state = RunState::fold(&read.records).ok_or_else(|| {
        Refusal(
            EXIT_JOURNAL,
            format!(
                "{}: the journal is empty: the run stopped before it began (nothing ran); start a new run",
                dir.journal().display()
            ),
        )
    })?;
    Ok(Opened { dir, read, state })
}

/// The runs a command about a run acts on: the run itself or, when it waits
/// inside subroutines or parallel branches, the unfinished child runs it waits
/// in (and theirs…), innermost first, each locked. `all`: every unfinished run
/// of the tree (for abort), not only the innermost ones.
fn waiting_in(store: &Store, o: Opened, all: bool) -> Result<(Vec<Opened>, Vec<RunLock>), Refusal> {
    let mut out = Vec::new();
    let mut locks = Vec::new();
    let mut todo = vec![o];
    while let Some(o) = todo.pop() {
        let children: Vec<String> = if o.state.status.is_final() {
            Vec::new()
        } else {
            o.state
                .pending()
                .map(|p| p.children.clone())
                .unwrap_or_default()
        };
        let mut open_children = Vec::new();
        for child in children {
            let Ok(dir) = store.open(&child) else {
                continue;
            };
            let lock = dir.lock()?;
            let c = open(store, &dir.path.display().to_string())?;
            if !c.state.status.is_final() {
                locks.push(lock);
                open_children.push(c);
            }
        }
        if open_children.is_empty() || all {
            out.push(o);
        }
        todo.extend(open_children);
    }
    out.reverse();
    Ok((out, locks))
}

/// Opens the journal for appending, cutting a torn last line off (journaled).
fn appender(o: &Opened, at: &str) -> Result<Journal, Refusal> {
    let path = o.dir.journal();
    let file = journal::open_for_append(&path, o.read.valid_len).map_err(|e| {
        Refusal(
            EXIT_JOURNAL,
            format!("cannot append to {}: {e}", path.display()),
        )
    })?;
    let mut j = Journal::new(file, o.state.last_seq, true);
    if o.read.torn_bytes > 0 {
        eprintln!(
            "warning: {}: the last line was torn by a crash ({} bytes, never completed): removed",
            path.display(),
            o.read.torn_bytes
        );
        j.emit(&Event::JournalRepaired {
            dropped_bytes: o.read.torn_bytes,
            at: at.to_owned(),
        });
    }
    Ok(j)
}

/// Whether what `j` appended reached the journal of `dir`.
fn written(j: &Journal, dir: &RunDir) -> Result<(), Refusal> {
    match j.error() {
        Some(e) => Err(Refusal(
            EXIT_JOURNAL,
            format!("cannot write {}: {e}", dir.journal().display()),
        )),
        None => Ok(()),
    }
}

/// The run clock's time now: a virtual run's clock stands still between executors.
fn run_now(state: &RunState) -> String {
    if state.clock == "virtual" {
        state.last_at.clone()
    } else {
        crate::exec::clock::rfc3339(jiff::Timestamp::now())
    }
}

fn user(by: Option<&String>) -> Option<String> {
    by.cloned().or_else(|| std::env::var("USER").ok())
}

/// The exit code a finished run stands for.
fn final_code(status: &Status) -> u8 {
    match status {
        Status::Completed { .. } => 0,
        Status::Aborted { .. } => EXIT_ABORTED,
        _ => EXIT_FAILED,
    }
}

// ── runs ─────────────────────────────────────────────────────────────────

/// `flowrun runs`.
pub(crate) fn runs(args: &RunsArgs) -> ExitCode {
    exit(runs_inner(args))
}

fn runs_inner(args: &RunsArgs) -> Result<ExitCode, Refusal> {
    let store = args.state.store();
    let dirs = store.list()?;
    if dirs.is_empty() && args.format == Format::Human {
        eprintln!(
            "no runs in {} (execute keeps runs in `.flowrun` beside the flow: pass --state-dir)",
            store.root().display()
        );
    }
    let mut rows = Vec::new();
    for dir in &dirs {
        let row = match journal::read(&dir.journal()) {
            Ok(read) => match RunState::fold(&read.records) {
                Some(s) => summary(dir, &s),
                None => Row::broken(dir, "empty journal"),
            },
            Err(e) => Row::broken(dir, &e.to_string()),
        };
        rows.push(row);
    }
    match args.format {
        Format::Json => {
            for r in &rows {
                println!("{}", serde_json::to_string(&r.json()).unwrap_or_default());
            }
        }
        Format::Human => {
            if !rows.is_empty() {
                println!(
                    "{:<22} {:<28} {:<11} {:<24} {:<12} DETAIL",
                    "RUN", "FLOW", "STATUS", "STARTED", "AT"
                );
            }
            for r in &rows {
                println!(
                    "{:<22} {:<28} {:<11} {:<24} {:<12} {}",
                    r.id,
                    r.flow,
                    r.status,
                    r.started,
                    r.at.as_deref().unwrap_or("-"),
                    r.detail
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line of `runs`.
struct Row {
    id: String,
    flow: String,
    status: String,
    started: String,
    at: Option<String>,
    until: Option<String>,
    steps: u64,
    detail: String,
}

impl Row {
    fn broken(dir: &RunDir, why: &str) -> Row {
        Row {
            id: dir.id.clone(),
            flow: String::new(),
            status: "corrupt".to_owned(),
            started: String::new(),
            at: None,
            until: None,
            steps: 0,
            detail: why.to_owned(),
        }
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "flow": self.flow,
            "status": self.status,
            "started": self.started,
            "current": self.at,
            "until": self.until,
            "steps": self.steps,
            "detail": self.detail,
        })
    }
}

/// `running` (an executor holds it) or `stopped` (nobody does: it crashed).
fn active_word(dir: &RunDir) -> &'static str {
    if dir.is_busy() { "running" } else { "stopped" }
}

fn summary(dir: &RunDir, s: &RunState) -> Row {
    let (status, until, detail) = match &s.status {
        Status::Active => (
            active_word(dir).to_owned(),
            None,
            if dir.is_busy() {
                String::new()
            } else {
                "no executor (killed?): flowrun resume".to_owned()
            },
        ),
        Status::Suspended {
            reason,
            until,
            message,
        } => (
            reason.clone(),
            until.clone(),
            match (reason.as_str(), until) {
                ("waiting", Some(u)) => format!("until {u}"),
                _ => message.clone().unwrap_or_default(),
            },
        ),
        Status::Completed { end } => (
            "completed".to_owned(),
            None,
            end.as_ref()
                .map(|e| format!("at `{e}`"))
                .unwrap_or_default(),
        ),
        Status::Failed { message } | Status::Aborted { message } => (
            s.status.word().to_owned(),
            None,
            message.clone().unwrap_or_default(),
        ),
    };
    Row {
        id: dir.id.clone(),
        flow: s.flow.clone(),
        status,
        started: s.started_at.clone(),
        at: s
            .current()
            .map(str::to_owned)
            .or_else(|| s.final_node.clone()),
        until,
        steps: s.steps,
        detail,
    }
}

// ── show ─────────────────────────────────────────────────────────────────

/// `flowrun show`.
pub(crate) fn show(args: &ShowArgs) -> ExitCode {
    exit(show_inner(args))
}

fn show_inner(args: &ShowArgs) -> Result<ExitCode, Refusal> {
    let store = args.state.store();
    let o = open(&store, &args.run)?;
    let s = &o.state;
    let row = summary(&o.dir, s);
    if args.format == Format::Json {
        let steps: Vec<serde_json::Value> = s
            .timeline
            .iter()
            .map(|v| {
                serde_json::json!({
                    "step": v.step, "node": v.node, "text": v.text, "visit": v.visit,
                    "attempts": v.attempts, "action": v.action, "status": v.status,
                    "started": v.started_at, "finished": v.finished_at,
                    "duration_ms": v.duration_ms, "message": v.message, "branch": v.branch,
                    "answer": v.answer.as_ref().map(|a| serde_json::json!({
                        "answer": a.answer, "source": a.source, "by": a.by, "reason": a.reason,
                    })),
                    "until": v.until,
                    "decisions": v.decisions.iter().map(|d| serde_json::json!({
                        "decision": d.decision, "by": d.by, "reason": d.reason,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let mut run = row.json();
        run["clock"] = s.clock.clone().into();
        run["path"] = s.path.clone().into();
        run["timeline"] = steps.into();
        println!("{}", serde_json::to_string_pretty(&run).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    println!("run {} of {} ({} clock)", s.run_id, s.flow, s.clock);
    println!(
        "  started {} · last event {} · {} step{}",
        s.started_at,
        s.last_at,
        s.steps,
        if s.steps == 1 { "" } else { "s" }
    );
    println!(
        "  status: {}{}",
        row.status,
        if row.detail.is_empty() {
            String::new()
        } else {
            format!(" — {}", row.detail)
        }
    );
    println!();
    for v in &s.timeline {
        let attempts = if v.attempts > 1 {
            format!(", {} attempts", v.attempts)
        } else {
            String::new()
        };
        let visit = if v.visit > 1 {
            format!(" (visit {})", v.visit)
        } else {
            String::new()
        };
        println!(
            "{:>4}. {:<10} {}{visit}\n        {} · {} · {}{attempts}{}",
            v.step,
            v.node,
            v.text,
            v.action,
            v.status,
            human_ms(v.duration_ms),
            v.branch
                .as_ref()
                .filter(|b| *b != "next")
                .map(|b| format!(" → {b}"))
                .unwrap_or_default()
        );
        if let Some(u) = &v.until {
            println!("        waits until {u}");
        }
        if let Some(a) = &v.answer {
            println!(
                "        answered {} by {}{}{}",
                a.answer,
                a.source,
                a.by.as_ref().map(|b| format!(" ({b})")).unwrap_or_default(),
                a.reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            );
        }
        if let Some(m) = &v.message {
            println!("        {m}");
        }
        for d in &v.decisions {
            println!(
                "        ⚑ {}{}{}",
                d.decision,
                d.by.as_ref()
                    .map(|b| format!(" by {b}"))
                    .unwrap_or_default(),
                d.reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            );
        }
    }
    if let Some(p) = s.pending() {
        if !p.output_tail.is_empty()
            && matches!(s.status, Status::Suspended { .. } | Status::Active)
        {
            println!("\n  last output of `{}`:", p.node);
            for l in &p.output_tail {
                println!("    │ {l}");
            }
        }
    }
    println!("\n  path: {}", s.path.join(" → "));
    Ok(ExitCode::SUCCESS)
}

fn human_ms(ms: u64) -> String {
    crate::exec::duration::human(jiff::SignedDuration::from_millis(
        i64::try_from(ms).unwrap_or(i64::MAX),
    ))
}

// ── answer, abort ────────────────────────────────────────────────────────

/// `flowrun answer`.
pub(crate) fn answer(args: &AnswerArgs) -> ExitCode {
    exit(answer_inner(args))
}

fn answer_inner(args: &AnswerArgs) -> Result<ExitCode, Refusal> {
    let answer = Answer::parse(&args.answer).ok_or_else(|| {
        Refusal(
            EXIT_INVALID,
            format!("`{}` is not an answer: yes or no", args.answer),
        )
    })?;
    let store = args.state.store();
    let dir = store.open(&args.run)?;
    let _lock: RunLock = dir.lock()?;
    let top = open(&store, &dir.path.display().to_string())?;
    let top_id = top.dir.id.clone();
    // Inside a subroutine or a branch, the question is that child run's.
    let (mut leaves, _child_locks) = waiting_in(&store, top, false)?;
    let at_node = leaves
        .iter()
        .position(|l| l.state.pending().is_some_and(|p| p.node == args.node))
        .unwrap_or(0);
    if leaves.is_empty() {
        return Err(Refusal(
            EXIT_INVALID,
            format!("run {top_id} waits for nothing"),
        ));
    }
    let o = leaves.swap_remove(at_node);
    let s = &o.state;
    if s.status.is_final() {
        return Err(Refusal(
            EXIT_INVALID,
            format!(
                "run {} is {}: there is nothing to answer",
                s.run_id,
                s.status.word()
            ),
        ));
    }
    let Some(p) = s.pending() else {
        return Err(Refusal(
            EXIT_INVALID,
            format!(
                "run {} is not in a step{}",
                s.run_id,
                s.current()
                    .map(|c| format!(" (next: `{c}`)"))
                    .unwrap_or_default()
            ),
        ));
    };
    if p.node != args.node {
        return Err(Refusal(
            EXIT_INVALID,
            format!(
                "run {} is at `{}`, not `{}`: answer `{}`",
                s.run_id, p.node, args.node, p.node
            ),
        ));
    }
    let snapshot = std::fs::read_to_string(o.dir.snapshot()).unwrap_or_default();
    let analysis = crate::analyze(&snapshot);
    let is_condition = analysis
        .graph
        .lookup(&p.node)
        .and_then(|id| analysis.graph.node(id).kind)
        == Some(NodeKind::Condition);
    let waiting_for_person = p.suspended.as_deref() == Some("answer");
    if !is_condition && !waiting_for_person {
        return Err(Refusal(
            EXIT_INVALID,
            format!(
                "`{}` is not a condition and does not wait for a person: retry, skip or abort the run instead",
                p.node
            ),
        ));
    }
    let at = run_now(s);
    let mut j = appender(&o, &at)?;
    let by = user(args.by.as_ref());
    j.emit(&Event::Answered {
        step: p.step,
        node: p.node.clone(),
        answer: answer.branch().to_owned(),
        source: "operator".to_owned(),
        by: by.clone(),
        reason: Some(args.reason.clone()),
        at,
    });
    written(&j, &o.dir)?;
    eprintln!(
        "recorded: `{}` = {} ({}{})\n  continue: flowrun resume {}{}",
        p.node,
        answer.branch(),
        by.as_deref()
            .map(|b| format!("by {b}: "))
            .unwrap_or_default(),
        args.reason,
        top_id,
        state_dir_flag(store.root())
    );
    Ok(ExitCode::SUCCESS)
}

/// `flowrun abort`.
pub(crate) fn abort(args: &AbortArgs) -> ExitCode {
    exit(abort_inner(args))
}

fn abort_inner(args: &AbortArgs) -> Result<ExitCode, Refusal> {
    let store = args.state.store();
    let dir = store.open(&args.run)?;
    let _lock = dir.lock()?;
    let o = open(&store, &dir.path.display().to_string())?;
    if o.state.status.is_final() {
        return Err(Refusal(
            EXIT_INVALID,
            format!(
                "run {} is already {}",
                o.state.run_id,
                o.state.status.word()
            ),
        ));
    }
    // Abort the child runs it waits in too, innermost first.
    let (runs, _locks) = waiting_in(&store, o, true)?;
    let mut code = ExitCode::SUCCESS;
    for r in &runs {
        code = abort_one(r, args)?;
    }
    Ok(code)
}

/// Journals an abort of one run.
fn abort_one(o: &Opened, args: &AbortArgs) -> Result<ExitCode, Refusal> {
    let s = &o.state;
    if s.status.is_final() {
        return Err(Refusal(
            EXIT_INVALID,
            format!("run {} is already {}", s.run_id, s.status.word()),
        ));
    }
    let at = run_now(s);
    let mut j = appender(o, &at)?;
    let by = user(args.by.as_ref());
    let pending = s.pending();
    j.emit(&Event::Decided {
        step: pending.map(|p| p.step),
        node: s.current().map(str::to_owned),
        decision: "abort".to_owned(),
        by: by.clone(),
        reason: args.reason.clone(),
        at: at.clone(),
    });
    j.emit(&Event::RunFinished {
        status: "aborted".to_owned(),
        end: None,
        steps: s.steps,
        path: s.path.clone(),
        message: Some(format!(
            "aborted by {}{}",
            by.as_deref().unwrap_or("an operator"),
            args.reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        )),
        at,
    });
    written(&j, &o.dir)?;
    eprintln!(
        "aborted run {}{}",
        s.run_id,
        s.current()
            .map(|c| format!(" at `{c}`"))
            .unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

// ── resume, retry, skip ──────────────────────────────────────────────────

/// `flowrun resume`.
pub(crate) fn resume_cmd(args: &ResumeArgs) -> ExitCode {
    exit(continue_run(args, None))
}

/// `flowrun retry`.
pub(crate) fn retry(args: &RetryArgs) -> ExitCode {
    exit(continue_run(
        &args.resume,
        Some(("retry", args.reason.clone())),
    ))
}

/// `flowrun skip`.
pub(crate) fn skip(args: &SkipArgs) -> ExitCode {
    exit(continue_run(
        &args.resume,
        Some(("skip", Some(args.reason.clone()))),
    ))
}

/// The flow a resumed run goes on with, and the changes it accepted.
fn flow_text(o: &Opened, accept: bool) -> Result<(String, Vec<String>), Refusal> {
    let s = &o.state;
    let snapshot = std::fs::read_to_string(o.dir.snapshot()).map_err(|e| {
        Refusal(
            EXIT_JOURNAL,
            format!(
                "cannot read the run's flow snapshot {}: {e}",
                o.dir.snapshot().display()
            ),
        )
    })?;
    let pinned = s.origin.flow_sha256.clone().unwrap_or_default();
    if sha256(&snapshot) != pinned {
        return Err(Refusal(
            EXIT_JOURNAL,
            format!(
                "{} does not match the hash in the journal: the run's record was changed",
                o.dir.snapshot().display()
            ),
        ));
    }
    let Some(source) = &s.origin.source else {
        return Ok((snapshot, Vec::new()));
    };
    let current = std::fs::read_to_string(source).ok().and_then(|text| {
        let doc = crate::document::read(source, &text);
        let selector = s
            .origin
            .flow_index
            .map(|i| crate::document::Selector::parse(&i.to_string()));
        doc.select(selector.as_ref())
            .ok()
            .map(|f| f.source.text.to_string())
    });
    let Some(current) = current else {
        eprintln!(
            "warning: cannot read the flow from {source} any more: going on with the run's snapshot"
        );
        return Ok((snapshot, Vec::new()));
    };
    if sha256(&current) == pinned {
        return Ok((snapshot, Vec::new()));
    }
    let old = crate::analyze(&snapshot);
    let new = crate::analyze(&current);
    let changes = drift::diff(&old.graph, &new.graph);
    let blocker = drift::blocker(&old.graph, &new.graph, s.current());
    let listed = if changes.is_empty() {
        "  (no node changed: only text that does not change the flow)".to_owned()
    } else {
        changes
            .iter()
            .map(|c| format!("  - {c}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if !accept {
        return Err(Refusal(
            EXIT_INVALID,
            format!(
                "{source} changed since run {} began:\n{listed}\nresume with --accept-changes to go on with the changed flow{}",
                s.run_id,
                blocker
                    .map(|b| format!(" (it would still refuse: {b})"))
                    .unwrap_or_default()
            ),
        ));
    }
    if let Some(b) = blocker {
        return Err(Refusal(
            EXIT_INVALID,
            format!(
                "{source} changed since run {} began:\n{listed}\ncannot go on: {b}",
                s.run_id
            ),
        ));
    }
    eprintln!("warning: going on with the changed flow:\n{listed}");
    Ok((current, changes))
}

/// Journals `what` (retry or skip) in every held child run the parent waits in.
fn decide_in_child(
    store: &Store,
    parent: &Opened,
    what: &str,
    reason: Option<&str>,
    by: Option<&String>,
) -> Result<(), Refusal> {
    let top = open(store, &parent.dir.path.display().to_string())?;
    let (leaves, _locks) = waiting_in(store, top, false)?;
    let held: Vec<&Opened> = leaves
        .iter()
        .filter(|l| matches!(&l.state.status, Status::Suspended { reason, .. } if reason == "held" || reason == "interrupted") || matches!(l.state.status, Status::Active))
        .filter(|l| l.state.pending().is_some())
        .collect();
    if held.is_empty() {
        return Err(Refusal(
            EXIT_INVALID,
            format!(
                "no step is held in run {}: nothing to {what}",
                parent.state.run_id
            ),
        ));
    }
    for child in held {
        let Some(p) = child.state.pending() else {
            continue;
        };
        let snapshot = std::fs::read_to_string(child.dir.snapshot()).unwrap_or_default();
        let analysis = crate::analyze(&snapshot);
        let kind = analysis
            .graph
            .lookup(&p.node)
            .and_then(|id| analysis.graph.node(id).kind);
        if what == "skip" && kind == Some(NodeKind::Condition) {
            return Err(Refusal(
                EXIT_INVALID,
                format!(
                    "`{}` (in child run {}) is a condition: it cannot be skipped; answer it",
                    p.node, child.state.run_id
                ),
            ));
        }
        let at = run_now(&child.state);
        let mut j = appender(child, &at)?;
        j.emit(&Event::Decided {
            step: Some(p.step),
            node: Some(p.node.clone()),
            decision: what.to_owned(),
            by: user(by),
            reason: reason.map(str::to_owned),
            at,
        });
        written(&j, &child.dir)?;
    }
    Ok(())
}

fn continue_run(
    args: &ResumeArgs,
    decision: Option<(&'static str, Option<String>)>,
) -> Result<ExitCode, Refusal> {
    let store = Store::new(
        args.run_args
            .state_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(".flowrun")),
    );
    let dir = store.open(&args.run)?;
    let lock = dir.lock()?;
    let mut o = open(&store, &dir.path.display().to_string())?;
    let mut decision = decision;
    if let Some((what, reason)) = &decision {
        if o.state.pending().is_some_and(|p| !p.children.is_empty()) {
            // Held inside a subroutine: the decision is the child run's; the parent
            // then resumes it.
            decide_in_child(&store, &o, what, reason.as_deref(), args.by.as_ref())?;
            o = open(&store, &dir.path.display().to_string())?;
            decision = None;
        }
    }
    let mut state = o.state.clone();
    if state.status.is_final() {
        if decision.is_some() {
            return Err(Refusal(
                EXIT_INVALID,
                format!(
                    "run {} is {}: nothing to {}",
                    state.run_id,
                    state.status.word(),
                    decision.map_or("", |d| d.0)
                ),
            ));
        }
        eprintln!(
            "run {} is already {}{}",
            state.run_id,
            state.status.word(),
            state
                .final_node
                .as_ref()
                .map(|n| format!(" at `{n}`"))
                .unwrap_or_default()
        );
        return Ok(ExitCode::from(final_code(&state.status)));
    }
    let (text, accepted) = flow_text(&o, args.accept_changes)?;
    let analysis = crate::analyze(&text);
    if analysis.has_errors() {
        let doc = crate::document::read(&state.flow, &text);
        if let Some(f) = doc.flows.first() {
            report_errors(&analysis, f, &state.flow, "resumed");
        }
        return Err(Refusal(
            EXIT_INVALID,
            format!("the flow of run {} has errors", state.run_id),
        ));
    }
    let by = user(args.by.as_ref());
    if let Some((what, reason)) = &decision {
        let Position::InStep(p) = &mut state.position else {
            return Err(Refusal(
                EXIT_INVALID,
                format!(
                    "run {} is not held at a step: nothing to {what}",
                    state.run_id
                ),
            ));
        };
        let kind = analysis
            .graph
            .lookup(&p.node)
            .and_then(|id| analysis.graph.node(id).kind);
        if *what == "skip" && kind == Some(NodeKind::Condition) {
            return Err(Refusal(
                EXIT_INVALID,
                format!(
                    "`{}` is a condition: it cannot be skipped, because the run would not know which way to go; answer it: flowrun answer {} {} yes|no --reason \"…\"",
                    p.node, state.run_id, p.node
                ),
            ));
        }
        p.decision = Some(Decision {
            decision: (*what).to_owned(),
            by: by.clone(),
            reason: reason.clone(),
        });
        p.answer = None;
    }
    let bindings_path = state.origin.bindings.as_deref().map(Path::new);
    let bindings = load_bindings(bindings_path).map_err(|e| Refusal(EXIT_INVALID, e.0))?;
    let (plan, problems) = resolve(&analysis.graph, &bindings);
    let blocking: Vec<_> = problems.iter().filter(|p| p.is_error()).collect();
    if !blocking.is_empty() {
        let source = crate::source::Source::whole(state.flow.clone(), text.as_str());
        for p in blocking {
            eprint!(
                "{}",
                render_one(
                    &Located::any(p, &source),
                    crate::cli::stderr_color(),
                    terminal_width()
                )
            );
        }
        return Err(Refusal(
            EXIT_INVALID,
            "the bindings do not fit the flow".to_owned(),
        ));
    }
    let clock = if state.clock == "virtual" {
        // The virtual clock is part of the run's record: it goes on from its last reading.
        let last: jiff::Timestamp = state.last_at.parse().map_err(|e| {
            Refusal(
                EXIT_JOURNAL,
                format!("bad run clock `{}` in the journal: {e}", state.last_at),
            )
        })?;
        Clock::Virtual {
            offset: last.duration_since(jiff::Timestamp::now()),
        }
    } else {
        Clock::Real
    };
    let mut scripted = Scripted::default();
    for a in &args.answers {
        scripted.add(a).map_err(|e| Refusal(EXIT_INVALID, e))?;
    }
    let at = state.last_at.clone();
    let journal = appender(&o, &at)?;
    let cfg = RunConfig {
        origin: state.origin.clone(),
        ..RunConfig::new(state.run_id.clone(), state.flow.clone(), PathBuf::from("."))
    }
    .with_settings(&state.origin.settings.clone().unwrap_or_default());
    let launch = Launch {
        graph: &analysis.graph,
        plan: &plan,
        bindings: &bindings,
        cfg,
        clock,
        scripted,
        journal,
        run: &args.run_args,
        dir: &o.dir,
        store: &store,
        _lock: lock,
    };
    let decided = decision.map(|(what, reason)| {
        (
            what,
            reason,
            state.pending().map(|p| (p.step, p.node.clone())),
        )
    });
    let result = drive(launch, |g, plan, bindings, cfg, rt| {
        let now = crate::exec::clock::rfc3339(rt.clock.now());
        if let Some((what, reason, at_step)) = decided {
            rt.sink.emit(&Event::Decided {
                step: at_step.as_ref().map(|a| a.0),
                node: at_step.map(|a| a.1),
                decision: what.to_owned(),
                by: by.clone(),
                reason,
                at: now.clone(),
            });
        }
        rt.sink.emit(&Event::Resumed {
            pid: std::process::id(),
            by: by.clone(),
            accepted_changes: accepted,
            at: now,
        });
        resume(g, plan, bindings, cfg, rt, &state)
    });
    result.map_err(|e| Refusal(EXIT_INVALID, e.0))
}

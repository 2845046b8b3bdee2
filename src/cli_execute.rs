//! `flowrun execute`: the command-line side of a run (files, terminal, Ctrl-C,
//! the journal, exit codes). `cli_runs.rs` picks journaled runs up again
//! through [`drive`].
//!
//! Exit codes: 0 reached an end; 1 the run failed; 2 invalid flow, bindings or
//! usage (nothing ran); 3 suspended (waiting for a timer, an answer, or an
//! operator's decision); 4 aborted; 5 the run is in use by another flowrun;
//! 6 the journal is corrupt; 130 interrupted (resumable).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::cli::{
    CliError, EXIT_INVALID, read_document, report_errors, select, stderr_color, terminal_width,
};
use crate::cli_child::{ChildRunner, check_recursion, identity};
use crate::exec::bindings::OnFailure;
use crate::exec::console::Console;
use crate::exec::dryrun::{PlanEnd, dry_run};
use crate::exec::duration::parse_duration;
use crate::exec::event::{Discard, EventSink, JsonLines, Masked, Origin, Tee};
use crate::exec::journal::Journal;
use crate::exec::parallel::BranchFailure;
use crate::exec::prompt::{LinePrompter, Scripted};
use crate::exec::store::{RunDir, RunLock, Store, create_journal, sha256};
use crate::exec::{
    Bindings, Clock, Outcome, People, Plan, PlanProblem, RunConfig, Runtime, Unbound, resolve, run,
};
use crate::graph::ParseGraph;
use crate::report::render_one;

/// The run failed (an action failed, a step error, a guard).
pub(crate) const EXIT_FAILED: u8 = 1;
/// The run is suspended: `resume` continues it.
pub(crate) const EXIT_SUSPENDED: u8 = 3;
/// The run was aborted.
pub(crate) const EXIT_ABORTED: u8 = 4;
/// Another flowrun holds the run.
pub(crate) const EXIT_BUSY: u8 = 5;
/// The journal cannot be trusted.
pub(crate) const EXIT_JOURNAL: u8 = 6;
/// Ctrl-C.
pub(crate) const EXIT_INTERRUPTED: u8 = 130;

/// `execute`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct ExecuteArgs {
    /// A file, or `-` for stdin.
    path: PathBuf,
    /// Which flow of a document: 1-based index or heading.
    #[arg(long)]
    flow: Option<String>,
    /// Bindings file (default: FLOW.flowrun.toml, else flowrun.toml beside the flow).
    #[arg(long)]
    bindings: Option<PathBuf>,
    /// Nodes without a binding: ask a person, skip them, or fail (default: ask on a terminal, else fail).
    #[arg(long, value_enum)]
    unbound: Option<UnboundArg>,
    /// `real`, `virtual` (waits pass at once) or `virtual:2026-11-27T09:00:00Z`.
    #[arg(long, default_value = "real")]
    clock: String,
    /// Stop after this many steps.
    #[arg(long, default_value_t = 10_000)]
    max_steps: u64,
    /// Print the plan and run nothing.
    #[arg(long)]
    dry_run: bool,
    /// Scripted answers for a condition, used in order: `KEY=no,no,yes` (repeatable).
    #[arg(long = "answer", value_name = "KEY=ANSWERS")]
    answers: Vec<String>,
    /// Scripted answers from a TOML file: `key = ["no", "yes"]`.
    #[arg(long = "answers", value_name = "FILE")]
    answers_file: Option<PathBuf>,
    /// What a failed step does when its binding does not say: `hold` (suspend for an
    /// operator) or `fail` (default: hold, unless the step is idempotent).
    #[arg(long, value_enum)]
    on_failure: Option<OnFailureArg>,
    /// What a failed parallel branch does when the parallel's binding does not say:
    /// `fail-fast` (cancel the other branches; the default) or `complete` (let them finish).
    #[arg(long, value_name = "fail-fast|complete", value_parser = parse_branch_failure)]
    parallel: Option<BranchFailure>,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

/// Options of every command that runs steps (`execute`, `resume`, `retry`, `skip`).
#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// Write every event as JSON Lines to FILE (`-` for stdout).
    #[arg(long)]
    pub(crate) events: Option<PathBuf>,
    /// Where runs are kept (default: `.flowrun` beside the flow).
    #[arg(long, env = "FLOWRUN_STATE_DIR")]
    pub(crate) state_dir: Option<PathBuf>,
    /// Suspend (exit 3) instead of waiting: for a person's answer, and for a wait
    /// longer than MAX (default 0s: any wait) on the real clock.
    #[arg(long, value_name = "MAX", num_args = 0..=1, default_missing_value = "0s")]
    pub(crate) detach: Option<String>,
}

fn parse_branch_failure(s: &str) -> Result<BranchFailure, String> {
    BranchFailure::parse(s).ok_or_else(|| format!("`{s}`: expected `fail-fast` or `complete`"))
}

/// `--on-failure`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OnFailureArg {
    /// Suspend the run until `flowrun retry`, `skip` or `abort`.
    Hold,
    /// Fail the run.
    Fail,
}

impl From<OnFailureArg> for OnFailure {
    fn from(o: OnFailureArg) -> Self {
        match o {
            OnFailureArg::Hold => OnFailure::Hold,
            OnFailureArg::Fail => OnFailure::Fail,
        }
    }
}

/// `--unbound`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum UnboundArg {
    /// Ask a person to do it (a checklist).
    Ask,
    /// Treat it as done.
    Skip,
    /// Stop before running.
    Fail,
}

impl From<UnboundArg> for Unbound {
    fn from(u: UnboundArg) -> Self {
        match u {
            UnboundArg::Ask => Unbound::Ask,
            UnboundArg::Skip => Unbound::Skip,
            UnboundArg::Fail => Unbound::Fail,
        }
    }
}

/// Finds the bindings file: `--bindings`, else `NAME.flowrun.toml` or
/// `FILE.flowrun.toml` beside the flow, else `flowrun.toml` there.
pub(crate) fn find_bindings(flow_path: &Path, explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    if flow_path.as_os_str() == "-" {
        return None;
    }
    let dir = flow_path.parent().unwrap_or(Path::new("."));
    let stem = flow_path.file_stem()?.to_string_lossy().to_string();
    let name = flow_path.file_name()?.to_string_lossy().to_string();
    [
        format!("{stem}.flowrun.toml"),
        format!("{name}.flowrun.toml"),
        "flowrun.toml".to_owned(),
    ]
    .into_iter()
    .map(|f| dir.join(f))
    .find(|p| p.is_file())
}

/// Loads bindings, printing their problems as miette reports.
pub(crate) fn load_bindings(path: Option<&Path>) -> Result<Bindings, CliError> {
    let Some(path) = path else {
        return Ok(Bindings::empty());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError(format!("cannot read bindings {}: {e}", path.display())))?;
    Bindings::parse(&path.display().to_string(), &text).map_err(|e| {
        eprint!("{}", render_one(&e, stderr_color(), terminal_width()));
        CliError(format!("{} is not valid", path.display()))
    })
}

fn run_id(clock: &Clock) -> String {
    let now = clock.now();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{}-{:04x}",
        now.strftime("%Y%m%dT%H%M%S"),
        (nanos ^ std::process::id()) & 0xffff
    )
}

/// Runs `flowrun execute`.
pub(crate) fn execute(args: &ExecuteArgs) -> Result<ExitCode, CliError> {
    let doc = read_document(&args.path)?;
    let f = select(&doc, args.flow.as_deref())?;
    let analysis = crate::analyze(&f.source.text);
    let color = stderr_color();
    if analysis.has_errors() {
        report_errors(&analysis, f, &doc.name, "run");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let bindings_path = find_bindings(&args.path, args.bindings.as_deref());
    let bindings = load_bindings(bindings_path.as_deref())?;
    let clock = Clock::parse(&args.clock).map_err(CliError)?;
    let mut scripted = Scripted::default();
    for a in &args.answers {
        scripted.add(a).map_err(CliError)?;
    }
    if let Some(file) = &args.answers_file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| CliError(format!("cannot read {}: {e}", file.display())))?;
        scripted
            .add_file(&file.display().to_string(), &text)
            .map_err(CliError)?;
    }
    let interactive = std::io::stdin().is_terminal();
    let default = if interactive {
        Unbound::Ask
    } else {
        Unbound::Fail
    };
    let unbound = args.unbound.map_or(default, Unbound::from);

    let (plan, problems) = resolve(&analysis.graph, &bindings);
    // A scripted answer for a node that is not a condition of this flow is a typo: the
    // real command would run instead of the answer the user meant.
    for key in scripted.keys() {
        let kind = analysis
            .graph
            .lookup(key)
            .and_then(|id| analysis.graph.node(id).kind);
        if kind != Some(crate::graph::NodeKind::Condition) {
            return Err(CliError(format!(
                "--answer {key}=…: {} in {}",
                if kind.is_some() {
                    format!("`{key}` is not a condition")
                } else {
                    format!("there is no node `{key}`")
                },
                doc.name
            )));
        }
    }
    let blocking: Vec<&PlanProblem> = problems
        .iter()
        .filter(|p| {
            p.is_error()
                || (unbound == Unbound::Fail
                    && !args.dry_run
                    && matches!(p, PlanProblem::Unbound { key, .. } if !scripted.has(key)))
        })
        .collect();
    if !blocking.is_empty() {
        eprint!("{}", render_plan_problems(&blocking, &f.source, color));
        let unbound_count = blocking
            .iter()
            .filter(|p| matches!(p, PlanProblem::Unbound { .. }))
            .count();
        if unbound_count > 0 {
            eprintln!(
                "error: {unbound_count} node{} without a binding and --unbound is `fail`{}: bind them (see the snippets above), or pass --unbound ask|skip",
                if unbound_count == 1 { " is" } else { "s are" },
                if args.unbound.is_none() {
                    " (the default when stdin is not a terminal)"
                } else {
                    ""
                }
            );
        }
        eprintln!("error: {} cannot run as bound; nothing was run", doc.name);
        return Ok(ExitCode::from(EXIT_INVALID));
    }

    let base = if args.path.as_os_str() == "-" {
        PathBuf::from(".")
    } else {
        args.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    let source = (args.path.as_os_str() != "-").then_some(args.path.as_path());
    let root = source.map_or_else(|| "-".to_owned(), |p| identity(p, f.index));
    if let Err(e) = check_recursion(&root, &analysis.graph, &bindings, &base, source) {
        eprintln!("error: {e}");
        eprintln!("error: {} cannot run as bound; nothing was run", doc.name);
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let flow_name = if doc.markdown {
        format!("{}#{}", doc.name, f.index)
    } else {
        doc.name.clone()
    };
    if args.dry_run {
        let (steps, end) = dry_run(
            &analysis.graph,
            &plan,
            &bindings,
            &mut scripted,
            args.max_steps,
        );
        println!("plan for {flow_name} (nothing runs):");
        for s in &steps {
            println!(
                "{:>4}. {:<10} [{}] {}\n        {}",
                s.step, s.node, s.kind, s.text, s.does
            );
        }
        match end {
            PlanEnd::End(e) => println!("ends at `{e}` after {} steps", steps.len()),
            PlanEnd::Stops(why) => println!("plan stops: {why}"),
        }
        return Ok(ExitCode::SUCCESS);
    }

    let cwd = if args.path.as_os_str() == "-" {
        std::env::current_dir().map_err(|e| CliError(format!("no working directory: {e}")))?
    } else {
        let dir = args
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        // Absolute, so a relative program path means the same before and after the child's chdir.
        std::fs::canonicalize(dir)
            .map_err(|e| CliError(format!("cannot use {}: {e}", dir.display())))?
    };
    let state_dir = args
        .run
        .state_dir
        .clone()
        .unwrap_or_else(|| cwd.join(".flowrun"));
    let store = Store::new(&state_dir);
    let (dir, lock) = store
        .create(&run_id(&clock), &f.source.text)
        .map_err(|e| CliError(e.to_string()))?;
    let file = create_journal(&dir).map_err(|e| CliError(e.to_string()))?;
    let absolute = |p: &Path| {
        std::fs::canonicalize(p)
            .map(|p| p.display().to_string())
            .ok()
    };
    let origin = Origin {
        source: (args.path.as_os_str() != "-")
            .then(|| absolute(&args.path))
            .flatten(),
        flow_index: doc.markdown.then_some(f.index),
        flow_sha256: Some(sha256(&f.source.text)),
        bindings: bindings_path.as_deref().and_then(absolute),
        parent: None,
        settings: None,
    };
    let cfg = RunConfig {
        unbound,
        max_steps: args.max_steps,
        origin,
        on_failure: args.on_failure.map(OnFailure::from),
        branch_failure: args.parallel,
        ..RunConfig::new(dir.id.clone(), flow_name, cwd)
    };
    let mut cfg = cfg;
    cfg.origin.settings = Some(cfg.settings());
    let launch = Launch {
        graph: &analysis.graph,
        plan: &plan,
        bindings: &bindings,
        cfg,
        clock,
        scripted,
        journal: Journal::new(file, 0, true),
        run: &args.run,
        dir: &dir,
        store: &store,
        _lock: lock,
    };
    drive(launch, |g, plan, bindings, cfg, rt| {
        run(g, plan, bindings, cfg, rt)
    })
}

/// Everything a run needs to go on: the flow, its bindings, the run's journal and lock.
pub(crate) struct Launch<'a> {
    pub(crate) graph: &'a ParseGraph,
    pub(crate) plan: &'a Plan,
    pub(crate) bindings: &'a Bindings,
    pub(crate) cfg: RunConfig,
    pub(crate) clock: Clock,
    pub(crate) scripted: Scripted,
    pub(crate) journal: Journal,
    pub(crate) run: &'a RunArgs,
    pub(crate) dir: &'a RunDir,
    pub(crate) store: &'a Store,
    /// Held until the run stops: one executor per run.
    pub(crate) _lock: RunLock,
}

type Start<'s> =
    dyn FnOnce(&ParseGraph, &Plan, &Bindings, &RunConfig, &mut Runtime<'_>) -> Outcome + 's;

/// Runs (or resumes) with the console, `--events` and the journal as sinks,
/// secrets masked in all three; prints what to do next; maps the outcome to an exit code.
pub(crate) fn drive(
    mut l: Launch<'_>,
    start: impl FnOnce(&ParseGraph, &Plan, &Bindings, &RunConfig, &mut Runtime<'_>) -> Outcome,
) -> Result<ExitCode, CliError> {
    let start: Box<Start<'_>> = Box::new(start);
    if let Some(d) = &l.run.detach {
        l.cfg.detach = Some(parse_duration(d).map_err(|e| CliError(format!("--detach: {e}")))?);
    }
    l.cfg.people = if l.run.detach.is_some() || !someone_at_stdin() {
        People::Suspend
    } else {
        People::Prompt
    };
    l.cfg.user = std::env::var("USER").ok();
    l.journal.crash_after(crate::cli_child::crash_after());
    let interrupted = Arc::new(AtomicBool::new(false));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&interrupted));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&interrupted));

    let mut console = Console::new(std::io::stderr().is_terminal());
    let mut events_sink: Box<dyn EventSink> = match &l.run.events {
        None => Box::new(Discard),
        Some(p) if p.as_os_str() == "-" => Box::new(JsonLines::new(std::io::stdout())),
        Some(p) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|e| CliError(format!("cannot write {}: {e}", p.display())))?;
            Box::new(JsonLines::new(std::io::BufWriter::new(file)))
        }
    };
    let mut prompter = LinePrompter::new(
        std::io::BufReader::new(std::io::stdin()),
        l.cfg.user.clone(),
        Arc::clone(&interrupted),
    );
    let secrets: Vec<String> = l
        .bindings
        .secrets
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .collect();
    let mut tee = Tee {
        sinks: vec![&mut console, events_sink.as_mut(), &mut l.journal],
    };
    let mut masked = Masked::new(secrets, &mut tee);
    let source = l.cfg.origin.source.as_ref().map(PathBuf::from);
    let mut children = ChildRunner {
        store: l.store.clone(),
        stack: source
            .iter()
            .map(|s| identity(s, l.cfg.origin.flow_index.unwrap_or(1)))
            .collect(),
        source,
        base: l.cfg.cwd.clone(),
        people: l.cfg.people,
        detach: l.cfg.detach,
        on_failure: l.cfg.on_failure,
        branch_failure: l.cfg.branch_failure,
        user: l.cfg.user.clone(),
        terminal: std::io::stderr().is_terminal(),
    };
    let mut rt = Runtime {
        clock: &mut l.clock,
        prompter: &mut prompter,
        scripted: &mut l.scripted,
        interrupted: &interrupted,
        sink: &mut masked,
        children: Some(&mut children),
    };
    let outcome = start(l.graph, l.plan, l.bindings, &l.cfg, &mut rt);
    drop(masked);
    drop(tee);
    if let Some(e) = l.journal.error() {
        eprintln!(
            "error: cannot write the journal {}: {e}; the run stopped before its next action",
            l.dir.journal().display()
        );
        return Ok(ExitCode::from(EXIT_JOURNAL));
    }
    if let Some(e) = events_sink.error() {
        // The run happened, but this record of it is incomplete: say so, and fail.
        eprintln!(
            "error: cannot write events to {}: {e}; the journal is complete ({})",
            l.run
                .events
                .as_deref()
                .map_or_else(String::new, |p| p.display().to_string()),
            l.dir.journal().display()
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let run = format!("{}{}", l.dir.id, state_dir_flag(l.store.root()));
    Ok(ExitCode::from(match outcome {
        Outcome::Completed { .. } => 0,
        Outcome::Failed { .. } => EXIT_FAILED,
        Outcome::Suspended { node, reason, .. } => {
            match reason.as_str() {
                "answer" => eprintln!(
                    "  answer it: flowrun answer {run} {node} yes|no --reason \"…\"\n  then:      flowrun resume {run}"
                ),
                "held" => eprintln!(
                    "  decide:    flowrun retry {run}  |  flowrun skip {run} --reason \"…\"  |  flowrun abort {run}{}\n  see:       flowrun show {run}",
                    if l.graph.lookup(&node).map(|id| l.graph.node(id).kind)
                        == Some(Some(crate::graph::NodeKind::Condition))
                    {
                        format!("  |  flowrun answer {run} {node} yes|no --reason \"…\"")
                    } else {
                        String::new()
                    }
                ),
                _ => eprintln!("  continue:  flowrun resume {run}"),
            }
            EXIT_SUSPENDED
        }
        Outcome::Interrupted => {
            eprintln!("  continue:  flowrun resume {run}");
            EXIT_INTERRUPTED
        }
    }))
}

/// ` --state-dir DIR` unless DIR is `./.flowrun`, for the commands printed after a run.
pub(crate) fn state_dir_flag(root: &Path) -> String {
    let default = std::env::current_dir().map(|d| d.join(".flowrun")).ok();
    let same = match (
        std::fs::canonicalize(root),
        default.map(std::fs::canonicalize),
    ) {
        (Ok(a), Some(Ok(b))) => a == b,
        _ => false,
    };
    if same || std::env::var_os("FLOWRUN_STATE_DIR").is_some() {
        String::new()
    } else {
        format!(" --state-dir {}", root.display())
    }
}

/// Whether anyone can answer on stdin: a terminal, or a pipe or file someone
/// feeds. `/dev/null` or a closed stdin (cron, systemd) means nobody is there.
fn someone_at_stdin() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::FileTypeExt;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return true;
    }
    let Ok(fd) = stdin.as_fd().try_clone_to_owned() else {
        return false;
    };
    std::fs::File::from(fd).metadata().is_ok_and(|m| {
        let t = m.file_type();
        t.is_fifo() || t.is_file() || t.is_socket()
    })
}

fn render_plan_problems(
    problems: &[&PlanProblem],
    source: &crate::source::Source,
    color: bool,
) -> String {
    problems
        .iter()
        .map(|p| {
            render_one(
                &crate::report::Located::any(*p, source),
                color,
                terminal_width(),
            )
        })
        .collect()
}

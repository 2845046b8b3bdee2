//! `flowrun execute`: the command-line side of a run (files, terminal, Ctrl-C, exit codes).
//!
//! Exit codes: 0 reached an end; 1 the run failed; 2 invalid flow, bindings or
//! usage; 130 interrupted.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::cli::{
    CliError, EXIT_INVALID, read_document, report_errors, select, stderr_color, terminal_width,
};
use crate::exec::console::Console;
use crate::exec::dryrun::{PlanEnd, dry_run};
use crate::exec::event::{Discard, EventSink, JsonLines, Tee};
use crate::exec::prompt::{LinePrompter, Scripted};
use crate::exec::{
    Bindings, Clock, Outcome, PlanProblem, RunConfig, Runtime, Unbound, resolve, run,
};
use crate::report::render_one;

/// The run failed (an action failed, a step error, a guard).
const EXIT_FAILED: u8 = 1;
/// Ctrl-C.
const EXIT_INTERRUPTED: u8 = 130;

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
    /// Write every event as JSON Lines to FILE (`-` for stdout).
    #[arg(long)]
    events: Option<PathBuf>,
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
    let mut clock = Clock::parse(&args.clock).map_err(CliError)?;
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

    let interrupted = Arc::new(AtomicBool::new(false));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&interrupted));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&interrupted));

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
    let cfg = RunConfig {
        unbound,
        max_steps: args.max_steps,
        ..RunConfig::new(run_id(&clock), flow_name, cwd)
    };
    let mut console = Console::new(std::io::stderr().is_terminal());
    let mut events_sink: Box<dyn EventSink> = match &args.events {
        None => Box::new(Discard),
        Some(p) if p.as_os_str() == "-" => Box::new(JsonLines::new(std::io::stdout())),
        Some(p) => {
            let file = std::fs::File::create(p)
                .map_err(|e| CliError(format!("cannot write {}: {e}", p.display())))?;
            Box::new(JsonLines::new(std::io::BufWriter::new(file)))
        }
    };
    let who = std::env::var("USER").ok();
    let mut prompter = LinePrompter::new(
        std::io::BufReader::new(std::io::stdin()),
        who,
        Arc::clone(&interrupted),
    );
    let mut tee = Tee {
        sinks: vec![&mut console, events_sink.as_mut()],
    };
    let mut rt = Runtime {
        clock: &mut clock,
        prompter: &mut prompter,
        scripted: &mut scripted,
        interrupted: &interrupted,
        sink: &mut tee,
    };
    let outcome = run(&analysis.graph, &plan, &bindings, &cfg, &mut rt);
    if let Some(e) = events_sink.error() {
        // The run happened, but its record is incomplete: say so, and fail.
        eprintln!(
            "error: cannot write events to {}: {e}; the record of this run is incomplete",
            args.events
                .as_deref()
                .map_or_else(String::new, |p| p.display().to_string())
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    Ok(ExitCode::from(match outcome {
        Outcome::Completed { .. } => 0,
        Outcome::Failed { .. } => EXIT_FAILED,
        Outcome::Interrupted => EXIT_INTERRUPTED,
    }))
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

//! The command line: clap arguments → commands. The only module that reads
//! files, prints, and decides exit codes.
//!
//! Exit codes: 0 success, 2 errors in a flow, bad usage or an unreadable file.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::check::Severity;
use crate::document::{self, Document, FlowText, SelectError, Selector};
use crate::graph::Flow;
use crate::graph::json::{Render, to_json};
use crate::report::{JsonDiagnostic, render_human};

/// Exit code for a flow with errors, bad usage, or an I/O error.
pub(crate) const EXIT_INVALID: u8 = 2;

/// A flow this large (bytes) is not freed piece by piece after `check`.
const LARGE_FLOW: usize = 1 << 20;

/// flowrun: check, draw and run flowchart.js runbooks.
#[derive(Debug, Parser)]
#[command(name = "flowrun", version, about, propagate_version = true)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Report every problem in flows (files, Markdown documents, directories, or `-` for stdin).
    Check {
        /// Files or directories (every .flow/.md below); `-` reads stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Check only this flow of each document: 1-based index or heading.
        #[arg(long)]
        flow: Option<String>,
        /// Treat warnings as errors.
        #[arg(long)]
        deny_warnings: bool,
        /// Also check a bindings file: unbound nodes, ambiguous bindings, actions that do not fit.
        #[arg(long)]
        bindings: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
    },
    /// Run a flow: operations run their bound actions, conditions get answers.
    Execute(crate::cli_execute::ExecuteArgs),
    /// List the runs kept in a state folder: status, where each is, what it waits for.
    Runs(crate::cli_runs::RunsArgs),
    /// A run's timeline: each step, its result, who answered and why.
    Show(crate::cli_runs::ShowArgs),
    /// Continue a suspended, interrupted or crashed run from its journal.
    Resume(crate::cli_runs::ResumeArgs),
    /// Answer the condition a suspended run waits at (then `resume`).
    Answer(crate::cli_runs::AnswerArgs),
    /// End a run that is not finished; it will not run again.
    Abort(crate::cli_runs::AbortArgs),
    /// Run a held step again, then continue.
    Retry(crate::cli_runs::RetryArgs),
    /// Mark a held step as done without running it, then continue.
    Skip(crate::cli_runs::SkipArgs),
    /// Print a flow's graph.
    Graph {
        /// A file, or `-` for stdin.
        path: PathBuf,
        /// Which flow of a document: 1-based index or heading.
        #[arg(long)]
        flow: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Json)]
        format: GraphFormat,
        /// Leave out the replay of flowchart.js's drawing (`render`).
        #[arg(long)]
        no_render: bool,
    },
    /// Draw a flow: Graphviz DOT, Mermaid, SVG/PNG (needs Graphviz), or canonical flowchart.js text.
    Render {
        /// A file, or `-` for stdin.
        path: PathBuf,
        /// Which flow of a document: 1-based index or heading.
        #[arg(long)]
        flow: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = RenderFormat::Dot)]
        format: RenderFormat,
        /// Write to this file instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Also draw nodes that cannot be reached from the start (dashed, marked "unreachable").
        #[arg(long)]
        all: bool,
        /// Draw this run on the flow: visited nodes, taken edges, where it is now.
        #[arg(long)]
        run: Option<String>,
        /// Where runs are kept (with --run; default: `.flowrun` beside the flow).
        #[arg(long, env = "FLOWRUN_STATE_DIR")]
        state_dir: Option<PathBuf>,
    },
    /// Rewrite flows as canonical flowchart.js text (Markdown: only inside `flow` fences).
    Fmt {
        /// Files or directories (every .flow/.md below).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Change nothing; print a diff and exit 1 when a file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// List the flows in documents: index, line, nearest heading, node count.
    List {
        /// Files or directories; `-` reads stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    /// miette reports on stderr.
    Human,
    /// One JSON object per diagnostic per line, on stdout.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    /// The flowchart.js oracle's JSON shape.
    Json,
    /// The flow as readable text.
    Text,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum RenderFormat {
    /// Graphviz DOT.
    Dot,
    /// Mermaid `flowchart TD`.
    Mermaid,
    /// SVG, drawn by Graphviz `dot`.
    Svg,
    /// PNG, drawn by Graphviz `dot`.
    Png,
    /// Canonical flowchart.js text (what `flowrun fmt` writes).
    Flowchartjs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    /// A table.
    Human,
    /// One JSON object per flow per line.
    Json,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    crate::pages::start_small();
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(EXIT_INVALID)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if args.command.starts_programs() {
        crate::pages::restore();
    }
    match run(args) {
        Ok(code) => code,
        Err(CliError(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(EXIT_INVALID)
        }
    }
}

impl Command {
    /// Whether the command may start other programs (plugins, Graphviz): they
    /// inherit the process's huge-page setting, which must then be as found.
    fn starts_programs(&self) -> bool {
        match self {
            Command::Check { .. }
            | Command::Graph { .. }
            | Command::Fmt { .. }
            | Command::List { .. } => false,
            Command::Render { format, .. } => {
                matches!(format, RenderFormat::Svg | RenderFormat::Png)
            }
            _ => true,
        }
    }
}

/// A failure that stops a command: unreadable file, bad selection.
#[derive(Debug)]
pub(crate) struct CliError(pub(crate) String);

fn run(args: Args) -> Result<ExitCode, CliError> {
    match args.command {
        Command::Check {
            paths,
            flow,
            deny_warnings,
            bindings,
            format,
        } => check(
            &paths,
            flow.as_deref(),
            deny_warnings,
            bindings.as_deref(),
            format,
        ),
        Command::Execute(args) => crate::cli_execute::execute(&args),
        Command::Runs(args) => Ok(crate::cli_runs::runs(&args)),
        Command::Show(args) => Ok(crate::cli_runs::show(&args)),
        Command::Resume(args) => Ok(crate::cli_runs::resume_cmd(&args)),
        Command::Answer(args) => Ok(crate::cli_runs::answer(&args)),
        Command::Abort(args) => Ok(crate::cli_runs::abort(&args)),
        Command::Retry(args) => Ok(crate::cli_runs::retry(&args)),
        Command::Skip(args) => Ok(crate::cli_runs::skip(&args)),
        Command::Graph {
            path,
            flow,
            format,
            no_render,
        } => graph(&path, flow.as_deref(), format, no_render),
        Command::Render {
            path,
            flow,
            format,
            output,
            all,
            run,
            state_dir,
        } => render(
            &path,
            flow.as_deref(),
            format,
            output.as_deref(),
            all,
            run.as_deref().map(|r| (r, state_dir.as_deref())),
        ),
        Command::Fmt { paths, check } => fmt(&paths, check),
        Command::List { paths, format } => list(&paths, format),
    }
}

/// Reads one path (`-` = stdin) into a document.
pub(crate) fn read_document(path: &Path) -> Result<Document, CliError> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError(format!("cannot read stdin: {e}")))?;
        crate::pages::fit(text.len());
        return Ok(document::read("-", text));
    }
    let bytes = crate::file::read(path)
        .map_err(|e| CliError(format!("cannot read {}: {e}", path.display())))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        CliError(format!(
            "{} is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })?;
    Ok(document::read(&path.display().to_string(), text))
}

/// Expands directories into their `.flow`/`.md` files.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() != "-" && p.is_dir() {
            let files = document::files_below(p);
            if files.is_empty() {
                return Err(CliError(format!(
                    "{} has no .flow or .md files",
                    p.display()
                )));
            }
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

pub(crate) fn select<'d>(doc: &'d Document, flow: Option<&str>) -> Result<&'d FlowText, CliError> {
    let selector = flow.map(Selector::parse);
    doc.select(selector.as_ref()).map_err(|e| {
        CliError(match e {
            SelectError::Empty => format!("{} has no flow (no ```flow fence)", doc.name),
            SelectError::Ambiguous(n) => format!(
                "{} has {n} flows; pick one with --flow N or --flow HEADING (see `flowrun list {}`)",
                doc.name, doc.name
            ),
            SelectError::NotFound => format!(
                "{} has no flow {} (see `flowrun list {}`)",
                doc.name,
                flow.unwrap_or_default(),
                doc.name
            ),
            SelectError::SeveralMatch(ix) => format!(
                "--flow {} matches flows {:?} of {}; use the index",
                flow.unwrap_or_default(),
                ix,
                doc.name
            ),
        })
    })
}

fn check(
    paths: &[PathBuf],
    flow: Option<&str>,
    deny_warnings: bool,
    bindings: Option<&Path>,
    format: CheckFormat,
) -> Result<ExitCode, CliError> {
    let files = expand(paths)?;
    let bindings = match bindings {
        Some(b) => Some(crate::cli_execute::load_bindings(Some(b))?),
        None => None,
    };
    let color = stderr_color();
    let width = terminal_width();
    let (mut errors, mut warnings, mut flows) = (0usize, 0usize, 0usize);
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    for (file_index, file) in files.iter().enumerate() {
        let last_file = file_index + 1 == files.len();
        // One unreadable file or missing flow does not hide the others' problems.
        let doc = match read_document(file) {
            Ok(d) => d,
            Err(CliError(e)) => {
                let _ = writeln!(stderr, "error: {e}");
                errors += 1;
                continue;
            }
        };
        let chosen: Vec<&FlowText> = match flow {
            Some(_) => match select(&doc, flow) {
                Ok(f) => vec![f],
                Err(CliError(e)) => {
                    let _ = writeln!(stderr, "error: {e}");
                    errors += 1;
                    continue;
                }
            },
            None => doc.flows.iter().collect(),
        };
        let chosen_count = chosen.len();
        for (flow_index, f) in chosen.into_iter().enumerate() {
            flows += 1;
            let analysis = crate::analyze(&f.source.text);
            for p in &analysis.problems {
                match p.severity() {
                    Severity::Error => errors += 1,
                    Severity::Warning => warnings += 1,
                }
            }
            let written = match format {
                CheckFormat::Human => {
                    let text = render_human(&analysis.problems, &f.source, color, width);
                    stderr.write_all(text.as_bytes())
                }
                CheckFormat::Json => analysis.problems.iter().try_for_each(|p| {
                    let json = serde_json::to_string(&JsonDiagnostic::new(p, &f.source))
                        .unwrap_or_default();
                    writeln!(stdout, "{json}")
                }),
            };
            if written.is_err() {
                return Ok(ExitCode::from(EXIT_INVALID));
            }
            if let Some(b) = &bindings {
                let (_, plan_problems) = crate::exec::resolve(&analysis.graph, b);
                for p in &plan_problems {
                    if p.is_error() {
                        errors += 1;
                    } else {
                        warnings += 1;
                    }
                    let written = match format {
                        CheckFormat::Human => {
                            let located = crate::report::Located::any(p, &f.source);
                            let text = crate::report::render_one(&located, color, width);
                            stderr.write_all(text.as_bytes())
                        }
                        CheckFormat::Json => {
                            let json = serde_json::to_string(&JsonDiagnostic::any(
                                p,
                                p.span(),
                                p.is_error(),
                                &f.source,
                            ))
                            .unwrap_or_default();
                            writeln!(stdout, "{json}")
                        }
                    };
                    if written.is_err() {
                        return Ok(ExitCode::from(EXIT_INVALID));
                    }
                }
            }
            if f.source.text.len() > LARGE_FLOW || (last_file && flow_index + 1 == chosen_count) {
                // Freeing millions of small allocations takes longer than the whole
                // rest of the process exit; let the OS reclaim a large flow's memory,
                // and the last flow's, since the process ends next.
                std::mem::forget(analysis);
            }
        }
    }
    if format == CheckFormat::Human {
        // In one write: stderr is not buffered, and `writeln!` would make a system
        // call for each piece of the line (15 of them).
        let summary = format!(
            "checked {flows} flow{} in {} file{}: {errors} error{}, {warnings} warning{}\n",
            plural(flows),
            files.len(),
            plural(files.len()),
            plural(errors),
            plural(warnings)
        );
        let _ = stderr.write_all(summary.as_bytes());
    }
    let failed = errors > 0 || (deny_warnings && warnings > 0);
    Ok(if failed {
        ExitCode::from(EXIT_INVALID)
    } else {
        ExitCode::SUCCESS
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Whether stderr gets colour.
pub(crate) fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Prints a flow's errors (not its warnings) and that nothing was `done` because of them.
pub(crate) fn report_errors(analysis: &crate::Analysis, f: &FlowText, doc: &str, done: &str) {
    let errors: Vec<_> = analysis
        .problems
        .iter()
        .filter(|p| p.severity() == Severity::Error)
        .cloned()
        .collect();
    eprint!(
        "{}",
        render_human(&errors, &f.source, stderr_color(), terminal_width())
    );
    eprintln!("error: {doc} has errors; nothing was {done}");
}

pub(crate) fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

fn graph(
    path: &Path,
    flow: Option<&str>,
    format: GraphFormat,
    no_render: bool,
) -> Result<ExitCode, CliError> {
    let doc = read_document(path)?;
    let f = select(&doc, flow)?;
    let ast = crate::syntax::parse(&f.source.text);
    let g = crate::graph::build(&ast);
    let code = g.errors().first().map(|e| {
        miette::Diagnostic::code(e)
            .map(|c| c.to_string())
            .unwrap_or_default()
    });
    let mut out = std::io::stdout().lock();
    let written = match format {
        GraphFormat::Json => {
            let render = if no_render { Render::No } else { Render::Yes };
            let value = to_json(&g, code.as_deref(), render);
            serde_json::to_string_pretty(&value)
                .map_err(std::io::Error::other)
                .and_then(|s| writeln!(out, "{s}"))
        }
        GraphFormat::Text => writeln!(out, "{}", graph_text(&g)),
    };
    if written.is_err() {
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    if code.is_some() {
        let analysis = crate::analyze(&f.source.text);
        let errors: Vec<_> = analysis
            .problems
            .into_iter()
            .filter(|p| matches!(p, crate::check::Problem::Build(_)))
            .collect();
        let color = stderr_color();
        eprint!(
            "{}",
            render_human(&errors, &f.source, color, terminal_width())
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    Ok(ExitCode::SUCCESS)
}

/// The flow as text: one line per reachable node, then its edges; for a
/// parallel, where its paths join.
fn graph_text(g: &crate::graph::ParseGraph) -> String {
    use std::fmt::Write as _;
    let flow = Flow::new(g);
    let mut s = String::new();
    let Some(start) = flow.start() else {
        return "(no start: the flow has no connection)".to_owned();
    };
    let _ = writeln!(s, "start: {}", g.node(start).key);
    let shapes = crate::graph::parallel_shapes(&flow);
    for id in flow.steps() {
        let n = g.node(id);
        let kind = n.type_name();
        let _ = writeln!(
            s,
            "{} [{kind}] {}",
            n.key,
            n.text.as_deref().unwrap_or("").replace('\n', "\\n")
        );
        for e in flow.successors(id) {
            let to = e
                .target
                .map_or_else(|| "(undefined)".to_owned(), |t| g.node(t).key.to_string());
            let _ = writeln!(s, "  --{}--> {to}", e.branch);
        }
        if let Some(shape) = shapes
            .iter()
            .find(|p| p.parallel == id && p.paths.len() >= 2)
        {
            let join = match shape.join {
                _ if !shape.is_structured() => {
                    "has no well-defined join (see `flowrun check`)".to_owned()
                }
                Some(j) => format!("joins at `{}`", g.node(j).key),
                None => "paths end separately".to_owned(),
            };
            let _ = writeln!(s, "  {}: parallel, {join}", n.key);
        }
    }
    s.trim_end().to_owned()
}

fn list(paths: &[PathBuf], format: ListFormat) -> Result<ExitCode, CliError> {
    let files = expand(paths)?;
    let mut out = std::io::stdout().lock();
    for file in &files {
        let doc = read_document(file)?;
        for f in &doc.flows {
            let ast = crate::syntax::parse(&f.source.text);
            // Distinct keys: a redefinition is the same node to the reader.
            let nodes = ast
                .statements
                .iter()
                .filter_map(|s| match s {
                    crate::syntax::Statement::Definition(d) => Some(d.key.as_str()),
                    _ => None,
                })
                .collect::<std::collections::HashSet<_>>()
                .len();
            let heading = f.heading.as_deref().unwrap_or("");
            let line = match format {
                ListFormat::Human => format!(
                    "{}:{}\t#{}\t{} nodes\t{}",
                    doc.name, f.line, f.index, nodes, heading
                ),
                ListFormat::Json => serde_json::json!({
                    "file": doc.name,
                    "index": f.index,
                    "line": f.line,
                    "heading": f.heading,
                    "nodes": nodes,
                })
                .to_string(),
            };
            if writeln!(out, "{line}").is_err() {
                return Ok(ExitCode::from(EXIT_INVALID));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn render(
    path: &Path,
    flow: Option<&str>,
    format: RenderFormat,
    output: Option<&Path>,
    all: bool,
    run: Option<(&str, Option<&Path>)>,
) -> Result<ExitCode, CliError> {
    use crate::render::{
        Image, RenderOptions, run_dot, to_dot_with, to_flowchartjs, to_mermaid_with, view,
    };
    let doc = read_document(path)?;
    let f = select(&doc, flow)?;
    let analysis = crate::analyze(&f.source.text);
    if analysis.has_errors() {
        report_errors(&analysis, f, &doc.name, "drawn");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let v = view(&analysis.graph, RenderOptions { all });
    let title = f.heading.clone().unwrap_or_else(|| {
        Path::new(&doc.name)
            .file_stem()
            .map_or_else(|| "flow".to_owned(), |s| s.to_string_lossy().to_string())
    });
    let overlay = match run {
        Some((id, state_dir)) => Some(run_overlay(path, f, id, state_dir)?),
        None => None,
    };
    let bytes: Vec<u8> = match format {
        RenderFormat::Dot => to_dot_with(&v, &title, overlay.as_ref()).into_bytes(),
        RenderFormat::Mermaid => to_mermaid_with(&v, overlay.as_ref()).into_bytes(),
        RenderFormat::Flowchartjs => match &overlay {
            Some(o) => to_flowchartjs(&f.source.text, o).into_bytes(),
            None => crate::fmt::format_flow(&f.source.text).text.into_bytes(),
        },
        RenderFormat::Svg | RenderFormat::Png => {
            let image = if format == RenderFormat::Svg {
                Image::Svg
            } else {
                Image::Png
            };
            // FLOWRUN_DOT names another Graphviz binary (and lets tests simulate a missing one).
            let program = std::env::var_os("FLOWRUN_DOT").unwrap_or_else(|| "dot".into());
            run_dot(&program, &to_dot_with(&v, &title, overlay.as_ref()), image)
                .map_err(|e| CliError(e.to_string()))?
        }
    };
    write_output(output, &bytes)?;
    Ok(ExitCode::SUCCESS)
}

/// The overlay of run `id` (kept in `state_dir`, default `.flowrun` beside the flow).
fn run_overlay(
    path: &Path,
    f: &FlowText,
    id: &str,
    state_dir: Option<&Path>,
) -> Result<crate::render::Overlay, CliError> {
    let root = state_dir.map_or_else(
        || {
            path.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .join(".flowrun")
        },
        Path::to_path_buf,
    );
    let store = crate::exec::store::Store::new(root);
    let dir = store.open(id).map_err(|e| CliError(e.to_string()))?;
    let read = crate::exec::journal::read(&dir.journal()).map_err(|e| CliError(e.to_string()))?;
    let state = crate::exec::state::RunState::fold(&read.records)
        .ok_or_else(|| CliError(format!("run {} has an empty journal", dir.id)))?;
    if state.origin.flow_sha256.as_deref() != Some(&crate::exec::store::sha256(&f.source.text)) {
        eprintln!(
            "warning: this flow is not the one run {} began with (it changed, or it is another flow): nodes it no longer has are not drawn",
            dir.id
        );
    }
    // Branch runs and child runs, breadth first (bounded: a run has few).
    let mut children = Vec::new();
    let mut todo: Vec<String> = state
        .timeline
        .iter()
        .flat_map(|v| v.children.clone())
        .collect();
    while let Some(id) = todo.pop() {
        if children.len() > 1000 {
            break;
        }
        let Ok(dir) = store.open(&id) else { continue };
        let Ok(read) = crate::exec::journal::read(&dir.journal()) else {
            continue;
        };
        if let Some(c) = crate::exec::state::RunState::fold(&read.records) {
            // Branches of branches draw on the same flow; a child run's own children do not.
            if c.branch_start().is_some() {
                todo.extend(c.timeline.iter().flat_map(|v| v.children.clone()));
            }
            children.push(c);
        }
    }
    Ok(state.overlay_with(&children))
}

/// Writes to a file (through a temporary file, so a failure never leaves a
/// partial or empty file behind) or to stdout.
fn write_output(output: Option<&Path>, bytes: &[u8]) -> Result<(), CliError> {
    match output {
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = out.write_all(bytes).and_then(|()| out.flush());
            Ok(())
        }
        Some(path) => write_atomically(path, bytes),
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().to_string());
    let tmp = dir.join(format!(".{name}.flowrun-{}", std::process::id()));
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            CliError(format!("cannot write {}: {e}", path.display()))
        })
}

/// Exit code for `fmt --check` when a file is not formatted.
const EXIT_UNFORMATTED: u8 = 1;

fn fmt(paths: &[PathBuf], check: bool) -> Result<ExitCode, CliError> {
    if paths.iter().any(|p| p.as_os_str() == "-") {
        return Err(CliError("fmt rewrites files in place; to format stdin use `flowrun render - --format flowchartjs`".to_owned()));
    }
    let files = expand(paths)?;
    let (mut unformatted, mut failed, mut changed) = (0usize, 0usize, 0usize);
    let mut out = std::io::stdout().lock();
    for file in &files {
        let doc_name = file.display().to_string();
        let bytes =
            std::fs::read(file).map_err(|e| CliError(format!("cannot read {doc_name}: {e}")))?;
        let Ok(text) = String::from_utf8(bytes) else {
            eprintln!("error: {doc_name} is not UTF-8 text; not formatted");
            failed += 1;
            continue;
        };
        let formatted = match crate::fmt::format_document(&doc_name, &text) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {doc_name}: {e}; not formatted");
                failed += 1;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        if check {
            unformatted += 1;
            let diff = similar::TextDiff::from_lines(&text, &formatted);
            let shown = diff
                .unified_diff()
                .context_radius(2)
                .header(&doc_name, &format!("{doc_name} (formatted)"))
                .to_string();
            let _ = write!(out, "{shown}");
        } else {
            write_atomically(file, formatted.as_bytes())?;
            changed += 1;
            eprintln!("formatted {doc_name}");
        }
    }
    if check && unformatted > 0 {
        eprintln!(
            "{unformatted} file{} not formatted (run `flowrun fmt` to fix)",
            plural(unformatted)
        );
    } else if !check {
        eprintln!(
            "{changed} file{} formatted, {} already formatted",
            plural(changed),
            files.len() - changed - failed
        );
    }
    Ok(if failed > 0 {
        ExitCode::from(EXIT_INVALID)
    } else if unformatted > 0 {
        ExitCode::from(EXIT_UNFORMATTED)
    } else {
        ExitCode::SUCCESS
    })
}

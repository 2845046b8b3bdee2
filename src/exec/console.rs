//! The console view of a run: one line per step, output indented under it,
//! a spinner while an action runs on a terminal (indicatif), plain lines otherwise.

use std::io::Write;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::exec::event::{Event, EventSink};

/// Prints a run as it happens (to stderr).
pub struct Console {
    spinner: Option<ProgressBar>,
    terminal: bool,
    current: Option<(String, String)>,
    started: std::time::Instant,
    /// Put before every line: a child run's lines are indented under its parent's step.
    indent: String,
}

impl Console {
    /// `terminal`: draw spinners (stderr is a terminal).
    pub fn new(terminal: bool) -> Self {
        Console {
            spinner: None,
            terminal,
            current: None,
            started: std::time::Instant::now(),
            indent: String::new(),
        }
    }

    /// The console of a child run `depth` levels down.
    pub fn nested(terminal: bool, depth: usize) -> Self {
        Console {
            indent: "    ┊ ".repeat(depth),
            ..Console::new(terminal)
        }
    }

    fn line(&self, s: &str) {
        let indented;
        let s = if self.indent.is_empty() {
            s
        } else {
            indented = format!("{}{s}", self.indent);
            &indented
        };
        if let Some(sp) = &self.spinner {
            sp.suspend(|| eprintln!("{s}"));
        } else {
            let mut e = std::io::stderr().lock();
            let _ = writeln!(e, "{s}");
        }
    }
}

impl EventSink for Console {
    fn emit(&mut self, event: &Event) {
        match event {
            Event::RunStarted {
                run_id,
                flow,
                clock,
                at,
                ..
            } => {
                self.line(&format!("▶ run {run_id} of {flow} ({clock} clock, {at})"));
            }
            Event::StepStarted {
                node,
                text,
                attempt,
                argv,
                ..
            } => {
                self.current = Some((node.clone(), text.clone()));
                if *attempt > 1 {
                    self.line(&format!("  ↻ [{node}] attempt {attempt}"));
                }
                if self.terminal {
                    let sp = ProgressBar::new_spinner();
                    sp.set_style(
                        ProgressStyle::with_template("  {spinner} [{prefix}] {msg} {elapsed}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    sp.set_prefix(node.clone());
                    sp.set_message(
                        argv.as_ref()
                            .map_or_else(|| text.clone(), |a| format!("{text} — {}", a.join(" "))),
                    );
                    sp.enable_steady_tick(Duration::from_millis(100));
                    self.spinner = Some(sp);
                }
            }
            Event::Output { stream, line, .. } => {
                let mark = if stream == "stderr" { "┆" } else { "│" };
                self.line(&format!("    {mark} {line}"));
            }
            Event::Answered {
                node,
                answer,
                source,
                by,
                reason,
                ..
            } => {
                let who = by.as_ref().map(|b| format!(" by {b}")).unwrap_or_default();
                let why = reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                self.line(&format!("    → {node}: {answer} ({source}{who}{why})"));
            }
            Event::Waited { until, .. } => self.line(&format!("    ⏳ waiting until {until}")),
            Event::StepFinished {
                node,
                status,
                duration_ms,
                message,
                ..
            } => {
                if let Some(sp) = self.spinner.take() {
                    sp.finish_and_clear();
                }
                // A resumed step has no step_started in this process: no text to show.
                let text = self
                    .current
                    .take()
                    .map(|(_, t)| format!("{t} "))
                    .unwrap_or_default();
                let mark = match status.as_str() {
                    "ok" => "✓",
                    "skipped" => "↷",
                    "interrupted" => "■",
                    _ => "✗",
                };
                let note = message
                    .as_ref()
                    .map(|m| format!(" — {m}"))
                    .unwrap_or_default();
                self.line(&format!(
                    "  {mark} {node:<10} {text}({}){note}",
                    human(*duration_ms)
                ));
            }
            Event::Suspended {
                node,
                reason,
                message,
                at,
                ..
            } => {
                if let Some(sp) = self.spinner.take() {
                    sp.finish_and_clear();
                }
                let mark = if reason == "interrupted" { "■" } else { "⏸" };
                let at_node = node.as_ref().map(|n| format!(" at `{n}`")).unwrap_or_default();
                let what = message.as_deref().unwrap_or(reason);
                self.line(&format!("{mark} suspended{at_node} (run clock {at}): {what}"));
            }
            Event::Resumed { by, accepted_changes, at, .. } => {
                let who = by.as_ref().map(|b| format!(" by {b}")).unwrap_or_default();
                self.line(&format!("▶ resumed{who} (run clock {at})"));
                if !accepted_changes.is_empty() {
                    self.line(&format!(
                        "  ⚠ with changes to the flow: {}",
                        accepted_changes.join("; ")
                    ));
                }
            }
            Event::Decided {
                node,
                decision,
                by,
                reason,
                ..
            } => {
                let who = by.as_ref().map(|b| format!(" by {b}")).unwrap_or_default();
                let why = reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default();
                let at_node = node.as_ref().map(|n| format!(" `{n}`")).unwrap_or_default();
                self.line(&format!("  ⚑ {decision}{at_node}{who}{why}"));
            }
            Event::ChildStarted { child, flow, .. } => {
                if let Some(sp) = self.spinner.take() {
                    sp.finish_and_clear();
                }
                self.line(&format!("    ↳ child run {child} of {flow}"));
            }
            Event::JournalRepaired { dropped_bytes, .. } => self.line(&format!(
                "  ⚠ the journal's last line was torn by a crash: removed {dropped_bytes} bytes (that write never completed)"
            )),
            Event::RunFinished {
                status,
                end,
                steps,
                path,
                message,
                at,
            } => {
                if let Some(sp) = self.spinner.take() {
                    sp.finish_and_clear();
                }
                let how = match (status.as_str(), end, message) {
                    ("completed", Some(e), _) => format!("completed at `{e}`"),
                    (s, _, Some(m)) => format!("{s}: {m}"),
                    (s, _, None) => s.to_owned(),
                };
                self.line(&format!(
                    "■ {how} — {steps} step{} in {} (run clock {at})",
                    if *steps == 1 { "" } else { "s" },
                    human(u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX))
                ));
                self.line(&format!("  path: {}", path.join(" → ")));
            }
        }
    }
}

fn human(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        #[allow(clippy::cast_precision_loss)]
        let s = ms as f64 / 1000.0;
        format!("{s:.1} s")
    }
}

//! Run events: every step of a run is a sequence of these.
//!
//! The engine only emits events; printing, `--events` files and (next) the
//! durable journal are sinks. A run's state is a fold over its events.

use serde::{Deserialize, Serialize};

/// One thing that happened in a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A run began.
    RunStarted {
        /// The run's id.
        run_id: String,
        /// The flow (file, and `#N` for a document's flow).
        flow: String,
        /// `real` or `virtual`.
        clock: String,
        /// How to find the flow again on resume.
        #[serde(flatten, default)]
        origin: Origin,
        /// Run clock, RFC 3339.
        at: String,
    },
    /// A step began: a node, its binding, and what will run.
    StepStarted {
        /// 1-based step number.
        step: u64,
        /// The node's key.
        node: String,
        /// The node's text.
        text: String,
        /// How often the node has been reached, this time included.
        visit: u32,
        /// 1 for the first try, then 2, 3 for retries.
        attempt: u32,
        /// The action (`run`, `manual`, `ask`, …) or `none`.
        action: String,
        /// The exact argv for `run`/`command`.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        argv: Option<Vec<String>>,
        /// Run clock.
        at: String,
    },
    /// A line an action printed.
    Output {
        /// The step.
        step: u64,
        /// `stdout` or `stderr`.
        stream: String,
        /// The line, without its line break.
        line: String,
    },
    /// A condition got its answer.
    Answered {
        /// The step.
        step: u64,
        /// The condition's key.
        node: String,
        /// `yes` or `no`.
        answer: String,
        /// `command`, `ask`, `scripted`.
        source: String,
        /// Who answered (for `ask`).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        by: Option<String>,
        /// Why (for `ask`).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        reason: Option<String>,
        /// Run clock.
        at: String,
    },
    /// A wait began: its instant is resolved once and never recomputed.
    Waited {
        /// The step.
        step: u64,
        /// Until when, RFC 3339 UTC.
        until: String,
        /// The rule it came from (`3d`, `friday 09:00 Europe/London`).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        rule: Option<String>,
        /// Run clock when the wait began.
        at: String,
    },
    /// A step ended.
    StepFinished {
        /// The step.
        step: u64,
        /// The node's key.
        node: String,
        /// `ok`, `failed`, `skipped`, `timeout`, `interrupted`.
        status: String,
        /// The exit code of a program.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        exit_code: Option<i32>,
        /// Real milliseconds the step took.
        duration_ms: u64,
        /// What went wrong, or a note.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        message: Option<String>,
        /// The way on when the step succeeded: `next`, `yes`, `no`.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        branch: Option<String>,
        /// The node that way leads to (absent when it leads nowhere).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        next: Option<String>,
        /// Run clock.
        at: String,
    },
    /// The run stopped on purpose and can be resumed: it waits for a timer, an
    /// answer, or an operator's decision on a held step.
    Suspended {
        /// The step it stopped in.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        step: Option<u64>,
        /// The node.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        node: Option<String>,
        /// `waiting` (a timer), `answer` (a person), `held` (a failed or
        /// in-doubt step), `interrupted` (Ctrl-C).
        reason: String,
        /// For `waiting`: when it is due, RFC 3339 UTC.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        until: Option<String>,
        /// What it waits for, in words.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        message: Option<String>,
        /// Run clock.
        at: String,
    },
    /// An executor picked the run up again.
    Resumed {
        /// Process id of the executor.
        pid: u32,
        /// Who resumed it.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        by: Option<String>,
        /// The flow changed since the run began and `--accept-changes` allowed it.
        #[serde(skip_serializing_if = "Vec::is_empty", default)]
        accepted_changes: Vec<String>,
        /// Run clock.
        at: String,
    },
    /// An operator decided about a held step: `retry`, `skip` or `abort`.
    Decided {
        /// The step.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        step: Option<u64>,
        /// The node.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        node: Option<String>,
        /// `retry`, `skip`, `abort`.
        decision: String,
        /// Who decided.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        by: Option<String>,
        /// Why.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        reason: Option<String>,
        /// Run clock.
        at: String,
    },
    /// A subroutine started (or continues) its child run.
    ChildStarted {
        /// The step.
        step: u64,
        /// The subroutine node.
        node: String,
        /// The child run's id.
        child: String,
        /// The child flow as the binding or link names it.
        flow: String,
        /// Run clock.
        at: String,
    },
    /// A torn last line (a write cut short by a crash) was removed on resume.
    JournalRepaired {
        /// Bytes removed.
        dropped_bytes: u64,
        /// Run clock.
        at: String,
    },
    /// The run ended.
    RunFinished {
        /// `completed`, `failed`, `aborted`.
        status: String,
        /// The end node reached, if any.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        end: Option<String>,
        /// Steps taken.
        steps: u64,
        /// The keys visited, in order.
        path: Vec<String>,
        /// What went wrong.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        message: Option<String>,
        /// Run clock.
        at: String,
    },
}

/// Where a run's flow came from, so that `resume` can read it again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The file, as an absolute path (absent for stdin).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<String>,
    /// Which flow of a Markdown document (1-based).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub flow_index: Option<usize>,
    /// SHA-256 of the flow's text (the snapshot in the run's folder).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub flow_sha256: Option<String>,
    /// The bindings file, as an absolute path.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bindings: Option<String>,
    /// The parent run, for a subroutine's child run.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub parent: Option<String>,
    /// The run's settings that resume keeps.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub settings: Option<Settings>,
}

/// The settings of a run that `resume` restores (see `RunConfig::settings`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// `--unbound`: `ask`, `skip`, `fail`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub unbound: Option<String>,
    /// `--max-steps`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max_steps: Option<u64>,
    /// `--on-failure`: `hold`, `fail`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub on_failure: Option<String>,
    /// `--parallel`: `fail-fast`, `complete`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub parallel: Option<String>,
    /// Where actions run.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cwd: Option<String>,
    /// A branch run's first node.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub start_at: Option<String>,
    /// A branch run's join.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stop_at: Option<String>,
}

impl Event {
    /// The run clock time of the event, if it has one.
    pub fn at(&self) -> Option<&str> {
        match self {
            Event::RunStarted { at, .. }
            | Event::StepStarted { at, .. }
            | Event::Answered { at, .. }
            | Event::Waited { at, .. }
            | Event::StepFinished { at, .. }
            | Event::Suspended { at, .. }
            | Event::Resumed { at, .. }
            | Event::Decided { at, .. }
            | Event::JournalRepaired { at, .. }
            | Event::ChildStarted { at, .. }
            | Event::RunFinished { at, .. } => Some(at),
            Event::Output { .. } => None,
        }
    }

    /// Applies `f` to every free text of the event (texts, argv, output,
    /// messages, reasons): where secrets could appear.
    pub fn map_text(&mut self, f: &dyn Fn(&str) -> Option<String>) {
        let apply = |s: &mut String| {
            if let Some(new) = f(s) {
                *s = new;
            }
        };
        match self {
            Event::StepStarted { text, argv, .. } => {
                apply(text);
                argv.iter_mut().flatten().for_each(apply);
            }
            Event::Output { line, .. } => apply(line),
            Event::Answered { reason, .. } | Event::Decided { reason, .. } => {
                reason.iter_mut().for_each(apply);
            }
            Event::StepFinished { message, .. }
            | Event::Suspended { message, .. }
            | Event::RunFinished { message, .. } => message.iter_mut().for_each(apply),
            Event::RunStarted { .. }
            | Event::Waited { .. }
            | Event::Resumed { .. }
            | Event::ChildStarted { .. }
            | Event::JournalRepaired { .. } => {}
        }
    }
}

/// Where events go.
pub trait EventSink {
    /// Receives one event.
    fn emit(&mut self, event: &Event);

    /// The first write error, for sinks that write somewhere.
    fn error(&self) -> Option<&std::io::Error> {
        None
    }

    /// The first write error of a sink the run depends on (the journal): the
    /// engine does not start an action it could not record.
    fn durable_error(&self) -> Option<&std::io::Error> {
        None
    }
}

/// Keeps events in memory (tests, summaries).
#[derive(Debug, Default)]
pub struct Recorder {
    /// Everything emitted.
    pub events: Vec<Event>,
}

impl EventSink for Recorder {
    fn emit(&mut self, event: &Event) {
        self.events.push(event.clone());
    }
}

/// Discards events.
#[derive(Debug, Default)]
pub struct Discard;

impl EventSink for Discard {
    fn emit(&mut self, _: &Event) {}
}

/// Writes events as JSON Lines.
pub struct JsonLines<W: std::io::Write> {
    out: W,
    /// The first write error, if any (a run does not stop for a full disk here).
    pub error: Option<std::io::Error>,
}

impl<W: std::io::Write> JsonLines<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        JsonLines { out, error: None }
    }
}

impl<W: std::io::Write> EventSink for JsonLines<W> {
    fn emit(&mut self, event: &Event) {
        if self.error.is_some() {
            return;
        }
        let line = serde_json::to_string(event).map_err(std::io::Error::other);
        if let Err(e) = line
            .and_then(|l| writeln!(self.out, "{l}"))
            .and_then(|()| self.out.flush())
        {
            self.error = Some(e);
        }
    }

    fn error(&self) -> Option<&std::io::Error> {
        self.error.as_ref()
    }
}

/// Sends every event to several sinks.
pub struct Tee<'a> {
    /// The sinks.
    pub sinks: Vec<&'a mut dyn EventSink>,
}

impl EventSink for Tee<'_> {
    fn emit(&mut self, event: &Event) {
        for s in &mut self.sinks {
            s.emit(event);
        }
    }

    fn durable_error(&self) -> Option<&std::io::Error> {
        self.sinks.iter().find_map(|s| s.durable_error())
    }
}

/// Masks secret values in every event before passing it on.
pub struct Masked<'a> {
    /// The values to hide (longest first, so one secret inside another is masked whole).
    secrets: Vec<String>,
    /// Where the masked events go.
    pub inner: &'a mut dyn EventSink,
}

impl<'a> Masked<'a> {
    /// Masks `secrets` (empty values are ignored: they would match everywhere).
    pub fn new(mut secrets: Vec<String>, inner: &'a mut dyn EventSink) -> Self {
        secrets.retain(|s| !s.is_empty());
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Masked { secrets, inner }
    }

    /// `s` with every secret replaced by `***`, or `None` when it holds none.
    pub fn mask(&self, s: &str) -> Option<String> {
        let mut out: Option<String> = None;
        for secret in &self.secrets {
            let current = out.as_deref().unwrap_or(s);
            if current.contains(secret.as_str()) {
                out = Some(current.replace(secret.as_str(), "***"));
            }
        }
        out
    }
}

impl EventSink for Masked<'_> {
    fn emit(&mut self, event: &Event) {
        if self.secrets.is_empty() {
            return self.inner.emit(event);
        }
        let mut e = event.clone();
        e.map_text(&|s| self.mask(s));
        self.inner.emit(&e);
    }

    fn error(&self) -> Option<&std::io::Error> {
        self.inner.error()
    }

    fn durable_error(&self) -> Option<&std::io::Error> {
        self.inner.durable_error()
    }
}

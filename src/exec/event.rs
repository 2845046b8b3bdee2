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
    /// A wait: on the virtual clock it passes at once.
    Waited {
        /// The step.
        step: u64,
        /// Until when, RFC 3339 UTC.
        until: String,
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
        /// Run clock.
        at: String,
    },
    /// The run ended.
    RunFinished {
        /// `completed`, `failed`, `interrupted`.
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

/// Where events go.
pub trait EventSink {
    /// Receives one event.
    fn emit(&mut self, event: &Event);

    /// The first write error, for sinks that write somewhere.
    fn error(&self) -> Option<&std::io::Error> {
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
}

//! The journal: a run's events as versioned JSON Lines, append-only.
//!
//! Each line is one [`Record`]: `{"v":1,"seq":N,"time":"…","event":"…",…}`.
//! Write-ahead: records that decide what happens next (a program's step
//! starting or finishing, an answer, a timer, a suspension) are fsync'd before
//! `emit` returns, so an action never starts unless its `step_started` is on
//! disk (see `Journal::must_sync`). Output lines are written, not synced.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::exec::event::{Event, EventSink};

/// The journal format version this build reads and writes.
pub const VERSION: u32 = 1;

/// Records written by this process, over all journals (for the crash hook).
static WRITTEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// One journal line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Format version.
    pub v: u32,
    /// 1-based, no gaps.
    pub seq: u64,
    /// Wall-clock time of writing, RFC 3339 UTC (the event's `at` is the run clock).
    pub time: String,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

/// Appends records to a journal file.
pub struct Journal {
    file: File,
    seq: u64,
    sync: bool,
    error: Option<std::io::Error>,
    /// The step whose start was synced: its end is synced too.
    effect_step: Option<u64>,
    /// Test hook (`FLOWRUN_CRASH_AFTER`): SIGKILL this process after its Nth
    /// record, counted over every journal the process writes.
    crash_after: Option<u64>,
}

impl Journal {
    /// Appends to `file`, whose last record has number `seq`. `sync`: fsync
    /// the records a resume depends on (off only for benchmarks).
    pub fn new(file: File, seq: u64, sync: bool) -> Self {
        Journal {
            file,
            seq,
            sync,
            error: None,
            effect_step: None,
            crash_after: None,
        }
    }

    /// Kills the process with SIGKILL right after its `n`th record (counted over
    /// every journal this process writes) is on disk: for crash tests.
    pub fn crash_after(&mut self, n: Option<u64>) {
        self.crash_after = n;
    }

    /// Whether a record must be on disk before the run goes on. Write-ahead for
    /// what flowrun cannot take back: the start and end of a step that runs a
    /// program, a child run or branches; a timer's instant (never recomputed);
    /// answers, decisions, suspensions and the end of the run. A step that is
    /// safe to repeat (log, wait, a question, start/end) is synced with the next
    /// such record; losing it to a power cut only repeats it. (A killed process
    /// loses nothing it wrote: the kernel has it.)
    fn must_sync(&mut self, event: &Event) -> bool {
        match event {
            Event::Output { .. } => false,
            Event::StepStarted { step, action, .. } => {
                let effect = matches!(action.as_str(), "run" | "command" | "flow" | "parallel");
                self.effect_step = effect.then_some(*step);
                effect
            }
            Event::StepFinished { step, .. } => self.effect_step.take() == Some(*step),
            _ => true,
        }
    }

    /// The number of the last record written.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    fn append(&mut self, event: &Event) -> std::io::Result<()> {
        let record = Record {
            v: VERSION,
            seq: self.seq + 1,
            time: crate::exec::clock::rfc3339(jiff::Timestamp::now()),
            event: event.clone(),
        };
        let mut line = serde_json::to_vec(&record).map_err(std::io::Error::other)?;
        line.push(b'\n');
        // One write per record: a crash leaves at most the last line torn.
        self.file.write_all(&line)?;
        if self.sync && self.must_sync(event) {
            self.file.sync_data()?;
        }
        self.seq += 1;
        // Counted over every journal this process writes (a run and its child runs).
        let written = WRITTEN.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if self.crash_after == Some(written) {
            let _ = nix::sys::signal::kill(nix::unistd::getpid(), nix::sys::signal::SIGKILL);
        }
        Ok(())
    }
}

impl EventSink for Journal {
    fn emit(&mut self, event: &Event) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self.append(event) {
            self.error = Some(e);
        }
    }

    fn error(&self) -> Option<&std::io::Error> {
        self.error.as_ref()
    }

    fn durable_error(&self) -> Option<&std::io::Error> {
        self.error.as_ref()
    }
}

/// Why a journal cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A complete line before the end is not a valid record: never dropped silently.
    #[error("{path}:{line}: the journal is corrupt ({why}); flowrun will not guess what happened")]
    Corrupt {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// Written by a newer flowrun.
    #[error("{path}:{line}: journal version {found}, but this flowrun reads version {VERSION}")]
    Version {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The version found.
        found: u32,
    },
}

/// A journal as read: its records and, if the last line was torn, its length.
#[derive(Debug)]
pub struct Loaded {
    /// The complete records.
    pub records: Vec<Record>,
    /// Bytes of an incomplete last line (a write cut short by a crash).
    pub torn_bytes: u64,
    /// Length of the valid part (where a torn line begins).
    pub valid_len: u64,
}

/// Reads a journal. A torn last line is reported in [`Loaded::torn_bytes`], not
/// an error; anything wrong before it is [`JournalError::Corrupt`].
pub fn read(path: &Path) -> Result<Loaded, JournalError> {
    let name = path.display().to_string();
    let io = |source| JournalError::Io {
        path: name.clone(),
        source,
    };
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(io)?;
    parse(&name, &bytes)
}

/// Parses journal bytes (see [`read`]).
pub fn parse(name: &str, bytes: &[u8]) -> Result<Loaded, JournalError> {
    let corrupt = |line: usize, why: String| JournalError::Corrupt {
        path: name.to_owned(),
        line,
        why,
    };
    let mut records = Vec::new();
    let mut offset = 0usize;
    let mut line_no = 0usize;
    while offset < bytes.len() {
        line_no += 1;
        let rest = &bytes[offset..];
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            // No line feed: the last write was cut short. Whatever it holds, it
            // was never acknowledged, so the run did not act on it.
            return Ok(Loaded {
                records,
                torn_bytes: rest.len() as u64,
                valid_len: offset as u64,
            });
        };
        let line = &rest[..end];
        let record: Record = serde_json::from_slice(line).map_err(|e| {
            // Check the version first: a newer journal is not corrupt.
            match serde_json::from_slice::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v.get("v").and_then(serde_json::Value::as_u64))
            {
                Some(v) if v != u64::from(VERSION) => JournalError::Version {
                    path: name.to_owned(),
                    line: line_no,
                    found: u32::try_from(v).unwrap_or(u32::MAX),
                },
                _ => corrupt(line_no, e.to_string()),
            }
        })?;
        if record.v != VERSION {
            return Err(JournalError::Version {
                path: name.to_owned(),
                line: line_no,
                found: record.v,
            });
        }
        let expected = records.len() as u64 + 1;
        if record.seq != expected {
            return Err(corrupt(
                line_no,
                format!("record {} where {expected} was expected", record.seq),
            ));
        }
        if records.is_empty() && !matches!(record.event, Event::RunStarted { .. }) {
            return Err(corrupt(
                line_no,
                "it does not begin with run_started".to_owned(),
            ));
        }
        records.push(record);
        offset += end + 1;
    }
    Ok(Loaded {
        records,
        torn_bytes: 0,
        valid_len: offset as u64,
    })
}

/// Opens a journal for appending after cutting a torn last line off.
pub fn open_for_append(path: &Path, valid_len: u64) -> std::io::Result<File> {
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    if file.metadata()?.len() != valid_len {
        file.set_len(valid_len)?;
        file.sync_data()?;
    }
    file.seek(SeekFrom::End(0))?;
    Ok(file)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn started() -> Event {
        Event::RunStarted {
            run_id: "r".into(),
            flow: "f.flow".into(),
            clock: "virtual".into(),
            origin: crate::exec::event::Origin::default(),
            at: "2026-11-26T10:00:00.000Z".into(),
        }
    }

    fn write(events: &[Event]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, e) in events.iter().enumerate() {
            let r = Record {
                v: VERSION,
                seq: i as u64 + 1,
                time: "t".into(),
                event: e.clone(),
            };
            out.extend(serde_json::to_vec(&r).unwrap());
            out.push(b'\n');
        }
        out
    }

    #[test]
    fn records_round_trip() {
        let bytes = write(&[started()]);
        let read = parse("j", &bytes).unwrap();
        assert_eq!(read.records[0].event, started());
        assert_eq!(read.torn_bytes, 0);
    }

    #[test]
    fn a_torn_last_line_is_reported_not_an_error() {
        let mut bytes = write(&[started()]);
        let valid = bytes.len() as u64;
        bytes.extend(b"{\"v\":1,\"seq\":2,\"ev");
        let read = parse("j", &bytes).unwrap();
        assert_eq!(read.records.len(), 1);
        assert_eq!(read.torn_bytes, 18);
        assert_eq!(read.valid_len, valid);
    }

    #[test]
    fn a_bad_line_before_the_end_is_corrupt() {
        let mut bytes = write(&[started()]);
        bytes.extend(b"garbage\n");
        bytes.extend(write(&[started()]));
        let e = parse("j", &bytes).unwrap_err();
        assert!(matches!(e, JournalError::Corrupt { line: 2, .. }), "{e}");
    }

    #[test]
    fn a_gap_in_sequence_numbers_is_corrupt() {
        let mut bytes = write(&[started(), started()]);
        let text = String::from_utf8(bytes.clone())
            .unwrap()
            .replace("\"seq\":2", "\"seq\":3");
        bytes = text.into_bytes();
        assert!(matches!(
            parse("j", &bytes).unwrap_err(),
            JournalError::Corrupt { line: 2, .. }
        ));
    }

    #[test]
    fn a_newer_version_is_named() {
        let text = String::from_utf8(write(&[started()]))
            .unwrap()
            .replace("\"v\":1", "\"v\":7");
        assert!(matches!(
            parse("j", text.as_bytes()).unwrap_err(),
            JournalError::Version { found: 7, .. }
        ));
    }
}

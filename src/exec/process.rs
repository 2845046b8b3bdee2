//! Running one program: an argv (never a shell), in its own process group,
//! with a timeout, streamed output, and a bounded copy of that output.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// Longest line kept; the rest of a longer line is dropped.
const MAX_LINE: usize = 16 * 1024;

/// What to run.
pub struct Spec<'a> {
    /// Program and arguments.
    pub argv: &'a [String],
    /// Working directory.
    pub cwd: &'a Path,
    /// Extra environment.
    pub env: &'a [(String, String)],
    /// Kill after this long.
    pub timeout: Option<Duration>,
    /// Lines kept per stream for the run record.
    pub keep_lines: usize,
}

/// Which stream a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// stdout
    Stdout,
    /// stderr
    Stderr,
}

impl Stream {
    /// `stdout` / `stderr`.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// How it ended.
#[derive(Debug)]
pub enum Ended {
    /// It exited (code) or was killed by a signal (`None`).
    Exited(Option<i32>, Option<i32>),
    /// It ran past its timeout and was killed.
    TimedOut,
    /// Ctrl-C: its process group was stopped.
    Interrupted,
    /// It could not be started.
    SpawnFailed(std::io::Error),
}

/// The result of running a program.
#[derive(Debug)]
pub struct Output {
    /// How it ended.
    pub ended: Ended,
    /// The last lines of stdout.
    pub stdout: VecDeque<String>,
    /// The last lines of stderr.
    pub stderr: VecDeque<String>,
    /// Lines dropped from the kept copy.
    pub dropped: u64,
}

impl Output {
    /// Keeps a line, dropping the oldest beyond `limit`.
    fn keep(&mut self, stream: Stream, line: String, limit: usize) {
        let kept = match stream {
            Stream::Stdout => &mut self.stdout,
            Stream::Stderr => &mut self.stderr,
        };
        kept.push_back(line);
        if kept.len() > limit {
            kept.pop_front();
            self.dropped += 1;
        }
    }
}

enum Msg {
    Line(Stream, String),
    Eof,
    Exit(std::io::Result<std::process::ExitStatus>),
}

/// Runs a program; `on_line` sees every output line as it comes.
pub fn run(
    spec: &Spec<'_>,
    interrupted: &AtomicBool,
    on_line: &mut dyn FnMut(Stream, &str),
) -> Output {
    let mut out = Output {
        ended: Ended::Exited(None, None),
        stdout: VecDeque::new(),
        stderr: VecDeque::new(),
        dropped: 0,
    };
    let Some((program, args)) = spec.argv.split_first() else {
        out.ended = Ended::SpawnFailed(std::io::Error::other("empty argv"));
        return out;
    };
    // A relative program path means relative to the flow's folder.
    let program_path = if program.contains('/') && Path::new(program).is_relative() {
        spec.cwd.join(program)
    } else {
        program.into()
    };
    let mut cmd = Command::new(&program_path);
    cmd.args(args)
        .current_dir(spec.cwd)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            out.ended = Ended::SpawnFailed(e);
            return out;
        }
    };
    let pid = i32::try_from(child.id()).unwrap_or(i32::MAX);
    // Bounded: a flooding program waits for flowrun instead of filling memory.
    let (tx, rx) = mpsc::sync_channel(1024);
    let mut readers = 0;
    if let Some(s) = child.stdout.take() {
        readers += 1;
        spawn_reader(s, Stream::Stdout, tx.clone());
    }
    if let Some(s) = child.stderr.take() {
        readers += 1;
        spawn_reader(s, Stream::Stderr, tx.clone());
    }
    let waiter_tx = tx;
    std::thread::spawn(move || {
        let _ = waiter_tx.send(Msg::Exit(child.wait()));
    });

    let started = Instant::now();
    let mut exit: Option<std::io::Result<std::process::ExitStatus>> = None;
    let mut killed: Option<Ended> = None;
    let mut kill_at: Option<Instant> = None;
    while exit.is_none() || readers > 0 {
        let tick = Duration::from_millis(50);
        match rx.recv_timeout(tick) {
            Ok(Msg::Line(stream, line)) => {
                on_line(stream, &line);
                out.keep(stream, line, spec.keep_lines);
            }
            Ok(Msg::Eof) => readers -= 1,
            Ok(Msg::Exit(status)) => exit = Some(status),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if exit.is_some() && killed.is_some() {
            // Killed: the group may keep the pipes open; do not wait for them forever.
            if kill_at.is_some_and(|t| t.elapsed() > Duration::from_secs(1)) {
                break;
            }
        }
        if killed.is_none() {
            let reason = if interrupted.load(Ordering::SeqCst) {
                Some(Ended::Interrupted)
            } else if spec.timeout.is_some_and(|t| started.elapsed() >= t) {
                Some(Ended::TimedOut)
            } else {
                None
            };
            if let Some(r) = reason {
                let _ = killpg(Pid::from_raw(pid), Signal::SIGTERM);
                killed = Some(r);
                kill_at = Some(Instant::now());
            }
        } else if kill_at.is_some_and(|t| t.elapsed() > Duration::from_secs(2)) {
            // It ignored SIGTERM.
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
            kill_at = Some(Instant::now());
        }
        if exit.is_some() && killed.is_none() && readers > 0 {
            // The program is gone; output still buffered in the pipes follows shortly.
            // A grandchild holding the pipes open must not hang the run.
            if readers_stuck(&rx, &mut readers, on_line, &mut out, spec.keep_lines) {
                let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
                break;
            }
        }
    }
    // The action is over: whatever it left in its process group (a background
    // job, a grandchild that ignored SIGTERM) goes with it.
    let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    out.ended = match (killed, exit) {
        (Some(k), _) => k,
        (None, Some(Ok(status))) => Ended::Exited(status.code(), status.signal()),
        (None, Some(Err(e))) => Ended::SpawnFailed(e),
        (None, None) => Ended::Exited(None, None),
    };
    out
}

/// Drains output for up to 2 s after the program exited; true when readers are still open then.
fn readers_stuck(
    rx: &mpsc::Receiver<Msg>,
    readers: &mut usize,
    on_line: &mut dyn FnMut(Stream, &str),
    out: &mut Output,
    keep: usize,
) -> bool {
    let deadline = Instant::now() + Duration::from_secs(2);
    while *readers > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        match rx.recv_timeout(left) {
            Ok(Msg::Line(stream, line)) => {
                on_line(stream, &line);
                out.keep(stream, line, keep);
            }
            Ok(Msg::Eof) => *readers -= 1,
            Ok(Msg::Exit(_)) => {}
            Err(_) => return *readers > 0,
        }
    }
    false
}

fn spawn_reader(pipe: impl Read + Send + 'static, stream: Stream, tx: mpsc::SyncSender<Msg>) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader
                .by_ref()
                .take(MAX_LINE as u64)
                .read_until(b'\n', &mut buf)
            {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let full = buf.last() == Some(&b'\n');
                    if !full && buf.len() >= MAX_LINE {
                        skip_line(&mut reader);
                    }
                    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        buf.pop();
                    }
                    if tx
                        .send(Msg::Line(
                            stream,
                            String::from_utf8_lossy(&buf).into_owned(),
                        ))
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
        let _ = tx.send(Msg::Eof);
    });
}

/// Skips the rest of an overlong line without holding it in memory.
fn skip_line(reader: &mut impl BufRead) {
    loop {
        let (consumed, done) = match reader.fill_buf() {
            Ok([]) | Err(_) => return,
            Ok(buf) => match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            },
        };
        reader.consume(consumed);
        if done {
            return;
        }
    }
}

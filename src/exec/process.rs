//! Running one program: an argv (never a shell), in its own process group,
//! with a timeout, streamed output, and a bounded copy of that output.

use std::collections::VecDeque;
use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
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
        }
    }
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
    // One thread watches both pipes and the child: no helper threads, so a short
    // action costs little more than the spawn itself.
    let mut pipes: [Option<Pipe>; 2] = [
        child.stdout.take().map(|p| {
            (
                Box::new(p) as Box<dyn ReadFd>,
                Stream::Stdout,
                LineBuf::default(),
            )
        }),
        child.stderr.take().map(|p| {
            (
                Box::new(p) as Box<dyn ReadFd>,
                Stream::Stderr,
                LineBuf::default(),
            )
        }),
    ];
    let started = Instant::now();
    let mut exit: Option<std::io::Result<std::process::ExitStatus>> = None;
    let mut exited_at: Option<Instant> = None;
    let mut killed: Option<Ended> = None;
    let mut kill_at: Option<Instant> = None;
    let mut idle = Duration::from_micros(50);
    let mut spins = 0u32;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        if exit.is_none() {
            match child.try_wait() {
                Ok(Some(status)) => {
                    exit = Some(Ok(status));
                    exited_at = Some(Instant::now());
                }
                Ok(None) => {}
                Err(e) => {
                    exit = Some(Err(e));
                    exited_at = Some(Instant::now());
                }
            }
        }
        let open = pipes.iter().filter(|p| p.is_some()).count();
        if exit.is_some() && open == 0 {
            break;
        }
        // The program is gone but something it started holds the pipes open:
        // give buffered output 2 s (1 s after a kill), then stop waiting.
        if let Some(t) = exited_at {
            let grace = if killed.is_some() {
                Duration::from_secs(1)
            } else {
                Duration::from_secs(2)
            };
            if t.elapsed() > grace {
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
        if open == 0 {
            // Pipes closed, program still running. Usually it is exiting this very
            // moment, so yield a few times before napping (a nap is at least ~50 µs).
            if spins < 200 {
                spins += 1;
                std::thread::yield_now();
            } else {
                std::thread::sleep(idle);
                idle = (idle * 2).min(Duration::from_millis(20));
            }
            continue;
        }
        let ready = {
            let mut fds: Vec<PollFd<'_>> = pipes
                .iter()
                .flatten()
                .map(|(p, _, _)| PollFd::new(p.fd(), PollFlags::POLLIN))
                .collect();
            match poll(&mut fds, PollTimeout::from(50u16)) {
                Ok(0) | Err(nix::errno::Errno::EINTR) => Vec::new(),
                Ok(_) => fds
                    .iter()
                    .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
                    .collect(),
                Err(_) => vec![true; fds.len()],
            }
        };
        let mut k = 0;
        for slot in &mut pipes {
            let Some((pipe, stream, buf)) = slot else {
                continue;
            };
            let is_ready = ready.get(k).copied().unwrap_or(false);
            k += 1;
            if !is_ready {
                continue;
            }
            match pipe.read(&mut chunk) {
                Ok(0) | Err(_) => {
                    if let Some(line) = buf.finish() {
                        on_line(*stream, &line);
                        out.keep(*stream, line, spec.keep_lines);
                    }
                    *slot = None;
                }
                Ok(n) => {
                    for line in buf.push(&chunk[..n]) {
                        on_line(*stream, &line);
                        out.keep(*stream, line, spec.keep_lines);
                    }
                }
            }
        }
    }
    // The action is over: whatever it left in its process group (a background
    // job, a grandchild that ignored SIGTERM) goes with it.
    let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    if exit.is_none() {
        exit = Some(child.wait());
    }
    out.ended = match (killed, exit) {
        (Some(k), _) => k,
        (None, Some(Ok(status))) => Ended::Exited(status.code(), status.signal()),
        (None, Some(Err(e))) => Ended::SpawnFailed(e),
        (None, None) => Ended::Exited(None, None),
    };
    out
}

/// An open output pipe of the action, its stream, and its partial line.
type Pipe = (Box<dyn ReadFd>, Stream, LineBuf);

/// A pipe flowrun can poll and read.
trait ReadFd: Read {
    fn fd(&self) -> std::os::fd::BorrowedFd<'_>;
}

impl<T: Read + AsFd> ReadFd for T {
    fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.as_fd()
    }
}

/// Splits a byte stream into lines; a line longer than `MAX_LINE` is cut and the rest skipped.
#[derive(Default)]
struct LineBuf {
    partial: Vec<u8>,
    skipping: bool,
}

impl LineBuf {
    fn push(&mut self, mut bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        while !bytes.is_empty() {
            let (piece, rest, ended) = match bytes.iter().position(|&b| b == b'\n') {
                Some(i) => (&bytes[..i], &bytes[i + 1..], true),
                None => (bytes, &[][..], false),
            };
            if !self.skipping {
                let room = MAX_LINE.saturating_sub(self.partial.len());
                self.partial
                    .extend_from_slice(&piece[..piece.len().min(room)]);
                if piece.len() > room {
                    // Keep the first MAX_LINE bytes; drop the rest of this line.
                    lines.push(self.take());
                    self.skipping = true;
                }
            }
            if ended {
                if self.skipping {
                    self.skipping = false;
                } else {
                    lines.push(self.take());
                }
            }
            bytes = rest;
        }
        lines
    }

    fn finish(&mut self) -> Option<String> {
        (!self.partial.is_empty() && !self.skipping).then(|| self.take())
    }

    fn take(&mut self) -> String {
        while self.partial.last().is_some_and(|b| *b == b'\r') {
            self.partial.pop();
        }
        let line = String::from_utf8_lossy(&self.partial).into_owned();
        self.partial.clear();
        line
    }
}

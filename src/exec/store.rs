//! Run folders: `STATE/runs/<run-id>/` holding `journal.jsonl`, `flow.flow`
//! (the flow's text when the run began; its SHA-256 is in `run_started`) and
//! `lock` (held by the one process executing or changing the run).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use sha2::{Digest, Sha256};

/// The journal's file name in a run folder.
pub const JOURNAL: &str = "journal.jsonl";
/// The flow snapshot's file name.
pub const SNAPSHOT: &str = "flow.flow";
/// The lock file's name.
pub const LOCK: &str = "lock";

/// Why a run folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No run has that id.
    #[error("no run `{run}` in {dir}{hint}")]
    NotFound {
        /// What was asked for.
        run: String,
        /// Where it was looked for.
        dir: String,
        /// A hint (other runs, `--state-dir`).
        hint: String,
    },
    /// A prefix matches several runs.
    #[error("`{run}` matches several runs: {matches}")]
    Ambiguous {
        /// What was asked for.
        run: String,
        /// The runs it matches.
        matches: String,
    },
    /// Another process holds the run.
    #[error(
        "run {run} is in use by another flowrun (pid {pid}); one executor per run: wait for it to stop, or stop it (kill -TERM {pid})"
    )]
    Busy {
        /// The run.
        run: String,
        /// The holder, as written in the lock file.
        pid: String,
    },
    /// A file system error.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.display().to_string();
    move |source| StoreError::Io { what, path, source }
}

/// A state folder (`.flowrun`).
#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
}

/// One run's folder.
#[derive(Clone, Debug)]
pub struct RunDir {
    /// The run's id.
    pub id: String,
    /// The folder.
    pub path: PathBuf,
}

/// The lock on a run: released when dropped (or when the process dies).
#[derive(Debug)]
pub struct RunLock {
    _lock: Flock<File>,
}

impl Store {
    /// The state folder at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Store { root: root.into() }
    }

    /// The state folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn runs(&self) -> PathBuf {
        self.root.join("runs")
    }

    /// Makes a new run folder with the flow's snapshot, locked by this process.
    /// Returns the folder (its id may get a suffix if `id` is taken) and the lock.
    pub fn create(&self, id: &str, flow_text: &str) -> Result<(RunDir, RunLock), StoreError> {
        let runs = self.runs();
        std::fs::create_dir_all(&runs).map_err(io("cannot create", &runs))?;
        let mut n = 1;
        let dir = loop {
            let name = if n == 1 {
                id.to_owned()
            } else {
                format!("{id}-{n}")
            };
            let path = runs.join(&name);
            match std::fs::create_dir(&path) {
                Ok(()) => break RunDir { id: name, path },
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
                Err(e) => return Err(io("cannot create", &path)(e)),
            }
        };
        let lock = dir.lock()?;
        let snapshot = dir.path.join(SNAPSHOT);
        write_synced(&snapshot, flow_text.as_bytes()).map_err(io("cannot write", &snapshot))?;
        Ok((dir, lock))
    }

    /// Makes the folder of a run whose id is fixed (a child run), locked by this
    /// process; `Ok(None)` when it exists already.
    pub fn create_exact(
        &self,
        id: &str,
        flow_text: &str,
    ) -> Result<Option<(RunDir, RunLock)>, StoreError> {
        let runs = self.runs();
        std::fs::create_dir_all(&runs).map_err(io("cannot create", &runs))?;
        let path = runs.join(id);
        match std::fs::create_dir(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(None),
            Err(e) => return Err(io("cannot create", &path)(e)),
        }
        let dir = RunDir {
            id: id.to_owned(),
            path,
        };
        let lock = dir.lock()?;
        let snapshot = dir.path.join(SNAPSHOT);
        write_synced(&snapshot, flow_text.as_bytes()).map_err(io("cannot write", &snapshot))?;
        Ok(Some((dir, lock)))
    }

    /// Finds a run by id, unique id prefix, or the path of its folder.
    pub fn open(&self, run: &str) -> Result<RunDir, StoreError> {
        let as_path = Path::new(run);
        if as_path.join(JOURNAL).is_file() {
            let id = as_path
                .file_name()
                .map_or_else(|| run.to_owned(), |n| n.to_string_lossy().into_owned());
            return Ok(RunDir {
                id,
                path: as_path.to_path_buf(),
            });
        }
        let all = self.list()?;
        if let Some(d) = all.iter().find(|d| d.id == run) {
            return Ok(d.clone());
        }
        let matches: Vec<&RunDir> = all.iter().filter(|d| d.id.starts_with(run)).collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(StoreError::NotFound {
                run: run.to_owned(),
                dir: self.runs().display().to_string(),
                hint: if all.is_empty() {
                    " (no runs there; execute keeps runs in `.flowrun` beside the flow: pass --state-dir)".to_owned()
                } else {
                    format!(
                        " (the latest is {}; `flowrun runs` lists them)",
                        all.last().map_or("", |d| d.id.as_str())
                    )
                },
            }),
            many => Err(StoreError::Ambiguous {
                run: run.to_owned(),
                matches: many
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// The folder a run with this id has (or would have).
    pub fn dir(&self, id: &str) -> RunDir {
        RunDir {
            id: id.to_owned(),
            path: self.runs().join(id),
        }
    }

    /// Every run folder, oldest first (ids begin with the start time).
    pub fn list(&self) -> Result<Vec<RunDir>, StoreError> {
        let runs = self.runs();
        let entries = match std::fs::read_dir(&runs) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io("cannot read", &runs)(e)),
        };
        let mut out: Vec<RunDir> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().join(JOURNAL).is_file())
            .map(|e| RunDir {
                id: e.file_name().to_string_lossy().into_owned(),
                path: e.path(),
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }
}

impl RunDir {
    /// `journal.jsonl`.
    pub fn journal(&self) -> PathBuf {
        self.path.join(JOURNAL)
    }

    /// `flow.flow`.
    pub fn snapshot(&self) -> PathBuf {
        self.path.join(SNAPSHOT)
    }

    /// Takes the run's lock, or says who holds it.
    pub fn lock(&self) -> Result<RunLock, StoreError> {
        let path = self.path.join(LOCK);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io("cannot open", &path))?;
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(mut lock) => {
                // Who holds it, for the message another process prints.
                let _ = lock.set_len(0);
                let _ = write!(lock, "{}", std::process::id());
                Ok(RunLock { _lock: lock })
            }
            Err((_, nix::errno::Errno::EWOULDBLOCK)) => Err(StoreError::Busy {
                run: self.id.clone(),
                pid: std::fs::read_to_string(&path)
                    .map(|s| s.trim().to_owned())
                    .unwrap_or_default(),
            }),
            Err((_, e)) => Err(io("cannot lock", &path)(std::io::Error::from(e))),
        }
    }

    /// Whether another process holds the run now.
    pub fn is_busy(&self) -> bool {
        matches!(self.lock(), Err(StoreError::Busy { .. }))
    }
}

/// Writes a file and syncs it and its folder.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Creates the journal file (empty) and syncs its folder, so the file survives a crash.
pub fn create_journal(dir: &RunDir) -> Result<File, StoreError> {
    let path = dir.journal();
    let f = std::fs::OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&path)
        .map_err(io("cannot create", &path))?;
    File::open(&dir.path)
        .and_then(|d| d.sync_all())
        .map_err(io("cannot sync", &dir.path))?;
    Ok(f)
}

/// SHA-256 of a text, in hex.
pub fn sha256(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    })
}

//! People in the loop: confirming manual steps and answering conditions,
//! on the terminal or from scripted answers.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// A condition's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// `yes`
    Yes,
    /// `no`
    No,
}

impl Answer {
    /// `yes`/`no` (also `y`, `n`, `true`, `false`), case-insensitive.
    pub fn parse(s: &str) -> Option<Answer> {
        match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" => Some(Answer::Yes),
            "no" | "n" | "false" => Some(Answer::No),
            _ => None,
        }
    }

    /// The branch name.
    pub fn branch(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
        }
    }
}

/// An answer with who gave it and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The answer.
    pub answer: Answer,
    /// Who answered.
    pub by: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

/// Why a person gave no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptError {
    /// Ctrl-C (or SIGTERM) while waiting.
    Interrupted,
    /// Input closed or unreadable.
    Failed(String),
}

/// Asks a person. `Send`, so parallel branches can share one person (in turns).
pub trait Prompter: Send {
    /// A manual step: returns `true` when the person says it is done, `false` when it failed.
    fn confirm(
        &mut self,
        key: &str,
        text: &str,
        instructions: Option<&str>,
    ) -> Result<(bool, Option<String>), PromptError>;
    /// A condition.
    fn ask(&mut self, key: &str, question: &str) -> Result<Reply, PromptError>;
}

/// Reads answers from a line-based input (the terminal, or a pipe), writing prompts to stderr.
///
/// Lines are read on a thread of their own, so a prompt can give up when the
/// run is interrupted instead of blocking in `read_line`.
pub struct LinePrompter<R: BufRead + Send + 'static> {
    input: Option<R>,
    lines: Option<mpsc::Receiver<std::io::Result<String>>>,
    who: Option<String>,
    interrupted: Arc<AtomicBool>,
}

impl<R: BufRead + Send + 'static> LinePrompter<R> {
    /// Prompts on stderr, reads from `input`; `who` is recorded with each answer;
    /// a prompt gives up when `interrupted` is set.
    pub fn new(input: R, who: Option<String>, interrupted: Arc<AtomicBool>) -> Self {
        LinePrompter {
            input: Some(input),
            lines: None,
            who,
            interrupted,
        }
    }

    fn line(&mut self, prompt: &str) -> Result<String, PromptError> {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{prompt}");
        let _ = err.flush();
        drop(err);
        if let Some(mut input) = self.input.take() {
            // The reader starts at the first prompt, so runs without prompts never touch stdin.
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                loop {
                    let mut line = String::new();
                    let r = input.read_line(&mut line).map(|_| line);
                    let done = !matches!(&r, Ok(l) if !l.is_empty());
                    if tx.send(r).is_err() || done {
                        break;
                    }
                }
            });
            self.lines = Some(rx);
        }
        let Some(lines) = &self.lines else {
            return Err(PromptError::Failed("no input".to_owned()));
        };
        loop {
            if self.interrupted.load(Ordering::SeqCst) {
                eprintln!();
                return Err(PromptError::Interrupted);
            }
            match lines.recv_timeout(Duration::from_millis(50)) {
                Ok(Ok(l)) if l.is_empty() => {
                    return Err(PromptError::Failed("no answer: input closed".to_owned()));
                }
                Ok(Ok(l)) => return Ok(l.trim().to_owned()),
                Ok(Err(e)) => {
                    return Err(PromptError::Failed(format!("cannot read the answer: {e}")));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(PromptError::Failed("no answer: input closed".to_owned()));
                }
            }
        }
    }
}

impl<R: BufRead + Send + 'static> Prompter for LinePrompter<R> {
    fn confirm(
        &mut self,
        key: &str,
        text: &str,
        instructions: Option<&str>,
    ) -> Result<(bool, Option<String>), PromptError> {
        if let Some(i) = instructions {
            eprintln!("  ▸ {i}");
        }
        loop {
            let l = self.line(&format!(
                "  ? [{key}] {text} — done? [y]es / [n]o (failed): "
            ))?;
            match Answer::parse(&l) {
                Some(a) => {
                    let note = if a == Answer::No {
                        Some(self.line("    what went wrong? ")?).filter(|s| !s.is_empty())
                    } else {
                        None
                    };
                    return Ok((a == Answer::Yes, note));
                }
                None => eprintln!("    please answer yes or no"),
            }
        }
    }

    fn ask(&mut self, key: &str, question: &str) -> Result<Reply, PromptError> {
        loop {
            let l = self.line(&format!("  ? [{key}] {question} [y]es / [n]o: "))?;
            if let Some(answer) = Answer::parse(&l) {
                let reason = self.line("    why? (optional) ")?;
                return Ok(Reply {
                    answer,
                    by: self.who.clone(),
                    reason: Some(reason).filter(|r| !r.is_empty()),
                });
            }
            eprintln!("    please answer yes or no");
        }
    }
}

/// One prompter shared by parallel branches: one question at a time.
pub struct SharedPrompter<'a, 'p>(pub &'a std::sync::Mutex<&'p mut dyn Prompter>);

impl Prompter for SharedPrompter<'_, '_> {
    fn confirm(
        &mut self,
        key: &str,
        text: &str,
        instructions: Option<&str>,
    ) -> Result<(bool, Option<String>), PromptError> {
        let mut p = self
            .0
            .lock()
            .map_err(|_| PromptError::Failed("another branch's prompt failed".to_owned()))?;
        p.confirm(key, text, instructions)
    }

    fn ask(&mut self, key: &str, question: &str) -> Result<Reply, PromptError> {
        let mut p = self
            .0
            .lock()
            .map_err(|_| PromptError::Failed("another branch's prompt failed".to_owned()))?;
        p.ask(key, question)
    }
}

/// Scripted answers per condition key (`--answer KEY=no,no,yes`), used in order.
#[derive(Clone, Debug, Default)]
pub struct Scripted {
    answers: HashMap<String, VecDeque<Answer>>,
}

impl Scripted {
    /// Parses `KEY=no,no,yes`.
    pub fn add(&mut self, spec: &str) -> Result<(), String> {
        let (key, list) = spec
            .rsplit_once('=')
            .ok_or_else(|| format!("`{spec}` is not KEY=yes,no,…"))?;
        let queue = self.answers.entry(key.to_owned()).or_default();
        for a in list.split(',') {
            queue.push_back(
                Answer::parse(a).ok_or_else(|| format!("`{a}` in `{spec}` is not yes or no"))?,
            );
        }
        Ok(())
    }

    /// Reads a TOML file: `key = ["no", "yes"]`.
    pub fn add_file(&mut self, name: &str, text: &str) -> Result<(), String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        for (key, value) in table {
            let list = value
                .as_array()
                .ok_or_else(|| format!("{name}: `{key}` must be a list like [\"no\", \"yes\"]"))?;
            let queue = self.answers.entry(key.clone()).or_default();
            for v in list {
                let a = v
                    .as_str()
                    .and_then(Answer::parse)
                    .ok_or_else(|| format!("{name}: `{key}` has `{v}`, not yes or no"))?;
                queue.push_back(a);
            }
        }
        Ok(())
    }

    /// The keys that have scripted answers.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.answers.keys().map(String::as_str)
    }

    /// Whether there are scripted answers for a key.
    pub fn has(&self, key: &str) -> bool {
        self.answers.contains_key(key)
    }

    /// The next scripted answer for a key; `Err` when they ran out.
    pub fn next(&mut self, key: &str) -> Option<Result<Answer, String>> {
        let q = self.answers.get_mut(key)?;
        Some(
            q.pop_front()
                .ok_or_else(|| format!("ran out of scripted answers for `{key}`")),
        )
    }
}

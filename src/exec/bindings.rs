//! Bindings: which action runs for which node, from a TOML file.
//!
//! ```toml
//! [types]
//! region = ["UK", "US"]          # a custom {region}: one of these values
//! release = "[A-Z]+"             # or a regex
//!
//! [[bind]]
//! text = "Deploy {release} to {region}"   # a Cucumber expression on the node text
//! run = ["./plugins/deploy.sh", "{release}", "{region}"]
//! timeout = "10m"
//!
//! [[bind]]
//! node = "seasoned"              # or the node's key
//! command = ["./plugins/seasoned.sh"]
//! ```
//!
//! Every mistake is reported at once, pointing into the TOML.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use miette::{Diagnostic, NamedSource, SourceSpan};
use regex::Regex;
use serde::Deserialize;
use thiserror::Error;
use toml::Spanned;

use crate::exec::duration::{Until, parse_duration};
use crate::exec::parallel::BranchFailure;

/// The bindings file as written.
#[derive(Debug, Deserialize)]
// Unknown keys are found by `unknown_keys`, so one does not hide the other problems.
struct File {
    #[serde(default)]
    types: HashMap<String, Spanned<TypeDef>>,
    #[serde(default)]
    bind: Vec<Spanned<RawBinding>>,
    /// Environment variables whose values never reach the journal or the console.
    #[serde(default)]
    secrets: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TypeDef {
    Values(Vec<String>),
    Regex(String),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawBinding {
    node: Option<Spanned<String>>,
    text: Option<Spanned<String>>,
    run: Option<Spanned<Vec<String>>>,
    manual: Option<Spanned<ManualSpec>>,
    log: Option<Spanned<String>>,
    wait: Option<Spanned<String>>,
    #[serde(alias = "wait_until")]
    wait_until: Option<Spanned<String>>,
    fail: Option<Spanned<String>>,
    command: Option<Spanned<Vec<String>>>,
    ask: Option<Spanned<ManualSpec>>,
    #[serde(alias = "stdout_answer")]
    stdout_answer: Option<bool>,
    timeout: Option<Spanned<String>>,
    retries: Option<Spanned<u32>>,
    backoff: Option<Spanned<String>>,
    idempotent: Option<bool>,
    #[serde(alias = "max_visits")]
    max_visits: Option<Spanned<u32>>,
    #[serde(alias = "on_failure")]
    on_failure: Option<Spanned<String>>,
    flow: Option<Spanned<String>>,
    parallel: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ManualSpec {
    Flag(bool),
    Text(String),
}

impl ManualSpec {
    fn text(&self) -> Option<String> {
        match self {
            ManualSpec::Flag(_) => None,
            ManualSpec::Text(t) => Some(t.clone()),
        }
    }
}

/// How a binding matches nodes.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// The node's key, exactly.
    Key(String),
    /// A Cucumber expression on the node's text.
    Text {
        /// The expression as written.
        expression: String,
        /// Its regex.
        regex: Regex,
        /// Parameter type names, in order.
        params: Vec<String>,
    },
}

/// What a bound node does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Run a program: an argv template, never a shell.
    Run(Vec<String>),
    /// A person does it and confirms.
    Manual(Option<String>),
    /// Print a message.
    Log(String),
    /// Wait a duration.
    Wait(Duration),
    /// Wait until an instant in a time zone.
    WaitUntil(Until),
    /// Fail the run with a message.
    Fail(String),
    /// A condition answered by a program: exit 0 yes, 1 no.
    Command {
        /// The argv template.
        argv: Vec<String>,
        /// Whether stdout `yes`/`no` decides instead of the exit code.
        stdout_answer: bool,
    },
    /// A condition a person answers.
    Ask(Option<String>),
    /// A subroutine: run another flow as a child run (`other.flow`,
    /// `doc.md#2`, or `#Heading` for a flow of the same document).
    Flow(String),
    /// A parallel node's failure policy (it runs its paths either way).
    Parallel(BranchFailure),
}

impl Action {
    /// Whether this action answers a condition.
    pub fn answers(&self) -> bool {
        matches!(self, Action::Command { .. } | Action::Ask(_))
    }

    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Run(_) => "run",
            Action::Manual(_) => "manual",
            Action::Log(_) => "log",
            Action::Wait(_) => "wait",
            Action::WaitUntil(_) => "wait-until",
            Action::Fail(_) => "fail",
            Action::Command { .. } => "command",
            Action::Ask(_) => "ask",
            Action::Flow(_) => "flow",
            Action::Parallel(_) => "parallel",
        }
    }
}

/// One binding.
#[derive(Clone, Debug)]
pub struct Binding {
    /// How it matches nodes.
    pub matcher: Matcher,
    /// What it does.
    pub action: Action,
    /// Kill the action after this long.
    pub timeout: Option<Duration>,
    /// Extra attempts after a failure (needs `idempotent`).
    pub retries: u32,
    /// First pause between attempts; doubles each time.
    pub backoff: Duration,
    /// Safe to run twice.
    pub idempotent: bool,
    /// Stop the run when the node is reached more often than this.
    pub max_visits: Option<u32>,
    /// What a failure does (default: hold unless idempotent).
    pub on_failure: Option<OnFailure>,
    /// Where the binding is in the file.
    pub span: SourceSpan,
}

/// What a failed step does once its retries are spent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnFailure {
    /// Suspend the run until an operator retries, skips or aborts.
    Hold,
    /// Fail the run.
    Fail,
}

impl OnFailure {
    /// `hold` or `fail`.
    pub fn name(self) -> &'static str {
        match self {
            OnFailure::Hold => "hold",
            OnFailure::Fail => "fail",
        }
    }

    /// `hold` or `fail`.
    pub fn parse(s: &str) -> Option<OnFailure> {
        match s {
            "hold" => Some(OnFailure::Hold),
            "fail" => Some(OnFailure::Fail),
            _ => None,
        }
    }
}

/// A bindings file, validated.
#[derive(Clone, Debug)]
pub struct Bindings {
    /// The file name.
    pub name: String,
    /// The file text.
    pub text: Arc<str>,
    /// The bindings, in file order.
    pub bindings: Vec<Binding>,
    /// Environment variables holding secrets: masked wherever a run is recorded or shown.
    pub secrets: Vec<String>,
}

/// One mistake in a bindings file.
#[derive(Clone, Debug, Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(flowrun::bindings::invalid))]
pub struct BindingProblem {
    /// What is wrong.
    pub message: String,
    /// Where.
    #[label(primary, "here")]
    pub span: Option<SourceSpan>,
    /// What to do.
    #[help]
    pub help: Option<String>,
}

/// Every mistake in a bindings file.
#[derive(Clone, Debug, Error, Diagnostic)]
#[error("{} has {} problem{}", name, problems.len(), if problems.len() == 1 { "" } else { "s" })]
#[diagnostic(code(flowrun::bindings::invalid_file))]
pub struct BindingsError {
    /// The file name.
    pub name: String,
    /// The file.
    #[source_code]
    pub src: NamedSource<Arc<str>>,
    /// The problems.
    #[related]
    pub problems: Vec<BindingProblem>,
}

fn span_of<T>(s: &Spanned<T>) -> SourceSpan {
    let r = s.span();
    SourceSpan::new(r.start.into(), r.end - r.start)
}

fn problem(
    message: impl Into<String>,
    span: Option<SourceSpan>,
    help: Option<&str>,
) -> BindingProblem {
    BindingProblem {
        message: message.into(),
        span,
        help: help.map(str::to_owned),
    }
}

impl Bindings {
    /// No bindings at all.
    pub fn empty() -> Self {
        Bindings {
            name: "(none)".to_owned(),
            text: Arc::from(""),
            bindings: Vec::new(),
            secrets: Vec::new(),
        }
    }

    /// Parses and validates a bindings file.
    pub fn parse(name: &str, text: &str) -> Result<Bindings, BindingsError> {
        let text: Arc<str> = Arc::from(text);
        let fail = |problems: Vec<BindingProblem>| BindingsError {
            name: name.to_owned(),
            src: NamedSource::new(name, Arc::clone(&text)),
            problems,
        };
        let file: File = toml::from_str(&text).map_err(|e| {
            let span = e
                .span()
                .map(|r| SourceSpan::new(r.start.into(), r.end - r.start));
            let first = problem(
                e.message().to_owned(),
                span,
                Some("see README.md \"Bindings\" for the keys a binding takes"),
            );
            // serde stops at the first unknown key; find every other one too.
            let mut all = vec![first];
            all.extend(unknown_keys(&text).into_iter().filter(|p| p.span != span));
            fail(all)
        })?;
        let mut problems = unknown_keys(&text);
        let mut types: HashMap<String, String> = HashMap::new();
        for (type_name, def) in &file.types {
            let re = match def.get_ref() {
                TypeDef::Values(values) => {
                    if values.is_empty() {
                        problems.push(problem(
                            format!("type `{type_name}` has no values"),
                            Some(span_of(def)),
                            None,
                        ));
                        continue;
                    }
                    let alts: Vec<String> = values.iter().map(|v| regex::escape(v)).collect();
                    format!("(?:{})", alts.join("|"))
                }
                TypeDef::Regex(r) => {
                    if let Err(e) = Regex::new(r) {
                        problems.push(problem(
                            format!("type `{type_name}`: invalid regex: {e}"),
                            Some(span_of(def)),
                            None,
                        ));
                        continue;
                    }
                    r.clone()
                }
            };
            types.insert(type_name.clone(), re);
        }
        let mut bindings = Vec::new();
        for raw in &file.bind {
            match binding(raw, &types) {
                Ok(b) => bindings.push(b),
                Err(mut p) => problems.append(&mut p),
            }
        }
        for s in &file.secrets {
            let ok = !s.get_ref().is_empty()
                && s.get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                problems.push(problem(
                    format!("`{}` is not an environment variable name", s.get_ref()),
                    Some(span_of(s)),
                    Some("`secrets` lists variable names such as `DEPLOY_TOKEN`, never values"),
                ));
            }
        }
        if problems.is_empty() {
            Ok(Bindings {
                name: name.to_owned(),
                text,
                bindings,
                secrets: file.secrets.iter().map(|s| s.get_ref().clone()).collect(),
            })
        } else {
            Err(fail(problems))
        }
    }
}

fn binding(
    raw: &Spanned<RawBinding>,
    types: &HashMap<String, String>,
) -> Result<Binding, Vec<BindingProblem>> {
    let whole = span_of(raw);
    let b = raw.get_ref();
    let mut problems = Vec::new();
    let matcher = match (&b.node, &b.text) {
        (Some(k), None) => Some(Matcher::Key(k.get_ref().clone())),
        (None, Some(t)) => match compile(t.get_ref(), types) {
            Ok(m) => Some(m),
            Err(e) => {
                problems.push(problem(e, Some(span_of(t)), Some("a Cucumber expression: literal text with `{int}`, `{word}`, `{string}`, `{}` or a type from [types]")));
                None
            }
        },
        (Some(_), Some(t)) => {
            problems.push(problem(
                "a binding matches by `node` or by `text`, not both",
                Some(span_of(t)),
                None,
            ));
            None
        }
        (None, None) => {
            problems.push(problem(
                "this binding matches nothing",
                Some(whole),
                Some("add `node = \"key\"` or `text = \"Deploy {word} to {word}\"`"),
            ));
            None
        }
    };
    let mut actions: Vec<(Action, SourceSpan)> = Vec::new();
    let mut push =
        |a: Result<Action, String>, span: SourceSpan, problems: &mut Vec<BindingProblem>| match a {
            Ok(a) => actions.push((a, span)),
            Err(e) => problems.push(problem(e, Some(span), None)),
        };
    if let Some(r) = &b.run {
        let argv = r.get_ref().clone();
        push(
            if argv.is_empty() {
                Err("`run` needs a program: `run = [\"./deploy.sh\", \"{region}\"]`".to_owned())
            } else {
                Ok(Action::Run(argv))
            },
            span_of(r),
            &mut problems,
        );
    }
    if let Some(m) = &b.manual {
        let a = match m.get_ref() {
            ManualSpec::Flag(false) => Err("`manual = false` does nothing: give the instructions, `manual = true`, or delete the binding".to_owned()),
            spec => Ok(Action::Manual(spec.text())),
        };
        push(a, span_of(m), &mut problems);
    }
    if let Some(l) = &b.log {
        push(
            Ok(Action::Log(l.get_ref().clone())),
            span_of(l),
            &mut problems,
        );
    }
    if let Some(w) = &b.wait {
        push(
            parse_duration(w.get_ref()).map(Action::Wait),
            span_of(w),
            &mut problems,
        );
    }
    if let Some(w) = &b.wait_until {
        push(
            Until::parse(w.get_ref()).map(Action::WaitUntil),
            span_of(w),
            &mut problems,
        );
    }
    if let Some(f) = &b.flow {
        push(
            if f.get_ref().trim().is_empty() {
                Err("`flow` names the child flow: `flow = \"season.flow\"`, `flow = \"doc.md#2\"` or `flow = \"#Heading\"`".to_owned())
            } else {
                Ok(Action::Flow(f.get_ref().trim().to_owned()))
            },
            span_of(f),
            &mut problems,
        );
    }
    if let Some(p) = &b.parallel {
        push(
            BranchFailure::parse(p.get_ref()).map(Action::Parallel).ok_or_else(|| {
                format!(
                    "`parallel = \"{}\"`: expected `fail-fast` (a failed branch cancels the others) or `complete` (the others finish)",
                    p.get_ref()
                )
            }),
            span_of(p),
            &mut problems,
        );
    }
    if let Some(f) = &b.fail {
        push(
            Ok(Action::Fail(f.get_ref().clone())),
            span_of(f),
            &mut problems,
        );
    }
    if let Some(c) = &b.command {
        let argv = c.get_ref().clone();
        push(
            if argv.is_empty() {
                Err("`command` needs a program".to_owned())
            } else {
                Ok(Action::Command {
                    argv,
                    stdout_answer: b.stdout_answer.unwrap_or(false),
                })
            },
            span_of(c),
            &mut problems,
        );
    }
    if let Some(a) = &b.ask {
        let action = match a.get_ref() {
            ManualSpec::Flag(false) => Err("`ask = false` does nothing: write the question, `ask = true`, or delete the binding".to_owned()),
            spec => Ok(Action::Ask(spec.text())),
        };
        push(action, span_of(a), &mut problems);
    }
    let action = match actions.len() {
        0 if problems.is_empty() => {
            problems.push(problem(
                "this binding has no action",
                Some(whole),
                Some("give one of `run`, `manual`, `log`, `wait`, `wait-until`, `fail` (operations), `command`, `ask` (conditions) or `flow` (subroutines)"),
            ));
            None
        }
        0 => None,
        1 => actions.pop().map(|(a, _)| a),
        _ => {
            for (a, span) in &actions[1..] {
                problems.push(problem(
                    format!(
                        "a binding has exactly one action, but this one also has `{}`",
                        a.name()
                    ),
                    Some(*span),
                    Some("split it into two bindings, or delete one action"),
                ));
            }
            None
        }
    };
    let duration = |d: &Option<Spanned<String>>, problems: &mut Vec<BindingProblem>| {
        d.as_ref().and_then(|d| match parse_duration(d.get_ref()) {
            Ok(v) => Some(v),
            Err(e) => {
                problems.push(problem(e, Some(span_of(d)), None));
                None
            }
        })
    };
    let timeout = duration(&b.timeout, &mut problems);
    let backoff = duration(&b.backoff, &mut problems).unwrap_or(Duration::from_secs(1));
    let idempotent = b.idempotent.unwrap_or(false);
    let retries = b.retries.as_ref().map_or(0, |r| *r.get_ref());
    if retries > 0 && !idempotent {
        if let Some(r) = &b.retries {
            problems.push(problem(
                "retries are allowed only for idempotent actions",
                Some(span_of(r)),
                Some("add `idempotent = true` if running the action twice is safe; otherwise remove `retries`"),
            ));
        }
    }
    if b.stdout_answer.is_some() && b.command.is_none() {
        problems.push(problem(
            "`stdout-answer` only applies to `command`",
            Some(whole),
            None,
        ));
    }
    if let Some(v) = &b.max_visits {
        if *v.get_ref() == 0 {
            problems.push(problem(
                "`max-visits` must be at least 1",
                Some(span_of(v)),
                None,
            ));
        }
    }
    let on_failure = b.on_failure.as_ref().and_then(|o| {
        let parsed = OnFailure::parse(o.get_ref());
        if parsed.is_none() {
            problems.push(problem(
                format!(
                    "`on-failure = \"{}\"`: expected `hold` or `fail`",
                    o.get_ref()
                ),
                Some(span_of(o)),
                Some(
                    "`hold` suspends the run for an operator (retry, skip, abort); `fail` ends it",
                ),
            ));
        }
        parsed
    });
    match (matcher, action) {
        (Some(matcher), Some(action)) if problems.is_empty() => Ok(Binding {
            on_failure,
            matcher,
            action,
            timeout,
            retries,
            backoff,
            idempotent,
            max_visits: b.max_visits.as_ref().map(|v| *v.get_ref()),
            span: whole,
        }),
        _ => Err(problems),
    }
}

/// Compiles a Cucumber expression with the file's custom types.
fn compile(expression: &str, types: &HashMap<String, String>) -> Result<Matcher, String> {
    let params = parameter_names(expression);
    for p in &params {
        let builtin = matches!(p.as_str(), "int" | "float" | "word" | "string" | "");
        if !builtin && !types.contains_key(p) {
            return Err(format!(
                "unknown parameter type `{{{p}}}`: define it under [types] (a regex or a list of values), or use {{word}}, {{string}}, {{int}}, {{}} (in `{expression}`)"
            ));
        }
    }
    let regex = cucumber_expressions::Expression::regex_with_parameters(expression, types)
        .map_err(|e| format!("invalid Cucumber expression `{expression}`: {e}"))?;
    Ok(Matcher::Text {
        expression: expression.to_owned(),
        regex,
        params,
    })
}

/// `{name}` parameters of an expression, in order (`\{` is literal).
fn parameter_names(expression: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = expression.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '{' => {
                let rest: String = chars.clone().collect();
                // An unclosed `{` is the expression parser's to report.
                if let Some(close) = rest.find('}') {
                    out.push(rest[..close].to_owned());
                    for _ in rest[..=close].chars() {
                        chars.next();
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The keys a `[[bind]]` table takes.
const BIND_KEYS: &[&str] = &[
    "node",
    "text",
    "run",
    "manual",
    "log",
    "wait",
    "wait-until",
    "wait_until",
    "fail",
    "command",
    "ask",
    "stdout-answer",
    "stdout_answer",
    "timeout",
    "retries",
    "backoff",
    "idempotent",
    "max-visits",
    "max_visits",
    "on-failure",
    "on_failure",
    "flow",
    "parallel",
];

/// Every unknown key in a syntactically valid bindings file, located by searching the text.
fn unknown_keys(text: &str) -> Vec<BindingProblem> {
    let Ok(table) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut search_from = 0;
    let mut report = |key: &str, known: &[&str], search_from: &mut usize| {
        let at = find_key(text, key, *search_from);
        if let Some(at) = at {
            *search_from = at + key.len();
        }
        let best = known
            .iter()
            .map(|k| (strsim::damerau_levenshtein(key, k), *k))
            .filter(|(d, _)| *d <= 2)
            .min()
            .map(|(_, k)| format!("did you mean `{k}`?"));
        out.push(problem(
            format!("unknown key `{key}`"),
            at.map(|a| SourceSpan::new(a.into(), key.len())),
            Some(&best.unwrap_or_else(|| format!("the keys are: {}", known.join(", ")))),
        ));
    };
    for key in table
        .keys()
        .filter(|k| !["types", "bind", "secrets"].contains(&k.as_str()))
    {
        report(key, &["types", "bind", "secrets"], &mut search_from);
    }
    if let Some(toml::Value::Array(binds)) = table.get("bind") {
        for b in binds {
            if let toml::Value::Table(t) = b {
                for key in t.keys().filter(|k| !BIND_KEYS.contains(&k.as_str())) {
                    report(key, BIND_KEYS, &mut search_from);
                }
            }
        }
    }
    out
}

/// Where `key = ` starts a line at or after `from`.
fn find_key(text: &str, key: &str, from: usize) -> Option<usize> {
    let mut at = from.min(text.len());
    while let Some(i) = text[at..].find(key) {
        let pos = at + i;
        let line_start = text[..pos].rfind('\n').map_or(0, |n| n + 1);
        let rest = text[pos + key.len()..].trim_start();
        if text[line_start..pos].trim().is_empty() && rest.starts_with('=') {
            return Some(pos);
        }
        at = pos + key.len();
    }
    None
}

//! What `check` needs to know about the statements themselves, gathered one
//! statement at a time (so a flow's statements need not be kept).

use crate::check::Problem;
use crate::source::Span;
use crate::syntax::{Statement, js};

/// The statements' own problems and extent.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    /// The first and the last statement.
    ends: Option<(Span, Span)>,
    /// Discarded text, glued comments and ignored lines, in statement order.
    pub(crate) problems: Vec<Problem>,
}

/// What one statement tells about itself, worked out apart from the others (on
/// any thread) and then added to the [`Notes`] in source order.
#[derive(Debug)]
pub(crate) struct Noted {
    span: Span,
    problems: Vec<Problem>,
}

impl Notes {
    /// Notes one statement (they come in source order).
    pub(crate) fn see(&mut self, text: &str, stmt: &Statement) {
        self.add(Noted::of(text, stmt));
    }

    /// Adds the next statement's notes (they come in source order).
    pub(crate) fn add(&mut self, noted: Noted) {
        match &mut self.ends {
            Some((_, last)) => *last = noted.span,
            None => self.ends = Some((noted.span, noted.span)),
        }
        self.problems.extend(noted.problems);
    }

    /// From the first statement to the last, if there is any.
    pub(crate) fn span(&self) -> Option<Span> {
        self.ends.map(|(first, last)| first.join(last))
    }
}

impl Noted {
    /// A statement's own problems (no allocation when it has none, as nearly all do).
    pub(crate) fn of(text: &str, stmt: &Statement) -> Noted {
        let mut problems = Vec::new();
        let out = &mut problems;
        match stmt {
            Statement::Definition(d) => {
                if let Some(span) = d.discarded {
                    out.push(Problem::DiscardedText { span });
                }
                for line in glued_lines(text, d.span).filter(|l| looks_like_comment(text, *l)) {
                    out.push(Problem::GluedComment {
                        span: line,
                        what: format!("the text of `{}`", d.key),
                        help: "flowchart.js has no comments: this line shows in the node's text; delete it".to_owned(),
                    });
                }
            }
            Statement::Connection(c) => {
                let mut glued = glued_lines(text, c.span)
                    .filter(|l| looks_like_comment(text, *l))
                    .peekable();
                let last = if glued.peek().is_some() {
                    c.tokens
                        .last()
                        .map(|t| t.key.trim_end().to_owned())
                        .unwrap_or_default()
                } else {
                    String::new()
                };
                for line in glued {
                    out.push(Problem::GluedComment {
                        span: line,
                        what: "the last name of the connection above".to_owned(),
                        help: format!(
                            "flowchart.js has no comments: the name becomes `{last}` plus this line, which is undefined, so the edge is lost; delete the line"
                        ),
                    });
                }
            }
            Statement::Ignored(i) => out.push(Problem::IgnoredText { span: i.span }),
            Statement::LineStyle(_) => {}
        }
        Noted {
            span: stmt.span(),
            problems,
        }
    }
}

/// The continuation lines of a statement (all its lines but the first).
fn glued_lines(text: &str, span: Span) -> impl Iterator<Item = Span> + '_ {
    let body = text.get(span.range()).unwrap_or_default();
    // Nearly every statement is one line: skip it without splitting.
    let first_end = memchr::memchr(b'\n', body.as_bytes()).unwrap_or(body.len());
    let mut at = span.start + first_end + 1;
    body.get(first_end + 1..)
        .filter(|_| first_end < body.len())
        .into_iter()
        .flat_map(|rest| rest.split('\n'))
        .map(move |line| {
            let s = Span::new(at, at + line.len());
            at += line.len() + 1;
            s
        })
}

fn looks_like_comment(text: &str, line: Span) -> bool {
    let l = js::trim(text.get(line.range()).unwrap_or_default());
    l.starts_with('#') || l.starts_with("//") || l.starts_with("<!--")
}

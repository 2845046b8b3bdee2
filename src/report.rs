//! Problems as users see them: miette reports pointing into the file, or JSON.

use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use serde::Serialize;

use crate::check::{Problem, Severity};
use crate::source::Source;

/// A problem placed in its file: labels mapped from flow offsets to file offsets.
pub struct Located<'a> {
    problem: &'a dyn Diagnostic,
    severity: miette::Severity,
    source: &'a Source,
    code: Code<'a>,
}

impl<'a> Located<'a> {
    /// Places a problem of a flow in the flow's file.
    pub fn new(problem: &'a Problem, source: &'a Source) -> Self {
        let severity = match problem.severity() {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        Self::with_severity(problem, severity, source)
    }

    /// Places any diagnostic about a flow in the flow's file.
    pub fn any(diagnostic: &'a dyn Diagnostic, source: &'a Source) -> Self {
        let severity = diagnostic.severity().unwrap_or(miette::Severity::Error);
        Self::with_severity(diagnostic, severity, source)
    }

    fn with_severity(
        problem: &'a dyn Diagnostic,
        severity: miette::Severity,
        source: &'a Source,
    ) -> Self {
        Self {
            problem,
            severity,
            source,
            code: Code(source),
        }
    }
}

impl fmt::Debug for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.problem, f)
    }
}

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.problem, f)
    }
}

impl std::error::Error for Located<'_> {}

impl Diagnostic for Located<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.problem.code()
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.problem.help()
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.code)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let labels = self.problem.labels()?;
        let source = self.source;
        Some(Box::new(labels.map(move |l| {
            let span = crate::source::Span::new(l.offset(), l.offset() + l.len());
            let mapped = source.file_span(span);
            LabeledSpan::new_with_span(l.label().map(str::to_owned), mapped)
                .with_primary(l.primary())
        })))
    }
}

/// A flow's file as miette reads it, named after the file.
///
/// miette finds the lines around a label by reading its source from the top;
/// this hands it only the lines near the label (found with the file's line
/// index), so that each diagnostic costs the same wherever it points.
#[derive(Debug)]
struct Code<'a>(&'a Source);

impl SourceCode for Code<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let text: &str = &self.0.file_text;
        let starts = self.0.line_starts();
        // The line of a byte offset (0-based), by miette's own line breaks.
        let line_of = |at: usize| starts.partition_point(|&s| s <= at).saturating_sub(1);
        let first = line_of(span.offset()).saturating_sub(context_lines_before + 1);
        let last = line_of(span.offset() + span.len()) + context_lines_after + 2;
        let from = starts.get(first).copied().unwrap_or(0);
        let to = starts.get(last).copied().unwrap_or(text.len()).max(from);
        let window = text.get(from..to).ok_or(MietteError::OutOfBounds)?;
        let inner_span = SourceSpan::new(span.offset().saturating_sub(from).into(), span.len());
        let inner = window.read_span(&inner_span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.0.name.clone(),
            inner.data(),
            SourceSpan::new((inner.span().offset() + from).into(), inner.span().len()),
            inner.line() + first,
            inner.column(),
            inner.line_count() + first,
        )))
    }
}

trait WithPrimary {
    fn with_primary(self, primary: bool) -> Self;
}

impl WithPrimary for LabeledSpan {
    fn with_primary(self, primary: bool) -> Self {
        if primary {
            LabeledSpan::new_primary_with_span(self.label().map(str::to_owned), *self.inner())
        } else {
            self
        }
    }
}

/// The miette handler flowrun renders with (no colour when `color` is false).
pub fn handler(color: bool, width: usize) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme).with_width(width)
}

/// Renders one diagnostic (falling back to its message).
pub fn render_one(diagnostic: &dyn Diagnostic, color: bool, width: usize) -> String {
    let mut out = String::new();
    if handler(color, width)
        .render_report(&mut out, diagnostic)
        .is_err()
    {
        out = format!("{diagnostic}\n");
    }
    out
}

/// Renders problems as miette reports (no colour when `color` is false).
pub fn render_human(problems: &[Problem], source: &Source, color: bool, width: usize) -> String {
    problems
        .iter()
        .map(|p| render_one(&Located::new(p, source), color, width))
        .collect()
}

/// One diagnostic as JSON (`flowrun check --format json`).
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    /// `flowrun::check::...`.
    pub code: String,
    /// `error` or `warning`.
    pub severity: &'static str,
    /// The message.
    pub message: String,
    /// The file.
    pub file: String,
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// Byte span in the file: `[start, end)`.
    pub span: [usize; 2],
    /// What to do.
    pub help: Option<String>,
}

impl JsonDiagnostic {
    /// The JSON form of a problem in its file.
    pub fn new(problem: &Problem, source: &Source) -> Self {
        Self::any(
            problem,
            problem.span(),
            problem.severity() == Severity::Error,
            source,
        )
    }

    /// The JSON form of any diagnostic about a flow, at `span` of the flow.
    pub fn any(
        diagnostic: &dyn Diagnostic,
        span: crate::source::Span,
        error: bool,
        source: &Source,
    ) -> Self {
        let file_span = source.file_span(span);
        let (line, column) = source.line_col(span.start);
        JsonDiagnostic {
            code: diagnostic.code().map(|c| c.to_string()).unwrap_or_default(),
            severity: if error { "error" } else { "warning" },
            message: diagnostic.to_string(),
            file: source.name.clone(),
            line,
            column,
            span: [file_span.offset(), file_span.offset() + file_span.len()],
            help: diagnostic.help().map(|h| h.to_string()),
        }
    }
}

//! Errors that make flowchart.js's own parse throw.
//!
//! flowchart.js stops at the first of these with a raw JavaScript exception;
//! flowrun reports every one, each pointing at the culprit.

use miette::Diagnostic;
use thiserror::Error;

use crate::source::Span;

/// A statement flowchart.js cannot execute (its `parse()` throws).
#[derive(Clone, Debug, Error, Diagnostic, PartialEq, Eq)]
pub enum BuildError {
    /// A chain uses an undefined node as a source.
    #[error("`{}` is not defined, but a connection starts from it", shown(name))]
    #[diagnostic(code(flowrun::graph::undefined_source))]
    UndefinedSource {
        /// The name as written (untrimmed).
        name: String,
        /// The token.
        #[label(primary, "not defined (above this line)")]
        span: Span,
        /// Suggestion text.
        #[help]
        help: Option<String>,
    },
    /// An `@annotation` on a chain whose first node is undefined.
    #[error("`{}` is not defined, but its branch has an annotation", shown(name))]
    #[diagnostic(code(flowrun::graph::annotation_on_undefined))]
    AnnotationOnUndefined {
        /// The name as written.
        name: String,
        /// The token.
        #[label(primary, "not defined (above this line)")]
        span: Span,
        /// Suggestion text.
        #[help]
        help: Option<String>,
    },
    /// A line-style statement names an undefined node.
    #[error("`{}` in a line style (`@>`) is not defined", shown(name))]
    #[diagnostic(code(flowrun::graph::undefined_style_node))]
    UndefinedStyleNode {
        /// The name as written.
        name: String,
        /// The reference.
        #[label(primary, "not defined (above this line)")]
        span: Span,
        /// Suggestion text.
        #[help]
        help: Option<String>,
    },
    /// A line style whose JSON does not parse.
    #[error("the line style is not valid JSON: {message}")]
    #[diagnostic(
        code(flowrun::graph::bad_style_json),
        help(
            "write a JSON object such as `{{\"stroke\":\"red\",\"stroke-width\":2}}`; it ends at the first `)`"
        )
    )]
    BadStyleJson {
        /// The JSON parser's message.
        message: String,
        /// The JSON text.
        #[label(primary, "invalid JSON")]
        span: Span,
    },
}

impl BuildError {
    /// Where the error points.
    pub fn span(&self) -> Span {
        match self {
            BuildError::UndefinedSource { span, .. }
            | BuildError::AnnotationOnUndefined { span, .. }
            | BuildError::UndefinedStyleNode { span, .. }
            | BuildError::BadStyleJson { span, .. } => *span,
        }
    }
}

/// A name as shown in a message: line breaks visible, the empty name named.
pub(crate) fn shown(name: &str) -> String {
    if name.is_empty() {
        return "(empty name)".to_owned();
    }
    name.replace('\r', "\\r").replace('\n', "\\n")
}

//! The statements of a flow, with flowchart.js's string rules already applied.
//!
//! Every value here is exactly what flowchart.js 1.18.0 computes for the
//! statement (untrimmed keys, the first `": "`, the last `|`, ...); every
//! part carries the [`Span`] it came from.

use crate::source::Span;

/// A key, type, branch or direction: stored inline up to 24 bytes (nearly every
/// one), so a large flow's statements and graph hold no allocation per name.
/// Derefs to `str`.
pub type Key = compact_str::CompactString;

/// A parsed flow: its statements in source order.
#[derive(Clone, Debug, Default)]
pub struct Ast {
    /// The statements, in the order flowchart.js executes them.
    pub statements: Vec<Statement>,
}

/// One logical statement.
#[derive(Clone, Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "definitions are most statements; boxing them costs an allocation each"
)]
pub enum Statement {
    /// `key=>type: text`.
    Definition(Definition),
    /// `a->b->c`.
    Connection(Connection),
    /// `a@>b({...})`.
    LineStyle(LineStyle),
    /// A first line without operators, which flowchart.js ignores.
    Ignored(Ignored),
}

impl Statement {
    /// The whole statement's span.
    pub fn span(&self) -> Span {
        match self {
            Statement::Definition(d) => d.span,
            Statement::Connection(c) => c.span,
            Statement::LineStyle(l) => l.span,
            Statement::Ignored(i) => i.span,
        }
    }
}

/// `KEY[(PARAMS)]=>TYPE[: TEXT][|FLOWSTATE][:>URL[TARGET] | :$CALLBACK]`.
#[derive(Clone, Debug)]
pub struct Definition {
    /// The key, untrimmed.
    pub key: Key,
    /// Where the key is.
    pub key_span: Span,
    /// `name=value` parameters in JS property order (later duplicates win).
    pub params: Vec<(String, String)>,
    /// The type as written (`operation`, or anything else).
    pub kind: Key,
    /// Where the type is.
    pub kind_span: Span,
    /// The text after `": "`, if any.
    pub text: Option<String>,
    /// Where the text is (the text part only, without state or link).
    pub text_span: Option<Span>,
    /// Text after the last `|`, trimmed.
    pub flowstate: Option<String>,
    /// `:>` URL.
    pub link: Option<String>,
    /// `[target]` of the link.
    pub target: Option<String>,
    /// `:$` callback name.
    pub callback: Option<String>,
    /// Text after a second `=>`, which flowchart.js drops.
    pub discarded: Option<Span>,
    /// The whole statement.
    pub span: Span,
}

/// `TOKEN->TOKEN[->TOKEN...]`.
#[derive(Clone, Debug)]
pub struct Connection {
    /// The tokens, left to right.
    pub tokens: Vec<Token>,
    /// `@label` taken from the statement's first `(...)`, if any.
    pub annotation: Option<Annotation>,
    /// The whole statement.
    pub span: Span,
}

/// One node reference in a chain.
#[derive(Clone, Debug)]
pub struct Token {
    /// The key looked up for this token.
    pub key: Key,
    /// Where the key is.
    pub key_span: Span,
    /// The branch this token's node takes to the next token (`next`, `yes`, ...).
    pub branch: Key,
    /// The direction given for that branch, if any (`""` is possible).
    pub direction: Option<Key>,
    /// Where the `(...)` spec is, if any.
    pub spec_span: Option<Span>,
    /// The whole token.
    pub span: Span,
}

/// A branch annotation, `@Approve` in `c(yes@Approve)`.
#[derive(Clone, Debug)]
pub struct Annotation {
    /// The label.
    pub text: String,
    /// Where it was written.
    pub span: Span,
}

/// `A@>B({...})@>C({...})`.
#[derive(Clone, Debug)]
pub struct LineStyle {
    /// The nodes, left to right.
    pub refs: Vec<StyleRef>,
    /// The whole statement.
    pub span: Span,
}

/// One node of a line-style statement.
#[derive(Clone, Debug)]
pub struct StyleRef {
    /// The key looked up.
    pub key: Key,
    /// Where the key is.
    pub key_span: Span,
    /// The JSON text for the line into this node (`{}` when there is no `)`).
    pub style: String,
    /// Where the JSON text is.
    pub style_span: Span,
    /// The whole reference.
    pub span: Span,
}

/// A statement flowchart.js ignores.
#[derive(Clone, Debug)]
pub struct Ignored {
    /// The statement's text.
    pub text: String,
    /// Where it is.
    pub span: Span,
}

//! Everything `check` can report, as data.

use miette::Diagnostic;
use thiserror::Error;

use crate::graph::BuildError;
use crate::source::Span;

/// A problem found in a flow: an error or a warning, with the span it is about.
#[derive(Clone, Debug, Error, Diagnostic, PartialEq, Eq)]
pub enum Problem {
    /// flowchart.js's own parse throws here.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Build(#[from] BuildError),

    /// A connection points at a name that is not defined above it.
    #[error(
        "`{}` is not defined, so this edge goes nowhere",
        crate::graph::shown(name)
    )]
    #[diagnostic(code(flowrun::check::undefined_target))]
    UndefinedTarget {
        /// The name as written.
        name: String,
        /// The target token.
        #[label(primary, "not defined (above this line)")]
        span: Span,
        /// What to do.
        #[help]
        help: Option<String>,
    },

    /// A type flowchart.js cannot draw.
    #[error("`{type_name}` is not a node type")]
    #[diagnostic(code(flowrun::check::unknown_type))]
    UnknownType {
        /// The type as written.
        type_name: String,
        /// The node's key.
        key: String,
        /// The type.
        #[label(primary, "unknown type")]
        span: Span,
        /// What to do.
        #[help]
        help: String,
    },

    /// No connection at all: flowchart.js has no start and draws nothing.
    #[error("the flow has no connection (`a->b`), so it has no start")]
    #[diagnostic(
        code(flowrun::check::no_start),
        help(
            "connect the nodes, e.g. `st->op->e`; the first node of the first `->` line is the start"
        )
    )]
    NoStart {
        /// The whole flow.
        #[label(primary, "no `->` line in this flow")]
        span: Span,
    },

    /// A plain `->` out of a condition: flowchart.js ignores it.
    #[error("a plain `->` out of condition `{key}` is ignored")]
    #[diagnostic(code(flowrun::check::plain_arrow_from_condition))]
    PlainArrowFromCondition {
        /// The condition.
        key: String,
        /// The connection.
        #[label(primary, "ignored: a condition only follows `(yes)` and `(no)`")]
        span: Span,
        /// What to do.
        #[help]
        help: String,
    },

    /// A branch the node's type never follows.
    #[error("branch `{branch}` of {kind} `{key}` is ignored")]
    #[diagnostic(code(flowrun::check::ignored_branch))]
    IgnoredBranch {
        /// The node.
        key: String,
        /// Its type.
        kind: String,
        /// The branch written.
        branch: String,
        /// The connection.
        #[label(primary, "never followed")]
        span: Span,
        /// What to do.
        #[help]
        help: String,
    },

    /// A later connection replaces an earlier edge.
    #[error("this replaces the `{branch}` edge of `{key}` set earlier")]
    #[diagnostic(
        code(flowrun::check::overwritten_edge),
        help(
            "a node keeps one target per branch and the last line wins; delete the line you do not mean"
        )
    )]
    OverwrittenEdge {
        /// The node.
        key: String,
        /// The branch.
        branch: String,
        /// The later connection.
        #[label(primary, "wins")]
        span: Span,
        /// The earlier one.
        #[label("overwritten")]
        old: Span,
    },

    /// A key defined twice.
    #[error("`{key}` is defined again")]
    #[diagnostic(
        code(flowrun::check::redefined),
        help("connections above the second definition keep the first node; rename one of them")
    )]
    Redefined {
        /// The key.
        key: String,
        /// The second definition.
        #[label(primary, "redefined here")]
        span: Span,
        /// The first.
        #[label("first defined here")]
        first: Span,
    },

    /// A node the flow never reaches from its start.
    #[error("`{key}` cannot be reached from the start `{start}`")]
    #[diagnostic(code(flowrun::check::unreachable))]
    Unreachable {
        /// The node.
        key: String,
        /// The start's key.
        start: String,
        /// The definition.
        #[label(primary, "never reached")]
        span: Span,
        /// What to do.
        #[help]
        help: String,
    },

    /// An edge back into the start node: flowchart.js does not draw it.
    #[error("edge into the start node `{key}` is not drawn by flowchart.js")]
    #[diagnostic(
        code(flowrun::check::edge_into_start),
        help(
            "flowrun follows it, but flowchart.js re-registers the start instead of drawing the line; loop back to a node after the start"
        )
    )]
    EdgeIntoStart {
        /// The start.
        key: String,
        /// The connection.
        #[label(primary, "leads back to the start")]
        span: Span,
    },

    /// A condition without its `yes` or `no`.
    #[error("condition `{key}` has no `{missing}` branch")]
    #[diagnostic(code(flowrun::check::missing_branch))]
    MissingBranch {
        /// The condition.
        key: String,
        /// `yes` or `no`.
        missing: &'static str,
        /// The definition.
        #[label(primary, "{present}")]
        span: Span,
        /// What leaves it (only yes, only no, or nothing).
        present: &'static str,
        /// What to do.
        #[help]
        help: String,
    },

    /// A `yes` self-loop or a cycle of conditions left through `yes`.
    #[error("`yes` cycle through {keys}: flowchart.js cannot draw it")]
    #[diagnostic(
        code(flowrun::check::yes_cycle),
        help(
            "flowchart.js's drawing recurses forever on it (Maximum call stack size exceeded); loop back through `(no)` or through an operation instead"
        )
    )]
    YesCycle {
        /// The conditions, as `` `a`, `b` ``.
        keys: String,
        /// The first edge of the cycle.
        #[label(primary, "`yes` leads back here")]
        span: Span,
    },

    /// A loop that never reaches an end.
    #[error("no way out: from `{key}` the flow can never reach an end")]
    #[diagnostic(
        code(flowrun::check::no_way_out),
        help(
            "a run that gets here loops forever or stops without an end; add a branch that leads to an `end` node"
        )
    )]
    NoWayOut {
        /// A node of the trap.
        key: String,
        /// Its definition.
        #[label(primary, "trapped from here")]
        span: Span,
    },

    /// A reachable node with nowhere to go that is not an end.
    #[error("`{key}` is a dead end: it has no next step and is not an end")]
    #[diagnostic(
        code(flowrun::check::dead_end),
        help("connect it, e.g. `{key}->e`, or make it an `end` node")
    )]
    DeadEnd {
        /// The node.
        key: String,
        /// Its definition.
        #[label(primary, "nothing follows")]
        span: Span,
    },

    /// More than one `start` node.
    #[error("more than one `start` node")]
    #[diagnostic(
        code(flowrun::check::multiple_starts),
        help(
            "a flow has one start: the first node of the first `->` line; make the other an operation"
        )
    )]
    MultipleStarts {
        /// The extra start.
        #[label(primary, "another start")]
        span: Span,
        /// The first one.
        #[label("first start")]
        first: Span,
    },

    /// A `start` node that is not where the flow starts.
    #[error("`{key}` is a start node, but the flow starts at `{actual}`")]
    #[diagnostic(
        code(flowrun::check::start_not_first),
        help(
            "flowchart.js starts at the first node of the first `->` line; begin that line with `{key}`"
        )
    )]
    StartNotFirst {
        /// The start-type node.
        key: String,
        /// The actual start.
        actual: String,
        /// The start node's definition.
        #[label(primary, "defined as start")]
        span: Span,
        /// The first connection's first token.
        #[label("the flow starts here")]
        first: Span,
    },

    /// A comment-like line glued into a statement.
    #[error("this line is not a comment: flowchart.js glues it to the statement above")]
    #[diagnostic(code(flowrun::check::glued_comment))]
    GluedComment {
        /// The line.
        #[label(primary, "part of {what}")]
        span: Span,
        /// What it became part of.
        what: String,
        /// Consequence.
        #[help]
        help: String,
    },

    /// The first line(s) have no operator: flowchart.js ignores them.
    #[error("this text is ignored: it has no `=>`, `->` or `@>`")]
    #[diagnostic(
        code(flowrun::check::ignored_text),
        help("flowchart.js ignores a first line without an operator, and every line glued to it")
    )]
    IgnoredText {
        /// The text.
        #[label(primary, "ignored")]
        span: Span,
    },

    /// Text after a second `=>` in a definition.
    #[error("text after a second `=>` is dropped")]
    #[diagnostic(
        code(flowrun::check::discarded_text),
        help(
            "flowchart.js keeps only what is between the first and second `=>`; avoid `=>` in node text"
        )
    )]
    DiscardedText {
        /// The dropped text.
        #[label(primary, "dropped")]
        span: Span,
    },

    /// A path of a parallel leaves it: back into the parallel, or to a node reached without it.
    #[error("`{path}` of parallel `{key}` leaves the parallel for `{target}`")]
    #[diagnostic(code(flowrun::check::parallel_escape))]
    ParallelEscape {
        /// `path1`..`path3`.
        path: &'static str,
        /// The parallel.
        key: String,
        /// Where the edge leads.
        target: String,
        /// The edge that leaves.
        #[label(primary, "leads {why}")]
        span: Span,
        /// Why the target is outside.
        why: String,
        /// What a structured shape looks like.
        #[help]
        help: String,
    },

    /// A path of a parallel can miss the join (without a join: every end).
    #[error("`{path}` of parallel `{key}` {what}")]
    #[diagnostic(code(flowrun::check::parallel_no_join))]
    ParallelNoJoin {
        /// `path1`..`path3`.
        path: &'static str,
        /// The parallel.
        key: String,
        /// "never reaches the join `j`", "does not always reach an end", ….
        what: String,
        /// The path's own edge, or the edge after which it cannot reach the join.
        #[label(primary, "{label}")]
        span: Span,
        /// The primary label's text.
        label: String,
        /// The join's definition, if the paths have one.
        #[label("the other paths join here")]
        join: Option<Span>,
        /// What to do.
        #[help]
        help: String,
    },

    /// An annotation flowchart.js drops.
    #[error("this annotation is ignored")]
    #[diagnostic(code(flowrun::check::ignored_annotation))]
    IgnoredAnnotation {
        /// The annotation.
        #[label(primary, "ignored")]
        span: Span,
        /// Why.
        #[help]
        help: String,
    },
}

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Blocks running the flow; exit 2.
    Error,
    /// Worth fixing; fails only with `--deny-warnings`.
    Warning,
}

impl Problem {
    /// Whether it is an error or a warning.
    pub fn severity(&self) -> Severity {
        match self {
            Problem::Build(_)
            | Problem::UndefinedTarget { .. }
            | Problem::UnknownType { .. }
            | Problem::NoStart { .. }
            | Problem::ParallelEscape { .. }
            | Problem::ParallelNoJoin { .. } => Severity::Error,
            _ => Severity::Warning,
        }
    }

    /// The primary span.
    pub fn span(&self) -> Span {
        match self {
            Problem::Build(e) => e.span(),
            Problem::UndefinedTarget { span, .. }
            | Problem::UnknownType { span, .. }
            | Problem::NoStart { span }
            | Problem::PlainArrowFromCondition { span, .. }
            | Problem::IgnoredBranch { span, .. }
            | Problem::OverwrittenEdge { span, .. }
            | Problem::Redefined { span, .. }
            | Problem::Unreachable { span, .. }
            | Problem::EdgeIntoStart { span, .. }
            | Problem::MissingBranch { span, .. }
            | Problem::YesCycle { span, .. }
            | Problem::NoWayOut { span, .. }
            | Problem::DeadEnd { span, .. }
            | Problem::MultipleStarts { span, .. }
            | Problem::StartNotFirst { span, .. }
            | Problem::GluedComment { span, .. }
            | Problem::IgnoredText { span }
            | Problem::DiscardedText { span }
            | Problem::IgnoredAnnotation { span, .. }
            | Problem::ParallelEscape { span, .. }
            | Problem::ParallelNoJoin { span, .. } => *span,
        }
    }

    /// The diagnostic code, e.g. `flowrun::check::unreachable`.
    pub fn code(&self) -> String {
        Diagnostic::code(self)
            .map(|c| c.to_string())
            .unwrap_or_default()
    }
}

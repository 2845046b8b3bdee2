//! The parse graph's node and edge types.

use crate::source::Span;

/// The node types flowchart.js can draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// `start`
    Start,
    /// `end`
    End,
    /// `operation`
    Operation,
    /// `inputoutput`
    InputOutput,
    /// `input`
    Input,
    /// `output`
    Output,
    /// `subroutine`
    Subroutine,
    /// `condition`
    Condition,
    /// `parallel`
    Parallel,
}

impl NodeKind {
    /// Every kind, in the order flowchart.js's README lists them.
    pub const ALL: [NodeKind; 9] = [
        NodeKind::Start,
        NodeKind::End,
        NodeKind::Operation,
        NodeKind::InputOutput,
        NodeKind::Input,
        NodeKind::Output,
        NodeKind::Subroutine,
        NodeKind::Condition,
        NodeKind::Parallel,
    ];

    /// The kind for a type name (case-sensitive, as in flowchart.js).
    pub fn from_name(name: &str) -> Option<NodeKind> {
        NodeKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The type name.
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Start => "start",
            NodeKind::End => "end",
            NodeKind::Operation => "operation",
            NodeKind::InputOutput => "inputoutput",
            NodeKind::Input => "input",
            NodeKind::Output => "output",
            NodeKind::Subroutine => "subroutine",
            NodeKind::Condition => "condition",
            NodeKind::Parallel => "parallel",
        }
    }

    /// The branches the renderer follows out of this kind.
    pub fn branches(self) -> &'static [&'static str] {
        match self {
            NodeKind::Condition => &["yes", "no"],
            NodeKind::Parallel => &["path1", "path2", "path3"],
            _ => &["next"],
        }
    }
}

/// A flowchart.js symbol record: one definition statement.
#[derive(Clone, Debug)]
pub struct Node {
    /// The key, untrimmed.
    pub key: String,
    /// The type as written.
    pub type_name: String,
    /// The known kind, if the type is one flowchart.js draws.
    pub kind: Option<NodeKind>,
    /// Text after `": "`.
    pub text: Option<String>,
    /// Text after the last `|`.
    pub flowstate: Option<String>,
    /// `:>` URL.
    pub link: Option<String>,
    /// `[target]` of the link.
    pub target: Option<String>,
    /// `:$` callback.
    pub callback: Option<String>,
    /// `(name=value)` parameters, JS property order.
    pub params: Vec<(String, String)>,
    /// `@>` line styles: target key → JSON value, JS property order.
    pub line_styles: Vec<(String, serde_json::Value)>,
    /// `@label` annotations per branch, JS property order.
    pub annotations: Vec<(String, String)>,
    /// The definition statement.
    pub span: Span,
    /// The key in the definition.
    pub key_span: Span,
    /// The type in the definition.
    pub kind_span: Span,
    /// The text in the definition.
    pub text_span: Option<Span>,
}

impl Node {
    /// The annotation stored for a branch.
    pub fn annotation(&self, branch: &str) -> Option<&str> {
        self.annotations
            .iter()
            .find(|(b, _)| b == branch)
            .map(|(_, a)| a.as_str())
    }

    /// The `align-next` parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A stored branch to a node.
#[derive(Clone, Debug)]
pub struct Edge {
    /// `next`, `yes`, `no`, `path1`..`path3`, or any other name written.
    pub branch: String,
    /// The direction stored with it (`None` when none was written).
    pub direction: Option<String>,
    /// The link in the connection: from the source token to the target token.
    pub span: Span,
    /// The target token.
    pub target_span: Span,
    /// Order of the branch's first assignment on its node (JS property order).
    pub(crate) order: u32,
}

/// A stored branch whose target name did not resolve.
#[derive(Clone, Debug)]
pub struct Unresolved {
    /// The source node.
    pub from: super::NodeId,
    /// The branch.
    pub branch: String,
    /// The name written as target (untrimmed).
    pub name: String,
    /// The direction stored with it.
    pub direction: Option<String>,
    /// The link in the connection.
    pub span: Span,
    /// The target token.
    pub target_span: Span,
    pub(crate) order: u32,
}

//! The parse graph's node and edge types.

use crate::source::Span;
use crate::syntax::Key;

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
        // A match, not a search of `ALL`: it runs once for every definition.
        Some(match name {
            "start" => NodeKind::Start,
            "end" => NodeKind::End,
            "operation" => NodeKind::Operation,
            "inputoutput" => NodeKind::InputOutput,
            "input" => NodeKind::Input,
            "output" => NodeKind::Output,
            "subroutine" => NodeKind::Subroutine,
            "condition" => NodeKind::Condition,
            "parallel" => NodeKind::Parallel,
            _ => return None,
        })
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
///
/// The parts nearly every node has are fields; the rare ones (flowstate, link,
/// callback, parameters, line styles, annotations) sit behind one pointer and
/// are read through methods, so a large flow's nodes stay small.
#[derive(Clone, Debug)]
pub struct Node {
    /// The key, untrimmed.
    pub key: Key,
    /// The known kind, if the type is one flowchart.js draws (the type as
    /// written is [`Node::type_name`]).
    pub kind: Option<NodeKind>,
    /// Text after `": "`.
    pub text: Option<String>,
    /// The definition statement.
    pub span: Span,
    /// The key, type and text in the definition, within `span` (see [`Node::key_span`]).
    key_part: Part,
    kind_part: Part,
    text_part: Part,
    /// The rarely present parts, `None` when all of them are empty.
    extra: Option<Box<NodeExtra>>,
}

/// A part of a node's definition: its offset from the definition's start and its length.
///
/// Half the size of a [`Span`]: a large flow has a million nodes, all written
/// into fresh memory, which is slow to page in. (A part more than 4 GiB into its
/// statement would be cut short; no statement is that long.)
#[derive(Clone, Copy, Debug, Default)]
struct Part {
    at: u32,
    len: u32,
}

impl Part {
    /// `part` of the statement `whole`.
    fn of(whole: Span, part: Span) -> Part {
        let at = part.start.saturating_sub(whole.start);
        Part {
            at: u32::try_from(at).unwrap_or(u32::MAX),
            len: u32::try_from(part.len()).unwrap_or(u32::MAX),
        }
    }

    /// The part's span in the source, given the statement's.
    fn within(self, whole: Span) -> Span {
        let start = whole.start.saturating_add(self.at as usize).min(whole.end);
        Span::new(
            start,
            start.saturating_add(self.len as usize).min(whole.end),
        )
    }
}

/// The parts of a [`Node`] that few nodes have.
#[derive(Clone, Debug, Default)]
struct NodeExtra {
    /// The type as written, when it is not a known kind's name.
    type_name: Key,
    flowstate: Option<String>,
    link: Option<String>,
    target: Option<String>,
    callback: Option<String>,
    params: Vec<(String, String)>,
    line_styles: Vec<(String, serde_json::Value)>,
    annotations: Vec<(String, String)>,
}

impl Node {
    /// A node from a definition's parts (the rare ones boxed only when present).
    pub(crate) fn new(d: crate::syntax::ast::Definition) -> Node {
        let kind = NodeKind::from_name(&d.kind);
        let rare = d.flowstate.is_some()
            || d.link.is_some()
            || d.target.is_some()
            || d.callback.is_some()
            || !d.params.is_empty()
            || (kind.is_none() && !d.kind.is_empty());
        let extra = rare.then(|| {
            Box::new(NodeExtra {
                type_name: if kind.is_none() {
                    d.kind
                } else {
                    Key::default()
                },
                flowstate: d.flowstate,
                link: d.link,
                target: d.target,
                callback: d.callback,
                params: d.params,
                line_styles: Vec::new(),
                annotations: Vec::new(),
            })
        });
        Node {
            kind,
            key: d.key,
            text: d.text,
            key_part: Part::of(d.span, d.key_span),
            kind_part: Part::of(d.span, d.kind_span),
            text_part: d.text_span.map(|t| Part::of(d.span, t)).unwrap_or_default(),
            span: d.span,
            extra,
        }
    }

    /// The key in the definition.
    pub fn key_span(&self) -> Span {
        self.key_part.within(self.span)
    }

    /// The type in the definition.
    pub fn kind_span(&self) -> Span {
        self.kind_part.within(self.span)
    }

    /// The text in the definition, when there is a text.
    pub fn text_span(&self) -> Option<Span> {
        self.text.as_ref().map(|_| self.text_part.within(self.span))
    }

    /// The type as written: a known kind's name, or any other (a mistake).
    ///
    /// Kept apart only when it is not a known kind's name: a large flow has a
    /// million nodes, all written into fresh memory, which is slow to page in.
    pub fn type_name(&self) -> &str {
        match self.kind {
            Some(kind) => kind.name(),
            None => self.extra.as_ref().map_or("", |x| x.type_name.as_str()),
        }
    }

    fn extra_mut(&mut self) -> &mut NodeExtra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// Text after the last `|`.
    pub fn flowstate(&self) -> Option<&str> {
        self.extra.as_ref()?.flowstate.as_deref()
    }

    /// `:>` URL.
    pub fn link(&self) -> Option<&str> {
        self.extra.as_ref()?.link.as_deref()
    }

    /// `[target]` of the link.
    pub fn target(&self) -> Option<&str> {
        self.extra.as_ref()?.target.as_deref()
    }

    /// `:$` callback.
    pub fn callback(&self) -> Option<&str> {
        self.extra.as_ref()?.callback.as_deref()
    }

    /// `(name=value)` parameters, JS property order.
    pub fn params(&self) -> &[(String, String)] {
        self.extra.as_ref().map_or(&[], |x| &x.params)
    }

    /// `@>` line styles: target key → JSON value, JS property order.
    pub fn line_styles(&self) -> &[(String, serde_json::Value)] {
        self.extra.as_ref().map_or(&[], |x| &x.line_styles)
    }

    /// `@label` annotations per branch, JS property order.
    pub fn annotations(&self) -> &[(String, String)] {
        self.extra.as_ref().map_or(&[], |x| &x.annotations)
    }

    /// The line styles, to change them.
    pub(crate) fn line_styles_mut(&mut self) -> &mut Vec<(String, serde_json::Value)> {
        &mut self.extra_mut().line_styles
    }

    /// The annotations, to change them.
    pub(crate) fn annotations_mut(&mut self) -> &mut Vec<(String, String)> {
        &mut self.extra_mut().annotations
    }

    /// The annotation stored for a branch.
    pub fn annotation(&self, branch: &str) -> Option<&str> {
        self.annotations()
            .iter()
            .find(|(b, _)| b == branch)
            .map(|(_, a)| a.as_str())
    }

    /// The `align-next` parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A stored branch to a node.
///
/// A large flow has a million edges, all written into fresh memory, which is
/// slow to page in: so the branch and direction are codes for the names nearly
/// every edge has, and any other name sits behind one pointer.
#[derive(Clone, Debug)]
pub struct Edge {
    /// The link in the connection: from the source token to the target token.
    pub span: Span,
    /// The target token.
    pub target_span: Span,
    /// Order of the branch's first assignment on its node (JS property order).
    pub(crate) order: u32,
    /// The branch's index in [`WORDS`], or [`OTHER`].
    branch: u8,
    /// The direction's index in [`WORDS`], [`NO_WORD`] or [`OTHER`].
    direction: u8,
    /// The names that are not in [`WORDS`].
    other: Option<Box<OtherNames>>,
}

/// An edge's branch and direction names that have no code (empty when they have one).
#[derive(Clone, Debug, Default)]
struct OtherNames {
    branch: Key,
    direction: Option<Key>,
}

/// The branch and direction names an [`Edge`] keeps as a code.
const WORDS: [&str; 10] = [
    "next", "yes", "no", "path1", "path2", "path3", "left", "right", "top", "bottom",
];

/// No direction.
const NO_WORD: u8 = u8::MAX - 1;

/// A name not in [`WORDS`]: it is kept apart (in [`Edge::other`], or in the
/// builder's rare parts for a slot).
pub(crate) const OTHER: u8 = u8::MAX;

/// A branch or direction name's code: its index in [`WORDS`], or [`OTHER`].
pub(crate) fn word_code(name: &str) -> u8 {
    WORDS
        .iter()
        .position(|w| *w == name)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(OTHER)
}

/// The name of a code from [`word_code`] (`None` for [`OTHER`]).
pub(crate) fn word(code: u8) -> Option<&'static str> {
    WORDS.get(usize::from(code)).copied()
}

impl Edge {
    /// An edge with its branch (as its [`word_code`] and its name) and its
    /// direction, as written. The branch's name is only kept (and only read)
    /// when the code is [`OTHER`]: a builder that stored the code passes an
    /// empty name for the words.
    pub(crate) fn coded(
        branch_code: u8,
        branch: Key,
        direction: Option<Key>,
        span: Span,
        target_span: Span,
        order: u32,
    ) -> Edge {
        debug_assert!(
            branch_code == OTHER || branch.is_empty() || word(branch_code) == Some(branch.as_str()),
            "branch code {branch_code} given with the name {branch:?}"
        );
        let direction_code = direction.as_deref().map_or(NO_WORD, word_code);
        let other = (branch_code == OTHER || direction_code == OTHER).then(|| {
            Box::new(OtherNames {
                branch: if branch_code == OTHER {
                    branch
                } else {
                    Key::default()
                },
                direction: direction.filter(|_| direction_code == OTHER),
            })
        });
        Edge {
            span,
            target_span,
            order,
            branch: branch_code,
            direction: direction_code,
            other,
        }
    }

    /// The branch's code ([`word_code`]): [`OTHER`] for a name that is not one of the words.
    pub(crate) fn branch_code(&self) -> u8 {
        self.branch
    }

    /// `next`, `yes`, `no`, `path1`..`path3`, or any other name written.
    pub fn branch(&self) -> &str {
        match word(self.branch) {
            Some(name) => name,
            None => self.other.as_ref().map_or("", |o| o.branch.as_str()),
        }
    }

    /// The direction stored with it (`None` when none was written).
    pub fn direction(&self) -> Option<&str> {
        match self.direction {
            NO_WORD => None,
            OTHER => self.other.as_ref()?.direction.as_deref(),
            code => word(code),
        }
    }
}

/// A stored branch whose target name did not resolve.
#[derive(Clone, Debug)]
pub struct Unresolved {
    /// The source node.
    pub from: super::NodeId,
    /// The branch.
    pub branch: Key,
    /// The name written as target (untrimmed).
    pub name: Key,
    /// The direction stored with it.
    pub direction: Option<Key>,
    /// The link in the connection.
    pub span: Span,
    /// The target token.
    pub target_span: Span,
    pub(crate) order: u32,
}

#[cfg(test)]
mod tests {
    use super::{Edge, Node, NodeKind, word_code};
    use crate::source::Span;
    use crate::syntax::Key;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in NodeKind::ALL {
            assert_eq!(NodeKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(NodeKind::from_name("Start"), None);
        assert_eq!(NodeKind::from_name("start "), None);
    }

    #[test]
    fn a_node_stays_small() {
        // A million nodes are written into fresh memory on a large flow.
        assert!(std::mem::size_of::<Node>() <= 104);
    }

    #[test]
    fn an_edge_stays_small() {
        assert!(std::mem::size_of::<Edge>() <= 48);
    }

    #[test]
    fn an_edge_keeps_any_branch_and_direction() {
        let span = Span::new(0, 1);
        let names = [
            "next", "yes", "path3", "bottom", "true", "", "Left", " right",
        ];
        for branch in names {
            for direction in names.map(Some).into_iter().chain([None]) {
                let e = Edge::coded(
                    word_code(branch),
                    Key::from(branch),
                    direction.map(Key::from),
                    span,
                    span,
                    0,
                );
                assert_eq!(e.branch(), branch);
                assert_eq!(e.direction(), direction);
            }
        }
    }
}

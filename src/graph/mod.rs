//! Graph: [`Ast`] → [`ParseGraph`], by executing the statements as flowchart.js does.
//!
//! Owns petgraph. The parse graph holds every record flowchart.js creates,
//! including shadowed redefinitions, and every branch it stores, including
//! the ones its renderer ignores. [`Flow`] is the view flowrun executes and
//! renders; [`drawing`] reproduces what flowchart.js itself draws.
//!
//! Invariant: statements run strictly in source order against the symbol
//! table as it is at that moment; for each (node, branch) the last assignment wins.

mod build;
pub mod drawing;
mod error;
mod flow;
pub mod join;
pub mod json;
mod keys;
mod node;
pub(crate) mod successors;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

pub use build::build;
pub(crate) use build::{Builder, Prepared, first_definitions, hint, with_article};
pub use error::BuildError;
pub(crate) use error::shown;
pub use flow::{Flow, FlowEdge};
pub use join::{Fault, ParallelShape, parallel_shapes};
pub(crate) use keys::KeyTable;
pub use node::{Edge, Node, NodeKind, Unresolved};
/// The symbol tables hash node names with rustc's Fx hash: the keys come from the
/// flow being checked, so `SipHash`'s protection against crafted collisions buys nothing.
pub(crate) use rustc_hash::FxHashMap;

use crate::source::Span;

/// The hash of a key in the symbol table.
pub(crate) fn key_hash(key: &str) -> u64 {
    use std::hash::BuildHasher as _;
    rustc_hash::FxBuildHasher.hash_one(key)
}

/// The position in `live` of `key`, if it is there.
pub(crate) fn find_key(table: &KeyTable, live: &[(Key, NodeId)], key: &str) -> Option<u32> {
    table.find(key_hash(key), |i| {
        live.get(i as usize).is_some_and(|(k, _)| k.as_str() == key)
    })
}

/// A table of the positions of `live`'s keys.
pub(crate) fn key_table(live: &[(Key, NodeId)]) -> KeyTable {
    let mut table = KeyTable::with_capacity(live.len());
    for (i, (k, _)) in live.iter().enumerate() {
        let Ok(i) = u32::try_from(i) else { break };
        table.insert(key_hash(k), i);
    }
    table
}

/// A key in the symbol table: stored inline up to 24 bytes (nearly every key), so
/// a large flow's tables hold no separate allocation per key, and a lookup
/// compares the key without following a pointer.
pub use crate::syntax::Key;

/// A node of the parse graph (a flowchart.js symbol record).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(NodeIndex);

impl NodeId {
    /// The position in creation (source) order.
    pub fn index(self) -> usize {
        self.0.index()
    }

    /// The node at a position in creation order.
    pub(crate) fn from_index(i: usize) -> NodeId {
        NodeId(NodeIndex::new(i))
    }
}

/// Where an edge's target came from: a resolved node, or a name that was undefined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A node.
    Node(NodeId),
    /// The name did not resolve (flowchart.js stores `undefined`).
    Undefined,
}

/// One stored branch of a node, resolved or not, in flowchart.js's property order.
#[derive(Clone, Copy, Debug)]
pub enum Branch<'g> {
    /// A branch to a node.
    Edge(&'g Edge, NodeId),
    /// A branch whose target name was undefined.
    Unresolved(&'g Unresolved),
}

impl<'g> Branch<'g> {
    /// The branch name.
    pub fn name(&self) -> &'g str {
        match self {
            Branch::Edge(e, _) => e.branch(),
            Branch::Unresolved(u) => &u.branch,
        }
    }

    /// The direction stored with it.
    pub fn direction(&self) -> Option<&'g str> {
        match self {
            Branch::Edge(e, _) => e.direction(),
            Branch::Unresolved(u) => u.direction.as_deref(),
        }
    }

    /// The target node, if it resolved.
    pub fn target(&self) -> Option<NodeId> {
        match self {
            Branch::Edge(_, t) => Some(*t),
            Branch::Unresolved(_) => None,
        }
    }

    /// The connection that set it.
    pub fn span(&self) -> Span {
        match self {
            Branch::Edge(e, _) => e.span,
            Branch::Unresolved(u) => u.span,
        }
    }

    fn order(&self) -> u32 {
        match self {
            Branch::Edge(e, _) => e.order,
            Branch::Unresolved(u) => u.order,
        }
    }
}

/// Everything flowchart.js's `parse()` stores, plus what flowrun noticed on the way.
#[derive(Clone, Debug, Default)]
pub struct ParseGraph {
    graph: DiGraph<Node, Edge>,
    /// Branches whose target was undefined, sorted by source node.
    unresolved: Vec<Unresolved>,
    /// `chart.start`: the first token of the first connection.
    start: Option<(NodeId, Span)>,
    /// The symbol table at the end: key → live node, in JS property order.
    live: Vec<(Key, NodeId)>,
    /// Each key's position in `live`.
    live_index: KeyTable,
    /// Per node: whether it is in the symbol table at the end.
    is_live: Vec<bool>,
    /// Things that happened while executing the statements.
    events: Vec<Event>,
    /// Statements that make flowchart.js's parse throw.
    errors: Vec<BuildError>,
}

/// Something the build noticed that is legal for flowchart.js but worth a warning.
#[derive(Clone, Debug)]
pub enum Event {
    /// A key was defined again; connections before this line keep the old node.
    Redefined {
        /// The old node.
        old: NodeId,
        /// The new node.
        new: NodeId,
    },
    /// A later connection replaced an earlier edge of the same (node, branch).
    Overwritten {
        /// The node.
        node: NodeId,
        /// The branch.
        branch: Key,
        /// The earlier connection.
        old: Span,
        /// The later one.
        new: Span,
    },
    /// An `@annotation` that flowchart.js drops (wrong node type or branch).
    DroppedAnnotation {
        /// The annotation.
        span: Span,
        /// Why it is dropped.
        reason: String,
    },
}

impl ParseGraph {
    /// `chart.start`, if any connection was seen.
    pub fn start(&self) -> Option<NodeId> {
        self.start.map(|(id, _)| id)
    }

    /// The token that made the start.
    pub fn start_span(&self) -> Option<Span> {
        self.start.map(|(_, s)| s)
    }

    /// A node.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.graph[id.0]
    }

    /// All nodes, in creation order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &Node)> + '_ {
        self.graph
            .node_indices()
            .map(move |i| (NodeId(i), &self.graph[i]))
    }

    /// Number of nodes (records), shadowed ones included.
    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    /// The live node for a key (the symbol table at the end).
    pub fn lookup(&self, key: &str) -> Option<NodeId> {
        let i = find_key(&self.live_index, &self.live, key)?;
        self.live.get(i as usize).map(|(_, id)| *id)
    }

    /// Live keys in JS property order.
    pub fn live(&self) -> &[(Key, NodeId)] {
        &self.live
    }

    /// Whether a node is still in the symbol table (not shadowed by a redefinition).
    pub fn is_live(&self, id: NodeId) -> bool {
        self.is_live.get(id.index()).copied().unwrap_or(false)
    }

    /// The unresolved branches of a node (contiguous: `unresolved` is sorted by source).
    fn unresolved_of(&self, id: NodeId) -> &[Unresolved] {
        if self.unresolved.is_empty() {
            return &[];
        }
        let from = self.unresolved.partition_point(|u| u.from < id);
        let to = from + self.unresolved[from..].partition_point(|u| u.from == id);
        &self.unresolved[from..to]
    }

    /// The stored branches of a node in flowchart.js's property order.
    pub fn branches(&self, id: NodeId) -> Vec<Branch<'_>> {
        let mut out: Vec<Branch<'_>> = self.branches_unordered(id).collect();
        // Insertion order, with array-index property names first (as JS lists them;
        // among themselves they stay in insertion order, as before).
        out.sort_unstable_by(|a, b| {
            let (ai, bi) = (
                crate::syntax::js::is_array_index(a.name()),
                crate::syntax::js::is_array_index(b.name()),
            );
            bi.cmp(&ai).then_with(|| a.order().cmp(&b.order()))
        });
        out
    }

    /// The stored branches of a node, in no particular order.
    pub(crate) fn branches_unordered(&self, id: NodeId) -> impl Iterator<Item = Branch<'_>> {
        self.graph
            .edges(id.0)
            .map(|e| Branch::Edge(e.weight(), NodeId(e.target())))
            .chain(self.unresolved_of(id).iter().map(Branch::Unresolved))
    }

    /// The targets of a node's stored branches, in no particular order.
    pub(crate) fn targets(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.graph.neighbors(id.0).map(NodeId)
    }

    /// The branch `name` of a node, if stored.
    pub fn branch(&self, id: NodeId, name: &str) -> Option<Branch<'_>> {
        // The walks ask for `yes`, `no`, `next`... of every node: compare the
        // edges' one-byte codes for those, not their names.
        let code = node::word_code(name);
        let named = |e: &Edge| {
            if code == node::OTHER {
                e.branch() == name
            } else {
                e.branch_code() == code
            }
        };
        if let Some(e) = self.graph.edges(id.0).find(|e| named(e.weight())) {
            return Some(Branch::Edge(e.weight(), NodeId(e.target())));
        }
        self.unresolved_of(id)
            .iter()
            .find(|u| u.branch == name)
            .map(Branch::Unresolved)
    }

    /// Every resolved edge: (source, edge, target).
    pub fn edges(&self) -> impl Iterator<Item = (NodeId, &Edge, NodeId)> + '_ {
        self.graph
            .edge_references()
            .map(|e| (NodeId(e.source()), e.weight(), NodeId(e.target())))
    }

    /// Every unresolved branch.
    pub fn unresolved(&self) -> &[Unresolved] {
        &self.unresolved
    }

    /// What the build noticed.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Statements that make flowchart.js's parse throw.
    pub fn errors(&self) -> &[BuildError] {
        &self.errors
    }
}

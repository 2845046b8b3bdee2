//! Executing statements in order, as flowchart.js's `parse()` does.

use petgraph::graph::{DiGraph, NodeIndex};

use crate::graph::node::{OTHER, word, word_code};
use crate::graph::{
    BuildError, Edge, Event, FxHashMap, Key, KeyTable, Node, NodeId, NodeKind, ParseGraph,
    Unresolved, find_key, key_hash, key_table,
};
use crate::source::Span;
use crate::syntax::ast::{Connection, LineStyle, Statement};
use crate::syntax::{Ast, js};

/// A node's slots while building.
#[derive(Clone, Copy)]
struct SlotList {
    /// Its newest slot, or [`NO_SLOT`].
    head: u32,
    /// How many slots it has.
    count: u32,
}

/// No slot: the end of a node's slot list.
const NO_SLOT: u32 = u32::MAX;

/// One (node, branch) property while building: the last assignment wins.
///
/// All slots live in one `Vec`; each node's slots form a list through `next`
/// (newest first), so a node costs no `Vec` of its own. A large flow has a
/// million slots, all written into fresh memory, which is slow to page in: so
/// a slot is 36 bytes, its branch a code, its target an index and its spans
/// `u32` offsets.
struct Slot {
    /// The node's previous slot, or [`NO_SLOT`].
    next: u32,
    order: u32,
    /// The target node's index, or [`NO_TARGET`] (the name is unresolved).
    target: u32,
    /// Its entry in `Builder::rare`, or [`NO_RARE`]: most slots have neither an
    /// unresolved name, nor a direction, nor an uncommon branch, nor spans
    /// past 4 GiB.
    rare: u32,
    /// The link in the connection and the target token.
    spans: Spans,
    /// The branch's [`word_code`]; an [`OTHER`] branch's name is in its [`Rare`] entry.
    branch: u8,
}

impl Slot {
    /// The link in the connection and the target token.
    fn spans(&self, rare: &[Rare]) -> (Span, Span) {
        match self.spans.unpack() {
            Some(spans) => spans,
            None => rare
                .get(self.rare as usize)
                .and_then(|r| r.spans)
                .unwrap_or_default(),
        }
    }
}

/// A slot's two spans as `u32` offsets, or [`Spans::FAR`] when one does not
/// fit (a text over 4 GiB): then they are in the slot's [`Rare`] entry.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Spans([u32; 4]);

impl Spans {
    const FAR: Spans = Spans([u32::MAX; 4]);

    fn pack(span: Span, target: Span) -> Option<Spans> {
        let offset = |at: usize| u32::try_from(at).ok().filter(|&at| at != u32::MAX);
        Some(Spans([
            offset(span.start)?,
            offset(span.end)?,
            offset(target.start)?,
            offset(target.end)?,
        ]))
    }

    fn unpack(self) -> Option<(Span, Span)> {
        let [a, b, c, d] = self.0.map(|at| at as usize);
        (self != Spans::FAR).then(|| (Span::new(a, b), Span::new(c, d)))
    }
}

/// No target: the slot's target name is not defined (yet).
const NO_TARGET: u32 = u32::MAX;

/// No entry in `Builder::rare`.
const NO_RARE: u32 = u32::MAX;

/// A slot's rare parts: its target name (kept only while it is unresolved),
/// its direction, its branch's name when that has no code, and its
/// spans when they do not fit in [`Spans`].
#[derive(Default)]
struct Rare {
    name: Key,
    direction: Option<Key>,
    branch: Key,
    spans: Option<(Span, Span)>,
}

/// A statement with the work that does not depend on the statements before it
/// already done: a definition's node is built and its key hashed. Large flows
/// are parsed on several threads (`syntax::each_statement_as`), and this work is
/// done there, so that the one thread that executes the statements in order has
/// less to do.
pub(crate) enum Prepared {
    /// A definition's node, with the hash of its key.
    Node {
        /// The node.
        node: Node,
        /// `key_hash(&node.key)`.
        hash: u64,
    },
    /// A connection.
    Connection(Connection),
    /// A line style or an ignored statement (rare: boxed, so that the common
    /// variants, moved once per statement, stay small).
    Other(Box<Statement>),
}

impl Prepared {
    /// Prepares a statement.
    pub(crate) fn of(stmt: Statement) -> Self {
        match stmt {
            Statement::Definition(d) => Prepared::Node {
                hash: key_hash(&d.key),
                node: Node::new(d),
            },
            Statement::Connection(c) => Prepared::Connection(c),
            other => Prepared::Other(Box::new(other)),
        }
    }
}

/// Executes statements one at a time, in source order, into a [`ParseGraph`].
///
/// [`build`] feeds it a whole [`Ast`]; `crate::analyze` feeds it each statement
/// as it is parsed, so that a large flow never exists twice (as statements and
/// as a graph).
pub(crate) struct Builder {
    /// The nodes are added as they are defined; the edges only in `finish`.
    graph: DiGraph<Node, Edge>,
    slots: Vec<Slot>,
    /// The slots' rare parts (an overwritten slot's old entry is left behind).
    rare: Vec<Rare>,
    /// Per node: its slot list (side by side: a large flow's assignment reads both at once).
    lists: Vec<SlotList>,
    /// The symbol table: each key with its live node, in the order keys were first defined.
    live: Vec<(Key, NodeId)>,
    /// Each key's position in `live`.
    live_index: KeyTable,
    /// Per node: where its key is in `live` (kept for the live node of each key).
    live_pos: Vec<u32>,
    /// Errors whose help may yet become "defined further down", once every
    /// definition is known: (index in `errors`, name).
    pending_hints: Vec<(usize, String)>,
    /// Room for one connection's looked-up tokens (kept to save an allocation each).
    token_ids: Vec<Option<NodeId>>,
    start: Option<(NodeId, Span)>,
    events: Vec<Event>,
    errors: Vec<BuildError>,
}

/// Every key defined in a flow, with its first definition (every definition is a node).
pub(crate) fn first_definitions(g: &ParseGraph) -> FxHashMap<&str, Span> {
    let mut keys = FxHashMap::default();
    for (_, node) in g.nodes() {
        keys.entry(node.key.as_str()).or_insert(node.key_span());
    }
    keys
}

/// Executes the statements of a flow, in order, into a [`ParseGraph`].
pub fn build(ast: &Ast) -> ParseGraph {
    let (mut definitions, mut links) = (0, 0);
    for stmt in &ast.statements {
        match stmt {
            Statement::Definition(_) => definitions += 1,
            Statement::Connection(c) => links += c.tokens.len().saturating_sub(1),
            _ => {}
        }
    }
    let mut b = Builder::with_capacity(definitions, links);
    for stmt in &ast.statements {
        b.statement(stmt.clone());
    }
    b.finish()
}

impl Builder {
    /// A builder with room for `definitions` nodes and `links` branches.
    pub(crate) fn with_capacity(definitions: usize, links: usize) -> Self {
        Builder {
            graph: DiGraph::with_capacity(definitions, links),
            slots: Vec::with_capacity(links),
            rare: Vec::new(),
            lists: Vec::with_capacity(definitions),
            live: Vec::with_capacity(definitions),
            live_index: KeyTable::with_capacity(definitions),
            live_pos: Vec::with_capacity(definitions),
            pending_hints: Vec::new(),
            token_ids: Vec::new(),
            start: None,
            events: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Executes the next statement.
    pub(crate) fn statement(&mut self, stmt: Statement) {
        match stmt {
            Statement::Definition(d) => self.define(key_hash(&d.key), Node::new(d)),
            Statement::Connection(mut c) => self.connect(&mut c),
            Statement::LineStyle(l) => self.style(&l),
            Statement::Ignored(_) => {}
        }
    }

    fn lookup(&self, key: &str) -> Option<NodeId> {
        let i = find_key(&self.live_index, &self.live, key)?;
        self.live.get(i as usize).map(|(_, id)| *id)
    }

    /// Executes the next statement, prepared (see [`Prepared`]).
    pub(crate) fn prepared(&mut self, p: Prepared) {
        match p {
            Prepared::Node { node, hash } => self.define(hash, node),
            Prepared::Connection(mut c) => self.connect(&mut c),
            Prepared::Other(s) => self.statement(*s),
        }
    }

    /// Defines `node`, whose key hashes to `hash`.
    fn define(&mut self, hash: u64, node: Node) {
        let id = NodeId(NodeIndex::new(self.graph.node_count()));
        let live = &self.live;
        let found = self.live_index.find(hash, |i| {
            live.get(i as usize).is_some_and(|(k, _)| *k == node.key)
        });
        if let Some(pos) = found {
            if let Some(slot) = self.live.get_mut(pos as usize) {
                let old = std::mem::replace(&mut slot.1, id);
                self.events.push(Event::Redefined { old, new: id });
            }
            self.live_pos.push(pos);
        } else {
            let pos = u32::try_from(self.live.len()).unwrap_or(u32::MAX);
            self.live_index.insert(hash, pos);
            self.live_pos.push(pos);
            self.live.push((node.key.clone(), id));
        }
        self.graph.add_node(node);
        self.lists.push(SlotList {
            head: NO_SLOT,
            count: 0,
        });
    }

    fn connect(&mut self, c: &mut Connection) {
        // Definitions never happen inside a connection, so every token is looked
        // up once, all before the first branch is stored: on a large flow each
        // lookup misses the cache, and back to back the misses can overlap.
        let mut ids = std::mem::take(&mut self.token_ids);
        ids.clear();
        ids.extend(c.tokens.iter().map(|t| self.lookup(&t.key)));
        self.connect_resolved(c, &ids);
        self.token_ids = ids;
    }

    /// [`Builder::connect`], with each token's node (`None`: undefined).
    fn connect_resolved(&mut self, c: &mut Connection, ids: &[Option<NodeId>]) {
        for i in 0..c.tokens.len() {
            // Each token's direction is stored once, with its own branch: move it.
            let direction = c.tokens[i].direction.take();
            let tok = &c.tokens[i];
            let real = ids.get(i).copied().flatten();
            let next_real = ids.get(i + 1).copied().flatten();
            if i == 0 {
                if let Some(ann) = &c.annotation {
                    match real {
                        None => {
                            self.error_at_name(&tok.key, tok.key_span, |name, span, help| {
                                BuildError::AnnotationOnUndefined { name, span, help }
                            });
                            return;
                        }
                        Some(id) => self.annotate(id, &tok.branch, ann),
                    }
                }
            }
            if self.start.is_none() {
                if let Some(id) = real {
                    self.start = Some((id, tok.key_span));
                }
            }
            let Some(next) = c.tokens.get(i + 1) else {
                break;
            };
            let Some(id) = real else {
                self.error_at_name(&tok.key, tok.key_span, |name, span, help| {
                    BuildError::UndefinedSource { name, span, help }
                });
                continue;
            };
            let target = next_real.map(|t| t.0);
            let span = tok.span.join(next.span);
            // Each token's branch is assigned once (after its annotation): move it.
            let branch = std::mem::take(&mut c.tokens[i].branch);
            let Some(next) = c.tokens.get(i + 1) else {
                break;
            };
            self.assign(id, branch, target, next, direction, span);
        }
    }

    fn assign(
        &mut self,
        id: NodeId,
        branch: Key,
        target: Option<NodeIndex>,
        next: &crate::syntax::Token,
        direction: Option<Key>,
        span: Span,
    ) {
        let code = word_code(&branch);
        let target = target.map_or(NO_TARGET, |t| u32::try_from(t.index()).unwrap_or(NO_TARGET));
        let name = if target == NO_TARGET {
            next.key.clone()
        } else {
            Key::default()
        };
        let spans = Spans::pack(span, next.key_span);
        let rare = (!name.is_empty() || direction.is_some() || code == OTHER || spans.is_none())
            .then(|| Rare {
                name,
                direction,
                branch: if code == OTHER {
                    branch.clone()
                } else {
                    Key::default()
                },
                spans: spans.is_none().then_some((span, next.key_span)),
            });
        let spans = spans.unwrap_or(Spans::FAR);
        let list = self.lists[id.index()];
        let mut at = list.head;
        while at != NO_SLOT {
            let slot = &mut self.slots[at as usize];
            let old = self.rare.get(slot.rare as usize);
            if slot.branch == code && (code != OTHER || old.is_some_and(|r| r.branch == branch)) {
                let (old_name, old_direction) = match old {
                    Some(r) => (r.name.as_str(), r.direction.as_deref()),
                    None => ("", None),
                };
                let (new_name, new_direction) = match &rare {
                    Some(r) => (r.name.as_str(), r.direction.as_deref()),
                    None => ("", None),
                };
                let same = slot.target == target
                    && (slot.target != NO_TARGET || old_name == new_name)
                    && old_direction == new_direction;
                if !same {
                    self.events.push(Event::Overwritten {
                        node: id,
                        branch,
                        old: slot.spans(&self.rare).0,
                        new: span,
                    });
                }
                slot.target = target;
                slot.rare = push_rare(&mut self.rare, rare);
                slot.spans = spans;
                return;
            }
            at = slot.next;
        }
        let Ok(index) = u32::try_from(self.slots.len()) else {
            return;
        };
        let rare = push_rare(&mut self.rare, rare);
        self.slots.push(Slot {
            next: list.head,
            order: list.count,
            target,
            rare,
            spans,
            branch: code,
        });
        self.lists[id.index()] = SlotList {
            head: index,
            count: list.count + 1,
        };
    }

    fn annotate(&mut self, id: NodeId, branch: &str, ann: &crate::syntax::Annotation) {
        let node = &mut self.graph[id.0];
        let slot = match node.kind {
            Some(NodeKind::Condition) => Some(if branch == "yes" || branch == "true" {
                "yes"
            } else {
                "no"
            }),
            Some(NodeKind::Parallel) => ["path1", "path2", "path3"]
                .into_iter()
                .find(|p| *p == branch),
            _ => None,
        };
        match slot {
            Some(s) => js::set_property(node.annotations_mut(), s, ann.text.clone()),
            None => self.events.push(Event::DroppedAnnotation {
                span: ann.span,
                reason: match node.kind {
                    Some(NodeKind::Parallel) => format!(
                        "a parallel's annotation needs a `path1`..`path3` branch with a direction, e.g. `{}({}@{}, bottom)`",
                        node.key,
                        if branch.starts_with("path") { branch } else { "path1" },
                        ann.text
                    ),
                    _ => format!(
                        "only conditions and parallels show annotations, and `{}` is {}",
                        node.key,
                        if node.type_name().is_empty() { "a node without a type".to_owned() } else { with_article(node.type_name()) }
                    ),
                },
            }),
        }
    }

    fn style(&mut self, l: &LineStyle) {
        for pair in l.refs.windows(2) {
            let [from, to] = pair else { continue };
            let Some(cur) = self.lookup(&from.key) else {
                self.error_at_name(&from.key, from.key_span, |name, span, help| {
                    BuildError::UndefinedStyleNode { name, span, help }
                });
                continue;
            };
            let Some(next) = self.lookup(&to.key) else {
                self.error_at_name(&to.key, to.key_span, |name, span, help| {
                    BuildError::UndefinedStyleNode { name, span, help }
                });
                continue;
            };
            match serde_json::from_str::<serde_json::Value>(&to.style) {
                Ok(value) => {
                    let key = self.graph[next.0].key.clone();
                    let styles = self.graph[cur.0].line_styles_mut();
                    js::set_property(styles, &key, value);
                    js::js_property_order(styles);
                }
                Err(e) => self.errors.push(BuildError::BadStyleJson {
                    message: e.to_string(),
                    span: to.style_span,
                }),
            }
        }
    }

    /// Records an error about `name`, undefined at this point, with its help.
    ///
    /// Whether the name is defined further down is only known at the end, so
    /// such a help is settled in `finish` (see [`hint`]).
    fn error_at_name(
        &mut self,
        name: &str,
        at: Span,
        error: impl FnOnce(String, Span, Option<String>) -> BuildError,
    ) {
        let help = if let Some(help) = early_hint(name) {
            Some(help)
        } else {
            self.pending_hints
                .push((self.errors.len(), name.to_owned()));
            late_hint(name, self.live.iter().map(|(k, _)| k.as_str()))
        };
        self.errors.push(error(name.to_owned(), at, help));
    }

    /// The parse graph of the statements executed so far.
    pub(crate) fn finish(mut self) -> ParseGraph {
        let mut graph = self.graph;
        let mut unresolved = Vec::new();
        let mut mine = Vec::new();
        // Node by node, each in the order its branches were first assigned, so
        // `unresolved` is sorted by source.
        for (i, list) in self.lists.iter().enumerate() {
            let from = NodeIndex::new(i);
            mine.clear();
            let mut at = list.head;
            while at != NO_SLOT {
                mine.push(at as usize);
                at = self.slots[at as usize].next;
            }
            for &at in mine.iter().rev() {
                let slot = &self.slots[at];
                let (span, target_span) = slot.spans(&self.rare);
                let rare = self
                    .rare
                    .get_mut(slot.rare as usize)
                    .map(std::mem::take)
                    .unwrap_or_default();
                let (name, direction) = (rare.name, rare.direction);
                if slot.target == NO_TARGET {
                    unresolved.push(Unresolved {
                        from: NodeId(from),
                        branch: word(slot.branch).map_or(rare.branch, Key::const_new),
                        name,
                        direction,
                        span,
                        target_span,
                        order: slot.order,
                    });
                } else {
                    graph.add_edge(
                        from,
                        NodeIndex::new(slot.target as usize),
                        // The slot keeps the branch's code, and its name only for `OTHER`.
                        Edge::coded(
                            slot.branch,
                            rare.branch,
                            direction,
                            span,
                            target_span,
                            slot.order,
                        ),
                    );
                }
            }
        }
        let mut is_live = vec![false; graph.node_count()];
        for (_, id) in &self.live {
            is_live[id.index()] = true;
        }
        let mut live = self.live;
        let mut live_index = self.live_index;
        if live.iter().any(|(k, _)| js::is_array_index(k)) {
            js::js_property_order(&mut live);
            live_index = key_table(&live);
        }
        let mut g = ParseGraph {
            graph,
            unresolved,
            start: self.start,
            live,
            live_index,
            is_live,
            events: self.events,
            errors: self.errors,
        };
        if !self.pending_hints.is_empty() {
            let first = first_definitions(&g);
            let below: Vec<(usize, String)> = self
                .pending_hints
                .into_iter()
                .filter_map(|(i, name)| {
                    let at = g.errors.get(i)?.span();
                    let def = first.get(name.as_str())?;
                    (def.start > at.start).then(|| (i, defined_below(&name)))
                })
                .collect();
            for (i, help) in below {
                if let Some(slot) = g.errors.get_mut(i).and_then(help_of) {
                    *slot = Some(help);
                }
            }
        }
        g
    }
}

/// Stores a slot's rare parts, if it has any: their index, or [`NO_RARE`].
fn push_rare(rare: &mut Vec<Rare>, parts: Option<Rare>) -> u32 {
    let Some(parts) = parts else {
        return NO_RARE;
    };
    let Ok(index) = u32::try_from(rare.len()) else {
        return NO_RARE;
    };
    rare.push(parts);
    index
}

/// "Did you mean" help for an undefined name.
///
/// `first_def` is where `name` is first defined in the flow, if anywhere.
#[allow(clippy::unnecessary_wraps)] // every caller stores an optional help
pub(crate) fn hint<'a>(
    name: &str,
    at: Span,
    first_def: Option<Span>,
    live: impl Iterator<Item = &'a str>,
) -> Option<String> {
    if let Some(help) = early_hint(name) {
        return Some(help);
    }
    if let Some(def) = first_def {
        if def.start > at.start {
            return Some(defined_below(name));
        }
    }
    late_hint(name, live)
}

/// The part of [`hint`] that comes before "defined further down".
fn early_hint(name: &str) -> Option<String> {
    let trimmed = js::trim(name);
    if trimmed != name && !trimmed.is_empty() {
        return Some(format!(
            "flowchart.js does not trim names: remove the spaces around `->` and write `{trimmed}`"
        ));
    }
    if name.is_empty() {
        return Some("a `->` needs a node name on both sides".to_owned());
    }
    None
}

/// [`hint`] for a name defined further down.
fn defined_below(name: &str) -> String {
    format!(
        "`{name}` is defined further down; flowchart.js only sees definitions above a connection, so move the definition up"
    )
}

/// The part of [`hint`] that comes after "defined further down".
#[allow(clippy::unnecessary_wraps)] // every caller stores an optional help
fn late_hint<'a>(name: &str, live: impl Iterator<Item = &'a str>) -> Option<String> {
    let best = live
        .filter(|k| !k.is_empty())
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        .filter(|(d, k)| {
            *d <= 2.max(k.chars().count() / 3) && *d < k.chars().count().max(name.chars().count())
        })
        .min();
    if let Some((_, k)) = best {
        return Some(format!("did you mean `{k}`?"));
    }
    if name.contains('\n') {
        return Some("flowchart.js has no comments: a line without `->`, `=>` or `@>` is glued to the statement above, here to this name".to_owned());
    }
    if name.contains("@>") || name.contains("=>") || name.contains('(') || name.contains(')') {
        return Some("this name holds an operator or a parenthesis, so it can never be defined: check the line's syntax".to_owned());
    }
    Some(format!(
        "define it above this line, e.g. `{name}=>operation: ...`"
    ))
}

/// The help of an error about an undefined name.
fn help_of(e: &mut BuildError) -> Option<&mut Option<String>> {
    match e {
        BuildError::UndefinedSource { help, .. }
        | BuildError::AnnotationOnUndefined { help, .. }
        | BuildError::UndefinedStyleNode { help, .. } => Some(help),
        BuildError::BadStyleJson { .. } => None,
    }
}

/// `an operation`, `a condition`.
pub(crate) fn with_article(word: &str) -> String {
    let vowel = word
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {word}", if vowel { "an" } else { "a" })
}

#[cfg(test)]
mod tests {
    use super::{NO_RARE, Rare, Slot, Spans, word_code};
    use crate::source::Span;

    #[test]
    fn a_slot_stays_small() {
        // A million slots are written into fresh memory on a large flow.
        assert!(std::mem::size_of::<Slot>() <= 36);
    }

    #[test]
    fn spans_past_4_gib_are_kept_whole() {
        let near = (Span::new(3, 9), Span::new(7, 9));
        assert!(Spans::pack(near.0, near.1).and_then(Spans::unpack) == Some(near));

        let far = (Span::new(1, 1 << 33), Span::new(1 << 32, 1 << 33));
        assert!(Spans::pack(far.0, far.1).is_none());
        let rare = vec![Rare {
            spans: Some(far),
            ..Rare::default()
        }];
        let slot = |rare| Slot {
            next: 0,
            order: 0,
            target: 0,
            rare,
            spans: Spans::FAR,
            branch: word_code("next"),
        };
        assert!(slot(0).spans(&rare) == far);
        assert!(slot(NO_RARE).spans(&rare) == (Span::default(), Span::default()));
    }
}

//! Executing statements in order, as flowchart.js's `parse()` does.

use petgraph::graph::{DiGraph, NodeIndex};

use crate::graph::{
    BuildError, Edge, Event, FxHashMap, Node, NodeId, NodeKind, ParseGraph, Unresolved,
};
use crate::source::Span;
use crate::syntax::ast::{Connection, Definition, LineStyle, Statement};
use crate::syntax::{Ast, js};

/// One (node, branch) property while building: the last assignment wins.
struct Slot {
    order: u32,
    target: Option<NodeIndex>,
    name: String,
    direction: Option<String>,
    span: Span,
    target_span: Span,
}

struct Builder<'a> {
    ast: &'a Ast,
    nodes: Vec<Node>,
    slots: Vec<Vec<(String, Slot)>>,
    live: Vec<(String, NodeId)>,
    live_index: FxHashMap<String, NodeId>,
    /// Per node: where its key is in `live` (kept for the live node of each key).
    live_pos: Vec<usize>,
    /// Every key defined anywhere, with its first definition: for "defined below"
    /// hints. Built on the first error only.
    all_keys: Option<FxHashMap<&'a str, Span>>,
    start: Option<(NodeId, Span)>,
    events: Vec<Event>,
    errors: Vec<BuildError>,
}

/// Every key defined in a flow, with its first definition.
pub(crate) fn first_definitions(ast: &Ast) -> FxHashMap<&str, Span> {
    let mut keys = FxHashMap::default();
    for stmt in &ast.statements {
        if let Statement::Definition(d) = stmt {
            keys.entry(d.key.as_str()).or_insert(d.key_span);
        }
    }
    keys
}

/// Executes the statements of a flow, in order, into a [`ParseGraph`].
pub fn build(ast: &Ast) -> ParseGraph {
    let definitions = ast
        .statements
        .iter()
        .filter(|s| matches!(s, Statement::Definition(_)))
        .count();
    let mut b = Builder {
        ast,
        nodes: Vec::with_capacity(definitions),
        slots: Vec::with_capacity(definitions),
        live: Vec::with_capacity(definitions),
        live_index: FxHashMap::with_capacity_and_hasher(definitions, rustc_hash::FxBuildHasher),
        live_pos: Vec::with_capacity(definitions),
        all_keys: None,
        start: None,
        events: Vec::new(),
        errors: Vec::new(),
    };
    for stmt in &ast.statements {
        match stmt {
            Statement::Definition(d) => b.define(d),
            Statement::Connection(c) => b.connect(c),
            Statement::LineStyle(l) => b.style(l),
            Statement::Ignored(_) => {}
        }
    }
    b.finish()
}

impl Builder<'_> {
    fn lookup(&self, key: &str) -> Option<NodeId> {
        self.live_index.get(key).copied()
    }

    fn define(&mut self, d: &Definition) {
        let id = NodeId(NodeIndex::new(self.nodes.len()));
        self.nodes.push(Node {
            key: d.key.clone(),
            kind: NodeKind::from_name(&d.kind),
            type_name: d.kind.clone(),
            text: d.text.clone(),
            flowstate: d.flowstate.clone(),
            link: d.link.clone(),
            target: d.target.clone(),
            callback: d.callback.clone(),
            params: d.params.clone(),
            line_styles: Vec::new(),
            annotations: Vec::new(),
            span: d.span,
            key_span: d.key_span,
            kind_span: d.kind_span,
            text_span: d.text_span,
        });
        self.slots.push(Vec::new());
        if let Some(live) = self.live_index.get_mut(d.key.as_str()) {
            let old = std::mem::replace(live, id);
            let pos = self.live_pos[old.index()];
            self.live[pos].1 = id;
            self.live_pos.push(pos);
            self.events.push(Event::Redefined { old, new: id });
        } else {
            self.live_index.insert(d.key.clone(), id);
            self.live_pos.push(self.live.len());
            self.live.push((d.key.clone(), id));
        }
    }

    fn connect(&mut self, c: &Connection) {
        // Definitions never happen inside a connection, so each token is looked up once.
        let mut next_real = c.tokens.first().and_then(|t| self.lookup(&t.key));
        for (i, tok) in c.tokens.iter().enumerate() {
            let real = next_real;
            next_real = c.tokens.get(i + 1).and_then(|t| self.lookup(&t.key));
            if i == 0 {
                if let Some(ann) = &c.annotation {
                    match real {
                        None => {
                            let help = self.hint(&tok.key, tok.key_span);
                            self.errors.push(BuildError::AnnotationOnUndefined {
                                name: tok.key.clone(),
                                span: tok.key_span,
                                help,
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
                let help = self.hint(&tok.key, tok.key_span);
                self.errors.push(BuildError::UndefinedSource {
                    name: tok.key.clone(),
                    span: tok.key_span,
                    help,
                });
                continue;
            };
            let target = next_real.map(|t| t.0);
            let span = tok.span.join(next.span);
            self.assign(id, &tok.branch, target, next, tok.direction.clone(), span);
        }
    }

    fn assign(
        &mut self,
        id: NodeId,
        branch: &str,
        target: Option<NodeIndex>,
        next: &crate::syntax::Token,
        direction: Option<String>,
        span: Span,
    ) {
        let slots = &mut self.slots[id.index()];
        let order = u32::try_from(slots.len()).unwrap_or(u32::MAX);
        let new = Slot {
            order,
            target,
            name: next.key.clone(),
            direction,
            span,
            target_span: next.key_span,
        };
        if let Some((_, slot)) = slots.iter_mut().find(|(b, _)| b == branch) {
            let same = slot.target == new.target
                && (slot.target.is_some() || slot.name == new.name)
                && slot.direction == new.direction;
            if !same {
                self.events.push(Event::Overwritten {
                    node: id,
                    branch: branch.to_owned(),
                    old: slot.span,
                    new: span,
                });
            }
            *slot = Slot {
                order: slot.order,
                ..new
            };
        } else {
            slots.push((branch.to_owned(), new));
        }
    }

    fn annotate(&mut self, id: NodeId, branch: &str, ann: &crate::syntax::Annotation) {
        let node = &mut self.nodes[id.index()];
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
            Some(s) => js::set_property(&mut node.annotations, s, ann.text.clone()),
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
                        if node.type_name.is_empty() { "a node without a type".to_owned() } else { with_article(&node.type_name) }
                    ),
                },
            }),
        }
    }

    fn style(&mut self, l: &LineStyle) {
        for pair in l.refs.windows(2) {
            let [from, to] = pair else { continue };
            let Some(cur) = self.lookup(&from.key) else {
                let help = self.hint(&from.key, from.key_span);
                self.errors.push(BuildError::UndefinedStyleNode {
                    name: from.key.clone(),
                    span: from.key_span,
                    help,
                });
                continue;
            };
            let Some(next) = self.lookup(&to.key) else {
                let help = self.hint(&to.key, to.key_span);
                self.errors.push(BuildError::UndefinedStyleNode {
                    name: to.key.clone(),
                    span: to.key_span,
                    help,
                });
                continue;
            };
            match serde_json::from_str::<serde_json::Value>(&to.style) {
                Ok(value) => {
                    let key = self.nodes[next.index()].key.clone();
                    let styles = &mut self.nodes[cur.index()].line_styles;
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

    /// Help for a name that is not defined at this point.
    fn hint(&mut self, name: &str, at: Span) -> Option<String> {
        let ast = self.ast;
        let first = self
            .all_keys
            .get_or_insert_with(|| first_definitions(ast))
            .get(name)
            .copied();
        hint(name, at, first, self.live.iter().map(|(k, _)| k.as_str()))
    }

    fn finish(self) -> ParseGraph {
        let mut graph =
            DiGraph::with_capacity(self.nodes.len(), self.nodes.len() + self.nodes.len() / 4);
        for node in self.nodes {
            graph.add_node(node);
        }
        let mut unresolved = Vec::new();
        // Node by node, so `unresolved` is sorted by source.
        for (i, slots) in self.slots.into_iter().enumerate() {
            let from = NodeIndex::new(i);
            for (branch, slot) in slots {
                if let Some(to) = slot.target {
                    graph.add_edge(
                        from,
                        to,
                        Edge {
                            branch,
                            direction: slot.direction,
                            span: slot.span,
                            target_span: slot.target_span,
                            order: slot.order,
                        },
                    );
                } else {
                    unresolved.push(Unresolved {
                        from: NodeId(from),
                        branch,
                        name: slot.name,
                        direction: slot.direction,
                        span: slot.span,
                        target_span: slot.target_span,
                        order: slot.order,
                    });
                }
            }
        }
        let mut is_live = vec![false; graph.node_count()];
        for (_, id) in &self.live {
            is_live[id.index()] = true;
        }
        let mut live = self.live;
        js::js_property_order(&mut live);
        ParseGraph {
            graph,
            unresolved,
            start: self.start,
            live,
            live_index: self.live_index,
            is_live,
            events: self.events,
            errors: self.errors,
        }
    }
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
    let trimmed = js::trim(name);
    if trimmed != name && !trimmed.is_empty() {
        return Some(format!(
            "flowchart.js does not trim names: remove the spaces around `->` and write `{trimmed}`"
        ));
    }
    if name.is_empty() {
        return Some("a `->` needs a node name on both sides".to_owned());
    }
    if let Some(def) = first_def {
        if def.start > at.start {
            return Some(format!(
                "`{name}` is defined further down; flowchart.js only sees definitions above a connection, so move the definition up"
            ));
        }
    }
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

/// `an operation`, `a condition`.
pub(crate) fn with_article(word: &str) -> String {
    let vowel = word
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {word}", if vowel { "an" } else { "a" })
}

//! The oracle's JSON shape (`shared/tools/fcjs-oracle`): `flowrun graph --format json`.
//!
//! Same fields, same order, same sorting as flowchart.js's own parse dumped
//! by the oracle, without its `oracle` and `flowchartjs_version` fields.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::graph::drawing::{Drawing, draw};
use crate::graph::{NodeId, ParseGraph};
use crate::syntax::js;

/// Whether to include the `render` section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Render {
    /// Replay flowchart.js's drawing too.
    Yes,
    /// Parse result only (the oracle's `--no-render`).
    No,
}

/// The oracle JSON for a parse graph. `error` is the diagnostic code of the
/// first error when flowchart.js's parse would throw.
pub fn to_json(g: &ParseGraph, error: Option<&str>, render: Render) -> Value {
    let mut out = Map::new();
    out.insert("ok".into(), Value::Bool(error.is_none()));
    out.insert(
        "error".into(),
        error.map_or(Value::Null, |e| Value::String(e.to_owned())),
    );
    if error.is_some() {
        out.insert("start".into(), Value::Null);
        out.insert("nodes".into(), json!([]));
        out.insert("edges".into(), json!([]));
        if render == Render::Yes {
            out.insert("render".into(), Value::Null);
        }
        return Value::Object(out);
    }
    let ids = ids(g);
    let id = |n: NodeId| ids.get(&n).cloned().unwrap_or_default();
    out.insert(
        "start".into(),
        g.start().map_or(Value::Null, |s| Value::String(id(s))),
    );

    let mut order: Vec<(&String, NodeId)> = ids.iter().map(|(n, i)| (i, *n)).collect();
    order.sort();
    let mut nodes = Vec::with_capacity(order.len());
    let mut edges = Vec::new();
    for &(nid, n) in &order {
        let node = g.node(n);
        let mut o = Map::new();
        o.insert("id".into(), Value::String(nid.clone()));
        o.insert("key".into(), Value::String(node.key.to_string()));
        o.insert("type".into(), Value::String(node.type_name().to_string()));
        o.insert("text".into(), opt(node.text.as_deref()));
        o.insert("flowstate".into(), opt(node.flowstate()));
        o.insert("link".into(), opt(node.link()));
        o.insert("target".into(), opt(node.target()));
        o.insert("function".into(), opt(node.callback()));
        o.insert(
            "params".into(),
            Value::Object(
                node.params()
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            ),
        );
        o.insert(
            "line_styles".into(),
            Value::Object(
                node.line_styles()
                    .iter()
                    .map(|(k, v)| (k.clone(), js_value(v)))
                    .collect(),
            ),
        );
        o.insert(
            "annotations".into(),
            Value::Object(
                node.annotations()
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            ),
        );
        if *nid != node.key {
            o.insert("shadowed".into(), Value::Bool(true));
        }
        nodes.push(Value::Object(o));
        for b in g.branches(n) {
            let to = b.target().map(id);
            let mut e = Map::new();
            e.insert("from".into(), Value::String(nid.clone()));
            e.insert("branch".into(), Value::String(b.name().to_owned()));
            e.insert("to".into(), to.clone().map_or(Value::Null, Value::String));
            e.insert("direction".into(), opt(b.direction()));
            e.insert("annotation".into(), opt(node.annotation(b.name())));
            if to.is_none() {
                e.insert("unresolved".into(), Value::Bool(true));
            }
            edges.push((
                nid.clone(),
                b.name().to_owned(),
                to.unwrap_or_default(),
                Value::Object(e),
            ));
        }
    }
    edges.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| branch_rank(&a.1).cmp(&branch_rank(&b.1)))
            .then_with(|| a.1.cmp(&b.1))
            .then_with(|| a.2.cmp(&b.2))
    });
    out.insert("nodes".into(), Value::Array(nodes));
    out.insert(
        "edges".into(),
        Value::Array(edges.into_iter().map(|e| e.3).collect()),
    );
    if render == Render::Yes {
        out.insert("render".into(), render_json(&draw(g)));
    }
    Value::Object(out)
}

fn opt(s: Option<&str>) -> Value {
    s.map_or(Value::Null, |s| Value::String(s.to_owned()))
}

/// The oracle's branch order: next, yes, no, path1..3, then others.
fn branch_rank(b: &str) -> u8 {
    match b {
        "next" => 0,
        "yes" => 1,
        "no" => 2,
        "path1" => 3,
        "path2" => 4,
        "path3" => 5,
        _ => 99,
    }
}

/// Ids as the oracle gives them: the key for live nodes, `KEY~shadowedN` for
/// stale ones still referenced, numbered in the oracle's walk order.
fn ids(g: &ParseGraph) -> HashMap<NodeId, String> {
    let mut seen: std::collections::HashSet<NodeId> =
        std::collections::HashSet::with_capacity(g.node_count());
    let mut visit_order = Vec::with_capacity(g.node_count());
    let roots = g.live().iter().map(|(_, n)| *n).chain(g.start());
    let mut stack = Vec::new();
    for root in roots {
        stack.push(root);
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            visit_order.push(n);
            let kids: Vec<NodeId> = g
                .branches(n)
                .iter()
                .filter_map(crate::graph::Branch::target)
                .collect();
            stack.extend(kids.into_iter().rev());
        }
    }
    let mut count: HashMap<&str, usize> = HashMap::new();
    let mut ids = HashMap::with_capacity(visit_order.len());
    for n in visit_order {
        let key = g.node(n).key.as_str();
        if g.is_live(n) {
            ids.insert(n, key.to_owned());
        } else {
            let c = count.entry(key).or_insert(0);
            *c += 1;
            ids.insert(n, format!("{key}~shadowed{c}"));
        }
    }
    ids
}

/// A JSON value as JavaScript would print it: integral numbers without `.0`,
/// array-index keys first.
fn js_value(v: &Value) -> Value {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e21 => {
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                if f.abs() < 9.0e15 {
                    json!(i)
                } else {
                    v.clone()
                }
            }
            _ => v.clone(),
        },
        Value::Array(a) => Value::Array(a.iter().map(js_value).collect()),
        Value::Object(o) => {
            let mut props: Vec<(String, Value)> =
                o.iter().map(|(k, v)| (k.clone(), js_value(v))).collect();
            js::js_property_order(&mut props);
            Value::Object(props.into_iter().collect())
        }
        _ => v.clone(),
    }
}

fn render_json(d: &Drawing) -> Value {
    let ids: Vec<String> = {
        let mut count: HashMap<&str, usize> = HashMap::new();
        d.nodes
            .iter()
            .map(|n| match &n.key {
                None => "<non-symbol:object>".to_owned(),
                Some(k) => {
                    let c = count.entry(k.as_str()).or_insert(0);
                    *c += 1;
                    if *c == 1 {
                        k.clone()
                    } else {
                        format!("{k}~{c}")
                    }
                }
            })
            .collect()
    };
    let mut nodes: Vec<(String, Value)> = d
        .nodes
        .iter()
        .zip(&ids)
        .map(|(n, id)| {
            let mut o = Map::new();
            o.insert("id".into(), Value::String(id.clone()));
            o.insert("key".into(), opt(n.key.as_deref()));
            o.insert("type".into(), opt(n.type_name.as_deref()));
            o.insert("text".into(), opt(n.text.as_deref()));
            o.insert("flowstate".into(), opt(n.flowstate.as_deref()));
            (id.clone(), Value::Object(o))
        })
        .collect();
    nodes.sort_by(|a, b| a.0.cmp(&b.0));
    let mut edges: Vec<(String, &str, String, Value)> = d
        .edges
        .iter()
        .map(|e| {
            let mut o = Map::new();
            o.insert("from".into(), Value::String(ids[e.from].clone()));
            o.insert("branch".into(), Value::String(e.branch.to_owned()));
            o.insert("to".into(), Value::String(ids[e.to].clone()));
            o.insert("direction".into(), opt(e.direction.as_deref()));
            o.insert("label".into(), opt(e.label.as_deref()));
            (
                ids[e.from].clone(),
                e.branch,
                ids[e.to].clone(),
                Value::Object(o),
            )
        })
        .collect();
    edges.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| branch_rank(a.1).cmp(&branch_rank(b.1)))
            .then_with(|| a.1.cmp(b.1))
            .then_with(|| a.2.cmp(&b.2))
    });
    let mut out = Map::new();
    out.insert("ok".into(), Value::Bool(d.error.is_none()));
    out.insert(
        "error".into(),
        d.error.as_ref().map_or(
            Value::Null,
            |e| json!({"name": e.name, "message": e.message}),
        ),
    );
    out.insert(
        "start".into(),
        d.start
            .map_or(Value::Null, |s| Value::String(ids[s].clone())),
    );
    out.insert(
        "nodes".into(),
        Value::Array(nodes.into_iter().map(|n| n.1).collect()),
    );
    out.insert(
        "edges".into(),
        Value::Array(edges.into_iter().map(|e| e.3).collect()),
    );
    Value::Object(out)
}

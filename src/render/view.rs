//! What a picture of a flow shows: the flow flowrun executes, in source order.
//!
//! Every renderer draws this view, so DOT, Mermaid and SVG always agree on
//! which nodes and edges exist, their labels and their styles.

use std::collections::HashMap;

use crate::graph::{Flow, NodeId, NodeKind, ParseGraph};

/// Options shared by every format.
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions {
    /// Also draw nodes that cannot be reached from the start, visibly marked.
    pub all: bool,
}

/// A node to draw.
#[derive(Clone, Debug)]
pub struct ViewNode {
    /// The parse-graph node.
    pub id: NodeId,
    /// The key as written.
    pub key: String,
    /// A unique name for this node in the picture (the key, `key~2` for a redefinition).
    pub name: String,
    /// The shape.
    pub kind: NodeKind,
    /// The label: the text, or flowchart.js's default (`Start`, `End`, else the key).
    pub label: String,
    /// The flowstate, if written.
    pub flowstate: Option<String>,
    /// `:>` link and its target.
    pub link: Option<(String, Option<String>)>,
    /// The start node.
    pub is_start: bool,
    /// Reachable from the start.
    pub reachable: bool,
}

/// An edge to draw.
#[derive(Clone, Debug)]
pub struct ViewEdge {
    /// Index of the source in [`View::nodes`].
    pub from: usize,
    /// Index of the target in [`View::nodes`].
    pub to: usize,
    /// `next`, `yes`, `no`, `path1`..`path3`.
    pub branch: &'static str,
    /// The label (`yes`/`no`, an annotation), if any.
    pub label: Option<String>,
    /// The label is the text flowchart.js's example gives a branch of an
    /// `approved`/`rejected` condition (`APPROVED`, `REJECTED`, `n/a`), in place of the branch name.
    pub flowstate_label: bool,
    /// `left`, `right`, `top`, `bottom`, if given or defaulted.
    pub direction: Option<String>,
    /// The `@>` line style for this edge, if any.
    pub style: Option<LineStyle>,
    /// Whether the edge leaves an unreachable node.
    pub reachable: bool,
}

/// The parts of an `@>` style that other formats can show.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LineStyle {
    /// `stroke`.
    pub color: Option<String>,
    /// `stroke-width`.
    pub width: Option<f64>,
    /// `stroke-dasharray` was set.
    pub dashed: bool,
}

/// The inferred join of a parallel (see [`crate::graph::join`]), drawn as a
/// dashed line without an arrowhead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewJoin {
    /// Index of the parallel in [`View::nodes`].
    pub parallel: usize,
    /// Index of its join in [`View::nodes`].
    pub join: usize,
}

/// Nodes and edges to draw.
#[derive(Clone, Debug)]
pub struct View {
    /// Nodes in source order.
    pub nodes: Vec<ViewNode>,
    /// Edges in source order of their source node, then branch order.
    pub edges: Vec<ViewEdge>,
    /// The joins of the structured parallels with two or more paths, in source order.
    pub joins: Vec<ViewJoin>,
}

/// Builds the view of a flow.
pub fn view(g: &ParseGraph, opts: RenderOptions) -> View {
    let flow = Flow::new(g);
    let mut nodes = Vec::new();
    let mut index: Vec<Option<usize>> = vec![None; g.node_count()];
    // Only redefined keys can appear twice; number their nodes in source order.
    let mut redefined: HashMap<&str, usize> = g
        .events()
        .iter()
        .filter_map(|e| match e {
            crate::graph::Event::Redefined { new, .. } => Some((g.node(*new).key.as_str(), 0)),
            _ => None,
        })
        .collect();
    for (id, node) in g.nodes() {
        let reachable = flow.is_reachable(id);
        if !reachable && (!opts.all || !g.is_live(id)) {
            continue;
        }
        let Some(kind) = node.kind else { continue };
        let name = match redefined.get_mut(node.key.as_str()) {
            Some(count) => {
                *count += 1;
                if *count == 1 {
                    node.key.to_string()
                } else {
                    format!("{}~{count}", node.key)
                }
            }
            None => node.key.to_string(),
        };
        let label = match (&node.text, kind) {
            (Some(t), _) if !t.is_empty() => t.clone(),
            (_, NodeKind::Start) => "Start".to_owned(),
            (_, NodeKind::End) => "End".to_owned(),
            _ => node.key.to_string(),
        };
        index[id.index()] = Some(nodes.len());
        nodes.push(ViewNode {
            id,
            key: node.key.to_string(),
            name,
            kind,
            label,
            flowstate: node
                .flowstate()
                .filter(|f| !f.is_empty())
                .map(str::to_owned),
            link: node.link().filter(|l| !l.is_empty()).map(|l| {
                (
                    l.to_owned(),
                    node.target().filter(|t| !t.is_empty()).map(str::to_owned),
                )
            }),
            is_start: g.start() == Some(id),
            reachable,
        });
    }
    let mut edges = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let node = g.node(n.id);
        for e in flow.successors(n.id) {
            let Some(to) = e.target.and_then(|t| index[t.index()]) else {
                continue;
            };
            let target_key = &g.node(nodes[to].id).key;
            let style = node
                .line_styles()
                .iter()
                .find(|(k, _)| k == target_key)
                .map(|(_, v)| line_style(v));
            let mut flowstate_label = true;
            let label = match (node.kind, n.flowstate.as_deref(), e.branch) {
                // flowchart.js's example page styles these flowstates with their own branch texts.
                (Some(NodeKind::Condition), Some("approved"), b)
                    if node.annotation(b).is_none() =>
                {
                    Some(if b == "yes" { "APPROVED" } else { "n/a" }.to_owned())
                }
                (Some(NodeKind::Condition), Some("rejected"), b)
                    if node.annotation(b).is_none() =>
                {
                    Some(if b == "yes" { "n/a" } else { "REJECTED" }.to_owned())
                }
                _ => {
                    flowstate_label = false;
                    e.label.clone().filter(|l| !l.is_empty())
                }
            };
            edges.push(ViewEdge {
                from: i,
                to,
                branch: e.branch,
                label,
                flowstate_label,
                direction: e.direction.clone(),
                style,
                reachable: n.reachable,
            });
        }
    }
    let joins = crate::graph::parallel_shapes(&flow)
        .into_iter()
        .filter(|s| s.paths.len() >= 2 && s.is_structured())
        .filter_map(|s| {
            Some(ViewJoin {
                parallel: index[s.parallel.index()]?,
                join: index[s.join?.index()]?,
            })
        })
        .collect();
    View {
        nodes,
        edges,
        joins,
    }
}

fn line_style(v: &serde_json::Value) -> LineStyle {
    let get = |k: &str| v.get(k);
    LineStyle {
        color: get("stroke").and_then(|c| c.as_str()).map(str::to_owned),
        width: get("stroke-width").and_then(|w| {
            w.as_f64().or_else(|| {
                w.as_str()
                    .and_then(|s| s.trim_end_matches("px").parse().ok())
            })
        }),
        dashed: get("stroke-dasharray").is_some(),
    }
}

/// flowchart.js's flowstate colours (as its example page configures them):
/// `(fill, font colour, bold)`.
pub fn flowstate_colors(state: &str) -> Option<(&'static str, Option<&'static str>, bool)> {
    Some(match state {
        "past" => ("#CCCCCC", None, false),
        "current" => ("yellow", Some("red"), true),
        "future" => ("#FFFF99", None, false),
        "request" => ("blue", Some("white"), false),
        "invalid" => ("#444444", Some("white"), false),
        "approved" => ("#58C4A3", None, false),
        "rejected" => ("#C45879", None, false),
        _ => return None,
    })
}

/// A CSS/SVG colour as Graphviz and Mermaid accept it, or `None` when unknown.
pub(crate) fn safe_color(c: &str) -> Option<String> {
    const NAMES: &[&str] = &[
        "black",
        "white",
        "red",
        "green",
        "blue",
        "yellow",
        "orange",
        "purple",
        "gray",
        "grey",
        "brown",
        "pink",
        "cyan",
        "magenta",
        "navy",
        "teal",
        "olive",
        "maroon",
        "lime",
        "gold",
        "silver",
        "violet",
        "indigo",
        "crimson",
        "coral",
        "salmon",
        "orchid",
        "tomato",
        "turquoise",
        "darkgreen",
        "darkblue",
        "darkred",
        "lightgray",
        "lightgrey",
        "darkgray",
        "darkgrey",
        "lightblue",
        "lightgreen",
        "skyblue",
        "steelblue",
        "forestgreen",
        "firebrick",
        "chocolate",
        "tan",
        "khaki",
        "beige",
        "ivory",
        "plum",
        "aquamarine",
        "seagreen",
        "royalblue",
    ];
    let c = c.trim();
    if let Some(hex) = c.strip_prefix('#') {
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        return match hex.len() {
            3 => Some(format!(
                "#{}",
                hex.chars().flat_map(|ch| [ch, ch]).collect::<String>()
            )),
            6 | 8 => Some(format!("#{hex}")),
            _ => None,
        };
    }
    let lower = c.to_ascii_lowercase();
    NAMES.contains(&lower.as_str()).then_some(lower)
}

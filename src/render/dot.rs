//! Graphviz DOT.
//!
//! Shapes follow flowchart.js's drawing: start/end rounded, operation box,
//! condition diamond, input/output parallelogram, subroutine with double side
//! bars, parallel with cut corners. Output is deterministic (source order).

use std::fmt::Write as _;

use crate::graph::NodeKind;
use crate::render::view::{View, ViewNode, flowstate_colors, safe_color};

/// Writes a view as a DOT digraph.
pub fn to_dot(view: &View, title: &str) -> String {
    let mut out = String::with_capacity(64 + view.nodes.len() * 96 + view.edges.len() * 48);
    let _ = writeln!(out, "digraph {} {{", quote(title));
    out.push_str("  graph [rankdir=TB, fontname=\"Helvetica\"];\n");
    out.push_str("  node [fontname=\"Helvetica\", fontsize=14, style=filled, fillcolor=white, color=black];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=12, arrowhead=normal];\n");
    for n in &view.nodes {
        write_node(&mut out, n);
    }
    for e in &view.edges {
        let from = &view.nodes[e.from];
        let to = &view.nodes[e.to];
        let _ = write!(out, "  {} -> {}", quote(&from.name), quote(&to.name));
        let mut attrs: Vec<String> = Vec::new();
        if let Some(l) = &e.label {
            attrs.push(format!("label={}", quote(l)));
        }
        if let Some(port) = e.direction.as_deref().and_then(port) {
            attrs.push(format!("tailport={port}"));
        }
        let mut styles = Vec::new();
        if let Some(s) = &e.style {
            if let Some(c) = s.color.as_deref().and_then(safe_color) {
                attrs.push(format!("color={}", quote(&c)));
            }
            if let Some(w) = s.width.filter(|w| w.is_finite() && *w > 0.0) {
                attrs.push(format!("penwidth={}", fmt_num(w)));
            }
            if s.dashed {
                styles.push("dashed");
            }
        }
        if !e.reachable {
            styles.push("dashed");
            attrs.push("color=gray50".to_owned());
        }
        if !styles.is_empty() {
            styles.dedup();
            attrs.push(format!("style={}", quote(&styles.join(","))));
        }
        if !attrs.is_empty() {
            let _ = write!(out, " [{}]", attrs.join(", "));
        }
        out.push_str(";\n");
    }
    out.push_str("}\n");
    out
}

fn write_node(out: &mut String, n: &ViewNode) {
    let mut attrs: Vec<String> = Vec::new();
    let mut styles: Vec<&str> = vec!["filled"];
    let colors = n.flowstate.as_deref().and_then(flowstate_colors);
    let fill = colors.map_or("white", |c| c.0);
    match n.kind {
        NodeKind::Start | NodeKind::End => {
            attrs.push("shape=box".to_owned());
            styles.push("rounded");
        }
        NodeKind::Operation => attrs.push("shape=box".to_owned()),
        NodeKind::Condition => attrs.push("shape=diamond".to_owned()),
        NodeKind::InputOutput | NodeKind::Input | NodeKind::Output => {
            attrs.push("shape=parallelogram".to_owned());
        }
        NodeKind::Parallel => {
            attrs.push("shape=box".to_owned());
            styles.push("diagonals");
        }
        NodeKind::Subroutine => {
            // A table with empty side cells draws the double side bars.
            attrs.push("shape=plain".to_owned());
            let label = html_escape(&n.label).replace('\n', "<BR/>");
            attrs.push(format!(
                "label=<<TABLE BORDER=\"1\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"6\" BGCOLOR=\"{}\"><TR><TD WIDTH=\"6\"></TD><TD>{label}</TD><TD WIDTH=\"6\"></TD></TR></TABLE>>",
                html_escape(fill)
            ));
        }
    }
    if n.kind != NodeKind::Subroutine {
        attrs.push(format!("label={}", quote(&n.label)));
        attrs.push(format!("fillcolor={}", quote(fill)));
    }
    if let Some((_, font, bold)) = colors {
        if let Some(f) = font {
            attrs.push(format!("fontcolor={}", quote(f)));
        }
        if bold {
            attrs.push("fontname=\"Helvetica-Bold\"".to_owned());
        }
    }
    if n.is_start {
        attrs.push("penwidth=2".to_owned());
    }
    if !n.reachable {
        styles.push("dashed");
        attrs.push("color=gray50".to_owned());
        attrs.push("fontcolor=gray50".to_owned());
        attrs.push("xlabel=\"unreachable\"".to_owned());
    }
    if let Some((url, target)) = &n.link {
        attrs.push(format!("URL={}", quote(url)));
        if let Some(t) = target {
            attrs.push(format!("target={}", quote(t)));
        }
    }
    if n.kind != NodeKind::Subroutine {
        attrs.push(format!("style={}", quote(&styles.join(","))));
    } else if styles.len() > 1 {
        attrs.push(format!("style={}", quote(&styles[1..].join(","))));
    }
    let _ = writeln!(out, "  {} [{}];", quote(&n.name), attrs.join(", "));
}

/// flowchart.js directions as DOT compass points.
fn port(direction: &str) -> Option<&'static str> {
    Some(match direction {
        "right" => "e",
        "left" => "w",
        "top" => "n",
        "bottom" => "s",
        _ => return None,
    })
}

/// A DOT double-quoted string. Backslashes are doubled so that `\l`, `\N` and
/// friends stay literal; line breaks become centred `\n` breaks.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => {}
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn fmt_num(w: f64) -> String {
    if w.fract() == 0.0 && w.abs() < 1e9 {
        format!("{w:.0}")
    } else {
        format!("{w:.2}")
    }
}

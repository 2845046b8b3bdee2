//! Graphviz DOT.
//!
//! Shapes follow flowchart.js's drawing: start/end rounded, operation box,
//! condition diamond, input/output parallelogram, subroutine with double side
//! bars, parallel with cut corners. Output is deterministic (source order).

use std::fmt::Write as _;

use crate::graph::NodeKind;
use crate::render::overlay::{NodeMark, Overlay, Progress, marks, run_label};
use crate::render::view::{View, ViewNode, flowstate_colors, safe_color};

/// Writes a view as a DOT digraph.
pub fn to_dot(view: &View, title: &str) -> String {
    to_dot_with(view, title, None)
}

/// Writes a view as a DOT digraph, with a run drawn on it when given.
///
/// On a run, visited nodes are grey (flowchart.js's `past`), the current one
/// yellow with a bold red label (`current`), a failed one red (`rejected`),
/// the rest white and dimmed (`future`); a node visited more than once shows
/// `×N` beside it. Taken edges are bold, the others thin and grey. A graph
/// label names the run, its status and the colours. Any flowstate written in
/// the flow gives way to the run's.
pub fn to_dot_with(view: &View, title: &str, overlay: Option<&Overlay>) -> String {
    let marked = overlay.map(|o| marks(view, o));
    let mut out = String::with_capacity(256 + view.nodes.len() * 120 + view.edges.len() * 48);
    out.push_str("digraph ");
    push_quoted(&mut out, title);
    out.push_str(" {\n");
    out.push_str("  graph [rankdir=TB, fontname=\"Helvetica\"];\n");
    if let Some(o) = overlay {
        out.push_str("  graph [labelloc=t, fontsize=12, label=");
        push_quoted(
            &mut out,
            &format!(
                "{}\nvisited: grey, now: yellow, failed: red, taken edges: bold",
                one_line(&o.title())
            ),
        );
        out.push_str("];\n");
    }
    out.push_str("  node [fontname=\"Helvetica\", fontsize=14, style=filled, fillcolor=white, color=black];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=12, arrowhead=normal];\n");
    for (i, n) in view.nodes.iter().enumerate() {
        write_node(&mut out, n, marked.as_ref().map(|m| m.nodes[i]));
    }
    for (i, e) in view.edges.iter().enumerate() {
        let taken = marked.as_ref().map(|m| m.taken[i]);
        out.push_str("  ");
        push_quoted(&mut out, &view.nodes[e.from].name);
        out.push_str(" -> ");
        push_quoted(&mut out, &view.nodes[e.to].name);
        let mut attrs = Attrs::new(&mut out);
        let label = if taken.is_some() {
            run_label(e)
        } else {
            e.label.as_deref()
        };
        if let Some(l) = label {
            attrs.quoted("label", l);
        }
        if let Some(port) = e.direction.as_deref().and_then(port) {
            attrs.raw("tailport", port);
        }
        let mut dashed = !e.reachable;
        if let Some(s) = &e.style {
            if taken.is_none() {
                if let Some(c) = s.color.as_deref().and_then(safe_color) {
                    attrs.quoted("color", &c);
                }
                if let Some(w) = s.width.filter(|w| w.is_finite() && *w > 0.0) {
                    attrs.raw("penwidth", &fmt_num(w));
                }
            }
            dashed |= s.dashed;
        }
        match taken {
            Some(true) => {
                attrs.raw("color", "black");
                attrs.raw("penwidth", "3");
            }
            Some(false) if e.reachable => {
                attrs.raw("color", "gray70");
                attrs.raw("fontcolor", "gray50");
            }
            _ => {}
        }
        if !e.reachable {
            attrs.raw("color", "gray50");
        }
        if dashed {
            attrs.raw("style", "dashed");
        }
        attrs.finish();
        out.push_str(";\n");
    }
    // Inferred joins: a grey dashed line that does not move the layout.
    for j in &view.joins {
        out.push_str("  ");
        push_quoted(&mut out, &view.nodes[j.parallel].name);
        out.push_str(" -> ");
        push_quoted(&mut out, &view.nodes[j.join].name);
        out.push_str(
            " [label=\"join\", style=dashed, color=gray60, fontcolor=gray50, arrowhead=none, constraint=false];\n",
        );
    }
    out.push_str("}\n");
    out
}

/// `[a=b, c="d"]` written straight into the output; nothing when empty.
struct Attrs<'a> {
    out: &'a mut String,
    any: bool,
}

impl<'a> Attrs<'a> {
    fn new(out: &'a mut String) -> Self {
        Attrs { out, any: false }
    }

    fn sep(&mut self, name: &str) {
        self.out.push_str(if self.any { ", " } else { " [" });
        self.any = true;
        self.out.push_str(name);
        self.out.push('=');
    }

    fn raw(&mut self, name: &str, value: &str) {
        self.sep(name);
        self.out.push_str(value);
    }

    fn quoted(&mut self, name: &str, value: &str) {
        self.sep(name);
        push_quoted(self.out, value);
    }

    fn finish(self) {
        if self.any {
            self.out.push(']');
        }
    }
}

fn write_node(out: &mut String, n: &ViewNode, mark: Option<NodeMark>) {
    // On a run, the run's state replaces the flowstate written in the flow.
    let (colors, dim) = match mark.map(|m| m.state) {
        None => (n.flowstate.as_deref().and_then(flowstate_colors), false),
        Some(Progress::Future) => (None, n.reachable),
        Some(state) => (flowstate_colors(state.flowstate()), false),
    };
    let fill = colors.map_or("white", |c| c.0);
    out.push_str("  ");
    push_quoted(out, &n.name);
    let mut styles: Vec<&str> = Vec::with_capacity(3);
    let mut a = Attrs::new(out);
    match n.kind {
        NodeKind::Start | NodeKind::End => {
            a.raw("shape", "box");
            styles.push("rounded");
        }
        NodeKind::Operation => a.raw("shape", "box"),
        NodeKind::Condition => a.raw("shape", "diamond"),
        NodeKind::InputOutput | NodeKind::Input | NodeKind::Output => {
            a.raw("shape", "parallelogram");
        }
        NodeKind::Parallel => {
            a.raw("shape", "box");
            styles.push("diagonals");
        }
        NodeKind::Subroutine => {
            // A table with empty side cells draws the double side bars.
            a.raw("shape", "plain");
            a.sep("label");
            let _ = write!(
                a.out,
                "<<TABLE BORDER=\"1\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"6\" BGCOLOR=\"{}\"><TR><TD WIDTH=\"6\"></TD><TD>",
                html_escape(fill)
            );
            a.out
                .push_str(&html_escape(&n.label).replace('\n', "<BR/>"));
            a.out.push_str("</TD><TD WIDTH=\"6\"></TD></TR></TABLE>>");
        }
    }
    if n.kind != NodeKind::Subroutine {
        a.quoted("label", &n.label);
        a.quoted("fillcolor", fill);
        styles.insert(0, "filled");
    }
    if let Some((_, font, bold)) = colors {
        if let Some(f) = font {
            a.quoted("fontcolor", f);
        }
        if bold {
            a.raw("fontname", "\"Helvetica-Bold\"");
        }
    }
    if dim {
        a.raw("color", "gray60");
        a.raw("fontcolor", "gray45");
    }
    if let Some(m) = mark.filter(|m| m.visits > 1 && n.reachable) {
        a.quoted("xlabel", &format!("×{}", m.visits));
    }
    if n.is_start {
        a.raw("penwidth", "2");
    }
    if !n.reachable {
        styles.push("dashed");
        a.raw("color", "gray50");
        a.raw("fontcolor", "gray50");
        a.raw("xlabel", "\"unreachable\"");
    }
    if let Some((url, target)) = &n.link {
        a.quoted("URL", url);
        if let Some(t) = target {
            a.quoted("target", t);
        }
    }
    if !styles.is_empty() {
        a.quoted("style", &styles.join(","));
    }
    a.finish();
    out.push_str(";\n");
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
fn push_quoted(out: &mut String, s: &str) {
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
}

/// Text on one line: line breaks and other control characters become spaces.
pub(crate) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
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

//! Mermaid `flowchart TD` text (renders natively on GitHub and GitLab).
//!
//! Ids are generated (`n_<key>`), so keys like `end` that Mermaid reserves
//! are safe; labels are quoted and escaped with Mermaid's entity codes. A
//! parallel's inferred join is a dotted line without an arrowhead, `join`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::graph::NodeKind;
use crate::render::dot::one_line;
use crate::render::overlay::{Overlay, Progress, marks, run_label};
use crate::render::view::{View, flowstate_colors, safe_color};

/// Writes a view as Mermaid flowchart text.
pub fn to_mermaid(view: &View) -> String {
    to_mermaid_with(view, None)
}

/// Writes a view as Mermaid flowchart text, with a run drawn on it when given.
///
/// On a run, the title names the run and its status; nodes get the classes
/// `past`, `current`, `future` and `rejected` (flowchart.js's flowstates, in
/// its colours, `future` dimmed), replacing any flowstate written in the flow;
/// a node visited more than once shows `×N` under its label; taken edges are
/// bold and black, the others grey (`linkStyle`).
pub fn to_mermaid_with(view: &View, overlay: Option<&Overlay>) -> String {
    let marked = overlay.map(|o| marks(view, o));
    let mut out = String::with_capacity(32 + view.nodes.len() * 64 + view.edges.len() * 32);
    if let Some(o) = overlay {
        out.push_str("---\ntitle: \"");
        for c in one_line(&o.title()).chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c => out.push(c),
            }
        }
        out.push_str("\"\n---\n");
    }
    out.push_str("flowchart TD\n");
    let ids = ids(view);
    for (i, (n, id)) in view.nodes.iter().zip(&ids).enumerate() {
        let (open, close) = match n.kind {
            NodeKind::Start | NodeKind::End => ("([\"", "\"])"),
            NodeKind::Operation => ("[\"", "\"]"),
            NodeKind::Condition => ("{\"", "\"}"),
            NodeKind::InputOutput | NodeKind::Input | NodeKind::Output => ("[/\"", "\"/]"),
            NodeKind::Subroutine => ("[[\"", "\"]]"),
            NodeKind::Parallel => ("{{\"", "\"}}"),
        };
        out.push_str("    ");
        out.push_str(id);
        out.push_str(open);
        push_escaped(&mut out, &n.label);
        if let Some(m) = marked.as_ref().map(|m| m.nodes[i]).filter(|m| m.visits > 1) {
            push_escaped(&mut out, &format!("\n×{}", m.visits));
        }
        out.push_str(close);
        out.push('\n');
    }
    let mut link_styles = Vec::new();
    for (i, e) in view.edges.iter().enumerate() {
        out.push_str("    ");
        out.push_str(&ids[e.from]);
        out.push_str(if e.reachable { " -->" } else { " -.->" });
        let taken = marked.as_ref().map(|m| m.taken[i]);
        let label = if taken.is_some() {
            run_label(e)
        } else {
            e.label.as_deref()
        };
        if let Some(l) = label {
            out.push_str("|\"");
            push_escaped(&mut out, l);
            out.push_str("\"|");
        }
        out.push(' ');
        out.push_str(&ids[e.to]);
        out.push('\n');
        let mut parts = Vec::new();
        match taken {
            Some(true) => {
                parts.extend(["stroke:#000000".to_owned(), "stroke-width:3px".to_owned()]);
            }
            Some(false) => parts.push("stroke:#bbbbbb".to_owned()),
            None => {}
        }
        if let Some(s) = &e.style {
            if let Some(c) = s
                .color
                .as_deref()
                .and_then(safe_color)
                .filter(|_| taken.is_none())
            {
                parts.push(format!("stroke:{c}"));
            }
            if let Some(w) = s
                .width
                .filter(|w| w.is_finite() && *w > 0.0 && taken.is_none())
            {
                parts.push(format!(
                    "stroke-width:{}px",
                    if w.fract() == 0.0 {
                        format!("{w:.0}")
                    } else {
                        format!("{w:.2}")
                    }
                ));
            }
            if s.dashed {
                parts.push("stroke-dasharray:5 5".to_owned());
            }
        }
        if !parts.is_empty() {
            link_styles.push(format!("    linkStyle {i} {}", parts.join(",")));
        }
    }
    // Inferred joins: a dotted line without an arrowhead, after every edge so
    // that the `linkStyle` numbers above stay those of the edges.
    for j in &view.joins {
        let _ = writeln!(out, "    {} -.-|\"join\"| {}", ids[j.parallel], ids[j.join]);
    }
    for l in link_styles {
        out.push_str(&l);
        out.push('\n');
    }
    for (n, id) in view.nodes.iter().zip(&ids) {
        if let Some((url, target)) = &n.link {
            let target = match target.as_deref() {
                Some("blank" | "_blank") => " _blank",
                Some("self" | "_self") => " _self",
                Some("parent" | "_parent") => " _parent",
                Some("top" | "_top") => " _top",
                _ => "",
            };
            let _ = writeln!(
                out,
                "    click {id} href \"{}\"{target}",
                url.replace('"', "%22")
            );
        }
    }
    // Flowstate colours, one statement per line, in a fixed order.
    let mut classes: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (n, id) in view.nodes.iter().zip(&ids) {
        if marked.is_some() {
            // The run's states replace the flow's own flowstates (below).
        } else if let Some(state) = n
            .flowstate
            .as_deref()
            .filter(|s| flowstate_colors(s).is_some())
        {
            classes.entry(format!("fs_{state}")).or_default().push(id);
        }
        if !n.reachable {
            classes
                .entry("unreachable".to_owned())
                .or_default()
                .push(id);
        }
    }
    for (class, members) in &classes {
        let def = match class.strip_prefix("fs_").and_then(flowstate_colors) {
            Some((fill, font, bold)) => {
                let mut d = format!(
                    "fill:{}",
                    safe_color(fill).unwrap_or_else(|| fill.to_owned())
                );
                if let Some(f) = font {
                    let _ = write!(d, ",color:{f}");
                }
                if bold {
                    d.push_str(",font-weight:bold");
                }
                d
            }
            None => "stroke-dasharray:5 5,color:#888888".to_owned(),
        };
        let _ = writeln!(out, "    classDef {class} {def}");
        let _ = writeln!(out, "    class {} {class}", members.join(","));
    }
    if let Some(m) = &marked {
        for state in Progress::ALL {
            let members: Vec<&str> = ids
                .iter()
                .zip(&m.nodes)
                .filter(|(_, mark)| mark.state == state)
                .map(|(id, _)| id.as_str())
                .collect();
            if members.is_empty() {
                continue;
            }
            let def = match state {
                Progress::Past => "fill:#cccccc",
                Progress::Current => "fill:yellow,color:red,font-weight:bold",
                Progress::Future => "fill:#ffffff,stroke:#999999,color:#777777",
                Progress::Rejected => "fill:#c45879",
            };
            let name = state.flowstate();
            let _ = writeln!(out, "    classDef {name} {def}");
            let _ = writeln!(out, "    class {} {name}", members.join(","));
        }
    }
    out
}

/// `n_<key>` with anything but ASCII letters, digits and `_` replaced, made unique.
fn ids(view: &View) -> Vec<String> {
    let mut used: HashMap<String, usize> = HashMap::new();
    view.nodes
        .iter()
        .map(|n| {
            let base: String = n
                .name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let base = format!("n_{base}");
            let count = used.entry(base.clone()).or_insert(0);
            *count += 1;
            if *count == 1 {
                base
            } else {
                format!("{base}_{count}")
            }
        })
        .collect()
}

/// Text inside a quoted Mermaid label, escaped with Mermaid's entity codes.
fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
}

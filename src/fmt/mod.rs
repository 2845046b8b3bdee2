//! `flowrun fmt`: canonical flowchart.js text.
//!
//! Definitions in source order, then connections (chains kept as written),
//! then line styles; one statement per line, normalised spacing. Formatting
//! never changes meaning: the result is parsed again and its graph compared
//! with the original's; if anything differs, statements keep their source
//! order, and if that differs too the flow is left as it was.

mod canonical;
mod document;

pub(crate) use canonical::definition as definition_text;
pub use document::{FormatError, format_document};

use crate::graph::json::{Render, to_json};
use crate::syntax::{Statement, parse};

/// The formatted text of one flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Formatted {
    /// The canonical text (ends with a line feed unless empty).
    pub text: String,
    /// How much of the canonical layout could be applied.
    pub layout: Layout,
}

/// How a flow was formatted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Definitions first, then connections, then styles.
    Grouped,
    /// Statements kept in source order (reordering would change the meaning).
    SourceOrder,
    /// Left as it was (canonical text would change the meaning).
    Unchanged,
}

/// Formats one flow's text.
pub fn format_flow(text: &str) -> Formatted {
    let ast = parse(text);
    let original = meaning(text);
    let pieces: Vec<(u8, String)> = ast
        .statements
        .iter()
        .map(|s| {
            let group = match s {
                Statement::Ignored(_) => 0,
                Statement::Definition(_) => 1,
                Statement::Connection(_) => 2,
                Statement::LineStyle(_) => 3,
            };
            let canon = canonical::statement(s).unwrap_or_else(|| {
                let span = s.span();
                text.get(span.range()).unwrap_or_default().to_owned()
            });
            (group, canon)
        })
        .collect();

    let mut grouped = pieces.clone();
    grouped.sort_by_key(|(g, _)| *g);
    let candidate = join(&grouped);
    if meaning(&candidate) == original {
        return Formatted {
            text: candidate,
            layout: Layout::Grouped,
        };
    }
    let candidate = join(&pieces);
    if meaning(&candidate) == original {
        return Formatted {
            text: candidate,
            layout: Layout::SourceOrder,
        };
    }
    Formatted {
        text: text.to_owned(),
        layout: Layout::Unchanged,
    }
}

/// Statements one per line, a blank line between groups.
fn join(pieces: &[(u8, String)]) -> String {
    let mut out = String::new();
    let mut last_group = None;
    for (g, s) in pieces {
        // A blank line after the definitions (and after an ignored title line).
        if last_group.is_some_and(|l| l != *g && l <= 1) {
            out.push('\n');
        }
        last_group = Some(*g);
        out.push_str(s);
        out.push('\n');
    }
    out
}

/// A flow's meaning: its graph as flowchart.js would store it.
fn meaning(text: &str) -> String {
    let g = crate::graph::build(&parse(text));
    let code = g.errors().first().map(|e| {
        miette::Diagnostic::code(e)
            .map(|c| c.to_string())
            .unwrap_or_default()
    });
    to_json(&g, code.as_deref(), Render::No).to_string()
}

//! Formatting whole files: a `.flow` file, or only the inside of each
//! ```` ```flow ```` fence of a Markdown document (every other byte stays).

use thiserror::Error;

use crate::document;
use crate::fmt::format_flow;

/// Why a file was not formatted.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum FormatError {
    /// A flow has errors: formatting it could hide them.
    #[error("flow {index} has errors; fix them first (see `flowrun check`)")]
    HasErrors {
        /// 1-based flow index.
        index: usize,
    },
}

/// The formatted text of a whole file (the same text when nothing changes).
pub fn format_document(name: &str, text: &str) -> Result<String, FormatError> {
    let doc = document::read(name, text);
    for f in &doc.flows {
        if crate::analyze(&f.source.text).has_errors() {
            return Err(FormatError::HasErrors { index: f.index });
        }
    }
    if !doc.markdown {
        let (bom, body) = text
            .strip_prefix('\u{feff}')
            .map_or(("", text), |b| ("\u{feff}", b));
        if crate::syntax::js::trim(body).is_empty() {
            return Ok(text.to_owned());
        }
        let formatted = with_line_endings(&format_flow(body).text, body.contains("\r\n"));
        return Ok(format!("{bom}{formatted}"));
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in &doc.flows {
        // Only a fence whose content is one contiguous piece of the file is
        // rewritten (not one inside a list or a quote, whose lines are indented).
        let Some(range) = f.source.contiguous_range() else {
            continue;
        };
        if range.is_empty() || crate::syntax::js::trim(&f.source.text).is_empty() {
            continue;
        }
        let formatted = with_line_endings(
            &format_flow(&f.source.text).text,
            f.source.text.contains("\r\n"),
        );
        out.push_str(&text[at..range.start]);
        out.push_str(&formatted);
        at = range.end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

fn with_line_endings(s: &str, crlf: bool) -> String {
    if crlf {
        s.replace('\n', "\r\n")
    } else {
        s.to_owned()
    }
}

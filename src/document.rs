//! Documents: the files flows come from.
//!
//! A `.flow` file is one flow. Any file whose text has ```` ```flow ```` fences
//! (a Markdown runbook, whatever its extension) holds one flow per fence,
//! found with pulldown-cmark; each keeps a map back into the file so that
//! diagnostics point at the right line of the document.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use crate::source::Source;

/// One flow found in a document.
#[derive(Clone, Debug)]
pub struct FlowText {
    /// 1-based position among the document's flows.
    pub index: usize,
    /// 1-based line of the fence (1 for a `.flow` file).
    pub line: usize,
    /// The nearest heading above the fence, if any.
    pub heading: Option<String>,
    /// The flow's text and its map into the file.
    pub source: Source,
}

/// A file and the flows in it.
#[derive(Clone, Debug)]
pub struct Document {
    /// The name shown to users.
    pub name: String,
    /// Whether the flows came from Markdown fences.
    pub markdown: bool,
    /// The flows, in document order.
    pub flows: Vec<FlowText>,
}

/// Reads a document's flows from its text.
pub fn read(name: &str, text: impl Into<String>) -> Document {
    let text = Arc::new(text.into());
    let is_md = Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"));
    if is_md || has_flow_fence(&text) {
        let flows = markdown_flows(name, &text);
        if is_md || !flows.is_empty() {
            return Document {
                name: name.to_owned(),
                markdown: true,
                flows,
            };
        }
    }
    Document {
        name: name.to_owned(),
        markdown: false,
        flows: vec![FlowText {
            index: 1,
            line: 1,
            heading: None,
            source: Source::whole_shared(name, text),
        }],
    }
}

/// A cheap test for a ```` ```flow ```` or `~~~flow` fence line.
fn has_flow_fence(text: &str) -> bool {
    // A fence needs three backticks or tildes in a row: most texts have none,
    // and a search for them is much cheaper than looking at every line.
    let bytes = text.as_bytes();
    if memchr::memmem::find(bytes, b"```").is_none()
        && memchr::memmem::find(bytes, b"~~~").is_none()
    {
        return false;
    }
    text.lines().any(|l| {
        let l = l.trim_start();
        let rest = l.trim_start_matches('`');
        let rest = if rest.len() == l.len() {
            l.trim_start_matches('~')
        } else {
            rest
        };
        l.len() - rest.len() >= 3 && info_is_flow(rest)
    })
}

fn info_is_flow(info: &str) -> bool {
    info.split_whitespace()
        .next()
        .is_some_and(|w| w == "flow" || w == "flowchart.js" || w == "{flow}")
}

fn markdown_flows(name: &str, text: &Arc<String>) -> Vec<FlowText> {
    let mut flows = Vec::new();
    let mut heading: Option<String> = None;
    let mut in_heading: Option<String> = None;
    let mut fence: Option<(usize, Vec<std::ops::Range<usize>>)> = None;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { .. }) => in_heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => {
                heading = in_heading.take().map(|h| h.trim().to_owned());
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) if info_is_flow(&info) => {
                fence = Some((range.start, Vec::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, pieces)) = &mut fence {
                    // Code block text is a slice of the file, line by line.
                    if text.get(range.clone()) == Some(&*t) {
                        pieces.push(range);
                    } else if let Some(at) = text[range.clone()].find(&*t) {
                        pieces.push(range.start + at..range.start + at + t.len());
                    }
                } else if let Some(h) = &mut in_heading {
                    h.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((start, mut pieces)) = fence.take() {
                    if pieces.is_empty() {
                        // An empty fence: point at the line after the opening fence.
                        let at = text[start..]
                            .find('\n')
                            .map_or(start, |i| (start + i + 1).min(text.len()));
                        pieces.push(at..at);
                    }
                    let line = text[..start].bytes().filter(|&b| b == b'\n').count() + 1;
                    let index = flows.len() + 1;
                    flows.push(FlowText {
                        index,
                        line,
                        heading: heading.clone(),
                        source: Source::embedded(name, Arc::clone(text), &pieces),
                    });
                }
            }
            _ => {}
        }
    }
    flows
}

/// The `.flow` and `.md` files below a directory, sorted.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|p| {
            p.extension().is_some_and(|e| {
                e == "flow" || e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown")
            }) && !p
                .components()
                .any(|c| c.as_os_str() == ".flowrun" || c.as_os_str() == "target")
        })
        .collect();
    files.sort();
    files
}

/// How a command picks one flow of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// 1-based index.
    Index(usize),
    /// Heading text (case-insensitive; a unique substring will do).
    Name(String),
}

impl Selector {
    /// `3` is an index, anything else a heading.
    pub fn parse(s: &str) -> Selector {
        s.parse()
            .map_or_else(|_| Selector::Name(s.to_owned()), Selector::Index)
    }
}

/// Why no single flow could be picked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SelectError {
    /// The document has no flow.
    Empty,
    /// More than one flow and no `--flow`.
    Ambiguous(usize),
    /// No flow matches.
    NotFound,
    /// Several headings match the name.
    SeveralMatch(Vec<usize>),
}

impl Document {
    /// Picks one flow.
    pub fn select(&self, selector: Option<&Selector>) -> Result<&FlowText, SelectError> {
        match selector {
            None => match self.flows.as_slice() {
                [] => Err(SelectError::Empty),
                [one] => Ok(one),
                many => Err(SelectError::Ambiguous(many.len())),
            },
            Some(Selector::Index(i)) => self
                .flows
                .get(i.wrapping_sub(1))
                .ok_or(SelectError::NotFound),
            Some(Selector::Name(name)) => {
                let lower = name.to_lowercase();
                let heading = |f: &&FlowText| f.heading.as_deref().map(str::to_lowercase);
                if let Some(f) = self
                    .flows
                    .iter()
                    .find(|f| heading(f).as_deref() == Some(lower.as_str()))
                {
                    return Ok(f);
                }
                let hits: Vec<&FlowText> = self
                    .flows
                    .iter()
                    .filter(|f| heading(f).is_some_and(|h| h.contains(&lower)))
                    .collect();
                match hits.as_slice() {
                    [] => Err(SelectError::NotFound),
                    [one] => Ok(one),
                    many => Err(SelectError::SeveralMatch(
                        many.iter().map(|f| f.index).collect(),
                    )),
                }
            }
        }
    }
}

//! Source texts and byte spans.
//!
//! A [`Span`] is a byte range into the text of one flow. A flow read from a
//! Markdown fence keeps its own text, plus a map back to the file, so that
//! diagnostics can point at the right line of the `.md` (see [`Source`]).

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use miette::SourceSpan;

/// A byte range into a flow's text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from a byte range.
    pub fn new(start: usize, end: usize) -> Self {
        Self {
            start,
            end: end.max(start),
        }
    }

    /// An empty span at `at`.
    pub fn empty(at: usize) -> Self {
        Self { start: at, end: at }
    }

    /// The smallest span covering both.
    #[must_use]
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// Length in bytes.
    pub fn len(self) -> usize {
        self.end - self.start
    }

    /// Whether the span is empty.
    pub fn is_empty(self) -> bool {
        self.end == self.start
    }

    /// As a range.
    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Self {
        Span::new(r.start, r.end)
    }
}

/// One flow's text, where it came from, and how its offsets map into that file.
#[derive(Clone, Debug)]
pub struct Source {
    /// The file name shown in diagnostics (`-` for stdin).
    pub name: String,
    /// The whole file's text. (An `Arc<String>`, not an `Arc<str>`: a file
    /// read into a `String` is shared as it is, where an `Arc<str>` would copy
    /// it, 80 MB of fresh memory for a 1M-node flow.)
    pub file_text: Arc<String>,
    /// The flow's own text (the file itself, or one fence's content).
    pub text: Arc<String>,
    /// Pieces of `text` that come from the file: `(flow offset, file offset)`, sorted.
    segments: Vec<(usize, usize)>,
    /// Where the file's lines start, found once when first needed: a flow with
    /// thousands of problems must not scan its file from the top for each.
    lines: Lines,
}

/// Line starts of a file, in the two senses flowrun reports in.
#[derive(Clone, Debug, Default)]
struct Lines {
    /// After each `\n` (the lines and columns of `--format json`).
    feeds: OnceLock<Vec<usize>>,
    /// After each `\n`, `\r\n` or lone `\r` (the lines miette numbers and shows).
    breaks: OnceLock<Vec<usize>>,
}

impl Source {
    /// A flow that is the whole file.
    pub fn whole(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self::whole_shared(name, Arc::new(text.into()))
    }

    /// [`Source::whole`] for a file text already shared.
    pub(crate) fn whole_shared(name: impl Into<String>, text: Arc<String>) -> Self {
        Self {
            name: name.into(),
            file_text: Arc::clone(&text),
            text,
            segments: vec![(0, 0)],
            lines: Lines::default(),
        }
    }

    /// A flow embedded in a file, built from `(file range)` pieces in order.
    pub fn embedded(
        name: impl Into<String>,
        file_text: Arc<String>,
        pieces: &[Range<usize>],
    ) -> Self {
        let mut text = String::new();
        let mut segments = Vec::with_capacity(pieces.len());
        for piece in pieces {
            segments.push((text.len(), piece.start));
            text.push_str(&file_text[piece.clone()]);
        }
        if segments.is_empty() {
            segments.push((0, 0));
        }
        Self {
            name: name.into(),
            file_text,
            text: Arc::new(text),
            segments,
            lines: Lines::default(),
        }
    }

    /// The file range of the flow text, when it is one contiguous piece of the file.
    pub fn contiguous_range(&self) -> Option<Range<usize>> {
        let start = self.segments.first()?.1;
        let contiguous = self
            .segments
            .iter()
            .all(|&(flow, file)| file == start + flow);
        (contiguous && start + self.text.len() <= self.file_text.len())
            .then(|| start..start + self.text.len())
    }

    /// Maps a flow offset to a file offset.
    pub fn file_offset(&self, at: usize) -> usize {
        let i = self.segments.partition_point(|&(flow, _)| flow <= at);
        let (flow, file) = self.segments[i.saturating_sub(1)];
        file + (at - flow)
    }

    /// Maps a flow span to a file span.
    pub fn file_span(&self, span: Span) -> SourceSpan {
        let start = self.file_offset(span.start);
        let end = if span.is_empty() {
            start
        } else {
            self.file_offset(span.end - 1) + 1
        }
        .min(self.file_text.len());
        let start = start.min(end);
        SourceSpan::new(start.into(), end - start)
    }

    /// 1-based line and column (in characters) of a flow offset, in the file.
    pub fn line_col(&self, at: usize) -> (usize, usize) {
        let at = self.file_offset(at).min(self.file_text.len());
        let at = floor_char_boundary(&self.file_text, at);
        let feeds = self.lines.feeds.get_or_init(|| {
            let starts = memchr::memchr_iter(b'\n', self.file_text.as_bytes()).map(|i| i + 1);
            std::iter::once(0).chain(starts).collect()
        });
        // The last line start at or before `at` (the first is 0).
        let line = feeds.partition_point(|&s| s <= at).max(1);
        let line_start = feeds.get(line - 1).copied().unwrap_or(0);
        (line, self.file_text[line_start..at].chars().count() + 1)
    }

    /// Where each line of the file starts, with miette's line breaks
    /// (`\n`, `\r\n`, a lone `\r`); the first line starts at 0.
    pub(crate) fn line_starts(&self) -> &[usize] {
        self.lines.breaks.get_or_init(|| {
            let bytes = self.file_text.as_bytes();
            let mut starts = vec![0];
            for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
                // The `\r` of a `\r\n` is not a break of its own.
                if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                    continue;
                }
                starts.push(i + 1);
            }
            starts
        })
    }
}

fn floor_char_boundary(s: &str, mut at: usize) -> usize {
    while at > 0 && !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl From<Span> for SourceSpan {
    fn from(span: Span) -> Self {
        SourceSpan::new(span.start.into(), span.len())
    }
}

//! The text of one logical statement as flowchart.js sees it, mapped back to the source.
//!
//! flowchart.js edits a statement before reading it: backslash-newline pairs
//! lose their backslash (except on the text's last physical line), the
//! statement is trimmed, and an `@annotation` is cut out. [`StmtText`] applies
//! those edits and remembers where each remaining byte came from.

use std::borrow::Cow;
use std::ops::Range;

use crate::source::Span;
use crate::syntax::js;

/// An edited statement text with a map to source offsets.
pub(crate) struct StmtText<'a> {
    pub(crate) text: Cow<'a, str>,
    /// Source offset of text offset 0 (the first contiguous piece).
    first: usize,
    /// `(text offset, source offset)` at the start of each further contiguous
    /// piece, sorted; empty (no allocation) for nearly every statement.
    more: Vec<(usize, usize)>,
    /// Source offset of the end of the text.
    end: usize,
}

impl<'a> StmtText<'a> {
    /// `raw` is the statement at source offset `at`; backslash-newlines before
    /// source offset `verbatim_from` lose their backslash.
    pub(crate) fn new(raw: &'a str, at: usize, verbatim_from: usize) -> Self {
        let mut text = Cow::Borrowed(raw);
        let mut more = Vec::new();
        if js::find(raw, "\\\n").is_some() {
            let mut out = String::with_capacity(raw.len());
            let mut last = 0;
            for (i, _) in raw.match_indices("\\\n") {
                if at + i + 1 >= verbatim_from {
                    break;
                }
                if last > 0 {
                    more.push((out.len(), at + last));
                }
                out.push_str(&raw[last..i]);
                last = i + 1;
            }
            if last > 0 {
                more.push((out.len(), at + last));
            }
            out.push_str(&raw[last..]);
            text = Cow::Owned(out);
        }
        let mut this = Self {
            text,
            first: at,
            more,
            end: at + raw.len(),
        };
        let keep = js::trim_range(&this.text);
        this.keep(keep);
        this
    }

    /// Source offset of a text offset.
    pub(crate) fn pos(&self, i: usize) -> usize {
        if i >= self.text.len() {
            return self.end;
        }
        let k = self.more.partition_point(|&(t, _)| t <= i);
        match k.checked_sub(1).and_then(|k| self.more.get(k)) {
            Some(&(t, s)) => s + (i - t),
            None => self.first + i,
        }
    }

    /// Source span of a text range.
    pub(crate) fn span(&self, r: Range<usize>) -> Span {
        if r.is_empty() {
            return Span::empty(self.pos(r.start));
        }
        Span::new(self.pos(r.start), self.pos(r.end - 1) + 1)
    }

    /// Keeps only `r` of the text.
    fn keep(&mut self, r: Range<usize>) {
        if r.start == 0 && r.end == self.text.len() {
            return;
        }
        let end = self.pos(r.end.saturating_sub(1)) + usize::from(!r.is_empty());
        self.first = self.pos(r.start);
        self.more.retain(|&(t, _)| t > r.start && t < r.end);
        for p in &mut self.more {
            p.0 -= r.start;
        }
        self.end = end;
        self.text = match std::mem::take(&mut self.text) {
            Cow::Borrowed(b) => Cow::Borrowed(&b[r]),
            Cow::Owned(o) => Cow::Owned(o[r].to_owned()),
        };
    }

    /// Removes `r` from the text (flowchart.js's `line.replace('@' + ann, '')`).
    pub(crate) fn remove(&mut self, r: Range<usize>) {
        if r.is_empty() {
            return;
        }
        let after = self.pos(r.end);
        let len = r.len();
        let mut pieces: Vec<(usize, usize)> = Vec::with_capacity(self.more.len() + 2);
        for &(t, s) in std::iter::once(&(0, self.first)).chain(&self.more) {
            if t < r.start {
                pieces.push((t, s));
            } else if t >= r.end {
                pieces.push((t - len, s));
            }
        }
        if r.end < self.text.len() {
            pieces.push((r.start, after));
            pieces.sort_unstable();
            pieces.dedup_by_key(|p| p.0);
        }
        let mut text = self.text.to_string();
        text.replace_range(r, "");
        self.text = Cow::Owned(text);
        // Text offset 0 always starts a piece, unless the text is now empty.
        match pieces.first() {
            Some(&(0, s)) => {
                self.first = s;
                pieces.remove(0);
            }
            _ => self.first = self.end,
        }
        self.more = pieces;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn maps_through_trim_and_backslash() {
        let raw = "  a\\\nb  ";
        let t = StmtText::new(raw, 10, 100);
        assert_eq!(t.text, "a\nb");
        assert_eq!(t.pos(0), 12);
        assert_eq!(t.pos(1), 14);
        assert_eq!(t.pos(2), 15);
    }

    #[test]
    fn keeps_backslash_on_last_line() {
        let t = StmtText::new("a\\\nb", 0, 0);
        assert_eq!(t.text, "a\\\nb");
    }

    #[test]
    fn maps_through_removal() {
        let mut t = StmtText::new("c(yes@ok)->x", 0, 100);
        t.remove(5..8);
        assert_eq!(t.text, "c(yes)->x");
        assert_eq!(t.pos(5), 8);
        assert_eq!(t.pos(8), 11);
    }
}

//! Flow text → statements: the entry points of parsing.
//!
//! pest finds the logical lines and their kind (`grammar/flow.pest`), a batch
//! at a time, and continuation lines are glued to the statement before them;
//! `lower.rs` computes each statement's values. A large text is cut
//! into pieces parsed on every core (`pieces.rs`); the statements still come
//! out one at a time, in source order.

use pest::Parser;
use pest::iterators::Pair;
use std::ops::Range;

use crate::syntax::ast::{Ast, Statement};
use crate::syntax::js;
use crate::syntax::lower::lower;
use crate::syntax::parser::{FlowParser, Rule};
use crate::syntax::pieces;

/// Parses a flow text. Never fails: every text is a flow to flowchart.js.
pub fn parse(text: &str) -> Ast {
    let mut statements = Vec::with_capacity(max_statements(text));
    each_statement(text, |s| statements.push(s));
    Ast { statements }
}

/// At most how many statements a text has: they are separated by line feeds.
pub fn max_statements(text: &str) -> usize {
    memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1
}

/// A text of at least this many bytes is parsed on every core; a shorter one
/// on the calling thread (starting a thread costs about as much as parsing it).
const PARALLEL_FROM: usize = 64 * 1024;

/// The pieces a text is cut into for the threads: at least this many bytes.
///
/// Small, so that the calling thread, which executes the statements in order,
/// gets its first ones soon and no thread is left with a long piece at the
/// end: at 10k nodes (735 KB), 250 alternated runs each, the whole `check`
/// took 20.1 ms in the median run with 4 KB pieces, 23.7 ms with 64 KB.
const PIECE: usize = 4 * 1024;

/// How many prepared statements a piece's thread puts in one `Vec`.
///
/// The calling thread frees them, and the parsing thread's allocator reuses
/// blocks of one size much sooner than one `Vec` a piece (a few hundred KB,
/// each of its own size), which took fresh memory each time: at 10k nodes the
/// process committed 43 MiB with one `Vec` a piece, 31 MiB with these.
const HANDFUL: usize = 32;

/// Parses a flow text, handing each statement to `f` in source order as soon
/// as it is parsed: [`parse`] without keeping the statements.
///
/// A large text is parsed on every core, piece by piece (`pieces.rs`); `f` still
/// sees every statement in order, on the calling thread.
pub fn each_statement(text: &str, f: impl FnMut(Statement)) {
    each_statement_as(text, |s| s, f);
}

/// [`each_statement`], with `prepare` applied to each statement on the thread
/// that parsed it: work that does not depend on the other statements is done
/// there, and `f` (on the calling thread) gets the prepared statements in order.
pub(crate) fn each_statement_as<T: Send>(
    text: &str,
    prepare: impl Fn(Statement) -> T + Sync,
    f: impl FnMut(T),
) {
    let threads = if text.len() < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    };
    each_statement_with(text, PIECE, threads, prepare, f);
}

/// [`each_statement_as`] with a given piece size and number of threads.
pub(crate) fn each_statement_with<T: Send>(
    text: &str,
    piece: usize,
    threads: usize,
    prepare: impl Fn(Statement) -> T + Sync,
    mut f: impl FnMut(T),
) {
    let trimmed = js::trim_range(text);
    let verbatim_from = last_line_start(text, trimmed.clone());
    let pieces = if threads > 1 {
        pieces::cut(text, trimmed.clone(), piece)
    } else {
        Vec::new()
    };
    if pieces.len() < 2 {
        statements_in(text, trimmed, verbatim_from, |s| f(prepare(s)));
        return;
    }
    pieces::in_order(
        &pieces,
        threads,
        |range| {
            let mut out: Vec<Vec<T>> = Vec::new();
            statements_in(text, range, verbatim_from, |s| match out.last_mut() {
                Some(handful) if handful.len() < HANDFUL => handful.push(prepare(s)),
                _ => {
                    let mut handful = Vec::with_capacity(HANDFUL);
                    handful.push(prepare(s));
                    out.push(handful);
                }
            });
            out
        },
        |handfuls| handfuls.into_iter().flatten().for_each(&mut f),
    );
}

/// Parses the statements in `range` of `text`, which starts where a statement starts.
fn statements_in(
    text: &str,
    range: Range<usize>,
    verbatim_from: usize,
    mut f: impl FnMut(Statement),
) {
    extents_in(text, range, |rule, r| {
        f(lower(rule, &text[r.clone()], r.start, verbatim_from));
    });
}

/// The kind and extent of each statement in `range` of `text` (which starts
/// where a statement starts), in order: the fast layer's logical lines
/// (`grammar/flow.pest`, a batch at a time), each continuation line glued to
/// the statement before it, as flowchart.js glues it.
fn extents_in(text: &str, range: Range<usize>, mut f: impl FnMut(Rule, Range<usize>)) {
    // The statement read so far: a continuation line (even in the next batch) extends it.
    let mut open: Option<(Rule, Range<usize>)> = None;
    let mut close = |statement: Option<(Rule, Range<usize>)>| {
        if let Some((rule, r)) = statement {
            f(rule, r);
        }
    };
    let mut pos = range.start;
    while pos < range.end {
        let input = &text[pos..range.end];
        let mut end = None;
        let batch = FlowParser::parse(Rule::lines, input).ok();
        for line in batch.into_iter().flatten().flat_map(Pair::into_inner) {
            let span = line.as_span();
            let r = pos + span.start()..pos + span.end();
            end = Some(r.end);
            match (line.as_rule(), &mut open) {
                (Rule::continuation, Some((_, statement))) => statement.end = r.end,
                // First in the text, or after a `=>` whose head does not parse.
                (Rule::continuation | Rule::ignored_line, _) => {
                    close(open.replace((Rule::ignored, r)));
                }
                (rule, _) => close(open.replace((rule, r))),
            }
        }
        // The grammar is total (every line matches `line`); should pest still
        // fail, one physical line is ignored rather than loop or panic.
        let end = end.unwrap_or_else(|| {
            let len = floor_boundary(input, line_len(input).max(1));
            close(open.replace((Rule::ignored, pos..pos + len)));
            pos + len
        });
        pos = end;
        // Skip the line feed that ends the line.
        if text[pos..].starts_with('\n') {
            pos += 1;
        }
    }
    close(open);
}

/// Where the last physical line of the trimmed text starts: its backslash-newlines stay verbatim.
fn last_line_start(text: &str, trimmed: Range<usize>) -> usize {
    let bytes = text.as_bytes();
    let mut i = trimmed.end;
    while i > trimmed.start + 1 {
        i -= 1;
        if bytes[i] == b'\n' && bytes[i - 1] != b'\\' {
            return i + 1;
        }
    }
    trimmed.start
}

fn line_len(input: &str) -> usize {
    memchr::memchr(b'\n', input.as_bytes()).unwrap_or(input.len())
}

fn floor_boundary(s: &str, mut at: usize) -> usize {
    at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use pest::Parser;
    use proptest::prelude::*;

    use super::parse;
    use crate::syntax::Statement;
    use crate::syntax::js;
    use crate::syntax::parser::{FlowParser, Rule};

    /// A statement kind's name, from either layer's rule for it.
    fn kind_name(rule: Rule) -> &'static str {
        match rule {
            Rule::definition | Rule::definition_parts => "definition",
            Rule::connection | Rule::connection_parts => "connection",
            Rule::line_style | Rule::line_style_parts => "line_style",
            _ => "ignored",
        }
    }

    /// Kinds and spans of the statements, by the structure layer (`flow`).
    fn by_parts(text: &str) -> Vec<(&'static str, usize, usize)> {
        let range = js::trim_range(text);
        if range.is_empty() {
            return Vec::new();
        }
        let Ok(mut pairs) = FlowParser::parse(Rule::flow, &text[range.clone()]) else {
            panic!("`flow` rejected {text:?}");
        };
        let flow = pairs
            .next()
            .into_iter()
            .flat_map(pest::iterators::Pair::into_inner);
        flow.filter(|p| p.as_rule() == Rule::statement_parts)
            .filter_map(|p| p.into_inner().next())
            .map(|kind| {
                let s = kind.as_span();
                (
                    kind_name(kind.as_rule()),
                    range.start + s.start(),
                    range.start + s.end(),
                )
            })
            .collect()
    }

    /// Kinds and extents of the parsed statements (fast layer, glued and trimmed).
    fn by_statements(text: &str) -> Vec<(&'static str, usize, usize)> {
        parse(text)
            .statements
            .iter()
            .map(|s| {
                let name = match s {
                    Statement::Definition(_) => "definition",
                    Statement::Connection(_) => "connection",
                    Statement::LineStyle(_) => "line_style",
                    Statement::Ignored(_) => "ignored",
                };
                (name, s.span().start, s.span().end)
            })
            .collect()
    }

    /// The statement extents before `StmtText`'s per-statement trim (the fast layer's).
    fn raw_extents(text: &str) -> Vec<(&'static str, usize, usize)> {
        let mut out = Vec::new();
        super::extents_in(text, js::trim_range(text), |rule, r| {
            assert!(r.end > r.start, "empty statement in {text:?}");
            out.push((kind_name(rule), r.start, r.end));
        });
        out
    }

    const CASES: &[&str] = &[
        "st=>start: Go\nop=>operation: x\nst->op",
        "a(b=>operation: x\na->b",
        "x->y\na(b=>c\nq(r)s=>end",
        "hello\nworld\nst=>start\nst->e",
        "a=>operation: one\\\ntwo->three\n# comment\nnext line\nc@>d({\"stroke\":\"red\"})",
        "a=>operation: x|past|current:>http://x[blank]=>more\n  \n\nb\\",
        "c(yes@ok, left)->d(no)->e\\\n->f\nc(true)->x",
        "a\\\\\nb->c\n-\\\n>d\n=\\\n>e",
        "é=>start: ü\r\nst\\x->y\\",
    ];

    #[test]
    fn layers_agree_on_cases() {
        for text in CASES {
            assert_eq!(raw_extents(text), by_parts(text), "{text:?}");
            assert_eq!(by_statements(text).len(), by_parts(text).len(), "{text:?}");
        }
    }

    /// The statements of a text parsed in pieces of `piece` bytes on three threads.
    fn in_pieces(text: &str, piece: usize) -> Vec<String> {
        let mut out = Vec::new();
        super::each_statement_with(text, piece, 3, |s| s, |s| out.push(format!("{s:?}")));
        out
    }

    fn whole(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        super::each_statement_with(text, usize::MAX, 1, |s| s, |s| out.push(format!("{s:?}")));
        out
    }

    #[test]
    fn pieces_parse_like_the_whole_on_cases() {
        let text = CASES.join("\n");
        let doc = include_str!("../../workflows/prod-deployment.md");
        for text in [text.as_str(), doc] {
            for piece in [1, 2, 7, 40] {
                assert_eq!(in_pieces(text, piece), whole(text), "{piece}: {text:?}");
            }
        }
    }

    proptest! {
        #[test]
        fn pieces_parse_like_the_whole(pieces in proptest::collection::vec(
            prop::sample::select(vec![
                "a", "b", "(", ")", "=>", "->", "@>", "-", "@", "=", ">", "\\", "\n", "\n",
                "\\\n", " ", ": ", "|", "é", "\r", "yes", "a->b", "\nc=>end: x", "\nd(yes)->a",
            ]),
            0..60,
        ), piece in 1usize..12) {
            let text: String = pieces.concat();
            prop_assert_eq!(in_pieces(&text, piece), whole(&text), "{:?}", text);
        }

        #[test]
        fn layers_agree(pieces in proptest::collection::vec(
            prop::sample::select(vec![
                "a", "b", "(", ")", ",", "=>", "->", "@>", "=", ">", "-", "@", "\\",
                "\n", "\\\n", " ", ": ", ":$", ":>", "|", "[", "]", "é", "\r", "yes",
            ]),
            0..40,
        )) {
            let text: String = pieces.concat();
            prop_assert_eq!(raw_extents(&text), by_parts(&text), "{:?}", text);
        }
    }
}

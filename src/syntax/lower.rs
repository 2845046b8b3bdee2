//! Statements → [`Ast`], applying flowchart.js's string rules.
//!
//! pest finds the logical statements and their kind (`grammar/flow.pest`);
//! each statement's values are then computed with exactly the `split`,
//! `indexOf` and `substring` calls flowchart.js makes (`src/flowchart.parse.js`
//! in 1.18.0), so odd inputs mean what they mean there.

use pest::Parser;

use crate::syntax::ast::{
    Annotation, Ast, Connection, Definition, Ignored, Key, LineStyle, Statement, StyleRef, Token,
};
use crate::syntax::js;
use crate::syntax::parser::{FlowParser, Rule};
use crate::syntax::pieces;
use crate::syntax::statement::StmtText;

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

/// Pieces of at least this many bytes are parsed on threads of their own
/// (a text shorter than two of them is parsed on the calling thread).
const PIECE: usize = 64 * 1024;

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
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
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
            let mut out = Vec::with_capacity(max_statements(&text[range.clone()]));
            statements_in(text, range, verbatim_from, |s| out.push(prepare(s)));
            out
        },
        |statements| statements.into_iter().for_each(&mut f),
    );
}

/// Parses the statements in `range` of `text`, which starts where a statement starts.
fn statements_in(
    text: &str,
    range: std::ops::Range<usize>,
    verbatim_from: usize,
    mut f: impl FnMut(Statement),
) {
    let mut pos = range.start;
    while pos < range.end {
        let input = &text[pos..range.end];
        // A batch of statements: (kind, start, end) relative to `input`.
        let batch = FlowParser::parse(Rule::statements, input)
            .ok()
            .and_then(|mut pairs| pairs.next())
            .map(|batch| {
                batch
                    .into_inner()
                    .map(|kind| {
                        let span = kind.as_span();
                        (kind.as_rule(), span.start(), span.end())
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let mut consumed = 0;
        for (rule, start, end) in batch {
            if end <= start {
                break;
            }
            f(lower(rule, &input[start..end], pos + start, verbatim_from));
            consumed = end;
        }
        if consumed == 0 {
            // The grammar is total and statements are never empty; fall back to
            // one ignored line rather than loop or panic.
            let len = floor_boundary(input, line_len(input).max(1));
            f(lower(Rule::ignored, &input[..len], pos, verbatim_from));
            consumed = len;
        }
        pos += consumed;
        // Skip the line feed that ends the statement.
        if text[pos..].starts_with('\n') {
            pos += 1;
        }
    }
}

/// One statement's values, from its text at source offset `at`.
fn lower(rule: Rule, raw: &str, at: usize, verbatim_from: usize) -> Statement {
    let stmt = StmtText::new(raw, at, verbatim_from);
    match rule {
        Rule::definition => Statement::Definition(definition(&stmt)),
        Rule::connection => Statement::Connection(connection(stmt)),
        Rule::line_style => Statement::LineStyle(line_style(&stmt)),
        _ => Statement::Ignored(Ignored {
            text: stmt.text.to_string(),
            span: stmt.span(0..stmt.text.len()),
        }),
    }
}

/// Where the last physical line of the trimmed text starts: its backslash-newlines stay verbatim.
fn last_line_start(text: &str, trimmed: std::ops::Range<usize>) -> usize {
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

fn definition(stmt: &StmtText<'_>) -> Definition {
    let t: &str = &stmt.text;
    let arrow = js::find(t, "=>").unwrap_or(t.len());
    let head = &t[..arrow];
    let body_start = (arrow + 2).min(t.len());
    let after = &t[body_start..];
    let (body_len, discarded) = match js::find(after, "=>") {
        Some(i) => (i, Some(stmt.span(body_start + i..t.len()))),
        None => (after.len(), None),
    };
    let body = &after[..body_len];

    let (key, key_end, params) = match js::paren_group(head) {
        Some(g) => {
            let mut key = Key::from(&head[..g.start]);
            key.push_str(&head[g.end..]);
            let mut params = Vec::new();
            for entry in head[g.start + 1..g.end - 1].split(',') {
                let parts: Vec<&str> = entry.split('=').collect();
                if let [name, value] = parts[..] {
                    js::set_property(&mut params, name, value.to_owned());
                }
            }
            js::js_property_order(&mut params);
            (key, g.start, params)
        }
        None => (Key::from(head), head.len(), Vec::new()),
    };

    // Type and text: split at the first ": ".
    let (mut kind, mut kind_len, mut text, text_start) = match js::find(body, ": ") {
        Some(i) => (&body[..i], i, Some(&body[i + 2..]), body_start + i + 2),
        None => (body, body.len(), None, body_start),
    };
    let mut callback = None;
    let mut link = None;
    let truthy = |t: Option<&str>| t.is_some_and(|t| !t.is_empty());
    if truthy(text) && text.is_some_and(|t| js::find(t, ":$").is_some()) {
        let (a, b) = split_first(text.unwrap_or_default(), ":$");
        text = Some(a);
        callback = Some(b.to_owned());
    } else if js::find(kind, ":$").is_some() {
        let (a, b) = split_first(kind, ":$");
        kind = a;
        kind_len = a.len();
        callback = Some(b.to_owned());
    } else if truthy(text) && text.is_some_and(|t| js::find(t, ":>").is_some()) {
        let (a, b) = split_first(text.unwrap_or_default(), ":>");
        text = Some(a);
        link = Some(b.to_owned());
    } else if js::find(kind, ":>").is_some() {
        let (a, b) = split_first(kind, ":>");
        kind = a;
        kind_len = a.len();
        link = Some(b.to_owned());
    }
    if let Some(nl) = js::find_byte(b'\n', kind.as_bytes()) {
        kind = &kind[..nl];
        kind_len = nl;
    }

    let mut target = None;
    if let Some(l) = link.as_deref().filter(|l| !l.is_empty()) {
        let open = js::index_of(l, "[") + 1;
        let close = js::index_of(l, "]");
        if close >= 0 {
            target = Some(l[js::substring(l, open, close)].to_owned());
            link = Some(l[js::substring(l, 0, open - 1)].to_owned());
        }
    }

    let mut flowstate = None;
    if let Some(t) = text.filter(|t| !t.is_empty()) {
        if let Some(bar) = memchr::memrchr(b'|', t.as_bytes()) {
            flowstate = Some(js::trim(&t[bar + 1..]).to_owned());
            text = Some(&t[..bar]);
        }
    }

    Definition {
        key,
        key_span: stmt.span(0..key_end),
        params,
        kind: Key::from(kind),
        kind_span: stmt.span(body_start..body_start + kind_len),
        text_span: text.map(|t| stmt.span(text_start..text_start + t.len())),
        text: text.map(str::to_owned),
        flowstate,
        link,
        target,
        callback,
        discarded,
        span: stmt.span(0..t.len()),
    }
}

fn split_first<'a>(s: &'a str, pat: &str) -> (&'a str, &'a str) {
    match js::find(s, pat) {
        Some(i) => (&s[..i], &s[i + pat.len()..]),
        None => (s, ""),
    }
}

/// flowchart.js's `getAnnotation`: an `@label` in the statement's first `(...)`.
fn annotation_of(t: &str) -> Option<(usize, String)> {
    let open = js::index_of(t, "(") + 1;
    let close = js::index_of(t, ")");
    let range = js::substring(t, open, close);
    let mut tmp = &t[range.clone()];
    if js::index_of(tmp, ",") > 0 {
        tmp = &tmp[..tmp.find(',').unwrap_or(tmp.len())];
    }
    let mut pieces = tmp.split('@');
    pieces.next();
    let label = pieces.next()?;
    if close < 0 || label.is_empty() {
        return None;
    }
    let at = memchr::memchr_iter(b'@', t.as_bytes())
        .find(|&i| t.get(i + 1..).is_some_and(|r| r.starts_with(label)))?;
    Some((at, label.to_owned()))
}

fn connection(mut stmt: StmtText<'_>) -> Connection {
    let span = stmt.span(0..stmt.text.len());
    let annotation = annotation_of(&stmt.text).map(|(at, text)| {
        let ann_span = stmt.span(at..at + 1 + text.len());
        stmt.remove(at..at + 1 + text.len());
        Annotation {
            text,
            span: ann_span,
        }
    });
    let t: &str = &stmt.text;
    let tokens = js::split(t, "->")
        .map(|(piece, range)| token(&stmt, piece, range))
        .collect();
    Connection {
        tokens,
        annotation,
        span,
    }
}

fn token(stmt: &StmtText<'_>, raw: &str, range: std::ops::Range<usize>) -> Token {
    // flowchart.js's `s.substring(s.indexOf('(') + 1, s.indexOf(')'))`, when there is a `)`.
    fn value(s: &str) -> Option<&str> {
        let open = js::index_of(s, "(") + 1;
        let close = js::index_of(s, ")");
        (close >= 0).then(|| &s[js::substring(s, open, close)])
    }
    // `(true)` / `(false)`: flowchart.js replaces the first `true`/`false` anywhere in the token.
    let mut tok = std::borrow::Cow::Borrowed(raw);
    let mut spec = value(raw);
    if matches!(spec, Some("true" | "false")) {
        tok = std::borrow::Cow::Owned(raw.replacen("true", "yes", 1).replacen("false", "no", 1));
        spec = value(&tok);
    }
    // flowchart.js builds `next` as `"next, " + v` when `v` has no comma and is not
    // `yes`/`no`, then splits it at commas: the branch, then the trimmed direction.
    let (branch, direction) = match spec {
        Some(v) if !v.contains(',') && v != "yes" && v != "no" => ("next", Some(js::trim(v))),
        Some(v) => match v.split_once(',') {
            Some((b, rest)) => (
                b,
                Some(js::trim(rest.split(',').next().unwrap_or_default())),
            ),
            None => (v, None),
        },
        None => ("next", None),
    };
    let (branch, direction) = (Key::from(branch), direction.map(Key::from));
    let key_len = if js::find_byte(b')', tok.as_bytes()).is_some() {
        let open = js::index_of(&tok, "(");
        js::substring(&tok, 0, open).end
    } else {
        tok.len()
    };
    let key = Key::from(&tok[..key_len]);
    // Spans refer to the written token; an aliased key keeps its written length where it can.
    let key_span = if raw.get(..key_len) == Some(key.as_str()) {
        stmt.span(range.start..range.start + key_len)
    } else {
        stmt.span(range.clone())
    };
    let spec_span = match (js::find(raw, "("), js::find(raw, ")")) {
        (Some(o), Some(c)) if o < c => Some(stmt.span(range.start + o..range.start + c + 1)),
        _ => None,
    };
    Token {
        key,
        key_span,
        branch,
        direction,
        spec_span,
        span: stmt.span(range),
    }
}

fn line_style(stmt: &StmtText<'_>) -> LineStyle {
    let t: &str = &stmt.text;
    let mut refs = Vec::new();
    for (piece, range) in js::split(t, "@>") {
        let open = js::index_of(piece, "(") + 1;
        let close = js::index_of(piece, ")");
        let key_len = if close >= 0 {
            js::substring(piece, 0, open - 1).end
        } else {
            piece.len()
        };
        let (style, style_range) = if close >= 0 {
            let r = js::substring(piece, open, close);
            (piece[r.clone()].to_owned(), r)
        } else {
            ("{}".to_owned(), piece.len()..piece.len())
        };
        refs.push(StyleRef {
            key: Key::from(&piece[..key_len]),
            key_span: stmt.span(range.start..range.start + key_len),
            style,
            style_span: stmt.span(range.start + style_range.start..range.start + style_range.end),
            span: stmt.span(range),
        });
    }
    LineStyle {
        refs,
        span: stmt.span(0..t.len()),
    }
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
                let name = match kind.as_rule() {
                    Rule::definition_parts => "definition",
                    Rule::connection_parts => "connection",
                    Rule::line_style_parts => "line_style",
                    _ => "ignored",
                };
                let s = kind.as_span();
                (name, range.start + s.start(), range.start + s.end())
            })
            .collect()
    }

    /// Kinds and raw extents of the statements, by the fast layer (`statements`).
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

    /// The statement extents before `StmtText`'s per-statement trim.
    fn raw_extents(text: &str) -> Vec<(&'static str, usize, usize)> {
        let range = js::trim_range(text);
        let mut out = Vec::new();
        let mut pos = range.start;
        while pos < range.end {
            let input = &text[pos..range.end];
            let Ok(mut pairs) = FlowParser::parse(Rule::statements, input) else {
                panic!("`statements` rejected {input:?}");
            };
            let mut end = 0;
            for kind in pairs
                .next()
                .into_iter()
                .flat_map(pest::iterators::Pair::into_inner)
            {
                let name = match kind.as_rule() {
                    Rule::definition => "definition",
                    Rule::connection => "connection",
                    Rule::line_style => "line_style",
                    _ => "ignored",
                };
                let s = kind.as_span();
                assert!(s.end() > s.start(), "empty statement in {text:?}");
                out.push((name, pos + s.start(), pos + s.end()));
                end = s.end();
            }
            pos += end;
            if text[pos..].starts_with('\n') {
                pos += 1;
            }
        }
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

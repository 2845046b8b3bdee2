//! Statements → [`Ast`], applying flowchart.js's string rules.
//!
//! Each statement's values are computed with exactly the `split`, `indexOf` and
//! `substring` calls flowchart.js makes (`src/flowchart.parse.js` in 1.18.0), so
//! odd inputs mean what they mean there. `parse.rs` finds the statements.

use crate::syntax::ast::{
    Annotation, Connection, Definition, Ignored, Key, LineStyle, Statement, StyleRef, Token,
};
use crate::syntax::js;
use crate::syntax::parser::Rule;
use crate::syntax::statement::StmtText;

/// One statement's values, from its text at source offset `at`.
pub(crate) fn lower(rule: Rule, raw: &str, at: usize, verbatim_from: usize) -> Statement {
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
    // The label follows an `@`: nearly no connection has one.
    js::find_byte(b'@', t.as_bytes())?;
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
    // Where a token's first `(` and first `)` are: every rule below is stated
    // with flowchart.js's `indexOf` of one of them, so each is searched once.
    fn parens(s: &str) -> (Option<usize>, Option<usize>) {
        (
            js::find_byte(b'(', s.as_bytes()),
            js::find_byte(b')', s.as_bytes()),
        )
    }
    // flowchart.js's `s.substring(s.indexOf('(') + 1, s.indexOf(')'))`, when there is a `)`.
    fn value(s: &str, (open, close): (Option<usize>, Option<usize>)) -> Option<&str> {
        let from = open.map_or(0, |o| o + 1);
        close.map(|c| &s[js::substring(s, js::to_index(from), js::to_index(c))])
    }
    let written = parens(raw);
    // `(true)` / `(false)`: flowchart.js replaces the first `true`/`false` anywhere in the token.
    let mut tok = std::borrow::Cow::Borrowed(raw);
    let mut at = written;
    let mut spec = value(raw, at);
    if matches!(spec, Some("true" | "false")) {
        tok = std::borrow::Cow::Owned(raw.replacen("true", "yes", 1).replacen("false", "no", 1));
        at = parens(&tok);
        spec = value(&tok, at);
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
    // With a `)`, the key is `substring(0, indexOf('('))` (all of it before a `)`
    // when there is no `(`: `substring(0, -1)` is empty).
    let key_len = match at {
        (open, Some(_)) => js::substring(&tok, 0, open.map_or(-1, js::to_index)).end,
        (_, None) => tok.len(),
    };
    let key = Key::from(&tok[..key_len]);
    // Spans refer to the written token; an aliased key keeps its written length where it can.
    let aliased = matches!(tok, std::borrow::Cow::Owned(_));
    let key_span = if !aliased || raw.get(..key_len) == Some(key.as_str()) {
        stmt.span(range.start..range.start + key_len)
    } else {
        stmt.span(range.clone())
    };
    let spec_span = match written {
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

//! Canonical flowchart.js text for one statement.
//!
//! Each statement is written from its meaning; when the canonical text would
//! not parse back to the same meaning (untrimmed keys, operators inside text,
//! odd specs), the statement's original text is kept instead.

use std::fmt::Write as _;

use crate::syntax::{Connection, Definition, LineStyle, Statement, parse};

/// The canonical text of a statement, or `None` when only the original text keeps its meaning.
pub(crate) fn statement(stmt: &Statement) -> Option<String> {
    let text = match stmt {
        Statement::Definition(d) => definition(d),
        Statement::Connection(c) => connection(c),
        Statement::LineStyle(l) => line_style(l),
        Statement::Ignored(_) => return None,
    };
    same_meaning(stmt, &text).then_some(text)
}

/// The canonical text of a definition (`key(params)=>type: text|flowstate:>link[target]`).
pub(crate) fn definition(d: &Definition) -> String {
    let mut s = d.key.to_string();
    if !d.params.is_empty() {
        let params: Vec<String> = d.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        s.push('(');
        s.push_str(&params.join(","));
        s.push(')');
    }
    s.push_str("=>");
    s.push_str(&d.kind);
    if let Some(text) = &d.text {
        s.push_str(": ");
        s.push_str(text);
        if let Some(state) = &d.flowstate {
            s.push('|');
            s.push_str(state);
        }
    }
    if let Some(cb) = &d.callback {
        s.push_str(":$");
        s.push_str(cb);
    } else if let Some(link) = &d.link {
        s.push_str(":>");
        s.push_str(link);
        if let Some(t) = &d.target {
            s.push('[');
            s.push_str(t);
            s.push(']');
        }
    }
    s
}

fn connection(c: &Connection) -> String {
    let last = c.tokens.len().saturating_sub(1);
    let mut parts = Vec::with_capacity(c.tokens.len());
    for (i, t) in c.tokens.iter().enumerate() {
        let mut s = t.key.to_string();
        if i < last {
            let ann = match (&c.annotation, i) {
                (Some(a), 0) => format!("@{}", a.text),
                _ => String::new(),
            };
            match (t.branch.as_str(), t.direction.as_deref()) {
                ("next", None) if ann.is_empty() => {}
                ("next", Some(d)) if ann.is_empty() => {
                    let _ = write!(s, "({d})");
                }
                (b, None) => {
                    let _ = write!(s, "({b}{ann})");
                }
                (b, Some(d)) => {
                    let _ = write!(s, "({b}{ann}, {d})");
                }
            }
        }
        parts.push(s);
    }
    parts.join("->")
}

fn line_style(l: &LineStyle) -> String {
    l.refs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if i == 0 {
                r.key.to_string()
            } else {
                format!("{}({})", r.key, r.style)
            }
        })
        .collect::<Vec<_>>()
        .join("@>")
}

/// Whether `text` parses to one statement meaning the same as `stmt`.
fn same_meaning(stmt: &Statement, text: &str) -> bool {
    let ast = parse(text);
    let [again] = ast.statements.as_slice() else {
        return false;
    };
    match (stmt, again) {
        (Statement::Definition(a), Statement::Definition(b)) => {
            (
                &a.key,
                &a.params,
                &a.kind,
                &a.text,
                &a.flowstate,
                &a.link,
                &a.target,
                &a.callback,
            ) == (
                &b.key,
                &b.params,
                &b.kind,
                &b.text,
                &b.flowstate,
                &b.link,
                &b.target,
                &b.callback,
            )
        }
        (Statement::Connection(a), Statement::Connection(b)) => {
            let toks = |c: &Connection| {
                let last = c.tokens.len().saturating_sub(1);
                c.tokens
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        if i < last {
                            (
                                t.key.to_string(),
                                t.branch.to_string(),
                                t.direction.as_deref().map(str::to_owned),
                            )
                        } else {
                            (t.key.to_string(), String::new(), None)
                        }
                    })
                    .collect::<Vec<_>>()
            };
            toks(a) == toks(b)
                && a.annotation.as_ref().map(|x| &x.text) == b.annotation.as_ref().map(|x| &x.text)
        }
        (Statement::LineStyle(a), Statement::LineStyle(b)) => {
            let refs = |l: &LineStyle| {
                l.refs
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        (
                            r.key.to_string(),
                            if i == 0 {
                                String::new()
                            } else {
                                r.style.clone()
                            },
                        )
                    })
                    .collect::<Vec<_>>()
            };
            refs(a) == refs(b)
        }
        _ => false,
    }
}

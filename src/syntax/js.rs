//! JavaScript string semantics that flowchart.js relies on.
//!
//! flowchart.js's meaning is defined by `String.prototype` calls (`trim`,
//! `indexOf`, `substring`, `split`, a `/\(.*\)/` regex). These helpers
//! reproduce them on UTF-8 byte offsets. Every index they compare comes from
//! an ASCII character, so byte offsets order exactly like JS's UTF-16 ones.

use std::ops::Range;

/// `true` for the characters JS `String.prototype.trim` removes
/// (`WhiteSpace` and `LineTerminator`: includes U+FEFF, excludes U+0085).
pub(crate) fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{a}' | '\u{b}' | '\u{c}' | '\u{d}' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// The byte range JS `trim()` keeps.
pub(crate) fn trim_range(s: &str) -> Range<usize> {
    let start = s.len() - s.trim_start_matches(is_js_space).len();
    let end = s.trim_end_matches(is_js_space).len().max(start);
    start..end
}

/// JS `trim()`.
pub(crate) fn trim(s: &str) -> &str {
    &s[trim_range(s)]
}

/// JS `s.substring(a, b)` for byte offsets that are `-1` (a failed `indexOf`)
/// or char boundaries: negative arguments clamp to 0, and swapped ones are swapped back.
pub(crate) fn substring(s: &str, a: isize, b: isize) -> Range<usize> {
    let clamp = |x: isize| usize::try_from(x).unwrap_or(0).min(s.len());
    let (a, b) = (clamp(a), clamp(b));
    if a <= b { a..b } else { b..a }
}

/// JS `indexOf` as an `isize` (`-1` when absent).
pub(crate) fn index_of(s: &str, pat: &str) -> isize {
    find(s, pat).map_or(-1, to_index)
}

/// A byte offset as the index JavaScript's string functions take.
pub(crate) fn to_index(i: usize) -> isize {
    isize::try_from(i).unwrap_or(isize::MAX)
}

/// `s.find(pat)` for the short patterns flowchart.js looks for (`=>`, `(`, ...):
/// a `memchr` for the first byte, then a comparison, with no searcher to set up
/// (statements are short, so setting one up costs more than the search).
///
/// A match of valid UTF-8 in valid UTF-8 always starts on a char boundary, so
/// this is exactly `str::find`.
pub(crate) fn find(s: &str, pat: &str) -> Option<usize> {
    let (hay, pat) = (s.as_bytes(), pat.as_bytes());
    let Some((&first, rest)) = pat.split_first() else {
        return Some(0);
    };
    let mut from = 0;
    while let Some(i) = hay.get(from..).and_then(|h| find_byte(first, h)) {
        let at = from + i;
        // Byte by byte: the rest of the pattern is a byte or two, too short for `memcmp`.
        let after = hay.get(at + 1..).unwrap_or_default();
        if after.len() >= rest.len() && after.iter().zip(rest).all(|(a, b)| a == b) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// `memchr`, with a plain loop for short haystacks (most statements' pieces),
/// where setting up the vector search costs more than it saves.
pub(crate) fn find_byte(b: u8, hay: &[u8]) -> Option<usize> {
    if hay.len() < 32 {
        hay.iter().position(|&c| c == b)
    } else {
        memchr::memchr(b, hay)
    }
}

/// `s.split(pat)` with [`find`]: the pieces and their byte ranges.
pub(crate) fn split<'a, 'p>(
    s: &'a str,
    pat: &'p str,
) -> impl Iterator<Item = (&'a str, Range<usize>)> + use<'a, 'p> {
    let mut from = Some(0);
    std::iter::from_fn(move || {
        let start = from?;
        let rest = s.get(start..)?;
        if let Some(i) = find(rest, pat).filter(|_| !pat.is_empty()) {
            from = Some(start + i + pat.len());
            Some((&rest[..i], start..start + i))
        } else {
            from = None;
            Some((rest, start..s.len()))
        }
    })
}

/// The match of the JS regex `/\(.*\)/` (leftmost, greedy; `.` stops at line terminators).
pub(crate) fn paren_group(s: &str) -> Option<Range<usize>> {
    let mut from = 0;
    while let Some(rel) = find_byte(b'(', &s.as_bytes()[from..]) {
        let open = from + rel;
        let line = &s[open + 1..];
        let stop = line
            .find(['\n', '\r', '\u{2028}', '\u{2029}'])
            .unwrap_or(line.len());
        if let Some(close) = line[..stop].rfind(')') {
            return Some(open..open + 1 + close + 1);
        }
        from = open + 1;
    }
    None
}

/// Whether `s` is a canonical JS array index (`"0"`, `"17"`, not `"01"`):
/// such property names come first, in numeric order, in a JS object.
pub(crate) fn is_array_index(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !s.starts_with('0'))
        && s.parse::<u64>().is_ok_and(|n| n < u64::from(u32::MAX))
}

/// Sorts `(name, _)` pairs into JS property order, given they are in insertion order.
pub(crate) fn js_property_order<K: AsRef<str>, T>(props: &mut [(K, T)]) {
    // Nearly always there is no array index, and insertion order is the order.
    if !props.iter().any(|(k, _)| is_array_index(k.as_ref())) {
        return;
    }
    props.sort_by(|(a, _), (b, _)| {
        let (a, b) = (a.as_ref(), b.as_ref());
        match (is_array_index(a), is_array_index(b)) {
            (true, true) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (true, false) => std::cmp::Ordering::Less,
            (false, true) => std::cmp::Ordering::Greater,
            (false, false) => std::cmp::Ordering::Equal,
        }
    });
}

/// Inserts into an insertion-ordered property list; a repeated name keeps its place.
pub(crate) fn set_property<T>(props: &mut Vec<(String, T)>, name: &str, value: T) {
    if let Some(slot) = props.iter_mut().find(|(k, _)| k == name) {
        slot.1 = value;
    } else {
        props.push((name.to_owned(), value));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn trim_is_js_trim() {
        assert_eq!(trim("\u{feff} a \u{85}"), "a \u{85}");
        assert_eq!(trim(" \t\r\n"), "");
    }

    #[test]
    fn substring_swaps_and_clamps() {
        assert_eq!(substring("abcdef", 4, 1), 1..4);
        assert_eq!(substring("abcdef", 3, -1), 0..3);
    }

    #[test]
    fn paren_group_is_greedy_within_a_line() {
        assert_eq!(paren_group("a(b)c)d"), Some(1..6));
        assert_eq!(paren_group("a(b\n)c(d)"), Some(6..9));
        assert_eq!(paren_group("a(b"), None);
    }

    #[test]
    fn find_and_split_are_str_find_and_split() {
        for (s, pat) in [
            ("a=>b=>c", "=>"),
            ("a-->b->", "->"),
            ("é(x)->ü", "->"),
            ("", "->"),
            ("->", "->"),
            ("a=b", "="),
            ("x: y: z", ": "),
        ] {
            assert_eq!(find(s, pat), s.find(pat), "{s:?} {pat:?}");
            let pieces: Vec<&str> = split(s, pat).map(|(p, _)| p).collect();
            assert_eq!(pieces, s.split(pat).collect::<Vec<_>>(), "{s:?} {pat:?}");
            for (p, r) in split(s, pat) {
                assert_eq!(&s[r], p);
            }
        }
    }

    #[test]
    fn property_order() {
        let mut v = vec![
            ("b".to_owned(), 1),
            ("10".to_owned(), 2),
            ("2".to_owned(), 3),
        ];
        js_property_order(&mut v);
        let names: Vec<_> = v.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["2", "10", "b"]);
    }
}

//! A large text cut into pieces that parse on their own, and parsed on several threads.
//!
//! A line that has an operator (`->`, `=>`, `@>`) before its first line feed is never
//! a continuation line (see `continuation` in `grammar/flow.pest`), so when the line
//! feed before it is not joined by a backslash, a statement starts there whatever
//! came before. Cut there, each piece parses to exactly the statements the whole
//! text has in that range: the statement before the cut ends at the cut either way,
//! because the line after it is not a continuation.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// Cuts `range` of `text` into pieces of at least `size` bytes (the last may be
/// shorter), each starting where a statement starts. The line feed between two
/// pieces belongs to neither.
pub(crate) fn cut(text: &str, range: Range<usize>, size: usize) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut start = range.start;
    let mut at = start.saturating_add(size.max(1));
    while at < range.end {
        let Some(feed) = memchr::memchr(b'\n', &bytes[at..range.end]).map(|i| at + i) else {
            break;
        };
        if feed > start && bytes[feed - 1] != b'\\' && has_operator(&bytes[feed + 1..range.end]) {
            pieces.push(start..feed);
            start = feed + 1;
            at = start.saturating_add(size.max(1));
        } else {
            at = feed + 1;
        }
    }
    pieces.push(start..range.end);
    pieces
}

/// Whether the text's first physical line (up to its first line feed) has an operator.
fn has_operator(line: &[u8]) -> bool {
    let line = &line[..memchr::memchr(b'\n', line).unwrap_or(line.len())];
    memchr::memchr_iter(b'>', line).any(|i| i > 0 && matches!(line[i - 1], b'-' | b'=' | b'@'))
}

/// Runs `work` on every piece on `threads` threads (the calling thread is one of
/// them), and hands the results to `each` on the calling thread, in the pieces'
/// order, as soon as each is next in line.
///
/// The calling thread works on a piece itself only while the next result in line
/// is not ready, and the other threads wait while `threads` results are queued,
/// so only a few pieces' results exist at a time and no core sits idle.
pub(crate) fn in_order<T: Send>(
    pieces: &[Range<usize>],
    threads: usize,
    work: impl Fn(Range<usize>) -> T + Sync,
    mut each: impl FnMut(T),
) {
    let next = AtomicUsize::new(0);
    let (done, results) = mpsc::sync_channel::<(usize, T)>(threads);
    std::thread::scope(|scope| {
        for _ in 1..threads {
            let (done, next, work) = (done.clone(), &next, &work);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(piece) = pieces.get(i) else { break };
                    // The receiver is gone only when the caller stopped early.
                    if done.send((i, work(piece.clone()))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        let mut waiting = BTreeMap::new();
        let mut want = 0;
        while want < pieces.len() {
            waiting.extend(results.try_iter());
            if let Some(result) = waiting.remove(&want) {
                each(result);
                want += 1;
                continue;
            }
            let i = next.fetch_add(1, Ordering::Relaxed);
            match pieces.get(i) {
                Some(piece) => {
                    waiting.insert(i, work(piece.clone()));
                }
                None => match results.recv() {
                    Ok((i, result)) => {
                        waiting.insert(i, result);
                    }
                    // Every worker has stopped (one panicked: the scope re-raises it).
                    Err(_) => break,
                },
            }
        }
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn cuts_before_operator_lines_only() {
        let text = "a=>start: x\nmore text\nb=>end\na->b\\\nc->d\ne->f";
        let pieces = cut(text, 0..text.len(), 1);
        let got: Vec<&str> = pieces.iter().map(|r| &text[r.clone()]).collect();
        // Not before `more text` (a continuation), not after `b\` (a joined line feed).
        assert_eq!(
            got,
            ["a=>start: x\nmore text", "b=>end", "a->b\\\nc->d", "e->f"]
        );
    }

    #[test]
    fn one_piece_when_small() {
        let text = "a->b\nb->c";
        assert_eq!(cut(text, 0..text.len(), 100), vec![(0..text.len())]);
    }

    #[test]
    fn results_come_in_order() {
        let pieces: Vec<Range<usize>> = (0..50).map(|i| i..i + 1).collect();
        let mut got = Vec::new();
        in_order(&pieces, 3, |r| r.start * 2, |x| got.push(x));
        assert_eq!(got, (0..50).map(|i| i * 2).collect::<Vec<_>>());
    }
}

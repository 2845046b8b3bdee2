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
use std::sync::{Condvar, Mutex, mpsc};

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
/// is not ready. No piece more than [`window`] pieces ahead of the next one in
/// line is started, so when `each` is the slower side (a large flow on many
/// cores), the other threads wait instead of holding the whole flow's results.
pub(crate) fn in_order<T: Send>(
    pieces: &[Range<usize>],
    threads: usize,
    work: impl Fn(Range<usize>) -> T + Sync,
    mut each: impl FnMut(T),
) {
    let window = window(threads);
    let next = AtomicUsize::new(0);
    let turn = Turn::default();
    // Unbounded: the window already bounds the results made and not handed on,
    // and a thread must not wait to send while the caller works on a piece.
    let (done, results) = mpsc::channel::<(usize, T)>();
    std::thread::scope(|scope| {
        for _ in 1..threads {
            let (done, next, work, turn) = (done.clone(), &next, &work, &turn);
            crate::threads::spawn(scope, move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(piece) = pieces.get(i) else { break };
                    // Piece `i` starts once `i < handed on + window`; a thread
                    // that has to wait sleeps until half the window is free, so
                    // it is woken once per half window, not once per piece.
                    // Stops when the caller stopped early (its `each` panicked).
                    let start = (i + 1).saturating_sub(window);
                    let resume = (i + 1).saturating_sub(window / 2);
                    if !turn.wait_for(start, resume) || done.send((i, work(piece.clone()))).is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(done);
        // If `each` panics, the threads must stop before the scope joins them:
        // the receiver is dropped (sending fails) and the waiting ones are told.
        let results = results;
        let _stop = turn.stop_on_drop();
        let mut waiting = BTreeMap::new();
        let mut want = 0;
        while want < pieces.len() {
            waiting.extend(results.try_iter());
            if let Some(result) = waiting.remove(&want) {
                each(result);
                want += 1;
                turn.advance(want);
                continue;
            }
            // Not ready: work on a piece here, if one within the window is left.
            let claim = next.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |i| {
                (i < pieces.len() && i < want + window).then_some(i + 1)
            });
            match claim.ok().and_then(|i| Some((i, pieces.get(i)?))) {
                Some((i, piece)) => {
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

/// How far ahead of the next piece in line a piece may be started. Wide: the
/// calling thread works on pieces too, and while it does, `each` waits and the
/// other threads should not. Not wider: results handed on soon after they are
/// made are still in cache, and take less fresh memory (at 10k nodes in 4 KB
/// pieces, 150 runs each: median 20.9 ms with 16 pieces, 21.9 with 32, 23.7 with 64).
fn window(threads: usize) -> usize {
    (4 * threads).max(16)
}

/// How many results the calling thread has handed on, for the threads that wait
/// to start a piece too far ahead.
#[derive(Default)]
struct Turn {
    state: Mutex<TurnState>,
    changed: Condvar,
}

#[derive(Default)]
struct TurnState {
    handed_on: usize,
    stopped: bool,
    /// The smallest count a waiting thread waits for; `None` while none waits.
    wake_at: Option<usize>,
}

impl Turn {
    /// Returns at once if `start` results have been handed on; otherwise waits
    /// until `resume` (at least `start`) have been. False if the caller stopped first.
    fn wait_for(&self, start: usize, resume: usize) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        if state.handed_on >= start {
            return !state.stopped;
        }
        while state.handed_on < resume && !state.stopped {
            state.wake_at = Some(state.wake_at.map_or(resume, |w| w.min(resume)));
            state = match self.changed.wait(state) {
                Ok(state) => state,
                Err(_) => return false,
            };
        }
        !state.stopped
    }

    /// Counts a result handed on; wakes the waiting threads once one of them can go on.
    /// (A condvar's notify is a system call even when nobody waits: with one
    /// result a piece, that was a call per few KB of text.)
    fn advance(&self, handed_on: usize) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        state.handed_on = handed_on;
        if state.wake_at.is_some_and(|w| handed_on >= w) {
            state.wake_at = None;
            drop(state);
            self.changed.notify_all();
        }
    }

    fn stop_on_drop(&self) -> impl Drop + '_ {
        struct Stop<'a>(&'a Turn);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                if let Ok(mut state) = self.0.state.lock() {
                    state.stopped = true;
                }
                self.0.changed.notify_all();
            }
        }
        Stop(self)
    }
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
    fn workers_stay_within_the_window_when_each_is_slow() {
        use std::sync::atomic::AtomicUsize;
        // Many more pieces than the window, so a run without it would go far past it.
        let n = 8 * window(3);
        let pieces: Vec<Range<usize>> = (0..n).map(|i| i..i + 1).collect();
        let (alive, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let mut got = Vec::new();
        in_order(
            &pieces,
            3,
            |r| {
                let now = alive.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                r.start
            },
            |x| {
                std::thread::sleep(std::time::Duration::from_millis(1));
                alive.fetch_sub(1, Ordering::SeqCst);
                got.push(x);
            },
        );
        assert_eq!(got, (0..n).collect::<Vec<_>>());
        // At most the window of results made and not yet handed on.
        assert!(most.load(Ordering::SeqCst) <= window(3), "{most:?}");
    }

    #[test]
    fn a_waiting_thread_sleeps_until_resume() {
        let turn = Turn::default();
        let resumed = std::sync::atomic::AtomicBool::new(false);
        // Asserted after the scope, which the waiting thread must leave first.
        let (waits_for, early) = std::thread::scope(|scope| {
            scope.spawn(|| {
                assert!(turn.wait_for(5, 8));
                resumed.store(true, Ordering::SeqCst);
            });
            // Once it waits (for `resume`, not `start`), reaching `start` alone does not let it go.
            let waits_for = loop {
                if let Some(at) = turn.state.lock().unwrap().wake_at {
                    break at;
                }
                std::thread::yield_now();
            };
            turn.advance(5);
            std::thread::sleep(std::time::Duration::from_millis(20));
            let early = resumed.load(Ordering::SeqCst);
            turn.advance(waits_for.max(8));
            (waits_for, early)
        });
        assert_eq!(waits_for, 8);
        assert!(!early);
        assert!(resumed.load(Ordering::SeqCst));
        // Already at `start`: no wait at all.
        assert!(turn.wait_for(8, 100));
    }

    #[test]
    fn a_panic_in_each_stops_the_workers() {
        let pieces: Vec<Range<usize>> = (0..40).map(|i| i..i + 1).collect();
        let outcome = std::panic::catch_unwind(|| {
            in_order(&pieces, 3, |r| r.start, |x| assert!(x < 5, "stop"));
        });
        assert!(outcome.is_err());
    }

    #[test]
    fn results_come_in_order() {
        let pieces: Vec<Range<usize>> = (0..50).map(|i| i..i + 1).collect();
        let mut got = Vec::new();
        in_order(&pieces, 3, |r| r.start * 2, |x| got.push(x));
        assert_eq!(got, (0..50).map(|i| i * 2).collect::<Vec<_>>());
    }
}

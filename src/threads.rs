//! Threads that start on another core than the thread that spawns them.
//!
//! Linux often puts a new thread on its parent's core, even with another core
//! idle. There it waits until the parent's time slice ends or load balancing
//! moves it, which can take a scheduler tick (4 ms at 250 Hz): on a 2-core VM,
//! the parsing thread of a 10k-node check started 0.2 to 3.9 ms after it was
//! spawned (30 runs), while its parent parsed alone. [`spawn`] lets the new
//! thread run at once and step off its parent's core, which it then keeps
//! running on.

use std::thread::{Scope, ScopedJoinHandle};

/// `scope.spawn(f)`, where `f` starts on another core than the caller's
/// whenever the caller may use more than one.
pub(crate) fn spawn<'scope, T: Send + 'scope>(
    scope: &'scope Scope<'scope, '_>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> ScopedJoinHandle<'scope, T> {
    let home = cpu::current();
    let handle = scope.spawn(move || {
        if let Some(home) = home {
            cpu::leave(home);
        }
        f()
    });
    // If the new thread was put on this core, it runs now and moves away; if
    // not, this returns at once.
    std::thread::yield_now();
    handle
}

/// The thread's result; its panic, if it panicked, goes on in the caller.
pub(crate) fn join<T>(handle: ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(target_os = "linux")]
mod cpu {
    use nix::sched::{CpuSet, sched_getaffinity, sched_getcpu, sched_setaffinity};
    use nix::unistd::Pid;

    /// The core the calling thread runs on.
    pub(super) fn current() -> Option<usize> {
        sched_getcpu().ok()
    }

    /// Moves the calling thread off `home` if it is there and may run elsewhere,
    /// then lets it run anywhere it could before. Returns the core it moved to.
    pub(super) fn leave(home: usize) -> Option<usize> {
        let me = Pid::from_raw(0);
        if current()? != home {
            return None;
        }
        let allowed = sched_getaffinity(me).ok()?;
        let mut elsewhere = allowed;
        elsewhere.unset(home).ok()?;
        if !(0..CpuSet::count()).any(|c| elsewhere.is_set(c).unwrap_or(false)) {
            return None;
        }
        // Allowed only elsewhere, the kernel moves the thread before this returns.
        sched_setaffinity(me, &elsewhere).ok()?;
        let moved = current();
        // Best effort: if this fails, the thread just stays off `home`.
        let _ = sched_setaffinity(me, &allowed);
        moved
    }
}

#[cfg(not(target_os = "linux"))]
mod cpu {
    pub(super) fn current() -> Option<usize> {
        None
    }

    pub(super) fn leave(_: usize) -> Option<usize> {
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::{cpu, join, spawn};

    #[test]
    fn spawned_threads_run_and_hand_back_their_result() {
        let words = ["a", "b", "c"];
        let joined = std::thread::scope(|scope| {
            let handles: Vec<_> = words
                .iter()
                .map(|w| spawn(scope, move || w.repeat(2)))
                .collect();
            handles.into_iter().map(join).collect::<Vec<_>>()
        });
        assert_eq!(joined, ["aa", "bb", "cc"]);
    }

    #[test]
    fn a_panic_in_the_thread_goes_on_in_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            std::thread::scope(|scope| join(spawn(scope, || -> u8 { panic!("in the thread") })))
        });
        let payload = caught.expect_err("the caller panics too");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"in the thread"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn leaving_a_core_moves_off_it_and_keeps_the_allowed_cores() {
        use nix::sched::{CpuSet, sched_getaffinity};
        use nix::unistd::Pid;
        let me = Pid::from_raw(0);
        let before = sched_getaffinity(me).unwrap();
        let allowed: Vec<usize> = (0..CpuSet::count())
            .filter(|&c| before.is_set(c).unwrap())
            .collect();
        // The scheduler may move this thread between `current` and `leave`'s own
        // look (then `leave` has nothing to do): a few tries.
        let (home, moved) = (0..100)
            .map(|_| {
                let home = cpu::current().unwrap();
                (home, cpu::leave(home))
            })
            .find(|(_, moved)| moved.is_some())
            .unwrap_or((usize::MAX, None));
        if allowed.len() > 1 {
            let moved = moved.expect("another core is allowed");
            assert_ne!(moved, home);
            assert!(allowed.contains(&moved));
        } else {
            assert_eq!(moved, None, "no other core to go to");
        }
        let after = sched_getaffinity(me).unwrap();
        assert!(
            (0..CpuSet::count()).all(|c| after.is_set(c).unwrap() == before.is_set(c).unwrap())
        );
        // Not on `home`: nothing to do.
        assert_eq!(cpu::leave(usize::MAX), None);
    }
}

//! Whether the process's fresh memory comes in huge pages: not for small inputs.
//!
//! mimalloc asks Linux for transparent huge pages for all its memory
//! (`MADV_HUGEPAGE`), so the first write anywhere in 2 MB of it has the kernel
//! zero all 2 MB. That pays off for a large flow and not for the small ones most
//! commands read, which then zero far more memory than they use. Measured on the
//! 2-core VM (median of 60-300 alternated runs, against the same code without
//! this): `check workflows/prod-deployment.md` 2.16 -> 1.70 ms, a 1k-node flow
//! (70 KB) 4.06 -> 3.02 ms, 10k nodes (735 KB) alike. With huge pages off for
//! every size, 3k nodes (210 KB) gained 0.5 ms, 5k 0.2 ms, 7k (510 KB) nothing,
//! and from 30k nodes (2.3 MB: 31.9 against 33.9 ms) they lost.
//!
//! So the process starts with them off ([`start_small`]) and turns them back on,
//! as it found them, for a text of [`LARGE`] bytes or more ([`fit`]) and before it
//! starts other programs, which would inherit the setting ([`restore`]).

#[cfg(target_os = "linux")]
use std::sync::atomic::{AtomicBool, Ordering};

/// From this many bytes of flow text, huge pages are faster.
pub(crate) const LARGE: usize = 512 << 10;

/// Whether [`start_small`] turned huge pages off (and [`restore`] has not turned them on).
#[cfg(target_os = "linux")]
static TURNED_OFF: AtomicBool = AtomicBool::new(false);

/// Turns huge pages off for this process, unless they already are (a parent's
/// setting, which is then kept).
pub(crate) fn start_small() {
    #[cfg(target_os = "linux")]
    {
        use nix::sys::prctl;
        if prctl::get_thp_disable() == Ok(false) && prctl::set_thp_disable(true).is_ok() {
            TURNED_OFF.store(true, Ordering::Relaxed);
        }
    }
}

/// Huge pages as the process found them, for a text of `len` bytes from [`LARGE`] on.
pub(crate) fn fit(len: usize) {
    if len >= LARGE {
        restore();
    }
}

/// Huge pages as the process found them.
pub(crate) fn restore() {
    #[cfg(target_os = "linux")]
    if TURNED_OFF.swap(false, Ordering::Relaxed) {
        // On failure they stay off: only slower, for large flows.
        let _ = nix::sys::prctl::set_thp_disable(false);
    }
}

/// Whether huge pages are off for this process now.
#[cfg(all(test, target_os = "linux"))]
pub(crate) fn off() -> bool {
    nix::sys::prctl::get_thp_disable() == Ok(true)
}

#[cfg(all(test, target_os = "linux"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    // The only test that changes the setting (it is the whole process's).
    #[test]
    fn off_for_small_texts_as_found_for_large_ones() {
        let found = off();
        start_small();
        assert!(off());
        fit(LARGE - 1);
        assert!(off(), "a text under LARGE keeps small pages");
        fit(LARGE);
        assert_eq!(off(), found, "a large text gets them back as found");
        // Found off (inherited): kept off, whatever comes.
        nix::sys::prctl::set_thp_disable(true).unwrap();
        start_small();
        fit(LARGE);
        restore();
        assert!(off(), "a parent's setting is kept");
        nix::sys::prctl::set_thp_disable(found).unwrap();
    }
}

//! Whether the process's fresh memory comes in huge pages: not for small inputs.
//!
//! mimalloc asks Linux for transparent huge pages for all its memory
//! (`MADV_HUGEPAGE`), so the first write anywhere in 2 MB of it has the kernel
//! zero all 2 MB. That pays off for a large flow and not for the small ones most
//! commands read, which then zero far more memory than they use. Measured on the
//! 2-core VM (medians of 100-300 alternated runs, against the same code without
//! this): `check workflows/prod-deployment.md` 2.35 -> 2.07 ms, a 1k-node flow
//! (70 KB) 4.17 -> 3.43 ms, 10k nodes (735 KB, huge pages throughout) within
//! 0.2 ms. With huge pages off for every size, 3k nodes (210 KB) gained 0.5 ms,
//! 5k 0.2 ms, 7k (510 KB) nothing, and from 30k nodes (2.3 MB: 31.9 against
//! 33.9 ms) they lost.
//!
//! So the process starts with them off ([`start_small`]), unless a file named on
//! its command line has [`LARGE`] bytes or more, and turns them back on, as it
//! found them, for such a text found otherwise (stdin, a directory: [`fit`]) and
//! before it starts other programs, which would inherit the setting ([`restore`]).

#[cfg(target_os = "linux")]
use std::sync::atomic::{AtomicBool, Ordering};

/// From this many bytes of flow text, huge pages are faster.
pub(crate) const LARGE: usize = 512 << 10;

/// Whether [`start_small`] turned huge pages off (and [`restore`] has not turned them on).
#[cfg(target_os = "linux")]
static TURNED_OFF: AtomicBool = AtomicBool::new(false);

/// Turns huge pages off for this process, unless they already are (a parent's
/// setting, which is then kept) or a file named on the command line is large.
///
/// To be called before anything is allocated, since 2 MB of memory partly paged
/// in small pages stays so: a 10k-node check that started small and
/// turned huge pages on when it read its file took 0.35-0.4 ms longer (medians
/// of 200-300 alternated runs) than one with huge pages throughout.
pub(crate) fn start_small() {
    #[cfg(target_os = "linux")]
    {
        use nix::sys::prctl;
        if !names_large_file()
            && prctl::get_thp_disable() == Ok(false)
            && prctl::set_thp_disable(true).is_ok()
        {
            TURNED_OFF.store(true, Ordering::Relaxed);
        }
    }
}

/// Whether an argument of this process names a file of [`LARGE`] bytes or more.
///
/// The arguments are read from `/proc/self/cmdline` into the stack, since
/// `std::env::args_os` would allocate; a path too long for std's stack buffer
/// (384 bytes) allocates, which only costs that run some speed.
#[cfg(target_os = "linux")]
fn names_large_file() -> bool {
    use std::io::Read;
    let mut buf = [0u8; 4096];
    let Ok(mut cmdline) = std::fs::File::open("/proc/self/cmdline") else {
        return false;
    };
    let mut len = 0;
    while len < buf.len() {
        match cmdline.read(&mut buf[len..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => len += n,
        }
    }
    any_large_file(&buf[..len])
}

/// Whether an argument after the program's name in `cmdline` (arguments ended
/// by NUL bytes) names a file of [`LARGE`] bytes or more.
#[cfg(target_os = "linux")]
fn any_large_file(cmdline: &[u8]) -> bool {
    use std::os::unix::ffi::OsStrExt;
    cmdline.split(|&b| b == 0).skip(1).any(|arg| {
        !arg.is_empty()
            && std::fs::metadata(std::ffi::OsStr::from_bytes(arg))
                .is_ok_and(|m| m.is_file() && m.len() >= LARGE as u64)
    })
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

    #[test]
    fn a_large_file_is_told_from_its_arguments() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let (small, large) = (dir.path().join("small.flow"), dir.path().join("large.flow"));
        std::fs::File::create(&small)
            .unwrap()
            .set_len(LARGE as u64 - 1)
            .unwrap();
        std::fs::File::create(&large)
            .unwrap()
            .set_len(LARGE as u64)
            .unwrap();
        let cmdline = |args: &[&[u8]]| {
            let mut c = b"flowrun\0check\0".to_vec();
            for a in args {
                c.extend_from_slice(a);
                c.push(0);
            }
            c
        };
        let (small, large) = (small.as_os_str().as_bytes(), large.as_os_str().as_bytes());
        let dir = dir.path().as_os_str().as_bytes();
        assert!(!any_large_file(&cmdline(&[small])));
        assert!(
            !any_large_file(&cmdline(&[dir])),
            "a directory is not a file"
        );
        assert!(!any_large_file(&cmdline(&[b"", b"-", b"no/such/file"])));
        assert!(any_large_file(&cmdline(&[small, large])));
        // The program's own name is not an argument.
        let mut own = large.to_vec();
        own.push(0);
        assert!(!any_large_file(&own));
    }
}

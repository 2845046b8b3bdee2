//! Reading a flow file into memory.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Files at least this large are read by two threads at once.
///
/// Fresh memory is slow to page in on a VM (the kernel zeroes each page on its
/// first write), and reading a large file is mostly that: the thread that
/// copies a page in pays for it. Two threads reading one half each halve the
/// wait before parsing starts: for 80 MB, 29-31 ms -> 16-20 ms (strace), and
/// about 170 ms -> 85 ms when first writes are slow.
const SPLIT: usize = 8 << 20;

/// The whole content of the file at `path`.
pub(crate) fn read(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = File::open(path)?;
    let len = file
        .metadata()
        .ok()
        .and_then(|m| usize::try_from(m.len()).ok())
        .unwrap_or(0);
    // Before any of it is read into memory.
    crate::pages::fit(len);
    if len >= SPLIT {
        if let Some(bytes) = read_halves(&file, len) {
            return Ok(bytes);
        }
    }
    let mut bytes = Vec::with_capacity(len);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The file's content when it is still `len` bytes long, read in two halves
/// on two threads; `None` when that fails (the caller reads it whole).
#[cfg(unix)]
fn read_halves(file: &File, len: usize) -> Option<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    // Zeroed memory from the allocator is untouched: each half is paged in
    // by the thread that reads into it.
    let mut bytes = vec![0u8; len];
    let mid = len / 2;
    let (low, high) = bytes.split_at_mut(mid);
    let read = std::thread::scope(|scope| {
        let upper = crate::threads::spawn(scope, || file.read_exact_at(high, mid as u64));
        let lower = file.read_exact_at(low, 0);
        lower.and(crate::threads::join(upper))
    });
    // A file that grew meanwhile has more to read: read it whole instead.
    let mut probe = [0u8; 1];
    match (read, file.read_at(&mut probe, len as u64)) {
        (Ok(()), Ok(0)) => Some(bytes),
        _ => None,
    }
}

#[cfg(not(unix))]
fn read_halves(_: &File, _: usize) -> Option<Vec<u8>> {
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::{SPLIT, read};

    #[test]
    fn a_large_file_reads_whole_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.flow");
        // Bytes that differ from place to place, so a misplaced half shows.
        let content: Vec<u8> = (0..SPLIT + 12_345)
            .map(|i| u8::try_from(i % 251).unwrap())
            .collect();
        std::fs::write(&path, &content).unwrap();
        assert!(read(&path).unwrap() == content);
    }

    #[test]
    fn a_small_file_reads_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.flow");
        std::fs::write(&path, "st=>start: a\n").unwrap();
        assert_eq!(read(&path).unwrap(), b"st=>start: a\n");
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(&dir.path().join("none.flow")).is_err());
    }
}

//! The one way verinfer writes a file that something else reads back (deployments, chain
//! state, node state, traces, keys, models): a uniquely named temporary file in the same
//! directory, written and synced, renamed over the target, the directory synced. Readers see
//! the old bytes or the new ones, never a torn file, and concurrent writers (two `verinfer
//! oracle request` processes saving the same deployments file) never collide on a temporary
//! name: the last rename wins, and every writer succeeds.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Writes `bytes` to `path` atomically, creating the parent directory. Returns `false`
/// without touching the file (nor its modification time) when it already holds exactly these
/// bytes: a save that changes nothing costs no write and wakes no watcher.
///
/// # Errors
/// I/O failures (the temporary file is removed).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    if unchanged(path, bytes) {
        return Ok(false);
    }
    write_atomic_with(path, |w| w.write_all(bytes))?;
    Ok(true)
}

/// Writes `path` atomically from `fill`, which streams the content into a buffered writer
/// (large files: proving keys, traces). The parent directory is created.
///
/// # Errors
/// I/O failures, `fill`'s included (the temporary file is removed).
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<&File>) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a file path (no file name)",
        )
    })?;
    std::fs::create_dir_all(dir)?;
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    // Created with O_EXCL under a random name: no two writers share a temporary file.
    let tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(dir)?;
    {
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file());
        fill(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir);
    Ok(())
}

/// Whether `path` holds exactly `bytes` (a size check first: a differing file is rarely read).
fn unchanged(path: &Path, bytes: &[u8]) -> bool {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() == bytes.len() as u64 => {
            std::fs::read(path).is_ok_and(|old| old == bytes)
        }
        _ => false,
    }
}

/// Persists the rename itself. Best effort: not every platform opens directories, and the
/// file is already complete either way.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// A fresh directory, removed when dropped.
    fn tmpdir(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("verinfer-atomic-{name}-"))
            .tempdir()
            .unwrap()
    }

    /// Many writers of one file at once: every write succeeds, the file is always one of the
    /// complete contents, and no temporary file is left behind. (The fixed `<file>.tmp` name
    /// this replaces made concurrent writers fail with ENOENT on rename, or rename another
    /// writer's half-written file.)
    #[test]
    fn attack_concurrent_writers_never_fail_or_tear() {
        let dir = tmpdir("concurrent");
        let path = dir.path().join("deployments.json");
        let contents: Vec<Vec<u8>> = (0..8u8)
            .map(|i| vec![b'a' + i; 64 * 1024 + usize::from(i)])
            .collect();
        let all = &contents;
        std::thread::scope(|s| {
            for c in all {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..25 {
                        write_atomic_with(path, |w| w.write_all(c)).unwrap();
                        let now = std::fs::read(path).unwrap();
                        assert!(all.contains(&now), "a torn file");
                    }
                });
            }
        });
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("deployments.json")]);
    }

    #[test]
    fn an_unchanged_save_does_not_touch_the_file() {
        let dir = tmpdir("unchanged");
        let path = dir.path().join("sub/state.json");
        assert!(write_atomic(&path, b"{\"a\":1}\n").unwrap());
        let before = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!write_atomic(&path, b"{\"a\":1}\n").unwrap());
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            before
        );
        assert!(write_atomic(&path, b"{\"a\":2}\n").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"a\":2}\n");
    }

    #[test]
    fn a_failed_fill_leaves_the_old_file_and_no_temporary() {
        let dir = tmpdir("failed");
        let path = dir.path().join("keys.bin");
        write_atomic(&path, b"old").unwrap();
        let e = write_atomic_with(&path, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "disk full");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}

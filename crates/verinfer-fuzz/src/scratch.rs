//! A scratch folder per process and thread, for parsers whose entry point takes a path (the
//! product reads those files from disk, so the fuzzer does too).

use std::path::PathBuf;

fn dir() -> PathBuf {
    let thread = format!("{:?}", std::thread::current().id());
    let thread: String = thread.chars().filter(char::is_ascii_digit).collect();
    std::env::temp_dir().join(format!("verinfer-fuzz-{}-{thread}", std::process::id()))
}

/// Writes `files` (name, bytes) into this thread's scratch folder and returns the folder;
/// `None` when the disk refuses (not the parser's fault, so the input is skipped).
pub(crate) fn with_files(files: &[(&str, &[u8])]) -> Option<PathBuf> {
    let d = dir();
    std::fs::create_dir_all(&d).ok()?;
    for (name, bytes) in files {
        std::fs::write(d.join(name), bytes).ok()?;
    }
    Some(d)
}

/// Removes this thread's scratch folder.
pub fn clean_scratch() {
    let _ = std::fs::remove_dir_all(dir());
}

//! Temporary directories for tests that remove themselves: a test run used to leave every
//! directory it made in `/tmp` (gigabytes after a few runs).

use std::ffi::OsStr;
use std::ops::Deref;
use std::path::{Path, PathBuf};

/// Set to `1` to keep the directory of a test that fails (panics), to look inside it.
pub const KEEP_ENV: &str = "VERINFER_KEEP_TEST_DIRS";

/// A fresh, empty directory `<tmp>/<prefix>-<name>-<random>`, removed when dropped, unless the
/// test is failing and [`KEEP_ENV`] is `1` (then its path is printed to stderr).
///
/// Derefs to [`Path`], so `dir.join(…)` and `&dir` (as `&Path`) work as with a `PathBuf`.
#[derive(Debug)]
pub struct TestDir {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl TestDir {
    /// Creates the directory.
    pub fn new(prefix: &str, name: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(&format!("{prefix}-{name}-"))
            .tempdir()
            .expect("create a temporary directory");
        let path = dir.path().to_path_buf();
        TestDir {
            dir: Some(dir),
            path,
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Deref for TestDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for TestDir {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<OsStr> for TestDir {
    fn as_ref(&self) -> &OsStr {
        self.path.as_os_str()
    }
}

/// Whether a failing test's directory is kept: [`KEEP_ENV`] is `1`.
fn keep_on_failure() -> bool {
    std::env::var(KEEP_ENV).is_ok_and(|v| v == "1")
}

impl Drop for TestDir {
    fn drop(&mut self) {
        if std::thread::panicking() && keep_on_failure() {
            if let Some(d) = self.dir.take() {
                let kept = d.keep();
                eprintln!("{KEEP_ENV}=1: kept {}", kept.display());
            }
        }
        // Otherwise `tempfile::TempDir` removes the directory as `self.dir` drops.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_on_drop() {
        let d = TestDir::new("verinfer-testing", "drop");
        let p = d.to_path_buf();
        std::fs::write(d.join("f"), b"x").unwrap();
        assert!(p.is_dir());
        drop(d);
        assert!(!p.exists(), "{} left behind", p.display());
    }

    #[test]
    fn removed_when_the_test_fails_without_the_variable() {
        // The variable is not set in the test environment unless a person sets it.
        if keep_on_failure() {
            return;
        }
        let path = std::sync::Mutex::new(PathBuf::new());
        let r = std::panic::catch_unwind(|| {
            let d = TestDir::new("verinfer-testing", "panic");
            *path.lock().unwrap() = d.to_path_buf();
            panic!("the test fails");
        });
        assert!(r.is_err());
        let p = path.lock().unwrap().clone();
        assert!(
            !p.as_os_str().is_empty() && !p.exists(),
            "{p:?} left behind"
        );
    }

    #[test]
    fn two_dirs_of_one_name_differ() {
        let a = TestDir::new("verinfer-testing", "same");
        let b = TestDir::new("verinfer-testing", "same");
        assert_ne!(a.path(), b.path());
        assert!(a.is_dir() && b.is_dir());
    }
}

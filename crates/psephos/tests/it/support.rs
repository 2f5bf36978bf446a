//! Helpers: scratch directories, copying fixture trees, running the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh directory under the system's temp dir, removed when dropped.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Scratch {
    pub(crate) fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("psephos-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copies a directory tree.
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

pub(crate) fn psephos(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_psephos"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run psephos")
}

pub(crate) fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// Whether to rewrite expected files from actual output (review the diff before committing).
pub(crate) fn bless() -> bool {
    std::env::var_os("PSEPHOS_BLESS").is_some()
}

/// Compares `actual` with the file at `path`, or writes it when blessing. Returns a failure
/// description.
pub(crate) fn check_expected(path: &Path, actual: &str) -> Option<String> {
    if bless() {
        std::fs::write(path, actual).expect("write expected file");
        return None;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    (expected != actual)
        .then(|| format!("{}:\n--- expected\n{expected}--- actual\n{actual}", path.display()))
}

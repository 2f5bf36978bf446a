//! The corrupt-input corpus: each case under `tests/corrupt/` adds or replaces files of the base
//! package `tests/corrupt/_base/` (and may list files to delete in `remove.txt`); `expected.txt`
//! holds the exit code of `psephos validate` and every diagnostic line it must print, exactly.

use crate::support::{Scratch, check_expected, copy_tree, psephos, tests_dir};

#[test]
fn corrupt_inputs_are_reported_exactly() {
    let corpus = tests_dir().join("corrupt");
    let mut cases: Vec<_> = std::fs::read_dir(&corpus)
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir() && !p.ends_with("_base"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 30, "the corpus holds {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let scratch = Scratch::new(&format!("corpus-{name}"));
        let pkg = scratch.0.join("pkg");
        copy_tree(&corpus.join("_base"), &pkg);
        copy_tree(case, &pkg);
        for f in ["expected.txt", "remove.txt"] {
            let _ = std::fs::remove_file(pkg.join(f));
        }
        if let Ok(list) = std::fs::read_to_string(case.join("remove.txt")) {
            for rel in list.lines().filter(|l| !l.trim().is_empty()) {
                std::fs::remove_file(pkg.join(rel.trim())).expect("remove listed file");
            }
        }
        let out = psephos(&pkg, &["--quiet", "validate", "."]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut actual = format!("exit: {}\n", out.status.code().unwrap_or(-1));
        for line in stdout.lines() {
            if !(line.starts_with("Checked ")
                || line.starts_with("Stations with ")
                || line.starts_with("The election package has"))
            {
                actual.push_str(line);
                actual.push('\n');
            }
        }
        if let Some(f) = check_expected(&case.join("expected.txt"), &actual) {
            failures.push(f);
        }
    }
    eprintln!(
        "corrupt-input corpus: {} of {} cases as expected",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

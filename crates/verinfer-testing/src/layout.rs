//! The workspace's test layout: each crate's integration tests are modules of one binary,
//! `tests/it/main.rs` (one link per crate instead of one per file). A file put in `tests/it/`
//! without its `mod` line in `main.rs` would compile into nothing and never run; the test here
//! refuses that, and a stray `tests/*.rs` beside `tests/it/` (a binary of its own again).

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    /// `mod NAME;` lines of a module file (attributes such as `#[path]` on the line before
    /// are allowed; only the declared names matter).
    fn declared(main: &str) -> BTreeSet<String> {
        main.lines()
            .filter_map(|l| l.trim().strip_prefix("mod "))
            .filter_map(|rest| rest.strip_suffix(';'))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn every_integration_test_file_is_a_module_of_its_crates_one_binary() {
        let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut checked = 0;
        for krate in std::fs::read_dir(&crates).unwrap() {
            let it = krate.unwrap().path().join("tests/it");
            if !it.is_dir() {
                continue;
            }
            let main = std::fs::read_to_string(it.join("main.rs")).unwrap();
            let mods = declared(&main);
            for f in std::fs::read_dir(&it).unwrap() {
                let p = f.unwrap().path();
                let Some(stem) = p.file_stem().and_then(|s| s.to_str()) else {
                    continue;
                };
                let is_rs = p.extension().is_some_and(|e| e == "rs");
                if is_rs && stem != "main" {
                    assert!(
                        mods.contains(stem),
                        "{} has no `mod {stem};` in main.rs",
                        p.display()
                    );
                }
            }
            let tests = it.parent().unwrap();
            for f in std::fs::read_dir(tests).unwrap() {
                let p = f.unwrap().path();
                assert!(
                    p.extension().is_none_or(|e| e != "rs"),
                    "{} is a test binary of its own: move it to tests/it/ and declare it in main.rs",
                    p.display()
                );
            }
            checked += 1;
        }
        assert!(checked >= 10, "only {checked} crates with tests/it found");
    }
}

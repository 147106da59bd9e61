//! Tidy checks on the source tree (as rust-analyzer's `tidy` test): every module says
//! what it owns in a `//!` paragraph at its top, no file grows past one room (600
//! lines), and no stub (`todo!()`, `unimplemented!()`) is left behind.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_is_documented_small_and_complete() {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    assert!(files.len() > 30);
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        if !text.lines().take(5).any(|l| l.starts_with("//!")) {
            problems.push(format!("{}: no `//!` paragraph at the top", file.display()));
        }
        let lines = text.lines().count();
        if lines > 600 {
            problems.push(format!(
                "{}: {lines} lines (split it: more than one room)",
                file.display()
            ));
        }
        for stub in ["todo!(", "unimplemented!("] {
            if text.contains(stub) {
                problems.push(format!("{}: contains `{stub})`", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

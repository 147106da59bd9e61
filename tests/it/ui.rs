//! UI tests: every fixture under `tests/ui/<group>/` (a `.netp` file, or a folder that is
//! one program) goes through the whole pipeline, and its sources and rendered
//! diagnostics (colour off) are snapshotted together (`tests/ui/syntax/` is snapshotted
//! by `tests/it/syntax.rs`, at the parser). A fixture named `E204-...` must
//! report E204; every diagnostic code has a fixture.

use std::path::{Path, PathBuf};

use netpc::diagnostic::Code;

use crate::common;

fn fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for group in std::fs::read_dir("tests/ui").unwrap() {
        let group = group.unwrap().path();
        if !group.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&group).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() || path.extension().is_some_and(|e| e == "netp") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Run one fixture through the binary (`netpc check`, so the real loader of `use`
/// files and its limits apply); returns the snapshot text and the codes reported.
fn run(path: &Path) -> (String, Vec<Code>) {
    let check = |format: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_netpc"))
            .args(["check", "--color", "never", "--message-format", format])
            .arg(path)
            .output()
            .unwrap()
    };
    let human = check("human");
    let json = check("json");
    assert!(
        matches!(human.status.code(), Some(0 | 1)),
        "{}: {human:?}",
        path.display()
    );
    let codes = String::from_utf8(json.stderr)
        .unwrap()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|d| Code::parse(d["code"].as_str()?))
        .collect();
    let mut text = String::new();
    for file in netp_files(path) {
        let source = std::fs::read(&file).unwrap();
        let source = String::from_utf8_lossy(&source);
        let name = file.to_string_lossy().replace('\\', "/");
        text.push_str(&format!("----- SOURCE CODE {name}\n{source}"));
        if !source.ends_with('\n') {
            text.push('\n');
        }
    }
    text.push_str("----- DIAGNOSTICS\n");
    text.push_str(&String::from_utf8(human.stderr).unwrap());
    (text, codes)
}

/// The `.netp` files of a fixture (a file, or a folder's files, sorted).
fn netp_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(path)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "netp"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

fn expected_code(path: &Path) -> Option<Code> {
    let name = path.file_stem()?.to_str()?;
    Code::parse(name.split('-').next()?)
}

#[test]
fn ui_fixtures() {
    let fixtures = fixtures();
    assert!(fixtures.len() > 30, "fixtures not found");
    for path in &fixtures {
        // Syntax fixtures are snapshotted at the parser level by tests/it/syntax.rs, and
        // workloads fixtures (a program and its manifests) by tests/it/workloads.rs.
        if path
            .parent()
            .is_some_and(|p| p.ends_with("syntax") || p.ends_with("workloads"))
        {
            continue;
        }
        let (text, diagnostics) = run(path);
        if let Some(code) = expected_code(path) {
            assert!(
                diagnostics.contains(&code),
                "{} should report {}, got:\n{text}",
                path.display(),
                code.as_str()
            );
        }
        let group = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        let name = format!("{group}__{}", path.file_stem().unwrap().to_str().unwrap());
        insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(name, text);
        });
    }
}

#[test]
fn every_code_has_a_fixture() {
    let covered: Vec<Code> = fixtures().iter().filter_map(|p| expected_code(p)).collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !covered.contains(c) && !common::UNREACHABLE_CODES.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a UI fixture: {missing:?}"
    );
}

/// One mistake is one diagnostic: a file with three independent errors reports three.
#[test]
fn independent_errors_are_all_reported() {
    let (text, diagnostics) = run(Path::new("tests/ui/check/many-independent-errors.netp"));
    let codes: Vec<&str> = diagnostics.iter().map(|c| c.as_str()).collect();
    assert_eq!(codes, ["E300", "E203", "E205"], "{text}");
}

/// An unknown group member is reported once, not once per use of the group.
#[test]
fn unknown_names_do_not_cascade() {
    let (text, diagnostics) = run(Path::new("tests/ui/check/no-cascade.netp"));
    let errors: Vec<&str> = diagnostics.iter().map(|d| d.as_str()).collect();
    assert_eq!(errors, ["E200"], "{text}");
}

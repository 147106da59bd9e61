//! UI tests, one harness for every fixture under `tests/ui/<group>/` (`check`, `syntax`,
//! `lower`, `workloads`): a fixture is a `.netp` file, or a folder that is one program
//! (its `.netp` files) with, if present, its manifests (`*.yaml`, `*.json`, passed as
//! `--workloads`) and `namespace.txt` (the `--namespace`). Each goes through the binary
//! (`netpc check`, so the real loader, its limits and the real rendering apply), and its
//! files and rendered diagnostics (colour off) are snapshotted together, in one header
//! format, beside the fixture: `tests/ui/check/E200-unknown-name.netp` is locked by
//! `tests/ui/check/E200-unknown-name.snap`. A fixture named `E204-...` must report E204;
//! every diagnostic code has a fixture.

use std::path::{Path, PathBuf};
use std::process::Command;

use netpc::diagnostic::Code;

use crate::common;

/// A fixture: a `.netp` file, or a folder holding one (snapshots and other files beside
/// fixtures are not fixtures).
fn is_fixture(path: &Path) -> bool {
    path.is_dir() || path.extension().is_some_and(|e| e == "netp")
}

fn fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for group in std::fs::read_dir("tests/ui").unwrap() {
        let group = group.unwrap().path();
        if group.is_dir() {
            for entry in std::fs::read_dir(&group).unwrap() {
                let path = entry.unwrap().path();
                if is_fixture(&path) {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    out
}

/// The files of a folder fixture with the given extensions, sorted.
fn files_in(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| {
            e.file_type().is_file()
                && e.path()
                    .extension()
                    .is_some_and(|x| extensions.iter().any(|w| x == *w))
        })
        .map(walkdir::DirEntry::into_path)
        .collect();
    files.sort();
    files
}

/// The `netpc check` command line of a fixture: the program, and for a folder its
/// manifests and namespace.
fn command(path: &Path, format: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netpc"));
    command.args(["check", "--color", "never", "--message-format", format]);
    if path.is_dir() {
        for manifest in files_in(path, &["yaml", "json"]) {
            command.arg("--workloads").arg(manifest);
        }
        if let Ok(namespace) = std::fs::read_to_string(path.join("namespace.txt")) {
            command.args(["--namespace", namespace.trim()]);
        }
    }
    command.arg(path);
    command
}

/// NUL and other control characters would make the snapshot a binary file.
fn visible(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' => '\n',
            c if c.is_control() => char::from_u32(0x2400 + u32::from(c)).unwrap_or('?'),
            c => c,
        })
        .collect()
}

/// Run one fixture through the binary; returns the snapshot text and the codes reported.
fn run(path: &Path) -> (String, Vec<Code>) {
    let human = command(path, "human").output().unwrap();
    let json = command(path, "json").output().unwrap();
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
    let shown = if path.is_dir() {
        let mut files = files_in(path, &["netp"]);
        files.extend(files_in(path, &["yaml", "json"]));
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut text = String::new();
    for file in shown {
        let source = std::fs::read(&file).unwrap();
        let source = String::from_utf8_lossy(&source);
        let name = file.to_string_lossy().replace('\\', "/");
        text.push_str(&format!("----- SOURCE CODE {name}\n{source}"));
        if !source.ends_with('\n') {
            text.push('\n');
        }
    }
    text.push_str(&format!(
        "----- DIAGNOSTICS (exit {})\n",
        human.status.code().unwrap()
    ));
    text.push_str(&String::from_utf8(human.stderr).unwrap());
    (visible(&text), codes)
}

fn expected_code(path: &Path) -> Option<Code> {
    let name = path.file_stem()?.to_str()?;
    Code::parse(name.split('-').next()?)
}

#[test]
fn ui_fixtures() {
    let mut seen = 0;
    insta::glob!("../ui", "*/*", |path| {
        // Relative, as a user types it, so the snapshot names no machine's folder.
        let path = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(path);
        if !is_fixture(path) {
            return;
        }
        seen += 1;
        let (text, codes) = run(path);
        if let Some(code) = expected_code(path) {
            assert!(
                codes.contains(&code),
                "{} should report {}, got:\n{text}",
                path.display(),
                code.as_str()
            );
        }
        let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join(path.parent().unwrap());
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        insta::with_settings!({
            snapshot_path => beside,
            snapshot_suffix => "",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, text);
        });
    });
    assert!(seen > 60, "fixtures not found ({seen})");
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

/// Every snapshot beside the fixtures (here and in `tests/lower/`) has its fixture: a
/// renamed or deleted fixture leaves no stale snapshot behind.
#[test]
fn every_snapshot_has_a_fixture() {
    let mut fixtures = fixtures();
    fixtures.extend(files_in(Path::new("tests/lower"), &["netp"]));
    let mut snapshots = files_in(Path::new("tests/ui"), &["snap"]);
    snapshots.extend(files_in(Path::new("tests/lower"), &["snap"]));
    assert!(snapshots.len() > 70, "snapshots not found");
    for snapshot in snapshots {
        let stem = snapshot.with_extension("");
        assert!(
            fixtures
                .iter()
                .any(|f| f.with_extension("") == stem || *f == stem),
            "{} has no fixture",
            snapshot.display()
        );
    }
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

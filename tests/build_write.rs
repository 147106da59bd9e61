//! The output folder on disk (`netpc::cli::write`): atomic replacement, removal of
//! files an earlier build generated, files netpc did not generate left alone, `--check`
//! reporting differences without writing, and clear errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::Path;

use netpc::cli::write::{Difference, check, write};
use netpc::emit::File;
use netpc::output::MANIFEST;

/// Files as `emit::files` makes them: sorted, the manifest last.
fn files(entries: &[(&str, &str)]) -> Vec<File> {
    let mut files: Vec<File> = entries
        .iter()
        .map(|(p, t)| File {
            path: (*p).to_owned(),
            text: (*t).to_owned(),
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut manifest = String::from("# manifest\n");
    for f in &files {
        manifest.push_str(&f.path);
        manifest.push('\n');
    }
    files.push(File {
        path: MANIFEST.to_owned(),
        text: manifest,
    });
    files
}

#[cfg(unix)]
fn inode(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).unwrap().ino()
}

#[test]
fn first_build_creates_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("deep/out");
    write(
        &out,
        &files(&[("a/x.yaml", "x\n"), ("kustomization.yaml", "k\n")]),
    )
    .unwrap();
    let got = common::read_tree(&out);
    assert_eq!(got["a/x.yaml"], "x\n");
    assert_eq!(got["kustomization.yaml"], "k\n");
    assert!(got.contains_key(MANIFEST));
    // No staging folder is left behind.
    let leftovers: Vec<_> = fs::read_dir(tmp.path().join("deep"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["out"]);
}

#[test]
fn stale_generated_files_go_and_foreign_files_stay_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(
        &out,
        &files(&[
            ("a/ingress/old.yaml", "old\n"),
            ("a/ingress/kept.yaml", "kept\n"),
            ("gone/x.yaml", "x\n"),
            ("kustomization.yaml", "k1\n"),
        ]),
    )
    .unwrap();
    // A team adds its own files, some inside generated folders.
    fs::write(out.join("README.md"), "ours\n").unwrap();
    fs::write(out.join("a/ingress/handwritten.yaml"), "hand\n").unwrap();
    fs::create_dir_all(out.join("notes/empty")).unwrap();
    let readme_inode = inode(&out.join("README.md"));
    let hand_inode = inode(&out.join("a/ingress/handwritten.yaml"));

    write(
        &out,
        &files(&[
            ("a/ingress/kept.yaml", "kept2\n"),
            ("b/new.yaml", "new\n"),
            ("kustomization.yaml", "k2\n"),
        ]),
    )
    .unwrap();
    let got = common::read_tree(&out);
    let paths: Vec<&str> = got.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            MANIFEST,
            "README.md",
            "a/ingress/handwritten.yaml",
            "a/ingress/kept.yaml",
            "b/new.yaml",
            "kustomization.yaml",
        ]
    );
    assert_eq!(got["a/ingress/kept.yaml"], "kept2\n");
    assert_eq!(got["README.md"], "ours\n");
    assert_eq!(got["a/ingress/handwritten.yaml"], "hand\n");
    // The very same files (not copies), and the folder of a removed namespace is gone
    // while a folder netpc never made stays.
    assert_eq!(inode(&out.join("README.md")), readme_inode);
    assert_eq!(inode(&out.join("a/ingress/handwritten.yaml")), hand_inode);
    assert!(!out.join("gone").exists());
    assert!(out.join("notes/empty").is_dir());
}

#[test]
fn check_lists_differences_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let first = files(&[("a.yaml", "a\n"), ("b.yaml", "b\n"), ("c.yaml", "c\n")]);
    write(&out, &first).unwrap();
    fs::write(out.join("mine.txt"), "not generated\n").unwrap();
    assert_eq!(check(&out, &first).unwrap(), []);

    let second = files(&[("a.yaml", "a2\n"), ("b.yaml", "b\n"), ("d.yaml", "d\n")]);
    let before = common::read_tree(&out);
    let differences = check(&out, &second).unwrap();
    assert_eq!(
        differences,
        [
            Difference::Differs("a.yaml".into()),
            Difference::Missing("d.yaml".into()),
            Difference::Extra("c.yaml".into()),
        ]
    );
    assert_eq!(common::read_tree(&out), before, "--check must not write");

    // Against a folder that does not exist, everything is missing.
    let none = check(&tmp.path().join("nothing"), &second).unwrap();
    assert_eq!(none.len(), 3);
}

#[test]
fn a_failing_write_leaves_the_previous_output_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&out, &files(&[("a/x.yaml", "x\n")])).unwrap();
    // A file netpc did not generate sits where the next build wants to write.
    fs::write(out.join("a/y.yaml"), "someone else's\n").unwrap();
    let before = common::read_tree(&out);
    let err = write(&out, &files(&[("a/x.yaml", "x2\n"), ("a/y.yaml", "y\n")])).unwrap_err();
    assert!(err.to_string().contains("did not generate"), "{err}");
    assert_eq!(common::read_tree(&out), before);
    // No staging folder is left behind.
    let entries: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["out"]);
}

#[test]
fn an_unwritable_output_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("file");
    fs::write(&blocker, "a file, not a folder").unwrap();
    let err = write(&blocker.join("out"), &files(&[("a.yaml", "a\n")])).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("cannot create the folder"), "{message}");
    assert!(message.contains("file"), "{message}");
    let err = write(&blocker, &files(&[("a.yaml", "a\n")])).unwrap_err();
    assert!(err.to_string().contains("not a folder"), "{err}");
}

#[test]
fn a_symlinked_output_folder_is_replaced_behind_the_link() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real");
    write(&real, &files(&[("a.yaml", "a\n")])).unwrap();
    let link = tmp.path().join("out");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    write(&link, &files(&[("b.yaml", "b\n")])).unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        common::read_tree(&real).keys().cloned().collect::<Vec<_>>(),
        [MANIFEST, "b.yaml"]
    );
}

#[test]
fn a_relative_dot_output_folder_is_replaced_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&out, &files(&[("a.yaml", "a\n")])).unwrap();
    fs::write(out.join("keep.txt"), "kept\n").unwrap();
    // `out/.` names the same folder: staging must happen beside it, not inside it.
    write(&out.join("."), &files(&[("b.yaml", "b\n")])).unwrap();
    let paths: Vec<String> = common::read_tree(&out).keys().cloned().collect();
    assert_eq!(paths, [MANIFEST, "b.yaml", "keep.txt"]);
    let entries: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["out"]);
}

#[test]
fn many_files_are_all_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let owned: Vec<(String, String)> = (0..3000)
        .map(|i| (format!("ns-{}/ingress/p-{i}.yaml", i % 7), format!("{i}\n")))
        .collect();
    let entries: Vec<(&str, &str)> = owned
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let files = files(&entries);
    write(&out, &files).unwrap();
    let got = common::read_tree(&out);
    assert_eq!(got.len(), 3001);
    for (path, text) in &owned {
        assert_eq!(&got[path], text);
    }
    assert_eq!(check(&out, &files).unwrap(), []);
}

#[test]
fn unchanged_generated_files_are_kept_as_they_are() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(
        &out,
        &files(&[("same.yaml", "same\n"), ("changes.yaml", "v1\n")]),
    )
    .unwrap();
    let same = inode(&out.join("same.yaml"));
    let changes = inode(&out.join("changes.yaml"));
    write(
        &out,
        &files(&[("same.yaml", "same\n"), ("changes.yaml", "v2\n")]),
    )
    .unwrap();
    assert_eq!(
        inode(&out.join("same.yaml")),
        same,
        "unchanged: the same file"
    );
    assert_ne!(
        inode(&out.join("changes.yaml")),
        changes,
        "changed: a new file"
    );
    assert_eq!(
        fs::read_to_string(out.join("changes.yaml")).unwrap(),
        "v2\n"
    );
    // A generated file edited by hand is rewritten, not kept.
    fs::write(out.join("same.yaml"), "edited\n").unwrap();
    write(
        &out,
        &files(&[("same.yaml", "same\n"), ("changes.yaml", "v2\n")]),
    )
    .unwrap();
    assert_eq!(fs::read_to_string(out.join("same.yaml")).unwrap(), "same\n");
}

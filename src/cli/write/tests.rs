//! The output folder on disk (`cli::write`): atomic replacement, removal of
//! files an earlier build generated, files netpc did not generate left alone, `--check`
//! reporting differences without writing, and clear errors.

use std::fs;
use std::path::Path;

use super::{Difference, WriteError, check};
use crate::cli::read::tests::within_20s;
use crate::emit::File;
use crate::output::MANIFEST;

/// `write` for a build whose inputs lie elsewhere.
pub(super) fn write(dir: &Path, files: &[File]) -> Result<(), WriteError> {
    super::write(dir, &files, &[])
}

/// Files as `emit::files` makes them: sorted, the manifest last.
pub(super) fn files(entries: &[(&str, &str)]) -> Vec<File> {
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
    let got = read_tree(&out);
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
    let got = read_tree(&out);
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
    let before = read_tree(&out);
    let differences = check(&out, &second).unwrap();
    assert_eq!(
        differences,
        [
            Difference::Differs("a.yaml".into()),
            Difference::Missing("d.yaml".into()),
            Difference::Extra("c.yaml".into()),
        ]
    );
    assert_eq!(read_tree(&out), before, "--check must not write");

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
    let before = read_tree(&out);
    let err = write(&out, &files(&[("a/x.yaml", "x2\n"), ("a/y.yaml", "y\n")])).unwrap_err();
    assert!(err.to_string().contains("did not generate"), "{err}");
    assert_eq!(read_tree(&out), before);
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
        read_tree(&real).keys().cloned().collect::<Vec<_>>(),
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
    let paths: Vec<String> = read_tree(&out).keys().cloned().collect();
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
    let got = read_tree(&out);
    assert_eq!(got.len(), 3001);
    for (path, text) in &owned {
        assert_eq!(&got[path], text);
    }
    assert_eq!(check(&out, &files).unwrap(), []);
}

/// 1,543 files: three of the writer's chunks and part of a fourth.
pub(super) fn three_chunks_and_more() -> Vec<File> {
    let texts: Vec<(String, String)> = (0..3 * super::tree::WRITE_CHUNK + 7)
        .map(|i| (format!("f/{i:05}.yaml"), format!("t{i}\n")))
        .collect();
    let entries: Vec<(&str, &str)> = texts.iter().map(|(p, t)| (&**p, &**t)).collect();
    files(&entries)
}

/// `compare` remembers exactly the files it found unchanged before the first
/// difference (the writer links those without reading them again) and never one
/// that changed, whatever the chunk and thread the difference falls in.
#[test]
fn compare_remembers_only_the_files_it_found_unchanged() {
    use super::guard::Interrupt;
    use super::tree::{WRITE_CHUNK, compare};
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let built = three_chunks_and_more();
    write(&out, &built).unwrap();
    let interrupt = Interrupt::arm(&out);
    let same = compare(&out, &built, &interrupt).unwrap();
    assert!(same.all());
    assert!((0..built.len()).all(|i| same.holds(i)));
    for changed in [0, WRITE_CHUNK - 1, WRITE_CHUNK + 10, built.len() - 1] {
        let mut edited = built.clone();
        edited[changed].text = "other\n".to_owned();
        let got = compare(&out, &edited, &interrupt).unwrap();
        assert!(!got.all(), "{changed}");
        assert!(!got.holds(changed), "{changed}");
        let start = changed - changed % WRITE_CHUNK;
        assert!((start..changed).all(|i| got.holds(i)), "{changed}");
    }
}

/// A rebuild that changes one file, in the first chunk or a later one, writes that
/// file and links every other one, the manifest too: what `compare` remembered is
/// looked up by each file's own index, whatever chunk the writer takes it in.
#[cfg(unix)]
#[test]
fn a_rebuild_links_by_each_files_own_index() {
    use super::tree::WRITE_CHUNK;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let built = three_chunks_and_more();
    for changed in [5, WRITE_CHUNK + 10, 2 * WRITE_CHUNK + 3] {
        write(&out, &built).unwrap();
        let manifest = inode(&out.join(MANIFEST));
        let kept = inode(&out.join(&built[changed + 1].path));
        let mut edited = built.clone();
        edited[changed].text = "other\n".to_owned();
        write(&out, &edited).unwrap();
        let got = read_tree(&out);
        for file in &edited {
            assert_eq!(
                got[&file.path], file.text,
                "{} after changing {changed}",
                file.path
            );
        }
        assert_eq!(inode(&out.join(MANIFEST)), manifest, "the manifest is kept");
        assert_eq!(
            inode(&out.join(&built[changed + 1].path)),
            kept,
            "{changed}"
        );
    }
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

#[cfg(unix)]
pub(super) fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
pub(super) fn owner(path: &Path) -> (u32, u32) {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::symlink_metadata(path).unwrap();
    (meta.uid(), meta.gid())
}

pub(super) fn mtime(path: &Path) -> std::time::SystemTime {
    fs::symlink_metadata(path).unwrap().modified().unwrap()
}

/// Set a folder's (or file's) modification time to a fixed moment in 2001.
pub(super) fn set_old_mtime(path: &Path) {
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    fs::File::open(path).unwrap().set_modified(when).unwrap();
}

/// Nothing but `names` in `dir` (no staging folder left behind).
pub(super) fn assert_only(dir: &Path, names: &[&str]) {
    let mut entries: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(entries, names);
}

#[test]
fn a_foreign_folder_where_a_file_goes_is_refused_and_nothing_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&out, &files(&[("a.yaml", "a\n")])).unwrap();
    let next = files(&[("a.yaml", "a2\n"), ("newns/deny.yaml", "d\n")]);
    // An empty folder, then a folder with a file in it, where a file goes.
    fs::create_dir_all(out.join("newns/deny.yaml")).unwrap();
    for round in 0..2 {
        let before = read_tree(&out);
        let err = write(&out, &next).unwrap_err().to_string();
        assert!(err.contains("did not generate"), "{err}");
        assert!(
            err.contains(&*out.join("newns/deny.yaml").to_string_lossy()),
            "{err}"
        );
        assert!(!err.contains(".netpc-staging"), "{err}");
        assert_eq!(read_tree(&out), before);
        assert!(out.join("newns/deny.yaml").is_dir(), "round {round}");
        assert_only(tmp.path(), &["out"]);
        fs::write(out.join("newns/deny.yaml/notes.txt"), "n\n").unwrap();
    }
    // A file netpc did not write, where a folder goes.
    fs::remove_dir_all(out.join("newns")).unwrap();
    fs::write(out.join("newns"), "mine\n").unwrap();
    let err = write(&out, &next).unwrap_err().to_string();
    assert!(err.contains("did not generate"), "{err}");
    assert!(err.contains(&*out.join("newns").to_string_lossy()), "{err}");
    assert_eq!(fs::read_to_string(out.join("newns")).unwrap(), "mine\n");
    assert_only(tmp.path(), &["out"]);
}

#[cfg(unix)]
#[test]
fn an_identical_rebuild_keeps_the_manifest_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let same = files(&[("a.yaml", "a\n")]);
    write(&out, &same).unwrap();
    let manifest = inode(&out.join(MANIFEST));
    write(&out, &same).unwrap();
    assert_eq!(inode(&out.join(MANIFEST)), manifest);
    // A different file list is a new manifest.
    write(&out, &files(&[("a.yaml", "a\n"), ("b.yaml", "b\n")])).unwrap();
    assert_ne!(inode(&out.join(MANIFEST)), manifest);
}

#[cfg(unix)]
#[test]
fn special_files_in_the_output_are_refused_or_replaced_never_read() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let built = files(&[("labels.yaml", "l\n")]);
    write(&out, &built).unwrap();
    let mkfifo = |path: &Path| {
        let status = std::process::Command::new("mkfifo").arg(path).status();
        assert!(status.unwrap().success());
    };
    // A generated file that became a FIFO, or a link to one: replaced, not read.
    fs::remove_file(out.join("labels.yaml")).unwrap();
    mkfifo(&out.join("labels.yaml"));
    let (dir, again) = (out.clone(), built.clone());
    let differences = within_20s(move || check(&dir, &again).unwrap());
    assert_eq!(differences, [Difference::Differs("labels.yaml".into())]);
    let (dir, again) = (out.clone(), built.clone());
    within_20s(move || write(&dir, &again).unwrap());
    assert_eq!(fs::read_to_string(out.join("labels.yaml")).unwrap(), "l\n");
    mkfifo(&tmp.path().join("fifo"));
    fs::remove_file(out.join("labels.yaml")).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("fifo"), out.join("labels.yaml")).unwrap();
    let (dir, again) = (out.clone(), built.clone());
    within_20s(move || write(&dir, &again).unwrap());
    assert!(
        fs::symlink_metadata(out.join("labels.yaml"))
            .unwrap()
            .is_file()
    );
    // A link to an endless device: not read without bound.
    fs::remove_file(out.join("labels.yaml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", out.join("labels.yaml")).unwrap();
    let (dir, again) = (out.clone(), built.clone());
    within_20s(move || write(&dir, &again).unwrap());
    assert_eq!(fs::read_to_string(out.join("labels.yaml")).unwrap(), "l\n");
    // The manifest as a FIFO: a clear error naming it, and the folder as it was.
    fs::remove_file(out.join(MANIFEST)).unwrap();
    mkfifo(&out.join(MANIFEST));
    let (dir, again) = (out.clone(), built.clone());
    let err = within_20s(move || write(&dir, &again).unwrap_err().to_string());
    assert!(
        err.contains(MANIFEST) && err.contains("not a regular file"),
        "{err}"
    );
    let (dir, again) = (out.clone(), built.clone());
    let err = within_20s(move || check(&dir, &again).unwrap_err().to_string());
    assert!(err.contains("not a regular file"), "{err}");
    assert_only(tmp.path(), &["fifo", "out"]);
}

#[cfg(unix)]
#[test]
fn a_build_waits_for_the_lock_held_by_another() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // Another build holds the lock: the exclusive lock on the output's parent folder.
    let parent = fs::File::open(tmp.path()).unwrap();
    parent.lock().unwrap();
    let dir = out.clone();
    let build = std::thread::spawn(move || write(&dir, &files(&[("a.yaml", "a\n")])));
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!build.is_finished(), "the second build must wait");
    assert_only(tmp.path(), &[]);
    parent.unlock().unwrap();
    build.join().unwrap().unwrap();
    assert_only(tmp.path(), &["out"]);
}

/// Every file under `dir` with its content, by `/`-separated relative path.
pub(super) fn read_tree(dir: &Path) -> std::collections::BTreeMap<String, String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(e.path()).unwrap())
        })
        .collect()
}

/// A first build's folder has the mode `mkdir` gives a new folder (the user's umask):
/// not a private staging mode, and not a fixed mode that overrides the umask (mutation
/// testing found that nothing looked; the fixed 0755 it then showed was dropped).
#[cfg(unix)]
#[test]
fn a_first_build_folder_has_the_mode_of_a_new_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&out, &files(&[("a.yaml", "a\n")])).unwrap();
    let made = tmp.path().join("made-by-mkdir");
    fs::create_dir(&made).unwrap();
    assert_eq!(mode(&out), mode(&made));
}

/// `..` in the part of an output path that does not exist yet is resolved, so the
/// refusals (the root, the home folder, a folder holding an input) see the real place
/// (found by mutation testing).
#[test]
fn a_parent_step_in_a_new_output_path_is_resolved() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("a")).unwrap();
    let real = fs::canonicalize(tmp.path()).unwrap();
    assert_eq!(
        super::resolve(&tmp.path().join("a/new/../b")),
        real.join("a/b")
    );
    assert_eq!(super::resolve(&tmp.path().join("a/new/../..")), real);
    // As a build sees it: `-o a/new/../..` is the folder that holds the input `a`.
    let input = tmp.path().join("a");
    let err = super::write(
        &tmp.path().join("a/new/../.."),
        &files(&[("x.yaml", "x\n")]),
        std::slice::from_ref(&input),
    )
    .unwrap_err();
    assert!(err.to_string().contains("holds the input"), "{err}");
}

/// An output path the system cannot look at (here a name longer than a file name may
/// be) is reported as such before anything is staged, not later as a failed move
/// (found by mutation testing).
#[test]
fn an_output_path_that_cannot_be_inspected_is_reported_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o".repeat(300));
    let err = write(&out, &files(&[("a.yaml", "a\n")])).unwrap_err();
    assert_eq!(err.what, "cannot inspect", "{err}");
    assert_only(tmp.path(), &[]);
}

/// The fallback swap (where the one-step exchange is not available) leaves the new
/// output in place and the old one where the staging folder was, for the caller to
/// remove (found by mutation testing: the exchange always worked in the tests).
#[test]
fn the_fallback_swap_puts_the_new_output_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let (stage, out) = (tmp.path().join("stage"), tmp.path().join("out"));
    fs::create_dir(&stage).unwrap();
    fs::create_dir(&out).unwrap();
    fs::write(stage.join("new.yaml"), "new\n").unwrap();
    fs::write(out.join("old.yaml"), "old\n").unwrap();
    super::swap_by_renames(&stage, &out).unwrap();
    assert_only(&out, &["new.yaml"]);
    assert_only(&stage, &["old.yaml"]);
    assert_only(tmp.path(), &["out", "stage"]);
}

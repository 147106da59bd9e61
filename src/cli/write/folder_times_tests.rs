//! Folder metadata across rebuilds (`cli::write::tree::carry_folders`): folders a team
//! made keep their mode, owner and time; a folder keeps its time only while it holds
//! the same files; links in the output are recreated.

use std::fs;
use std::path::Path;

use super::tests::{assert_only, files, mode, mtime, owner, set_old_mtime, write};

#[cfg(unix)]
#[test]
fn foreign_folders_keep_their_mode_owner_and_mtime() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let first = files(&[("a/ingress/p.yaml", "p\n"), ("k.yaml", "k\n")]);
    write(&out, &first).unwrap();
    // Folders a team made: private, a shared drop box, one inside a generated folder,
    // one nested in another, and an empty one.
    let folders = [
        ("private", 0o700),
        ("drop", 0o1777),
        ("a/ingress/mine", 0o750),
        ("private/deeper", 0o710),
        ("empty", 0o500),
    ];
    for (folder, _) in folders {
        fs::create_dir_all(out.join(folder)).unwrap();
    }
    fs::write(out.join("private/secret.txt"), "s\n").unwrap();
    fs::write(out.join("a/ingress/mine/hand.yaml"), "h\n").unwrap();
    // Owner: only root can give a folder away; elsewhere this part is skipped.
    let root = std::os::unix::fs::chown(out.join("drop"), Some(4321), Some(4321)).is_ok();
    for (folder, mode) in folders.iter().rev() {
        fs::set_permissions(out.join(folder), fs::Permissions::from_mode(*mode)).unwrap();
        set_old_mtime(&out.join(folder));
    }
    fs::set_permissions(&out, fs::Permissions::from_mode(0o750)).unwrap();
    set_old_mtime(&out);
    let before: Vec<_> = folders
        .iter()
        .map(|(f, _)| (mode(&out.join(f)), owner(&out.join(f)), mtime(&out.join(f))))
        .collect();
    let out_before = (owner(&out), mtime(&out));

    // An identical rebuild, then one that changes a generated file.
    write(&out, &first).unwrap();
    assert_eq!(mode(&out), 0o750, "the output folder keeps its mode");
    assert_eq!(
        (owner(&out), mtime(&out)),
        out_before,
        "nothing changed in it"
    );
    write(
        &out,
        &files(&[("a/ingress/p.yaml", "p2\n"), ("k.yaml", "k\n")]),
    )
    .unwrap();
    let after: Vec<_> = folders
        .iter()
        .map(|(f, _)| (mode(&out.join(f)), owner(&out.join(f)), mtime(&out.join(f))))
        .collect();
    assert_eq!(after, before, "{folders:?}");
    assert_eq!(mode(&out), 0o750);
    assert_eq!(owner(&out), out_before.0);
    assert_eq!(mode(&out.join("drop")), 0o1777);
    if root {
        assert_eq!(owner(&out.join("drop")), (4321, 4321));
    }
    assert_only(tmp.path(), &["out"]);
}

/// A folder keeps its time only if it holds the same files as before: a generated
/// folder whose file was rewritten (a new file, so a new inode) gets the time of the
/// new write, while its parent, which holds the same folder, keeps its own. A
/// symbolic link a team put in the output is recreated with its target.
#[cfg(unix)]
#[test]
fn a_folder_keeps_its_time_only_with_the_same_files_and_links_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(
        &out,
        &files(&[("a/ingress/p.yaml", "p\n"), ("k.yaml", "k\n")]),
    )
    .unwrap();
    std::os::unix::fs::symlink("../README.md", out.join("a/docs")).unwrap();
    set_old_mtime(&out.join("a/ingress"));
    set_old_mtime(&out.join("a"));
    let old = mtime(&out.join("a"));
    write(
        &out,
        &files(&[("a/ingress/p.yaml", "p2\n"), ("k.yaml", "k\n")]),
    )
    .unwrap();
    assert_ne!(mtime(&out.join("a/ingress")), old, "p.yaml is a new file");
    assert_eq!(mtime(&out.join("a")), old, "`a` holds the same entries");
    assert_eq!(
        fs::read_link(out.join("a/docs")).unwrap(),
        Path::new("../README.md")
    );
}

#[cfg(unix)]
fn inode(path: &Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&fs::symlink_metadata(path).unwrap())
}

/// An identical rebuild has nothing to replace: the output folder stays the very same
/// folder (no staging folder is made beside it, so its parent is not touched either),
/// with its files, a team's files and every time as they were.
#[cfg(unix)]
#[test]
fn an_identical_rebuild_leaves_the_folder_as_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let built = files(&[("a/ingress/p.yaml", "p\n"), ("k.yaml", "k\n")]);
    write(&out, &built).unwrap();
    fs::write(out.join("a/notes.txt"), "mine\n").unwrap();
    for path in [tmp.path(), &out, &out.join("a"), &out.join("a/ingress")] {
        set_old_mtime(path);
    }
    let look = |path: &Path| (inode(path), mtime(path));
    let paths = [
        tmp.path().to_path_buf(),
        out.clone(),
        out.join("a"),
        out.join("a/ingress"),
        out.join("a/ingress/p.yaml"),
        out.join("a/notes.txt"),
    ];
    let before: Vec<_> = paths.iter().map(|p| look(p)).collect();
    write(&out, &built).unwrap();
    let after: Vec<_> = paths.iter().map(|p| look(p)).collect();
    assert_eq!(after, before, "{paths:?}");
    assert_only(tmp.path(), &["out"]);
}

/// Anything short of identical is replaced as before: a generated file edited by hand
/// to another text of the same size, a generated file that became a link to a file
/// with its very text, and a generated folder that became a link to a copy of it (refused,
/// as a folder netpc did not make would be).
#[cfg(unix)]
#[test]
fn a_rebuild_that_only_looks_identical_still_replaces_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let built = files(&[("a/ingress/p.yaml", "p\n"), ("k.yaml", "k\n")]);
    write(&out, &built).unwrap();
    fs::write(out.join("k.yaml"), "K\n").unwrap();
    write(&out, &built).unwrap();
    assert_eq!(fs::read_to_string(out.join("k.yaml")).unwrap(), "k\n");

    fs::write(tmp.path().join("k-copy.yaml"), "k\n").unwrap();
    fs::remove_file(out.join("k.yaml")).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("k-copy.yaml"), out.join("k.yaml")).unwrap();
    let folder = inode(&out);
    write(&out, &built).unwrap();
    assert!(fs::symlink_metadata(out.join("k.yaml")).unwrap().is_file());
    assert_ne!(inode(&out), folder, "replaced");

    let copy = tmp.path().join("a-copy");
    fs::rename(out.join("a"), &copy).unwrap();
    std::os::unix::fs::symlink(&copy, out.join("a")).unwrap();
    let err = write(&out, &built).unwrap_err().to_string();
    assert!(err.contains("refusing to replace"), "{err}");
    assert!(fs::symlink_metadata(out.join("a")).unwrap().is_symlink());
}

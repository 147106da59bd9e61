//! Issue 16: `netpc fmt` through the binary: standard input to standard output,
//! `--check` (lists, writes nothing, exit 1), writing in place (only changed files,
//! atomically, permissions kept, through a symbolic link to its target), files with
//! syntax errors left untouched (exit 1 with the diagnostics), usage errors (exit 2).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use insta_cmd::assert_cmd_snapshot;

const MESSY: &str = "namespace shop{service db{port 5432;}\napi needs db:5432;// the need\n}\n";
const TIDY: &str =
    "namespace shop {\n  service db { port 5432; }\n  api needs db:5432; // the need\n}\n";
const BROKEN: &str = "namespace shop {\n  service db\n}\n";

fn netpc(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netpc"));
    command.current_dir(dir).arg("fmt");
    command
}

/// A folder with an unformatted, a formatted and (optionally) a broken file.
fn folder(broken: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("netp")).unwrap();
    std::fs::write(dir.path().join("netp/messy.netp"), MESSY).unwrap();
    std::fs::write(dir.path().join("netp/tidy.netp"), TIDY).unwrap();
    std::fs::write(dir.path().join("netp/notes.txt"), MESSY).unwrap();
    if broken {
        std::fs::write(dir.path().join("netp/broken.netp"), BROKEN).unwrap();
    }
    dir
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn standard_input_to_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    assert_cmd_snapshot!(netpc(dir.path()).arg("-").pass_stdin(MESSY));
}

#[test]
fn check_on_standard_input_says_stdin_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    assert_cmd_snapshot!(netpc(dir.path()).args(["--check", "-"]).pass_stdin(MESSY));
    let mut tidy = netpc(dir.path())
        .args(["--check", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut tidy.stdin.take().unwrap(), TIDY.as_bytes()).unwrap();
    let tidy = tidy.wait_with_output().unwrap();
    assert_eq!((tidy.status.code(), tidy.stdout.len()), (Some(0), 0));
}

#[test]
fn check_lists_the_files_that_would_change_and_writes_nothing() {
    let dir = folder(false);
    assert_cmd_snapshot!(netpc(dir.path()).args(["--check", "netp"]));
    assert_eq!(read(dir.path(), "netp/messy.netp"), MESSY);
    let tidy = netpc(dir.path())
        .args(["--check", "netp/tidy.netp"])
        .output();
    assert_eq!(tidy.unwrap().status.code(), Some(0));
}

#[test]
fn writes_only_changed_files_keeping_permissions() {
    let dir = folder(false);
    let messy = dir.path().join("netp/messy.netp");
    std::fs::set_permissions(&messy, std::fs::Permissions::from_mode(0o640)).unwrap();
    let tidy_inode = std::fs::metadata(dir.path().join("netp/tidy.netp"))
        .unwrap()
        .ino();
    assert_cmd_snapshot!(netpc(dir.path()).arg("netp"));
    assert_eq!(read(dir.path(), "netp/messy.netp"), TIDY);
    assert_eq!(
        read(dir.path(), "netp/notes.txt"),
        MESSY,
        "not a .netp file"
    );
    let mode = std::fs::metadata(&messy).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let inode = std::fs::metadata(dir.path().join("netp/tidy.netp"))
        .unwrap()
        .ino();
    assert_eq!(inode, tidy_inode, "a formatted file is not rewritten");
    let mut names: Vec<_> = std::fs::read_dir(dir.path().join("netp"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["messy.netp", "notes.txt", "tidy.netp"],
        "no temporary left"
    );
    // A second run has nothing to do.
    let again = netpc(dir.path()).arg("netp").output().unwrap();
    assert_eq!((again.status.code(), again.stdout.len()), (Some(0), 0));
}

#[test]
fn a_symbolic_link_is_kept_and_its_target_formatted() {
    let dir = folder(false);
    std::os::unix::fs::symlink("netp/messy.netp", dir.path().join("link.netp")).unwrap();
    let output = netpc(dir.path()).arg("link.netp").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(dir.path().join("link.netp").is_symlink());
    assert_eq!(read(dir.path(), "netp/messy.netp"), TIDY);
}

#[test]
fn syntax_errors_leave_the_file_untouched_and_exit_1() {
    let dir = folder(true);
    assert_cmd_snapshot!(netpc(dir.path()).args(["--color", "never", "netp"]));
    assert_eq!(read(dir.path(), "netp/broken.netp"), BROKEN);
    // The other files are still formatted.
    assert_eq!(read(dir.path(), "netp/messy.netp"), TIDY);
}

#[test]
fn syntax_errors_on_standard_input_print_nothing_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    assert_cmd_snapshot!(
        netpc(dir.path())
            .args(["--color", "never", "-"])
            .pass_stdin(BROKEN)
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = folder(false);
    assert_cmd_snapshot!(netpc(dir.path()).args(["-", "netp"]));
    assert_cmd_snapshot!(netpc(dir.path()).args(["missing.netp"]));
}

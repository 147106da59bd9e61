//! `git:REV:PATH` sides read only from git's object store: a crafted tree (entries
//! named `..`, `.git`, symbolic links, submodules) is refused with exit 1 and nothing is
//! written anywhere; `use "file"` inside a git side reads the file at the same revision.
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

fn netpc(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_netpc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn git(dir: &Path, args: &[&str], input: Option<&str>) -> String {
    let mut child = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=netpc",
            "-c",
            "user.email=netpc@example.com",
        ])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.unwrap_or("").as_bytes()).unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "git {args:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

const PROGRAM: &str =
    "namespace shop {\n  service db { port 5432; }\n  service api;\n  api needs db;\n}\n";

/// A repository with `netp/app.netp` committed on `main`.
fn repository() -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    git(dir, &["init", "-q", "-b", "main"], None);
    std::fs::create_dir(dir.join("netp")).unwrap();
    std::fs::write(dir.join("netp/app.netp"), PROGRAM).unwrap();
    git(dir, &["add", "."], None);
    git(dir, &["commit", "-q", "-m", "init"], None);
    temp
}

/// A branch `evil` whose `netp` tree holds `app.netp` and `extra` (mode, type, object,
/// name as `git mktree` takes them).
fn evil_branch(dir: &Path, extra: &str) {
    let app = git(dir, &["rev-parse", "HEAD:netp/app.netp"], None);
    let netp = git(
        dir,
        &["mktree"],
        Some(&format!("100644 blob {app}\tapp.netp\n{extra}\n")),
    );
    let root = git(
        dir,
        &["mktree"],
        Some(&format!("040000 tree {netp}\tnetp\n")),
    );
    let commit = git(
        dir,
        &["commit-tree", &root, "-m", "evil", "-p", "HEAD"],
        None,
    );
    git(dir, &["branch", "-f", "evil", &commit], None);
}

#[test]
fn a_tree_entry_named_dot_dot_is_refused_and_nothing_is_written() {
    let repo = repository();
    let dir = repo.path();
    let victim = tempfile::tempdir().unwrap();
    let target = victim.path().join("victim.txt");
    std::fs::write(&target, "precious\n").unwrap();
    // netp/../../<victim dir>/victim.txt: deep enough to leave any temporary folder.
    let blob = git(dir, &["hash-object", "-w", "--stdin"], Some("pwned\n"));
    let mut tree = git(
        dir,
        &["mktree"],
        Some(&format!("100644 blob {blob}\tvictim.txt\n")),
    );
    for component in victim.path().components().rev() {
        let name = component.as_os_str().to_string_lossy().into_owned();
        if name == "/" {
            break;
        }
        tree = git(
            dir,
            &["mktree"],
            Some(&format!("040000 tree {tree}\t{name}\n")),
        );
    }
    for _ in 0..12 {
        tree = git(dir, &["mktree"], Some(&format!("040000 tree {tree}\t..\n")));
    }
    evil_branch(dir, &format!("040000 tree {tree}\t.."));
    for command in [
        &["diff", "netp", "git:evil:netp"][..],
        &["graph", "git:evil:netp"],
    ] {
        let output = netpc(dir, command);
        assert_eq!(output.status.code(), Some(1), "{command:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("not a safe relative path; netpc refuses to read this revision"),
            "{stderr}"
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    }
}

#[test]
fn dot_git_symlinks_and_submodules_are_refused() {
    let repo = repository();
    let dir = repo.path();
    let head = git(dir, &["rev-parse", "HEAD"], None);
    let link = git(dir, &["hash-object", "-w", "--stdin"], Some("/etc/passwd"));
    let blob = git(dir, &["hash-object", "-w", "--stdin"], Some("x\n"));
    let git_tree = git(
        dir,
        &["mktree"],
        Some(&format!("100644 blob {blob}\tconfig\n")),
    );
    for (extra, says) in [
        (
            format!("120000 blob {link}\tlink.netp"),
            "`git:evil:netp/link.netp` is a symbolic link",
        ),
        (
            format!("160000 commit {head}\tsub"),
            "`git:evil:netp/sub` is a submodule",
        ),
        (
            format!("040000 tree {git_tree}\t.git"),
            "entry named `netp/.git/config`",
        ),
    ] {
        evil_branch(dir, &extra);
        let output = netpc(dir, &["diff", "netp", "git:evil:netp"]);
        assert_eq!(output.status.code(), Some(1), "{extra}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{extra}: {stderr}");
    }
}

#[test]
fn use_inside_a_git_side_reads_the_same_revision_and_not_the_work_tree() {
    let repo = repository();
    let dir = repo.path();
    std::fs::write(
        dir.join("common.netp"),
        "external db-backup = 10.9.0.0/24;\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("netp/app.netp"),
        format!("use \"../common.netp\";\n{PROGRAM}namespace shop {{ db needs db-backup:22; }}\n"),
    )
    .unwrap();
    git(dir, &["add", "."], None);
    git(dir, &["commit", "-q", "-m", "use"], None);
    // The work tree now says something else: the git side must not read it.
    std::fs::write(
        dir.join("common.netp"),
        "external db-backup = 10.8.0.0/24;\n",
    )
    .unwrap();
    let output = netpc(dir, &["diff", "git:HEAD:netp", "netp"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("- shop/db -> 10.9.0.0/24 TCP 22"),
        "{stdout}"
    );
    assert!(
        stdout.contains("+ shop/db -> 10.8.0.0/24 TCP 22"),
        "{stdout}"
    );
    // A `use` that leaves the repository is refused, with the file named as in git.
    std::fs::write(
        dir.join("netp/app.netp"),
        format!("use \"../../outside.netp\";\n{PROGRAM}"),
    )
    .unwrap();
    git(dir, &["commit", "-q", "-a", "-m", "outside"], None);
    let output = netpc(dir, &["diff", "git:HEAD:netp", "netp"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("git:HEAD:netp/app.netp"), "{stderr}");
    assert!(!stderr.contains("/tmp/"), "{stderr}");
}

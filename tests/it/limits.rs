//! Issue 8, items 2, 8, 9, 11 and 12: what `use` may read and how it is resolved, one
//! module per file however it is reached, deep YAML refused at once, and special or huge
//! files refused without reading them (docs/limits.md). The real binary on temporary
//! folders with real symbolic links and FIFOs; every run has a deadline, so a hang
//! fails the test instead of stalling it.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Run {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Run netpc in `dir`; kill it (and fail) if it takes longer than 20 s.
fn run_in(dir: &Path, args: &[&str]) -> Run {
    let bin = std::env::var("NETPC_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_netpc").to_owned());
    let mut child = Command::new(bin)
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("netpc {args:?} did not finish in 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        status: status.code(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

/// A program folder that is a git work tree (a `.git` entry is all netpc looks for).
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    dir
}

const SHARED: &str = "namespace shared {\n  service db { port 5432; }\n}\n";
const WRONG: &str = "namespace wrong {\n  service db { port 5432; }\n}\n";

/// Item 2: `../../common.netp` from `a/b/main.netp` is the top `common.netp`, whether
/// the program is named relatively or absolutely.
#[test]
fn use_paths_resolve_relative_to_the_using_file() {
    let dir = repo();
    write(&dir.path().join("common.netp"), SHARED);
    write(&dir.path().join("a/b/common.netp"), WRONG);
    let main = "use \"../../common.netp\";\nnamespace app { service web; }\n";
    write(&dir.path().join("a/b/main.netp"), main);
    let here = dir.path().join("a/b");
    let absolute = here.join("main.netp");
    for target in ["main.netp", absolute.to_str().unwrap()] {
        let run = run_in(&here, &["build", "--stdout", target]);
        assert_eq!(run.status, Some(0), "{target}: {}", run.stderr);
        assert!(run.stdout.contains("namespace: shared"), "{target}");
        assert!(!run.stdout.contains("namespace: wrong"), "{target}");
    }
    let run = run_in(dir.path(), &["build", "--stdout", "a/b"]);
    assert!(run.stdout.contains("namespace: shared") && !run.stdout.contains("wrong:"));
}

/// Item 2: `use` reads nothing absolute and nothing outside the repository, unless
/// `--allow-use-outside` names the folder; the refusal names the path, never an
/// absolute one it computed.
#[test]
fn use_is_bounded_by_the_repository() {
    let outside = tempfile::tempdir().unwrap();
    write(&outside.path().join("lib.netp"), SHARED);
    let dir = repo();
    let lib = outside.path().join("lib.netp");
    let relative = format!(
        "{}{}",
        "../".repeat(dir.path().components().count() + 2),
        lib.to_str().unwrap().trim_start_matches('/')
    );
    let main = format!(
        "use \"{}\";\nuse \"{relative}\";\nnamespace app {{ service web; }}\n",
        lib.display()
    );
    write(&dir.path().join("main.netp"), &main);
    let run = run_in(dir.path(), &["check", "--color", "never", "main.netp"]);
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("error[E216]").count(),
        2,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("an absolute path"));
    assert!(run.stderr.contains("outside the program's repository"));
    assert!(run.stderr.contains("--allow-use-outside DIR"));
    // Without a git work tree, the current folder bounds it.
    let plain = tempfile::tempdir().unwrap();
    write(&plain.path().join("lib.netp"), SHARED);
    write(
        &plain.path().join("sub/main.netp"),
        "use \"../lib.netp\";\n",
    );
    let run = run_in(&plain.path().join("sub"), &["check", "main.netp"]);
    assert_eq!(run.status, Some(1));
    assert!(run.stderr.contains("E216"), "{}", run.stderr);
    assert_eq!(
        run_in(plain.path(), &["check", "sub/main.netp"]).status,
        Some(0)
    );
    // The flag widens it, on every command that loads a program.
    write(
        &dir.path().join("main.netp"),
        &format!("use \"{relative}\";\nnamespace app {{ service web; }}\n"),
    );
    let allow = outside.path().to_str().unwrap();
    for command in ["check", "build", "verify", "graph"] {
        let mut args = vec![command, "--allow-use-outside", allow, "main.netp"];
        if command == "build" {
            args.insert(1, "--stdout");
        }
        let run = run_in(dir.path(), &args);
        assert_eq!(run.status, Some(0), "{command}: {}", run.stderr);
    }
    let run = run_in(
        dir.path(),
        &[
            "diff",
            "--allow-use-outside",
            allow,
            "main.netp",
            "main.netp",
        ],
    );
    assert_eq!(run.status, Some(0), "diff: {}", run.stderr);
    let run = run_in(
        dir.path(),
        &[
            "explain",
            "--allow-use-outside",
            allow,
            "app/web",
            "shared/db:5432",
            "main.netp",
        ],
    );
    assert_eq!(run.status, Some(0), "explain: {}", run.stderr);
}

/// Item 8: a file named on the command line (or found in a folder) and also used is
/// one module, whatever path reaches it (here, a folder linked into the program).
#[test]
fn a_root_that_is_also_used_is_one_module() {
    let dir = repo();
    write(&dir.path().join("shared/common.netp"), SHARED);
    std::fs::create_dir(dir.path().join("prog")).unwrap();
    std::os::unix::fs::symlink("../shared", dir.path().join("prog/lib")).unwrap();
    let main = "use \"lib/common.netp\";\nnamespace app { service web; }\n";
    write(&dir.path().join("prog/main.netp"), main);
    for args in [
        &["check", "shared", "prog"][..],
        &["check", "prog/main.netp", "shared/common.netp"],
        &["check", "."],
    ] {
        let run = run_in(dir.path(), args);
        assert_eq!(run.status, Some(0), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("E202"));
    }
}

/// Item 9: `use` through symbolic links to `.` is the same file: a cycle, reported
/// once per `use`, not an exponential number of modules.
#[test]
fn symbolic_links_do_not_multiply_modules() {
    let dir = repo();
    std::os::unix::fs::symlink(".", dir.path().join("l1")).unwrap();
    std::os::unix::fs::symlink(".", dir.path().join("l2")).unwrap();
    write(
        &dir.path().join("m.netp"),
        "use \"l1/m.netp\";\nuse \"l2/m.netp\";\nnamespace a { service s; }\n",
    );
    write(&dir.path().join("lib.netp"), SHARED);
    write(
        &dir.path().join("n.netp"),
        "use \"l1/lib.netp\";\nuse \"l2/l1/lib.netp\";\n",
    );
    let run = run_in(
        dir.path(),
        &["check", "--color", "never", "m.netp", "n.netp"],
    );
    assert_eq!(run.status, Some(1));
    assert_eq!(
        run.stderr.matches("error[E209]").count(),
        2,
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.matches("error[").count(), 2, "{}", run.stderr);
}

/// Item 11: deeply nested flow collections are refused at once, naming the limit, by
/// every command that reads YAML from disk.
#[test]
fn deep_yaml_is_refused_at_a_fixed_depth() {
    let dir = repo();
    let deep = format!("a: {}{}\n", "[".repeat(40_000), "]".repeat(40_000));
    write(&dir.path().join("m/deep.yaml"), &deep);
    write(
        &dir.path().join("p.netp"),
        "namespace app { service web; }\n",
    );
    let run = run_in(dir.path(), &["build", "-o", "out", "p.netp"]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    write(&dir.path().join("out/app/deep.yaml"), &deep);
    write(&dir.path().join("out/labels.yaml"), &deep);
    for args in [
        &["analyze", "m"][..],
        &["verify", "--against", "out", "p.netp"],
        &["diff", "out", "p.netp"],
    ] {
        let started = Instant::now();
        let run = run_in(dir.path(), args);
        assert_ne!(run.status, Some(0), "{args:?}");
        assert!(
            run.stderr.contains("nested deeper than 100 levels"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{args:?}: {:?}",
            started.elapsed()
        );
    }
}

/// Item 12: FIFOs, devices and huge files are refused, by name, without hanging or
/// reading them.
#[test]
fn special_and_huge_files_are_refused() {
    let dir = repo();
    mkfifo(&dir.path().join("fifo.netp"));
    let run = run_in(dir.path(), &["check", "fifo.netp"]);
    assert_eq!(run.status, Some(2));
    assert!(
        run.stderr.contains("`fifo.netp`: it is a FIFO"),
        "{}",
        run.stderr
    );
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.netp")).unwrap();
    write(
        &dir.path().join("m.netp"),
        "use \"fifo.netp\";\nuse \"zero.netp\";\n",
    );
    let run = run_in(
        dir.path(),
        &["check", "--allow-use-outside", "/dev", "m.netp"],
    );
    assert_eq!(run.status, Some(1));
    assert!(
        run.stderr.contains("cannot use `fifo.netp`: it is a FIFO"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("cannot use `zero.netp`: it is a character device"),
        "{}",
        run.stderr
    );
    // A sparse file past the limit is refused by its size, not read.
    let big = std::fs::File::create(dir.path().join("big.netp")).unwrap();
    big.set_len((16 << 20) + 1).unwrap();
    let run = run_in(dir.path(), &["check", "big.netp"]);
    assert_eq!(run.status, Some(2));
    assert!(
        run.stderr.contains("`big.netp`: it is larger than 16 MiB"),
        "{}",
        run.stderr
    );
    std::fs::create_dir(dir.path().join("m")).unwrap();
    let big = std::fs::File::create(dir.path().join("m/big.yaml")).unwrap();
    big.set_len((64 << 20) + 1).unwrap();
    let run = run_in(dir.path(), &["analyze", "m/big.yaml"]);
    assert_eq!(run.status, Some(2));
    assert!(run.stderr.contains("larger than 64 MiB"), "{}", run.stderr);
}

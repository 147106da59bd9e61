//! `netpc build` as a process writing the output folder: interrupted builds
//! (SIGTERM, SIGINT) leave no staging folder and the previous output, concurrent
//! builds into one folder both succeed, and output folders that would swallow the
//! sources, the home folder or `/` are refused.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A program of `n` services, 100 per namespace, each needing three others: about
/// 1.5 `n` files in the output.
fn program(dir: &Path, n: usize) {
    let namespaces = n.div_ceil(100);
    let ns = |i: usize| i * namespaces / n;
    let mut files = vec![String::new(); namespaces];
    for (k, text) in files.iter_mut().enumerate() {
        text.push_str(&format!("namespace ns-{k};\nuse std/dns;\n"));
    }
    for i in 0..n {
        let text = &mut files[ns(i)];
        text.push_str(&format!("service svc-{i} {{ port {}; }}\n", 10000 + i));
        let targets: Vec<String> = [1, 7, 31]
            .iter()
            .map(|o| {
                let j = (i + o) % n;
                let name = if ns(j) == ns(i) {
                    format!("svc-{j}")
                } else {
                    format!("ns-{}/svc-{j}", ns(j))
                };
                format!("{name}:{}", 10000 + j)
            })
            .collect();
        text.push_str(&format!(
            "svc-{i} needs {};\nexport svc-{i} to *;\n",
            targets.join(", ")
        ));
    }
    fs::create_dir_all(dir).unwrap();
    for (k, text) in files.iter().enumerate() {
        fs::write(dir.join(format!("ns-{k}.netp")), text).unwrap();
    }
}

fn netpc(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netpc"));
    command.current_dir(cwd).stdin(Stdio::null());
    command
}

fn staging_in(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".netpc-staging"))
        .collect()
}

/// Start a build, wait until its staging folder appears, send `signal`. Returns
/// whether the build was interrupted (it had not finished).
fn interrupt_once(tmp: &Path, signal: &str) -> bool {
    let mut child = netpc(tmp)
        .args(["build", "prog", "-o", "out"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while staging_in(tmp).is_empty() {
        assert!(Instant::now() < deadline, "no staging folder appeared");
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    crate::common::send_signal(child.id(), signal);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(staging_in(tmp), Vec::<String>::new(), "{stderr}");
    if output.status.success() {
        return false;
    }
    // The write was armed before the staging folder appeared, so the signal is
    // reported by name, not left to end the process.
    let name = format!("interrupted (SIG{}) while writing", &signal[1..]);
    assert!(stderr.contains(&name), "{signal}: {stderr}");
    assert_eq!(output.status.code(), Some(2), "{signal}: {stderr}");
    true
}

#[cfg(unix)]
#[test]
fn an_interrupted_build_leaves_no_staging_folder_and_the_previous_output() {
    let tmp = tempfile::tempdir().unwrap();
    program(&tmp.path().join("prog"), 4000);
    for signal in ["-TERM", "-INT"] {
        // A first build (no output yet) killed while it writes: nothing is left.
        let _ = fs::remove_dir_all(tmp.path().join("out"));
        let interrupted = (0..5).any(|_| interrupt_once(tmp.path(), signal));
        assert!(
            interrupted,
            "{signal}: every build finished before the signal"
        );
    }
    // A rebuild killed while it writes: the previous output stays as it was.
    let built = netpc(tmp.path())
        .args(["build", "prog", "-o", "out"])
        .output()
        .unwrap();
    assert!(built.status.success());
    program(&tmp.path().join("prog"), 4100);
    let manifest_now = || fs::read_to_string(tmp.path().join("out/.netpc-generated")).unwrap();
    let interrupted = (0..5).any(|_| {
        let before = manifest_now();
        let interrupted = interrupt_once(tmp.path(), "-TERM");
        if interrupted {
            assert_eq!(
                manifest_now(),
                before,
                "an interrupted rebuild leaves the output"
            );
        }
        interrupted
    });
    assert!(interrupted, "every rebuild finished before the signal");
}

#[test]
fn concurrent_builds_into_a_new_folder_both_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    program(&tmp.path().join("prog"), 1500);
    for round in 0..3 {
        let _ = fs::remove_dir_all(tmp.path().join("out"));
        let builds: Vec<_> = (0..2)
            .map(|_| {
                netpc(tmp.path())
                    .args(["build", "prog", "-o", "out"])
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for build in builds {
            let output = build.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "round {round}: {stderr}");
        }
        assert_eq!(staging_in(tmp.path()), Vec::<String>::new());
        let check = netpc(tmp.path())
            .args(["build", "prog", "-o", "out", "--check"])
            .output();
        assert!(check.unwrap().status.success());
    }
}

#[cfg(unix)]
#[test]
fn a_build_waiting_for_the_lock_stops_on_sigterm() {
    use std::io::BufRead;
    let tmp = tempfile::tempdir().unwrap();
    program(&tmp.path().join("prog"), 3);
    // Another build holds the lock on the output's parent folder.
    let parent = fs::File::open(tmp.path()).unwrap();
    parent.lock().unwrap();
    let mut child = netpc(tmp.path())
        .args(["build", "prog", "-o", "out"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("waiting for another build"), "{line}");
    crate::common::send_signal(child.id(), "-TERM");
    let status = child.wait().unwrap();
    assert!(!status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(rest.contains("interrupted (SIGTERM)"), "{rest}");
    assert!(!tmp.path().join("out").exists());
    assert_eq!(staging_in(tmp.path()), Vec::<String>::new());
}

fn refused(output: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("refusing") && stderr.contains(what),
        "{stderr}"
    );
}

#[test]
fn an_output_folder_holding_the_sources_or_the_home_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let home = root.join("home");
    program(&home.join("repo/prog"), 3);
    fs::write(home.join("repo/README"), "r\n").unwrap();
    let repo = home.join("repo");
    let before: Vec<_> = walkdir::WalkDir::new(&root)
        .into_iter()
        .map(|e| e.unwrap().path().to_path_buf())
        .collect();
    for (args, what) in [
        (&["build", "prog", "-o", "."][..], "holds the input"),
        (&["build", "prog", "-o", "prog"][..], "holds the input"),
        (
            &["build", "prog/ns-0.netp", "-o", "prog/.."][..],
            "holds the input",
        ),
        (&["build", "-o", "."][..], "holds the input"),
        (&["build", "prog", "-o", "../.."][..], "home folder"),
    ] {
        let output = netpc(&repo).env("HOME", &home).args(args).output().unwrap();
        refused(&output, what);
    }
    let output = netpc(&root)
        .env("HOME", &home)
        .args(["build", "home/repo/prog", "-o", "home"])
        .output()
        .unwrap();
    refused(&output, "home folder");
    let after: Vec<_> = walkdir::WalkDir::new(&root)
        .into_iter()
        .map(|e| e.unwrap().path().to_path_buf())
        .collect();
    assert_eq!(after, before, "nothing written");
    // The default `-o out` beside the sources is fine.
    let output = netpc(&repo)
        .env("HOME", &home)
        .args(["build", "prog"])
        .output()
        .unwrap();
    assert!(output.status.success());
}

#[test]
fn the_root_folder_is_refused_as_output() {
    let tmp = tempfile::tempdir().unwrap();
    program(&tmp.path().join("prog"), 3);
    let output = netpc(tmp.path())
        .args(["build", "prog", "-o", "/"])
        .output()
        .unwrap();
    refused(&output, "`/`");
}

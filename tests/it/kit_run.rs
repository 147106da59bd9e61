//! `netpc probe run` against a fake kubectl (tests/kit/fake-kubectl: records its
//! arguments, returns recorded results for `logs`): the order of the steps (apply the
//! setup, wait for the servers, apply the clients, wait for the Jobs, collect each
//! Job's logs, delete the namespaces), a progress line per step, the report and its
//! exit status, `--keep`, `$KUBECTL`, and a failing kubectl (exit 2, still cleaned up).
use std::path::Path;
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn run(temp: &Path, results: &str, extra: &[&str], env: &[(&str, &str)]) -> (Output, Vec<String>) {
    let log = temp.join("kubectl.log");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netpc"));
    cmd.current_dir(ROOT)
        .args(["probe", "run", "examples/quickstart", "--settle", "0", "-o"])
        .arg(temp.join("kit"))
        .args(extra)
        .env("FAKE_KUBECTL_LOG", &log)
        .env(
            "FAKE_KUBECTL_RESULTS",
            format!("{ROOT}/tests/kit/results/{results}.jsonl"),
        )
        .env_remove("KUBECTL");
    for (key, value) in env {
        cmd.env(key, value);
    }
    let output = cmd.output().unwrap();
    let calls = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(|l| l.replace(&temp.display().to_string(), "TMP"))
        .collect();
    (output, calls)
}

fn fake() -> String {
    format!("{ROOT}/tests/kit/fake-kubectl")
}

const NAMESPACES: &str = "netpc-probe netpc-probe-kube-system netpc-probe-shop";

#[test]
fn the_steps_in_order_then_the_report_and_cleanup() {
    let temp = tempfile::tempdir().unwrap();
    let (output, calls) = run(temp.path(), "as-expected", &["--kubectl", &fake()], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("the cluster enforces the program"),
        "{stdout}"
    );
    let mut expected = vec![
        "apply -k TMP/kit/setup".to_owned(),
        "wait --for=condition=Ready pod --selector=netpc.io/kit=server --all-namespaces --timeout=300s".to_owned(),
        "apply -k TMP/kit/clients".to_owned(),
        "wait --for=condition=complete job --selector=netpc.io/kit=client --all-namespaces --timeout=300s".to_owned(),
    ];
    let logs: Vec<&String> = calls.iter().filter(|c| c.starts_with("logs ")).collect();
    assert_eq!(logs.len(), 7, "one `logs` per client Job: {calls:?}");
    assert!(
        logs.contains(&&"logs --namespace netpc-probe-shop job/s-api".to_owned()),
        "{calls:?}"
    );
    expected.extend(logs.iter().map(|l| (*l).clone()));
    expected.push(format!(
        "delete namespace --ignore-not-found --wait=false {NAMESPACES}"
    ));
    assert_eq!(calls, expected);
    let steps: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("probe run: ["))
        .collect();
    assert_eq!(steps.len(), 7, "{stderr}");
    assert!(steps[6].contains("deleting the namespaces"), "{stderr}");
    assert!(temp.path().join("kit/expected.jsonl").exists());
}

#[test]
fn a_mismatch_exits_1_and_keep_leaves_the_namespaces() {
    let temp = tempfile::tempdir().unwrap();
    let (output, calls) = run(
        temp.path(),
        "all-connected",
        &["--keep"],
        &[("KUBECTL", &fake())],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("not enforcing NetworkPolicy"), "{stdout}");
    assert!(!calls.iter().any(|c| c.starts_with("delete")), "{calls:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("kept the namespaces"));
}

#[test]
fn a_failing_kubectl_exits_2_and_still_deletes_the_namespaces() {
    let temp = tempfile::tempdir().unwrap();
    let (output, calls) = run(
        temp.path(),
        "as-expected",
        &["--kubectl", &fake()],
        &[("FAKE_KUBECTL_FAIL", "wait")],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the fake cluster refuses `wait`"),
        "{stderr}"
    );
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(
        calls[2],
        format!("delete namespace --ignore-not-found --wait=false {NAMESPACES}")
    );
}

#[test]
fn a_missing_kubectl_is_a_usage_error() {
    let temp = tempfile::tempdir().unwrap();
    let (output, _) = run(
        temp.path(),
        "as-expected",
        &["--kubectl", "/nonexistent/kubectl"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot run `/nonexistent/kubectl`"));
}

/// Writing the kit catches Ctrl-C only while it writes: once the kit is saved, a
/// signal acts as usual, so a Ctrl-C while kubectl waits for the probes ends `netpc
/// probe run` at once instead of being recorded and ignored.
#[cfg(unix)]
#[test]
fn ctrl_c_while_kubectl_waits_ends_the_run() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let temp = tempfile::tempdir().unwrap();
    let waiting = temp.path().join("waiting");
    let kubectl = temp.path().join("slow-kubectl");
    std::fs::write(
        &kubectl,
        format!(
            "#!/bin/sh\nif [ \"$1\" = wait ]; then echo $$ > '{}'; exec sleep 60; fi\nexit 0\n",
            waiting.display()
        ),
    )
    .unwrap();
    let chmod = Command::new("chmod").arg("+x").arg(&kubectl).status();
    assert!(chmod.unwrap().success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_netpc"))
        .current_dir(ROOT)
        .args(["probe", "run", "examples/quickstart", "--settle", "0", "-o"])
        .arg(temp.path().join("kit"))
        .arg("--kubectl")
        .arg(&kubectl)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(&waiting).map_or(true, |pid| pid.trim().is_empty()) {
        assert!(Instant::now() < deadline, "kubectl was never asked to wait");
        std::thread::sleep(Duration::from_millis(20));
    }
    crate::common::send_signal(child.id(), "-INT");
    let stopped = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > stopped {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let sleeper = std::fs::read_to_string(&waiting).unwrap();
    let _ = Command::new("kill").arg(sleeper.trim()).status();
    let _ = child.kill();
    let status = status.expect("netpc kept running 10 s after Ctrl-C");
    assert_eq!(status.signal(), Some(2), "{status:?}");
}

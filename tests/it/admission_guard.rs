//! Issue 11, item 5: the label guard (`out/admission/`) evaluated with a real CEL
//! implementation. `netpc build` writes the ValidatingAdmissionPolicy; its variables,
//! validations and audit annotation are evaluated by cel-python (standard CEL, installed
//! by .ci/run) through tests/admission/cel_eval.py, which binds `object`, `oldObject`,
//! `request`, `namespaceObject` and `variables` as the API server does and evaluates the
//! variables in order. No API server was available: this checks the expressions, not
//! the API server's compilation, cost limits or matching (docs/rollout.md).
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

const PROGRAM: &str = r#"
guard labels;
namespace grid {
  service api { port 8080; }
  service btrdb { port 4410; }
  service worker { select app = worker, tier = batch; }
  api needs btrdb:4410;
  worker needs btrdb:4410;
  api needs monitoring/pushgateway:9091;
}
namespace monitoring {
  service pushgateway { port 9091; }
  export pushgateway to grid;
}
"#;

/// Whether cel-python is importable; in CI it must be (.ci/run installs it).
fn cel_available() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import celpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found && std::env::var_os("CI").is_some() {
        panic!("cel-python is missing: .ci/run installs it");
    }
    if !found {
        eprintln!("SKIPPED: cel-python not installed (pip install cel-python==0.5.0)");
    }
    found
}

/// Build `program` and return the admission folder's files as JSON values.
fn build(program: &str, dir: &Path) -> (Value, Value, String) {
    std::fs::write(dir.join("app.netp"), program).unwrap();
    let out = dir.join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_netpc"))
        .args(["build", dir.join("app.netp").to_str().unwrap(), "-o"])
        .arg(&out)
        .args(["--color", "never"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let read = |name: &str| -> Value {
        let text = std::fs::read_to_string(out.join("admission").join(name)).unwrap();
        serde_yaml::from_str(&text).unwrap()
    };
    let root = std::fs::read_to_string(out.join("kustomization.yaml")).unwrap();
    (
        read("label-guard-policy.yaml"),
        read("label-guard-binding.yaml"),
        root,
    )
}

fn labels(pairs: &[(&str, &str)]) -> Value {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// An admission request for `kind` in `namespace` whose pod (template) has `labels`.
fn request(
    kind: &str,
    namespace: &str,
    pod: &[(&str, &str)],
    old: Option<&[(&str, &str)]>,
) -> Value {
    let (group, kind_name) = match kind {
        "Pod" => ("", "Pod"),
        "Job" | "CronJob" => ("batch", kind),
        _ => ("apps", kind),
    };
    let object = |labels_: Value| {
        let template = json!({"metadata": {"labels": labels_}, "spec": {"containers": []}});
        match kind {
            "Pod" => {
                json!({"metadata": {"name": "p", "namespace": namespace, "labels": template["metadata"]["labels"]}, "spec": {}})
            }
            "CronJob" => {
                json!({"metadata": {"name": "w"}, "spec": {"jobTemplate": {"spec": {"template": template}}}})
            }
            _ => json!({"metadata": {"name": "w"}, "spec": {"template": template}}),
        }
    };
    json!({
        "object": object(labels(pod)),
        "oldObject": old.map(|o| object(labels(o))),
        "request": {
            "kind": {"group": group, "version": "v1", "kind": kind_name},
            "operation": if old.is_some() { "UPDATE" } else { "CREATE" },
            "name": "w",
        },
        "namespaceObject": {"metadata": {"name": namespace}},
    })
}

fn evaluate(policy: &Value, action: &str, requests: &[Value]) -> Vec<Value> {
    let mut child = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/admission/cel_eval.py"
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = json!({"policy": policy, "action": action, "requests": requests});
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// (what, request, admitted, the start of the rejection message if any)
fn cases() -> Vec<(&'static str, Value, bool, &'static str)> {
    let api = [("app", "api"), ("needs-btrdb", "true")];
    vec![
        (
            "declared client pod",
            request("Pod", "grid", &api, None),
            true,
            "",
        ),
        (
            "declared client with both its labels",
            request(
                "Pod",
                "grid",
                &[
                    ("app", "api"),
                    ("needs-btrdb", "true"),
                    ("needs-monitoring.pushgateway", "true"),
                ],
                None,
            ),
            true,
            "",
        ),
        (
            "pod without needs labels",
            request("Pod", "grid", &[("app", "newjob")], None),
            true,
            "",
        ),
        (
            "pod without labels",
            request("Pod", "grid", &[], None),
            true,
            "",
        ),
        (
            "new client through the label only",
            request(
                "Pod",
                "grid",
                &[("app", "newjob"), ("needs-btrdb", "true")],
                None,
            ),
            false,
            "the label needs-btrdb grants network access",
        ),
        (
            "label naming no target",
            request(
                "Pod",
                "grid",
                &[("app", "api"), ("needs-nothing", "true")],
                None,
            ),
            false,
            "the label needs-nothing names no target",
        ),
        (
            "deployment of a client with a multi-label selector",
            request(
                "Deployment",
                "grid",
                &[
                    ("app", "worker"),
                    ("tier", "batch"),
                    ("needs-btrdb", "true"),
                ],
                None,
            ),
            true,
            "",
        ),
        (
            "deployment matching only part of the client's selector",
            request(
                "Deployment",
                "grid",
                &[("app", "worker"), ("needs-btrdb", "true")],
                None,
            ),
            false,
            "the label needs-btrdb grants network access",
        ),
        (
            "cron job granting itself access",
            request(
                "CronJob",
                "grid",
                &[("app", "newjob"), ("needs-btrdb", "true")],
                None,
            ),
            false,
            "the label needs-btrdb grants network access",
        ),
        (
            "job of a declared client",
            request("Job", "grid", &api, None),
            true,
            "",
        ),
        (
            "daemon set of a declared client",
            request("DaemonSet", "grid", &api, None),
            true,
            "",
        ),
        (
            "replica set of a declared client",
            request("ReplicaSet", "grid", &api, None),
            true,
            "",
        ),
        (
            "the target wearing its own client label",
            request(
                "StatefulSet",
                "grid",
                &[("app", "btrdb"), ("needs-btrdb", "true")],
                None,
            ),
            false,
            "the label needs-btrdb grants network access",
        ),
        (
            "a client label of another namespace",
            request(
                "Pod",
                "monitoring",
                &[("app", "api"), ("needs-btrdb", "true")],
                None,
            ),
            false,
            "the label needs-btrdb grants network access",
        ),
        (
            "an update that keeps the labels (a scale, a rollout)",
            request(
                "Deployment",
                "grid",
                &[("app", "newjob"), ("needs-btrdb", "true")],
                Some(&[("app", "newjob"), ("needs-btrdb", "true")]),
            ),
            true,
            "",
        ),
        (
            "an update that adds the label",
            request(
                "Deployment",
                "grid",
                &[("app", "newjob"), ("needs-btrdb", "true")],
                Some(&[("app", "newjob")]),
            ),
            false,
            "the label needs-btrdb grants network access",
        ),
        (
            "an exempt debug pod",
            request(
                "Pod",
                "grid",
                &[("app", "debug"), ("netp.io/exempt", "true")],
                None,
            ),
            true,
            "",
        ),
    ]
}

#[test]
fn the_guard_admits_declared_clients_and_rejects_labels_that_grant_access() {
    if !cel_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (policy, binding, root) = build(PROGRAM, dir.path());
    assert_eq!(binding["spec"]["validationActions"], json!(["Deny"]));
    assert_eq!(policy["spec"]["failurePolicy"], "Fail");
    assert!(
        root.contains("- admission\n"),
        "guard labels; applies it with out/:\n{root}"
    );
    let cases = cases();
    let requests: Vec<Value> = cases.iter().map(|c| c.1.clone()).collect();
    let results = evaluate(&policy, "Deny", &requests);
    let mut rejected = 0;
    for ((what, _, admitted, message), result) in cases.iter().zip(&results) {
        assert_eq!(result["error"], Value::Null, "{what}: {result}");
        assert_eq!(result["allowed"], json!(admitted), "{what}: {result}");
        if !admitted {
            rejected += 1;
            let first = result["messages"][0].as_str().unwrap();
            assert!(first.starts_with(message), "{what}: {first}");
        }
    }
    assert!(cases.len() >= 12 && rejected >= 6);
    // The exempt label stays usable, and its use is recorded.
    let exempt = &results[cases
        .iter()
        .position(|c| c.0 == "an exempt debug pod")
        .unwrap()];
    assert_eq!(
        exempt["audit"]["exempt-label"],
        "Pod grid/p carries the exempt label netp.io/exempt=true: no generated network policy restricts it"
    );
    assert_eq!(results[0]["audit"], json!({}));
}

#[test]
fn warn_mode_admits_with_a_warning_and_is_not_applied_without_guard() {
    if !cel_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (policy, binding, root) = build(
        &PROGRAM.replace("guard labels;", "guard labels warn;"),
        dir.path(),
    );
    assert_eq!(binding["spec"]["validationActions"], json!(["Warn"]));
    let bad = request(
        "Pod",
        "grid",
        &[("app", "newjob"), ("needs-btrdb", "true")],
        None,
    );
    let result = &evaluate(&policy, "Warn", &[bad])[0];
    assert_eq!(result["allowed"], true, "{result}");
    assert!(
        result["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("the label needs-btrdb grants network access")
    );
    assert!(root.contains("- admission\n"));
    // Without `guard labels;` the folder is written but not in out/kustomization.yaml.
    let dir = tempfile::tempdir().unwrap();
    let (_, binding, root) = build(&PROGRAM.replace("guard labels;", ""), dir.path());
    assert_eq!(binding["spec"]["validationActions"], json!(["Deny"]));
    assert!(!root.contains("admission"), "{root}");
}

//! `--workloads`: the real manifests checked against the program (the UI fixtures under
//! `tests/ui/workloads/` go through the one UI harness, `tests/it/ui.rs`); CLI tests run the binary on standard input, folders, `List`s, JSON,
//! CronJobs and manifests without namespaces; `--fix-labels` is checked through
//! `kubectl kustomize` where kubectl exists; `verify --workloads` exits 0 / 1.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn netpc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_netpc"))
}

fn with_stdin(mut command: Command, input: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const SHOP: &str = "examples/shop-workloads";
const BASE: &str = "examples/shop-workloads/k8s/base";

/// Codes of the JSON diagnostics on stderr.
fn json_codes(output: &Output) -> Vec<String> {
    stderr(output)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| v["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn folder_without_namespaces_takes_the_namespace_flag() {
    let output = netpc()
        .args(["check", SHOP, "--color", "never", "--workloads", BASE])
        .output()
        .unwrap();
    // Without --namespace the objects are in `default`, which the program does not mention.
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output)
            .contains("12 workloads in namespaces the program does not mention (default 12)"),
        "{}",
        stderr(&output)
    );
    let output = netpc()
        .args([
            "check",
            SHOP,
            "--message-format",
            "json",
            "--workloads",
            BASE,
        ])
        .args(["--namespace", "shop"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let codes = json_codes(&output);
    assert_eq!(codes.len(), 9, "{codes:?}");
    assert!(codes.iter().all(|c| c == "E400"));
    let first: serde_json::Value =
        serde_json::from_str(stderr(&output).lines().next().unwrap()).unwrap();
    let text = first.to_string();
    assert!(text.contains("k8s/base/cartservice.yaml"), "{text}");
    assert!(text.contains("shop.netp"), "{text}");
    assert!(
        text.contains("its egress to `shop/redis-cart` will be denied"),
        "{text}"
    );
}

#[test]
fn stdin_list_json_and_cronjob() {
    let list = r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "apps/v1", "kind": "Deployment",
   "metadata": {"name": "api", "namespace": "grid"},
   "spec": {"template": {"metadata": {"labels": {"app": "api"}}}}},
  {"apiVersion": "batch/v1", "kind": "CronJob",
   "metadata": {"name": "compact", "namespace": "grid"},
   "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"app": "compactor"}}}}}}},
  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
]}"#;
    let program = "tests/workloads/grid.netp";
    let mut command = netpc();
    command.args(["check", program, "--color", "never", "--workloads", "-"]);
    let output = with_stdin(command, list);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    // The API lacks its label; the CronJob's template is a client too.
    assert!(
        text.contains("`Deployment/api` lacks the label `needs-btrdb: \"true\"`"),
        "{text}"
    );
    assert!(
        text.contains("`CronJob/compact` lacks the label `needs-btrdb: \"true\"`"),
        "{text}"
    );
    assert!(text.contains("<stdin>:"), "{text}");
    assert!(
        text.contains("workloads: 2 workloads and 0 Services checked"),
        "{text}"
    );
}

#[test]
fn fix_labels_component_renders_workloads_that_pass() {
    let dir = tempfile::tempdir().unwrap();
    let component = dir.path().join("labels");
    let output = netpc()
        .args(["check", SHOP, "--workloads", BASE, "--namespace", "shop"])
        .arg("--fix-labels")
        .arg(&component)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = std::fs::read_to_string(component.join("kustomization.yaml")).unwrap();
    assert!(text.contains("kind: Component"));
    assert!(!text.contains("selector"), "{text}");
    // The committed Component is what netpc writes.
    let committed =
        std::fs::read_to_string("examples/shop-workloads/k8s/netpc-labels/kustomization.yaml")
            .unwrap();
    assert_eq!(text, committed);
    // A file netpc did not write is never replaced.
    let foreign = dir.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("kustomization.yaml"), "mine\n").unwrap();
    let output = netpc()
        .args(["check", SHOP, "--workloads", BASE, "--namespace", "shop"])
        .arg("--fix-labels")
        .arg(&foreign)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(foreign.join("kustomization.yaml")).unwrap(),
        "mine\n"
    );

    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
        eprintln!("kubectl not found: the kustomize half is skipped");
        return;
    }
    let rendered = Command::new("kubectl")
        .args(["kustomize", "examples/shop-workloads/k8s/overlay"])
        .output()
        .unwrap();
    assert!(rendered.status.success(), "{}", stderr(&rendered));
    let manifests = stdout(&rendered);
    let mut command = netpc();
    command.args(["check", SHOP, "--color", "never", "--workloads", "-"]);
    let output = with_stdin(command, &manifests);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut command = netpc();
    command.args(["verify", SHOP, "--workloads", "-"]);
    let output = with_stdin(command, &manifests);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("the real workloads get exactly what the program declares"));
}

#[test]
fn verify_workloads_reports_denied_connections() {
    let output = netpc()
        .args(["verify", SHOP, "--workloads", BASE, "--namespace", "shop"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert_eq!(
        text.matches("declared but denied on the real workloads")
            .count(),
        9,
        "{text}"
    );
    assert!(text.contains(
        "declared but denied on the real workloads: shop/Deployment/cartservice -> shop/Deployment/redis-cart: TCP 6379"
    ), "{text}");
    assert!(
        text.contains("shop.netp:36:3: `cartservice needs redis-cart:6379;`"),
        "{text}"
    );
    assert!(
        text.contains("shop/allow-ingress-redis-cart isolates"),
        "{text}"
    );
}

#[test]
fn verify_workloads_reports_undeclared_grants() {
    let manifests = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: plotter, namespace: grid}
spec:
  template:
    metadata:
      labels: {app: plotter, needs-btrdb: \"true\"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: btrdb, namespace: grid}
spec:
  template:
    metadata:
      labels: {app: btrdb}
";
    let mut command = netpc();
    command.args(["verify", "tests/workloads/grid.netp", "--workloads", "-"]);
    let output = with_stdin(command, manifests);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains(
        "allowed on the real workloads but not declared: grid/Deployment/plotter -> grid/StatefulSet/btrdb"
    ) || text.contains(
        "allowed on the real workloads but not declared: grid/Deployment/plotter -> grid/Deployment/btrdb: TCP 4410"
    ), "{text}");
    assert!(
        text.contains("allow-egress-to-btrdb allows TCP 4410"),
        "{text}"
    );
}

#[test]
fn unreadable_sources_exit_2() {
    let output = netpc()
        .args(["check", SHOP, "--workloads", "no/such/file.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("`no/such/file.yaml` does not exist"));
}

/// `verify --workloads` expects what the program declares under the same
/// `--enforcement` as the compiled policies: with enforcement off everything is
/// expected, so the unlabelled workloads match (before, the expectation ignored the
/// flag and reported 420 undeclared connections).
#[test]
fn verify_workloads_follows_the_enforcement_flag() {
    let output = netpc()
        .args([
            "verify",
            SHOP,
            "--workloads",
            BASE,
            "--namespace",
            "shop",
            "--enforcement",
            "off",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("the real workloads get exactly what the program declares"));
    // With egress off only, the missing labels still deny on the ingress side.
    let output = netpc()
        .args([
            "verify",
            SHOP,
            "--workloads",
            BASE,
            "--namespace",
            "shop",
            "--enforcement",
            "egress=off",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert_eq!(
        text.matches("declared but denied on the real workloads")
            .count(),
        9,
        "{text}"
    );
    assert!(
        !text.contains("allowed on the real workloads but not declared"),
        "{text}"
    );
}

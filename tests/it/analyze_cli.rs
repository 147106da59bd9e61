//! `netpc analyze` as a user runs it: stdout, stderr and exit status snapshotted
//! together, on the fixtures in tests/analyze/cli (run from that folder so paths in
//! messages are relative).
use std::process::Command;

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};

/// Keeps this file's snapshots with its fixtures (tests/analyze/snapshots).
fn snapshots_here() -> insta::internals::SettingsBindDropGuard {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("analyze/snapshots");
    settings.bind_to_scope()
}

fn analyze(args: &[&str]) -> Command {
    let mut cmd = Command::new(get_cargo_bin("netpc"));
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/analyze/cli"))
        .arg("analyze")
        .args(args);
    cmd
}

/// Namespaces, a Deployment, a CronJob, StatefulSet pods in a CRLF `List`, policies
/// in a JSON `NetworkPolicyList` in a subfolder, a Service and a README (skipped).
#[test]
fn text_is_the_netpol_analyzer_connlist() {
    let _snapshots = snapshots_here();
    assert_cmd_snapshot!(analyze(&["shop"]));
}

#[test]
fn json_format() {
    let _snapshots = snapshots_here();
    assert_cmd_snapshot!(analyze(&["shop", "--format", "json"]));
}

#[test]
fn markdown_format() {
    let _snapshots = snapshots_here();
    assert_cmd_snapshot!(analyze(&["shop", "--format", "md"]));
}

#[test]
fn dot_format_groups_by_namespace() {
    let _snapshots = snapshots_here();
    assert_cmd_snapshot!(analyze(&["shop", "--format", "dot"]));
}

#[test]
fn files_can_be_given_one_by_one() {
    let whole = analyze(&["shop"]).output().unwrap();
    let files = analyze(&[
        "shop/namespaces.yaml",
        "shop/workloads.yaml",
        "shop/sub/pods-crlf.yaml",
        "shop/sub/policies.json",
    ])
    .output()
    .unwrap();
    assert!(whole.status.success());
    assert_eq!(
        String::from_utf8_lossy(&whole.stdout),
        String::from_utf8_lossy(&files.stdout)
    );
}

#[test]
fn ipblock_pods_ignore_is_the_default() {
    let _snapshots = snapshots_here();
    assert_cmd_snapshot!(analyze(&["podips"]));
}

#[test]
fn ipblock_pods_match_uses_pod_ips() {
    let _snapshots = snapshots_here();
    assert_cmd_snapshot!(analyze(&["podips", "--ipblock-pods", "match"]));
}

#[test]
fn an_invalid_policy_names_file_object_and_field() {
    let _snapshots = snapshots_here();
    assert_cmd_snapshot!(analyze(&["invalid"]));
}

#[test]
fn a_file_that_is_not_yaml_is_an_error_with_its_path() {
    let _snapshots = snapshots_here();
    assert_cmd_snapshot!(analyze(&["notyaml"]));
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let _snapshots = snapshots_here();
    assert_cmd_snapshot!(analyze(&["nothere"]));
}

#[test]
fn an_invalid_policy_name_is_only_a_warning() {
    let _snapshots = snapshots_here();
    assert_cmd_snapshot!(analyze(&["warnname"]));
}

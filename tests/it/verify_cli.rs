//! `netpc verify` as a user runs it: stdout, stderr and exit status snapshotted
//! together, run from tests/verify/cli so paths are relative. `edited/` is the output
//! of `netpc build app.netp -o edited` with two hand edits (UDP 53 removed from the DNS
//! egress, exempt pods admitted to db), each marked by a comment in its file.
use std::process::Command;

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};

fn verify(args: &[&str]) -> Command {
    let mut cmd = Command::new(get_cargo_bin("netpc"));
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/verify/cli"))
        .arg("verify")
        .args(args);
    cmd
}

#[test]
fn a_program_compiled_in_memory_matches() {
    assert_cmd_snapshot!(verify(&["app.netp"]));
}

#[test]
fn every_example_matches() {
    for example in ["failsafe", "platform", "quickstart", "selectors", "spec"] {
        let path = format!("../../../examples/{example}");
        let output = verify(&[&path]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{example}: {output:?}");
    }
}

#[test]
fn a_hand_edited_folder_is_reported_with_the_needs_and_policies_involved() {
    assert_cmd_snapshot!(verify(&["app.netp", "--against", "edited"]));
}

#[test]
fn a_freshly_built_folder_matches() {
    let (code, stdout) = verify_an_edited_folder("app.netp", |_| {});
    assert_eq!(code, Some(0), "{stdout}");
}

/// `verify --against` a fresh build of `program` (in tests/verify/cli) after `edit`
/// changed the folder by hand (or left it as built): its exit status and stdout.
fn verify_an_edited_folder(
    program: &str,
    edit: impl FnOnce(&std::path::Path),
) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let build = Command::new(get_cargo_bin("netpc"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/verify/cli"))
        .args(["build", program, "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(build.status.success());
    edit(&out);
    let output = verify(&[program, "--against", out.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code(), stdout)
}

/// Replace `from` by `to` in `out/labels.yaml`.
fn edit_contract(out: &std::path::Path, from: &str, to: &str) {
    let contract = out.join("labels.yaml");
    let text = std::fs::read_to_string(&contract).unwrap();
    assert!(text.contains(from), "{text}");
    std::fs::write(&contract, text.replace(from, to)).unwrap();
}

/// A folder whose label contract no longer matches the program (a service renamed in
/// `labels.yaml` by hand) fails, naming both sides of the mismatch.
#[test]
fn a_label_contract_that_names_another_service_fails() {
    let (code, stdout) = verify_an_edited_folder("app.netp", |out| {
        edit_contract(out, "  service: db\n", "  service: database\n");
    });
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("error: label contract: labels.yaml has `shop/database`, which the program does not declare")
            && stdout.contains("error: label contract: the program's `shop/db` is missing from labels.yaml")
            && stdout.contains("2 label contract problems"),
        "{stdout}"
    );
}

/// A folder that calls a namespace managed where the program does not manage it
/// (`kube-system`, which the program only names; its contract entry edited and empty
/// kustomizations added, so the folder reads as complete) gets that namespace's probe
/// pods for unmatched and exempt pods, which the program has no place for.
#[test]
fn a_label_contract_that_manages_an_unmanaged_namespace_fails() {
    let (code, stdout) = verify_an_edited_folder("app.netp", |out| {
        edit_contract(
            out,
            "- name: kube-system\n  managed: false\n",
            "- name: kube-system\n  managed: true\n",
        );
        for direction in ["ingress", "egress"] {
            let folder = out.join("namespaces/kube-system").join(direction);
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(
                folder.join("kustomization.yaml"),
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
            )
            .unwrap();
        }
    });
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("error: label contract: labels.yaml has `kube-system/(no service)`, which the program does not declare (or not as managed)")
            && stdout.contains("error: label contract: labels.yaml has `kube-system/(exempt)`")
            && stdout.contains("2 label contract problems"),
        "{stdout}"
    );
}

/// A need whose target is a namespace set of every namespace is compared with the pods
/// of every namespace: narrowed by hand to kube-system, the rule no longer lets api
/// reach shop's exempt pod (which admits everything), and verify says so.
#[test]
fn a_need_of_every_namespace_is_compared_with_the_pods_of_every_namespace() {
    let (code, stdout) = verify_an_edited_folder("every-namespace.netp", |out| {
        let policy = out.join("namespaces/shop/egress/allow-egress-from-api.yaml");
        let text = std::fs::read_to_string(&policy).unwrap();
        let every = "    - namespaceSelector: {}\n";
        assert!(text.contains(every), "{text}");
        let narrowed = text.replace(
            every,
            "    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: kube-system\n",
        );
        std::fs::write(&policy, narrowed).unwrap();
    });
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("error: declared but not allowed: shop/api -> shop/(exempt): TCP 9091"),
        "{stdout}"
    );
}

#[test]
fn over_grants_of_the_labels_style_are_listed_but_do_not_fail() {
    assert_cmd_snapshot!(verify(&["overgrant.netp"]));
}

#[test]
fn enforcement_off_makes_the_extra_connections_expected() {
    // The folder was built with enforcement on: verifying it as if built with
    // `--enforcement off` finds the allow-all policies missing.
    let output = verify(&["app.netp", "--against", "edited", "--enforcement", "off"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let compiled = verify(&["app.netp", "--enforcement", "off"])
        .output()
        .unwrap();
    assert_eq!(compiled.status.code(), Some(0), "{compiled:?}");
}

#[test]
fn a_program_with_errors_exits_1_with_its_diagnostics() {
    assert_cmd_snapshot!(verify(&["broken.netp"]));
}

#[test]
fn a_missing_folder_exits_2() {
    assert_cmd_snapshot!(verify(&["app.netp", "--against", "nowhere"]));
}

#[test]
fn a_folder_without_a_label_contract_exits_2() {
    assert_cmd_snapshot!(verify(&["app.netp", "--against", "edited/namespaces/shop"]));
}

#[test]
fn services_that_policies_cannot_tell_apart_are_reported() {
    assert_cmd_snapshot!(verify(&["overlap.netp"]));
}

#[test]
fn a_folder_with_a_file_that_is_not_yaml_exits_1() {
    assert_cmd_snapshot!(verify(&["app.netp", "--against", "notyaml"]));
}

#[test]
fn policies_the_api_server_would_reject_exit_1() {
    assert_cmd_snapshot!(verify(&["app.netp", "--against", "invalid"]));
}

#[test]
fn json_format() {
    assert_cmd_snapshot!(verify(&["overgrant.netp", "--format", "json"]));
}

//! `netpc build` end to end with the real binary: the compiled output of every
//! example (snapshotted, every document parsed back into a NetworkPolicy), `--stdout`,
//! byte-identical rebuilds, small diffs for one more `needs` line, `--check`, exit
//! statuses, and the previous output surviving failed and killed builds.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::Deserialize;

fn netpc() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netpc"));
    command.env_remove("NETPC_TIMINGS");
    command
}

fn build(args: &[&str]) -> Output {
    netpc()
        .arg("build")
        .args(args)
        .args(["--color", "never"])
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn examples() -> Vec<PathBuf> {
    let mut examples: Vec<PathBuf> = fs::read_dir("examples")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    examples.sort();
    assert!(examples.len() >= 5);
    examples
}

fn render(tree: &BTreeMap<String, String>) -> String {
    tree.iter()
        .map(|(p, t)| format!("==> {p} <==\n{t}"))
        .collect()
}

fn parse_policies(text: &str) -> Vec<NetworkPolicy> {
    serde_yaml::Deserializer::from_str(text)
        .map(|d| NetworkPolicy::deserialize(d).unwrap())
        .collect()
}

#[test]
fn every_example_compiles_to_the_layout() {
    for example in examples() {
        let name = example.file_name().unwrap().to_string_lossy().into_owned();
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let output = build(&[example.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{name}: {}",
            text(&output.stderr)
        );
        assert_eq!(text(&output.stderr), "", "{name}: no diagnostics expected");
        let files = common::read_tree(&out);
        for (path, content) in &files {
            let policy_file = path.ends_with(".yaml")
                && !path.ends_with("kustomization.yaml")
                && !path.starts_with("admission/")
                && path != "labels.yaml";
            if policy_file {
                let policies = parse_policies(content);
                assert!(!policies.is_empty(), "{name}/{path}");
                for policy in policies {
                    assert_eq!(policy.spec.unwrap().policy_types.unwrap().len(), 1);
                }
            }
        }
        insta::assert_snapshot!(format!("build_{name}"), render(&files));
    }
}

#[test]
fn stdout_is_the_applied_objects_in_kustomization_order() {
    for example in examples() {
        let name = example.file_name().unwrap().to_string_lossy().into_owned();
        let stream = stdout_in_kustomization_order(&example);
        insta::assert_snapshot!(format!("stdout_{name}"), stream);
    }
}

/// With `guard labels;` the stream ends with the guard's two objects, each its own
/// document after the policies.
#[test]
fn stdout_with_the_label_guard_ends_with_its_objects() {
    let program = PathBuf::from("tests/admission/program/guard.netp");
    let stream = stdout_in_kustomization_order(&program);
    let kinds: Vec<_> = documents(&stream)
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_owned())
        .collect();
    let policies = kinds.iter().filter(|k| *k == "NetworkPolicy").count();
    assert!(policies > 0);
    assert_eq!(
        kinds[policies..],
        [
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding"
        ]
    );
}

/// `build PROGRAM --stdout`, checked to be the same objects as the files the
/// kustomizations of `build PROGRAM -o DIR` list, in that order.
fn stdout_in_kustomization_order(program: &std::path::Path) -> String {
    let name = program.display();
    let output = build(&[program.to_str().unwrap(), "--stdout"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{name}: {}",
        text(&output.stderr)
    );
    let stream = text(&output.stdout);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&[program.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let mut expected = Vec::new();
    for file in applied_files(&out) {
        expected.extend(documents(&fs::read_to_string(file).unwrap()));
    }
    assert_eq!(documents(&stream), expected, "{name}");
    stream
}

/// The files a kustomization folder applies, in its (`fifo`) order, following the
/// folders it lists.
fn applied_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let kustomization: serde_yaml::Value =
        serde_yaml::from_str(&fs::read_to_string(dir.join("kustomization.yaml")).unwrap()).unwrap();
    assert_eq!(
        kustomization["sortOptions"]["order"],
        "fifo",
        "{}",
        dir.display()
    );
    let mut files = Vec::new();
    for resource in kustomization["resources"].as_sequence().unwrap() {
        let path = dir.join(resource.as_str().unwrap());
        if path.is_dir() {
            files.extend(applied_files(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn documents(text: &str) -> Vec<serde_yaml::Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|d| serde_yaml::Value::deserialize(d).unwrap())
        .collect()
}

#[test]
fn rebuilding_gives_byte_identical_output() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    build(&["examples/platform", "-o", a.to_str().unwrap()]);
    build(&["examples/platform", "-o", b.to_str().unwrap()]);
    assert_eq!(common::read_tree(&a), common::read_tree(&b));
    // And rebuilding in place changes nothing.
    build(&["examples/platform", "-o", a.to_str().unwrap()]);
    assert_eq!(common::read_tree(&a), common::read_tree(&b));
}

#[test]
fn one_more_needs_line_changes_only_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir_all(&src).unwrap();
    let program = fs::read_to_string("examples/quickstart/app.netp").unwrap();
    fs::write(src.join("app.netp"), &program).unwrap();
    let out = tmp.path().join("out");
    build(&[src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let before = common::read_tree(&out);

    let changed = program.replace(
        "  api needs db:5432;",
        "  api needs db:5432;\n  service cache;\n  api needs cache:6379;",
    );
    assert_ne!(changed, program);
    fs::write(src.join("app.netp"), changed).unwrap();
    let output = build(&[src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let after = common::read_tree(&out);
    let differing: Vec<&str> = after
        .keys()
        .chain(before.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .map(String::as_str)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        differing,
        [
            ".netpc-generated",
            "admission/label-guard-policy.yaml",
            "labels.yaml",
            "namespaces/shop/egress/allow-egress-to-cache.yaml",
            "namespaces/shop/egress/kustomization.yaml",
            "namespaces/shop/ingress/allow-ingress-cache.yaml",
            "namespaces/shop/ingress/kustomization.yaml",
        ]
    );
}

#[test]
fn check_passes_on_current_output_and_lists_drift() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let out_arg = out.to_str().unwrap();
    // Nothing built yet: everything is missing.
    let output = build(&["examples/quickstart", "-o", out_arg, "--check"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(!out.exists(), "--check must not write");

    build(&["examples/quickstart", "-o", out_arg]);
    let output = build(&["examples/quickstart", "-o", out_arg, "--check"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    fs::write(
        out.join("namespaces/shop/ingress/allow-ingress-db.yaml"),
        "edited by hand\n",
    )
    .unwrap();
    fs::remove_file(out.join("labels.yaml")).unwrap();
    let before = common::read_tree(&out);
    let output = build(&["examples/quickstart", "-o", out_arg, "--check"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr).replace(out_arg, "OUT");
    insta::assert_snapshot!(stderr, @"
    error: `OUT` is not up to date (2 files differ); run `netpc build` and commit the result
      differs: namespaces/shop/ingress/allow-ingress-db.yaml
      missing: labels.yaml
    ");
    assert_eq!(common::read_tree(&out), before, "--check must not write");
}

#[test]
fn enforcement_flag_adds_allow_all_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let (on, off) = (tmp.path().join("on"), tmp.path().join("off"));
    build(&["examples/quickstart", "-o", on.to_str().unwrap()]);
    let output = build(&[
        "examples/quickstart",
        "-o",
        off.to_str().unwrap(),
        "--enforcement",
        "off",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let (on, off) = (common::read_tree(&on), common::read_tree(&off));
    let added: Vec<&String> = off.keys().filter(|k| !on.contains_key(*k)).collect();
    assert_eq!(
        added,
        [
            "namespaces/shop/egress/allow-all-egress.yaml",
            "namespaces/shop/ingress/allow-all-ingress.yaml"
        ]
    );
    let changed: Vec<&String> = on.keys().filter(|k| on[*k] != off[*k]).collect();
    assert_eq!(
        changed,
        [
            ".netpc-generated",
            "namespaces/shop/egress/kustomization.yaml",
            "namespaces/shop/ingress/kustomization.yaml"
        ]
    );
}

#[test]
fn input_errors_exit_1_and_leave_the_output_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&["examples/quickstart", "-o", out.to_str().unwrap()]);
    let before = common::read_tree(&out);
    let bad = tmp.path().join("bad.netp");
    fs::write(
        &bad,
        "namespace shop { service api; api needs nowhere:80; }\n",
    )
    .unwrap();
    let output = build(&[bad.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("error"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(common::read_tree(&out), before);
}

#[test]
fn an_unwritable_output_folder_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("blocker");
    fs::write(&blocker, "a file").unwrap();
    let out = blocker.join("out");
    let output = build(&["examples/quickstart", "-o", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("error: cannot create the folder"),
        "{stderr}"
    );
}

#[test]
fn stdout_conflicts_with_an_output_folder() {
    let output = build(&["examples/quickstart", "--stdout", "-o", "x"]);
    assert_eq!(output.status.code(), Some(2));
}

/// A full disk under `--stdout` is an I/O failure (exit 2) that names its cause.
#[cfg(target_os = "linux")]
#[test]
fn stdout_on_a_full_disk_exits_2_with_the_cause() {
    let output = netpc()
        .args([
            "build",
            "examples/quickstart",
            "--stdout",
            "--color",
            "never",
        ])
        .stdout(fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        "error: cannot write the output: No space left on device (os error 28)\n"
    );
}

/// A program big enough that writing it takes a while: `n` services in 10 namespaces.
fn write_big_program(dir: &Path, n: usize) {
    fs::create_dir_all(dir).unwrap();
    for k in 0..10 {
        let mut text = format!("namespace ns-{k};\n");
        for i in 0..n / 10 {
            let j = (i + 1) % (n / 10);
            text.push_str(&format!(
                "service s-{i} {{ port 80; }}\ns-{i} needs s-{j}:80;\n"
            ));
        }
        fs::write(dir.join(format!("ns-{k}.netp")), text).unwrap();
    }
}

#[test]
fn a_killed_build_leaves_either_the_old_or_the_new_output() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let out_arg = out.to_str().unwrap();
    let small = tmp.path().join("small");
    write_big_program(&small, 50);
    let big = tmp.path().join("big");
    write_big_program(&big, 4000);
    assert_eq!(
        build(&[small.to_str().unwrap(), "-o", out_arg])
            .status
            .code(),
        Some(0)
    );
    let old = common::read_tree(&out);
    fs::write(out.join("NOTES.md"), "ours\n").unwrap();
    let mut killed_before_the_end = 0;
    // Kill at moments spread over the build (about a second in a debug build), so
    // some kills land while files are written and some after the swap.
    for delay_ms in [10, 100, 300, 600, 900, 1200, 1600] {
        let mut child = netpc()
            .args(["build", big.to_str().unwrap(), "-o", out_arg])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if !status.success() {
            killed_before_the_end += 1;
        }
        let mut now = common::read_tree(&out);
        assert_eq!(now.remove("NOTES.md").as_deref(), Some("ours\n"));
        if now != old {
            // Complete new output: rebuilding changes nothing.
            assert!(now.len() > old.len());
            assert_eq!(
                build(&[big.to_str().unwrap(), "-o", out_arg, "--check"])
                    .status
                    .code(),
                Some(0),
                "after a kill at {delay_ms} ms the output is neither the old nor the new one"
            );
            // Back to the old output for the next round.
            build(&[small.to_str().unwrap(), "-o", out_arg]);
            let mut again = common::read_tree(&out);
            again.remove("NOTES.md");
            assert_eq!(again, old);
        }
    }
    assert!(
        killed_before_the_end > 0,
        "no build was killed before it finished"
    );
}

/// Issue 11: `enforcement egress off;` (program-wide or in a namespace) and
/// `--enforcement egress=off` add only `allow-all-egress`; a direction set twice in one
/// scope is E212; a bad flag value is a usage error.
#[test]
fn per_direction_enforcement_adds_only_that_directions_allow_all() {
    let tmp = tempfile::tempdir().unwrap();
    let program = "namespace shop {\n  service db;\n  service api;\n  api needs db:5432;\n}\n";
    let variants = [
        (
            "flag",
            program.to_owned(),
            vec!["--enforcement", "egress=off"],
        ),
        (
            "program",
            format!("enforcement egress off;\n{program}"),
            vec![],
        ),
        (
            "namespace",
            program.replace("  service db;", "  enforcement egress off;\n  service db;"),
            vec![],
        ),
        (
            "override",
            format!("enforcement off;\n{program}"),
            vec!["--enforcement", "ingress=on"],
        ),
    ];
    let base = tmp.path().join("base");
    fs::create_dir(&base).unwrap();
    fs::write(base.join("app.netp"), program).unwrap();
    build(&[
        base.to_str().unwrap(),
        "-o",
        tmp.path().join("on").to_str().unwrap(),
    ]);
    let on = common::read_tree(&tmp.path().join("on"));
    for (name, source, flags) in variants {
        let dir = tmp.path().join(name);
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("app.netp"), source).unwrap();
        let out = tmp.path().join(format!("{name}-out"));
        let mut args = vec![dir.to_str().unwrap(), "-o", out.to_str().unwrap()];
        args.extend(flags);
        let output = build(&args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{name}: {}",
            text(&output.stderr)
        );
        let off = common::read_tree(&out);
        let added: Vec<&String> = off.keys().filter(|k| !on.contains_key(*k)).collect();
        assert_eq!(
            added,
            ["namespaces/shop/egress/allow-all-egress.yaml"],
            "{name}"
        );
        assert!(
            on.keys().all(|k| off.contains_key(k)),
            "{name}: nothing removed"
        );
    }
    let twice = tmp.path().join("twice.netp");
    fs::write(
        &twice,
        format!("enforcement off;\nenforcement egress on;\n{program}"),
    )
    .unwrap();
    let output = build(&[twice.to_str().unwrap(), "--stdout"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("error[E212]"),
        "{}",
        text(&output.stderr)
    );
    let output = build(&[
        base.to_str().unwrap(),
        "--stdout",
        "--enforcement",
        "sideways=off",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("`sideways` is not a direction"),
        "{}",
        text(&output.stderr)
    );
}

//! `netpc diff` end to end with the real binary: program folders, compiled folders and
//! `git:REV:PATH` sides; text, JSON and Markdown; `--exit-code`; objects changed
//! without a change in connectivity; and the errors that exit 2.

use std::path::Path;
use std::process::Command;

use insta_cmd::assert_cmd_snapshot;

const OLD: &str = "tests/insight/diff/old";
const NEW: &str = "tests/insight/diff/new";
const SELECTORS: &str = "tests/insight/diff/selectors";

fn netpc() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netpc"));
    command.env_remove("NETPC_TIMINGS").env("NO_COLOR", "1");
    command
}

fn diff(args: &[&str]) -> Command {
    let mut command = netpc();
    command.arg("diff").args(args);
    command
}

#[test]
fn program_folders_text() {
    assert_cmd_snapshot!(diff(&[OLD, NEW]));
}

#[test]
fn reversed_sides_swap_added_and_removed() {
    let forward = diff(&[OLD, NEW]).output().unwrap();
    let backward = diff(&[NEW, OLD]).output().unwrap();
    let flip = |text: &[u8]| -> Vec<String> {
        let mut lines: Vec<String> = String::from_utf8_lossy(text)
            .lines()
            .map(|l| match l.split_at(1) {
                ("+", rest) => format!("-{}", rest.replace("(granted through", "(revoked through")),
                ("-", rest) => format!("+{}", rest.replace("(revoked through", "(granted through")),
                _ => l.to_owned(),
            })
            .collect();
        lines.sort();
        lines
    };
    let mut expected: Vec<String> = String::from_utf8_lossy(&backward.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    expected.sort();
    assert_eq!(flip(&forward.stdout), expected);
    assert!(!expected.is_empty());
}

#[test]
fn json_format() {
    assert_cmd_snapshot!(diff(&["--format", "json", OLD, NEW]));
}

#[test]
fn markdown_format() {
    assert_cmd_snapshot!(diff(&["--format", "md", OLD, NEW]));
}

#[test]
fn exit_code_is_1_when_different_and_0_when_same() {
    let differ = diff(&["--exit-code", OLD, NEW]).output().unwrap();
    assert_eq!(differ.status.code(), Some(1));
    let same = diff(&["--exit-code", OLD, OLD]).output().unwrap();
    assert_eq!(same.status.code(), Some(0));
    assert!(same.stdout.is_empty());
    let without = diff(&[OLD, NEW]).output().unwrap();
    assert_eq!(without.status.code(), Some(0));
    let markdown = diff(&["--format", "md", OLD, OLD]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&markdown.stdout).contains("No connection added or removed."),
        "{markdown:?}"
    );
    let json = diff(&["--format", "json", OLD, OLD]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["added"], serde_json::json!([]));
    assert_eq!(json["objects"], serde_json::json!([]));
}

#[test]
fn identity_styles_change_objects_but_not_connectivity() {
    assert_cmd_snapshot!(diff(&["--exit-code", OLD, SELECTORS]));
}

#[test]
fn a_compiled_folder_equals_its_program() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    let built = netpc()
        .args(["build", OLD, "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(built.status.success(), "{built:?}");
    let same = diff(&["--exit-code", OLD]).arg(&out).output().unwrap();
    assert_eq!(same.status.code(), Some(0), "{same:?}");
    assert!(same.stdout.is_empty());
    let changed = diff(&["--exit-code"]).arg(&out).arg(NEW).output().unwrap();
    let program = diff(&[OLD, NEW]).output().unwrap();
    assert_eq!(changed.status.code(), Some(1));
    assert_eq!(changed.stdout, program.stdout);
}

#[test]
fn an_edited_object_without_connectivity_change_is_listed() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    assert!(
        netpc()
            .args(["build", OLD, "-o"])
            .arg(&out)
            .status()
            .unwrap()
            .success()
    );
    let edited = temp.path().join("edited");
    copy_dir(&out, &edited);
    // A second, redundant copy of the DNS port list changes the object, not who can
    // reach whom.
    let path =
        edited.join("namespaces/shop/egress/allow-egress-all-pods-to-kube-system.kube-dns.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replacen(
        "    ports:\n",
        "    ports:\n    - protocol: UDP\n      port: 53\n",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let output = diff(&["--exit-code"])
        .arg(&out)
        .arg(&edited)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "objects changed without a change in connectivity:\n  changed shop/allow-egress-all-pods-to-kube-system.kube-dns\n"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=netpc",
            "-c",
            "user.email=netpc@example.com",
        ])
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A repository whose first commit holds `old`, second `new`, as `netp/shop.netp`.
fn repository() -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    git(dir, &["init", "-q"]);
    std::fs::create_dir(dir.join("netp")).unwrap();
    for (from, message) in [(OLD, "old"), (NEW, "new")] {
        std::fs::copy(
            Path::new(from).join("shop.netp"),
            dir.join("netp/shop.netp"),
        )
        .unwrap();
        git(dir, &["add", "."]);
        git(dir, &["commit", "-q", "-m", message]);
    }
    temp
}

#[test]
fn git_sides() {
    let repo = repository();
    let mut command = diff(&["git:HEAD~1:netp", "git:HEAD:netp"]);
    command.current_dir(repo.path());
    assert_cmd_snapshot!(command);
    // The same from inside the folder, against the working tree.
    let inside = diff(&["git:HEAD~1:.", "."])
        .current_dir(repo.path().join("netp"))
        .output()
        .unwrap();
    let program = diff(&[OLD, NEW]).output().unwrap();
    assert_eq!(inside.stdout, program.stdout, "{inside:?}");
}

#[test]
fn git_side_errors_exit_2() {
    let repo = repository();
    let mut bad_rev = diff(&["git:no-such-rev:netp", "netp"]);
    bad_rev.current_dir(repo.path());
    assert_cmd_snapshot!("git_bad_revision", bad_rev);
    let mut missing = diff(&["git:HEAD:nothing-here", "netp"]);
    missing.current_dir(repo.path());
    assert_cmd_snapshot!("git_missing_path", missing);
    let mut malformed = diff(&["git:HEAD", "netp"]);
    malformed.current_dir(repo.path());
    assert_cmd_snapshot!("git_malformed", malformed);
    let mut option = diff(&["git:--output=x:netp", "netp"]);
    option.current_dir(repo.path());
    assert_cmd_snapshot!("git_option_as_revision", option);
    assert!(!repo.path().join("x").exists());
}

#[test]
fn a_side_with_errors_exits_2_with_its_diagnostics() {
    let repo = repository();
    let path = repo.path().join("netp/shop.netp");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("service broken { port 0; }\n");
    std::fs::write(&path, text).unwrap();
    git(repo.path(), &["commit", "-q", "-a", "-m", "broken"]);
    // Diagnostics name the file as `git:REV:PATH`, never the temporary folder.
    let mut command = diff(&["git:HEAD:netp", "netp"]);
    command.current_dir(repo.path());
    assert_cmd_snapshot!(command);
}

#[test]
fn missing_side_exits_2() {
    assert_cmd_snapshot!(diff(&[OLD, "tests/insight/diff/does-not-exist"]));
}

#[test]
fn a_git_side_outside_a_repository_exits_2() {
    let temp = tempfile::tempdir().unwrap();
    let output = diff(&["git:HEAD:netp", "."])
        .current_dir(temp.path())
        .env("GIT_CEILING_DIRECTORIES", temp.path().parent().unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: `git:HEAD:netp`: the current folder is not inside a git repository\n"
    );
}

/// Issue 11, item 6: a new client that reuses a label other clients already wear
/// changes no policy object, only `labels.yaml`; the diff says so on its line.
#[test]
fn access_granted_only_through_a_label_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let old = "namespace grid {\n  service api;\n  service btrdb { port 4410, 4411; }\n  api needs btrdb:4410;\n}\n";
    let new = old.replace(
        "  api needs btrdb:4410;\n",
        "  service newjob;\n  api needs btrdb:4410;\n  newjob needs btrdb:4410;\n",
    );
    let widened = old.replace("api needs btrdb:4410;", "api needs btrdb:{4410, 4411};");
    for (name, text) in [
        ("old", old),
        ("new", new.as_str()),
        ("widened", widened.as_str()),
    ] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
        std::fs::write(dir.path().join(name).join("app.netp"), text).unwrap();
    }
    let run = |a: &str, b: &str| {
        let output = diff(&[
            dir.path().join(a).to_str().unwrap(),
            dir.path().join(b).to_str().unwrap(),
        ])
        .output()
        .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let text = run("old", "new");
    assert!(
        text.contains("+ grid/newjob -> grid/btrdb TCP 4410 (granted through the label `needs-btrdb`; no policy object changed)\n"),
        "{text}"
    );
    assert!(run("new", "old").contains(
        "- grid/newjob -> grid/btrdb TCP 4410 (revoked through the label `needs-btrdb`; no policy object changed)\n"
    ));
    // A change that goes through a policy object gets no such note.
    let text = run("old", "widened");
    assert!(text.contains("+ grid/api -> grid/btrdb TCP 4411"), "{text}");
    assert!(!text.contains("through the label"), "{text}");
}

/// A folder of hand-written NetworkPolicies (no label contract) against a program:
/// both are evaluated on the program's services plus a pod for every label set the
/// manifests select (`{app=api}`), so the migration shows that `api` pods without
/// their `needs-*` labels lose access, and that exempt pods gain it.
#[test]
fn hand_written_manifests_against_a_program() {
    assert_cmd_snapshot!(diff(&[
        "--exit-code",
        "tests/insight/diff/hand-written",
        OLD
    ]));
}

/// The same hand-written folder on both sides: nothing differs (the derived pods are
/// the same on both sides), so `--exit-code` is 0.
#[test]
fn hand_written_manifests_against_themselves() {
    let out = diff(&[
        "--exit-code",
        "tests/insight/diff/hand-written",
        "tests/insight/diff/hand-written",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
}

/// Removing one egress object from the hand-written folder is one removed connection
/// between the derived pods, with no program involved.
#[test]
fn hand_written_folders_against_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let changed = dir.path().join("changed");
    std::fs::create_dir(&changed).unwrap();
    for file in ["default-deny.yaml", "ingress.yaml", "egress.yaml"] {
        let text = std::fs::read_to_string(Path::new("tests/insight/diff/hand-written").join(file))
            .unwrap();
        let text = if file == "egress.yaml" {
            text.split("---")
                .filter(|d| !d.contains("batch-to-db"))
                .collect::<Vec<_>>()
                .join("---")
        } else {
            text
        };
        std::fs::write(changed.join(file), text).unwrap();
    }
    let out = diff(&["tests/insight/diff/hand-written", changed.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "- shop/{app=batch} -> shop/{app=db} TCP 5432\n"
    );
}

//! `netpc graph` end to end with the real binary: DOT and Mermaid for an example
//! program, the unmatched and exempt probes on request, the same graph from the
//! compiled folder, and errors.

use std::process::Command;

use insta_cmd::assert_cmd_snapshot;

fn netpc() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netpc"));
    command.env_remove("NETPC_TIMINGS").env("NO_COLOR", "1");
    command
}

fn graph(args: &[&str]) -> Command {
    let mut command = netpc();
    command.arg("graph").args(args);
    command
}

#[test]
fn dot_of_the_platform_example() {
    assert_cmd_snapshot!(graph(&["examples/platform"]));
}

#[test]
fn mermaid_of_the_platform_example() {
    assert_cmd_snapshot!(graph(&["--format", "mermaid", "examples/platform"]));
}

#[test]
fn all_pods_adds_the_unmatched_and_exempt_probes() {
    assert_cmd_snapshot!(graph(&["--all-pods", "tests/insight/diff/new"]));
}

#[test]
fn both_formats_draw_the_same_edges() {
    let dot = graph(&["examples/platform"]).output().unwrap();
    let mermaid = graph(&["--format", "mermaid", "examples/platform"])
        .output()
        .unwrap();
    let dot = String::from_utf8(dot.stdout).unwrap();
    let mermaid = String::from_utf8(mermaid.stdout).unwrap();
    let dot_edges = dot.lines().filter(|l| l.contains(" -> ")).count();
    let mermaid_edges = mermaid.lines().filter(|l| l.contains(" -->|")).count();
    assert!(dot_edges > 10);
    assert_eq!(dot_edges, mermaid_edges);
}

#[test]
fn a_compiled_folder_draws_like_its_program() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    let built = netpc()
        .args(["build", "examples/platform", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(built.status.success(), "{built:?}");
    let from_folder = graph(&[]).arg(&out).output().unwrap();
    let from_program = graph(&["examples/platform"]).output().unwrap();
    assert!(from_folder.status.success());
    let (folder, program) = (
        String::from_utf8(from_folder.stdout).unwrap(),
        String::from_utf8(from_program.stdout).unwrap(),
    );
    let edges = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.contains(" -> "))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(edges(&folder), edges(&program));
    // Only the program knows the names of its externals.
    assert!(
        program.contains("label=\"s3\\n3.5.0.0/19, 52.216.0.0/15\""),
        "{program}"
    );
    assert!(
        folder.contains("\"3.5.0.0/19, 52.216.0.0/15\" [label=\"3.5.0.0/19, 52.216.0.0/15\""),
        "{folder}"
    );
}

#[test]
fn default_path_is_the_current_folder() {
    let here = graph(&[])
        .current_dir("tests/insight/diff/old")
        .output()
        .unwrap();
    let named = graph(&["tests/insight/diff/old"]).output().unwrap();
    assert!(here.status.success(), "{here:?}");
    assert_eq!(here.stdout, named.stdout);
}

#[test]
fn a_missing_path_exits_2() {
    assert_cmd_snapshot!(graph(&["tests/insight/nothing-here"]));
}

/// `graph --all-pods` draws exactly the connections that `diff` from an empty
/// program adds: the two commands read one evaluation.
#[test]
fn graph_edges_are_the_connections_diff_adds_from_nothing() {
    for example in [
        "examples/platform",
        "examples/spec",
        "examples/failsafe",
        "examples/selectors",
    ] {
        let dot = graph(&["--all-pods", example]).output().unwrap();
        assert!(dot.status.success(), "{dot:?}");
        let mut edges: Vec<String> = String::from_utf8(dot.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| {
                let (ends, label) = l.trim().split_once(" [label=")?;
                let (src, dst) = ends.split_once(" -> ")?;
                Some(format!(
                    "+ {} -> {} {}",
                    src.trim_matches('"'),
                    dst.trim_matches('"'),
                    label.trim_end_matches(']').trim_matches('"')
                ))
            })
            .collect();
        edges.sort();
        let diff = netpc()
            .args(["diff", "tests/insight/empty", example])
            .output()
            .unwrap();
        assert!(diff.status.success(), "{diff:?}");
        let mut added: Vec<String> = String::from_utf8(diff.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        added.sort();
        assert!(edges.len() > 5, "{example}: {edges:?}");
        assert_eq!(edges, added, "{example}");
    }
}

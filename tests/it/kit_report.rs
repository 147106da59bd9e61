//! `netpc probe report` on recorded result files (tests/kit/results, the client Jobs'
//! lines for examples/quickstart): all as expected (exit 0), all connected (the plugin
//! does not enforce NetworkPolicy), one failed allow (named with its `needs` line), one
//! leaked deny (named with the policies that should have denied it), and a deny whose
//! paired allow failed too (inconclusive). Stdout and exit status are snapshotted.
use std::process::Command;

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};

fn report(args: &[&str]) -> Command {
    let mut cmd = Command::new(get_cargo_bin("netpc"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["probe", "report", "examples/quickstart"])
        .args(args);
    cmd
}

fn results(name: &str) -> String {
    format!("tests/kit/results/{name}.jsonl")
}

#[test]
fn all_as_expected() {
    assert_cmd_snapshot!(report(&[&results("as-expected")]));
}

#[test]
fn all_connected_says_the_plugin_is_not_enforcing() {
    assert_cmd_snapshot!(report(&[&results("all-connected")]));
}

#[test]
fn one_failed_allow_names_its_needs_line() {
    assert_cmd_snapshot!(report(&[&results("failed-allow")]));
}

#[test]
fn one_leaked_deny_names_the_policies_that_should_have_denied() {
    assert_cmd_snapshot!(report(&[&results("leaked-deny")]));
}

#[test]
fn a_deny_whose_pair_failed_is_inconclusive() {
    assert_cmd_snapshot!(report(&[&results("inconclusive")]));
}

#[test]
fn json_for_bots() {
    assert_cmd_snapshot!(report(&["--format", "json", &results("leaked-deny")]));
}

#[test]
fn results_from_standard_input_and_missing_ones() {
    let text = std::fs::read_to_string(results("as-expected")).unwrap();
    let half: String = text.lines().take(10).map(|l| format!("{l}\n")).collect();
    assert_cmd_snapshot!(report(&["-"]).pass_stdin(half));
}

#[test]
fn a_report_without_results_is_a_usage_error() {
    assert_cmd_snapshot!(report(&[]));
}

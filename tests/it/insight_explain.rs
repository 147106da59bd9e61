//! Connection `netpc explain SRC DST[:PORT[/PROTO]] [PATH...]` end to end with the real
//! binary: allowed and denied connections with the policy objects of each end and the
//! `.netp` lines behind them, default and named ports, IP ends, `ns/*`, `--exit-code`,
//! and usage errors. (`netpc explain CODE` is tested in `cli_check.rs`.)

use std::process::Command;

use insta_cmd::assert_cmd_snapshot;

const SPEC: &str = "examples/spec";
const PLATFORM: &str = "examples/platform";

fn explain(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netpc"));
    command
        .env_remove("NETPC_TIMINGS")
        .env("NO_COLOR", "1")
        .arg("explain")
        .args(args)
        .args(["--color", "never"]);
    command
}

#[test]
fn allowed_names_both_ends_and_the_need() {
    assert_cmd_snapshot!(explain(&["grid/plotter", "grid/api:443", PLATFORM]));
}

/// Prometheus reaches `grid/api` through a client label that grants only the metrics port.
#[test]
fn denied_says_what_is_missing() {
    assert_cmd_snapshot!(explain(&["monitoring/prometheus", "grid/api:443", SPEC]));
}

#[test]
fn a_named_port_is_the_port_the_service_declares() {
    assert_cmd_snapshot!(explain(&[
        "monitoring/prometheus",
        "grid/api:metrics",
        SPEC
    ]));
}

#[test]
fn without_a_port_every_declared_port_is_explained() {
    let output = explain(&["monitoring/prometheus", "grid/api", SPEC])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("monitoring/prometheus -> grid/api TCP 443: denied"),
        "{text}"
    );
    assert!(
        text.contains("monitoring/prometheus -> grid/api TCP 9100: allowed"),
        "{text}"
    );
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn dns_shows_the_module_need_and_the_use() {
    assert_cmd_snapshot!(explain(&["grid/api", "kube-system/kube-dns:53/udp", SPEC]));
}

#[test]
fn an_address_as_source() {
    assert_cmd_snapshot!(explain(&["8.8.8.8", "grid/api:443", SPEC]));
}

#[test]
fn an_address_as_destination() {
    assert_cmd_snapshot!(explain(&["grid/api", "52.216.1.1:443", SPEC]));
}

#[test]
fn a_private_address_is_not_the_internet() {
    let output = explain(&["10.1.2.3", "grid/api:443", SPEC])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.starts_with("10.1.2.3 -> grid/api TCP 443: denied"),
        "{text}"
    );
}

#[test]
fn a_port_granted_through_a_shared_client_label() {
    assert_cmd_snapshot!(explain(&[
        "shop/reports",
        "shop/db:6000",
        "tests/insight/explain"
    ]));
}

#[test]
fn no_need_at_all() {
    assert_cmd_snapshot!(explain(&["grid/btrdb", "grid/api:443", SPEC]));
}

#[test]
fn unmatched_pods_of_a_namespace() {
    assert_cmd_snapshot!(explain(&["grid/*", "kube-system/kube-dns:53/udp", SPEC]));
}

#[test]
fn exit_code_flags_denied_connections() {
    let denied = explain(&["--exit-code", "grid/btrdb", "grid/api:443", SPEC])
        .output()
        .unwrap();
    assert_eq!(denied.status.code(), Some(1));
    let allowed = explain(&["--exit-code", "grid/api", "grid/btrdb:4410", SPEC])
        .output()
        .unwrap();
    assert_eq!(allowed.status.code(), Some(0));
    let plain = explain(&["grid/btrdb", "grid/api:443", SPEC])
        .output()
        .unwrap();
    assert_eq!(plain.status.code(), Some(0));
}

#[test]
fn the_program_defaults_to_the_current_folder() {
    let here = explain(&["grid/api", "grid/btrdb:4410"])
        .current_dir(SPEC)
        .output()
        .unwrap();
    assert_eq!(here.status.code(), Some(0), "{here:?}");
    let text = String::from_utf8(here.stdout).unwrap();
    assert!(
        text.starts_with("grid/api -> grid/btrdb TCP 4410: allowed"),
        "{text}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_cmd_snapshot!(
        "unknown_endpoint",
        explain(&["grid/apx", "grid/btrdb", SPEC])
    );
    assert_cmd_snapshot!(
        "unknown_named_port",
        explain(&["grid/api", "grid/api:http", SPEC])
    );
    assert_cmd_snapshot!(
        "bad_protocol",
        explain(&["grid/api", "grid/btrdb:4410/icmp", SPEC])
    );
    assert_cmd_snapshot!("port_zero", explain(&["grid/api", "grid/btrdb:0", SPEC]));
    assert_cmd_snapshot!("bad_endpoint", explain(&["grid/api/x", "grid/btrdb", SPEC]));
    assert_cmd_snapshot!(
        "no_ports_declared",
        explain(&["grid/api", "grid/ingest", SPEC])
    );
    assert_cmd_snapshot!("one_endpoint_only", explain(&["grid/api"]));
    assert_cmd_snapshot!(
        "unmanaged_namespace_star",
        explain(&["kube-system/*", "grid/api:443", SPEC])
    );
}

#[test]
fn a_program_with_errors_exits_1_with_diagnostics() {
    assert_cmd_snapshot!(explain(&[
        "grid/api",
        "grid/btrdb",
        "tests/ui/check/many-independent-errors.netp"
    ]));
}

fn stdout_of(args: &[&str]) -> (Option<i32>, String, String) {
    let output = explain(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// A service named without its namespace is the one namespace's that has it.
#[test]
fn a_bare_service_name_when_one_namespace_has_it() {
    let bare = stdout_of(&["plotter", "api:443", PLATFORM]);
    let full = stdout_of(&["grid/plotter", "grid/api:443", PLATFORM]);
    assert_eq!(bare.0, Some(0), "{}", bare.2);
    assert_eq!(bare, full);
    let (code, _, stderr) = stdout_of(&["plotr", "grid/api:443", PLATFORM]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("did you mean `grid/plotter`?"), "{stderr}");
}

#[test]
fn an_ambiguous_bare_name_lists_the_candidates() {
    let (code, stdout, stderr) = stdout_of(&["web", "api:80", "tests/insight/bare"]);
    assert_eq!(code, Some(2), "{stdout}");
    assert_eq!(
        stderr,
        "error: `api` is a service of 2 namespaces: write one of `a/api`, `b/api`\n"
    );
    let (code, stdout, _) = stdout_of(&["web", "a/api:80", "tests/insight/bare"]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.starts_with("a/web -> a/api TCP 80: allowed"),
        "{stdout}"
    );
}

/// Rules are named like `verify` and kubectl name them: `spec.egress[0]`, 0-based.
#[test]
fn rules_are_numbered_from_0_like_verify() {
    let (_, stdout, _) = stdout_of(&["grid/plotter", "grid/api:443", PLATFORM]);
    assert!(
        stdout.contains("allow-egress-to-api spec.egress[0] lets it reach")
            && stdout.contains("allow-ingress-api spec.ingress[0] admits"),
        "{stdout}"
    );
    assert!(!stdout.contains("(rule"), "{stdout}");
}

/// A number DST does not declare is a question with an answer (denied, exit 0) and a
/// line saying so; an unknown port name cannot be answered (exit 2).
#[test]
fn an_undeclared_port_number_is_explained_and_an_unknown_name_is_a_usage_error() {
    let (code, stdout, _) = stdout_of(&["grid/plotter", "grid/api:8080", PLATFORM]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.starts_with("grid/plotter -> grid/api TCP 8080: denied"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "  grid/api does not declare TCP 8080; grid/api serves TCP 443, TCP 9100 (metrics)\n"
        ),
        "{stdout}"
    );
    let (code, _, stderr) = stdout_of(&["grid/plotter", "grid/api:http", PLATFORM]);
    assert_eq!(code, Some(2), "{stderr}");
}

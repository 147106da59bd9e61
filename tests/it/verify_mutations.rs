//! The verifier can fail: compiled manifests of an example are broken on purpose (a
//! policy deleted, a rule widened, a client label dropped from the contract, a default
//! deny removed) and verify must report exactly the resulting mismatch.
use crate::common;

use std::path::PathBuf;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use netpc::analyze::{ConnSet, PortSet, Protocol};
use netpc::ir::Program;
use netpc::source::Sources;
use netpc::verify::{self, FindingKind, Report};

fn load(example: &str) -> (Sources, Program, netpc::output::Folder) {
    let (mut sources, roots, _) = common::load_program(&[PathBuf::from("examples").join(example)]);
    let (program, _) = netpc::check(&mut sources, &roots, &common::DiskLoader);
    let program = program.unwrap();
    let manifests = verify::compiled(&netpc::lower::plan(
        program.clone(),
        Default::default(),
        &mut netpc::diagnostic::Diagnostics::new(),
    ))
    .unwrap();
    (sources, program, manifests)
}

fn run(program: &Program, manifests: &netpc::output::Folder) -> Report {
    verify::verify(program, manifests.clone(), Default::default()).unwrap()
}

fn policy<'m>(
    manifests: &'m mut netpc::output::Folder,
    ns: &str,
    name: &str,
) -> &'m mut NetworkPolicy {
    manifests
        .policies
        .iter_mut()
        .map(|(p, _)| p)
        .find(|p| {
            p.metadata.namespace.as_deref() == Some(ns) && p.metadata.name.as_deref() == Some(name)
        })
        .unwrap()
}

fn summary(report: &Report) -> Vec<(FindingKind, String, String, String)> {
    report
        .findings
        .iter()
        .map(|f| {
            (
                f.kind,
                f.src_name.clone(),
                f.dst_name.clone(),
                f.conns.to_string(),
            )
        })
        .collect()
}

#[test]
fn a_deleted_ingress_policy_is_reported_as_declared_but_not_allowed() {
    let (sources, program, mut manifests) = load("quickstart");
    manifests
        .policies
        .retain(|(p, _)| p.metadata.name.as_deref() != Some("allow-ingress-db"));
    let report = run(&program, &manifests);
    assert!(!report.matches());
    assert_eq!(
        summary(&report),
        [(
            FindingKind::NotAllowed,
            "shop/api".to_owned(),
            "shop/db".to_owned(),
            "TCP 5432".to_owned()
        )]
    );
    insta::assert_snapshot!(verify::render(&report, &program, &sources));
}

#[test]
fn a_widened_rule_is_reported_as_allowed_but_not_declared() {
    let (sources, program, mut manifests) = load("quickstart");
    // The db's ingress rule loses its `ports`: every port and protocol from api.
    let spec = policy(&mut manifests, "shop", "allow-ingress-db")
        .spec
        .as_mut()
        .unwrap();
    spec.ingress.as_mut().unwrap()[0].ports = None;
    let spec = policy(&mut manifests, "shop", "allow-egress-to-db")
        .spec
        .as_mut()
        .unwrap();
    spec.egress.as_mut().unwrap()[0].ports = None;
    let report = run(&program, &manifests);
    let widened = &report.findings;
    assert_eq!(widened.len(), 1, "{widened:?}");
    assert_eq!(widened[0].kind, FindingKind::NotDeclared);
    let mut expected = ConnSet::all();
    expected = verify::expected::difference(
        &expected,
        &ConnSet::of(Protocol::Tcp, PortSet::range(5432, 5432)),
    );
    assert_eq!(widened[0].conns, expected);
    insta::assert_snapshot!(verify::render(&report, &program, &sources));
}

#[test]
fn a_client_label_missing_from_the_contract_is_reported() {
    let (_, program, mut manifests) = load("platform");
    let api = manifests
        .contract
        .services
        .iter_mut()
        .find(|s| s.service == "api")
        .unwrap();
    assert!(api.labels.remove("needs-btrdb").is_some());
    let report = run(&program, &manifests);
    assert_eq!(
        summary(&report),
        [(
            FindingKind::NotAllowed,
            "grid/api".to_owned(),
            "grid/btrdb".to_owned(),
            "TCP 4410".to_owned()
        )]
    );
}

#[test]
fn a_removed_default_deny_opens_everything_not_declared() {
    let (_, program, mut manifests) = load("quickstart");
    manifests
        .policies
        .retain(|(p, _)| p.metadata.name.as_deref() != Some("default-deny-ingress"));
    let report = run(&program, &manifests);
    // api and the unmatched pod were isolated for ingress only by the default deny; db
    // still is, by `allow-ingress-db`. (Removing `default-deny-egress` instead changes
    // nothing: `std/dns` gives `allow-egress-all-pods-to-kube-system.kube-dns`, which
    // isolates every pod.)
    assert!(!report.matches());
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.kind == FindingKind::NotDeclared)
    );
    let found = |src: &str, dst: &str| {
        report
            .findings
            .iter()
            .any(|f| f.src_name == src && f.dst_name == dst && f.conns.is_all())
    };
    assert!(found("kube-system/kube-dns", "shop/api"));
    assert!(found("shop/(exempt)", "shop/(no service)"));
    assert!(found("192.0.2.1 (no external)", "shop/api"));
    assert!(report.findings.iter().all(|f| f.dst_name != "shop/db"));
}

#[test]
fn an_egress_rule_to_the_wrong_address_range_is_reported_both_ways() {
    let (_, program, mut manifests) = load("platform");
    let spec = policy(&mut manifests, "grid", "allow-egress-to-s3")
        .spec
        .as_mut()
        .unwrap();
    let block = spec.egress.as_mut().unwrap()[0].to.as_mut().unwrap()[0]
        .ip_block
        .as_mut()
        .unwrap();
    assert_eq!(block.cidr, "3.5.0.0/19");
    block.cidr = "3.5.0.0/20".to_owned();
    let report = run(&program, &manifests);
    let kinds: Vec<_> = summary(&report);
    // 3.5.31.255 (last of the /19) is no longer reachable by api and ingester.
    assert_eq!(
        kinds,
        [
            (
                FindingKind::NotAllowed,
                "grid/api".into(),
                "3.5.31.255 (internet, s3)".into(),
                "TCP 443".into()
            ),
            (
                FindingKind::NotAllowed,
                "grid/ingester".into(),
                "3.5.31.255 (internet, s3)".into(),
                "TCP 443".into()
            ),
        ]
    );
}

#[test]
fn an_untouched_example_matches() {
    let (_, program, manifests) = load("platform");
    let report = run(&program, &manifests);
    assert!(report.matches() && report.findings.is_empty());
}

#[test]
fn a_named_port_missing_from_the_contract_is_reported() {
    let (_, program, mut manifests) = load("platform");
    let api = manifests
        .contract
        .services
        .iter_mut()
        .find(|s| s.service == "api")
        .unwrap();
    assert_eq!(api.named_ports.len(), 1);
    api.named_ports.clear();
    let report = run(&program, &manifests);
    // `prometheus needs grid/api:metrics`: the rule says `port: metrics`, and a pod
    // without that named port gets nothing from it.
    assert_eq!(
        summary(&report),
        [(
            FindingKind::NotAllowed,
            "monitoring/prometheus".to_owned(),
            "grid/api".to_owned(),
            "TCP 9100".to_owned()
        )]
    );
}

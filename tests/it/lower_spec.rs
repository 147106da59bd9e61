//! Lowering of the specification's complete example (built by hand as IR, so these
//! tests do not depend on the parser): the whole output folder in both identity
//! styles, every document parsing back into a NetworkPolicy, determinism, the
//! enforcement switch as a pure addition, and a new need changing only its files.

use crate::lower_support;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use lower_support::*;
use netpc::diagnostic::Diagnostics;
use netpc::ir::{Endpoint, IdentityStyle, Ports, Program, Protocol};
use netpc::lower::{Options, plan};

pub fn spec_example(identity: IdentityStyle) -> (Program, netpc::source::Sources) {
    let mut b = Builder::new(identity);
    let grid = b.namespace("grid", true);
    let nginx = b.namespace("ingress-nginx", false);
    let kube_system = b.namespace("kube-system", false);
    let monitoring = b.namespace("monitoring", true);
    let p443 = b.service_port(None, 443, 443, Protocol::Tcp);
    let metrics = b.service_port(Some("metrics"), 9100, 9100, Protocol::Tcp);
    let api = b.service(grid, "api", &[p443, metrics]);
    let p4410 = b.service_port(None, 4410, 4410, Protocol::Tcp);
    let btrdb = b.service(grid, "btrdb", &[p4410]);
    let ingest = b.service_with(
        grid,
        "ingest",
        [("app.kubernetes.io/name".to_owned(), "ingester".to_owned())].into(),
        &[],
    );
    let controller = b.service_with(
        nginx,
        "controller",
        [(
            "app.kubernetes.io/name".to_owned(),
            "ingress-nginx".to_owned(),
        )]
        .into(),
        &[],
    );
    let dns_udp = b.service_port(None, 53, 53, Protocol::Udp);
    let dns_tcp = b.service_port(None, 53, 53, Protocol::Tcp);
    let kube_dns = b.service_with(
        kube_system,
        "kube-dns",
        [("k8s-app".to_owned(), "kube-dns".to_owned())].into(),
        &[dns_udp, dns_tcp],
    );
    let prometheus = b.service(monitoring, "prometheus", &[]);
    let p9091 = b.service_port(None, 9091, 9091, Protocol::Tcp);
    let pushgateway = b.service(monitoring, "pushgateway", &[p9091]);
    let internet = b.external(
        None,
        "internet",
        &["0.0.0.0/0"],
        &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
    );
    let s3 = b.external(Some(grid), "s3", &["52.216.0.0/15", "3.5.0.0/19"], &[]);
    let dns_ports = list(&[port(Protocol::Udp, 53, 53), tcp(53)]);
    use Endpoint::*;
    b.need(Namespace(grid), Service(kube_dns), dns_ports.clone());
    b.need(Namespace(monitoring), Service(kube_dns), dns_ports);
    b.need(Service(api), Service(btrdb), list(&[tcp(4410)]));
    b.need(Service(ingest), Service(btrdb), list(&[tcp(4410)]));
    b.need(Service(api), External(s3), list(&[tcp(443)]));
    b.need(Service(api), Service(pushgateway), list(&[tcp(9091)]));
    b.need(External(internet), Service(api), list(&[tcp(443)]));
    b.need(Service(controller), Service(api), list(&[tcp(443)]));
    b.need(Service(prometheus), Service(btrdb), list(&[tcp(4410)]));
    b.need(
        Service(prometheus),
        Service(api),
        list(&[named("metrics", 9100)]),
    );
    b.finish()
}

fn build(program: &Program, options: Options) -> Vec<netpc::emit::File> {
    let mut diagnostics = Diagnostics::new();
    let plan = plan(program.clone(), options, &mut diagnostics);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_view_matches_object(&plan);
    netpc::emit::files(&plan).unwrap()
}

/// Every `.yaml` document outside `labels.yaml` and the kustomizations.
fn policies(files: &[netpc::emit::File]) -> Vec<NetworkPolicy> {
    let mut out = Vec::new();
    for file in files {
        if !file.path.ends_with(".yaml")
            || file.path.ends_with("kustomization.yaml")
            || file.path.starts_with("admission/")
            || file.path == "labels.yaml"
        {
            continue;
        }
        for document in serde_yaml::Deserializer::from_str(&file.text) {
            use serde::Deserialize;
            out.push(NetworkPolicy::deserialize(document).unwrap());
        }
    }
    out
}

#[test]
fn spec_example_labels_style() {
    let (program, _) = spec_example(IdentityStyle::Labels);
    insta::assert_snapshot!(render_files(&build(&program, Options::default())));
}

#[test]
fn spec_example_selectors_style() {
    let (program, _) = spec_example(IdentityStyle::Selectors);
    insta::assert_snapshot!(render_files(&build(&program, Options::default())));
}

#[test]
fn stdout_stream_is_the_kustomization_order() {
    let (program, _) = spec_example(IdentityStyle::Labels);
    let mut diagnostics = Diagnostics::new();
    let plan = plan(program.clone(), Options::default(), &mut diagnostics);
    let mut stream = Vec::new();
    netpc::emit::stream(&plan, &mut stream).unwrap();
    let stream = String::from_utf8(stream).unwrap();
    insta::assert_snapshot!(stream);
    // Same objects, same order, as the files the kustomizations list.
    let files = netpc::emit::files(&plan).unwrap();
    let mut expected = Vec::new();
    for dir in [
        "namespaces/grid/ingress",
        "namespaces/grid/egress",
        "namespaces/monitoring/ingress",
        "namespaces/monitoring/egress",
    ] {
        let kustomization = files
            .iter()
            .find(|f| f.path == format!("{dir}/kustomization.yaml"))
            .unwrap();
        let value: serde_yaml::Value = serde_yaml::from_str(&kustomization.text).unwrap();
        for resource in value["resources"].as_sequence().unwrap() {
            let path = format!("{dir}/{}", resource.as_str().unwrap());
            let file = files.iter().find(|f| f.path == path).unwrap();
            expected.push(file.text.lines().skip(1).collect::<Vec<_>>().join("\n"));
        }
    }
    let streamed: Vec<String> = stream
        .split("---\n")
        .map(|d| d.trim_end().to_owned())
        .collect();
    assert_eq!(streamed, expected);
}

#[test]
fn every_document_parses_back_with_explicit_single_policy_type() {
    for identity in [IdentityStyle::Labels, IdentityStyle::Selectors] {
        let (program, _) = spec_example(identity);
        for enforcement in [None, Some(false)] {
            let enforcement = netpc::ir::EnforcementOverride {
                ingress: enforcement,
                egress: enforcement,
            };
            let files = build(&program, Options { enforcement });
            let parsed = policies(&files);
            assert!(parsed.len() > 10);
            for policy in parsed {
                let spec = policy.spec.unwrap();
                let types = spec.policy_types.unwrap();
                assert_eq!(types.len(), 1, "{:?}", policy.metadata.name);
                assert_eq!(
                    policy.metadata.labels.unwrap()["app.kubernetes.io/managed-by"],
                    "netpc"
                );
                // Ingress and egress are never mixed in one object.
                match types[0].as_str() {
                    "Ingress" => assert!(spec.egress.is_none()),
                    "Egress" => assert!(spec.ingress.is_none()),
                    other => panic!("{other}"),
                }
                let rules: Vec<_> = spec
                    .ingress
                    .iter()
                    .flatten()
                    .map(|r| (r.from.clone(), r.ports.clone()))
                    .chain(
                        spec.egress
                            .iter()
                            .flatten()
                            .map(|r| (r.to.clone(), r.ports.clone())),
                    )
                    .collect();
                for (peers, ports) in rules {
                    // Never an empty list: absent means everything, and is only
                    // emitted on purpose.
                    assert!(peers.as_ref().is_none_or(|p| !p.is_empty()));
                    assert!(ports.as_ref().is_none_or(|p| !p.is_empty()));
                    for port in ports.iter().flatten() {
                        assert!(port.protocol.is_some());
                    }
                }
            }
        }
    }
}

#[test]
fn output_is_byte_identical_for_identical_input() {
    let (first, _) = spec_example(IdentityStyle::Labels);
    let (second, _) = spec_example(IdentityStyle::Labels);
    assert_eq!(
        build(&first, Options::default()),
        build(&second, Options::default())
    );
}

#[test]
fn enforcement_off_is_a_pure_addition() {
    let (program, _) = spec_example(IdentityStyle::Labels);
    let on = build(&program, Options::default());
    let off = build(
        &program,
        Options {
            enforcement: netpc::ir::EnforcementOverride::both(false),
        },
    );
    let added: Vec<&str> = off
        .iter()
        .filter(|f| !on.iter().any(|o| o.path == f.path))
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(
        added,
        [
            "namespaces/grid/egress/allow-all-egress.yaml",
            "namespaces/grid/ingress/allow-all-ingress.yaml",
            "namespaces/monitoring/egress/allow-all-egress.yaml",
            "namespaces/monitoring/ingress/allow-all-ingress.yaml",
        ]
    );
    for file in &on {
        let other = off.iter().find(|f| f.path == file.path).unwrap();
        if file.text == other.text {
            continue;
        }
        // Only the kustomizations (one more resource each) and the manifest change,
        // and only by added lines.
        assert!(
            file.path.ends_with("kustomization.yaml") || file.path == ".netpc-generated",
            "{} changed",
            file.path
        );
        let before: Vec<&str> = file.text.lines().collect();
        let after: Vec<&str> = other.text.lines().collect();
        let mut i = 0;
        for line in &after {
            if i < before.len() && before[i] == *line {
                i += 1;
            }
        }
        assert_eq!(
            i,
            before.len(),
            "{}: a line was removed or changed",
            file.path
        );
    }
    // The failsafe folder is the same either way, and never in a kustomization.
    for file in on.iter().filter(|f| f.path.starts_with("failsafe/")) {
        assert!(off.contains(file));
    }
    assert!(
        !on.iter()
            .any(|f| f.text.contains("failsafe") && f.path.ends_with("kustomization.yaml"))
    );
}

#[test]
fn one_more_need_changes_only_the_files_it_concerns() {
    let (program, _) = spec_example(IdentityStyle::Labels);
    let before = build(&program, Options::default());
    let mut more = program.clone();
    // prometheus also needs pushgateway (same namespace).
    let prometheus = more
        .services
        .iter()
        .position(|s| s.name == "prometheus")
        .unwrap();
    let pushgateway = more
        .services
        .iter()
        .position(|s| s.name == "pushgateway")
        .unwrap();
    let mut need = more.needs[0].clone();
    need.subject = Endpoint::Service(netpc::ir::ServiceId(prometheus as u32));
    need.target = Endpoint::Service(netpc::ir::ServiceId(pushgateway as u32));
    need.ports = list(&[tcp(9091)]);
    more.needs.push(need);
    more.needs.sort_by_key(|n| (n.subject, n.target));
    let after = build(&more, Options::default());
    let changed: Vec<&str> = after
        .iter()
        .filter(|f| !before.contains(f))
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(
        changed,
        [
            "admission/label-guard-policy.yaml",
            "labels.yaml",
            "namespaces/monitoring/egress/allow-egress-to-pushgateway.yaml",
            "namespaces/monitoring/egress/kustomization.yaml",
            "namespaces/monitoring/ingress/allow-ingress-pushgateway.yaml",
            ".netpc-generated",
        ]
    );
    assert!(
        before
            .iter()
            .all(|f| after.iter().any(|a| a.path == f.path))
    );
}

#[test]
fn external_namespaces_get_no_policies() {
    let (program, _) = spec_example(IdentityStyle::Labels);
    let files = build(&program, Options::default());
    assert!(
        files
            .iter()
            .all(|f| !f.path.starts_with("ingress-nginx") && !f.path.starts_with("kube-system"))
    );
    for policy in policies(&files) {
        let ns = policy.metadata.namespace.unwrap();
        assert!(ns == "grid" || ns == "monitoring", "{ns}");
    }
}

#[test]
fn ports_any_omits_ports() {
    let mut b = Builder::new(IdentityStyle::Labels);
    let a = b.namespace("a", true);
    let web = b.service(a, "web", &[]);
    let db = b.service(a, "db", &[]);
    b.need(Endpoint::Service(web), Endpoint::Service(db), Ports::Any);
    let (program, _) = b.finish();
    let files = build(&program, Options::default());
    let egress = files
        .iter()
        .find(|f| f.path == "namespaces/a/egress/allow-egress-to-db.yaml")
        .unwrap();
    assert!(!egress.text.contains("ports"), "{}", egress.text);
    assert!(egress.text.contains("app: db"));
}

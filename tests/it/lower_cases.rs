//! Lowering of single features on small hand-built programs: ports, externals (IPv4
//! and IPv6), `*` and `N/*` endpoints, the exempt label, per-namespace enforcement,
//! and the naming diagnostics (W004, E321, shortened labels).

use crate::lower_support;

use lower_support::*;
use netpc::diagnostic::{Code, Diagnostics};
use netpc::emit::File;
use netpc::ir::{Endpoint, IdentityStyle, Ports, Program, Protocol};
use netpc::lower::{Options, plan};

fn lower(program: &Program) -> (Vec<File>, Diagnostics) {
    let mut diagnostics = Diagnostics::new();
    let plan = plan(program.clone(), Options::default(), &mut diagnostics);
    assert_view_matches_object(&plan);
    (netpc::emit::files(&plan).unwrap(), diagnostics)
}

fn file<'a>(files: &'a [File], path: &str) -> &'a str {
    let found = files.iter().find(|f| f.path == path);
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    &found
        .unwrap_or_else(|| panic!("no {path} in {paths:#?}"))
        .text
}

fn rendered(sources: &netpc::source::Sources, diagnostics: &Diagnostics) -> String {
    String::from_utf8(netpc::render::human(sources, diagnostics, false)).unwrap()
}

#[test]
fn ports_ranges_protocols_and_named_ports() {
    let mut b = Builder::new(IdentityStyle::Labels);
    let a = b.namespace("a", true);
    let client = b.service(a, "client", &[]);
    let http = b.service_port(Some("http"), 8080, 8080, Protocol::Tcp);
    let server = b.service(a, "server", &[http]);
    b.need(
        Endpoint::Service(client),
        Endpoint::Service(server),
        list(&[
            port(Protocol::Tcp, 30000, 32767),
            port(Protocol::Udp, 53, 53),
            port(Protocol::Sctp, 9, 9),
            named("http", 8080),
        ]),
    );
    let (program, _) = b.finish();
    let (files, diagnostics) = lower(&program);
    assert!(diagnostics.is_empty());
    insta::assert_snapshot!(file(
        &files,
        "namespaces/a/ingress/allow-ingress-server.yaml"
    ));
}

#[test]
fn externals_ipv4_and_ipv6_with_except_per_cidr() {
    let mut b = Builder::new(IdentityStyle::Labels);
    let a = b.namespace("a", true);
    let web = b.service(a, "web", &[]);
    let net = b.external(
        None,
        "partners",
        &["10.0.0.0/8", "2001:db8::/32"],
        &["10.1.0.0/16", "2001:db8:1::/48"],
    );
    b.need(Endpoint::Service(web), Endpoint::External(net), Ports::Any);
    b.need(
        Endpoint::External(net),
        Endpoint::Service(web),
        list(&[tcp(443)]),
    );
    let (program, _) = b.finish();
    let (files, diagnostics) = lower(&program);
    assert!(diagnostics.is_empty());
    insta::assert_snapshot!(format!(
        "{}---\n{}",
        file(&files, "namespaces/a/egress/allow-egress-to-partners.yaml"),
        file(&files, "namespaces/a/ingress/allow-ingress-web.yaml")
    ));
}

#[test]
fn namespace_endpoints_use_own_selectors_and_no_labels() {
    let mut b = Builder::new(IdentityStyle::Labels);
    let a = b.namespace("a", true);
    let z = b.namespace("z", true);
    let web = b.service(a, "web", &[]);
    let sink = b.service(z, "sink", &[]);
    // `*` in a needs z/sink; web needs z/*; z/* needs a/web:80.
    b.need(
        Endpoint::Namespace(a),
        Endpoint::Service(sink),
        list(&[tcp(9000)]),
    );
    b.need(Endpoint::Service(web), Endpoint::Namespace(z), Ports::Any);
    b.need(
        Endpoint::Namespace(z),
        Endpoint::Service(web),
        list(&[tcp(80)]),
    );
    let (program, _) = b.finish();
    let (files, diagnostics) = lower(&program);
    assert!(diagnostics.is_empty());
    let contract = file(&files, "labels.yaml");
    assert!(!contract.contains("needs-"), "{contract}");
    insta::assert_snapshot!(format!(
        "{}---\n{}---\n{}---\n{}",
        file(
            &files,
            "namespaces/a/egress/allow-egress-all-pods-to-z.sink.yaml"
        ),
        file(&files, "namespaces/a/egress/allow-egress-from-web.yaml"),
        file(&files, "namespaces/z/ingress/allow-ingress-all-pods.yaml"),
        file(&files, "namespaces/a/ingress/allow-ingress-web.yaml"),
    ));
}

#[test]
fn custom_exempt_label_and_per_namespace_enforcement() {
    let mut b = Builder::new(IdentityStyle::Labels);
    let a = b.namespace("a", true);
    let z = b.namespace("z", true);
    b.enforcement_off(z);
    b.program.exempt = netpc::ir::ExemptLabel {
        key: "example.com/break-glass".to_owned(),
        value: "yes".to_owned(),
        span: None,
    };
    let (program, _) = b.finish();
    let _ = a;
    let (files, _) = lower(&program);
    assert!(
        !files
            .iter()
            .any(|f| f.path.starts_with("namespaces/a/allow-all"))
    );
    assert!(
        file(&files, "namespaces/z/ingress/kustomization.yaml")
            .contains("- allow-all-ingress.yaml")
    );
    assert!(
        file(&files, "namespaces/z/egress/kustomization.yaml").contains("- allow-all-egress.yaml")
    );
    insta::assert_snapshot!(format!(
        "{}---\n{}---\n{}",
        file(&files, "namespaces/a/ingress/default-deny-ingress.yaml"),
        file(&files, "namespaces/a/egress/exempt-allow-egress.yaml"),
        file(&files, "namespaces/z/ingress/allow-all-ingress.yaml"),
    ));
    // --enforcement on overrides the program.
    let mut diagnostics = Diagnostics::new();
    let plan = plan(
        program.clone(),
        Options {
            enforcement: netpc::ir::EnforcementOverride::both(true),
        },
        &mut diagnostics,
    );
    let files = netpc::emit::files(&plan).unwrap();
    assert!(
        !files
            .iter()
            .any(|f| f.path.starts_with("namespaces/z/ingress/allow-all")
                || f.path.starts_with("namespaces/z/egress/allow-all"))
    );
    assert!(files.iter().any(|f| f.path == "failsafe/z.yaml"));
}

#[test]
fn w004_when_a_label_grants_ports_not_asked_for() {
    let mut b = Builder::new(IdentityStyle::Labels);
    let a = b.namespace("a", true);
    let p1 = b.service_port(None, 5432, 5432, Protocol::Tcp);
    let p2 = b.service_port(Some("admin"), 9187, 9187, Protocol::Tcp);
    let db = b.service(a, "db", &[p1, p2]);
    let api = b.service(a, "api", &[]);
    let ops = b.service(a, "ops", &[]);
    b.need(
        Endpoint::Service(api),
        Endpoint::Service(db),
        list(&[tcp(5432)]),
    );
    b.need(
        Endpoint::Service(ops),
        Endpoint::Service(db),
        list(&[tcp(5432), named("admin", 9187)]),
    );
    let (program, sources) = b.finish();
    let (files, diagnostics) = lower(&program);
    let codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
    // Only api is broadened: ops asked for everything the label grants.
    assert_eq!(codes, [Code::BroaderGrant]);
    insta::assert_snapshot!(rendered(&sources, &diagnostics));
    // The label grants the union, on both sides.
    assert!(file(&files, "namespaces/a/egress/allow-egress-to-db.yaml").contains("port: admin"));
    assert!(file(&files, "namespaces/a/ingress/allow-ingress-db.yaml").contains("port: admin"));

    // The selectors style is port-exact, so it does not warn.
    let mut selectors = program.clone();
    selectors.identity = IdentityStyle::Selectors;
    let (_, diagnostics) = lower(&selectors);
    assert!(diagnostics.is_empty());
}

#[test]
fn one_client_asking_twice_is_not_broadened() {
    let mut b = Builder::new(IdentityStyle::Labels);
    let a = b.namespace("a", true);
    let db = b.service(a, "db", &[]);
    let api = b.service(a, "api", &[]);
    b.need(
        Endpoint::Service(api),
        Endpoint::Service(db),
        list(&[tcp(1)]),
    );
    b.need(
        Endpoint::Service(api),
        Endpoint::Service(db),
        list(&[tcp(2)]),
    );
    let (program, _) = b.finish();
    let (_, diagnostics) = lower(&program);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
}

#[test]
fn long_labels_are_shortened_deterministically() {
    let long_ns = format!("team-{}", "n".repeat(50));
    let long_svc = format!("service-{}", "s".repeat(50));
    let mut b = Builder::new(IdentityStyle::Labels);
    let client_ns = b.namespace("client", true);
    let target_ns = b.namespace(&long_ns, true);
    let client = b.service(client_ns, "app", &[]);
    let target = b.service(target_ns, &long_svc, &[]);
    b.need(
        Endpoint::Service(client),
        Endpoint::Service(target),
        list(&[tcp(80)]),
    );
    let (program, _) = b.finish();
    let (files, diagnostics) = lower(&program);
    assert!(diagnostics.is_empty());
    let contract = file(&files, "labels.yaml");
    let label = contract
        .lines()
        .filter(|l| l.trim().starts_with("needs-"))
        .find_map(|l| l.trim().strip_suffix(": 'true'"))
        .unwrap()
        .to_owned();
    assert!(label.len() <= 63, "{label}");
    assert!(label.starts_with("needs-team-nnnn"), "{label}");
    assert!(label.chars().last().unwrap().is_ascii_alphanumeric());
    // The same label on both sides, and stable across runs.
    assert!(
        file(
            &files,
            &format!("namespaces/{long_ns}/ingress/allow-ingress-{long_svc}.yaml")
        )
        .contains(&label)
    );
    let egress = files
        .iter()
        .find(|f| f.path.starts_with("namespaces/client/egress/"))
        .unwrap();
    assert!(egress.text.contains(&label));
    insta::assert_snapshot!(label, @"needs-team-nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn-17a94a5f");
    // Object names stay valid DNS subdomains.
    for file in &files {
        let name = file
            .path
            .rsplit('/')
            .next()
            .unwrap()
            .trim_end_matches(".yaml");
        assert!(name.len() <= 253);
    }
}

#[test]
fn e321_when_two_policies_would_share_a_name() {
    let mut b = Builder::new(IdentityStyle::Labels);
    let a = b.namespace("a", true);
    let z = b.namespace("z", true);
    // A service called `all-pods` and a `z/*` target both name `allow-ingress-all-pods`.
    let all_pods = b.service(z, "all-pods", &[]);
    let web = b.service(a, "web", &[]);
    b.need(
        Endpoint::Service(web),
        Endpoint::Service(all_pods),
        list(&[tcp(1)]),
    );
    b.need(Endpoint::Namespace(a), Endpoint::Namespace(z), Ports::Any);
    let (program, sources) = b.finish();
    let (_, diagnostics) = lower(&program);
    let codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::GeneratedNameCollision]);
    insta::assert_snapshot!(rendered(&sources, &diagnostics));
}

#[test]
fn e321_when_two_targets_would_share_a_client_label() {
    let mut b = Builder::new(IdentityStyle::Labels);
    let a = b.namespace("a", true);
    let cache = b.service(a, "cache", &[]);
    let web = b.service(a, "web", &[]);
    // A program-wide external with the name of a service of `a`.
    let external = b.external(None, "cache", &["192.0.2.0/24"], &[]);
    b.need(
        Endpoint::Service(web),
        Endpoint::Service(cache),
        list(&[tcp(6379)]),
    );
    b.need(
        Endpoint::Service(web),
        Endpoint::External(external),
        list(&[tcp(6379)]),
    );
    let (program, sources) = b.finish();
    let (_, diagnostics) = lower(&program);
    let codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&Code::GeneratedNameCollision), "{codes:?}");
    insta::assert_snapshot!(rendered(&sources, &diagnostics));
}

#[test]
fn yaml_1_1_booleans_are_quoted_everywhere() {
    let mut b = Builder::new(IdentityStyle::Labels);
    let a = b.namespace("on", true);
    let port = b.service_port(Some("y"), 80, 80, Protocol::Tcp);
    let yes = b.service(a, "yes", &[port]);
    let no = b.service(a, "no", &[]);
    b.need(
        Endpoint::Service(no),
        Endpoint::Service(yes),
        list(&[named("y", 80)]),
    );
    b.program.exempt.value = "off".to_owned();
    let (program, _) = b.finish();
    let (files, _) = lower(&program);
    for file in &files {
        for line in file.text.lines() {
            let scalar = line.trim_start_matches([' ', '-']);
            let (key, value) = scalar.split_once(": ").unwrap_or((scalar, ""));
            let key = key.trim_end_matches(':');
            // Real booleans and numbers are written plain on purpose.
            let typed = matches!(key, "managed" | "containerPort" | "port" | "endPort")
                && (value == "true" || value.bytes().all(|b| b.is_ascii_digit()));
            if typed {
                continue;
            }
            for token in [key, value].into_iter().filter(|t| !t.is_empty()) {
                assert!(
                    !netpc::emit::yaml11::ambiguous(token),
                    "{}: `{line}`",
                    file.path
                );
            }
        }
    }
    insta::assert_snapshot!(file(&files, "namespaces/on/ingress/allow-ingress-yes.yaml"));
    // serde_yaml (YAML 1.2) reads the names back as strings (YAML 1.1: tests/it/emit_yaml.rs).
    for file in files.iter().filter(|f| f.path.starts_with("on/")) {
        let value: serde_yaml::Value = serde_yaml::from_str(&file.text).unwrap();
        assert_eq!(
            value["metadata"]["namespace"].as_str().unwrap_or("on"),
            "on"
        );
    }
}

#[test]
fn many_clients_of_one_target_share_one_rule_without_duplicates() {
    let mut b = Builder::new(IdentityStyle::Selectors);
    let a = b.namespace("a", true);
    let db = b.service(a, "db", &[]);
    let clients: Vec<_> = (0..40)
        .map(|i| b.service(a, &format!("c{i:02}"), &[]))
        .collect();
    for &c in &clients {
        b.need(
            Endpoint::Service(c),
            Endpoint::Service(db),
            list(&[tcp(5432)]),
        );
        // Each need twice: the peer must still appear once.
        b.need(
            Endpoint::Service(c),
            Endpoint::Service(db),
            list(&[tcp(5432)]),
        );
    }
    let (program, _) = b.finish();
    let (files, _) = lower(&program);
    let ingress = file(&files, "namespaces/a/ingress/allow-ingress-db.yaml");
    for i in 0..40 {
        assert_eq!(
            ingress.matches(&format!("app: c{i:02}\n")).count(),
            1,
            "c{i:02}"
        );
    }
    assert_eq!(ingress.matches("- from:").count(), 1);
}

#[test]
fn the_egress_of_every_pod_is_one_policy_per_target_named_after_it() {
    let mut b = Builder::new(IdentityStyle::Labels);
    let a = b.namespace("a", true);
    let kube = b.namespace("kube-system", false);
    let dns = b.service(kube, "kube-dns", &[]);
    let db = b.service(a, "db", &[]);
    b.need(
        Endpoint::Namespace(a),
        Endpoint::Service(dns),
        list(&[port(Protocol::Udp, 53, 53)]),
    );
    b.need(
        Endpoint::Namespace(a),
        Endpoint::Service(db),
        list(&[tcp(5432)]),
    );
    let (program, _) = b.finish();
    let (files, diagnostics) = lower(&program);
    assert!(diagnostics.is_empty());
    let egress: Vec<&str> = files
        .iter()
        .filter_map(|f| {
            f.path
                .strip_prefix("namespaces/a/egress/allow-egress-all-pods-")
        })
        .collect();
    assert_eq!(egress, ["to-db.yaml", "to-kube-system.kube-dns.yaml"]);
    let dns_policy = file(
        &files,
        "namespaces/a/egress/allow-egress-all-pods-to-kube-system.kube-dns.yaml",
    );
    assert!(dns_policy.contains("app: kube-dns"), "{dns_policy}");
    assert!(!dns_policy.contains("5432"), "{dns_policy}");
}

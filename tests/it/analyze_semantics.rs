//! The 25 test cases of the semantics reference (shared/reference/
//! networkpolicy-semantics.md §10), on its fixture, through the library API.
//! Policies are written as YAML flow mappings: `(namespace, spec)`.
use k8s_openapi::api::networking::v1::NetworkPolicy;
use netpc::analyze::{
    Analysis, Cluster, Direction, Endpoint, HostNetwork, IpBlockPods, Options, PolicyRef, Protocol,
    RuleRef, SelfTraffic, Workload, check, labels,
};

/// Namespaces x {team:a}, y {team:b}, z {}; pods x/a, x/b (node N1), y/a, y/b, z/c
/// (node N2), each with `http` TCP 80 (y/b: 8080), TCP 81 and `dns` UDP 53.
fn fixture(policies: &[(&str, &str)], host: Option<(&str, &str, &str)>) -> Cluster {
    let mut cluster = Cluster::new();
    cluster.add_namespace("x", labels([("team", "a")]));
    cluster.add_namespace("y", labels([("team", "b")]));
    cluster.add_namespace("z", labels([]));
    cluster.add_node("N1", "192.168.0.1".parse().unwrap());
    cluster.add_node("N2", "192.168.0.2".parse().unwrap());
    for (ns, app, ip, node, http) in [
        ("x", "a", "10.0.1.1", "N1", 80),
        ("x", "b", "10.0.1.2", "N1", 80),
        ("y", "a", "10.0.2.1", "N2", 80),
        ("y", "b", "10.0.2.2", "N2", 8080),
        ("z", "c", "10.0.3.1", "N2", 80),
    ] {
        cluster.add_workload(
            Workload::new(ns, app, "Pod", labels([("app", app)]))
                .with_port(Some("http"), Protocol::Tcp, http)
                .with_port(None, Protocol::Tcp, 81)
                .with_port(Some("dns"), Protocol::Udp, 53)
                .with_ip(ip.parse().unwrap())
                .on_node(node),
        );
    }
    if let Some((ns, app, node)) = host {
        cluster.add_workload(
            Workload::new(ns, "h", "Pod", labels([("app", app)]))
                .with_port(Some("http"), Protocol::Tcp, 80)
                .on_node(node)
                .with_host_network(),
        );
    }
    for (i, (ns, spec)) in policies.iter().enumerate() {
        let policy: NetworkPolicy = serde_yaml::from_str(&format!(
            "metadata: {{name: p{i}, namespace: {ns}}}\nspec: {spec}"
        ))
        .unwrap();
        cluster.add_policy(policy, None);
    }
    cluster
}

fn endpoint(cluster: &Cluster, name: &str) -> Endpoint {
    match name {
        "E" => Endpoint::Ip("8.8.8.8".parse().unwrap()),
        "N1" => Endpoint::Ip("192.168.0.1".parse().unwrap()),
        "N2" => Endpoint::Ip("192.168.0.2".parse().unwrap()),
        _ => match name.split_once('/') {
            Some((ns, pod)) => Endpoint::Workload(cluster.find_workload(ns, pod, None).unwrap()),
            None => Endpoint::Ip(name.parse().unwrap()),
        },
    }
}

/// `conn` is like `TCP80`.
fn verdict_with(options: Options, cluster: &Cluster, src: &str, dst: &str, conn: &str) -> bool {
    let split = conn.find(|c: char| c.is_ascii_digit()).unwrap();
    let protocol = Protocol::parse(&conn[..split]).unwrap();
    let port: u16 = conn[split..].parse().unwrap();
    let analysis = Analysis::new(cluster, options).unwrap();
    let (s, d) = (endpoint(cluster, src), endpoint(cluster, dst));
    let explained = analysis.explain(s, d, protocol, port);
    // The connection-set answer must agree with the explained one.
    assert_eq!(
        analysis.allowed(s, d).contains(protocol, port),
        explained.allowed,
        "allowed() and explain() disagree on {src} -> {dst} {conn}"
    );
    explained.allowed
}

fn allowed(policies: &[(&str, &str)], src: &str, dst: &str, conn: &str) -> bool {
    verdict_with(Options::default(), &fixture(policies, None), src, dst, conn)
}

const ALLOW: bool = true;
const DENY: bool = false;
const DENY_ALL_INGRESS_X: (&str, &str) = ("x", "{podSelector: {}, policyTypes: [Ingress]}");

/// P(x, {app:a}, ingress [rule]) with types defaulted.
fn on_xa(rule: &str) -> String {
    format!("{{podSelector: {{matchLabels: {{app: a}}}}, ingress: [{rule}]}}")
}

#[test]
fn case_01_no_policies_allow_everything() {
    assert_eq!(allowed(&[], "y/a", "x/a", "TCP80"), ALLOW);
}

#[test]
fn case_02_ingress_isolation() {
    let p = [DENY_ALL_INGRESS_X];
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP80"), DENY);
    assert_eq!(allowed(&p, "x/b", "x/a", "TCP80"), DENY);
    assert_eq!(allowed(&p, "x/a", "y/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "y/b", "y/a", "TCP80"), ALLOW);
}

#[test]
fn case_03_empty_egress_without_types_does_not_isolate_egress() {
    let p = [("x", "{podSelector: {}, egress: []}")];
    assert_eq!(allowed(&p, "x/a", "E", "TCP443"), ALLOW);
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP80"), DENY);
}

#[test]
fn case_04_egress_isolation() {
    let p = [("x", "{podSelector: {}, policyTypes: [Egress]}")];
    assert_eq!(allowed(&p, "x/a", "y/a", "TCP80"), DENY);
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP80"), ALLOW);
}

#[test]
fn case_05_union_of_policies() {
    for rule in ["{}", "{from: []}"] {
        let allow_all = on_xa(rule);
        let p = [DENY_ALL_INGRESS_X, ("x", allow_all.as_str())];
        assert_eq!(allowed(&p, "z/c", "x/a", "UDP53"), ALLOW, "{rule}");
        assert_eq!(allowed(&p, "z/c", "x/b", "UDP53"), DENY, "{rule}");
    }
}

#[test]
fn case_06_pod_selector_alone_means_the_policy_namespace() {
    let p = on_xa("{from: [{podSelector: {matchLabels: {app: b}}}]}");
    let p = [("x", p.as_str())];
    assert_eq!(allowed(&p, "x/b", "x/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "y/b", "x/a", "TCP80"), DENY);
}

#[test]
fn case_07_empty_namespace_selector_with_pod_selector() {
    let p = on_xa("{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: b}}}]}");
    let p = [("x", p.as_str())];
    assert_eq!(allowed(&p, "y/b", "x/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP80"), DENY);
}

#[test]
fn case_08_one_peer_is_and_two_peers_are_or() {
    let and = on_xa(
        "{from: [{namespaceSelector: {matchLabels: {team: b}}, podSelector: {matchLabels: {app: b}}}]}",
    );
    let p = [("x", and.as_str())];
    assert_eq!(allowed(&p, "y/b", "x/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP80"), DENY);
    assert_eq!(allowed(&p, "x/b", "x/a", "TCP80"), DENY);
    let or = on_xa(
        "{from: [{namespaceSelector: {matchLabels: {team: b}}}, {podSelector: {matchLabels: {app: b}}}]}",
    );
    let p = [("x", or.as_str())];
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "x/b", "x/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "z/c", "x/a", "TCP80"), DENY);
}

#[test]
fn case_09_all_namespaces_excludes_external_addresses() {
    let p = on_xa("{from: [{namespaceSelector: {}}]}");
    let p = [("x", p.as_str())];
    assert_eq!(allowed(&p, "z/c", "x/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "E", "x/a", "TCP80"), DENY);
}

fn ns_expression(op: &str, values: &str) -> String {
    on_xa(&format!(
        "{{from: [{{namespaceSelector: {{matchExpressions: [{{key: team, operator: {op}{values}}}]}}}}]}}"
    ))
}

#[test]
fn case_10_not_in_matches_an_absent_key() {
    let p = ns_expression("NotIn", ", values: [a]");
    let p = [("x", p.as_str())];
    assert_eq!(allowed(&p, "z/c", "x/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "x/b", "x/a", "TCP80"), DENY);
}

#[test]
fn case_11_exists_does_not_exist_in() {
    let p = ns_expression("DoesNotExist", "");
    let p = [("x", p.as_str())];
    assert_eq!(allowed(&p, "z/c", "x/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP80"), DENY);
    let p = ns_expression("Exists", "");
    let p = [("x", p.as_str())];
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "z/c", "x/a", "TCP80"), DENY);
    let p = ns_expression("In", ", values: [b]");
    let p = [("x", p.as_str())];
    assert_eq!(allowed(&p, "z/c", "x/a", "TCP80"), DENY);
}

#[test]
fn case_12_namespace_name_label_is_synthesized() {
    let p = on_xa("{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}}]}");
    let p = [("x", p.as_str())];
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "z/c", "x/a", "TCP80"), DENY);
}

#[test]
fn case_13_numeric_port_defaults_to_tcp() {
    let p = on_xa("{ports: [{port: 80}]}");
    let p = [("x", p.as_str())];
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "y/a", "x/a", "UDP80"), DENY);
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP81"), DENY);
}

#[test]
fn case_14_protocol_only_and_sctp() {
    let p = on_xa("{ports: [{protocol: UDP}]}");
    let p = [("x", p.as_str())];
    assert_eq!(allowed(&p, "y/a", "x/a", "UDP53"), ALLOW);
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP80"), DENY);
    let p = on_xa("{ports: [{protocol: SCTP, port: 81}]}");
    let p = [("x", p.as_str())];
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP81"), DENY);
    assert_eq!(allowed(&p, "y/a", "x/a", "SCTP81"), ALLOW);
}

#[test]
fn case_15_named_ports_need_name_and_protocol() {
    let p = on_xa("{ports: [{port: http}]}");
    let p = [("x", p.as_str())];
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP81"), DENY);
    let p = on_xa("{ports: [{port: dns}]}");
    let p = [("x", p.as_str())];
    assert_eq!(allowed(&p, "y/a", "x/a", "UDP53"), DENY);
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP53"), DENY);
}

#[test]
fn case_16_egress_named_port_resolves_on_each_destination() {
    let p = [(
        "x",
        "{podSelector: {}, policyTypes: [Egress], egress: [{ports: [{port: http}]}]}",
    )];
    assert_eq!(allowed(&p, "x/a", "y/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "x/a", "y/b", "TCP8080"), ALLOW);
    assert_eq!(allowed(&p, "x/a", "y/b", "TCP80"), DENY);
    assert_eq!(allowed(&p, "x/a", "E", "TCP80"), DENY);
}

fn egress_from_xa(rules: &str) -> String {
    format!(
        "{{podSelector: {{matchLabels: {{app: a}}}}, policyTypes: [Egress], egress: [{rules}]}}"
    )
}

#[test]
fn case_17_end_port_is_inclusive() {
    let p = egress_from_xa(
        "{to: [{ipBlock: {cidr: 10.9.0.0/16}}], ports: [{port: 32000, endPort: 32768}]}",
    );
    let p = [("x", p.as_str())];
    assert_eq!(allowed(&p, "x/a", "10.9.1.1", "TCP32768"), ALLOW);
    assert_eq!(allowed(&p, "x/a", "10.9.1.1", "TCP32769"), DENY);
    assert_eq!(allowed(&p, "x/a", "10.9.1.1", "UDP32000"), DENY);
}

#[test]
fn case_18_except_narrows_only_its_peer() {
    let block = "{to: [{ipBlock: {cidr: 10.9.0.0/16, except: [10.9.1.0/24]}}]}";
    let p = egress_from_xa(block);
    let p = [("x", p.as_str())];
    assert_eq!(allowed(&p, "x/a", "10.9.2.5", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "x/a", "10.9.1.5", "TCP80"), DENY);
    let p = egress_from_xa(&format!(
        "{block}, {{to: [{{ipBlock: {{cidr: 10.9.1.5/32}}}}]}}"
    ));
    let p = [("x", p.as_str())];
    assert_eq!(allowed(&p, "x/a", "10.9.1.5", "TCP80"), ALLOW);
}

#[test]
fn case_19_ip_block_on_pod_ips_is_a_mode() {
    let p = egress_from_xa("{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}");
    let cluster = fixture(&[("x", p.as_str())], None);
    let matching = Options {
        ipblock_pods: IpBlockPods::Match,
        ..Options::default()
    };
    let ignoring = Options::default();
    assert_eq!(
        verdict_with(ignoring, &cluster, "x/a", "E", "TCP443"),
        ALLOW
    );
    assert_eq!(
        verdict_with(matching, &cluster, "x/a", "y/a", "TCP80"),
        ALLOW
    );
    assert_eq!(
        verdict_with(ignoring, &cluster, "x/a", "y/a", "TCP80"),
        DENY
    );
    assert_eq!(
        verdict_with(matching, &cluster, "x/a", "2001:db8::1", "TCP80"),
        DENY
    );
}

#[test]
fn case_20_both_ends_must_allow() {
    let p = [
        (
            "x",
            "{podSelector: {matchLabels: {app: a}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}, podSelector: {matchLabels: {app: a}}}]}]}",
        ),
        (
            "y",
            "{podSelector: {matchLabels: {app: b}}, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: x}}, podSelector: {matchLabels: {app: a}}}]}]}",
        ),
    ];
    assert_eq!(allowed(&p, "x/a", "y/b", "TCP80"), DENY);
    assert_eq!(allowed(&p, "x/a", "y/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "y/b", "x/a", "TCP80"), ALLOW);
}

#[test]
fn case_21_replies_are_implicit_new_connections_are_not() {
    let p = [(
        "x",
        "{podSelector: {matchLabels: {app: a}}, policyTypes: [Ingress, Egress], ingress: [{from: [{namespaceSelector: {matchLabels: {team: b}}}]}]}",
    )];
    assert_eq!(allowed(&p, "y/a", "x/a", "TCP80"), ALLOW);
    assert_eq!(allowed(&p, "x/a", "y/a", "TCP80"), DENY);
}

#[test]
fn case_22_rules_of_unlisted_types_are_ignored() {
    let p = [(
        "x",
        "{podSelector: {matchLabels: {app: a}}, policyTypes: [Egress], ingress: [{from: [{podSelector: {matchLabels: {app: b}}}]}], egress: [{}]}",
    )];
    assert_eq!(allowed(&p, "z/c", "x/a", "TCP80"), ALLOW);
}

#[test]
fn case_23_own_node_and_host_network() {
    let rule = on_xa("{from: [{podSelector: {matchLabels: {app: b}}}]}");
    let p = [DENY_ALL_INGRESS_X, ("x", rule.as_str())];
    let cluster = fixture(&p, Some(("x", "b", "N2")));
    let as_node = Options::default();
    let as_pod = Options {
        host_network: HostNetwork::AsPod,
        ..Options::default()
    };
    assert_eq!(verdict_with(as_node, &cluster, "N1", "x/a", "TCP80"), ALLOW);
    assert_eq!(verdict_with(as_node, &cluster, "N2", "x/a", "TCP80"), DENY);
    assert_eq!(
        verdict_with(as_node, &cluster, "x/b", "x/a", "TCP80"),
        ALLOW
    );
    assert_eq!(verdict_with(as_node, &cluster, "x/h", "x/a", "TCP80"), DENY);
    assert_eq!(verdict_with(as_pod, &cluster, "x/h", "x/a", "TCP80"), ALLOW);
}

#[test]
fn case_24_loopback_is_allowed_unless_evaluated() {
    let p = [("x", "{podSelector: {}, policyTypes: [Ingress, Egress]}")];
    let cluster = fixture(&p, None);
    assert_eq!(
        verdict_with(Options::default(), &cluster, "x/a", "x/a", "TCP80"),
        ALLOW
    );
    let evaluate = Options {
        self_traffic: SelfTraffic::Evaluate,
        ..Options::default()
    };
    assert_eq!(
        verdict_with(evaluate, &cluster, "x/a", "x/a", "TCP80"),
        DENY
    );
}

#[test]
fn case_25_invalid_policies_are_rejected_with_their_field() {
    let cases = [
        (
            "{ingress: [{ports: [{port: http, endPort: 90}]}]}",
            "spec.ingress[0].ports[0].endPort",
        ),
        (
            "{ingress: [{ports: [{port: 90, endPort: 80}]}]}",
            "spec.ingress[0].ports[0].endPort",
        ),
        (
            "{ingress: [{ports: [{endPort: 80}]}]}",
            "spec.ingress[0].ports[0].endPort",
        ),
        (
            "{ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}",
            "spec.ingress[0].from[0]",
        ),
        (
            "{ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}}]}]}",
            "spec.ingress[0].from[0].ipBlock.except[0]",
        ),
        ("{ingress: [{from: [{}]}]}", "spec.ingress[0].from[0]"),
        (
            "{ingress: [{ports: [{port: \"80\"}]}]}",
            "spec.ingress[0].ports[0].port",
        ),
        (
            "{ingress: [{ports: [{protocol: tcp}]}]}",
            "spec.ingress[0].ports[0].protocol",
        ),
        (
            "{policyTypes: [Ingress, Egress, Ingress]}",
            "spec.policyTypes",
        ),
        (
            "{podSelector: {matchExpressions: [{key: a, operator: In}]}}",
            "spec.podSelector.matchExpressions[0].values",
        ),
        (
            "{podSelector: {matchExpressions: [{key: a, operator: Exists, values: [b]}]}}",
            "spec.podSelector.matchExpressions[0].values",
        ),
        (
            "{egress: [{to: [{ipBlock: {cidr: 10.0.0.1/8}}]}]}",
            "spec.egress[0].to[0].ipBlock.cidr",
        ),
    ];
    for (spec, field) in cases {
        let cluster = fixture(&[("x", spec)], None);
        let errors = check(&cluster, Options::default());
        assert!(
            errors.iter().any(|e| e.field.as_deref() == Some(field)),
            "{spec}: expected an error on `{field}`, got {errors:?}"
        );
        assert!(
            Analysis::new(&cluster, Options::default()).is_err(),
            "{spec}"
        );
    }
    // And a valid one is not.
    let cluster = fixture(
        &[("x", "{ingress: [{ports: [{port: 80, endPort: 90}]}]}")],
        None,
    );
    assert_eq!(check(&cluster, Options::default()), vec![]);
}

#[test]
fn explanation_names_isolating_policies_and_allowing_rules() {
    let allow_all = on_xa("{from: [{podSelector: {matchLabels: {app: b}}}]}, {}");
    let cluster = fixture(&[DENY_ALL_INGRESS_X, ("x", allow_all.as_str())], None);
    let analysis = Analysis::new(&cluster, Options::default()).unwrap();
    let e = analysis.explain(
        endpoint(&cluster, "x/b"),
        endpoint(&cluster, "x/a"),
        Protocol::Udp,
        53,
    );
    let policy = |name: &str| PolicyRef {
        namespace: "x".into(),
        name: name.into(),
    };
    assert!(e.allowed);
    assert!(e.egress.is_pod && e.egress.isolating.is_empty());
    assert_eq!(e.ingress.isolating, vec![policy("p0"), policy("p1")]);
    let rule = |index| RuleRef {
        policy: policy("p1"),
        direction: Direction::Ingress,
        index,
    };
    assert_eq!(e.ingress.allowing, vec![rule(0), rule(1)]);
    let e = analysis.explain(
        endpoint(&cluster, "x/b"),
        endpoint(&cluster, "x/b"),
        Protocol::Tcp,
        80,
    );
    assert!(e.loopback);
    let e = analysis.explain(
        endpoint(&cluster, "y/b"),
        endpoint(&cluster, "x/b"),
        Protocol::Tcp,
        80,
    );
    assert!(!e.allowed);
    assert_eq!(e.ingress.isolating, vec![policy("p0")]);
    assert!(e.ingress.allowing.is_empty());
}

/// The class index (`Analysis::reach`) may settle pairs by class only when no pod is
/// on a node and none is treated as one: the node exception (a pod's own node may
/// always reach it) makes every pair special, and `verify` then compares them all.
#[test]
fn the_class_index_is_exhaustive_exactly_when_a_node_takes_part() {
    let exhaustive = |cluster: &Cluster, options| {
        Analysis::new(cluster, options)
            .unwrap()
            .reach()
            .exhaustive()
    };
    let as_pod = Options {
        host_network: HostNetwork::AsPod,
        ..Options::default()
    };
    let mut plain = Cluster::new();
    plain.add_namespace("x", labels([]));
    plain.add_workload(Workload::new("x", "a", "Pod", labels([("app", "a")])));
    assert!(!exhaustive(&plain, Options::default()));
    let mut host = Cluster::new();
    host.add_namespace("x", labels([]));
    host.add_workload(Workload::new("x", "h", "Pod", labels([("app", "h")])).with_host_network());
    assert!(
        exhaustive(&host, Options::default()),
        "a hostNetwork pod is a node"
    );
    assert!(
        !exhaustive(&host, as_pod),
        "unless hostNetwork pods are pods"
    );
    assert!(exhaustive(&fixture(&[], None), as_pod), "pods on nodes");
}

//! The class-based all-pairs connlist must agree with the direct, per-pair evaluation
//! (`Analysis::allowed`) on random small clusters: every workload pair, and sample
//! external addresses in both directions. This guards the equivalence-class and
//! matrix shortcuts, not the semantics (see analyze_semantics.rs for those).
use std::net::IpAddr;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use netpc::analyze::{
    Analysis, Cluster, ConnSet, Endpoint, IpBlockPods, Options, PeerId, Protocol, Workload, labels,
};
use proptest::prelude::*;

const SELECTORS: &[&str] = &[
    "{}",
    "{matchLabels: {app: a}}",
    "{matchLabels: {app: b}}",
    "{matchExpressions: [{key: tier, operator: Exists}]}",
    "{matchExpressions: [{key: app, operator: NotIn, values: [a]}]}",
];
const NS_SELECTORS: &[&str] = &[
    "{}",
    "{matchLabels: {team: a}}",
    "{matchExpressions: [{key: team, operator: DoesNotExist}]}",
];
const PEERS: &[&str] = &[
    "{podSelector: SEL}",
    "{namespaceSelector: NSSEL}",
    "{namespaceSelector: NSSEL, podSelector: SEL}",
    "{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}",
    "{ipBlock: {cidr: 10.1.2.0/24}}",
    "{ipBlock: {cidr: 0.0.0.0/0}}",
];
const PORTS: &[&str] = &[
    "",
    ", ports: [{port: 80}]",
    ", ports: [{port: http}]",
    ", ports: [{protocol: UDP}]",
    ", ports: [{port: 80, endPort: 90}, {port: dns, protocol: UDP}]",
];
const TYPES: &[&str] = &[
    "",
    ", policyTypes: [Ingress]",
    ", policyTypes: [Egress]",
    ", policyTypes: [Ingress, Egress]",
];
const IPS: &[&str] = &["10.0.0.5", "10.1.2.3", "10.1.9.9", "8.8.8.8", "192.168.1.1"];

/// (namespace, app, has tier, http on 8080, ip index)
type PodSpec = (usize, usize, bool, bool, usize);
/// (peer, pod selector, namespace selector, ports); peer == PEERS.len(): no from/to
type RuleSpec = (usize, usize, usize, usize);
/// (namespace, pod selector, policy types, ingress rules, egress rules)
type PolicySpec = (usize, usize, usize, Vec<RuleSpec>, Vec<RuleSpec>);

#[derive(Clone, Debug)]
struct Spec {
    pods: Vec<PodSpec>,
    policies: Vec<PolicySpec>,
}

fn rule((peer, sel, nssel, ports): (usize, usize, usize, usize)) -> String {
    let peer = if peer == PEERS.len() {
        String::new() // no from/to: everyone
    } else {
        format!(
            "to_from: [{}]",
            PEERS[peer]
                .replace("NSSEL", NS_SELECTORS[nssel])
                .replace("SEL", SELECTORS[sel])
        )
    };
    let ports = PORTS[ports];
    let ports = if peer.is_empty() {
        ports.trim_start_matches(", ")
    } else {
        ports
    };
    format!("{{{peer}{ports}}}")
}

fn build(spec: &Spec) -> Cluster {
    let mut cluster = Cluster::new();
    cluster.add_namespace("n0", labels([("team", "a")]));
    cluster.add_namespace("n1", labels([("team", "b")]));
    cluster.add_namespace("n2", labels([]));
    for (i, &(ns, app, tier, http8080, ip)) in spec.pods.iter().enumerate() {
        let app = ["a", "b", "c"][app];
        let mut pod_labels = labels([("app", app)]);
        if tier {
            pod_labels.insert("tier".into(), "x".into());
        }
        let address: IpAddr = ["10.0.0.5", "10.1.2.3", "10.2.0.1"][ip].parse().unwrap();
        cluster.add_workload(
            Workload::new(&format!("n{ns}"), &format!("w{i}"), "Pod", pod_labels)
                .with_port(
                    Some("http"),
                    Protocol::Tcp,
                    if http8080 { 8080 } else { 80 },
                )
                .with_port(Some("dns"), Protocol::Udp, 53)
                .with_ip(address),
        );
    }
    for (i, (ns, sel, types, ingress, egress)) in spec.policies.iter().enumerate() {
        let ingress: Vec<String> = ingress
            .iter()
            .map(|r| rule(*r).replace("to_from", "from"))
            .collect();
        let egress: Vec<String> = egress
            .iter()
            .map(|r| rule(*r).replace("to_from", "to"))
            .collect();
        let yaml = format!(
            "metadata: {{name: p{i}, namespace: n{ns}}}\nspec: {{podSelector: {}, ingress: [{}], egress: [{}]{}}}",
            SELECTORS[*sel],
            ingress.join(", "),
            egress.join(", "),
            TYPES[*types]
        );
        let policy: NetworkPolicy =
            serde_yaml::from_str(&yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
        cluster.add_policy(policy, None);
    }
    cluster
}

fn spec() -> impl Strategy<Value = Spec> {
    let pod = (
        0..3usize,
        0..3usize,
        any::<bool>(),
        any::<bool>(),
        0..3usize,
    );
    let rule = (
        0..=PEERS.len(),
        0..SELECTORS.len(),
        0..NS_SELECTORS.len(),
        0..PORTS.len(),
    );
    let policy = (
        0..3usize,
        0..SELECTORS.len(),
        0..TYPES.len(),
        prop::collection::vec(rule.clone(), 0..3),
        prop::collection::vec(rule, 0..3),
    );
    (
        prop::collection::vec(pod, 1..7),
        prop::collection::vec(policy, 0..5),
    )
        .prop_map(|(pods, policies)| Spec { pods, policies })
}

fn check_agreement(spec: &Spec, options: Options) {
    let cluster = build(spec);
    let analysis = match Analysis::new(&cluster, options) {
        Ok(analysis) => analysis,
        Err(errors) => {
            // The only error the generator can produce: a named port toward ipBlocks
            // only, rejected when ipBlocks ignore pods.
            assert!(options.ipblock_pods == IpBlockPods::Ignore, "{errors:?}");
            assert!(
                errors.iter().all(|e| e.message.contains("can never match")),
                "{errors:?}"
            );
            return;
        }
    };
    let list = analysis.connlist();
    let mut listed: std::collections::HashMap<(String, String), ConnSet> = Default::default();
    for c in list.iter() {
        assert!(!c.conns.is_empty());
        let previous = listed.insert(
            (c.src_name.to_string(), c.dst_name.to_string()),
            c.conns.clone(),
        );
        assert!(previous.is_none(), "pair listed twice");
    }
    let workloads = cluster.workloads();
    for (s, src) in workloads.iter().enumerate() {
        for (d, dst) in workloads.iter().enumerate() {
            if s == d {
                continue;
            }
            let want = analysis.allowed(Endpoint::Workload(s), Endpoint::Workload(d));
            let got = listed
                .get(&(src.to_string(), dst.to_string()))
                .cloned()
                .unwrap_or_default();
            assert_eq!(got, want, "{src} => {dst}");
        }
    }
    // External addresses: the listed range containing the address must carry exactly
    // the direct answer.
    for ip in IPS {
        let addr: IpAddr = ip.parse().unwrap();
        let IpAddr::V4(v4) = addr else { unreachable!() };
        for (w, workload) in workloads.iter().enumerate() {
            for (inbound, want) in [
                (
                    true,
                    analysis.allowed(Endpoint::Ip(addr), Endpoint::Workload(w)),
                ),
                (
                    false,
                    analysis.allowed(Endpoint::Workload(w), Endpoint::Ip(addr)),
                ),
            ] {
                let got: Vec<ConnSet> = list
                    .iter()
                    .filter(|c| {
                        let (ext, other) = if inbound {
                            (c.src, c.dst_name)
                        } else {
                            (c.dst, c.src_name)
                        };
                        matches!(ext, PeerId::External(r) if r.contains(v4))
                            && other == workload.to_string()
                    })
                    .map(|c| c.conns.clone())
                    .collect();
                let got = got.into_iter().next().unwrap_or_default();
                assert_eq!(
                    got,
                    want,
                    "{ip} {} {workload}",
                    if inbound { "=>" } else { "<=" }
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn connlist_agrees_with_per_pair_evaluation(spec in spec()) {
        check_agreement(&spec, Options::default());
        check_agreement(&spec, Options { ipblock_pods: IpBlockPods::Match, ..Options::default() });
    }
}

//! The cyclonus truth tables (tests/analyze/cyclonus, copied from mattfenwick/cyclonus)
//! compared cell by cell with `netpc`'s evaluator. cyclonus matches ipBlocks against
//! pod IPs and evaluates a pod's traffic to itself by policy (`y/c -> y/c` is `X`),
//! so the analysis runs with `IpBlockPods::Match` and `SelfTraffic::Evaluate`.
use std::path::Path;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use netpc::analyze::{
    Analysis, Cluster, Endpoint, IpBlockPods, Labels, Options, Protocol, SelfTraffic, Workload,
};
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/analyze/cyclonus");

fn options() -> Options {
    Options {
        ipblock_pods: IpBlockPods::Match,
        self_traffic: SelfTraffic::Evaluate,
        ..Options::default()
    }
}

fn labels(value: &Value) -> Labels {
    value
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect()
}

fn add_policies(cluster: &mut Cluster) {
    let mut files: Vec<_> = std::fs::read_dir(Path::new(DIR).join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 7);
    for file in files {
        let policy: NetworkPolicy =
            serde_yaml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        cluster.add_policy(policy, Some(file.display().to_string()));
    }
}

/// The model of probe.json: namespaces, pods with labels, IPs and container ports.
fn probe_cluster() -> Cluster {
    let probe: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(DIR).join("probe.json")).unwrap())
            .unwrap();
    let resources = &probe["Resources"];
    let mut cluster = Cluster::new();
    for (name, ns_labels) in resources["Namespaces"].as_object().unwrap() {
        cluster.add_namespace(name, labels(ns_labels));
    }
    for pod in resources["Pods"].as_array().unwrap() {
        let mut workload = Workload::new(
            pod["Namespace"].as_str().unwrap(),
            pod["Name"].as_str().unwrap(),
            "Pod",
            labels(&pod["Labels"]),
        )
        .with_ip(pod["IP"].as_str().unwrap().parse().unwrap());
        for container in pod["Containers"].as_array().unwrap() {
            let protocol =
                Protocol::parse(&container["Protocol"].as_str().unwrap().to_uppercase()).unwrap();
            workload = workload.with_port(
                container["PortName"].as_str(),
                protocol,
                u16::try_from(container["Port"].as_u64().unwrap()).unwrap(),
            );
        }
        cluster.add_workload(workload);
    }
    add_policies(&mut cluster);
    cluster
}

fn cell(allowed: bool) -> &'static str {
    if allowed { "." } else { "X" }
}

#[test]
fn probe_truth_tables_match_cell_by_cell() {
    let cluster = probe_cluster();
    let analysis = Analysis::new(&cluster, options()).unwrap();
    let find = |name: &str| {
        let (ns, pod) = name.split_once('/').unwrap();
        cluster.find_workload(ns, pod, None).unwrap()
    };
    let tsv = std::fs::read_to_string(Path::new(DIR).join("DERIVED_analyze-probe.tsv")).unwrap();
    let mut cells = 0;
    let mut blocked = 0;
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [probe, from, to, ingress, egress, combined] = cols[..] else {
            panic!("bad row {line}");
        };
        let (protocol, port) = probe.split_once('/').unwrap();
        let protocol = Protocol::parse(protocol).unwrap();
        let port: u16 = port.parse().unwrap();
        let (src, dst) = (find(from), find(to));
        let serves = cluster.workloads()[dst]
            .ports
            .iter()
            .any(|p| p.protocol == protocol && p.port == port);
        let got = if serves {
            let e = analysis.explain(
                Endpoint::Workload(src),
                Endpoint::Workload(dst),
                protocol,
                port,
            );
            [
                cell(e.ingress.allowed),
                cell(e.egress.allowed),
                cell(e.allowed),
            ]
        } else {
            // cyclonus does not probe a port the destination does not serve.
            ["N", "?", "N"]
        };
        assert_eq!(
            got,
            [ingress, egress, combined],
            "{probe} {from} -> {to} (ingress, egress, combined)"
        );
        cells += 1;
        blocked += usize::from(combined == "X");
    }
    assert_eq!(cells, 243, "3 probes x 81 pairs");
    assert_eq!(blocked, 50, "25 blocked cells in each of TCP/80 and TCP/81");
}

/// The four flows of traffic.json; the expected verdicts are those of
/// cyclonus-output/analyze-query-traffic.txt.
#[test]
fn traffic_queries_match_cyclonus_verdicts() {
    let traffic: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(DIR).join("traffic.json")).unwrap(),
    )
    .unwrap();
    let expected = [false, true, true, false];
    let flows = traffic.as_array().unwrap();
    assert_eq!(flows.len(), expected.len());
    for (i, (flow, want)) in flows.iter().zip(expected).enumerate() {
        let mut cluster = Cluster::new();
        for (name, ns) in [("x", "x"), ("y", "y"), ("z", "z")] {
            cluster.add_namespace(name, [("ns".to_string(), ns.to_string())].into());
        }
        add_policies(&mut cluster);
        let mut endpoint = |end: &Value, name: &str| -> Endpoint {
            let ip = end["IP"].as_str().unwrap().parse().unwrap();
            match end.get("Internal") {
                None => Endpoint::Ip(ip),
                Some(internal) => {
                    let ns = internal["Namespace"].as_str().unwrap();
                    cluster.add_namespace(ns, labels(&internal["NamespaceLabels"]));
                    let workload = Workload::new(ns, name, "Pod", labels(&internal["PodLabels"]))
                        .with_ip(ip)
                        .with_port(Some("serve-80-tcp"), Protocol::Tcp, 80);
                    Endpoint::Workload(cluster.add_workload(workload))
                }
            }
        };
        let src = endpoint(&flow["Source"], "source");
        let dst = endpoint(&flow["Destination"], "destination");
        let protocol = Protocol::parse(flow["Protocol"].as_str().unwrap()).unwrap();
        let port = u16::try_from(flow["ResolvedPort"].as_u64().unwrap()).unwrap();
        let analysis = Analysis::new(&cluster, options()).unwrap();
        let got = analysis.explain(src, dst, protocol, port);
        assert_eq!(got.allowed, want, "flow {i}: {got:?}");
    }
}

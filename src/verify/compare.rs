//! The comparison at the heart of `netpc verify`: probe pods from the label contract
//! (`probe`), the compiled policies evaluated by the independent evaluator
//! (`analyze`), and the program's expected connectivity (`expected`, from the IR), pair
//! by pair and address by address, as connection sets. Produces a [`Report`] of plain
//! data; `report` prints it. Never uses `lower`: the policies come in as objects.

use std::collections::HashMap;

use crate::analyze::{
    self, Analysis, AnalyzeError, ConnSet, Direction, Endpoint, PolicyRef, Protocol, RuleRef,
    WorkloadId,
};
use crate::ir::{NamespaceId, Program, ServiceId};
use crate::probe::{self, ProbeRole};

use super::expected::{Expectation, PodRole, Point, difference};
use super::pairs::{Pairs, Plan};
use super::samples;
use crate::output::Folder;

/// Choices that change what is expected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `--enforcement on|off`: overrides every namespace's enforcement, as it does
    /// for `netpc build`.
    pub enforcement: crate::ir::EnforcementOverride,
    /// The network plugin's ipBlock rule (`--cni`, `cni`): under `Match` every probe
    /// pod gets an address in the program's pod network (`cluster { pods ...; }`, else
    /// [`ASSUMED_POD_NETWORK`]) and ipBlocks match it, as on Calico.
    pub ipblock_pods: crate::analyze::IpBlockPods,
    /// The plugin's name, for the help of a finding that comes from that rule.
    pub plugin: Option<&'static str>,
}

/// The pod network assumed when the program declares none (kubeadm's and kind's default).
pub const ASSUMED_POD_NETWORK: &str = "10.244.0.0/16";

/// What kind of mismatch a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    /// Declared by a `needs` but denied by the policies.
    NotAllowed,
    /// Allowed by the policies but declared by no `needs` (least-privilege violation).
    NotDeclared,
    /// Allowed beyond what was asked, through a `needs-*` label that other needs of
    /// the namespace give more ports (labels style; the compiler warned, W004). Not a
    /// failure.
    OverGrant,
}

/// How a policy takes part in a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Involvement {
    /// It isolates the end for this direction, and no rule allows the connection.
    Isolates(Direction),
    /// This rule allows the connection.
    Allows(RuleRef),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Involved {
    pub policy: PolicyRef,
    /// The file it was read from.
    pub file: Option<String>,
    pub how: Involvement,
}

/// One mismatch (or over-grant) between a source and a destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub kind: FindingKind,
    pub src: Point,
    pub dst: Point,
    /// How the ends print (`grid/api`, `3.5.0.0 (s3)`).
    pub src_name: String,
    pub dst_name: String,
    /// The connections concerned.
    pub conns: ConnSet,
    /// The needs (indexes into `program.needs`) that declare them (`NotAllowed`) or
    /// that grant them through a shared label (`OverGrant`); empty for `NotDeclared`.
    pub needs: Vec<usize>,
    /// The connection the policies were explained for (the first of `conns`).
    pub sample: (Protocol, u16),
    pub policies: Vec<Involved>,
    /// How to fix it, when netpc knows (an external that covers pod IPs on a plugin
    /// whose ipBlock matches them).
    pub help: Option<String>,
}

/// The whole answer.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Probe pods evaluated.
    pub pods: usize,
    /// Sample addresses outside the cluster.
    pub addresses: usize,
    /// Ordered pairs compared (pod to pod without loopback, address to pod, pod to
    /// address), each over every port of TCP, UDP and SCTP.
    pub pairs: usize,
    pub findings: Vec<Finding>,
    /// Disagreements between the label contract and the program (a service missing
    /// or unknown, a namespace managed in one and not in the other).
    pub contract: Vec<String>,
    /// How ipBlocks were read, when a plugin's rule made them match pod IPs
    /// (`calico: ipBlock matches pod IPs, pods in 10.244.0.0/16`).
    pub ipblock: Option<String>,
}

impl Report {
    pub fn count(&self, kind: FindingKind) -> usize {
        self.findings.iter().filter(|f| f.kind == kind).count()
    }

    /// Whether the policies allow exactly what the program declares (over-grants the
    /// compiler warned about do not count).
    pub fn matches(&self) -> bool {
        self.contract.is_empty()
            && self
                .findings
                .iter()
                .all(|f| f.kind == FindingKind::OverGrant)
    }
}

/// Verify `manifests` against `program` (it takes the folder: its policies become the
/// probe cluster's). `Err`: the policies are invalid (what the API
/// server would reject), with every error.
pub fn verify(
    program: &Program,
    manifests: Folder,
    options: Options,
) -> Result<Report, Vec<AnalyzeError>> {
    verify_pairs(program, manifests, options, Pairs::Classes)
}

/// [`verify`], choosing how the pairs of probe pods are enumerated: by equivalence
/// classes (what `verify` does) or every pair one by one (the reference the tests
/// compare it with). Both give the same report.
pub fn verify_pairs(
    program: &Program,
    manifests: Folder,
    options: Options,
    pairs: Pairs,
) -> Result<Report, Vec<AnalyzeError>> {
    // Taken by value: the probe cluster owns the policies, and a copy of 100,000 of
    // them (50,000 services) cost 320 MB and a second (docs/performance.md).
    let Folder { contract, policies } = manifests;
    let mut probes = probe::build(
        &contract,
        policies
            .into_iter()
            .map(|(policy, file)| (policy, Some(file))),
    );
    let pod_ips = pod_addresses(program, &mut probes, options.ipblock_pods);
    let evaluation = analyze::Options {
        ipblock_pods: options.ipblock_pods,
        ..analyze::Options::default()
    };
    let analysis = Analysis::new(&probes.cluster, evaluation)?;
    let expectation = Expectation::new(program, options.enforcement);
    let (mut report, pods, addresses) = start_report(program, &expectation, &probes, options);
    let name = |point: Point| address_name(&expectation, point);
    let mut compare = |src: (Point, Endpoint), dst: (Point, Endpoint)| {
        let actual = analysis.allowed(src.1, dst.1);
        let expected = expectation.between(src.0, dst.0);
        if actual == expected.declared {
            return;
        }
        let ends = Ends {
            analysis: &analysis,
            expectation: &expectation,
            src,
            dst,
            src_name: name(src.0),
            dst_name: name(dst.0),
        };
        let missing = difference(&expected.declared, &actual);
        let extra = difference(&actual, &expected.declared);
        let over = extra.intersect(&expected.granted);
        let violation = difference(&extra, &expected.granted);
        for (kind, conns) in [
            (FindingKind::NotAllowed, missing),
            (FindingKind::NotDeclared, violation),
            (FindingKind::OverGrant, over),
        ] {
            if !conns.is_empty() {
                let mut finding = ends.finding(kind, conns);
                if kind == FindingKind::NotDeclared {
                    finding.help = pod_ip_help(program, &pod_ips, &ends, options.plugin);
                }
                report.findings.push(finding);
            }
        }
    };
    let plan = Plan::new(&analysis, &expectation, &pods, pairs);
    for (i, &(a, wa)) in pods.iter().enumerate() {
        for j in plan.destinations(i) {
            let (b, wb) = pods[j as usize];
            if wa != wb {
                compare((a, Endpoint::Workload(wa)), (b, Endpoint::Workload(wb)));
            }
        }
    }
    for &ip in &addresses {
        for &(pod, w) in &pods {
            let address = (Point::Address(ip), Endpoint::Ip(ip));
            compare(address, (pod, Endpoint::Workload(w)));
            compare((pod, Endpoint::Workload(w)), address);
        }
    }
    Ok(report)
}

/// The report before any comparison (the contract checked, the counts), with the probe
/// pods paired with the program's pods and the sample addresses.
fn start_report(
    program: &Program,
    expectation: &Expectation,
    probes: &probe::ProbeCluster,
    options: Options,
) -> (Report, Vec<(Point, WorkloadId)>, Vec<std::net::IpAddr>) {
    let (pods, contract) = match_probes(program, expectation, &probes.probes);
    let addresses = samples::addresses(program);
    let report = Report {
        ipblock: ipblock_summary(program, options),
        contract,
        pods: pods.len(),
        addresses: addresses.len(),
        // Every ordered pair of distinct probes (each has its own workload), and every
        // address to and from every probe; most are settled by class in `pairs::Plan`.
        pairs: pods.len() * pods.len().saturating_sub(1) + 2 * addresses.len() * pods.len(),
        ..Report::default()
    };
    (report, pods, addresses)
}

/// `3.5.0.0 (s3)`, `192.0.2.1 (no external)`; pods as `Expectation::display`.
fn address_name(expectation: &Expectation, point: Point) -> String {
    let Point::Address(ip) = point else {
        return expectation.display(point);
    };
    let program = expectation.program();
    let names: Vec<&str> = program
        .externals
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            expectation.covers(
                crate::ir::Endpoint::External(crate::ir::ExternalId(*i as u32)),
                point,
            )
        })
        .map(|(_, x)| x.name.as_str())
        .collect();
    if names.is_empty() {
        format!("{ip} (no external)")
    } else {
        format!("{ip} ({})", names.join(", "))
    }
}

/// Pair every probe of the contract with a pod of the program; report those that do
/// not pair up.
fn match_probes(
    program: &Program,
    expectation: &Expectation,
    probes: &[probe::Probe],
) -> (Vec<(Point, WorkloadId)>, Vec<String>) {
    let namespaces: HashMap<&str, NamespaceId> = program
        .namespace_ids()
        .map(|id| (program.namespace(id).name.as_str(), id))
        .collect();
    let services: HashMap<(NamespaceId, &str), ServiceId> = program
        .service_ids()
        .map(|id| {
            let s = program.service(id);
            ((s.namespace, s.name.as_str()), id)
        })
        .collect();
    let mut problems = Vec::new();
    let mut pods = Vec::new();
    for probe in probes {
        let point = namespaces.get(probe.namespace.as_str()).and_then(|&ns| {
            let role = match &probe.role {
                ProbeRole::Service(name) => PodRole::Service(*services.get(&(ns, name.as_str()))?),
                ProbeRole::Unmatched | ProbeRole::Exempt if !program.namespace(ns).managed => {
                    return None;
                }
                ProbeRole::Unmatched => PodRole::Unmatched,
                ProbeRole::Exempt => PodRole::Exempt,
            };
            Some(Point::Pod {
                namespace: ns,
                role,
            })
        });
        match point {
            Some(point) => pods.push((point, probe.workload)),
            None => problems.push(format!(
                "labels.yaml has `{}`, which the program does not declare (or not as managed)",
                probe.display()
            )),
        }
    }
    let paired: std::collections::HashSet<Point> = pods.iter().map(|(p, _)| *p).collect();
    for point in expectation.pods() {
        if !paired.contains(&point) {
            problems.push(format!(
                "the program's `{}` is missing from labels.yaml",
                expectation.display(point)
            ));
        }
    }
    (pods, problems)
}

/// The two ends of one compared pair, to explain a finding.
struct Ends<'a> {
    analysis: &'a Analysis<'a>,
    expectation: &'a Expectation<'a>,
    src: (Point, Endpoint),
    dst: (Point, Endpoint),
    src_name: String,
    dst_name: String,
}

impl Ends<'_> {
    fn finding(&self, kind: FindingKind, conns: ConnSet) -> Finding {
        let (src, dst) = (self.src.0, self.dst.0);
        let candidates = match kind {
            FindingKind::NotAllowed => self.expectation.needs_between(src, dst),
            FindingKind::OverGrant => self.expectation.label_needs_between(src, dst),
            FindingKind::NotDeclared => Vec::new(),
        };
        let program = self.expectation.program();
        let needs = candidates
            .into_iter()
            .filter(|&n| {
                !self
                    .expectation
                    .ports_on(&program.needs[n].ports, dst)
                    .intersect(&conns)
                    .is_empty()
            })
            .collect();
        let sample = first_connection(&conns);
        let explanation = self
            .analysis
            .explain(self.src.1, self.dst.1, sample.0, sample.1);
        let cluster = self.analysis.cluster();
        let file = |policy: &PolicyRef| {
            cluster
                .policies()
                .iter()
                .find(|p| p.namespace() == policy.namespace && p.name() == policy.name)
                .and_then(|p| p.origin.clone())
        };
        let mut policies = Vec::new();
        for (direction, side) in [
            (Direction::Egress, &explanation.egress),
            (Direction::Ingress, &explanation.ingress),
        ] {
            if !side.is_pod {
                continue;
            }
            if kind == FindingKind::NotAllowed {
                if !side.allowed {
                    for policy in &side.isolating {
                        policies.push(Involved {
                            file: file(policy),
                            policy: policy.clone(),
                            how: Involvement::Isolates(direction),
                        });
                    }
                }
            } else {
                for rule in &side.allowing {
                    policies.push(Involved {
                        file: file(&rule.policy),
                        policy: rule.policy.clone(),
                        how: Involvement::Allows(rule.clone()),
                    });
                }
            }
        }
        Finding {
            kind,
            src,
            dst,
            src_name: self.src_name.clone(),
            dst_name: self.dst_name.clone(),
            conns,
            needs,
            sample,
            policies,
            help: None,
        }
    }
}

/// How ipBlocks were read, for the summary line, when they match pod IPs.
fn ipblock_summary(program: &Program, options: Options) -> Option<String> {
    if options.ipblock_pods != analyze::IpBlockPods::Match {
        return None;
    }
    let net = program.cluster.pods.first().map_or_else(
        || format!("{ASSUMED_POD_NETWORK}, assumed"),
        ToString::to_string,
    );
    Some(format!(
        "{}: ipBlock matches pod IPs, probe pods in {net}",
        options.plugin.unwrap_or("plugin")
    ))
}

/// Under `IpBlockPods::Match`, give every probe pod an address of the pod network, in
/// probe order; returns them by workload.
fn pod_addresses(
    program: &Program,
    probes: &mut probe::ProbeCluster,
    rule: analyze::IpBlockPods,
) -> HashMap<WorkloadId, std::net::IpAddr> {
    let mut out = HashMap::new();
    if rule != analyze::IpBlockPods::Match {
        return out;
    }
    let assumed: ipnet::IpNet = ASSUMED_POD_NETWORK.parse().unwrap_or_default();
    let net = program.cluster.pods.first().copied().unwrap_or(assumed);
    for (i, probe) in probes.probes.iter().enumerate() {
        if let Some(ip) = nth_host(net, i as u128 + 1) {
            probes.cluster.set_workload_ip(probe.workload, ip);
            out.insert(probe.workload, ip);
        }
    }
    out
}

/// The `n`th address of `net` (wrapping inside it).
fn nth_host(net: ipnet::IpNet, n: u128) -> Option<std::net::IpAddr> {
    let bits = u32::from(net.max_prefix_len() - net.prefix_len());
    let size = 1u128.checked_shl(bits).unwrap_or(u128::MAX);
    let offset = if size > 2 { n % (size - 1) } else { 0 };
    Some(match net.network() {
        std::net::IpAddr::V4(a) => {
            std::net::IpAddr::V4((u32::from(a).wrapping_add(offset as u32)).into())
        }
        std::net::IpAddr::V6(a) => {
            std::net::IpAddr::V6((u128::from(a).wrapping_add(offset)).into())
        }
    })
}

/// For a connection allowed but not declared between two pods, when an external of
/// the program covers one end's pod IP: the plugin matched it, and how to stop that.
fn pod_ip_help(
    program: &Program,
    pod_ips: &HashMap<WorkloadId, std::net::IpAddr>,
    ends: &Ends<'_>,
    plugin: Option<&str>,
) -> Option<String> {
    let ends_ips = [(ends.src, &ends.src_name), (ends.dst, &ends.dst_name)];
    for ((_, endpoint), name) in ends_ips {
        let Endpoint::Workload(w) = endpoint else {
            continue;
        };
        let Some(ip) = pod_ips.get(&w) else {
            continue;
        };
        let covering = program.externals.iter().find(|x| {
            x.cidrs.iter().any(|c| c.contains(ip)) && !x.except.iter().any(|e| e.contains(ip))
        })?;
        let net = program
            .cluster
            .pods
            .iter()
            .find(|n| n.contains(ip))
            .map_or_else(|| ASSUMED_POD_NETWORK.to_owned(), ToString::to_string);
        return Some(format!(
            "on {} an ipBlock matches pod IPs: {name} ({ip}) lies in `{}`; add `except {net}` (the pod network) to `{}` so only addresses outside the cluster match",
            plugin.unwrap_or("this plugin"),
            covering.name,
            covering.name
        ));
    }
    None
}

/// The lowest port of the first protocol (SCTP, TCP, UDP) with any.
fn first_connection(conns: &ConnSet) -> (Protocol, u16) {
    for protocol in Protocol::ALL {
        if let Some(&(lo, _)) = conns.ports(protocol).ranges().first() {
            return (protocol, lo);
        }
    }
    (Protocol::Tcp, 1)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
mod tests {
    use super::nth_host;

    /// Probe pods get addresses in the cluster's pod network: however many there are,
    /// every address stays inside it, and the first ones are all different.
    #[test]
    fn every_nth_host_lies_inside_the_network() {
        for (net, hosts) in [
            ("10.0.0.0/30", 2u128),
            ("10.1.0.0/24", 254),
            ("fd00::/126", 2),
        ] {
            let net: ipnet::IpNet = net.parse().unwrap();
            let mut seen = std::collections::HashSet::new();
            for n in 1..=3 * hosts {
                let ip = nth_host(net, n).unwrap();
                assert!(net.contains(&ip), "host {n} of {net} is {ip}, outside it");
                if n <= hosts {
                    assert!(seen.insert(ip), "host {n} of {net} repeats {ip}");
                }
            }
        }
    }
}

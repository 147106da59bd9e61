//! The evaluator (semantics reference §9): isolation per direction, union of the
//! rules of the selecting policies, both ends of a connection. Pods are grouped into
//! equivalence classes (namespace, labels, ports and, when ipBlocks match pod IPs,
//! IP) so every question is answered once per class. Owns [`Analysis`], the answer
//! for one pair of endpoints and the explained single-connection query; the
//! all-pairs matrix is in `matrix`. It must never read files, print, or use
//! netpc's compiler stages (`lower`, `ir`, `emit`, `resolve`).

use std::net::IpAddr;

use rustc_hash::FxHashMap;

use super::compiled_policy::{CompiledPolicy, Direction, NamespaceMatch, Peer, Rule};
use super::connset::{ConnSet, Protocol};
use super::iprange::Ipv4Range;
use super::model::{Cluster, ContainerPort, WorkloadId};
use super::selector::Labels;
use super::validate::{Issue, lint_named_port_to_ip_blocks, validate_policy, validate_policy_name};

/// Whether an `ipBlock` peer matches pods whose IP lies in it (implementation-defined
/// upstream: e2e, Calico, kube-router and cyclonus match; Cilium and netpol-analyzer
/// do not).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IpBlockPods {
    /// ipBlocks match only non-pod addresses (netpol-analyzer).
    #[default]
    Ignore,
    /// ipBlocks also match pods by their IP (needs [`Workload::ip`](super::model::Workload::ip)).
    Match,
}

/// What a pod may send to itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SelfTraffic {
    /// "A pod cannot block access to itself": always allowed.
    #[default]
    Allow,
    /// Evaluated by policy like any other pair (cyclonus).
    Evaluate,
}

/// How `hostNetwork` pods are treated (implementation-defined upstream).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HostNetwork {
    /// Not selected by any policy nor by selector peers; their traffic is their
    /// node's (an ipBlock covering the node IP matches them). Most CNIs.
    #[default]
    AsNode,
    /// Like any other pod.
    AsPod,
}

/// Evaluation modes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub ipblock_pods: IpBlockPods,
    pub self_traffic: SelfTraffic,
    pub host_network: HostNetwork,
}

/// One end of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// A workload of the cluster (its pods).
    Workload(WorkloadId),
    /// An address outside the cluster's pods.
    Ip(IpAddr),
    /// A range of external IPv4 addresses (an atom of the connlist).
    Range(Ipv4Range),
}

/// A policy, by namespace and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyRef {
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for PolicyRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// A rule of a policy: `spec.<direction>[index]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleRef {
    pub policy: PolicyRef,
    pub direction: Direction,
    pub index: usize,
}

/// The verdict of one end of a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Side {
    /// Whether this end is a pod (only pods are governed by policies).
    pub is_pod: bool,
    /// The policies that select this end for the direction (empty: not isolated).
    pub isolating: Vec<PolicyRef>,
    /// The rules that allow the connection (only meaningful when isolated).
    pub allowing: Vec<RuleRef>,
    pub allowed: bool,
}

/// The explained answer for one (src, dst, protocol, port).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub allowed: bool,
    /// Allowed because src and dst are the same workload ([`SelfTraffic::Allow`]).
    pub loopback: bool,
    /// The source is the destination pod's own node (its IP, or a hostNetwork pod
    /// under `HostNetwork::AsNode` on that node): ingress is always allowed.
    pub from_own_node: bool,
    /// The source's egress verdict.
    pub egress: Side,
    /// The destination's ingress verdict.
    pub ingress: Side,
}

/// How bad an [`AnalyzeError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Reported, and the evaluation goes on (it does not change the answer).
    Warning,
    /// The input cannot be evaluated.
    Error,
}

/// An invalid input: the file, the object, the field and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnalyzeError {
    pub severity: Severity,
    pub origin: Option<String>,
    pub object: String,
    pub field: Option<String>,
    pub message: String,
}

impl std::fmt::Display for AnalyzeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(origin) = &self.origin {
            write!(f, "{origin}: ")?;
        }
        write!(f, "{}", self.object)?;
        if let Some(field) = &self.field {
            write!(f, ": `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A group of pods that no policy can tell apart.
#[derive(Clone, Debug)]
pub(super) struct Class {
    pub namespace: String,
    pub labels: Labels,
    pub ports: Vec<ContainerPort>,
    /// The IP ipBlocks are matched against: the pod IP (`IpBlockPods::Match`) or,
    /// for node-like classes, the node IP.
    pub ip: Option<IpAddr>,
    /// hostNetwork pods under `HostNetwork::AsNode`: never selected, never matched
    /// by selector peers.
    pub node_like: bool,
    pub workloads: Vec<WorkloadId>,
    /// Policies selecting the class for ingress / egress.
    pub ingress_policies: Vec<usize>,
    pub egress_policies: Vec<usize>,
}

/// What makes two workloads indistinguishable: namespace, labels, sorted ports, IP.
type ClassKey<'a> = (
    &'a str,
    &'a Labels,
    Vec<ContainerPort>,
    Option<IpAddr>,
    bool,
);

/// A checked cluster ready to answer questions.
#[derive(Debug)]
pub struct Analysis<'c> {
    pub(super) cluster: &'c Cluster,
    pub(super) options: Options,
    pub(super) policies: Vec<CompiledPolicy>,
    pub(super) classes: Vec<Class>,
    pub(super) class_of: Vec<usize>,
    /// Labels of every namespace a class lives in.
    ns_labels: FxHashMap<String, Labels>,
    warnings: Vec<AnalyzeError>,
}

/// A peer as the evaluator sees it: a class of pods or an address (range).
#[derive(Clone, Copy, Debug)]
pub(super) enum PeerRef {
    Class(usize),
    Ip(IpAddr),
    Range(Ipv4Range),
}

/// Validates every policy of `cluster`: what the API server would reject (an invalid
/// name or namespace is only a warning), two policies with one namespace/name, and,
/// when ipBlocks never match pods ([`IpBlockPods::Ignore`]), a named port in an egress
/// rule toward ipBlocks only (an error though the API server accepts it: it can never
/// match, as netpol-analyzer also reports).
pub fn check(cluster: &Cluster, options: Options) -> Vec<AnalyzeError> {
    let mut errors = Vec::new();
    let mut seen: FxHashMap<(String, String), Option<String>> = FxHashMap::default();
    for source in cluster.policies() {
        let object = format!("NetworkPolicy `{}/{}`", source.namespace(), source.name());
        let mut report = |issues: Vec<Issue>, severity: Severity| {
            for issue in issues {
                errors.push(AnalyzeError {
                    severity,
                    origin: source.origin.clone(),
                    object: object.clone(),
                    field: Some(issue.field),
                    message: issue.message,
                });
            }
        };
        report(validate_policy_name(&source.policy), Severity::Warning);
        report(validate_policy(&source.policy), Severity::Error);
        if options.ipblock_pods == IpBlockPods::Ignore {
            report(
                lint_named_port_to_ip_blocks(&source.policy),
                Severity::Error,
            );
        }
        let key = (source.namespace().to_string(), source.name().to_string());
        if let Some(first) = seen.get(&key) {
            errors.push(AnalyzeError {
                severity: Severity::Error,
                origin: source.origin.clone(),
                object: object.clone(),
                field: None,
                message: format!(
                    "a second policy with this namespace and name (first in {})",
                    first.as_deref().unwrap_or("the input")
                ),
            });
        } else {
            seen.insert(key, source.origin.clone());
        }
    }
    errors
}

/// Workloads that no policy can tell apart (same namespace, labels, ports, address
/// and host-network role) form one class, so evaluation is per class, not per pod.
/// Returns the classes and each workload's class.
fn equivalence_classes(cluster: &Cluster, options: Options) -> (Vec<Class>, Vec<usize>) {
    let mut classes: Vec<Class> = Vec::new();
    let mut class_of = Vec::with_capacity(cluster.workloads().len());
    let mut index: FxHashMap<ClassKey<'_>, usize> = FxHashMap::default();
    for (id, w) in cluster.workloads().iter().enumerate() {
        let mut ports = w.ports.clone();
        ports.sort();
        ports.dedup();
        let node_like = w.host_network && options.host_network == HostNetwork::AsNode;
        let ip = if node_like {
            w.node.as_deref().and_then(|n| cluster.node_ip(n))
        } else if options.ipblock_pods == IpBlockPods::Match {
            w.ip
        } else {
            None
        };
        let key = (
            w.namespace.as_str(),
            &w.labels,
            ports.clone(),
            ip,
            node_like,
        );
        let class = *index.entry(key).or_insert_with(|| {
            classes.push(Class {
                namespace: w.namespace.clone(),
                labels: w.labels.clone(),
                ports,
                ip,
                node_like,
                workloads: Vec::new(),
                ingress_policies: Vec::new(),
                egress_policies: Vec::new(),
            });
            classes.len() - 1
        });
        classes[class].workloads.push(id);
        class_of.push(class);
    }
    (classes, class_of)
}

impl<'c> Analysis<'c> {
    /// Checks the cluster's policies ([`check`]) and prepares the evaluation.
    pub fn new(cluster: &'c Cluster, options: Options) -> Result<Analysis<'c>, Vec<AnalyzeError>> {
        let (errors, warnings): (Vec<_>, Vec<_>) = check(cluster, options)
            .into_iter()
            .partition(|e| e.severity == Severity::Error);
        if !errors.is_empty() {
            return Err(errors);
        }
        let policies: Vec<CompiledPolicy> = cluster
            .policies()
            .iter()
            .map(|s| CompiledPolicy::compile(&s.policy, s.namespace()))
            .collect();
        let (mut classes, class_of) = equivalence_classes(cluster, options);
        let mut by_namespace: FxHashMap<String, Vec<usize>> = FxHashMap::default();
        for (c, class) in classes.iter().enumerate() {
            by_namespace
                .entry(class.namespace.clone())
                .or_default()
                .push(c);
        }
        for (p, policy) in policies.iter().enumerate() {
            for &c in by_namespace.get(&policy.namespace).into_iter().flatten() {
                if !classes[c].node_like && policy.pod_selector.matches(&classes[c].labels) {
                    if policy.ingress.is_some() {
                        classes[c].ingress_policies.push(p);
                    }
                    if policy.egress.is_some() {
                        classes[c].egress_policies.push(p);
                    }
                }
            }
        }
        let ns_labels = by_namespace
            .into_keys()
            .map(|ns| {
                let labels = cluster.namespace_labels(&ns);
                (ns, labels)
            })
            .collect();
        Ok(Analysis {
            cluster,
            options,
            policies,
            classes,
            class_of,
            ns_labels,
            warnings,
        })
    }

    pub fn cluster(&self) -> &'c Cluster {
        self.cluster
    }

    /// What [`check`] found that does not stop the evaluation.
    pub fn warnings(&self) -> &[AnalyzeError] {
        &self.warnings
    }

    pub(super) fn peer_of(&self, endpoint: Endpoint) -> PeerRef {
        match endpoint {
            Endpoint::Workload(id) => PeerRef::Class(self.class_of[id]),
            Endpoint::Ip(ip) => PeerRef::Ip(ip),
            Endpoint::Range(range) => PeerRef::Range(range),
        }
    }

    pub(super) fn dst_ports(&self, peer: PeerRef) -> Option<&[ContainerPort]> {
        match peer {
            PeerRef::Class(c) => Some(&self.classes[c].ports),
            PeerRef::Ip(_) | PeerRef::Range(_) => None,
        }
    }

    /// Whether a selector peer's namespace part matches the namespace `ns`.
    pub(super) fn namespace_matches(&self, namespaces: &NamespaceMatch, ns: &str) -> bool {
        match namespaces {
            NamespaceMatch::Own(own) => own == ns,
            NamespaceMatch::Selected(sel) => self
                .ns_labels
                .get(ns)
                .is_some_and(|labels| sel.matches(labels)),
        }
    }

    /// Whether one element of `from`/`to` matches a remote peer.
    pub(super) fn peer_matches(&self, peer: &Peer, remote: PeerRef) -> bool {
        match (peer, remote) {
            (Peer::Pods { namespaces, pods }, PeerRef::Class(c)) => {
                let class = &self.classes[c];
                !class.node_like
                    && self.namespace_matches(namespaces, &class.namespace)
                    && pods.matches(&class.labels)
            }
            (Peer::Pods { .. }, _) => false,
            (Peer::IpBlock(block), PeerRef::Class(c)) => {
                let class = &self.classes[c];
                (class.node_like || self.options.ipblock_pods == IpBlockPods::Match)
                    && class.ip.is_some_and(|ip| block.contains(ip))
            }
            (Peer::IpBlock(block), PeerRef::Ip(ip)) => block.contains(ip),
            (Peer::IpBlock(block), PeerRef::Range(range)) => block.contains_range(&range),
        }
    }

    pub(super) fn rule_matches_peer(&self, rule: &Rule, remote: PeerRef) -> bool {
        match &rule.peers {
            None => true,
            Some(peers) => peers.iter().any(|p| self.peer_matches(p, remote)),
        }
    }

    /// What one end allows in one direction: `None` when it is not isolated (or not a
    /// pod), else the union of the matching rules' connections toward `dst`.
    fn side_conns(
        &self,
        direction: Direction,
        local: PeerRef,
        remote: PeerRef,
        dst: PeerRef,
    ) -> Option<ConnSet> {
        let PeerRef::Class(c) = local else {
            return None;
        };
        let policies = match direction {
            Direction::Ingress => &self.classes[c].ingress_policies,
            Direction::Egress => &self.classes[c].egress_policies,
        };
        if policies.is_empty() {
            return None;
        }
        let mut conns = ConnSet::empty();
        for &p in policies {
            for rule in self.policies[p].rules(direction).unwrap_or_default() {
                if self.rule_matches_peer(rule, remote) {
                    conns.union_with(&rule.conns(self.dst_ports(dst)));
                }
            }
        }
        Some(conns)
    }

    /// The connections allowed from `src` to `dst` (both ends' policies).
    pub fn allowed(&self, src: Endpoint, dst: Endpoint) -> ConnSet {
        if let (Endpoint::Workload(a), Endpoint::Workload(b)) = (src, dst)
            && a == b
            && self.options.self_traffic == SelfTraffic::Allow
        {
            return ConnSet::all();
        }
        let (s, d) = (self.peer_of(src), self.peer_of(dst));
        if !matches!(s, PeerRef::Class(_)) && !matches!(d, PeerRef::Class(_)) {
            return ConnSet::all(); // neither end is a pod: no policy applies
        }
        let egress = self.side_conns(Direction::Egress, s, d, d);
        let ingress = if self.is_from_own_node(src, dst) {
            None
        } else {
            self.side_conns(Direction::Ingress, d, s, d)
        };
        match (egress, ingress) {
            (None, None) => ConnSet::all(),
            (Some(e), None) => e,
            (None, Some(i)) => i,
            (Some(e), Some(i)) => e.intersect(&i),
        }
    }

    /// Whether `src` is `dst`'s node: the node's IP, or a node-like (hostNetwork)
    /// workload on the same node.
    fn is_from_own_node(&self, src: Endpoint, dst: Endpoint) -> bool {
        let Endpoint::Workload(d) = dst else {
            return false;
        };
        let workloads = self.cluster.workloads();
        if self.classes[self.class_of[d]].node_like {
            return false;
        }
        let Some(node) = workloads[d].node.as_deref() else {
            return false;
        };
        let node_ip = self.cluster.node_ip(node);
        match src {
            Endpoint::Ip(ip) => node_ip == Some(ip),
            Endpoint::Workload(s) => {
                self.classes[self.class_of[s]].node_like
                    && workloads[s].node.as_deref() == Some(node)
            }
            Endpoint::Range(_) => false,
        }
    }

    /// Whether `src` may open a `protocol`/`port` connection to `dst`, and why.
    pub fn explain(
        &self,
        src: Endpoint,
        dst: Endpoint,
        protocol: Protocol,
        port: u16,
    ) -> Explanation {
        let (s, d) = (self.peer_of(src), self.peer_of(dst));
        let egress = self.explain_side(Direction::Egress, s, d, d, protocol, port);
        let ingress = self.explain_side(Direction::Ingress, d, s, d, protocol, port);
        let loopback = matches!((src, dst), (Endpoint::Workload(a), Endpoint::Workload(b)) if a == b)
            && self.options.self_traffic == SelfTraffic::Allow;
        let from_own_node = self.is_from_own_node(src, dst);
        Explanation {
            allowed: loopback || (egress.allowed && (ingress.allowed || from_own_node)),
            loopback,
            from_own_node,
            egress,
            ingress,
        }
    }

    fn explain_side(
        &self,
        direction: Direction,
        local: PeerRef,
        remote: PeerRef,
        dst: PeerRef,
        protocol: Protocol,
        port: u16,
    ) -> Side {
        let PeerRef::Class(c) = local else {
            return Side {
                is_pod: false,
                isolating: Vec::new(),
                allowing: Vec::new(),
                allowed: true,
            };
        };
        let policies = match direction {
            Direction::Ingress => &self.classes[c].ingress_policies,
            Direction::Egress => &self.classes[c].egress_policies,
        };
        let mut isolating = Vec::new();
        let mut allowing = Vec::new();
        for &p in policies {
            let policy = &self.policies[p];
            let policy_ref = PolicyRef {
                namespace: policy.namespace.clone(),
                name: policy.name.clone(),
            };
            for rule in policy.rules(direction).unwrap_or_default() {
                if self.rule_matches_peer(rule, remote)
                    && rule.conns(self.dst_ports(dst)).contains(protocol, port)
                {
                    allowing.push(RuleRef {
                        policy: policy_ref.clone(),
                        direction,
                        index: rule.index,
                    });
                }
            }
            isolating.push(policy_ref);
        }
        isolating.sort();
        allowing.sort();
        Side {
            is_pod: true,
            allowed: isolating.is_empty() || !allowing.is_empty(),
            isolating,
            allowing,
        }
    }
}

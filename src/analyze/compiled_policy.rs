//! A NetworkPolicy compiled for evaluation: effective `policyTypes` (defaulting per
//! the API), rules per direction, peers with the nil/empty selector rules applied,
//! ipBlocks parsed, ports normalized (protocol defaulted to TCP). Owns the reading of
//! the k8s-openapi object; it must never judge validity (run `validate` first: here
//! anything unreadable simply matches nothing) and never look at pods.

use std::net::IpAddr;

use ipnet::IpNet;
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::connset::{ConnSet, PortSet, Protocol};
use super::iprange::{Ipv4Range, block_ranges};
use super::model::ContainerPort;
use super::selector::Selector;

/// Which end of a connection a policy rule governs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    Ingress,
    Egress,
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        })
    }
}

/// Which namespaces a selector peer looks in.
#[derive(Clone, Debug)]
pub enum NamespaceMatch {
    /// No `namespaceSelector`: the policy's own namespace.
    Own(String),
    Selected(Selector),
}

/// An `ipBlock`: `cidr` minus every `except`.
#[derive(Clone, Debug)]
pub struct IpBlock {
    pub cidr: Option<IpNet>,
    pub except: Vec<IpNet>,
    /// `cidr` minus `except` as IPv4 ranges (empty for an IPv6 block).
    pub v4_ranges: Vec<Ipv4Range>,
}

impl IpBlock {
    fn compile(block: &IPBlock) -> IpBlock {
        let cidr = block.cidr.parse::<IpNet>().ok();
        let except: Vec<IpNet> = block
            .except
            .iter()
            .flatten()
            .filter_map(|e| e.parse::<IpNet>().ok())
            .collect();
        let v4_ranges = match cidr {
            Some(IpNet::V4(net)) => {
                let holes: Vec<_> = except
                    .iter()
                    .filter_map(|e| match e {
                        IpNet::V4(v4) => Some(*v4),
                        IpNet::V6(_) => None,
                    })
                    .collect();
                block_ranges(&net, &holes)
            }
            _ => Vec::new(),
        };
        IpBlock {
            cidr,
            except,
            v4_ranges,
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.cidr.is_some_and(|c| c.contains(&ip)) && !self.except.iter().any(|e| e.contains(&ip))
    }

    /// Whether a whole IPv4 range lies inside the block.
    pub fn contains_range(&self, range: &Ipv4Range) -> bool {
        self.v4_ranges.iter().any(|r| r.contains_range(range))
    }
}

/// One element of `from` / `to`.
#[derive(Clone, Debug)]
pub enum Peer {
    /// Pods matching `pods` in the namespaces matched by `namespaces`.
    Pods {
        namespaces: NamespaceMatch,
        pods: Selector,
    },
    IpBlock(IpBlock),
}

/// The port part of a port entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortSpec {
    /// No `port`: every port of the protocol.
    Any,
    /// `port` through `endPort` (or `port`), inclusive.
    Range(u16, u16),
    /// A named port, resolved on the destination pod.
    Named(String),
    /// Unreadable (invalid) port: matches nothing.
    Invalid,
}

/// One element of `ports`, protocol defaulted to TCP.
#[derive(Clone, Debug)]
pub struct PortEntry {
    pub protocol: Option<Protocol>,
    pub port: PortSpec,
}

impl PortEntry {
    fn compile(entry: &NetworkPolicyPort) -> PortEntry {
        let protocol = match entry.protocol.as_deref() {
            None => Some(Protocol::Tcp),
            Some(text) => Protocol::parse(text),
        };
        let port = match &entry.port {
            None => PortSpec::Any,
            Some(IntOrString::Int(n)) => {
                let end = entry.end_port.unwrap_or(*n);
                match (u16::try_from(*n), u16::try_from(end)) {
                    (Ok(lo), Ok(hi)) if lo >= 1 => PortSpec::Range(lo, hi),
                    _ => PortSpec::Invalid,
                }
            }
            Some(IntOrString::String(name)) => PortSpec::Named(name.clone()),
        };
        PortEntry { protocol, port }
    }

    /// The connections this entry allows toward a destination whose container ports
    /// are `dst_ports` (`None`: not a pod, so named ports match nothing).
    pub fn conns(&self, dst_ports: Option<&[ContainerPort]>) -> ConnSet {
        let Some(protocol) = self.protocol else {
            return ConnSet::empty();
        };
        match &self.port {
            PortSpec::Any => ConnSet::of(protocol, PortSet::all()),
            PortSpec::Range(lo, hi) => ConnSet::of(protocol, PortSet::range(*lo, *hi)),
            PortSpec::Invalid => ConnSet::empty(),
            PortSpec::Named(name) => {
                let mut set = ConnSet::empty();
                for port in dst_ports.into_iter().flatten() {
                    if port.protocol == protocol && port.name.as_deref() == Some(name.as_str()) {
                        set.add(protocol, &PortSet::range(port.port, port.port));
                    }
                }
                set
            }
        }
    }

    pub fn is_named(&self) -> bool {
        matches!(self.port, PortSpec::Named(_))
    }
}

/// One ingress or egress rule: it allows `ports` to/from `peers`.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Position in `spec.ingress` / `spec.egress`.
    pub index: usize,
    /// `None`: `from`/`to` absent or empty, every peer (pods and IPs).
    pub peers: Option<Vec<Peer>>,
    /// `None`: `ports` absent or empty, every port of every protocol.
    pub ports: Option<Vec<PortEntry>>,
}

impl Rule {
    /// The connections this rule allows toward a destination with `dst_ports`.
    pub fn conns(&self, dst_ports: Option<&[ContainerPort]>) -> ConnSet {
        match &self.ports {
            None => ConnSet::all(),
            Some(entries) => {
                let mut set = ConnSet::empty();
                for entry in entries {
                    set.union_with(&entry.conns(dst_ports));
                }
                set
            }
        }
    }

    /// Whether the rule's ports depend on the destination (a named port).
    pub fn has_named_port(&self) -> bool {
        self.ports.iter().flatten().any(PortEntry::is_named)
    }
}

/// A policy ready to evaluate.
#[derive(Clone, Debug)]
pub struct CompiledPolicy {
    pub namespace: String,
    pub name: String,
    pub pod_selector: Selector,
    /// `Some` iff the effective `policyTypes` contain Ingress.
    pub ingress: Option<Vec<Rule>>,
    /// `Some` iff the effective `policyTypes` contain Egress.
    pub egress: Option<Vec<Rule>>,
}

impl CompiledPolicy {
    /// Compiles `policy`; `namespace` is its namespace after defaulting.
    pub fn compile(policy: &NetworkPolicy, namespace: &str) -> CompiledPolicy {
        let spec = policy.spec.clone().unwrap_or_default();
        let (affects_ingress, affects_egress) = effective_types(policy);
        let own = namespace.to_string();
        let ingress = affects_ingress.then(|| {
            spec.ingress
                .iter()
                .flatten()
                .enumerate()
                .map(|(index, rule)| {
                    compile_rule(index, rule.from.as_deref(), rule.ports.as_deref(), &own)
                })
                .collect()
        });
        let egress = affects_egress.then(|| {
            spec.egress
                .iter()
                .flatten()
                .enumerate()
                .map(|(index, rule)| {
                    compile_rule(index, rule.to.as_deref(), rule.ports.as_deref(), &own)
                })
                .collect()
        });
        CompiledPolicy {
            namespace: own,
            name: policy.metadata.name.clone().unwrap_or_default(),
            pod_selector: spec
                .pod_selector
                .as_ref()
                .map_or_else(Selector::everything, Selector::compile),
            ingress,
            egress,
        }
    }

    pub fn rules(&self, direction: Direction) -> Option<&[Rule]> {
        match direction {
            Direction::Ingress => self.ingress.as_deref(),
            Direction::Egress => self.egress.as_deref(),
        }
    }
}

/// The effective `policyTypes` as (ingress, egress): as written, or when absent or
/// empty, Ingress plus Egress iff `spec.egress` is non-empty (API defaulting).
pub fn effective_types(policy: &NetworkPolicy) -> (bool, bool) {
    let spec = policy.spec.as_ref();
    match spec
        .and_then(|s| s.policy_types.as_ref())
        .filter(|t| !t.is_empty())
    {
        Some(types) => (
            types.iter().any(|t| t == "Ingress"),
            types.iter().any(|t| t == "Egress"),
        ),
        None => (
            true,
            spec.and_then(|s| s.egress.as_ref())
                .is_some_and(|e| !e.is_empty()),
        ),
    }
}

fn compile_rule(
    index: usize,
    peers: Option<&[NetworkPolicyPeer]>,
    ports: Option<&[NetworkPolicyPort]>,
    own_namespace: &str,
) -> Rule {
    Rule {
        index,
        peers: peers.filter(|p| !p.is_empty()).map(|p| {
            p.iter()
                .filter_map(|peer| compile_peer(peer, own_namespace))
                .collect()
        }),
        ports: ports
            .filter(|p| !p.is_empty())
            .map(|p| p.iter().map(PortEntry::compile).collect()),
    }
}

fn compile_peer(peer: &NetworkPolicyPeer, own_namespace: &str) -> Option<Peer> {
    if let Some(block) = &peer.ip_block {
        return Some(Peer::IpBlock(IpBlock::compile(block)));
    }
    if peer.pod_selector.is_none() && peer.namespace_selector.is_none() {
        // `{}` is rejected by validation; here it matches nothing.
        return None;
    }
    let namespaces = match &peer.namespace_selector {
        None => NamespaceMatch::Own(own_namespace.to_string()),
        Some(sel) => NamespaceMatch::Selected(Selector::compile(sel)),
    };
    let pods = peer
        .pod_selector
        .as_ref()
        .map_or_else(Selector::everything, Selector::compile);
    Some(Peer::Pods { namespaces, pods })
}

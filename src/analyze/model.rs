//! The cluster model the evaluator reads: namespaces with labels, workloads (a pod or
//! a controller's pod template: namespace, name, kind, labels, named container
//! ports, optional IP) and NetworkPolicy objects (k8s-openapi types) with where they
//! came from. Callers build it by hand or with `load`. Owns only data and its
//! invariants (every namespace has its `kubernetes.io/metadata.name` label); it must
//! never evaluate policies and never depend on netpc's IR.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use k8s_openapi::api::networking::v1::NetworkPolicy;

use super::connset::Protocol;
use super::selector::Labels;

/// The label the API server puts on every namespace (value: the namespace's name).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A container port of a workload's pods.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContainerPort {
    /// The port's `name`, used by named ports in policies.
    pub name: Option<String>,
    pub protocol: Protocol,
    pub port: u16,
}

/// A unit of the output: a pod, or the pods of one controller (they share labels and
/// ports), printed `namespace/name[Kind]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub namespace: String,
    pub name: String,
    /// `Pod`, `Deployment`, `ReplicaSet`, ...
    pub kind: String,
    pub labels: Labels,
    pub ports: Vec<ContainerPort>,
    /// The pod IP, used only when ipBlocks match pod IPs (`IpBlockPods::Match`).
    pub ip: Option<IpAddr>,
    /// The node the pods run on (see [`Cluster::add_node`]): ingress from it is
    /// always allowed.
    pub node: Option<String>,
    /// `spec.hostNetwork`: the pods use their node's network (see `HostNetwork`).
    pub host_network: bool,
}

impl Workload {
    /// A workload with no ports and no IP.
    pub fn new(namespace: &str, name: &str, kind: &str, labels: Labels) -> Workload {
        Workload {
            namespace: namespace.to_string(),
            name: name.to_string(),
            kind: kind.to_string(),
            labels,
            ports: Vec::new(),
            ip: None,
            node: None,
            host_network: false,
        }
    }

    /// Adds a container port (builder style).
    pub fn with_port(mut self, name: Option<&str>, protocol: Protocol, port: u16) -> Workload {
        self.ports.push(ContainerPort {
            name: name.map(str::to_string),
            protocol,
            port,
        });
        self
    }

    pub fn with_ip(mut self, ip: IpAddr) -> Workload {
        self.ip = Some(ip);
        self
    }

    /// Places the pods on a node.
    pub fn on_node(mut self, node: &str) -> Workload {
        self.node = Some(node.to_string());
        self
    }

    /// Marks the pods `hostNetwork: true`.
    pub fn with_host_network(mut self) -> Workload {
        self.host_network = true;
        self
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}[{}]", self.namespace, self.name, self.kind)
    }
}

/// Index of a workload in [`Cluster::workloads`].
pub type WorkloadId = usize;

/// A NetworkPolicy and the file it was read from (if any), for error messages.
#[derive(Clone, Debug)]
pub struct PolicySource {
    pub policy: NetworkPolicy,
    pub origin: Option<String>,
}

impl PolicySource {
    /// The policy's namespace (`default` when absent).
    pub fn namespace(&self) -> &str {
        self.policy
            .metadata
            .namespace
            .as_deref()
            .filter(|ns| !ns.is_empty())
            .unwrap_or("default")
    }

    pub fn name(&self) -> &str {
        self.policy.metadata.name.as_deref().unwrap_or("")
    }
}

/// Namespaces, workloads, policies and nodes: everything the evaluator needs.
#[derive(Clone, Debug, Default)]
pub struct Cluster {
    namespaces: BTreeMap<String, Labels>,
    workloads: Vec<Workload>,
    policies: Vec<PolicySource>,
    nodes: BTreeMap<String, IpAddr>,
}

impl Cluster {
    pub fn new() -> Cluster {
        Cluster::default()
    }

    /// Declares a namespace; `kubernetes.io/metadata.name` is added when absent (the
    /// API server does the same). Declaring it again replaces its labels.
    pub fn add_namespace(&mut self, name: &str, mut labels: Labels) {
        labels
            .entry(NAMESPACE_NAME_LABEL.to_string())
            .or_insert_with(|| name.to_string());
        self.namespaces.insert(name.to_string(), labels);
    }

    /// Declares a node and its IP (for the node exception and hostNetwork pods).
    pub fn add_node(&mut self, name: &str, ip: IpAddr) {
        self.nodes.insert(name.to_string(), ip);
    }

    pub fn node_ip(&self, name: &str) -> Option<IpAddr> {
        self.nodes.get(name).copied()
    }

    /// Gives a workload's pods an IP (matched by ipBlocks under `IpBlockPods::Match`).
    pub fn set_workload_ip(&mut self, id: WorkloadId, ip: IpAddr) {
        if let Some(workload) = self.workloads.get_mut(id) {
            workload.ip = Some(ip);
        }
    }

    pub fn add_workload(&mut self, workload: Workload) -> WorkloadId {
        self.workloads.push(workload);
        self.workloads.len() - 1
    }

    /// Adds a policy; `origin` names the file it came from, for error messages.
    pub fn add_policy(&mut self, policy: NetworkPolicy, origin: Option<String>) {
        self.policies.push(PolicySource { policy, origin });
    }

    /// The labels of a namespace. A namespace that is referenced but not declared
    /// exists with only its `kubernetes.io/metadata.name` label.
    pub fn namespace_labels(&self, name: &str) -> Labels {
        match self.namespaces.get(name) {
            Some(labels) => labels.clone(),
            None => [(NAMESPACE_NAME_LABEL.to_string(), name.to_string())].into(),
        }
    }

    /// Declared namespaces and their labels.
    pub fn namespaces(&self) -> &BTreeMap<String, Labels> {
        &self.namespaces
    }

    pub fn workloads(&self) -> &[Workload] {
        &self.workloads
    }

    pub fn policies(&self) -> &[PolicySource] {
        &self.policies
    }

    /// The workload printed `namespace/name[Kind]`, or with `kind` `None` the first
    /// workload of that namespace and name.
    pub fn find_workload(
        &self,
        namespace: &str,
        name: &str,
        kind: Option<&str>,
    ) -> Option<WorkloadId> {
        self.workloads.iter().position(|w| {
            w.namespace == namespace && w.name == name && kind.is_none_or(|k| w.kind == k)
        })
    }
}

//! Probe clusters: the pods that `verify`, `diff`, `graph` and connection `explain`
//! evaluate compiled policies against. Built from the label contract (`labels.yaml`
//! text) and the policy objects alone: one pod per service carrying exactly the labels
//! the contract asks for (and its named ports), and in every managed namespace one pod
//! that matches no service and one exempt pod. Never uses `lower`: it reads what
//! lowering wrote, so an error in lowering shows up instead of being repeated.

use std::collections::BTreeMap;

pub mod derive;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::Deserialize;

use crate::analyze::{Cluster, Labels, Protocol, Workload, WorkloadId};

/// The label every probe pod carries (no service selects on it).
pub const PROBE_LABEL: &str = "netpc.io/probe";

/// `labels.yaml` as `netpc build` writes it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LabelContract {
    pub exempt_label: ContractLabel,
    pub namespaces: Vec<ContractNamespace>,
    pub services: Vec<ContractService>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ContractLabel {
    pub key: String,
    pub value: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ContractNamespace {
    pub name: String,
    pub managed: bool,
    /// For a namespace set (`namespaces N { select ...; }`): the labels a namespace
    /// carries to be in it; its probe namespace carries them.
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// A namespace set's set-based terms; its probe namespace satisfies them.
    #[serde(default)]
    pub expressions: Vec<ContractExpression>,
}

/// A set-based term of the contract (`matchExpressions` form).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ContractExpression {
    pub key: String,
    pub operator: String,
    #[serde(default)]
    pub values: Vec<String>,
}

/// The labels a probe carries to satisfy `labels` and `expressions`
/// ([`crate::ir::satisfying`]: the first value of `In`, a value for `Exists`).
pub fn probe_labels(
    labels: &BTreeMap<String, String>,
    expressions: &[ContractExpression],
) -> BTreeMap<String, String> {
    let requirements: Vec<crate::ir::Requirement> = expressions
        .iter()
        .filter_map(|e| {
            let op = match e.operator.as_str() {
                "In" => crate::ir::RequirementOp::In,
                "NotIn" => crate::ir::RequirementOp::NotIn,
                "Exists" => crate::ir::RequirementOp::Exists,
                "DoesNotExist" => crate::ir::RequirementOp::DoesNotExist,
                _ => return None,
            };
            Some(crate::ir::Requirement {
                key: e.key.clone(),
                op,
                values: e.values.clone(),
            })
        })
        .collect();
    crate::ir::satisfying(labels, &requirements)
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ContractService {
    pub namespace: String,
    pub service: String,
    pub managed: bool,
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub expressions: Vec<ContractExpression>,
    #[serde(default)]
    pub named_ports: Vec<ContractPort>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ContractPort {
    pub name: String,
    pub container_port: u16,
    pub protocol: String,
}

/// Parse `labels.yaml`.
pub fn parse_contract(text: &str) -> Result<LabelContract, String> {
    crate::analyze::check_flow_depth(text)?;
    serde_yaml::from_str(text).map_err(|e| format!("not a netpc label contract: {e}"))
}

/// What a probe pod stands for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProbeRole {
    /// The pods of this service.
    Service(String),
    /// A pod of a managed namespace that matches no service (`N/*` reaches it).
    Unmatched,
    /// A pod of a managed namespace carrying the exempt label.
    Exempt,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub workload: WorkloadId,
    pub namespace: String,
    pub role: ProbeRole,
}

impl Probe {
    /// `grid/api`, `grid/(no service)`, `grid/(exempt)`.
    pub fn display(&self) -> String {
        match &self.role {
            ProbeRole::Service(name) => format!("{}/{name}", self.namespace),
            ProbeRole::Unmatched => format!("{}/(no service)", self.namespace),
            ProbeRole::Exempt => format!("{}/(exempt)", self.namespace),
        }
    }
}

/// The evaluator's cluster holding the probe pods and the policies.
#[derive(Debug)]
pub struct ProbeCluster {
    pub cluster: Cluster,
    /// Sorted by namespace, then services (by name), then the unmatched and the
    /// exempt pod.
    pub probes: Vec<Probe>,
}

impl ProbeCluster {
    pub fn find(&self, namespace: &str, role: &ProbeRole) -> Option<&Probe> {
        self.probes
            .iter()
            .find(|p| p.namespace == namespace && &p.role == role)
    }
}

/// Workload names of the synthetic pods (a service cannot be called this: names are
/// DNS labels and these contain characters they cannot).
pub const UNMATCHED_POD: &str = "netpc-probe.unmatched";
pub const EXEMPT_POD: &str = "netpc-probe.exempt";

/// A cluster of the contract's namespaces; a namespace set's carries labels that
/// satisfy its selector.
fn namespaces(contract: &LabelContract) -> Cluster {
    let mut cluster = Cluster::new();
    for namespace in &contract.namespaces {
        let labels = namespace.labels.clone().unwrap_or_default();
        cluster.add_namespace(
            &namespace.name,
            probe_labels(&labels, &namespace.expressions),
        );
    }
    cluster
}

/// Build the probe cluster from a label contract and policy objects (each with the
/// file it came from, for messages).
pub fn build(
    contract: &LabelContract,
    policies: impl IntoIterator<Item = (NetworkPolicy, Option<String>)>,
) -> ProbeCluster {
    let mut cluster = namespaces(contract);
    let mut probes = Vec::new();
    let mut services: Vec<&ContractService> = contract.services.iter().collect();
    services.sort_by(|a, b| (&a.namespace, &a.service).cmp(&(&b.namespace, &b.service)));
    // Sorted by namespace: each namespace's services are one run of `services`.
    let mut runs: std::collections::HashMap<&str, &[&ContractService]> =
        std::collections::HashMap::new();
    for run in services.chunk_by(|a, b| a.namespace == b.namespace) {
        runs.insert(run[0].namespace.as_str(), run);
    }
    for namespace in &contract.namespaces {
        let run = runs
            .get(namespace.name.as_str())
            .copied()
            .unwrap_or_default();
        for service in run {
            let mut labels: Labels = probe_labels(&service.labels, &service.expressions);
            labels.insert(PROBE_LABEL.to_owned(), "service".to_owned());
            let mut workload = Workload::new(&service.namespace, &service.service, "Pod", labels);
            for port in &service.named_ports {
                if let Some(protocol) = Protocol::parse(&port.protocol) {
                    workload = workload.with_port(Some(&port.name), protocol, port.container_port);
                }
            }
            probes.push(Probe {
                workload: cluster.add_workload(workload),
                namespace: service.namespace.clone(),
                role: ProbeRole::Service(service.service.clone()),
            });
        }
        if !namespace.managed {
            continue;
        }
        let unmatched: Labels = [(PROBE_LABEL.to_owned(), "unmatched".to_owned())]
            .into_iter()
            .collect();
        probes.push(Probe {
            workload: cluster.add_workload(Workload::new(
                &namespace.name,
                UNMATCHED_POD,
                "Pod",
                unmatched,
            )),
            namespace: namespace.name.clone(),
            role: ProbeRole::Unmatched,
        });
        let exempt: Labels = [
            (PROBE_LABEL.to_owned(), "exempt".to_owned()),
            (
                contract.exempt_label.key.clone(),
                contract.exempt_label.value.clone(),
            ),
        ]
        .into_iter()
        .collect();
        probes.push(Probe {
            workload: cluster.add_workload(Workload::new(
                &namespace.name,
                EXEMPT_POD,
                "Pod",
                exempt,
            )),
            namespace: namespace.name.clone(),
            role: ProbeRole::Exempt,
        });
    }
    for (policy, origin) in policies {
        cluster.add_policy(policy, origin);
    }
    ProbeCluster { cluster, probes }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod tests {
    use super::*;

    const CONTRACT: &str = "
exemptLabel: {key: netp.io/exempt, value: 'true'}
namespaces:
- {name: kube-system, managed: false}
- {name: shop, managed: true}
services:
- {namespace: kube-system, service: kube-dns, managed: false, labels: {k8s-app: kube-dns}}
- namespace: shop
  service: api
  managed: true
  labels: {app: api, needs-db: 'true'}
  namedPorts: [{name: http, containerPort: 8080, protocol: TCP}]
- {namespace: shop, service: db, managed: true, labels: {app: db}}
";

    #[test]
    fn one_pod_per_service_plus_unmatched_and_exempt_per_managed_namespace() {
        let contract = parse_contract(CONTRACT).unwrap();
        let probes = build(&contract, []);
        let names: Vec<String> = probes.probes.iter().map(Probe::display).collect();
        assert_eq!(
            names,
            [
                "kube-system/kube-dns",
                "shop/api",
                "shop/db",
                "shop/(no service)",
                "shop/(exempt)"
            ]
        );
        let api = &probes.cluster.workloads()[probes
            .find("shop", &ProbeRole::Service("api".into()))
            .unwrap()
            .workload];
        assert_eq!(api.labels.get("needs-db").map(String::as_str), Some("true"));
        assert_eq!(api.ports.len(), 1);
        let exempt =
            &probes.cluster.workloads()[probes.find("shop", &ProbeRole::Exempt).unwrap().workload];
        assert_eq!(
            exempt.labels.get("netp.io/exempt").map(String::as_str),
            Some("true")
        );
    }

    #[test]
    fn a_contract_without_the_namespace_list_is_rejected() {
        assert!(parse_contract("services: []").is_err());
    }
}

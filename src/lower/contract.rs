//! The label contract (`labels.yaml`): for every service, the labels its pod template
//! must carry (its selector and, in the `labels` identity style, its `needs-*` client
//! labels) and the named container ports it must expose, so a team can check its
//! workloads against the policies. Pure data; `emit` writes it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Plan;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractEntry<'p> {
    pub namespace: &'p str,
    pub service: &'p str,
    /// `false` for a service of an `external namespace`: netpc recognises it by its
    /// selector and asks for no extra label.
    pub managed: bool,
    pub labels: BTreeMap<&'p str, &'p str>,
    /// The set-based terms of its selector, which the template's labels must satisfy
    /// besides carrying `labels`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expressions: Vec<Expression>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub named_ports: Vec<NamedPort<'p>>,
}

/// A set-based term as `matchExpressions` writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expression {
    pub key: String,
    pub operator: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// The contract's form of set-based terms.
pub fn expressions(requirements: &[crate::ir::Requirement]) -> Vec<Expression> {
    requirements
        .iter()
        .map(|r| Expression {
            key: r.key.clone(),
            operator: r.op.as_k8s(),
            values: r.values.clone(),
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedPort<'p> {
    pub name: &'p str,
    pub container_port: u16,
    pub protocol: &'static str,
}

impl Plan {
    /// One entry per service, sorted by namespace then service name, borrowing the
    /// plan's names (50,000 services' labels, not copied to be written once).
    pub fn contract(&self) -> Vec<ContractEntry<'_>> {
        let program = &self.program;
        let mut entries: Vec<ContractEntry> = program
            .service_ids()
            .map(|id| {
                let service = program.service(id);
                let namespace = program.namespace(service.namespace);
                let mut labels: BTreeMap<&str, &str> = service
                    .selector
                    .into_iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                for &label in &self.client_labels[id.0 as usize] {
                    labels.insert(self.labels[label as usize].as_str(), "true");
                }
                ContractEntry {
                    namespace: &namespace.name,
                    service: &service.name,
                    managed: namespace.managed,
                    labels,
                    expressions: expressions(&service.requirements),
                    named_ports: service
                        .ports
                        .iter()
                        .filter_map(|p| {
                            p.name.as_ref().map(|name| NamedPort {
                                name,
                                container_port: p.first,
                                protocol: p.protocol.as_k8s(),
                            })
                        })
                        .collect(),
                }
            })
            .collect();
        entries.sort_by(|a, b| (a.namespace, a.service).cmp(&(b.namespace, b.service)));
        entries
    }
}

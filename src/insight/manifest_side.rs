//! A side of `netpc diff` that is a folder of NetworkPolicy manifests (hand-written,
//! Helm-rendered, anything `kubectl apply` takes) rather than netpc output: it has no
//! label contract, so one is derived from its policies' selectors
//! (`crate::probe::derive`), and when the other side has a contract, both sides are
//! evaluated on the same probe pods: the other side's services and the derived ones,
//! in namespaces carrying the labels that the manifests' `Namespace` objects give.
//! Pure.

use std::collections::{BTreeMap, BTreeSet};

use super::side::Side;
use crate::analyze::{Cluster, Labels};
use crate::probe::derive::{self, Found};
use crate::probe::{self, ContractLabel, ContractNamespace, ContractService, LabelContract};

/// The label contract of the exempt label netpc uses by default.
fn default_exempt() -> ContractLabel {
    ContractLabel {
        key: "netp.io/exempt".to_owned(),
        value: "true".to_owned(),
    }
}

/// How a derived probe pod is shown: its label set, `{app=api,tier=web}` (never a
/// service name, which has no `{`).
pub fn label_set_name(labels: &Labels) -> String {
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", pairs.join(","))
}

/// The contract derived from a cluster's policies: the namespaces holding policies
/// are managed, the others named are not; one service per label set a selector asks
/// for, shown as its label set.
pub fn derived_contract(cluster: &Cluster) -> LabelContract {
    let (found, named) = derive::from_policies(cluster.policies().iter().map(|p| &p.policy));
    let managed: BTreeSet<String> = cluster
        .policies()
        .iter()
        .map(|p| p.namespace().to_owned())
        .collect();
    let mut all: BTreeSet<String> = named;
    all.extend(cluster.namespaces().keys().cloned());
    let namespaces = all
        .iter()
        .map(|name| ContractNamespace {
            name: name.clone(),
            managed: managed.contains(name),
            labels: None,
            expressions: Vec::new(),
        })
        .collect();
    let mut by_namespace: BTreeMap<String, BTreeSet<Labels>> = BTreeMap::new();
    for Found { namespace, labels } in found {
        if let Some(namespace) = namespace
            && !labels.is_empty()
        {
            by_namespace.entry(namespace).or_default().insert(labels);
        }
    }
    let mut services = Vec::new();
    for (namespace, sets) in &by_namespace {
        for labels in sets {
            services.push(ContractService {
                namespace: namespace.clone(),
                service: label_set_name(labels),
                managed: managed.contains(namespace),
                labels: labels.clone(),
                expressions: Vec::new(),
                named_ports: Vec::new(),
            });
        }
    }
    LabelContract {
        exempt_label: default_exempt(),
        namespaces,
        services,
    }
}

/// Both contracts in one: every namespace (managed when either side manages it),
/// `first`'s services, then `second`'s whose labels no service of the namespace has.
pub fn merge_contracts(first: &LabelContract, second: &LabelContract) -> LabelContract {
    let mut namespaces: BTreeMap<String, ContractNamespace> = BTreeMap::new();
    for ns in first.namespaces.iter().chain(&second.namespaces) {
        let entry = namespaces
            .entry(ns.name.clone())
            .or_insert_with(|| ContractNamespace {
                name: ns.name.clone(),
                managed: false,
                labels: None,
                expressions: Vec::new(),
            });
        entry.managed |= ns.managed;
        if let Some(labels) = &ns.labels {
            entry
                .labels
                .get_or_insert_with(Labels::new)
                .extend(labels.clone());
        }
        entry.expressions.extend(ns.expressions.iter().cloned());
    }
    let mut services = first.services.clone();
    for service in &second.services {
        let same = |s: &ContractService| s.namespace == service.namespace;
        if services
            .iter()
            .any(|s| same(s) && s.labels == service.labels)
        {
            continue;
        }
        services.push(service.clone());
    }
    LabelContract {
        exempt_label: first.exempt_label.clone(),
        namespaces: namespaces.into_values().collect(),
        services,
    }
}

/// Evaluates both sides on the same probe pods when either came from manifests: the
/// contract of the side that has one (the old side's first when both do) merged with
/// every derived one, and the namespace labels of every manifests side.
pub fn share_probes(old: &mut Side, new: &mut Side) {
    if !old.from_manifests && !new.from_manifests {
        return;
    }
    let (first, second) = if old.from_manifests && !new.from_manifests {
        (&new.contract, &old.contract)
    } else {
        (&old.contract, &new.contract)
    };
    let merged = merge_contracts(first, second);
    let mut namespace_labels = old.namespace_labels.clone();
    namespace_labels.extend(new.namespace_labels.clone());
    for side in [old, new] {
        let policies: Vec<_> = side
            .probes
            .cluster
            .policies()
            .iter()
            .map(|p| (p.policy.clone(), p.origin.clone()))
            .collect();
        let mut probes = probe::build(&merged, policies);
        for (name, labels) in &namespace_labels {
            probes.cluster.add_namespace(name, labels.clone());
        }
        side.probes = probes;
        side.contract = merged.clone();
    }
}

/// A side made of a cluster's NetworkPolicies (other objects are not read), with the
/// derived contract.
pub fn from_cluster(cluster: &Cluster) -> Side {
    let contract = derived_contract(cluster);
    let policies = cluster
        .policies()
        .iter()
        .map(|p| (p.policy.clone(), p.origin.clone()));
    let mut probes = probe::build(&contract, policies);
    for (name, labels) in cluster.namespaces() {
        probes.cluster.add_namespace(name, labels.clone());
    }
    Side {
        contract,
        probes,
        from_manifests: true,
        namespace_labels: cluster.namespaces().clone(),
    }
}

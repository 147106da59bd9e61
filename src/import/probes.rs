//! The probe pods on which import compares the original policies with the program's:
//! in every namespace either side knows, plus one namespace with no labels
//! (`netpc-probe-other`, a namespace created later) and one per namespace selector
//! that does not name one namespace (carrying the labels it asks for: a namespace
//! created later that it matches), a pod for every label set either side's selectors
//! ask for (`crate::probe::derive`), the pods next to each set-based term that tell it
//! apart (`term_probes`), a pod with no labels, and every real workload in its own
//! namespace with its ports. Synthetic pods serve every named port either side names. Pods carrying the program's exempt label
//! are left out: the fail-safe exempts them from every policy by design. Pure.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::analyze::{Cluster, Labels, Protocol, Workload, selector_matches};
use crate::probe::derive;

/// The namespace that stands for namespaces created after the import.
pub const OTHER_NAMESPACE: &str = "netpc-probe-other";
/// At most this many synthetic probe pods: every label set in every namespace while
/// that fits, else each label set where its selectors place it (see `placement`).
pub const MAX_PROBES: usize = 6000;

/// The probe pods, without policies, and each pod's display name.
#[derive(Debug)]
pub struct Probes {
    pub cluster: Cluster,
    pub names: Vec<String>,
    /// Whether the grid of label sets × namespaces was cut at [`MAX_PROBES`].
    pub cut: bool,
}

fn peer_namespace_selectors(
    policy: &NetworkPolicy,
) -> Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector> {
    let Some(spec) = &policy.spec else {
        return Vec::new();
    };
    let from = spec
        .ingress
        .iter()
        .flatten()
        .flat_map(|r| r.from.iter().flatten());
    let to = spec
        .egress
        .iter()
        .flatten()
        .flat_map(|r| r.to.iter().flatten());
    from.chain(to)
        .filter_map(|p| p.namespace_selector.clone())
        .collect()
}

fn named_ports(policies: &[&NetworkPolicy]) -> BTreeSet<(String, Protocol)> {
    let mut out = BTreeSet::new();
    for policy in policies {
        let Some(spec) = &policy.spec else { continue };
        let ingress = spec
            .ingress
            .iter()
            .flatten()
            .flat_map(|r| r.ports.iter().flatten());
        let egress = spec
            .egress
            .iter()
            .flatten()
            .flat_map(|r| r.ports.iter().flatten());
        for port in ingress.chain(egress) {
            if let Some(IntOrString::String(name)) = &port.port {
                let protocol = port
                    .protocol
                    .as_deref()
                    .map_or(Some(Protocol::Tcp), Protocol::parse)
                    .unwrap_or(Protocol::Tcp);
                out.insert((name.clone(), protocol));
            }
        }
    }
    out
}

fn namespaces(
    sides: &[&Cluster],
    policies: &[&NetworkPolicy],
    names: &BTreeSet<String>,
) -> BTreeMap<String, Labels> {
    let mut out: BTreeMap<String, Labels> = BTreeMap::new();
    for side in sides {
        for (name, labels) in side.namespaces() {
            out.insert(name.clone(), labels.clone());
        }
    }
    for name in names {
        if !out.contains_key(name) {
            let labels = sides[0].namespace_labels(name);
            out.insert(name.clone(), labels);
        }
    }
    for (n, selector) in policies
        .iter()
        .flat_map(|p| peer_namespace_selectors(p))
        .enumerate()
    {
        let Some(mut labels) = derive::representative(&selector) else {
            continue;
        };
        // A selector of one namespace by name matches no namespace created later.
        let by_name = derive::named_namespace(&selector).is_some()
            && super::policies::equalities(&selector).is_some_and(|l| l.len() == 1);
        if by_name {
            continue;
        }
        let name = format!("netpc-probe-ns-{n}");
        labels
            .entry(crate::analyze::NAMESPACE_NAME_LABEL.to_owned())
            .or_insert_with(|| name.clone());
        if selector_matches(&selector, &labels) {
            out.insert(name, labels);
        }
    }
    out.insert(OTHER_NAMESPACE.to_owned(), Labels::new());
    out
}

/// Every label set to probe (the empty one too), without exempt ones.
fn placed_sets(
    found: &BTreeSet<derive::Found>,
    is_exempt: &dyn Fn(&Labels) -> bool,
) -> BTreeSet<Labels> {
    let mut sets: BTreeSet<Labels> = found.iter().map(|f| f.labels.clone()).collect();
    sets.insert(Labels::new());
    sets.retain(|l| !is_exempt(l));
    sets
}

/// (namespace, labels) of every synthetic pod: every label set in every namespace;
/// past [`MAX_PROBES`], each label set only where a selector places it, in the
/// namespaces no policy lives in (`netpc-probe-*`), and the empty set everywhere.
fn placement(
    found: &BTreeSet<derive::Found>,
    spaces: &BTreeMap<String, Labels>,
    is_exempt: &dyn Fn(&Labels) -> bool,
) -> Vec<(String, Labels)> {
    let sets = placed_sets(found, is_exempt);
    if sets.len() * spaces.len() <= MAX_PROBES {
        return spaces
            .keys()
            .flat_map(|ns| sets.iter().map(move |l| (ns.clone(), l.clone())))
            .collect();
    }
    let mut out: BTreeSet<(String, Labels)> = BTreeSet::new();
    for ns in spaces.keys() {
        out.insert((ns.clone(), Labels::new()));
        if ns.starts_with("netpc-probe") {
            out.extend(sets.iter().map(|l| (ns.clone(), l.clone())));
        }
    }
    for f in found.iter().filter(|f| !is_exempt(&f.labels)) {
        match &f.namespace {
            Some(ns) => {
                out.insert((ns.clone(), f.labels.clone()));
            }
            None => out.extend(spaces.keys().map(|ns| (ns.clone(), f.labels.clone()))),
        }
    }
    out.into_iter().collect()
}

/// The probes for `original` (policies, namespaces, workloads), the `workloads` of
/// `--workloads` and the `compiled` policies, leaving out pods with `exempt`.
pub fn build(
    original: &Cluster,
    workloads: &Cluster,
    compiled: &[NetworkPolicy],
    exempt: &(String, String),
) -> Probes {
    let mut policies: Vec<&NetworkPolicy> = original.policies().iter().map(|p| &p.policy).collect();
    policies.extend(compiled);
    let (mut found, mut names) = derive::from_policies(policies.iter().copied());
    found.extend(super::term_probes::from_policies(&policies));
    for w in original.workloads().iter().chain(workloads.workloads()) {
        names.insert(w.namespace.clone());
    }
    let spaces = namespaces(&[original, workloads], &policies, &names);
    let is_exempt = |labels: &Labels| labels.get(&exempt.0) == Some(&exempt.1);
    let placed = placement(&found, &spaces, &is_exempt);
    let ports = named_ports(&policies);
    let mut cluster = Cluster::new();
    let mut display = Vec::new();
    for (name, labels) in &spaces {
        cluster.add_namespace(name, labels.clone());
    }
    let mut cut = placed.len() < spaces.len() * (placed_sets(&found, &is_exempt).len());
    for (ns, labels) in placed {
        if display.len() >= MAX_PROBES {
            cut = true;
            break;
        }
        let shown = crate::insight::manifest_side::label_set_name(&labels);
        let mut pod = Workload::new(&ns, &shown, "Pod", labels);
        for (i, (port, protocol)) in ports.iter().enumerate() {
            let number = 30000 + u16::try_from(i % 30000).unwrap_or(0);
            pod = pod.with_port(Some(port), *protocol, number);
        }
        cluster.add_workload(pod);
        display.push(format!("{ns}/{shown}"));
    }
    for w in original.workloads().iter().chain(workloads.workloads()) {
        let shown = format!("{}/{}[{}]", w.namespace, w.name, w.kind);
        if is_exempt(&w.labels) || display.contains(&shown) {
            continue;
        }
        display.push(shown);
        cluster.add_workload(w.clone());
    }
    Probes {
        cluster,
        names: display,
        cut,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod tests {
    use super::*;

    fn found(ns: &str, app: &str) -> derive::Found {
        derive::Found {
            namespace: Some(ns.to_owned()),
            labels: crate::analyze::labels([("app", app)]),
        }
    }

    #[test]
    fn every_set_everywhere_until_the_limit_then_where_selectors_place_it() {
        let none = |_: &Labels| false;
        let small: BTreeSet<_> = [found("a", "x"), found("b", "y")].into();
        let spaces: BTreeMap<String, Labels> = ["a", "b", OTHER_NAMESPACE]
            .map(|n| (n.to_owned(), Labels::new()))
            .into();
        assert_eq!(placement(&small, &spaces, &none).len(), 3 * 3);
        let many: BTreeSet<_> = (0..100)
            .flat_map(|n| (0..10).map(move |i| found(&format!("ns{n}"), &format!("app{n}-{i}"))))
            .collect();
        let spaces: BTreeMap<String, Labels> = (0..100)
            .map(|n| format!("ns{n}"))
            .chain([OTHER_NAMESPACE.to_owned()])
            .map(|n| (n, Labels::new()))
            .collect();
        let placed = placement(&many, &spaces, &none);
        // 1,000 sets in their own namespace and in the other one, the empty set in all 101.
        assert_eq!(placed.len(), 1000 + 1001 + 100);
        assert!(placed.contains(&(
            "ns7".to_owned(),
            crate::analyze::labels([("app", "app7-3")])
        )));
        assert!(!placed.contains(&(
            "ns8".to_owned(),
            crate::analyze::labels([("app", "app7-3")])
        )));
    }
}

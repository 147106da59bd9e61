//! Probe pods drawn from NetworkPolicy selectors, for sides that have no label
//! contract (a folder of hand-written manifests in `netpc diff`, and both sides of the
//! fidelity check of `netpc import`): for every pod selector, the smallest label set
//! that matches it (`matchLabels`, the first value of each `In`, a value for each
//! `Exists`; `NotIn` and `DoesNotExist` add nothing), and the namespaces the policies
//! and their peers name. Pure, and independent of `lower`: it reads policy objects.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::analyze::{Labels, NAMESPACE_NAME_LABEL};

/// The value given to a label that a selector only asks to exist.
pub const EXISTS_VALUE: &str = "netpc-probe";

/// Where a label set was found: the namespace a pod with it is placed in (`None`: a
/// peer whose namespace selector names no single namespace).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    pub namespace: Option<String>,
    pub labels: Labels,
}

/// The smallest label set that `selector` matches, or `None` when none does (a key
/// both required and forbidden).
pub fn representative(selector: &LabelSelector) -> Option<Labels> {
    let mut labels: Labels = selector.match_labels.clone().unwrap_or_default();
    for expr in selector.match_expressions.iter().flatten() {
        match expr.operator.as_str() {
            "In" => {
                let first = expr.values.iter().flatten().next()?;
                labels
                    .entry(expr.key.clone())
                    .or_insert_with(|| first.clone());
            }
            "Exists" => {
                labels
                    .entry(expr.key.clone())
                    .or_insert_with(|| EXISTS_VALUE.to_owned());
            }
            _ => {}
        }
    }
    let compiled = crate::analyze::selector_matches(selector, &labels);
    compiled.then_some(labels)
}

/// The namespace a namespace selector names by `kubernetes.io/metadata.name`, if any.
pub fn named_namespace(selector: &LabelSelector) -> Option<String> {
    if let Some(name) = selector
        .match_labels
        .as_ref()
        .and_then(|m| m.get(NAMESPACE_NAME_LABEL))
    {
        return Some(name.clone());
    }
    selector
        .match_expressions
        .iter()
        .flatten()
        .find(|e| e.key == NAMESPACE_NAME_LABEL && e.operator == "In")
        .and_then(|e| e.values.as_ref()?.first().cloned())
}

/// Every peer of a policy: its ingress rules' `from`, then its egress rules' `to`.
pub fn peers(policy: &NetworkPolicy) -> impl Iterator<Item = &NetworkPolicyPeer> {
    let spec = policy.spec.as_ref();
    let ingress = spec
        .and_then(|s| s.ingress.as_ref())
        .into_iter()
        .flatten()
        .flat_map(|r| r.from.iter().flatten());
    let egress = spec
        .and_then(|s| s.egress.as_ref())
        .into_iter()
        .flatten()
        .flat_map(|r| r.to.iter().flatten());
    ingress.chain(egress)
}

/// A policy's namespace as the evaluator reads it: `default` when it names none.
pub fn policy_namespace(policy: &NetworkPolicy) -> String {
    policy
        .metadata
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".to_owned())
}

/// Every label set the policies' pod selectors ask for ([`representatives`]) (policy selectors and peer
/// selectors; the empty selector gives the empty set), each with where it belongs,
/// and every namespace the policies live in or name.
pub fn from_policies<'a>(
    policies: impl IntoIterator<Item = &'a NetworkPolicy>,
) -> (BTreeSet<Found>, BTreeSet<String>) {
    let mut found = BTreeSet::new();
    let mut namespaces = BTreeSet::new();
    for policy in policies {
        let namespace = policy_namespace(policy);
        namespaces.insert(namespace.clone());
        let selector = policy.spec.as_ref().and_then(|s| s.pod_selector.clone());
        for labels in representatives(&selector.unwrap_or_default()) {
            found.insert(Found {
                namespace: Some(namespace.clone()),
                labels,
            });
        }
        for peer in peers(policy) {
            let peer_namespace = match &peer.namespace_selector {
                None => Some(namespace.clone()),
                Some(selector) => named_namespace(selector),
            };
            if let Some(name) = &peer_namespace {
                namespaces.insert(name.clone());
            }
            let Some(selector) = &peer.pod_selector else {
                continue;
            };
            for labels in representatives(selector) {
                found.insert(Found {
                    namespace: peer_namespace.clone(),
                    labels,
                });
            }
        }
    }
    (found, namespaces)
}

/// Label sets that `selector` matches: [`representative`], and one more for each other
/// value of an `In` (the others as in the representative), so every value is probed.
pub fn representatives(selector: &LabelSelector) -> Vec<Labels> {
    let Some(first) = representative(selector) else {
        return Vec::new();
    };
    let mut out = vec![first.clone()];
    for expr in selector.match_expressions.iter().flatten() {
        if expr.operator != "In" {
            continue;
        }
        for value in expr.values.iter().flatten().skip(1) {
            let mut labels = first.clone();
            labels.insert(expr.key.clone(), value.clone());
            if crate::analyze::selector_matches(selector, &labels) && !out.contains(&labels) {
                out.push(labels);
            }
        }
    }
    out
}

/// A DNS-1123 label for a pod of `labels`: the value of `app`,
/// `app.kubernetes.io/name` or `k8s-app`, else the values joined with `-` (the key's
/// name for a value `true`: `needs-db: "true"` gives `needs-db`); cut to 63
/// characters; `fallback` when nothing usable is left.
pub fn name_for(labels: &Labels, fallback: &str) -> String {
    let preferred = ["app", "app.kubernetes.io/name", "k8s-app"]
        .iter()
        .find_map(|key| labels.get(*key));
    let raw = match preferred {
        Some(value) => value.clone(),
        None => {
            let parts: Vec<&str> = labels
                .iter()
                .map(|(key, value)| {
                    if value == "true" {
                        key.rsplit('/').next().unwrap_or(key)
                    } else {
                        value.as_str()
                    }
                })
                .collect();
            parts.join("-")
        }
    };
    let name = dns_label(&raw);
    if name.is_empty() {
        fallback.to_owned()
    } else {
        name
    }
}

/// `text` as a DNS-1123 label: lower case, other characters as `-`, no `-` at the
/// ends, at most 63 characters (empty when nothing is left).
pub fn dns_label(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut out = String::new();
    for c in mapped.chars() {
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    out.truncate(63);
    out.trim_end_matches('-').to_owned()
}

/// Names for label sets in one namespace: unique, stable (`name`, `name-2`, ...), by
/// label set, in sorted order of the sets.
pub fn unique_names<'a>(
    sets: impl IntoIterator<Item = &'a Labels>,
    taken: &BTreeSet<String>,
) -> BTreeMap<Labels, String> {
    let mut used = taken.clone();
    let mut out = BTreeMap::new();
    let sorted: BTreeSet<&Labels> = sets.into_iter().collect();
    for labels in sorted {
        let base = name_for(labels, "pods");
        let mut name = base.clone();
        let mut n = 2;
        while used.contains(&name) {
            let suffix = format!("-{n}");
            let mut stem = base.clone();
            stem.truncate(63 - suffix.len());
            name = format!("{}{suffix}", stem.trim_end_matches('-'));
            n += 1;
        }
        used.insert(name.clone());
        out.insert(labels.clone(), name);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod tests {
    use super::*;

    fn selector(yaml: &str) -> LabelSelector {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn representatives_match_their_selector_or_do_not_exist() {
        let s = selector(
            "{matchLabels: {app: db}, matchExpressions: [{key: tier, operator: In, values: [b, a]}, {key: x, operator: Exists}, {key: y, operator: DoesNotExist}]}",
        );
        let labels = representative(&s).unwrap();
        assert_eq!(
            labels,
            crate::analyze::labels([("app", "db"), ("tier", "b"), ("x", EXISTS_VALUE)])
        );
        let contradiction = selector(
            "{matchLabels: {app: db}, matchExpressions: [{key: app, operator: DoesNotExist}]}",
        );
        assert_eq!(representative(&contradiction), None);
    }

    #[test]
    fn names_are_dns_labels_and_unique() {
        let a = crate::analyze::labels([("app", "Web_Front")]);
        let b = crate::analyze::labels([("app", "web-front"), ("tier", "x")]);
        let names = unique_names([&a, &b], &BTreeSet::new());
        assert_eq!(names[&a], "web-front");
        assert_eq!(names[&b], "web-front-2");
        assert_eq!(dns_label("--A..b--"), "a-b");
        assert_eq!(name_for(&Labels::new(), "pods"), "pods");
    }
}

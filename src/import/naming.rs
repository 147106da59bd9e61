//! The names of the imported program: a service for every pod selector the needs and
//! `isolate` lines name (after its one workload, else its `app`-like label), an
//! external for every address range (`internet`, `net-<cidr>`), unique in their scope
//! and never one the labels identity already chose. The layout is `program_text`'s.
//! Pure.

use std::collections::{BTreeMap, BTreeSet};

use super::identity::LabelsIdentity;
use super::needs::{End, Need};
use super::pod_terms::Select;
use super::policies::{Dir, Net};
use super::program_text::{DNS_NAMESPACE, dns_labels};
use crate::analyze::{Cluster, Labels};
use crate::probe::derive;

/// Names chosen for every end.
pub(super) struct Names {
    /// (namespace, selector) → service name.
    pub(super) services: BTreeMap<(String, Select), String>,
    /// Address range → external name.
    pub(super) externals: BTreeMap<Net, String>,
    /// (namespace, labels) → the service's `port` line, when it has one
    /// ([`super::service_text`]).
    pub(super) ports: BTreeMap<(String, Select), String>,
}

fn external_name(net: &Net) -> String {
    match net.cidr.as_str() {
        "0.0.0.0/0" => "internet".to_owned(),
        "::/0" => "internet-v6".to_owned(),
        cidr => format!("net-{}", derive::dns_label(cidr)),
    }
}

/// The name of the workload the selector matches, when exactly one does.
fn workload_name(workloads: &Cluster, namespace: &str, labels: &Select) -> Option<String> {
    let mut matching = workloads
        .workloads()
        .iter()
        .filter(|w| w.namespace == namespace && labels.matches(&w.labels));
    let first = matching.next()?;
    if matching.next().is_some() {
        return None;
    }
    // A Deployment's ReplicaSet (and its pods) is `<deployment>-<pod-template-hash>`:
    // the service is the Deployment's.
    let owner = first
        .labels
        .get("pod-template-hash")
        .and_then(|hash| first.name.strip_suffix(&format!("-{hash}")))
        .unwrap_or(&first.name);
    let name = derive::dns_label(owner);
    (!name.is_empty()).then_some(name)
}

pub(super) fn choose_names(
    needs: &[Need],
    isolated: &BTreeMap<(String, Dir), BTreeSet<Select>>,
    workloads: &Cluster,
    dns_used: bool,
    forced: &LabelsIdentity,
) -> Names {
    let mut externals = BTreeMap::new();
    let mut taken: BTreeSet<String> = forced.externals.values().cloned().collect();
    let mut by_ns: BTreeMap<String, BTreeSet<Select>> = BTreeMap::new();
    for ((ns, _), sets) in isolated {
        by_ns
            .entry(ns.clone())
            .or_default()
            .extend(sets.iter().cloned());
    }
    for need in needs {
        for end in [&need.subject, &need.target] {
            match end {
                End::Net(net) => {
                    externals.entry(net.clone()).or_insert_with(String::new);
                }
                End::Pods { namespace, labels } if !labels.is_empty() => {
                    by_ns
                        .entry(namespace.clone())
                        .or_default()
                        .insert(labels.clone());
                }
                End::Pods { .. } | End::Anywhere => {}
            }
        }
    }
    name_externals(&mut externals, &mut taken, forced);
    let mut services = BTreeMap::new();
    for (ns, sets) in by_ns {
        let mut used = taken.clone();
        for ((n, _), name) in &forced.services {
            if *n == ns {
                used.insert(name.clone());
            }
        }
        if dns_used && ns == DNS_NAMESPACE {
            used.insert("kube-dns".to_owned());
        }
        for labels in sets {
            if let Some(name) = forced.services.get(&(ns.clone(), labels.clone())) {
                services.insert((ns.clone(), labels), name.clone());
                continue;
            }
            if dns_used && ns == DNS_NAMESPACE && labels == dns_labels() {
                services.insert((ns.clone(), labels), "kube-dns".to_owned());
                continue;
            }
            let words = naming_labels(&labels);
            let preferred = workload_name(workloads, &ns, &labels)
                .unwrap_or_else(|| derive::name_for(&words, "pods"));
            let names = derive::unique_names([&words], &used);
            let name = if used.contains(&preferred) {
                names.get(&words).cloned().unwrap_or(preferred)
            } else {
                preferred
            };
            used.insert(name.clone());
            services.insert((ns.clone(), labels), name);
        }
    }
    Names {
        services,
        externals,
        ports: BTreeMap::new(),
    }
}

/// The labels a service without one workload is named after
/// ([`derive::name_for`]): its equalities, and a word for each set-based term (`tier
/// in (api, web)` is `api-web`, `env notin (dev)` `not-dev`, `canary` the key,
/// `!legacy` `no-legacy`).
pub(super) fn naming_labels(select: &Select) -> Labels {
    use crate::ir::RequirementOp;
    let mut out = select.labels.clone();
    for r in &select.terms {
        let (key, value) = match r.op {
            RequirementOp::In => (r.key.clone(), r.values.join("-")),
            RequirementOp::NotIn => (r.key.clone(), format!("not-{}", r.values.join("-"))),
            RequirementOp::Exists => (r.key.clone(), "true".to_owned()),
            RequirementOp::DoesNotExist => (format!("no-{}", r.key), "true".to_owned()),
        };
        out.insert(key, value);
    }
    out
}

/// A unique name for every address range: the labels identity's when it chose one,
/// else `internet`, `internet-v6` or `net-<cidr>` (`-2`, `-3`, ... on a clash).
fn name_externals(
    externals: &mut BTreeMap<Net, String>,
    taken: &mut BTreeSet<String>,
    forced: &LabelsIdentity,
) {
    for (net, name) in externals.iter_mut() {
        if let Some(forced) = forced.externals.get(net) {
            name.clone_from(forced);
            continue;
        }
        let base = external_name(net);
        let mut candidate = base.clone();
        let mut n = 2;
        while taken.contains(&candidate) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        taken.insert(candidate.clone());
        *name = candidate;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::labels;
    use crate::ir::{Requirement, RequirementOp};

    fn term(key: &str, op: RequirementOp, values: &[&str]) -> Requirement {
        Requirement {
            key: key.to_owned(),
            op,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    #[test]
    fn set_based_terms_give_readable_names() {
        use RequirementOp::{DoesNotExist, Exists, In, NotIn};
        let name = |select: &Select| derive::name_for(&naming_labels(select), "pods");
        let tiers = Select {
            labels: Labels::new(),
            terms: vec![term("tier", In, &["api", "web"])],
        };
        assert_eq!(name(&tiers), "api-web");
        let backend = Select {
            labels: labels([("tier", "backend")]),
            terms: vec![term("legacy", DoesNotExist, &[])],
        };
        assert_eq!(name(&backend), "no-legacy-backend");
        let api = Select {
            labels: labels([("app", "api")]),
            terms: vec![term("env", NotIn, &["dev"]), term("track", Exists, &[])],
        };
        assert_eq!(name(&api), "api");
        let not_dev = Select {
            labels: Labels::new(),
            terms: vec![term("env", NotIn, &["dev"])],
        };
        assert_eq!(name(&not_dev), "not-dev");
    }
}

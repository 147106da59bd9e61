//! The seed system's client labels: when every need from a pod of a managed namespace
//! has as its subject exactly one `needs-T: "true"` label, where T can be the target's
//! name (`needs-db` for service `db` of the same namespace or external `db`,
//! `needs-N.S` for service S of namespace N), the program is written with
//! `identity labels;`: the targets take those names, and the subjects become the
//! workloads that carry the label (services selected by their other labels), or a
//! `T-client` service selecting the label when no workload carries it. The compiled
//! policies then admit and select the same `needs-T` pods as the original. Pure.

use std::collections::{BTreeMap, BTreeSet};

use super::needs::{End, Need};
use super::pod_terms::Select;
use super::policies::{Net, Reading};
use crate::analyze::{Cluster, Labels};
use crate::probe::derive;

/// The rewritten needs and the names the targets must have.
#[derive(Debug, Default)]
pub struct LabelsIdentity {
    pub needs: Vec<Need>,
    pub services: BTreeMap<(String, Select), String>,
    pub externals: BTreeMap<Net, String>,
}

/// `needs-T` of a subject that is exactly that one label set to `"true"`.
fn client_label(select: &Select) -> Option<&str> {
    let labels = &select.labels;
    if !select.is_equalities() {
        return None;
    }
    match labels.iter().next() {
        Some((key, value)) if labels.len() == 1 && value == "true" => key.strip_prefix("needs-"),
        _ => None,
    }
}

fn is_dns_label(name: &str) -> bool {
    !name.is_empty() && derive::dns_label(name) == name
}

/// The target name `t` asks for, checked against the subject's namespace `here`.
fn forced_name(t: &str, here: &str, target: &End) -> Option<(End, String)> {
    match target {
        End::Pods { namespace, labels } if !labels.is_empty() => {
            let name = if namespace == here {
                t
            } else {
                t.strip_prefix(namespace.as_str())?.strip_prefix('.')?
            };
            is_dns_label(name).then(|| (target.clone(), name.to_owned()))
        }
        End::Net(_) if is_dns_label(t) => Some((target.clone(), t.to_owned())),
        _ => None,
    }
}

/// The workloads of `namespace` carrying `key: "true"`, as subject ends (their labels
/// without any `needs-*` label).
fn carriers(workloads: &Cluster, namespace: &str, key: &str) -> Vec<End> {
    let mut out: BTreeSet<End> = BTreeSet::new();
    for w in workloads.workloads() {
        if w.namespace != namespace || w.labels.get(key).is_none_or(|v| v != "true") {
            continue;
        }
        let own: Labels = w
            .labels
            .iter()
            .filter(|(k, _)| !k.starts_with("needs-"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !own.is_empty() {
            out.insert(End::Pods {
                namespace: namespace.to_owned(),
                labels: Select::equal(own),
            });
        }
    }
    out.into_iter().collect()
}

/// The needs in the `labels` identity style, when the original uses it throughout.
pub fn recognise(needs: &[Need], reading: &Reading, workloads: &Cluster) -> Option<LabelsIdentity> {
    let mut forced: BTreeMap<End, String> = BTreeMap::new();
    let mut out = LabelsIdentity::default();
    let mut any = false;
    for need in needs {
        let End::Pods { namespace, labels } = &need.subject else {
            out.needs.push(need.clone());
            continue;
        };
        if labels.is_empty() || !reading.managed.contains(namespace) {
            out.needs.push(need.clone());
            continue;
        }
        let t = client_label(labels)?;
        let (target, name) = forced_name(t, namespace, &need.target)?;
        if forced.get(&target).is_some_and(|n| n != &name) {
            return None;
        }
        forced.insert(target, name.clone());
        any = true;
        let key = format!("needs-{t}");
        let mut subjects = carriers(workloads, namespace, &key);
        if subjects.is_empty() {
            subjects.push(need.subject.clone());
            let client = format!("{}-client", name);
            out.services.insert(
                (namespace.clone(), labels.clone()),
                derive::dns_label(&client),
            );
        }
        for subject in subjects {
            let mut need = need.clone();
            need.subject = subject;
            out.needs.push(need);
        }
    }
    if !any {
        return None;
    }
    let mut per_namespace: BTreeSet<(String, String)> = BTreeSet::new();
    for (end, name) in forced {
        match end {
            End::Pods { namespace, labels } => {
                if !per_namespace.insert((namespace.clone(), name.clone())) {
                    return None; // two label sets would need one name
                }
                out.services.insert((namespace, labels), name);
            }
            End::Net(net) => {
                // Several ranges behind one label are one external (`s3 = A, B`).
                out.externals.insert(net, name);
            }
            // `anywhere` has no name to give: the labels cannot be read as `needs-T`.
            End::Anywhere => return None,
        }
    }
    Some(out)
}

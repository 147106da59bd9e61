//! Reading NetworkPolicy objects into what import works with: per namespace and
//! direction, whether the namespace is isolated (a default-deny selecting every pod,
//! the exempt-label convention, or only some pods) or opened (an allow-all object);
//! and every rule as a [`Grant`]: the selected pods, the peers (namespaces expanded
//! over the namespaces the input knows), the ports. What the language cannot express
//! is dropped and recorded as a [`Note`], so the reading is never broader than the
//! original. Pure.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::pod_terms::Select;
use super::set_reading::matching_namespaces;
use super::{Note, Port, PortValue, Ports};
use crate::analyze::{Cluster, Labels};

/// A direction of traffic, as seen by the selected pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dir {
    Ingress,
    Egress,
}

impl Dir {
    pub fn as_str(self) -> &'static str {
        match self {
            Dir::Ingress => "ingress",
            Dir::Egress => "egress",
        }
    }
}

/// An address range: a CIDR and its exceptions, as written in the `ipBlock`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Net {
    pub cidr: String,
    pub except: Vec<String>,
}

/// The remote end of a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    /// Pods of these namespaces matching these labels.
    Pods {
        namespaces: Vec<String>,
        labels: Select,
    },
    Net(Net),
    /// A rule without peers: every pod of every namespace (also later ones) and every
    /// address (`anywhere`).
    Anywhere,
}

/// One rule of one policy: its pods may talk to (or hear from) the peers on the ports.
#[derive(Clone, Debug)]
pub struct Grant {
    /// `namespace/name` of the policy.
    pub policy: String,
    pub namespace: String,
    pub direction: Dir,
    pub selected: Select,
    pub peers: Vec<Peer>,
    pub ports: Ports,
}

/// How a namespace treats one direction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Isolation {
    /// Some policy selects some pods for this direction.
    pub any: bool,
    /// A policy selects every pod (a default deny).
    pub all: bool,
    /// An allow-all object: every pod, every peer, every port.
    pub open: bool,
    /// The pod selectors of the policies for this direction, in `select` terms.
    pub selected: BTreeSet<Select>,
    /// Some policy's pod selector cannot be one `select` (a key constrained twice):
    /// the isolated pods cannot be named, so `enforcement ... selected` cannot say
    /// which they are.
    pub unnamed: bool,
}

impl Isolation {
    /// Whether netpc enforces this direction in the namespace.
    pub fn enforced(&self) -> bool {
        self.any && !self.open
    }
}

/// Everything import reads from the policies.
#[derive(Debug, Default)]
pub struct Reading {
    /// Namespaces holding at least one policy.
    pub managed: BTreeSet<String>,
    /// Every namespace the input knows (policies, Namespace objects, workloads, peers
    /// that name one), with its labels.
    pub namespaces: BTreeMap<String, Labels>,
    pub isolation: BTreeMap<(String, Dir), Isolation>,
    pub grants: Vec<Grant>,
    /// `namespace/name` of every policy read (not the exempt fail-safe).
    pub policies: BTreeSet<String>,
    /// The exempt label of the input's default-deny objects (`NotIn`), if any.
    pub exempt: Option<(String, String)>,
    pub notes: Vec<Note>,
    /// Namespace sets (`namespaces N { select ...; }`), by name: the labels of a
    /// namespace selector that is not one namespace's name (empty: `{}`, every
    /// namespace). A peer in one names the set as its first namespace.
    pub sets: BTreeMap<String, SetSelector>,
}

impl Reading {
    pub fn isolation(&self, namespace: &str, direction: Dir) -> Isolation {
        self.isolation
            .get(&(namespace.to_owned(), direction))
            .cloned()
            .unwrap_or_default()
    }

    /// Whether `direction` in `namespace` isolates only the pods its policies select
    /// (no policy selects every pod), and they can be named: `enforcement ... selected`.
    pub fn selected(&self, namespace: &str, direction: Dir) -> bool {
        let iso = self.isolation(namespace, direction);
        self.managed.contains(namespace) && iso.enforced() && !iso.all && !iso.unnamed
    }

    /// Whether netpc enforces `direction` on the pods of `namespace`.
    pub fn enforced(&self, namespace: &str, direction: Dir) -> bool {
        self.managed.contains(namespace) && self.isolation(namespace, direction).enforced()
    }
}

/// A namespace set's selector in the program's terms: equalities and set-based terms.
pub type SetSelector = (Labels, Vec<crate::ir::Requirement>);

/// A selector as `select` terms: its equalities (`matchLabels`, `In` with one value)
/// and set-based terms, when every key is constrained once (as `select` wants).
pub fn select_terms(selector: &LabelSelector) -> Option<SetSelector> {
    use crate::ir::{Requirement, RequirementOp};
    let mut labels = selector.match_labels.clone().unwrap_or_default();
    let mut terms: Vec<Requirement> = Vec::new();
    for expr in selector.match_expressions.iter().flatten() {
        let taken = labels.contains_key(&expr.key) || terms.iter().any(|t| t.key == expr.key);
        if taken {
            return None;
        }
        let mut values = expr.values.clone().unwrap_or_default();
        values.sort();
        values.dedup();
        let op = match expr.operator.as_str() {
            "In" if values.len() == 1 => {
                labels.insert(expr.key.clone(), values.remove(0));
                continue;
            }
            "In" if !values.is_empty() => RequirementOp::In,
            "NotIn" if !values.is_empty() => RequirementOp::NotIn,
            "Exists" if values.is_empty() => RequirementOp::Exists,
            "DoesNotExist" if values.is_empty() => RequirementOp::DoesNotExist,
            _ => return None,
        };
        terms.push(Requirement {
            key: expr.key.clone(),
            op,
            values,
        });
    }
    terms.sort();
    Some((labels, terms))
}

/// A pod selector as one `select` ([`select_terms`]).
pub fn pod_select(selector: &LabelSelector) -> Option<Select> {
    let (labels, terms) = select_terms(selector)?;
    Some(Select { labels, terms })
}

/// The label set a selector asks for, when it is only equalities (`matchLabels`, or
/// `In` with one value).
pub fn equalities(selector: &LabelSelector) -> Option<Labels> {
    let mut labels = selector.match_labels.clone().unwrap_or_default();
    for expr in selector.match_expressions.iter().flatten() {
        match (expr.operator.as_str(), expr.values.as_deref()) {
            ("In", Some([value])) => {
                if labels.get(&expr.key).is_some_and(|v| v != value) {
                    return None;
                }
                labels.insert(expr.key.clone(), value.clone());
            }
            _ => return None,
        }
    }
    Some(labels)
}

/// `NotIn [V]` on one key and nothing else: the exempt-label convention.
fn exempt_convention(selector: &LabelSelector) -> Option<(String, String)> {
    if selector
        .match_labels
        .as_ref()
        .is_some_and(|m| !m.is_empty())
    {
        return None;
    }
    match selector.match_expressions.as_deref() {
        Some([expr]) if expr.operator == "NotIn" => match expr.values.as_deref() {
            Some([value]) => Some((expr.key.clone(), value.clone())),
            _ => None,
        },
        _ => None,
    }
}

fn directions(spec: &NetworkPolicySpec) -> Vec<Dir> {
    match &spec.policy_types {
        Some(types) => {
            let mut out = Vec::new();
            if types.iter().any(|t| t == "Ingress") {
                out.push(Dir::Ingress);
            }
            if types.iter().any(|t| t == "Egress") {
                out.push(Dir::Egress);
            }
            out
        }
        None => {
            let mut out = vec![Dir::Ingress];
            if spec.egress.as_ref().is_some_and(|e| !e.is_empty()) {
                out.push(Dir::Egress);
            }
            out
        }
    }
}

/// The ports of a rule; `None` entries (a named port with `endPort`) are not read.
fn ports(list: Option<&Vec<NetworkPolicyPort>>) -> Ports {
    let Some(list) = list.filter(|l| !l.is_empty()) else {
        return Ports::All;
    };
    let mut out = Vec::new();
    for port in list {
        let protocol = port.protocol.clone().unwrap_or_else(|| "TCP".to_owned());
        let value = match &port.port {
            None => PortValue::Range(1, 65535),
            Some(IntOrString::Int(n)) => {
                let lo = u16::try_from(*n).unwrap_or(0);
                let hi = port
                    .end_port
                    .and_then(|e| u16::try_from(e).ok())
                    .unwrap_or(lo);
                PortValue::Range(lo, hi.max(lo))
            }
            Some(IntOrString::String(name)) => PortValue::Named(name.clone()),
        };
        out.push(Port { protocol, value });
    }
    Ports::Some(out)
}

/// Reads every policy of the cluster (and the namespaces it knows).
pub fn read(cluster: &Cluster) -> Reading {
    let mut reading = Reading::default();
    for (name, labels) in cluster.namespaces() {
        reading.namespaces.insert(name.clone(), labels.clone());
    }
    for workload in cluster.workloads() {
        let labels = cluster.namespace_labels(&workload.namespace);
        reading
            .namespaces
            .entry(workload.namespace.clone())
            .or_insert(labels);
    }
    for source in cluster.policies() {
        let ns = source.namespace().to_owned();
        reading.managed.insert(ns.clone());
        let labels = cluster.namespace_labels(&ns);
        reading.namespaces.entry(ns).or_insert(labels);
    }
    // Namespaces named by a peer's `kubernetes.io/metadata.name` exist too.
    for source in cluster.policies() {
        for peer in crate::probe::derive::peers(&source.policy) {
            if let Some(name) = peer
                .namespace_selector
                .as_ref()
                .and_then(crate::probe::derive::named_namespace)
            {
                let labels = cluster.namespace_labels(&name);
                reading.namespaces.entry(name).or_insert(labels);
            }
        }
    }
    reading.exempt = cluster
        .policies()
        .iter()
        .find_map(|source| {
            // Only a default deny (no rules) sets the convention: a policy with rules
            // that selects `K NotIn [V]` is one more selector (`k notin (v)`).
            let spec = source.policy.spec.as_ref()?;
            let no_rules = spec.ingress.as_ref().is_none_or(Vec::is_empty)
                && spec.egress.as_ref().is_none_or(Vec::is_empty);
            no_rules.then(|| exempt_convention(spec.pod_selector.as_ref()?))?
        })
        .or_else(|| exempt_without_deny(cluster, &reading.managed));
    for source in cluster.policies() {
        if reading
            .exempt
            .as_ref()
            .is_some_and(|label| is_exempt_allow(&source.policy, label))
        {
            continue; // what `exempt label` writes: the fail-safe, not a connection
        }
        read_policy(
            &mut reading,
            &source.policy,
            source.namespace(),
            source.name(),
        );
    }
    reading
}

/// Without a `NotIn` default deny (a namespace in `enforcement selected`), the exempt
/// label is one label `K=V` whose pods every namespace with policies allows everything
/// in both directions: what netpc writes as `exempt-allow-*`. Only then is it exact to
/// say `exempt label K = V;`, which holds in every managed namespace.
fn exempt_without_deny(cluster: &Cluster, managed: &BTreeSet<String>) -> Option<(String, String)> {
    let label = |policy: &NetworkPolicy| {
        let selector = policy.spec.as_ref()?.pod_selector.clone()?;
        let labels = selector.match_labels.filter(|m| m.len() == 1)?;
        let only = selector.match_expressions.is_none_or(|e| e.is_empty());
        only.then(|| labels.into_iter().next()).flatten()
    };
    let mut candidates: BTreeSet<(String, String)> = BTreeSet::new();
    for source in cluster.policies() {
        candidates.extend(label(&source.policy));
    }
    candidates.into_iter().find(|candidate| {
        managed.iter().all(|ns| {
            [Dir::Ingress, Dir::Egress].iter().all(|dir| {
                cluster.policies().iter().any(|source| {
                    source.namespace() == ns
                        && label(&source.policy).as_ref() == Some(candidate)
                        && is_exempt_allow(&source.policy, candidate)
                        && source
                            .policy
                            .spec
                            .as_ref()
                            .is_some_and(|spec| directions(spec).contains(dir))
                })
            })
        })
    })
}

/// A policy that selects exactly the exempt pods and allows them everything, in the
/// directions it names: the exempt fail-safe (netpc writes one per direction).
fn is_exempt_allow(policy: &NetworkPolicy, (key, value): &(String, String)) -> bool {
    let Some(spec) = &policy.spec else {
        return false;
    };
    let selector = spec.pod_selector.clone().unwrap_or_default();
    let only_exempt = selector
        .match_expressions
        .as_ref()
        .is_none_or(Vec::is_empty)
        && selector
            .match_labels
            .as_ref()
            .is_some_and(|m| m.len() == 1 && m.get(key) == Some(value));
    let allow_all = |rules: &[(bool, bool)]| rules.len() == 1 && rules[0] == (true, true);
    let ingress: Vec<(bool, bool)> = spec
        .ingress
        .iter()
        .flatten()
        .map(|r| {
            (
                r.from.as_ref().is_none_or(Vec::is_empty),
                r.ports.as_ref().is_none_or(Vec::is_empty),
            )
        })
        .collect();
    let egress: Vec<(bool, bool)> = spec
        .egress
        .iter()
        .flatten()
        .map(|r| {
            (
                r.to.as_ref().is_none_or(Vec::is_empty),
                r.ports.as_ref().is_none_or(Vec::is_empty),
            )
        })
        .collect();
    only_exempt
        && directions(spec).iter().all(|d| match d {
            Dir::Ingress => allow_all(&ingress),
            Dir::Egress => allow_all(&egress),
        })
}

fn read_policy(reading: &mut Reading, policy: &NetworkPolicy, ns: &str, name: &str) {
    let id = format!("{ns}/{name}");
    reading.policies.insert(id.clone());
    let spec = policy.spec.clone().unwrap_or_default();
    let pod_selector = spec.pod_selector.clone().unwrap_or_default();
    let everything = equalities(&pod_selector).is_some_and(|l| l.is_empty());
    let exempt = exempt_convention(&pod_selector).filter(|l| reading.exempt.as_ref() == Some(l));
    let selects_all = everything || exempt.is_some();
    for direction in directions(&spec) {
        let rules: Vec<(Option<&Vec<NetworkPolicyPeer>>, Ports)> = match direction {
            Dir::Ingress => spec
                .ingress
                .iter()
                .flatten()
                .map(|r| (r.from.as_ref(), ports(r.ports.as_ref())))
                .collect(),
            Dir::Egress => spec
                .egress
                .iter()
                .flatten()
                .map(|r| (r.to.as_ref(), ports(r.ports.as_ref())))
                .collect(),
        };
        let entry = reading
            .isolation
            .entry((ns.to_owned(), direction))
            .or_default();
        entry.any = true;
        entry.all |= selects_all;
        let chosen = if exempt.is_some() {
            Some(Select::default()) // every pod but the exempt ones, which netpc leaves open
        } else {
            pod_select(&pod_selector)
        };
        match &chosen {
            Some(labels) => {
                entry.selected.insert(labels.clone());
            }
            None => entry.unnamed |= !selects_all,
        }
        let opens = rules
            .iter()
            .any(|(peers, p)| peers.is_none_or(|l| l.is_empty()) && *p == Ports::All);
        if everything && opens {
            entry.open = true;
        }
        if rules.is_empty() {
            continue;
        }
        let Some(selected) = chosen else {
            reading.notes.push(Note::narrower(
                &id,
                format!(
                    "its pod selector `{}` constrains a key twice, which one `select` cannot \
                     say: its {} rules are left out",
                    crate::analyze::selector_text(&pod_selector),
                    direction.as_str()
                ),
            ));
            continue;
        };
        for (peers, ports) in rules {
            let peers = read_peers(reading, peers, ns, &id);
            reading.grants.push(Grant {
                policy: id.clone(),
                namespace: ns.to_owned(),
                direction,
                selected: selected.clone(),
                peers,
                ports,
            });
        }
    }
}

/// A CIDR with its host bits cleared (`10.0.0.1/8` is `10.0.0.0/8`, as Kubernetes
/// reads it); text that is no CIDR stays as it is.
fn canonical(cidr: &str) -> String {
    cidr.parse::<ipnet::IpNet>()
        .map_or_else(|_| cidr.to_owned(), |net| net.trunc().to_string())
}

/// The peers of a rule; an absent or empty list is `anywhere`.
fn read_peers(
    reading: &mut Reading,
    peers: Option<&Vec<NetworkPolicyPeer>>,
    ns: &str,
    id: &str,
) -> Vec<Peer> {
    let Some(list) = peers.filter(|l| !l.is_empty()) else {
        return vec![Peer::Anywhere];
    };
    let mut out = Vec::new();
    for peer in list {
        if let Some(block) = &peer.ip_block {
            out.push(Peer::Net(Net {
                cidr: canonical(&block.cidr),
                except: block
                    .except
                    .iter()
                    .flatten()
                    .map(|c| canonical(c))
                    .collect(),
            }));
            continue;
        }
        let labels = match &peer.pod_selector {
            None => Some(Select::default()),
            Some(selector) => pod_select(selector),
        };
        let Some(labels) = labels else {
            let text = peer
                .pod_selector
                .as_ref()
                .map(crate::analyze::selector_text);
            reading.notes.push(Note::narrower(
                id,
                format!(
                    "the peer selector `{}` constrains a key twice, which one `select` cannot \
                     say: that peer is left out",
                    text.unwrap_or_default()
                ),
            ));
            continue;
        };
        let namespaces = match &peer.namespace_selector {
            None => vec![ns.to_owned()],
            Some(selector) => matching_namespaces(reading, selector, id),
        };
        out.push(Peer::Pods { namespaces, labels });
    }
    out
}

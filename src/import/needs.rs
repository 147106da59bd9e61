//! The connections the original policies allow, as `needs`: for every ingress rule of
//! an isolated destination, each source it admits, cut down by the source's egress
//! rules when the source's namespace isolates egress too (the two ends' selectors and
//! ports intersected); for every egress rule, the destinations whose ingress is not
//! isolated. Together with default-deny in every managed namespace this is the
//! original's connectivity: what NetworkPolicy allows between two pods is the source's
//! egress and the destination's ingress, each allowed by some rule. Intersections
//! that the language cannot write (a named port against a port number, selectors that
//! meet as no one `select`: `pod_terms`) are left out
//! with a [`Note`]. Pure.

use std::collections::{BTreeMap, BTreeSet};

use super::pod_terms::{Meet, Select};
use super::policies::{Dir, Grant, Net, Peer, Reading};
use super::{Note, Port, PortValue, Ports};

/// One end of a need.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum End {
    /// The pods of a namespace that this selector selects (empty: every pod).
    Pods {
        namespace: String,
        labels: Select,
    },
    Net(Net),
    /// `anywhere`: every source (ingress at the target only) or every destination
    /// (egress at the subject only).
    Anywhere,
}

/// A connection the program must allow.
#[derive(Clone, Debug)]
pub struct Need {
    pub subject: End,
    pub target: End,
    pub ports: Ports,
    /// The original policies it comes from.
    pub policies: BTreeSet<String>,
}

/// Everything the writer needs beyond the reading.
#[derive(Debug, Default)]
pub struct Plan {
    /// Merged by (subject, target): ports united.
    pub needs: Vec<Need>,
    /// (namespace, direction) that netpc must not enforce.
    pub off: BTreeSet<(String, Dir)>,
    /// (namespace, direction) where only the selected pods are isolated
    /// (`enforcement ... selected`), with the selectors the policies select by there
    /// (each an `isolate`, unless a need already selects exactly those pods).
    pub selected: BTreeMap<(String, Dir), BTreeSet<Select>>,
    /// The (subject, target) of each written need that keeps an end open
    /// (`anywhere needs T;`, `S needs anywhere;`): in a selected direction, the pods
    /// at that end are isolated by no original policy, and another need isolates them.
    pub open: BTreeSet<(End, End)>,
    pub notes: Vec<Note>,
}

fn port_meet(a: &Port, b: &Port) -> Result<Option<Port>, ()> {
    if a.protocol != b.protocol {
        return Ok(None);
    }
    let value = match (&a.value, &b.value) {
        (PortValue::Range(l1, h1), PortValue::Range(l2, h2)) => {
            let (lo, hi) = ((*l1).max(*l2), (*h1).min(*h2));
            if lo > hi {
                return Ok(None);
            }
            PortValue::Range(lo, hi)
        }
        (PortValue::Named(x), PortValue::Named(y)) if x == y => PortValue::Named(x.clone()),
        (PortValue::Named(_), PortValue::Named(_)) => return Err(()),
        (PortValue::Named(n), PortValue::Range(1, 65535))
        | (PortValue::Range(1, 65535), PortValue::Named(n)) => PortValue::Named(n.clone()),
        _ => return Err(()),
    };
    Ok(Some(Port {
        protocol: a.protocol.clone(),
        value,
    }))
}

/// The ports both rules allow; `unsure` is set when a pair could not be decided
/// without the pods (a named port against numbers), which is left out.
pub fn intersect(a: &Ports, b: &Ports, unsure: &mut bool) -> Ports {
    match (a, b) {
        (Ports::All, other) | (other, Ports::All) => other.clone(),
        (Ports::Some(x), Ports::Some(y)) => {
            let mut out = Vec::new();
            for p in x {
                for q in y {
                    match port_meet(p, q) {
                        Ok(Some(port)) => out.push(port),
                        Ok(None) => {}
                        Err(()) => *unsure = true,
                    }
                }
            }
            Ports::Some(out)
        }
    }
}

fn is_empty(ports: &Ports) -> bool {
    matches!(ports, Ports::Some(list) if list.is_empty())
}

fn union(a: &mut Ports, b: &Ports) {
    match (&mut *a, b) {
        (Ports::All, _) => {}
        (_, Ports::All) => *a = Ports::All,
        (Ports::Some(x), Ports::Some(y)) => {
            x.extend(y.iter().cloned());
            x.sort();
            x.dedup();
        }
    }
}

#[derive(Default)]
struct Collect {
    exempt: Option<(String, String)>,
    needs: BTreeMap<(End, End), Need>,
    open: BTreeSet<(End, End)>,
    notes: Vec<Note>,
}

impl Collect {
    /// Adds a need (`false`: nothing to add, as its ports are empty or an end is exempt).
    fn push(&mut self, subject: End, target: End, ports: Ports, policies: &[&str]) -> bool {
        let exempt = |end: &End| match (end, &self.exempt) {
            (End::Pods { labels, .. }, Some((key, value))) => labels.implies_label(key, value),
            _ => false,
        };
        // Exempt pods are unrestricted by every netpc policy: no need to say so.
        if is_empty(&ports) || exempt(&subject) || exempt(&target) {
            return false;
        }
        let need = self
            .needs
            .entry((subject.clone(), target.clone()))
            .or_insert_with(|| Need {
                subject,
                target,
                ports: Ports::Some(Vec::new()),
                policies: BTreeSet::new(),
            });
        union(&mut need.ports, &ports);
        need.policies
            .extend(policies.iter().map(|p| (*p).to_owned()));
        true
    }

    /// `subject needs target:ports`, whose `open` end (the target's ingress, or the
    /// subject's egress) no original policy isolates: the need would isolate it, so
    /// `anywhere` on every port keeps it open (`anywhere needs target;` or
    /// `subject needs anywhere;`), which is what an open end allows.
    fn push_open(&mut self, subject: End, target: End, ports: Ports, open: Dir, policy: &str) {
        let (s, t) = match open {
            Dir::Ingress => (End::Anywhere, target.clone()),
            Dir::Egress => (subject.clone(), End::Anywhere),
        };
        if self.push(subject, target, ports, &[policy]) {
            self.push(s.clone(), t.clone(), Ports::All, &[policy]);
            self.open.insert((s, t));
        }
    }
}

/// The needs, the directions to leave open, and the notes.
pub fn plan(reading: &Reading) -> Plan {
    let mut collect = Collect {
        exempt: reading.exempt.clone(),
        ..Collect::default()
    };
    let mut off = BTreeSet::new();
    let mut selected = BTreeMap::new();
    for ns in &reading.managed {
        for dir in [Dir::Ingress, Dir::Egress] {
            let iso = reading.isolation(ns, dir);
            if !iso.enforced() {
                off.insert((ns.clone(), dir));
            } else if reading.selected(ns, dir) {
                selected.insert((ns.clone(), dir), iso.selected.clone());
            } else if !iso.all {
                collect.notes.push(Note::narrower(
                    &format!("{ns}/*"),
                    format!(
                        "no policy of namespace `{ns}` selects every pod for {}, and one selects \
                         pods by a selector that one `select` cannot say: pods no policy selects \
                         are open there in the original, netpc isolates them",
                        dir.as_str()
                    ),
                ));
            }
        }
    }
    for grant in reading
        .grants
        .iter()
        .filter(|g| g.direction == Dir::Ingress)
    {
        if reading.enforced(&grant.namespace, Dir::Ingress) {
            ingress_grant(reading, grant, &mut collect);
        }
    }
    for grant in reading.grants.iter().filter(|g| g.direction == Dir::Egress) {
        if reading.enforced(&grant.namespace, Dir::Egress) {
            egress_grant(reading, grant, &mut collect);
        }
    }
    let needs: Vec<Need> = collect.needs.into_values().collect();
    let kept = needs
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            !needs
                .iter()
                .enumerate()
                .any(|(j, b)| j != *i && covers(b, a) && (!covers(a, b) || j < *i))
        })
        .map(|(_, n)| n.clone())
        .collect::<Vec<Need>>();
    let open = kept
        .iter()
        .map(|n| (n.subject.clone(), n.target.clone()))
        .filter(|key| collect.open.contains(key))
        .collect();
    Plan {
        needs: kept,
        off,
        selected,
        open,
        notes: collect.notes,
    }
}

/// Whether every pod of `namespace` that `labels` selects is selected by some policy
/// for `direction` (some policy's selector covers it; `false` when unsure).
fn all_isolated(reading: &Reading, namespace: &str, direction: Dir, labels: &Select) -> bool {
    reading
        .isolation(namespace, direction)
        .selected
        .iter()
        .any(|set| set.covers(labels))
}

/// Whether no pod of `namespace` with `labels` is selected by a policy for
/// `direction` (every selected label set contradicts `labels`): that end is open.
fn none_isolated(reading: &Reading, namespace: &str, direction: Dir, labels: &Select) -> bool {
    reading
        .isolation(namespace, direction)
        .selected
        .iter()
        .all(|set| matches!(set.meet(labels), Meet::Empty))
}

/// Whether a peer's namespaces are a namespace set (its name first, then the managed
/// namespaces it matches now): a need to or from the set isolates nothing at its end,
/// so it already allows what the matched namespaces' open pods may do.
fn in_set(reading: &Reading, namespaces: &[String]) -> bool {
    namespaces
        .first()
        .is_some_and(|first| reading.sets.contains_key(first))
}

/// Whether `outer`'s pods include every pod of `inner`.
fn end_covers(outer: &End, inner: &End) -> bool {
    match (outer, inner) {
        (
            End::Pods {
                namespace: a,
                labels: la,
            },
            End::Pods {
                namespace: b,
                labels: lb,
            },
        ) => a == b && la.covers(lb),
        (End::Net(a), End::Net(b)) => a == b,
        (End::Anywhere, End::Anywhere) => true,
        _ => false,
    }
}

fn port_covers(outer: &Port, inner: &Port) -> bool {
    outer.protocol == inner.protocol
        && match (&outer.value, &inner.value) {
            (PortValue::Range(l1, h1), PortValue::Range(l2, h2)) => l1 <= l2 && h2 <= h1,
            (PortValue::Named(a), PortValue::Named(b)) => a == b,
            (PortValue::Range(1, 65535), PortValue::Named(_)) => true,
            _ => false,
        }
}

/// Whether need `outer` allows everything need `inner` does (so `inner` adds nothing).
fn covers(outer: &Need, inner: &Need) -> bool {
    let ports = match (&outer.ports, &inner.ports) {
        (Ports::All, _) => true,
        (Ports::Some(_), Ports::All) => false,
        (Ports::Some(o), Ports::Some(i)) => i.iter().all(|p| o.iter().any(|q| port_covers(q, p))),
    };
    ports && end_covers(&outer.subject, &inner.subject) && end_covers(&outer.target, &inner.target)
}

fn ingress_grant(reading: &Reading, grant: &Grant, collect: &mut Collect) {
    let target = End::Pods {
        namespace: grant.namespace.clone(),
        labels: grant.selected.clone(),
    };
    for peer in &grant.peers {
        let (namespaces, labels) = match peer {
            Peer::Anywhere => {
                anywhere_grant(reading, grant, &target, collect);
                continue;
            }
            Peer::Net(net) => {
                let subject = End::Net(net.clone());
                collect.push(
                    subject,
                    target.clone(),
                    grant.ports.clone(),
                    &[&grant.policy],
                );
                continue;
            }
            Peer::Pods { namespaces, labels } => (namespaces, labels),
        };
        let set = in_set(reading, namespaces);
        for source_ns in namespaces {
            if !reading.enforced(source_ns, Dir::Egress) {
                let subject = End::Pods {
                    namespace: source_ns.clone(),
                    labels: labels.clone(),
                };
                collect.push(
                    subject,
                    target.clone(),
                    grant.ports.clone(),
                    &[&grant.policy],
                );
                continue;
            }
            // In a namespace set, the set's need covers the open pods (its end
            // isolates nothing); the isolated ones meet their egress rules below.
            let selected = reading.selected(source_ns, Dir::Egress) && !set;
            if selected && none_isolated(reading, source_ns, Dir::Egress, labels) {
                let subject = End::Pods {
                    namespace: source_ns.clone(),
                    labels: labels.clone(),
                };
                let (ports, policy) = (grant.ports.clone(), &grant.policy);
                collect.push_open(subject, target.clone(), ports, Dir::Egress, policy);
                continue;
            }
            if selected && !all_isolated(reading, source_ns, Dir::Egress, labels) {
                collect.notes.push(Note::narrower(
                    &grant.policy,
                    format!(
                        "pods of `{source_ns}` that no egress policy selects may connect by this \
                         rule alone; a need would isolate their egress, so they are left out"
                    ),
                ));
            }
            let egress = reading
                .grants
                .iter()
                .filter(|e| e.direction == Dir::Egress && &e.namespace == source_ns);
            for e in egress {
                meet(grant, labels, e, collect);
            }
        }
    }
}

/// An ingress rule without peers: `anywhere needs T` (ingress at T only), and for the
/// sources whose namespace isolates egress, what their egress rules let reach T.
fn anywhere_grant(reading: &Reading, grant: &Grant, target: &End, collect: &mut Collect) {
    collect.push(
        End::Anywhere,
        target.clone(),
        grant.ports.clone(),
        &[&grant.policy],
    );
    for e in reading
        .grants
        .iter()
        .filter(|e| e.direction == Dir::Egress && reading.enforced(&e.namespace, Dir::Egress))
    {
        meet(grant, &Select::default(), e, collect);
    }
}

/// An ingress grant's source pods (`labels` in `e`'s namespace) that the egress grant
/// `e` lets reach the ingress grant's pods.
fn meet(grant: &Grant, labels: &Select, e: &Grant, collect: &mut Collect) {
    let Some(subject_labels) = both(labels, &e.selected, grant, e, collect) else {
        return;
    };
    let every = Select::default();
    for q in &e.peers {
        let q_labels = match q {
            Peer::Pods { namespaces, labels } if namespaces.contains(&grant.namespace) => labels,
            Peer::Anywhere => &every,
            _ => continue,
        };
        let Some(target_labels) = both(&grant.selected, q_labels, grant, e, collect) else {
            continue;
        };
        let mut unsure = false;
        let ports = intersect(&grant.ports, &e.ports, &mut unsure);
        if unsure {
            collect.notes.push(Note::narrower(
                &grant.policy,
                format!(
                    "a named port meets a port number in `{}`: that pair of rules is left out",
                    e.policy
                ),
            ));
        }
        let subject = End::Pods {
            namespace: e.namespace.clone(),
            labels: subject_labels.clone(),
        };
        let target = End::Pods {
            namespace: grant.namespace.clone(),
            labels: target_labels,
        };
        collect.push(subject, target, ports, &[&grant.policy, &e.policy]);
    }
}

/// The pods two selectors both select, or `None` when none are or one `select`
/// cannot say which (then that pair of rules is left out, with a note).
fn both(a: &Select, b: &Select, grant: &Grant, e: &Grant, collect: &mut Collect) -> Option<Select> {
    match a.meet(b) {
        Meet::Both(s) => Some(s),
        Meet::Empty => None,
        Meet::Inexpressible => {
            collect.notes.push(Note::narrower(
                &grant.policy,
                format!(
                    "the pods both this rule and `{}` select are not one `select` (a key \
                     required and one of its values excluded): that pair of rules is left out",
                    e.policy
                ),
            ));
            None
        }
    }
}

fn egress_grant(reading: &Reading, grant: &Grant, collect: &mut Collect) {
    let subject = End::Pods {
        namespace: grant.namespace.clone(),
        labels: grant.selected.clone(),
    };
    for peer in &grant.peers {
        match peer {
            Peer::Anywhere => {
                collect.push(
                    subject.clone(),
                    End::Anywhere,
                    grant.ports.clone(),
                    &[&grant.policy],
                );
            }
            Peer::Net(net) => {
                let target = End::Net(net.clone());
                collect.push(
                    subject.clone(),
                    target,
                    grant.ports.clone(),
                    &[&grant.policy],
                );
            }
            Peer::Pods { namespaces, labels } => {
                let set = in_set(reading, namespaces);
                for ns in namespaces {
                    let target = End::Pods {
                        namespace: ns.clone(),
                        labels: labels.clone(),
                    };
                    // As for an ingress rule's sources: the set's need covers them.
                    let selected = reading.selected(ns, Dir::Ingress) && !set;
                    if selected && none_isolated(reading, ns, Dir::Ingress, labels) {
                        let (ports, policy) = (grant.ports.clone(), &grant.policy);
                        collect.push_open(subject.clone(), target, ports, Dir::Ingress, policy);
                        continue;
                    }
                    if selected && !all_isolated(reading, ns, Dir::Ingress, labels) {
                        collect.notes.push(Note::narrower(
                            &grant.policy,
                            format!(
                                "pods of `{ns}` that no ingress policy selects may be reached by \
                                 this rule alone; a need would isolate their ingress, so they are \
                                 left out"
                            ),
                        ));
                    }
                    if reading.enforced(ns, Dir::Ingress) {
                        continue; // the destination's ingress rules say it
                    }
                    collect.push(
                        subject.clone(),
                        target,
                        grant.ports.clone(),
                        &[&grant.policy],
                    );
                }
            }
        }
    }
}

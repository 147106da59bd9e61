//! Which pods each class's rules name, so that callers comparing every ordered pair of
//! pods (`verify`, the insight commands) evaluate only the pairs whose answer can
//! differ from a default, in time linear in the rules instead of quadratic in the
//! pods. For a pair of distinct pods `(a, b)` where `b` is not [`Reach::named`] by `a`
//! (no selector or ipBlock peer of `a`'s egress rules matches `b`, none of `b`'s
//! ingress rules matches `a`), [`Analysis::allowed`] is the [`Baseline::meet`] of
//! `a`'s [`Reach::egress_default`] and `b`'s [`Reach::ingress_default`]: what `a`'s
//! egress rules without peers allow met with what `b`'s ingress rules without peers
//! allow. Owns that index and nothing else; it must never read files or
//! print.

use rustc_hash::FxHashMap;

use super::compiled_policy::{Direction, NamespaceMatch, Peer};
use super::connset::ConnSet;
use super::eval::{Analysis, PeerRef};
use super::model::WorkloadId;
use super::selector::Selector;

/// What one end allows toward (egress) or from (ingress) every pod its rules do not
/// name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Baseline {
    /// Not isolated in this direction: everything.
    Open,
    /// Isolated: the union of its rules that have no `to`/`from` (every peer).
    Only(ConnSet),
}

impl Baseline {
    /// What two ends allow together.
    pub fn meet(&self, other: &Baseline) -> ConnSet {
        match (self, other) {
            (Baseline::Open, Baseline::Open) => ConnSet::all(),
            (Baseline::Open, Baseline::Only(c)) | (Baseline::Only(c), Baseline::Open) => c.clone(),
            (Baseline::Only(a), Baseline::Only(b)) => a.intersect(b),
        }
    }
}

/// The index built by [`Analysis::reach`].
#[derive(Debug)]
pub struct Reach<'a> {
    analysis: &'a Analysis<'a>,
    egress: Vec<Baseline>,
    ingress: Vec<Baseline>,
    /// Per source class, the destination classes whose answer may differ from the
    /// default, sorted; `None`: every class (an egress rule for every peer with a
    /// named port resolves on each destination).
    named: Vec<Option<Vec<u32>>>,
    /// Nodes or node-like pods exist: the node exception makes every pair special.
    exhaustive: bool,
}

impl Reach<'_> {
    /// Whether every pair must be evaluated (the cluster has nodes or hostNetwork
    /// pods treated as nodes); then [`Reach::named`] and the defaults do not tell the
    /// pairs apart, and the caller must compare every pair.
    pub fn exhaustive(&self) -> bool {
        self.exhaustive
    }

    /// What `w` sends to a pod its egress rules do not name.
    pub fn egress_default(&self, w: WorkloadId) -> &Baseline {
        &self.egress[self.analysis.class_of[w]]
    }

    /// What `w` receives from a pod its ingress rules do not name.
    pub fn ingress_default(&self, w: WorkloadId) -> &Baseline {
        &self.ingress[self.analysis.class_of[w]]
    }

    /// The workloads whose connections from `src` may differ from the meet of the
    /// two ends' defaults (unsorted; may include `src` itself).
    pub fn named(&self, src: WorkloadId) -> Vec<WorkloadId> {
        let classes = &self.analysis.classes;
        match &self.named[self.analysis.class_of[src]] {
            Some(list) => list
                .iter()
                .flat_map(|&c| classes[c as usize].workloads.iter().copied())
                .collect(),
            _ => (0..self.analysis.class_of.len()).collect(),
        }
    }
}

/// Finds the classes a selector peer matches without testing every class: namespaces
/// by name or by a cached selector, pods by one `key = value` the selector requires.
pub(super) struct Finder<'a> {
    analysis: &'a Analysis<'a>,
    by_namespace: FxHashMap<&'a str, Vec<usize>>,
    by_pair: FxHashMap<(&'a str, &'a str, &'a str), Vec<usize>>,
    selected: FxHashMap<&'a Selector, Vec<&'a str>>,
    /// Classes an ipBlock can match (they have an address to match).
    addressed: Vec<usize>,
}

impl<'a> Finder<'a> {
    pub(super) fn new(analysis: &'a Analysis<'a>) -> Finder<'a> {
        let mut by_namespace: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        let mut by_pair: FxHashMap<(&str, &str, &str), Vec<usize>> = FxHashMap::default();
        let mut addressed = Vec::new();
        for (c, class) in analysis.classes.iter().enumerate() {
            let ns = class.namespace.as_str();
            by_namespace.entry(ns).or_default().push(c);
            for (key, value) in &class.labels {
                by_pair
                    .entry((ns, key.as_str(), value.as_str()))
                    .or_default()
                    .push(c);
            }
            if class.ip.is_some() {
                addressed.push(c);
            }
        }
        Finder {
            analysis,
            by_namespace,
            by_pair,
            selected: FxHashMap::default(),
            addressed,
        }
    }

    /// Every class `peer` matches, pushed onto `out`.
    pub(super) fn matching(&mut self, peer: &'a Peer, out: &mut Vec<u32>) {
        let analysis = self.analysis;
        let push = |c: usize, out: &mut Vec<u32>| {
            if analysis.peer_matches(peer, PeerRef::Class(c)) {
                out.push(u32::try_from(c).unwrap_or(u32::MAX));
            }
        };
        match peer {
            Peer::Pods { namespaces, pods } => {
                let names: Vec<&str> = match namespaces {
                    NamespaceMatch::Own(ns) => vec![ns.as_str()],
                    NamespaceMatch::Selected(sel) => {
                        let by_namespace = &self.by_namespace;
                        self.selected
                            .entry(sel)
                            .or_insert_with(|| {
                                let mut found: Vec<&str> = by_namespace
                                    .keys()
                                    .copied()
                                    .filter(|ns| analysis.namespace_matches(namespaces, ns))
                                    .collect();
                                found.sort_unstable();
                                found
                            })
                            .clone()
                    }
                };
                for ns in names {
                    let candidates = match pods.required_pair() {
                        Some((key, value)) => self.by_pair.get(&(ns, key, value)),
                        None => self.by_namespace.get(ns),
                    };
                    for &c in candidates.into_iter().flatten() {
                        push(c, out);
                    }
                }
            }
            Peer::IpBlock(_) => {
                for &c in &self.addressed {
                    push(c, out);
                }
            }
        }
    }
}

impl<'c> Analysis<'c> {
    /// The index of which pods each class's rules name ([`Reach`]), built in time
    /// linear in the rules and the pods they match.
    pub fn reach(&self) -> Reach<'_> {
        let classes = self.classes.len();
        let mut finder = Finder::new(self);
        let mut named: Vec<Option<Vec<u32>>> = vec![Some(Vec::new()); classes];
        let mut egress = Vec::with_capacity(classes);
        let mut ingress = Vec::with_capacity(classes);
        let mut scratch = Vec::new();
        for (c, class) in self.classes.iter().enumerate() {
            let mut open = ConnSet::empty();
            for &p in &class.egress_policies {
                for rule in self.policies[p]
                    .rules(Direction::Egress)
                    .unwrap_or_default()
                {
                    match &rule.peers {
                        None if rule.has_named_port() => named[c] = None,
                        None => open.union_with(&rule.conns(None)),
                        Some(peers) => {
                            for peer in peers {
                                scratch.clear();
                                finder.matching(peer, &mut scratch);
                                if let Some(list) = &mut named[c] {
                                    list.extend_from_slice(&scratch);
                                }
                            }
                        }
                    }
                }
            }
            egress.push(if class.egress_policies.is_empty() {
                Baseline::Open
            } else {
                Baseline::Only(open)
            });
            let mut open = ConnSet::empty();
            for &p in &class.ingress_policies {
                for rule in self.policies[p]
                    .rules(Direction::Ingress)
                    .unwrap_or_default()
                {
                    match &rule.peers {
                        None => open.union_with(&rule.conns(Some(&class.ports))),
                        Some(peers) => {
                            for peer in peers {
                                scratch.clear();
                                finder.matching(peer, &mut scratch);
                                for &s in &scratch {
                                    if let Some(list) = &mut named[s as usize] {
                                        list.push(u32::try_from(c).unwrap_or(u32::MAX));
                                    }
                                }
                            }
                        }
                    }
                }
            }
            ingress.push(if class.ingress_policies.is_empty() {
                Baseline::Open
            } else {
                Baseline::Only(open)
            });
        }
        for list in named.iter_mut().flatten() {
            list.sort_unstable();
            list.dedup();
        }
        let exhaustive = self.classes.iter().any(|c| c.node_like)
            || self.cluster.workloads().iter().any(|w| w.node.is_some());
        Reach {
            analysis: self,
            egress,
            ingress,
            named,
            exhaustive,
        }
    }
}

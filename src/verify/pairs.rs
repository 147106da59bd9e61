//! Which ordered pairs of probe pods `verify` must compare one by one. Every other
//! pair is settled by equivalence classes: when no `needs` line (nor a `needs-*` label
//! group) of the source reaches the destination and no policy rule names either end
//! for the other ([`Reach::named`]), the expectation is "everything" if neither end is
//! restricted and "nothing" otherwise, and the evaluator's answer is the meet of the
//! two ends' rules for every peer ([`Reach::egress_default`] met with
//! [`Reach::ingress_default`]). Both depend only on a
//! class of the source (restricted egress, egress baseline) and a class of the
//! destination (restricted ingress, ingress baseline), so they are compared once per
//! pair of classes, and only the pods of classes that disagree join the list. Time is
//! linear in the pods, the needs and the pods the rules match, not quadratic.

use rustc_hash::FxHashMap;

use crate::analyze::{Analysis, Baseline, ConnSet, Reach, WorkloadId};
use crate::ir::{Direction, Endpoint, NamespaceId};

use super::expected::{Expectation, PodRole, Point};

/// How the pairs are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pairs {
    /// Only those that can differ from their class's answer (the default).
    Classes,
    /// Every ordered pair: the reference the tests compare [`Pairs::Classes`] with.
    Every,
}

/// The destinations to compare for each source, by index into the probe pods.
pub(super) struct Plan<'a> {
    pods: &'a [(Point, WorkloadId)],
    expectation: &'a Expectation<'a>,
    reach: Option<Reach<'a>>,
    /// Pod index per workload id.
    index_of: Vec<Option<u32>>,
    by_point: FxHashMap<Point, u32>,
    by_namespace: FxHashMap<NamespaceId, Vec<u32>>,
    source_class: Vec<u32>,
    /// Per source class, the pods of the destination classes it disagrees with.
    disagreeing: Vec<Vec<u32>>,
}

impl<'a> Plan<'a> {
    pub(super) fn new(
        analysis: &'a Analysis<'a>,
        expectation: &'a Expectation<'a>,
        pods: &'a [(Point, WorkloadId)],
        pairs: Pairs,
    ) -> Plan<'a> {
        let reach = analysis.reach();
        let reach = (pairs == Pairs::Classes && !reach.exhaustive()).then_some(reach);
        let mut index_of = vec![None; analysis.cluster().workloads().len()];
        let mut by_point = FxHashMap::default();
        let mut by_namespace: FxHashMap<NamespaceId, Vec<u32>> = FxHashMap::default();
        for (i, &(point, w)) in pods.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            index_of[w] = Some(i);
            by_point.insert(point, i);
            if let Point::Pod { namespace, .. } = point {
                by_namespace.entry(namespace).or_default().push(i);
            }
        }
        let mut plan = Plan {
            pods,
            expectation,
            reach,
            index_of,
            by_point,
            by_namespace,
            source_class: Vec::new(),
            disagreeing: Vec::new(),
        };
        plan.classes();
        plan
    }

    /// Groups sources and destinations by what settles their unnamed pairs, and lists
    /// for each source class the destinations of the classes where the expectation
    /// and the evaluator disagree.
    fn classes(&mut self) {
        let Some(reach) = &self.reach else {
            return;
        };
        let mut source_keys: FxHashMap<(bool, &Baseline), u32> = FxHashMap::default();
        let mut sources: Vec<(bool, &Baseline)> = Vec::new();
        let mut dest_keys: FxHashMap<(bool, &Baseline), usize> = FxHashMap::default();
        let mut dests: Vec<((bool, &Baseline), Vec<u32>)> = Vec::new();
        for (i, &(point, w)) in self.pods.iter().enumerate() {
            let key = (
                self.expectation.restricted_in(point, Direction::Egress),
                reach.egress_default(w),
            );
            let class = *source_keys.entry(key).or_insert_with(|| {
                sources.push(key);
                u32::try_from(sources.len() - 1).unwrap_or(u32::MAX)
            });
            self.source_class.push(class);
            let key = (
                self.expectation.restricted_in(point, Direction::Ingress),
                reach.ingress_default(w),
            );
            let at = *dest_keys.entry(key).or_insert_with(|| {
                dests.push((key, Vec::new()));
                dests.len() - 1
            });
            dests[at].1.push(u32::try_from(i).unwrap_or(u32::MAX));
        }
        let all = ConnSet::all();
        let empty = ConnSet::empty();
        self.disagreeing = sources
            .iter()
            .map(|&(egress, out)| {
                let mut list = Vec::new();
                for &((ingress, into), ref members) in &dests {
                    let expected = if egress || ingress { &empty } else { &all };
                    if &out.meet(into) != expected {
                        list.extend_from_slice(members);
                    }
                }
                list
            })
            .collect();
    }

    /// The destinations to compare with source `i`, ascending (may include `i`).
    pub(super) fn destinations(&self, i: usize) -> Vec<u32> {
        let Some(reach) = &self.reach else {
            return (0..self.pods.len())
                .filter_map(|j| u32::try_from(j).ok())
                .collect();
        };
        let (point, w) = self.pods[i];
        let mut list: Vec<u32> = reach
            .named(w)
            .into_iter()
            .filter_map(|d| self.index_of.get(d).copied().flatten())
            .collect();
        for target in self.expectation.targets_of(point) {
            if self.expectation.in_set(target) {
                // A namespace set's endpoint stands for pods of every namespace it matches.
                list.extend(
                    (0..self.pods.len())
                        .filter(|&j| self.expectation.covers(target, self.pods[j].0))
                        .filter_map(|j| u32::try_from(j).ok()),
                );
                continue;
            }
            match target {
                Endpoint::Service(id) => {
                    let namespace = self.expectation.program().service(id).namespace;
                    let pod = Point::Pod {
                        namespace,
                        role: PodRole::Service(id),
                    };
                    list.extend(self.by_point.get(&pod));
                }
                Endpoint::Namespace(ns) => {
                    list.extend(self.by_namespace.get(&ns).into_iter().flatten());
                }
                Endpoint::External(_) => {}
                Endpoint::Anywhere => list.extend(0..self.pods.len() as u32),
            }
        }
        list.extend_from_slice(&self.disagreeing[self.source_class[i] as usize]);
        list.sort_unstable();
        list.dedup();
        list
    }
}

//! The connections of one side: for every ordered pair of probe pods, and for every
//! probe and IPv4 address range, the allowed connection set, computed by the
//! independent evaluator (`crate::analyze`) over the probe cluster. Pairs where no end
//! is in a managed namespace are left out: no netpc policy can govern them.

use std::collections::BTreeMap;

use super::ranges::{merge, range_set_text};
use super::side::{Objects, Side};
use crate::analyze::{
    Analysis, AnalyzeError, ConnList, ConnSet, Ipv4Range, Options, PeerId, WorkloadId,
};

/// Allowed connections with address ranges: sorted, disjoint, non-empty sets.
pub type RangeConns = Vec<(Ipv4Range, ConnSet)>;

/// One allowed (or changed) connection set between two named ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// `grid/api`, `grid/(no service)`, or address ranges (`3.5.0.0/19, 52.216.0.0/15`).
    pub src: String,
    pub dst: String,
    pub conns: ConnSet,
}

/// What a probe name stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeInfo {
    pub namespace: String,
    /// Managed namespace.
    pub managed: bool,
    /// A service's pods (not the unmatched or exempt pod).
    pub service: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Connections {
    /// Every probe, by display name.
    pub probes: BTreeMap<String, ProbeInfo>,
    /// Pod to pod, by (source, destination) probe name.
    pub pods: BTreeMap<(String, String), ConnSet>,
    /// Per probe: what it may send to address ranges.
    pub egress: BTreeMap<String, RangeConns>,
    /// Per probe: what address ranges may send it.
    pub ingress: BTreeMap<String, RangeConns>,
}

impl Connections {
    /// Adds an evaluator's connection list. `end` names a workload (`grid/api`) and
    /// says whether its namespace is managed, or is `None` for a workload that is no
    /// probe. A pod pair is kept when either end is managed, an address range when
    /// its pod is: no netpc policy can govern the rest.
    pub fn add_list<'n>(
        &mut self,
        list: &ConnList,
        end: impl Fn(WorkloadId) -> Option<(&'n str, bool)>,
    ) {
        for c in list.iter() {
            match (c.src, c.dst) {
                (PeerId::Workload(s), PeerId::Workload(d)) => {
                    if let (Some((src, sm)), Some((dst, dm))) = (end(s), end(d))
                        && (sm || dm)
                    {
                        self.pods
                            .insert((src.to_owned(), dst.to_owned()), c.conns.clone());
                    }
                }
                (PeerId::Workload(s), PeerId::External(range)) => {
                    push_range(&mut self.egress, end(s), range, c.conns);
                }
                (PeerId::External(range), PeerId::Workload(d)) => {
                    push_range(&mut self.ingress, end(d), range, c.conns);
                }
                (PeerId::External(_), PeerId::External(_)) => {}
            }
        }
        for list in self.egress.values_mut().chain(self.ingress.values_mut()) {
            list.sort_by_key(|(range, _)| range.first);
        }
    }
}

/// Adds `range` to the ranges of a managed probe `end` (others have none).
fn push_range(
    map: &mut BTreeMap<String, RangeConns>,
    end: Option<(&str, bool)>,
    range: Ipv4Range,
    conns: &ConnSet,
) {
    if let Some((name, true)) = end {
        map.entry(name.to_owned())
            .or_default()
            .push((range, conns.clone()));
    }
}

/// A side with its evaluation, built once and shared by everything `diff` and `graph`
/// report about it: the connections, the policies behind a changed line
/// (`super::conn_diff`), the probe behind a name.
pub struct Evaluated<'s> {
    pub side: &'s Side,
    pub analysis: Analysis<'s>,
    /// Probe workloads by display name (`grid/api`), so that naming an end costs one
    /// lookup, not a walk over every probe.
    workloads: BTreeMap<String, WorkloadId>,
    /// [`Side::objects`], built once for both of `diff`'s object reports (references
    /// only, one entry per policy; `graph` builds it without asking).
    objects: Objects<'s>,
}

impl<'s> Evaluated<'s> {
    /// Evaluates a side (fails where the evaluator does, see [`Analysis::new`]).
    pub fn new(side: &'s Side) -> Result<Evaluated<'s>, Vec<AnalyzeError>> {
        let analysis = Analysis::new(&side.probes.cluster, Options::default())?;
        // The first probe of a name counts, as a search from the front would find.
        let mut workloads = BTreeMap::new();
        for probe in &side.probes.probes {
            workloads.entry(probe.display()).or_insert(probe.workload);
        }
        Ok(Evaluated {
            side,
            analysis,
            workloads,
            objects: side.objects(),
        })
    }

    /// The side's policy objects by (namespace, name).
    pub fn objects(&self) -> &Objects<'s> {
        &self.objects
    }

    /// The workload of the probe named `name` (`grid/api`, `grid/(no service)`), if
    /// one is.
    pub fn workload(&self, name: &str) -> Option<WorkloadId> {
        self.workloads.get(name).copied()
    }

    /// The allowed connections of the side.
    pub fn connections(&self) -> Connections {
        let side = self.side;
        let list = self.analysis.connlist();
        let mut names: BTreeMap<usize, (String, bool)> = BTreeMap::new();
        let mut out = Connections::default();
        let managed_namespaces = side.managed_namespaces();
        for probe in &side.probes.probes {
            let managed = managed_namespaces.contains(probe.namespace.as_str());
            let name = probe.display();
            names.insert(probe.workload, (name.clone(), managed));
            out.probes.insert(
                name,
                ProbeInfo {
                    namespace: probe.namespace.clone(),
                    managed,
                    service: matches!(probe.role, crate::probe::ProbeRole::Service(_)),
                },
            );
        }
        out.add_list(&list, |w| names.get(&w).map(|(n, m)| (n.as_str(), *m)));
        out
    }
}

/// Evaluates a side and returns its connections (for a caller that needs nothing
/// else of the evaluation, as `graph`).
pub fn connections(side: &Side) -> Result<Connections, Vec<AnalyzeError>> {
    Ok(Evaluated::new(side)?.connections())
}

/// Groups range pieces by their connection set: one `(range text, set)` per distinct
/// set, ranges merged, sorted by text.
pub fn group_ranges(pieces: &[(Ipv4Range, ConnSet)]) -> Vec<(String, ConnSet)> {
    let mut by_conns: BTreeMap<String, (ConnSet, Vec<Ipv4Range>)> = BTreeMap::new();
    for (range, conns) in pieces {
        if conns.is_empty() {
            continue;
        }
        by_conns
            .entry(conns.to_string())
            .or_insert_with(|| (conns.clone(), Vec::new()))
            .1
            .push(*range);
    }
    let mut out: Vec<(String, ConnSet)> = by_conns
        .into_values()
        .map(|(conns, ranges)| (range_set_text(&merge(ranges)), conns))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

impl Connections {
    /// Every allowed connection as lines, sorted by (source, destination).
    pub fn lines(&self) -> Vec<Line> {
        let mut out: Vec<Line> = self
            .pods
            .iter()
            .map(|((src, dst), conns)| Line {
                src: src.clone(),
                dst: dst.clone(),
                conns: conns.clone(),
            })
            .collect();
        for (probe, pieces) in &self.egress {
            for (ranges, conns) in group_ranges(pieces) {
                out.push(Line {
                    src: probe.clone(),
                    dst: ranges,
                    conns,
                });
            }
        }
        for (probe, pieces) in &self.ingress {
            for (ranges, conns) in group_ranges(pieces) {
                out.push(Line {
                    src: ranges,
                    dst: probe.clone(),
                    conns,
                });
            }
        }
        sort_lines(&mut out);
        out
    }
}

/// Sorts by (source, destination, connections).
pub fn sort_lines(lines: &mut [Line]) {
    lines.sort_by(|a, b| {
        (&a.src, &a.dst)
            .cmp(&(&b.src, &b.dst))
            .then_with(|| a.conns.to_string().cmp(&b.conns.to_string()))
    });
}

//! `netpc diff`: the connections added and removed between two sides, compared per
//! ordered pair as connection sets (with address ranges refined to the pieces both
//! sides distinguish), and the policy objects that changed without any change in
//! connectivity; printed as text, JSON or Markdown. Pure.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use super::conns::{Connections, Evaluated, Line, RangeConns, group_ranges, sort_lines};
use super::ranges::subtract;
use super::side::Side;
use crate::analyze::{ConnSet, Endpoint, Ipv4Range, Protocol};

/// What changed between two sides.
#[derive(Clone, Debug, Default)]
pub struct ConnDiff {
    pub added: Vec<Line>,
    pub removed: Vec<Line>,
}

impl ConnDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// The connection changes from `old` to `new`.
pub fn diff(old: &Connections, new: &Connections) -> ConnDiff {
    let mut out = ConnDiff::default();
    let empty = ConnSet::empty();
    let pairs: BTreeSet<&(String, String)> = old.pods.keys().chain(new.pods.keys()).collect();
    for pair in pairs {
        let before = old.pods.get(pair).unwrap_or(&empty);
        let after = new.pods.get(pair).unwrap_or(&empty);
        push(&mut out.added, &pair.0, &pair.1, subtract(after, before));
        push(&mut out.removed, &pair.0, &pair.1, subtract(before, after));
    }
    for egress in [true, false] {
        let (old_map, new_map) = if egress {
            (&old.egress, &new.egress)
        } else {
            (&old.ingress, &new.ingress)
        };
        let probes: BTreeSet<&String> = old_map.keys().chain(new_map.keys()).collect();
        let none = RangeConns::new();
        for probe in probes {
            let before = old_map.get(probe).unwrap_or(&none);
            let after = new_map.get(probe).unwrap_or(&none);
            let (added, removed) = piecewise(before, after);
            for (lines, pieces) in [(&mut out.added, added), (&mut out.removed, removed)] {
                for (ranges, conns) in group_ranges(&pieces) {
                    let (src, dst) = if egress {
                        (probe.as_str(), ranges.as_str())
                    } else {
                        (ranges.as_str(), probe.as_str())
                    };
                    push(lines, src, dst, conns);
                }
            }
        }
    }
    sort_lines(&mut out.added);
    sort_lines(&mut out.removed);
    out
}

fn push(lines: &mut Vec<Line>, src: &str, dst: &str, conns: ConnSet) {
    if !conns.is_empty() {
        lines.push(Line {
            src: src.to_owned(),
            dst: dst.to_owned(),
            conns,
        });
    }
}

/// The value of a piecewise function at `addr` (pieces sorted and disjoint).
fn at(pieces: &RangeConns, addr: u32) -> Option<&ConnSet> {
    let i = pieces.partition_point(|(r, _)| r.last < addr);
    pieces
        .get(i)
        .filter(|(r, _)| r.first <= addr)
        .map(|(_, c)| c)
}

/// (added, removed) per piece of the common refinement of both sides' ranges.
fn piecewise(old: &RangeConns, new: &RangeConns) -> (RangeConns, RangeConns) {
    let mut cuts: Vec<u64> = vec![0];
    for (range, _) in old.iter().chain(new) {
        cuts.push(u64::from(range.first));
        cuts.push(u64::from(range.last) + 1);
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.retain(|&c| c <= u64::from(u32::MAX));
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    let empty = ConnSet::empty();
    for (i, &start) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).map_or(u64::from(u32::MAX), |&n| n - 1);
        let range = Ipv4Range {
            first: u32::try_from(start).unwrap_or(u32::MAX),
            last: u32::try_from(end).unwrap_or(u32::MAX),
        };
        let before = at(old, range.first).unwrap_or(&empty);
        let after = at(new, range.first).unwrap_or(&empty);
        added.push((range, subtract(after, before)));
        removed.push((range, subtract(before, after)));
    }
    (added, removed)
}

/// How a policy object changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectChange {
    Added,
    Removed,
    Changed,
}

impl ObjectChange {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectChange::Added => "added",
            ObjectChange::Removed => "removed",
            ObjectChange::Changed => "changed",
        }
    }
}

/// What kind of object changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum ObjectKind {
    NetworkPolicy,
    /// A service's entry in the label contract (`labels.yaml`): the labels and named
    /// ports its pods must carry.
    #[serde(rename = "LabelContract")]
    Contract,
}

/// A NetworkPolicy, or a service's label-contract entry, that is not the same on both
/// sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectDiff {
    pub kind: ObjectKind,
    pub namespace: String,
    /// The policy's name, or the service's.
    pub name: String,
    pub change: ObjectChange,
    /// Whether it selects an end of a changed connection (on either side) in the
    /// direction of that connection: `false` means it changed without any change in
    /// connectivity.
    pub connectivity: bool,
}

impl ObjectDiff {
    /// ` (label contract)` for contract entries, nothing for policies.
    fn kind_suffix(&self) -> &'static str {
        match self.kind {
            ObjectKind::NetworkPolicy => "",
            ObjectKind::Contract => " (label contract)",
        }
    }
}

/// Policy objects by (namespace, name).
pub type PolicyKeys = BTreeSet<(String, String)>;

/// For each changed line (`changes.added`, then `changes.removed`), the policies on
/// either side that isolate either of its ends: found once, for both [`objects`] and
/// [`through_labels`].
pub fn involved(old: &Evaluated, new: &Evaluated, changes: &ConnDiff) -> Vec<PolicyKeys> {
    changes
        .added
        .iter()
        .chain(&changes.removed)
        .map(|line| {
            let mut keys = PolicyKeys::new();
            for side in [old, new] {
                keys.extend(policies_of(side, line));
            }
            keys
        })
        .collect()
}

/// Every policy object added, removed or changed, and whether it selects an end of a
/// changed connection (`involved`, from [`involved`]).
pub fn objects(
    old: &Evaluated,
    new: &Evaluated,
    changes: &ConnDiff,
    involved: &[PolicyKeys],
) -> Vec<ObjectDiff> {
    let touched: BTreeSet<&(String, String)> = involved.iter().flatten().collect();
    let mut out = Vec::new();
    for (&(namespace, name), change) in changed_keys(old.objects(), new.objects()) {
        let key = (namespace.to_owned(), name.to_owned());
        out.push(ObjectDiff {
            kind: ObjectKind::NetworkPolicy,
            connectivity: touched.contains(&key),
            namespace: key.0,
            name: key.1,
            change,
        });
    }
    let (old, new) = (old.side, new.side);
    // The label contract: a service whose pods must now carry other labels or ports
    // is a change for whoever deploys it, even when connectivity stays the same.
    let ends: BTreeSet<&str> = changes
        .added
        .iter()
        .chain(&changes.removed)
        .flat_map(|l| [l.src.as_str(), l.dst.as_str()])
        .collect();
    let entries = |side: &'_ Side| {
        side.contract
            .services
            .iter()
            .map(|s| ((s.namespace.clone(), s.service.clone()), s.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    let (before, after) = (entries(old), entries(new));
    for (key, change) in changed_keys(&before, &after) {
        out.push(ObjectDiff {
            kind: ObjectKind::Contract,
            namespace: key.0.clone(),
            name: key.1.clone(),
            change,
            connectivity: ends.contains(format!("{}/{}", key.0, key.1).as_str()),
        });
    }
    out
}

/// The changed connections that no changed policy object explains but a `needs-*`
/// label of the source does (it appeared on an added line's source, or disappeared
/// from a removed line's): by (`+` or `-`, source, destination), the label. A reviewer
/// of the policy YAML alone would not see these: only `labels.yaml` changed for them.
/// `objects` is [`objects`]' report and `involved` [`involved`]'s, one set per line.
pub fn through_labels(
    old: &Evaluated,
    new: &Evaluated,
    changes: &ConnDiff,
    objects: &[ObjectDiff],
    involved: &[PolicyKeys],
) -> BTreeMap<(char, String, String), String> {
    if changes.is_empty() {
        return BTreeMap::new();
    }
    let changed: BTreeSet<(&str, &str)> = objects
        .iter()
        .filter(|o| o.kind == ObjectKind::NetworkPolicy)
        .map(|o| (o.namespace.as_str(), o.name.as_str()))
        .collect();
    let (needs_before, needs_after) = (needs_of(old.side), needs_of(new.side));
    let none = BTreeSet::new();
    let mut out = BTreeMap::new();
    let signed = changes
        .added
        .iter()
        .map(|line| ('+', line))
        .chain(changes.removed.iter().map(|line| ('-', line)));
    for ((sign, line), keys) in signed.zip(involved) {
        if keys
            .iter()
            .any(|(ns, name)| changed.contains(&(ns.as_str(), name.as_str())))
        {
            continue;
        }
        let (before, after) = (
            needs_before.get(&line.src).unwrap_or(&none),
            needs_after.get(&line.src).unwrap_or(&none),
        );
        let moved: Vec<&String> = if sign == '+' {
            after.difference(before).collect()
        } else {
            before.difference(after).collect()
        };
        // The label named after the destination (`needs-btrdb` for `grid/btrdb`
        // from grid, `needs-grid.btrdb` from elsewhere); for addresses, the one
        // label that moved.
        let is_pod = [old, new]
            .iter()
            .any(|side| side.workload(&line.dst).is_some());
        let label = match line.dst.split_once('/') {
            Some((ns, service)) if is_pod => {
                let same = line
                    .src
                    .split_once('/')
                    .is_some_and(|(src_ns, _)| src_ns == ns);
                let wanted = if same {
                    format!("needs-{service}")
                } else {
                    format!("needs-{ns}.{service}")
                };
                moved.iter().find(|l| ***l == wanted).map(|l| (*l).clone())
            }
            _ => (moved.len() == 1).then(|| moved[0].clone()),
        };
        if let Some(label) = label {
            out.insert((sign, line.src.clone(), line.dst.clone()), label);
        }
    }
    out
}

/// The `needs-*` labels of each service of `side` by `namespace/service`. The first
/// entry of a name counts, as a search from the front would find.
fn needs_of(side: &Side) -> BTreeMap<String, BTreeSet<String>> {
    let mut by_name: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in &side.contract.services {
        by_name
            .entry(format!("{}/{}", s.namespace, s.service))
            .or_insert_with(|| {
                s.labels
                    .keys()
                    .filter(|k| k.starts_with("needs-"))
                    .cloned()
                    .collect()
            });
    }
    by_name
}

/// The policies that isolate either end of `line` on `side` (by namespace and name).
fn policies_of(side: &Evaluated, line: &Line) -> Vec<(String, String)> {
    let analysis = &side.analysis;
    let find = |name: &str| side.workload(name).map(Endpoint::Workload);
    let outside = Endpoint::Ip(std::net::IpAddr::from([0, 0, 0, 0]));
    let mut out = Vec::new();
    if let Some(src) = find(&line.src) {
        let e = analysis.explain(src, outside, Protocol::Tcp, 1);
        out.extend(
            e.egress
                .isolating
                .into_iter()
                .map(|p| (p.namespace, p.name)),
        );
    }
    if let Some(dst) = find(&line.dst) {
        let e = analysis.explain(outside, dst, Protocol::Tcp, 1);
        out.extend(
            e.ingress
                .isolating
                .into_iter()
                .map(|p| (p.namespace, p.name)),
        );
    }
    out
}

/// The keys of either map whose entry was added, removed or changed, in key order.
fn changed_keys<'a, K: Ord, V: PartialEq>(
    before: &'a BTreeMap<K, V>,
    after: &'a BTreeMap<K, V>,
) -> Vec<(&'a K, ObjectChange)> {
    let keys: BTreeSet<&K> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter_map(|key| match (before.get(key), after.get(key)) {
            (None, Some(_)) => Some((key, ObjectChange::Added)),
            (Some(_), None) => Some((key, ObjectChange::Removed)),
            (Some(a), Some(b)) if a != b => Some((key, ObjectChange::Changed)),
            _ => None,
        })
        .collect()
}

/// The whole report of one `netpc diff`.
#[derive(Clone, Debug)]
pub struct Report {
    pub old: String,
    pub new: String,
    pub connections: ConnDiff,
    pub objects: Vec<ObjectDiff>,
    /// Connections changed only through a `needs-*` label ([`through_labels`]).
    pub labels: BTreeMap<(char, String, String), String>,
}

impl Report {
    /// ` (granted through the label `L`; no policy object changed)` for a line that
    /// changed only through a label, else nothing.
    fn label_note(&self, sign: char, line: &Line) -> String {
        let key = (sign, line.src.clone(), line.dst.clone());
        match self.labels.get(&key) {
            Some(label) => format!(
                " ({} through the label `{label}`; no policy object changed)",
                if sign == '+' { "granted" } else { "revoked" }
            ),
            None => String::new(),
        }
    }

    /// Whether anything differs (connections or objects).
    pub fn differs(&self) -> bool {
        !self.connections.is_empty() || !self.objects.is_empty()
    }

    fn quiet_objects(&self) -> impl Iterator<Item = &ObjectDiff> {
        self.objects.iter().filter(|o| !o.connectivity)
    }

    /// `+ src -> dst conns` lines, removed and added merged in order.
    fn merged_lines(&self) -> Vec<(char, &Line)> {
        let mut lines: Vec<(char, &Line)> = self
            .connections
            .removed
            .iter()
            .map(|l| ('-', l))
            .chain(self.connections.added.iter().map(|l| ('+', l)))
            .collect();
        lines.sort_by(|a, b| (&a.1.src, &a.1.dst, a.0).cmp(&(&b.1.src, &b.1.dst, b.0)));
        lines
    }

    /// One line per changed connection, then the objects that changed without a
    /// change in connectivity.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (sign, line) in self.merged_lines() {
            let note = self.label_note(sign, line);
            let _ = writeln!(
                out,
                "{sign} {} -> {} {}{note}",
                line.src, line.dst, line.conns
            );
        }
        let quiet: Vec<&ObjectDiff> = self.quiet_objects().collect();
        if !quiet.is_empty() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str("objects changed without a change in connectivity:\n");
            for o in quiet {
                let _ = writeln!(
                    out,
                    "  {} {}/{}{}",
                    o.change.as_str(),
                    o.namespace,
                    o.name,
                    o.kind_suffix()
                );
            }
        }
        out
    }

    pub fn json(&self) -> String {
        #[derive(Serialize)]
        struct JsonLine<'a> {
            src: &'a str,
            dst: &'a str,
            conn: String,
        }
        #[derive(Serialize)]
        struct Json<'a> {
            old: &'a str,
            new: &'a str,
            added: Vec<JsonLine<'a>>,
            removed: Vec<JsonLine<'a>>,
            objects: &'a [ObjectDiff],
        }
        fn rows(lines: &[Line]) -> Vec<JsonLine<'_>> {
            lines
                .iter()
                .map(|l| JsonLine {
                    src: &l.src,
                    dst: &l.dst,
                    conn: l.conns.to_string(),
                })
                .collect()
        }
        let json = Json {
            old: &self.old,
            new: &self.new,
            added: rows(&self.connections.added),
            removed: rows(&self.connections.removed),
            objects: &self.objects,
        };
        let mut text = serde_json::to_string_pretty(&json).unwrap_or_default();
        text.push('\n');
        text
    }

    /// A pull-request comment.
    pub fn markdown(&self) -> String {
        let mut out = String::from("### netpc diff\n\n");
        let (added, removed) = (self.connections.added.len(), self.connections.removed.len());
        let _ = writeln!(out, "`{}` → `{}`\n", self.old, self.new);
        if self.connections.is_empty() {
            out.push_str("No connection added or removed.\n");
        } else {
            let _ = writeln!(
                out,
                "**{added}** connection set{} added, **{removed}** removed:\n",
                if added == 1 { "" } else { "s" }
            );
            out.push_str("```diff\n");
            for (sign, line) in self.merged_lines() {
                let note = self.label_note(sign, line);
                let _ = writeln!(
                    out,
                    "{sign} {} -> {} {}{note}",
                    line.src, line.dst, line.conns
                );
            }
            out.push_str("```\n");
        }
        let quiet: Vec<&ObjectDiff> = self.quiet_objects().collect();
        if !quiet.is_empty() {
            let _ = writeln!(
                out,
                "\n<details><summary>{} object{} changed without a change in connectivity</summary>\n",
                quiet.len(),
                if quiet.len() == 1 { "" } else { "s" }
            );
            for o in quiet {
                let _ = writeln!(
                    out,
                    "- {} `{}/{}`{}",
                    o.change.as_str(),
                    o.namespace,
                    o.name,
                    o.kind_suffix()
                );
            }
            out.push_str("\n</details>\n");
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod tests {
    use super::*;
    use crate::analyze::PortSet;

    fn range(first: [u8; 4], last: [u8; 4]) -> Ipv4Range {
        Ipv4Range {
            first: u32::from_be_bytes(first),
            last: u32::from_be_bytes(last),
        }
    }

    fn tcp(port: u16) -> ConnSet {
        ConnSet::of(Protocol::Tcp, PortSet::range(port, port))
    }

    #[test]
    fn ranges_are_compared_on_the_pieces_both_sides_cut() {
        let mut old = Connections::default();
        old.egress
            .insert("shop/api".into(), vec![(Ipv4Range::ALL, tcp(443))]);
        let mut new = Connections::default();
        new.egress.insert(
            "shop/api".into(),
            vec![
                (range([0, 0, 0, 0], [9, 255, 255, 255]), tcp(443)),
                (range([10, 0, 0, 0], [10, 255, 255, 255]), tcp(80)),
                (range([11, 0, 0, 0], [255, 255, 255, 255]), tcp(443)),
            ],
        );
        let changes = diff(&old, &new);
        let text = |lines: &[Line]| -> Vec<String> {
            lines
                .iter()
                .map(|l| format!("{} -> {} {}", l.src, l.dst, l.conns))
                .collect()
        };
        assert_eq!(text(&changes.added), ["shop/api -> 10.0.0.0/8 TCP 80"]);
        assert_eq!(text(&changes.removed), ["shop/api -> 10.0.0.0/8 TCP 443"]);
        assert!(diff(&new, &new).is_empty());
    }

    #[test]
    fn pod_pairs_are_compared_as_connection_sets() {
        let mut old = Connections::default();
        let mut both = tcp(443);
        both.add(Protocol::Tcp, &PortSet::range(9100, 9100));
        old.pods.insert(("a/x".into(), "a/y".into()), tcp(443));
        let mut new = Connections::default();
        new.pods.insert(("a/x".into(), "a/y".into()), both);
        new.pods
            .insert(("a/y".into(), "a/x".into()), ConnSet::all());
        let changes = diff(&old, &new);
        assert!(changes.removed.is_empty());
        let added: Vec<String> = changes
            .added
            .iter()
            .map(|l| format!("{} -> {} {}", l.src, l.dst, l.conns))
            .collect();
        assert_eq!(added, ["a/x -> a/y TCP 9100", "a/y -> a/x All Connections"]);
    }
}

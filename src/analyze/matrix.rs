//! The all-pairs connectivity list: for every ordered pair of peers (workloads and
//! external IPv4 ranges) the allowed [`ConnSet`], computed per equivalence class of
//! pods: each rule's matching peers are found once, each isolated class's row is the
//! union over its rules, and the two ends are intersected per class pair before the
//! classes are expanded back to workloads. External ranges are netpol-analyzer's
//! atoms (ingress ipBlocks cut the sources, egress ipBlocks the destinations). Owns
//! that computation and [`ConnList`]; it must never print or read files.

use rustc_hash::FxHashMap;

use super::compiled_policy::{Direction, Peer, Rule};
use super::connset::ConnSet;
use super::eval::{Analysis, PeerRef};
use super::iprange::{Ipv4Range, atoms};
use super::model::WorkloadId;
use super::reach::Finder;

/// A peer of the connection list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerId {
    Workload(WorkloadId),
    /// External addresses (never pods), printed `a.b.c.d-e.f.g.h[External]`.
    External(Ipv4Range),
}

/// One line of the connection list.
#[derive(Clone, Copy, Debug)]
pub struct Connection<'a> {
    pub src: PeerId,
    pub src_name: &'a str,
    pub dst: PeerId,
    pub dst_name: &'a str,
    pub conns: &'a ConnSet,
    /// Index of `conns` in [`ConnList::conn_sets`] (equal sets share an index).
    pub conn_id: usize,
}

/// Every ordered pair of distinct peers with a non-empty allowed set, sorted by
/// (source name, destination name). Absent pairs allow nothing; a workload to itself
/// and address to address are never listed.
#[derive(Clone, Debug, Default)]
pub struct ConnList {
    peers: Vec<PeerId>,
    names: Vec<String>,
    conn_table: Vec<ConnSet>,
    /// (src peer, dst peer, index in `conn_table`), sorted.
    edges: Vec<(u32, u32, u32)>,
}

impl ConnList {
    pub fn iter(&self) -> impl Iterator<Item = Connection<'_>> + '_ {
        self.edges.iter().map(|&(s, d, c)| Connection {
            src: self.peers[s as usize],
            src_name: &self.names[s as usize],
            dst: self.peers[d as usize],
            dst_name: &self.names[d as usize],
            conns: &self.conn_table[c as usize],
            conn_id: c as usize,
        })
    }

    /// The distinct connection sets of the list; [`Connection::conn_id`] indexes it.
    pub fn conn_sets(&self) -> &[ConnSet] {
        &self.conn_table
    }
}

/// The peers a rule's `from`/`to` matches, as indices on one side (classes, then
/// atoms).
enum Matched {
    All,
    Some(Vec<u32>),
}

struct Side<'a> {
    classes: usize,
    atoms: &'a [Ipv4Range],
}

impl Side<'_> {
    fn len(&self) -> usize {
        self.classes + self.atoms.len()
    }

    fn peer(&self, i: usize) -> PeerRef {
        if i < self.classes {
            PeerRef::Class(i)
        } else {
            PeerRef::Range(self.atoms[i - self.classes])
        }
    }
}

impl Analysis<'_> {
    /// The IPv4 ranges of every ipBlock in `direction` rules of every policy.
    fn block_ranges(&self, direction: Direction) -> Vec<Ipv4Range> {
        let mut ranges = Vec::new();
        for policy in &self.policies {
            for rule in policy.rules(direction).unwrap_or_default() {
                for peer in rule.peers.iter().flatten() {
                    if let Peer::IpBlock(block) = peer {
                        ranges.extend_from_slice(&block.v4_ranges);
                    }
                }
            }
        }
        ranges
    }

    /// The peers of `side` that `rule`'s `from`/`to` matches, ascending, found through
    /// the index of [`Finder`] (never by testing every peer against every rule).
    fn matched<'a>(&'a self, rule: &'a Rule, side: &Side<'_>, finder: &mut Finder<'a>) -> Matched {
        let Some(peers) = &rule.peers else {
            return Matched::All;
        };
        let mut hits = Vec::new();
        for peer in peers {
            finder.matching(peer, &mut hits);
            if let Peer::IpBlock(_) = peer {
                for (i, &range) in side.atoms.iter().enumerate() {
                    if self.peer_matches(peer, PeerRef::Range(range)) {
                        hits.push(u32::try_from(side.classes + i).unwrap_or(u32::MAX));
                    }
                }
            }
        }
        hits.sort_unstable();
        hits.dedup();
        Matched::Some(hits)
    }

    /// Per isolated class, the union of its `direction` rules per remote peer index
    /// (`None`: not isolated), as a [`Row`]: what rules for every peer allow, and the
    /// peers other rules match. Only the peers a rule matches are touched, so the work
    /// is the size of the rows, not classes × peers.
    fn rows(&self, direction: Direction, remote: &Side<'_>) -> Vec<Option<Row>> {
        let mut finder = Finder::new(self);
        let mut cache: FxHashMap<(usize, usize), Matched> = FxHashMap::default();
        let mut dense = vec![ConnSet::empty(); remote.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut seen = vec![false; remote.len()];
        let mut out = Vec::with_capacity(self.classes.len());
        for class in &self.classes {
            let policies = match direction {
                Direction::Ingress => &class.ingress_policies,
                Direction::Egress => &class.egress_policies,
            };
            if policies.is_empty() {
                out.push(None);
                continue;
            }
            let mut every = ConnSet::empty();
            for &p in policies {
                for (r, rule) in self.policies[p]
                    .rules(direction)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                {
                    let matched = cache
                        .entry((p, r))
                        .or_insert_with(|| self.matched(rule, remote, &mut finder));
                    // Named ports resolve on the destination: the selected class for
                    // ingress, each remote peer for egress.
                    let per_peer = direction == Direction::Egress && rule.has_named_port();
                    let fixed = match direction {
                        Direction::Ingress => rule.conns(Some(&class.ports)),
                        Direction::Egress => rule.conns(None),
                    };
                    if !per_peer && fixed.is_empty() {
                        continue;
                    }
                    let mut add = |i: usize| {
                        if !seen[i] {
                            seen[i] = true;
                            touched.push(u32::try_from(i).unwrap_or(u32::MAX));
                        }
                        if per_peer {
                            let conn = rule.conns(self.dst_ports(remote.peer(i)));
                            dense[i].union_with(&conn);
                        } else {
                            dense[i].union_with(&fixed);
                        }
                    };
                    match matched {
                        Matched::All if !per_peer => every.union_with(&fixed),
                        Matched::All => (0..remote.len()).for_each(&mut add),
                        Matched::Some(list) => list.iter().for_each(|&i| add(i as usize)),
                    }
                }
            }
            touched.sort_unstable();
            let mut some = Vec::with_capacity(touched.len());
            for &i in &touched {
                seen[i as usize] = false;
                let mut conn = std::mem::take(&mut dense[i as usize]);
                conn.union_with(&every);
                if !conn.is_empty() {
                    some.push((i, conn));
                }
            }
            touched.clear();
            out.push(Some(Row { every, some }));
        }
        out
    }

    /// Who can reach whom: every ordered pair of peers with its allowed connections.
    /// Pairs are visited by destination, then source, in ascending order, but only
    /// those whose answer can be non-empty: for an isolated destination the sources
    /// of its ingress row, otherwise the sources not isolated for egress and those
    /// whose egress row names it.
    pub fn connlist(&self) -> ConnList {
        let src_atoms = atoms(&self.block_ranges(Direction::Ingress));
        let dst_atoms = atoms(&self.block_ranges(Direction::Egress));
        let classes = self.classes.len();
        let src_side = Side {
            classes,
            atoms: &src_atoms,
        };
        let dst_side = Side {
            classes,
            atoms: &dst_atoms,
        };
        let ingress_rows = self.rows(Direction::Ingress, &src_side);
        let egress_rows = self.rows(Direction::Egress, &dst_side);
        // Sources that reach every destination their rules do not name (egress not
        // isolated, an address, or a rule for every peer), and per destination the
        // isolated sources whose egress row names it.
        let mut wide: Vec<u32> = Vec::new();
        let mut naming: Vec<Vec<u32>> = vec![Vec::new(); dst_side.len()];
        for s in 0..src_side.len() {
            let s32 = u32::try_from(s).unwrap_or(u32::MAX);
            // Rows are per class: an address (s >= classes) has none.
            match egress_rows.get(s).and_then(Option::as_ref) {
                Some(row) => {
                    for (d, _) in &row.some {
                        naming[*d as usize].push(s32);
                    }
                    if !row.every.is_empty() {
                        wide.push(s32);
                    }
                }
                _ => wide.push(s32),
            }
        }
        let all = ConnSet::all();
        let egress_of = |s: u32, d: usize| -> &ConnSet {
            egress_rows
                .get(s as usize)
                .and_then(Option::as_ref)
                .map_or(&all, |row| row.get(d))
        };
        let mut interner = Interner::default();
        let mut class_edges: Vec<(u32, u32, u32)> = Vec::new();
        let mut candidates: Vec<u32> = Vec::new();
        for (d, named) in naming.iter().enumerate() {
            let d32 = u32::try_from(d).unwrap_or(u32::MAX);
            // Addresses (d >= classes) are never isolated.
            let mut visit = |s: u32, ingress: &ConnSet| {
                if ((s as usize) < classes || d < classes)
                    && let Some(id) = interner.meet(egress_of(s, d), ingress)
                {
                    class_edges.push((s, d32, id));
                }
            };
            match ingress_rows.get(d).and_then(Option::as_ref) {
                Some(row) if row.every.is_empty() => {
                    for (s, ingress) in &row.some {
                        visit(*s, ingress);
                    }
                }
                row => {
                    // Any source may be let in: those whose egress can reach d.
                    candidates.clear();
                    candidates.extend_from_slice(&wide);
                    candidates.extend_from_slice(named);
                    candidates.sort_unstable();
                    candidates.dedup();
                    for &s in &candidates {
                        visit(s, row.map_or(&all, |r| r.get(s as usize)));
                    }
                }
            }
        }
        self.expand(class_edges, interner.table, &src_atoms, &dst_atoms)
    }

    /// Class-level edges to workload-level, named and sorted.
    fn expand(
        &self,
        class_edges: Vec<(u32, u32, u32)>,
        conn_table: Vec<ConnSet>,
        src_atoms: &[Ipv4Range],
        dst_atoms: &[Ipv4Range],
    ) -> ConnList {
        let workloads = self.cluster.workloads();
        let mut peers: Vec<PeerId> = (0..workloads.len()).map(PeerId::Workload).collect();
        let mut names: Vec<String> = workloads.iter().map(ToString::to_string).collect();
        let mut atom_ids: FxHashMap<Ipv4Range, u32> = FxHashMap::default();
        for range in src_atoms.iter().chain(dst_atoms) {
            atom_ids.entry(*range).or_insert_with(|| {
                peers.push(PeerId::External(*range));
                names.push(format!("{range}[External]"));
                u32::try_from(peers.len() - 1).unwrap_or(u32::MAX)
            });
        }
        let classes = self.classes.len();
        let members = |i: u32, atoms: &[Ipv4Range]| -> Vec<u32> {
            let i = i as usize;
            if i < classes {
                self.classes[i]
                    .workloads
                    .iter()
                    .map(|&w| w as u32)
                    .collect()
            } else {
                atom_ids
                    .get(&atoms[i - classes])
                    .copied()
                    .into_iter()
                    .collect()
            }
        };
        let mut edges = Vec::new();
        for (s, d, conn) in class_edges {
            let dsts = members(d, dst_atoms);
            for src in members(s, src_atoms) {
                for &dst in &dsts {
                    if src != dst {
                        edges.push((src, dst, conn));
                    }
                }
            }
        }
        let mut order: Vec<u32> = (0..peers.len() as u32).collect();
        order.sort_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
        let mut rank = vec![0u32; peers.len()];
        for (r, &p) in order.iter().enumerate() {
            rank[p as usize] = r as u32;
        }
        edges.sort_unstable_by_key(|&(s, d, _)| (rank[s as usize], rank[d as usize]));
        ConnList {
            peers,
            names,
            conn_table,
            edges,
        }
    }
}

/// What one isolated class allows toward (or from) each remote peer: `every` (its
/// rules for every peer) for a peer not in `some`, else the entry of `some` (sorted by
/// peer, `every` included).
struct Row {
    every: ConnSet,
    some: Vec<(u32, ConnSet)>,
}

impl Row {
    fn get(&self, peer: usize) -> &ConnSet {
        let peer = u32::try_from(peer).unwrap_or(u32::MAX);
        match self.some.binary_search_by_key(&peer, |(i, _)| *i) {
            Ok(at) => &self.some[at].1,
            Err(_) => &self.every,
        }
    }
}

/// Connection sets, each stored once, by id: most pairs share a handful of sets.
#[derive(Default)]
struct Interner {
    table: Vec<ConnSet>,
    ids: FxHashMap<ConnSet, u32>,
}

impl Interner {
    /// The id of what both ends allow, or `None` when that is nothing. Most pairs have
    /// one unrestricted end: then there is no intersection and no allocation.
    fn meet(&mut self, egress: &ConnSet, ingress: &ConnSet) -> Option<u32> {
        let both;
        let conn = if egress.is_all() {
            ingress
        } else if ingress.is_all() {
            egress
        } else {
            both = egress.intersect(ingress);
            &both
        };
        if conn.is_empty() {
            return None;
        }
        if let Some(&id) = self.ids.get(conn) {
            return Some(id);
        }
        let id = u32::try_from(self.table.len()).unwrap_or(u32::MAX);
        self.table.push(conn.clone());
        self.ids.insert(conn.clone(), id);
        Some(id)
    }
}

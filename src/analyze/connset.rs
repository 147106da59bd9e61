//! Connection sets: for each protocol (SCTP, TCP, UDP) a set of destination ports
//! 1-65535 kept as sorted, disjoint, maximal intervals, with union, intersection and
//! the netpol-analyzer text form (`All Connections`, `TCP 80,8080-8090,UDP 53`).
//! Owns only this arithmetic and its printing; it must never know about policies,
//! pods or namespaces.

use std::fmt;

/// A transport protocol a NetworkPolicy can name. The order (SCTP < TCP < UDP) is the
/// print order of netpol-analyzer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Sctp,
    Tcp,
    Udp,
}

impl Protocol {
    /// The three protocols, in print order.
    pub const ALL: [Protocol; 3] = [Protocol::Sctp, Protocol::Tcp, Protocol::Udp];

    /// The API spelling (`TCP`, `UDP`, `SCTP`), case-sensitive as the API server is.
    pub fn parse(text: &str) -> Option<Protocol> {
        match text {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Sctp => "SCTP",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The lowest and highest port of every protocol.
pub const MIN_PORT: u16 = 1;
pub const MAX_PORT: u16 = 65535;

/// A set of ports: sorted, disjoint, non-adjacent inclusive intervals within 1-65535.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PortSet {
    ranges: Vec<(u16, u16)>,
}

impl PortSet {
    pub fn empty() -> PortSet {
        PortSet { ranges: Vec::new() }
    }

    pub fn all() -> PortSet {
        PortSet {
            ranges: vec![(MIN_PORT, MAX_PORT)],
        }
    }

    /// The ports `lo..=hi`, clamped to 1-65535 (empty when `lo > hi`).
    pub fn range(lo: u16, hi: u16) -> PortSet {
        let lo = lo.max(MIN_PORT);
        if lo > hi {
            return PortSet::empty();
        }
        PortSet {
            ranges: vec![(lo, hi)],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn is_all(&self) -> bool {
        self.ranges == [(MIN_PORT, MAX_PORT)]
    }

    pub fn contains(&self, port: u16) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= port && port <= hi)
    }

    /// The intervals, ascending.
    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges
    }

    pub fn union_with(&mut self, other: &PortSet) {
        if other.ranges.is_empty() || self.is_all() {
            return;
        }
        if self.ranges.is_empty() || other.is_all() {
            self.ranges.clone_from(&other.ranges);
            return;
        }
        let mut all: Vec<(u16, u16)> = Vec::with_capacity(self.ranges.len() + other.ranges.len());
        all.extend_from_slice(&self.ranges);
        all.extend_from_slice(&other.ranges);
        all.sort_unstable();
        let mut merged: Vec<(u16, u16)> = Vec::with_capacity(all.len());
        for (lo, hi) in all {
            match merged.last_mut() {
                Some(last) if u32::from(lo) <= u32::from(last.1) + 1 => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        self.ranges = merged;
    }

    pub fn intersect(&self, other: &PortSet) -> PortSet {
        if self.is_all() {
            return other.clone();
        }
        if other.is_all() {
            return self.clone();
        }
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.ranges.len() && j < other.ranges.len() {
            let (a_lo, a_hi) = self.ranges[i];
            let (b_lo, b_hi) = other.ranges[j];
            let lo = a_lo.max(b_lo);
            let hi = a_hi.min(b_hi);
            if lo <= hi {
                out.push((lo, hi));
            }
            if a_hi < b_hi {
                i += 1;
            } else {
                j += 1;
            }
        }
        PortSet { ranges: out }
    }
}

impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(lo, hi)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if lo == hi {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        Ok(())
    }
}

/// The allowed connections between two peers: one [`PortSet`] per protocol.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ConnSet {
    ports: [PortSet; 3],
}

impl ConnSet {
    /// No connection.
    pub fn empty() -> ConnSet {
        ConnSet::default()
    }

    /// Every port of every protocol.
    pub fn all() -> ConnSet {
        ConnSet {
            ports: [PortSet::all(), PortSet::all(), PortSet::all()],
        }
    }

    /// The given ports of one protocol.
    pub fn of(protocol: Protocol, ports: PortSet) -> ConnSet {
        let mut set = ConnSet::empty();
        set.ports[protocol.index()] = ports;
        set
    }

    pub fn is_empty(&self) -> bool {
        self.ports.iter().all(PortSet::is_empty)
    }

    pub fn is_all(&self) -> bool {
        self.ports.iter().all(PortSet::is_all)
    }

    pub fn ports(&self, protocol: Protocol) -> &PortSet {
        &self.ports[protocol.index()]
    }

    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        self.ports[protocol.index()].contains(port)
    }

    pub fn add(&mut self, protocol: Protocol, ports: &PortSet) {
        self.ports[protocol.index()].union_with(ports);
    }

    pub fn union_with(&mut self, other: &ConnSet) {
        for (mine, theirs) in self.ports.iter_mut().zip(&other.ports) {
            mine.union_with(theirs);
        }
    }

    pub fn intersect(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            ports: [
                self.ports[0].intersect(&other.ports[0]),
                self.ports[1].intersect(&other.ports[1]),
                self.ports[2].intersect(&other.ports[2]),
            ],
        }
    }
}

/// netpol-analyzer's text: `All Connections`, `No Connections`, or the non-empty
/// protocols in order SCTP, TCP, UDP, each followed by its port intervals.
impl fmt::Display for ConnSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        let mut first = true;
        for protocol in Protocol::ALL {
            let ports = self.ports(protocol);
            if ports.is_empty() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{protocol} {ports}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
mod tests {
    use super::*;

    #[test]
    fn union_merges_adjacent_and_overlapping_intervals() {
        let mut set = PortSet::range(80, 80);
        set.union_with(&PortSet::range(81, 90));
        set.union_with(&PortSet::range(100, 200));
        set.union_with(&PortSet::range(150, 300));
        assert_eq!(set.ranges(), &[(80, 90), (100, 300)]);
    }

    #[test]
    fn intersection_keeps_common_parts() {
        let mut a = PortSet::range(1, 10);
        a.union_with(&PortSet::range(20, 30));
        let b = PortSet::range(5, 25);
        assert_eq!(a.intersect(&b).ranges(), &[(5, 10), (20, 25)]);
    }

    #[test]
    fn prints_like_netpol_analyzer() {
        let mut conn = ConnSet::of(Protocol::Udp, PortSet::range(1, 5352));
        conn.add(Protocol::Udp, &PortSet::range(5354, 65535));
        conn.add(Protocol::Tcp, &PortSet::all());
        conn.add(Protocol::Sctp, &PortSet::all());
        assert_eq!(
            conn.to_string(),
            "SCTP 1-65535,TCP 1-65535,UDP 1-5352,5354-65535"
        );
        conn.add(Protocol::Udp, &PortSet::range(5353, 5353));
        assert_eq!(conn.to_string(), "All Connections");
        assert_eq!(ConnSet::empty().to_string(), "No Connections");
    }
}

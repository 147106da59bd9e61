//! IPv4 address ranges for the connlist's external peers: an `ipBlock` (cidr minus
//! excepts) as maximal intervals, and the partition of the IPv4 space into "atoms"
//! cut at every interval boundary (netpol-analyzer's external peers). Owns only
//! address arithmetic; it must never evaluate policies.

use std::fmt;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

/// An inclusive range of IPv4 addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Range {
    pub first: u32,
    pub last: u32,
}

impl Ipv4Range {
    /// Every IPv4 address.
    pub const ALL: Ipv4Range = Ipv4Range {
        first: 0,
        last: u32::MAX,
    };

    pub fn of_net(net: &Ipv4Net) -> Ipv4Range {
        Ipv4Range {
            first: u32::from(net.network()),
            last: u32::from(net.broadcast()),
        }
    }

    pub fn contains_range(&self, other: &Ipv4Range) -> bool {
        self.first <= other.first && other.last <= self.last
    }

    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        let addr = u32::from(addr);
        self.first <= addr && addr <= self.last
    }
}

impl fmt::Display for Ipv4Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            Ipv4Addr::from(self.first),
            Ipv4Addr::from(self.last)
        )
    }
}

/// `cidr` minus every `except`, as ascending disjoint ranges.
pub fn block_ranges(cidr: &Ipv4Net, except: &[Ipv4Net]) -> Vec<Ipv4Range> {
    subtract(
        vec![Ipv4Range::of_net(cidr)],
        except.iter().map(Ipv4Range::of_net),
    )
}

/// Ascending disjoint `ranges` with every address of `holes` removed; the result is
/// ascending and disjoint too.
pub fn subtract(
    mut ranges: Vec<Ipv4Range>,
    holes: impl IntoIterator<Item = Ipv4Range>,
) -> Vec<Ipv4Range> {
    for hole in holes {
        let mut next = Vec::with_capacity(ranges.len() + 1);
        for range in ranges {
            if hole.last < range.first || hole.first > range.last {
                next.push(range);
                continue;
            }
            if hole.first > range.first {
                next.push(Ipv4Range {
                    first: range.first,
                    last: hole.first - 1,
                });
            }
            if hole.last < range.last {
                next.push(Ipv4Range {
                    first: hole.last + 1,
                    last: range.last,
                });
            }
        }
        ranges = next;
    }
    ranges
}

/// The partition of 0.0.0.0-255.255.255.255 cut at the start and after the end of
/// every given range. Each given range is then a union of whole atoms.
pub fn atoms<'a>(ranges: impl IntoIterator<Item = &'a Ipv4Range>) -> Vec<Ipv4Range> {
    // Cut points: an atom starts at each of them. u64 so that "after 255.255.255.255"
    // is representable and then dropped.
    let mut cuts: Vec<u64> = vec![0];
    for range in ranges {
        cuts.push(u64::from(range.first));
        cuts.push(u64::from(range.last) + 1);
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.retain(|&cut| cut <= u64::from(u32::MAX));
    let mut out = Vec::with_capacity(cuts.len());
    for (i, &start) in cuts.iter().enumerate() {
        let end = cuts
            .get(i + 1)
            .map_or(u64::from(u32::MAX), |&next| next - 1);
        out.push(Ipv4Range {
            first: u32::try_from(start).unwrap_or(u32::MAX),
            last: u32::try_from(end).unwrap_or(u32::MAX),
        });
    }
    out
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

    fn net(text: &str) -> Ipv4Net {
        text.parse().unwrap()
    }

    #[test]
    fn except_cuts_holes() {
        let ranges = block_ranges(
            &net("10.0.0.0/8"),
            &[net("10.1.0.0/16"), net("10.0.0.0/16")],
        );
        let text: Vec<String> = ranges.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["10.2.0.0-10.255.255.255"]);
    }

    #[test]
    fn a_hole_at_either_end_of_a_range_removes_that_address() {
        let ranges = block_ranges(
            &net("10.0.0.0/24"),
            &[net("10.0.0.255/32"), net("10.0.0.0/32")],
        );
        let text: Vec<String> = ranges.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["10.0.0.1-10.0.0.254"]);
    }

    #[test]
    fn atoms_partition_the_space() {
        let blocks = block_ranges(&net("10.0.0.0/8"), &[net("10.1.0.0/16")]);
        let text: Vec<String> = atoms(&blocks).iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "0.0.0.0-9.255.255.255",
                "10.0.0.0-10.0.255.255",
                "10.1.0.0-10.1.255.255",
                "10.2.0.0-10.255.255.255",
                "11.0.0.0-255.255.255.255",
            ]
        );
        assert_eq!(atoms(&[]), vec![Ipv4Range::ALL]);
        assert_eq!(atoms(&[Ipv4Range::ALL]), vec![Ipv4Range::ALL]);
    }
}

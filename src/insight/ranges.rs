//! Set arithmetic that `diff` and `graph` need on top of the evaluator's types: the
//! difference of two connection sets, and IPv4 address ranges merged and printed as
//! CIDRs (`3.5.0.0/19, 52.216.0.0/15`, or `0.0.0.0/0 except 10.0.0.0/8` when that is
//! shorter). Pure arithmetic: it never evaluates policies.

use std::net::Ipv4Addr;

use crate::analyze::{ConnSet, Ipv4Range, PortSet, Protocol};

/// The connections in `a` and not in `b`.
pub fn subtract(a: &ConnSet, b: &ConnSet) -> ConnSet {
    let mut out = ConnSet::empty();
    for protocol in Protocol::ALL {
        let mut left = PortSet::empty();
        let theirs = b.ports(protocol).ranges();
        for &(lo, hi) in a.ports(protocol).ranges() {
            let mut start = u32::from(lo);
            for &(b_lo, b_hi) in theirs {
                let (b_lo, b_hi) = (u32::from(b_lo), u32::from(b_hi));
                if b_hi < start || b_lo > u32::from(hi) {
                    continue;
                }
                if b_lo > start {
                    left.union_with(&port_range(start, b_lo - 1));
                }
                start = b_hi + 1;
            }
            if start <= u32::from(hi) {
                left.union_with(&port_range(start, u32::from(hi)));
            }
        }
        out.add(protocol, &left);
    }
    out
}

fn port_range(lo: u32, hi: u32) -> PortSet {
    PortSet::range(
        u16::try_from(lo).unwrap_or(u16::MAX),
        u16::try_from(hi).unwrap_or(u16::MAX),
    )
}

/// Sorts ranges and merges overlapping or adjacent ones.
pub fn merge(mut ranges: Vec<Ipv4Range>) -> Vec<Ipv4Range> {
    ranges.sort();
    let mut out: Vec<Ipv4Range> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match out.last_mut() {
            Some(last) if u64::from(range.first) <= u64::from(last.last) + 1 => {
                last.last = last.last.max(range.last);
            }
            _ => out.push(range),
        }
    }
    out
}

/// The IPv4 addresses of CIDRs minus excepts (IPv6 networks are skipped), merged.
pub fn ipv4_ranges(cidrs: &[ipnet::IpNet], except: &[ipnet::IpNet]) -> Vec<Ipv4Range> {
    let of = |net: &ipnet::IpNet| match net {
        ipnet::IpNet::V4(v4) => Some(Ipv4Range::of_net(v4)),
        ipnet::IpNet::V6(_) => None,
    };
    crate::analyze::subtract_ranges(
        merge(cidrs.iter().filter_map(of).collect()),
        except.iter().filter_map(of),
    )
}

/// The smallest list of CIDRs covering exactly one range.
fn range_cidrs(range: Ipv4Range, out: &mut Vec<String>) {
    let mut start = u64::from(range.first);
    let end = u64::from(range.last);
    while start <= end {
        // The largest block aligned at `start` that fits before `end`.
        let mut size: u64 = if start == 0 {
            1 << 32
        } else {
            1 << start.trailing_zeros().min(32)
        };
        while start + size - 1 > end {
            size >>= 1;
        }
        let prefix = 32 - size.trailing_zeros();
        out.push(format!(
            "{}/{prefix}",
            Ipv4Addr::from(u32::try_from(start).unwrap_or(u32::MAX))
        ));
        start += size;
    }
}

/// CIDR text of merged ranges: the plain list, or `0.0.0.0/0 except ...` when listing
/// the holes is shorter.
pub fn range_set_text(ranges: &[Ipv4Range]) -> String {
    let merged = merge(ranges.to_vec());
    let mut direct = Vec::new();
    for &range in &merged {
        range_cidrs(range, &mut direct);
    }
    let mut holes = Vec::new();
    let mut next: u64 = 0;
    for range in &merged {
        if u64::from(range.first) > next {
            holes.push(Ipv4Range {
                first: u32::try_from(next).unwrap_or(u32::MAX),
                last: range.first - 1,
            });
        }
        next = u64::from(range.last) + 1;
    }
    if next <= u64::from(u32::MAX) {
        holes.push(Ipv4Range {
            first: u32::try_from(next).unwrap_or(u32::MAX),
            last: u32::MAX,
        });
    }
    let mut complement = Vec::new();
    for &hole in &holes {
        range_cidrs(hole, &mut complement);
    }
    if complement.len() + 1 < direct.len() {
        format!("0.0.0.0/0 except {}", complement.join(", "))
    } else {
        direct.join(", ")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod tests {
    use super::*;

    fn r(first: &str, last: &str) -> Ipv4Range {
        Ipv4Range {
            first: u32::from(first.parse::<Ipv4Addr>().unwrap()),
            last: u32::from(last.parse::<Ipv4Addr>().unwrap()),
        }
    }

    #[test]
    fn cidr_lists_and_except_form() {
        assert_eq!(
            range_set_text(&[
                r("52.216.0.0", "52.217.255.255"),
                r("3.5.0.0", "3.5.31.255")
            ]),
            "3.5.0.0/19, 52.216.0.0/15"
        );
        assert_eq!(range_set_text(&[Ipv4Range::ALL]), "0.0.0.0/0");
        let internet = [
            r("0.0.0.0", "9.255.255.255"),
            r("11.0.0.0", "172.15.255.255"),
            r("172.32.0.0", "192.167.255.255"),
            r("192.169.0.0", "255.255.255.255"),
        ];
        assert_eq!(
            range_set_text(&internet),
            "0.0.0.0/0 except 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16"
        );
        assert_eq!(
            range_set_text(&[r("10.0.0.1", "10.0.0.2")]),
            "10.0.0.1/32, 10.0.0.2/32"
        );
    }

    #[test]
    fn subtract_removes_ports_per_protocol() {
        let mut a = ConnSet::of(Protocol::Tcp, PortSet::range(1, 100));
        a.add(Protocol::Udp, &PortSet::range(53, 53));
        let b = ConnSet::of(Protocol::Tcp, PortSet::range(10, 20));
        assert_eq!(subtract(&a, &b).to_string(), "TCP 1-9,21-100,UDP 53");
        assert!(subtract(&b, &a).is_empty());
        assert_eq!(
            subtract(&ConnSet::all(), &ConnSet::empty()).to_string(),
            "All Connections"
        );
    }
}

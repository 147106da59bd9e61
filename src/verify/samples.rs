//! Sample addresses outside the cluster that `verify` checks externals with: for every
//! CIDR of every external its first and last address not excepted, an address inside
//! every `except`, and one IPv4 and one IPv6 address outside every external. Only
//! address arithmetic on the IR's externals; it must never evaluate anything.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::ir::Program;

/// Addresses tried, in order, as "outside every external" (documentation ranges first).
const OUTSIDE: [IpAddr; 6] = [
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
    IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)),
    IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8)),
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0xf, 0, 0, 0, 0, 1)),
    IpAddr::V6(Ipv6Addr::new(0x2606, 0x4700, 0, 0, 0, 0, 0, 1)),
    IpAddr::V6(Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 1)),
];

/// The sample addresses of a program, sorted, without duplicates.
pub fn addresses(program: &Program) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for external in &program.externals {
        let excepted = |ip: IpAddr| external.except.iter().any(|e| e.contains(&ip));
        for cidr in &external.cidrs {
            // Candidates: the network's ends and the addresses next to each except.
            let mut candidates = vec![cidr.network(), cidr.broadcast()];
            for except in external.except.iter().filter(|e| cidr.contains(*e)) {
                candidates.extend(step(except.network(), -1));
                candidates.extend(step(except.broadcast(), 1));
                out.push(except.network());
            }
            let inside: Vec<IpAddr> = candidates
                .into_iter()
                .filter(|ip| cidr.contains(ip) && !excepted(*ip))
                .collect();
            if let Some(first) = inside.iter().min() {
                out.push(*first);
            }
            if let Some(last) = inside.iter().max() {
                out.push(*last);
            }
        }
    }
    let covered = |ip: &IpAddr| {
        program.externals.iter().any(|x| {
            x.cidrs.iter().any(|c| c.contains(ip)) && !x.except.iter().any(|e| e.contains(ip))
        })
    };
    for v6 in [false, true] {
        if let Some(ip) = OUTSIDE.iter().find(|ip| ip.is_ipv6() == v6 && !covered(ip)) {
            out.push(*ip);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The address one below or above `ip`, if any.
fn step(ip: IpAddr, by: i8) -> Option<IpAddr> {
    match ip {
        IpAddr::V4(v4) => {
            let n = u32::from(v4);
            let n = if by < 0 {
                n.checked_sub(1)?
            } else {
                n.checked_add(1)?
            };
            Some(IpAddr::V4(Ipv4Addr::from(n)))
        }
        IpAddr::V6(v6) => {
            let n = u128::from(v6);
            let n = if by < 0 {
                n.checked_sub(1)?
            } else {
                n.checked_add(1)?
            };
            Some(IpAddr::V6(Ipv6Addr::from(n)))
        }
    }
}

//! Sample addresses outside the cluster that `verify` checks externals with: for every
//! CIDR of every external its first and last address and the addresses just outside
//! each of its `except`s (those not excepted themselves), the first address of every
//! `except`, and one IPv4 and one IPv6 address outside every external. Only
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
            out.extend(
                candidates
                    .into_iter()
                    .filter(|ip| cidr.contains(ip) && !excepted(*ip)),
            );
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

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod tests {
    use super::*;
    use crate::ir::{ExemptLabel, External, IdentityStyle};
    use crate::source::{FileId, Span};

    fn program(externals: Vec<(&str, &[&str], &[&str])>) -> Program {
        let span = Span::new(FileId(0), 0, 0);
        Program {
            namespaces: Vec::new(),
            services: Vec::new(),
            externals: externals
                .into_iter()
                .map(|(name, cidrs, except)| External {
                    name: name.to_owned(),
                    namespace: None,
                    cidrs: cidrs.iter().map(|c| c.parse().unwrap()).collect(),
                    except: except.iter().map(|c| c.parse().unwrap()).collect(),
                    span,
                })
                .collect(),
            needs: Vec::new(),
            isolations: Vec::new(),
            identity: IdentityStyle::Labels,
            exempt: ExemptLabel::default(),
            guard: None,
            cni: None,
            cluster: Default::default(),
        }
    }

    fn strings(ips: Vec<IpAddr>) -> Vec<String> {
        ips.into_iter().map(|ip| ip.to_string()).collect()
    }

    #[test]
    fn ends_of_each_cidr_an_address_in_each_except_and_one_outside() {
        let p = program(vec![
            ("s3", &["3.5.0.0/19"], &[]),
            ("lan", &["10.0.0.0/8"], &["10.0.0.0/24"]),
        ]);
        assert_eq!(
            strings(addresses(&p)),
            [
                "3.5.0.0",
                "3.5.31.255",
                "10.0.0.0",
                "10.0.1.0",
                "10.255.255.255",
                "192.0.2.1",
                "2001:db8:f::1"
            ]
        );
    }

    #[test]
    fn the_outside_address_avoids_every_external() {
        let p = program(vec![("internet", &["0.0.0.0/0"], &["192.0.2.0/24"])]);
        let found = strings(addresses(&p));
        // 192.0.2.1 is outside `internet` (excepted), so it is the outside sample.
        assert!(found.contains(&"192.0.2.1".to_owned()), "{found:?}");
        assert!(found.contains(&"192.0.1.255".to_owned()), "{found:?}");
        assert!(found.contains(&"192.0.3.0".to_owned()), "{found:?}");
    }

    /// IPv6 as IPv4: the addresses just below and just above an `except`, and an
    /// outside address past the ones the external covers.
    #[test]
    fn an_ipv6_except_is_sampled_on_both_sides() {
        let p = program(vec![("v6", &["2001:db8::/32"], &["2001:db8:1::/48"])]);
        assert_eq!(
            strings(addresses(&p)),
            [
                "192.0.2.1",
                "2001:db8::",
                "2001:db8:0:ffff:ffff:ffff:ffff:ffff",
                "2001:db8:1::",
                "2001:db8:2::",
                "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                "2606:4700::1"
            ]
        );
    }
}

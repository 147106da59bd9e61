//! Value checks that follow the Kubernetes API rules (semantics reference §6): names
//! (DNS-1123 labels), label keys and values, port numbers, ranges and IANA port names,
//! protocols, and CIDRs. Pure functions from what was written to a checked value or a
//! diagnostic; they never look names up.
#![expect(
    clippy::result_large_err,
    reason = "a check returns a whole diagnostic on the cold error path; boxing it buys nothing"
)]

use std::net::IpAddr;

use ipnet::IpNet;

use crate::ast::{Ident, PortNumbers, PortSpec, Spanned};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::Protocol;
use crate::source::Span;

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// A DNS-1123 subdomain: dot-separated DNS labels, at most 253 characters.
pub fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns_label)
}

/// Check the name of a namespace, service, group or external.
pub fn check_name(name: &Ident, what: &str) -> Result<(), Diagnostic> {
    if is_dns_label(&name.node) {
        return Ok(());
    }
    let text = &name.node;
    let diagnostic = Diagnostic::new(
        Code::InvalidName,
        format!("invalid {what} name `{text}`"),
        name.span,
        "not a DNS-1123 label",
    );
    let lower = text.to_ascii_lowercase().replace('_', "-");
    let help = if text.len() > 63 {
        format!(
            "{what} names are at most 63 characters; this one has {}",
            text.len()
        )
    } else if text.chars().any(|c| c.is_ascii_uppercase()) && is_dns_label(&lower) {
        format!("Kubernetes names are lower-case: write `{lower}`")
    } else if text.contains('_') && is_dns_label(&lower) {
        format!("Kubernetes names use `-`, not `_`: write `{lower}`")
    } else {
        "names are lower-case letters, digits and `-`, starting and ending with a letter or digit"
            .to_owned()
    };
    Err(diagnostic.with_help(help))
}

/// The name part of a label key, or a label value: `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
fn is_label_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
}

/// A label key: optional DNS-subdomain prefix and `/`, then a name of at most 63.
pub fn check_label_key(key: &Spanned<String>) -> Result<(), Diagnostic> {
    let (prefix, name) = match key.node.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key.node.as_str()),
    };
    let problem = if let Some(prefix) = prefix.filter(|p| !is_dns_subdomain(p)) {
        Some(format!(
            "the prefix `{prefix}` must be a lower-case DNS subdomain of at most 253 characters"
        ))
    } else if name.len() > 63 {
        Some(format!(
            "the name part is at most 63 characters; `{name}` has {}",
            name.len()
        ))
    } else if !is_label_name(name) {
        Some(
            "the name part is letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit"
                .to_owned(),
        )
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(help) => Err(Diagnostic::new(
            Code::InvalidLabelKey,
            format!("invalid label key `{}`", key.node),
            key.span,
            "not a Kubernetes label key",
        )
        .with_help(help)),
    }
}

/// A label value: empty, or a label name of at most 63 characters.
pub fn check_label_value(value: &Spanned<String>) -> Result<(), Diagnostic> {
    if value.node.is_empty() || is_label_name(&value.node) {
        return Ok(());
    }
    let help = if value.node.len() > 63 {
        format!(
            "label values are at most 63 characters; this one has {}",
            value.node.len()
        )
    } else {
        "label values are letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit"
            .to_owned()
    };
    Err(Diagnostic::new(
        Code::InvalidLabelValue,
        format!("invalid label value `{}`", value.node),
        value.span,
        "not a Kubernetes label value",
    )
    .with_help(help))
}

/// IANA_SVC_NAME: at most 15 of `[-a-z0-9]`, at least one letter, no leading or
/// trailing `-`, no `--`.
pub fn is_port_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 15
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.iter().any(u8::is_ascii_lowercase)
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
        && !name.contains("--")
}

pub fn check_port_name(name: &Ident) -> Result<(), Diagnostic> {
    if is_port_name(&name.node) {
        return Ok(());
    }
    Err(Diagnostic::new(
        Code::InvalidPortName,
        format!("invalid port name `{}`", name.node),
        name.span,
        "not an IANA service name",
    )
    .with_help(
        "port names are at most 15 lower-case letters, digits and `-`, with at least one letter, \
         no leading, trailing or doubled `-`",
    ))
}

pub fn check_protocol(protocol: Option<&Spanned<String>>) -> Result<Protocol, Diagnostic> {
    let Some(protocol) = protocol else {
        return Ok(Protocol::Tcp);
    };
    match protocol.node.to_ascii_lowercase().as_str() {
        "tcp" => Ok(Protocol::Tcp),
        "udp" => Ok(Protocol::Udp),
        "sctp" => Ok(Protocol::Sctp),
        _ => Err(Diagnostic::new(
            Code::InvalidProtocol,
            format!("unknown protocol `{}`", protocol.node),
            protocol.span,
            "not a NetworkPolicy protocol",
        )
        .with_help("NetworkPolicies filter `tcp`, `udp` and `sctp` only (ICMP cannot be allowed or denied)")),
    }
}

pub fn check_port_number(number: &Spanned<u64>) -> Result<u16, Diagnostic> {
    match u16::try_from(number.node) {
        Ok(n) if n >= 1 => Ok(n),
        _ => {
            let shown = if number.node == u64::MAX {
                "this number".to_owned()
            } else {
                format!("`{}`", number.node)
            };
            Err(Diagnostic::new(
                Code::InvalidPort,
                format!("port {shown} is out of range"),
                number.span,
                "not in 1-65535",
            )
            .with_help("ports are numbers from 1 to 65535"))
        }
    }
}

/// A checked port spec: `(name, first, last, protocol)`.
pub type CheckedPort = (Option<String>, Option<(u16, u16)>, Protocol);

/// Check one port spec as written in a service (`named_needs_number`) or a target.
/// All problems of the spec are pushed; `None` if any.
pub fn check_port_spec(
    spec: &PortSpec,
    in_service: bool,
    out: &mut Vec<Diagnostic>,
) -> Option<CheckedPort> {
    let before = out.len();
    let protocol = check_protocol(spec.protocol.as_deref())
        .map_err(|d| out.push(d))
        .ok();
    if let Some(name) = &spec.name {
        let _ = check_port_name(name).map_err(|d| out.push(d));
    }
    let numbers = spec
        .numbers
        .as_ref()
        .and_then(|n| check_port_numbers(n, spec, out));
    if !in_service && spec.name.is_some() && spec.numbers.is_some() {
        out.push(
            Diagnostic::new(
                Code::NamedRange,
                "a target's port is a name or numbers, not both",
                spec.span,
                "name and number",
            )
            .with_help(
                "name the port the target declares (`api:metrics`) or give its number (`api:9100`)",
            ),
        );
    }
    if in_service && spec.name.is_some() && spec.numbers.is_none() {
        out.push(
            Diagnostic::new(
                Code::InvalidPort,
                "a named port needs a number",
                spec.span,
                "no number",
            )
            .with_help("declare it as `NAME NUMBER`, e.g. `port metrics 9100;`"),
        );
    }
    if out.len() > before {
        return None;
    }
    Some((
        spec.name.as_ref().map(|n| n.node.clone()),
        numbers,
        protocol.unwrap_or(Protocol::Tcp),
    ))
}

/// The numbers of a port spec: each in range, the range not reversed (E301), and not
/// named (E302: Kubernetes names single container ports). `None` if a number is out
/// of range; a reversed range is reported and still returned (the caller sees the
/// problem in `out`).
fn check_port_numbers(
    n: &PortNumbers,
    spec: &PortSpec,
    out: &mut Vec<Diagnostic>,
) -> Option<(u16, u16)> {
    let mut numbers = None;
    let first = check_port_number(&n.first).map_err(|d| out.push(d)).ok();
    let last = match &n.last {
        Some(last) => check_port_number(last).map_err(|d| out.push(d)).ok(),
        None => first,
    };
    if let (Some(first), Some(last)) = (first, last) {
        if first > last {
            let span = n
                .last
                .as_ref()
                .map_or(n.first.span, |l| n.first.span.to(l.span));
            out.push(
                Diagnostic::new(
                    Code::ReversedRange,
                    format!("port range `{first}-{last}` is reversed"),
                    span,
                    "the first port is greater than the last",
                )
                .with_help(format!("write `{last}-{first}`")),
            );
        }
        numbers = Some((first, last));
    }
    if n.last.is_some() && spec.name.is_some() {
        out.push(
            Diagnostic::new(
                Code::NamedRange,
                "a named port cannot be a range",
                spec.span,
                "named range",
            )
            .with_help("Kubernetes names single container ports: declare the range without a name"),
        );
    }
    numbers
}

/// Parse a CIDR as written: the network must be canonical (no host bits).
pub fn check_cidr(text: &Spanned<String>) -> Result<IpNet, Diagnostic> {
    let invalid = |help: &str| {
        Diagnostic::new(
            Code::InvalidCidr,
            format!("invalid CIDR `{}`", text.node),
            text.span,
            "not an address range",
        )
        .with_help(help.to_owned())
    };
    let Some((addr, prefix)) = text.node.split_once('/') else {
        return Err(invalid(
            "write an address and a prefix length, e.g. `10.0.0.0/8` or `2001:db8::/32`",
        ));
    };
    let addr: IpAddr = addr.parse().map_err(|_| {
        invalid("the address part is not an IPv4 or IPv6 address (no leading zeros)")
    })?;
    if let IpAddr::V6(v6) = addr
        && v6.to_ipv4_mapped().is_some()
    {
        return Err(invalid(
            "IPv4-mapped IPv6 addresses are rejected by Kubernetes; write the IPv4 range",
        ));
    }
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix: u8 = prefix
        .parse()
        .ok()
        .filter(|p| *p <= max)
        .ok_or_else(|| invalid(&format!("the prefix length is a number from 0 to {max}")))?;
    let net = IpNet::new(addr, prefix).map_err(|_| invalid("invalid prefix length"))?;
    if net.network() != addr {
        return Err(Diagnostic::new(
            Code::CidrHostBits,
            format!("CIDR `{}` has host bits set", text.node),
            text.span,
            "host bits set",
        )
        .with_help(format!(
            "did you mean `{}`? Kubernetes rejects ranges with host bits",
            net.trunc()
        )));
    }
    Ok(net)
}

/// `inner` lies strictly inside `outer`: same family, contained, longer prefix.
pub fn strictly_inside(inner: &IpNet, outer: &IpNet) -> bool {
    outer.contains(inner) && inner.prefix_len() > outer.prefix_len()
}

/// Whether a span-carrying value's check failed: a small helper for collecting.
pub fn push_err<T>(result: Result<T, Diagnostic>, out: &mut Vec<Diagnostic>) -> Option<T> {
    result.map_err(|d| out.push(d)).ok()
}

/// The span that covers a whole list of spanned items (for labels on lists).
pub fn cover<T>(items: &[Spanned<T>]) -> Option<Span> {
    let first = items.first()?.span;
    Some(items.iter().fold(first, |acc, i| acc.to(i.span)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn spanned<T>(node: T) -> Spanned<T> {
        Spanned::new(node, Span::new(FileId(0), 0, 1))
    }

    #[test]
    fn dns_labels() {
        for good in ["a", "grid", "my-api", "a1", &"x".repeat(63)] {
            assert!(is_dns_label(good), "{good}");
        }
        for bad in ["", "Grid", "-a", "a-", "my_api", "a.b", &"x".repeat(64)] {
            assert!(!is_dns_label(bad), "{bad}");
        }
    }

    #[test]
    fn uppercase_name_help_says_lower_case() {
        let err = check_name(&spanned("Grid".to_owned()), "namespace").unwrap_err();
        assert_eq!(err.code, Code::InvalidName);
        assert_eq!(
            err.help.as_deref(),
            Some("Kubernetes names are lower-case: write `grid`")
        );
    }

    #[test]
    fn label_keys_and_values() {
        for good in [
            "app",
            "app.kubernetes.io/name",
            "a_b.c-d",
            "k8s-app",
            "example.com/X",
        ] {
            assert!(check_label_key(&spanned(good.to_owned())).is_ok(), "{good}");
        }
        for bad in [
            "-app",
            "Example.com/app",
            "/app",
            "a/",
            &format!("{}/a", "x".repeat(254)),
            &"k".repeat(64),
        ] {
            assert!(check_label_key(&spanned(bad.to_owned())).is_err(), "{bad}");
        }
        for good in ["", "true", "a.b-c_d", &"v".repeat(63)] {
            assert!(
                check_label_value(&spanned(good.to_owned())).is_ok(),
                "{good}"
            );
        }
        for bad in ["my api", "-x", "x-", &"v".repeat(64)] {
            assert!(
                check_label_value(&spanned(bad.to_owned())).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn port_names_follow_iana() {
        for good in ["http", "metrics", "dns-tcp", "h2c", "a"] {
            assert!(is_port_name(good), "{good}");
        }
        for bad in [
            "",
            "80",
            "-http",
            "http-",
            "my--port",
            "Http",
            "prometheus-metric",
        ] {
            assert!(!is_port_name(bad), "{bad}");
        }
    }

    #[test]
    fn port_numbers() {
        assert_eq!(check_port_number(&spanned(1)).unwrap(), 1);
        assert_eq!(check_port_number(&spanned(65535)).unwrap(), 65535);
        assert!(check_port_number(&spanned(0)).is_err());
        assert!(check_port_number(&spanned(65536)).is_err());
        assert!(check_port_number(&spanned(u64::MAX)).is_err());
    }

    #[test]
    fn protocols() {
        assert_eq!(check_protocol(None).unwrap(), Protocol::Tcp);
        assert_eq!(
            check_protocol(Some(&spanned("udp".to_owned()))).unwrap(),
            Protocol::Udp
        );
        assert_eq!(
            check_protocol(Some(&spanned("SCTP".to_owned()))).unwrap(),
            Protocol::Sctp
        );
        assert_eq!(
            check_protocol(Some(&spanned("icmp".to_owned())))
                .unwrap_err()
                .code,
            Code::InvalidProtocol
        );
    }

    #[test]
    fn cidrs() {
        assert_eq!(
            check_cidr(&spanned("10.0.0.0/8".to_owned()))
                .unwrap()
                .to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            check_cidr(&spanned("2001:db8::/32".to_owned()))
                .unwrap()
                .to_string(),
            "2001:db8::/32"
        );
        assert_eq!(
            check_cidr(&spanned("0.0.0.0/0".to_owned()))
                .unwrap()
                .prefix_len(),
            0
        );
        let host_bits = check_cidr(&spanned("10.0.0.1/8".to_owned())).unwrap_err();
        assert_eq!(host_bits.code, Code::CidrHostBits);
        assert!(host_bits.help.unwrap().contains("`10.0.0.0/8`"));
        for bad in [
            "10.0.0/8",
            "10.0.0.0",
            "10.0.0.0/33",
            "::ffff:10.0.0.0/104",
            "010.0.0.0/8",
            "a/8",
            "::/129",
        ] {
            assert_eq!(
                check_cidr(&spanned(bad.to_owned())).unwrap_err().code,
                Code::InvalidCidr,
                "{bad}"
            );
        }
    }

    #[test]
    fn except_must_be_strictly_inside() {
        let net = |s: &str| s.parse::<IpNet>().unwrap();
        assert!(strictly_inside(&net("10.1.0.0/16"), &net("10.0.0.0/8")));
        assert!(!strictly_inside(&net("10.0.0.0/8"), &net("10.0.0.0/8")));
        assert!(!strictly_inside(&net("192.168.0.0/16"), &net("10.0.0.0/8")));
        assert!(!strictly_inside(&net("2001:db8::/32"), &net("0.0.0.0/0")));
    }
}

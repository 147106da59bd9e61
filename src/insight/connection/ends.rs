//! The ends of a connection as the user writes them for `netpc explain`: `ns/service`,
//! a bare `service` (found in the one namespace that has it), `ns/*` or an address, and
//! the `DST[:PORT[/PROTO]]` port query. Pure.

use std::fmt::Write as _;
use std::net::IpAddr;

use crate::analyze::Protocol;
use crate::ir::{Endpoint, Program};

/// One end as the user named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// `ns/service`.
    Service {
        namespace: String,
        service: String,
    },
    /// `ns/*`: a pod of the namespace that matches no service.
    Unmatched {
        namespace: String,
    },
    Ip(IpAddr),
    /// A service named without its namespace, until [`resolve_bare`] finds it.
    Bare(String),
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            End::Service { namespace, service } => write!(f, "{namespace}/{service}"),
            End::Unmatched { namespace } => write!(f, "{namespace}/*"),
            End::Ip(ip) => write!(f, "{ip}"),
            End::Bare(service) => write!(f, "{service}"),
        }
    }
}

/// The port part of `DST:PORT/PROTO`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortQuery {
    /// A number or a port name of the destination.
    pub port: String,
    pub protocol: Option<Protocol>,
}

/// Parses `ns/service`, `ns/*`, an IP address, or a bare service name (see
/// [`resolve_bare`]).
pub fn parse_end(text: &str) -> Result<End, String> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(End::Ip(ip));
    }
    match text.split_once('/') {
        None if !text.is_empty() && text != "*" => Ok(End::Bare(text.to_owned())),
        Some((namespace, "*")) if !namespace.is_empty() => Ok(End::Unmatched {
            namespace: namespace.to_owned(),
        }),
        Some((namespace, service))
            if !namespace.is_empty() && !service.is_empty() && !service.contains('/') =>
        {
            Ok(End::Service {
                namespace: namespace.to_owned(),
                service: service.to_owned(),
            })
        }
        _ => Err(format!(
            "`{text}` is not an endpoint: write `namespace/service`, `service` (when one namespace has it), `namespace/*` or an IP address"
        )),
    }
}

/// Parses `DST[:PORT[/PROTO]]` (an IPv6 address with a port is `[addr]:PORT`).
pub fn parse_destination(text: &str) -> Result<(End, Option<PortQuery>), String> {
    let (end, port) = if let Some(rest) = text.strip_prefix('[') {
        let (addr, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("`{text}`: missing `]`"))?;
        (addr, after.strip_prefix(':'))
    } else if text.parse::<IpAddr>().is_ok() {
        (text, None)
    } else {
        match text.split_once(':') {
            Some((end, port)) => (end, Some(port)),
            None => (text, None),
        }
    };
    let end = parse_end(end)?;
    let Some(port) = port else {
        return Ok((end, None));
    };
    let (port, protocol) = match port.split_once('/') {
        Some((port, protocol)) => {
            let protocol = Protocol::parse(&protocol.to_ascii_uppercase())
                .ok_or_else(|| format!("`{protocol}` is not a protocol: use tcp, udp or sctp"))?;
            (port, Some(protocol))
        }
        None => (port, None),
    };
    if port.is_empty() {
        return Err(format!("`{text}`: the port is empty"));
    }
    if port.bytes().all(|b| b.is_ascii_digit()) && !matches!(port.parse::<u16>(), Ok(1..)) {
        return Err(format!("`{port}` is not a port: ports are 1-65535"));
    }
    Ok((
        end,
        Some(PortQuery {
            port: port.to_owned(),
            protocol,
        }),
    ))
}

/// A bare service name as `ns/service`: the one namespace that has a service of that
/// name. None, or several, is an error naming the candidates. Other ends are returned
/// as they are.
pub fn resolve_bare(program: &Program, end: End) -> Result<End, String> {
    let End::Bare(service) = end else {
        return Ok(end);
    };
    let namespaces: Vec<&str> = program
        .services
        .iter()
        .filter(|s| s.name == service)
        .map(|s| program.namespace(s.namespace).name.as_str())
        .collect();
    match namespaces.as_slice() {
        [namespace] => Ok(End::Service {
            namespace: (*namespace).to_owned(),
            service,
        }),
        [] => {
            let names: Vec<String> = program
                .service_ids()
                .map(|id| program.endpoint_name(Endpoint::Service(id)))
                .collect();
            let bare: Vec<&str> = names
                .iter()
                .map(|n| n.rsplit('/').next().unwrap_or(n))
                .collect();
            let mut message = format!("no namespace of the program has a service `{service}`");
            if let Some(near) = crate::diagnostic::did_you_mean(&service, bare.iter().copied())
                && let Some(full) = names.iter().find(|n| n.rsplit('/').next() == Some(near))
            {
                let _ = write!(message, "; did you mean `{full}`?");
            }
            Err(message)
        }
        several => {
            let options: Vec<String> = several.iter().map(|n| format!("`{n}/{service}`")).collect();
            Err(format!(
                "`{service}` is a service of {} namespaces: write one of {}",
                several.len(),
                options.join(", ")
            ))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod tests {
    use super::*;

    #[test]
    fn destinations_with_and_without_ports() {
        let (end, port) = parse_destination("grid/api:metrics/udp").unwrap();
        assert_eq!(end.to_string(), "grid/api");
        let port = port.unwrap();
        assert_eq!(
            (port.port.as_str(), port.protocol),
            ("metrics", Some(Protocol::Udp))
        );
        let (end, port) = parse_destination("10.0.0.1:443").unwrap();
        assert_eq!(
            (end, port.unwrap().port),
            (End::Ip([10, 0, 0, 1].into()), "443".into())
        );
        let (end, port) = parse_destination("fd00::1").unwrap();
        assert!(matches!(end, End::Ip(IpAddr::V6(_))) && port.is_none());
        let (end, port) = parse_destination("[fd00::1]:53/UDP").unwrap();
        assert!(matches!(end, End::Ip(IpAddr::V6(_))));
        assert_eq!(port.unwrap().protocol, Some(Protocol::Udp));
        let (end, _) = parse_destination("grid/*:80").unwrap();
        assert_eq!(
            end,
            End::Unmatched {
                namespace: "grid".into()
            }
        );
        assert_eq!(
            parse_destination("api:443").unwrap().0,
            End::Bare("api".into())
        );
        for bad in ["*", "grid/api:", "grid/api:70000", "/api", "a/b/c", "[::1"] {
            assert!(parse_destination(bad).is_err(), "{bad}");
        }
    }
}

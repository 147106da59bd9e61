//! Port checks of the check stage (`need_checks`): the ports a need asks for, as written after the
//! target (`api:443`, `db:postgres`, `dns:53/udp`), checked as values and against the
//! ports the target service declares. A bare target means every declared port, which
//! is refused for a service that declares none (it would open every port).
#![expect(
    clippy::result_large_err,
    reason = "a port check returns a whole diagnostic on the cold error path, as value_checks does; boxing it buys nothing"
)]

use super::ids::Tables;
use super::value_checks;
use crate::ast::{PortSpec, ReferenceKind, Target};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{Endpoint, Port, PortKind, Ports, Protocol, ServicePort};
use crate::source::Span;

/// The ports `target` asks for on `endpoint` (one of the endpoints it stands for), or
/// `None` after reporting why none can be allowed.
pub(super) fn target_ports(
    tables: &Tables,
    target: &Target,
    endpoint: Endpoint,
    diagnostics: &mut Diagnostics,
) -> Option<Ports> {
    let declared = match endpoint {
        Endpoint::Service(id) => Some(tables.service_ports[id.0 as usize].as_slice()),
        _ => None,
    };
    let Some(specs) = &target.ports else {
        return bare_target(tables, target, endpoint, declared, diagnostics);
    };
    // A service that declares no ports accepts any port asked for; one that declares
    // ports accepts only those.
    let declared = declared.filter(|d| !d.is_empty());
    let mut problems = Vec::new();
    let mut list = Vec::new();
    for spec in specs {
        let Some((name, numbers, protocol)) =
            value_checks::check_port_spec(spec, false, &mut problems)
        else {
            continue;
        };
        let asked = match (name, numbers) {
            (Some(name), _) => named_port(tables, endpoint, declared, spec, name, protocol),
            (None, Some((first, last))) => {
                numbered_port(tables, endpoint, declared, spec, (first, last), protocol)
            }
            (None, None) => continue,
        };
        match asked {
            Ok(port) => list.push(port),
            Err(d) => problems.push(d),
        }
    }
    let failed = !problems.is_empty();
    for d in problems {
        diagnostics.push(d);
    }
    if failed {
        return None;
    }
    list.sort();
    list.dedup();
    Some(Ports::List(list))
}

/// A target without ports: every port the service declares (E216 if it declares
/// none), or any port of a namespace or an external.
fn bare_target(
    tables: &Tables,
    target: &Target,
    endpoint: Endpoint,
    declared: Option<&[ServicePort]>,
    diagnostics: &mut Diagnostics,
) -> Option<Ports> {
    match (endpoint, declared) {
        (Endpoint::Service(id), Some([])) => {
            let full = &tables.service_names[id.0 as usize];
            let name = match &target.reference.kind {
                ReferenceKind::Name(n) => n.node.clone(),
                _ => full.clone(),
            };
            let decl_span = tables.service_spans[id.0 as usize];
            diagnostics.push(
                Diagnostic::new(Code::BareTargetWithoutPorts, format!("`{full}` declares no ports, so a bare target would open every port"), target.span, "no ports given")
                    .with_secondary(decl_span, "declared here without `port`")
                    .with_help(format!("name the ports needed (`{name}:5432`), or declare them in the service (`port 5432;`)")),
            );
            None
        }
        (_, Some(ports)) => {
            let mut list: Vec<Port> = ports
                .iter()
                .map(|p| Port {
                    protocol: p.protocol,
                    kind: match &p.name {
                        Some(name) => PortKind::Named {
                            name: name.clone(),
                            number: Some(p.first),
                        },
                        None => PortKind::Range {
                            first: p.first,
                            last: p.last,
                        },
                    },
                })
                .collect();
            list.sort();
            Some(Ports::List(list))
        }
        (_, None) => Some(Ports::Any),
    }
}

/// `target:NAME`: a name the service declares (its protocol unless one is written,
/// which must then match), or any name of a service that declares no ports.
fn named_port(
    tables: &Tables,
    endpoint: Endpoint,
    declared: Option<&[ServicePort]>,
    spec: &PortSpec,
    name: String,
    protocol: Protocol,
) -> Result<Port, Diagnostic> {
    if let Endpoint::External(_) = endpoint {
        return Err(Diagnostic::new(
            Code::UndeclaredPort,
            format!("externals have no named ports: `{name}`"),
            spec.span,
            "named port on an address range",
        )
        .with_help("give the port number"));
    }
    let explicit_protocol = spec.protocol.is_some();
    let Some(ports) = declared else {
        return Ok(Port {
            protocol,
            kind: PortKind::Named { name, number: None },
        });
    };
    match ports
        .iter()
        .find(|p| p.name.as_deref() == Some(name.as_str()))
    {
        Some(p) if !explicit_protocol || p.protocol == protocol => Ok(Port {
            protocol: p.protocol,
            kind: PortKind::Named {
                name,
                number: Some(p.first),
            },
        }),
        found => {
            let suffix = if explicit_protocol {
                format!("/{}", protocol.as_k8s().to_ascii_lowercase())
            } else {
                String::new()
            };
            let d = undeclared(tables, endpoint, spec.span, &format!("{name}{suffix}"));
            Err(match found {
                Some(p) => {
                    d.with_secondary(p.span, format!("declared for {}", p.protocol.as_k8s()))
                }
                None => d,
            })
        }
    }
}

/// `target:N` or `target:N-M`: inside one declared port range of the same protocol.
fn numbered_port(
    tables: &Tables,
    endpoint: Endpoint,
    declared: Option<&[ServicePort]>,
    spec: &PortSpec,
    (first, last): (u16, u16),
    protocol: Protocol,
) -> Result<Port, Diagnostic> {
    if let Some(ports) = declared
        && !ports
            .iter()
            .any(|p| p.protocol == protocol && p.first <= first && last <= p.last)
    {
        let shown = if first == last {
            first.to_string()
        } else {
            format!("{first}-{last}")
        };
        let what = format!("{shown}/{}", protocol.as_k8s().to_ascii_lowercase());
        return Err(undeclared(tables, endpoint, spec.span, &what));
    }
    Ok(Port {
        protocol,
        kind: PortKind::Range { first, last },
    })
}

fn undeclared(tables: &Tables, endpoint: Endpoint, span: Span, what: &str) -> Diagnostic {
    let Endpoint::Service(id) = endpoint else {
        return Diagnostic::new(
            Code::UndeclaredPort,
            format!("port `{what}` is not available"),
            span,
            "not declared",
        );
    };
    let i = id.0 as usize;
    let declared: Vec<String> = tables.service_ports[i].iter().map(describe_port).collect();
    Diagnostic::new(
        Code::UndeclaredPort,
        format!(
            "`{}` does not declare port `{what}`",
            tables.service_names[i]
        ),
        span,
        "not a declared port",
    )
    .with_secondary(tables.service_spans[i], "service declared here")
    .with_help(format!(
        "`{}` declares {}; ask for one of those, or add the port to the service \
         (NetworkPolicy sees the pod's container port, not a Kubernetes Service's \
         `port`: for a Service that maps 80 → 8080, write 8080)",
        tables.service_names[i],
        declared.join(", ")
    ))
}

/// `metrics 9100/tcp`, `8000-8080/udp`.
fn describe_port(p: &ServicePort) -> String {
    let numbers = if p.first == p.last {
        p.first.to_string()
    } else {
        format!("{}-{}", p.first, p.last)
    };
    let proto = p.protocol.as_k8s().to_ascii_lowercase();
    match &p.name {
        Some(name) => format!("`{name} {numbers}/{proto}`"),
        None => format!("`{numbers}/{proto}`"),
    }
}

//! Connection `netpc explain SRC DST[:PORT[/PROTO]]`: whether one connection is
//! allowed, which generated policy objects isolate, allow or fail to allow it at each
//! end (from the independent evaluator's [`Explanation`]), and which `.netp` lines are
//! responsible (the `needs`, the `export`, the `service`, the `use`), as source
//! snippets for the CLI to render like diagnostics. Pure.

use std::fmt::Write as _;

use crate::analyze::{Analysis, Endpoint as AEndpoint, Explanation, Protocol, Side as ASide};
use crate::ir::{self, Endpoint, Need, PortKind, Ports, Program};
use crate::probe::{ProbeCluster, ProbeRole};
use crate::source::{Sources, Span};

mod ends;

pub use ends::{End, PortQuery, parse_destination, parse_end, resolve_bare};

fn ir_protocol(protocol: ir::Protocol) -> Protocol {
    match protocol {
        ir::Protocol::Tcp => Protocol::Tcp,
        ir::Protocol::Udp => Protocol::Udp,
        ir::Protocol::Sctp => Protocol::Sctp,
    }
}

/// The service a `ns/service` end names in the program.
pub fn find_service(program: &Program, end: &End) -> Option<ir::ServiceId> {
    let End::Service { namespace, service } = end else {
        return None;
    };
    program.service_ids().find(|&id| {
        let s = program.service(id);
        &s.name == service && &program.namespace(s.namespace).name == namespace
    })
}

/// The (protocol, port) pairs to explain: the one asked for, or every port the
/// destination declares (the first port of a range).
pub fn ports(
    program: &Program,
    dst: &End,
    query: Option<&PortQuery>,
) -> Result<Vec<(Protocol, u16)>, String> {
    let declared = find_service(program, dst)
        .map(|id| program.service(id).ports.clone())
        .unwrap_or_default();
    let Some(query) = query else {
        if declared.is_empty() {
            return Err(format!(
                "`{dst}` declares no ports: name one, e.g. `{dst}:443` or `{dst}:53/udp`"
            ));
        }
        return Ok(declared
            .iter()
            .map(|p| (ir_protocol(p.protocol), p.first))
            .collect());
    };
    if let Ok(number) = query.port.parse::<u16>() {
        return Ok(vec![(query.protocol.unwrap_or(Protocol::Tcp), number)]);
    }
    let named: Vec<_> = declared
        .iter()
        .filter(|p| p.name.as_deref() == Some(query.port.as_str()))
        .filter(|p| query.protocol.is_none_or(|q| q == ir_protocol(p.protocol)))
        .map(|p| (ir_protocol(p.protocol), p.first))
        .collect();
    if named.is_empty() {
        let names: Vec<&str> = declared.iter().filter_map(|p| p.name.as_deref()).collect();
        return Err(if names.is_empty() {
            format!("`{dst}` declares no named port `{}`", query.port)
        } else {
            format!(
                "`{dst}` declares no named port `{}` (it has: {})",
                query.port,
                names.join(", ")
            )
        });
    }
    Ok(named)
}

/// The evaluator's endpoint for an end, or why there is none.
pub fn endpoint(probes: &ProbeCluster, end: &End) -> Result<AEndpoint, String> {
    let (namespace, role) = match end {
        End::Ip(ip) => return Ok(AEndpoint::Ip(*ip)),
        End::Bare(service) => return Err(format!("`{service}` needs its namespace")),
        End::Service { namespace, service } => (namespace, ProbeRole::Service(service.clone())),
        End::Unmatched { namespace } => (namespace, ProbeRole::Unmatched),
    };
    if let Some(probe) = probes.find(namespace, &role) {
        return Ok(AEndpoint::Workload(probe.workload));
    }
    let mut message = format!("the program has no `{end}`");
    if matches!(end, End::Unmatched { .. })
        && probes.probes.iter().any(|p| &p.namespace == namespace)
    {
        message = format!("`{namespace}` is not managed by the program: name one of its services");
    } else {
        let names: Vec<String> = probes
            .probes
            .iter()
            .filter(|p| matches!(p.role, ProbeRole::Service(_)))
            .map(|p| p.display())
            .collect();
        if let Some(near) =
            crate::diagnostic::did_you_mean(&end.to_string(), names.iter().map(String::as_str))
        {
            let _ = write!(message, "; did you mean `{near}`?");
        }
    }
    Err(message)
}

/// Source lines to show, rendered like a diagnostic (a note).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    pub message: String,
    /// (span, label, primary)
    pub labels: Vec<(Span, String, bool)>,
    pub notes: Vec<String>,
}

/// The explanation of one (protocol, port).
#[derive(Clone, Debug)]
pub struct Verdict {
    pub allowed: bool,
    /// `grid/plotter -> grid/api TCP 443: allowed` and the lines about each end.
    pub text: String,
    pub snippets: Vec<Snippet>,
}

/// Whether an IR endpoint stands for an end.
fn covers(program: &Program, endpoint: Endpoint, end: &End) -> bool {
    match (endpoint, end) {
        (Endpoint::Service(id), End::Service { .. }) => find_service(program, end) == Some(id),
        (
            Endpoint::Namespace(id),
            End::Service { namespace, .. } | End::Unmatched { namespace },
        ) => &program.namespace(id).name == namespace,
        (Endpoint::External(id), End::Ip(ip)) => {
            let external = program.external(id);
            external.cidrs.iter().any(|c| c.contains(ip))
                && !external.except.iter().any(|c| c.contains(ip))
        }
        (Endpoint::Anywhere, _) => true,
        _ => false,
    }
}

/// Whether a need's ports include `protocol`/`port` (named ports by the number the
/// destination declares for them).
fn grants(need: &Need, protocol: Protocol, port: u16) -> bool {
    match &need.ports {
        Ports::Any => true,
        Ports::List(list) => list.iter().any(|p| {
            ir_protocol(p.protocol) == protocol
                && match &p.kind {
                    PortKind::Range { first, last } => *first <= port && port <= *last,
                    PortKind::Named { number, .. } => *number == Some(port),
                }
        }),
    }
}

/// `TCP 443, 9100` for a need's ports.
fn ports_text(ports: &Ports) -> String {
    let Ports::List(list) = ports else {
        return "every port".to_owned();
    };
    let parts: Vec<String> = list
        .iter()
        .map(|p| {
            let proto = p.protocol.as_k8s();
            match &p.kind {
                PortKind::Range { first, last } if first == last => format!("{proto} {first}"),
                PortKind::Range { first, last } => format!("{proto} {first}-{last}"),
                PortKind::Named {
                    name,
                    number: Some(n),
                } => format!("{proto} {n} ({name})"),
                PortKind::Named { name, number: None } => format!("{proto} {name}"),
            }
        })
        .collect();
    parts.join(", ")
}

fn text_of(sources: &Sources, span: Span) -> String {
    sources
        .try_get(span.file)
        .and_then(|f| f.text.get(span.range()))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// `prometheus needs grid/api:metrics`.
fn need_text(sources: &Sources, need: &Need) -> String {
    format!(
        "{} needs {}",
        text_of(sources, need.origin.subject),
        text_of(sources, need.origin.target)
    )
}

fn need_snippet(program: &Program, need: &Need, message: String) -> Snippet {
    let mut labels = vec![
        (
            need.origin.target,
            format!("grants {}", ports_text(&need.ports)),
            true,
        ),
        (
            need.origin.subject,
            format!("client: {}", program.endpoint_name(need.subject)),
            false,
        ),
    ];
    if let Some(export) = need.origin.export {
        labels.push((
            export,
            "consent of the target's namespace".to_owned(),
            false,
        ));
    }
    if let Some(via) = need.origin.via_use {
        labels.push((via, "brings in the module's `needs`".to_owned(), false));
    }
    if let Endpoint::Service(id) = need.target {
        labels.push((program.service(id).span, service_label(program, id), false));
    }
    for end in [need.subject, need.target] {
        if let Endpoint::External(id) = end {
            let external = program.external(id);
            labels.push((
                external.span,
                format!("the addresses of `{}`", external.name),
                false,
            ));
        }
    }
    Snippet {
        message,
        labels,
        notes: Vec::new(),
    }
}

/// One end's verdict: `what` is `lets it reach grid/api on TCP 443` or `admits ...`.
/// `grid/api serves TCP 443, TCP 9100 (metrics)`.
fn service_label(program: &Program, id: ir::ServiceId) -> String {
    let service = program.service(id);
    let name = program.endpoint_name(Endpoint::Service(id));
    if service.ports.is_empty() {
        return format!("{name} declares no ports: any port may be asked for");
    }
    let ports: Vec<String> = service
        .ports
        .iter()
        .map(|p| {
            let range = if p.first == p.last {
                p.first.to_string()
            } else {
                format!("{}-{}", p.first, p.last)
            };
            match &p.name {
                Some(n) => format!("{} {range} ({n})", p.protocol.as_k8s()),
                None => format!("{} {range}", p.protocol.as_k8s()),
            }
        })
        .collect();
    format!("{name} serves {}", ports.join(", "))
}

/// `grid/api does not declare TCP 8080; grid/api serves TCP 443` when DST is a
/// service that declares ports, none of them this one.
fn undeclared(program: &Program, dst: &End, protocol: Protocol, port: u16) -> Option<String> {
    let id = find_service(program, dst)?;
    let service = program.service(id);
    let declared = service.ports.is_empty()
        || service
            .ports
            .iter()
            .any(|p| ir_protocol(p.protocol) == protocol && p.first <= port && port <= p.last);
    (!declared).then(|| {
        format!(
            "{dst} does not declare {protocol} {port}; {}",
            service_label(program, id)
        )
    })
}

fn side_text(out: &mut String, side: &ASide, direction: &str, end: &End, what: &str) {
    if !side.is_pod {
        let _ = writeln!(
            out,
            "  {direction}: {end} is not a pod: no policy restricts it"
        );
        return;
    }
    if side.isolating.is_empty() {
        let _ = writeln!(
            out,
            "  {direction}: {end} is not isolated for {direction} (no policy selects it)"
        );
        return;
    }
    let names: Vec<String> = side.isolating.iter().map(|p| p.name.clone()).collect();
    let _ = write!(
        out,
        "  {direction}: {end} is isolated for {direction} by {}; ",
        names.join(", ")
    );
    if side.allowing.is_empty() {
        let _ = writeln!(out, "no rule {what}");
    } else {
        let rules: Vec<String> = side
            .allowing
            .iter()
            .map(|r| format!("{} spec.{direction}[{}]", r.policy.name, r.index))
            .collect();
        let _ = writeln!(out, "{} {what}", rules.join(", "));
    }
}

/// Explains one connection on one port.
pub fn verdict(
    sources: &Sources,
    program: &Program,
    analysis: &Analysis<'_>,
    (src, src_end): (&End, AEndpoint),
    (dst, dst_end): (&End, AEndpoint),
    protocol: Protocol,
    port: u16,
) -> Verdict {
    let explanation: Explanation = analysis.explain(src_end, dst_end, protocol, port);
    let ask = Ask {
        src,
        dst,
        protocol,
        port,
        conn: format!("{protocol} {port}"),
        allowed: explanation.allowed,
    };
    let mut text = header(&ask, &explanation);
    let undeclared = undeclared(program, dst, protocol, port);
    if let Some(line) = &undeclared {
        let _ = writeln!(text, "  {line}");
    }
    let covering: Vec<&Need> = program
        .needs
        .iter()
        .filter(|n| covers(program, n.subject, src) && covers(program, n.target, dst))
        .collect();
    let (granting, other): (Vec<&Need>, Vec<&Need>) = covering
        .into_iter()
        .partition(|n| grants(n, protocol, port));
    let mut snippets = Vec::new();
    let conn = &ask.conn;
    for need in &granting {
        let message = if ask.allowed {
            format!("allowed by `{}`", need_text(sources, need))
        } else {
            format!(
                "`{}` asks for {conn}, but the policies do not allow it",
                need_text(sources, need)
            )
        };
        snippets.push(need_snippet(program, need, message));
    }
    if ask.allowed && granting.is_empty() && !other.is_empty() {
        shared_label(sources, program, &ask, &other, &mut text, &mut snippets);
    }
    for need in &other {
        let message = format!(
            "`{}` {} {}",
            need_text(sources, need),
            if ask.allowed {
                "asks only for"
            } else {
                "grants only"
            },
            ports_text(&need.ports)
        );
        if !ask.allowed {
            let _ = writeln!(text, "  {message}");
        }
        snippets.push(need_snippet(program, need, message));
    }
    if granting.is_empty() && other.is_empty() {
        no_need(
            program,
            &ask,
            undeclared.is_some(),
            &mut text,
            &mut snippets,
        );
    }
    Verdict {
        allowed: ask.allowed,
        text,
        snippets,
    }
}

/// The verdict line and, per end, the policies that isolate it and the rule that lets
/// the connection through.
fn header(ask: &Ask<'_>, explanation: &Explanation) -> String {
    let (src, dst, conn) = (ask.src, ask.dst, &ask.conn);
    let mut text = format!(
        "{src} -> {dst} {conn}: {}\n",
        if ask.allowed { "allowed" } else { "denied" }
    );
    if explanation.loopback {
        text.push_str("  a pod may always connect to itself\n");
    }
    let reach = format!("lets it reach {dst} on {conn}");
    side_text(&mut text, &explanation.egress, "egress", src, &reach);
    let admit = format!("admits {src} on {conn}");
    side_text(&mut text, &explanation.ingress, "ingress", dst, &admit);
    text
}

/// What one verdict is about.
struct Ask<'a> {
    src: &'a End,
    dst: &'a End,
    protocol: Protocol,
    port: u16,
    /// `TCP 443`.
    conn: String,
    allowed: bool,
}

/// An allowed port that no need between the two ends asks for: in the labels identity
/// style, every client wearing `needs-T` gets the ports that any need of its namespace
/// asks of T (W004). Names those needs.
fn shared_label(
    sources: &Sources,
    program: &Program,
    ask: &Ask<'_>,
    other: &[&Need],
    text: &mut String,
    snippets: &mut Vec<Snippet>,
) {
    let src_namespace = other
        .first()
        .and_then(|n| program.endpoint_namespace(n.subject));
    for need in program.needs.iter().filter(|n| {
        covers(program, n.target, ask.dst)
            && grants(n, ask.protocol, ask.port)
            && program.endpoint_namespace(n.subject) == src_namespace
    }) {
        let message = format!(
            "{} comes from `{}`, through the client label both needs share (see W004)",
            ask.conn,
            need_text(sources, need)
        );
        let _ = writeln!(text, "  {message}");
        snippets.push(need_snippet(program, need, message));
    }
}

/// No need covers the two ends: say so, point at the destination's declaration, and
/// for a denied connection say what to add.
fn no_need(
    program: &Program,
    ask: &Ask<'_>,
    undeclared: bool,
    text: &mut String,
    snippets: &mut Vec<Snippet>,
) {
    let (src, dst) = (ask.src, ask.dst);
    if ask.allowed {
        text.push_str("  no `needs` of the program asks for it: it is allowed because an end is not isolated, or through a client label that another `needs` grants\n");
    } else {
        let _ = writeln!(text, "  no `needs` of the program lets {src} reach {dst}");
    }
    let Some(id) = find_service(program, dst) else {
        return;
    };
    let service = program.service(id);
    let mut snippet = Snippet {
        message: format!("{dst} is declared here"),
        labels: vec![(service.span, service_label(program, id), true)],
        notes: Vec::new(),
    };
    if !ask.allowed && !matches!(src, End::Ip(_)) {
        let declare = if undeclared {
            format!("declare {} in `service {}`, then ", ask.conn, service.name)
        } else {
            String::new()
        };
        let protocol = if ask.protocol == Protocol::Tcp {
            String::new()
        } else {
            format!("/{}", ask.protocol.as_str().to_ascii_lowercase())
        };
        snippet.notes.push(format!(
            "help: to allow it, {declare}add a `needs` line whose client is {src} and whose target is {dst}:{}{protocol}",
            ask.port
        ));
    }
    snippets.push(snippet);
}

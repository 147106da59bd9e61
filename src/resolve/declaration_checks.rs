//! The values inside a service or external declaration, checked as a whole: a
//! service's selector pairs (E312 for a key given twice, an empty `select`) and ports
//! (E311 for a port or port name declared twice), an external's ranges and exceptions
//! (E308 mixed families, E307 an exception not strictly inside, W003 a range that
//! covers every address). Each check pushes its problems in source order and returns
//! the values that passed; single values are checked by `value_checks`.

use std::collections::BTreeMap;

use super::value_checks::{self, push_err};
use crate::ast::{Ident, LabelPair, PortSpec, ServiceItem, Spanned};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::source::Span;

/// A service body as checked: its selector (empty when there is no `select`), whether
/// it was written, and its ports sorted by protocol and number.
pub(super) struct ServiceBody {
    pub selector: ir::Labels,
    pub requirements: Vec<ir::Requirement>,
    pub explicit: bool,
    pub ports: Vec<ir::ServicePort>,
}

/// Check the `select` and `port` entries of service `name` declared at `span`.
pub(super) fn service_body(
    name: &Ident,
    span: Span,
    body: &[ServiceItem],
    problems: &mut Vec<Diagnostic>,
) -> ServiceBody {
    let mut selector = ir::Labels::new();
    let mut selector_spans: BTreeMap<String, Span> = BTreeMap::new();
    let mut explicit = false;
    let mut requirements = Vec::new();
    // Sized once: a vector grown by one push holds room for four ports.
    let written = body
        .iter()
        .map(|entry| match entry {
            ServiceItem::Port(specs, _) => specs.len(),
            _ => 0,
        })
        .sum();
    let mut ports: Vec<ir::ServicePort> = Vec::with_capacity(written);
    for entry in body {
        match entry {
            ServiceItem::Select(pairs, _) => {
                explicit = true;
                for pair in pairs {
                    select_pair(pair, &mut selector, &mut selector_spans, problems);
                }
            }
            ServiceItem::Requirements(terms, _) => {
                for term in terms {
                    requirements.extend(requirement(term, &mut selector_spans, problems));
                }
            }
            ServiceItem::Port(specs, _) => {
                for spec in specs {
                    if let Some(port) = service_port(name, spec, &ports, problems) {
                        ports.push(port);
                    }
                }
            }
        }
    }
    // Only when nothing else is wrong: a `select` whose every pair was rejected is
    // empty because of those errors, not as written.
    if explicit && selector.is_empty() && requirements.is_empty() && problems.is_empty() {
        problems.push(
            Diagnostic::new(Code::SyntaxError, "empty `select`", span, "selects nothing")
                .with_help(
                    "give at least one `key = value` pair, or remove `select` to use `app=<name>`",
                ),
        );
    }
    ports.sort_by_key(|p| (p.protocol, p.first, p.last));
    requirements.sort();
    ServiceBody {
        selector,
        requirements,
        explicit,
        ports,
    }
}

/// One `key = value` of a `select`: kept only if both are valid and the key is new.
pub(super) fn select_pair(
    pair: &LabelPair,
    selector: &mut ir::Labels,
    spans: &mut BTreeMap<String, Span>,
    problems: &mut Vec<Diagnostic>,
) {
    let key_ok = push_err(value_checks::check_label_key(&pair.key), problems).is_some();
    let value_ok = push_err(value_checks::check_label_value(&pair.value), problems).is_some();
    if let Some(first) = spans.get(&pair.key.node) {
        problems.push(
            Diagnostic::new(
                Code::DuplicateLabelKey,
                format!("label key `{}` is given twice", pair.key.node),
                pair.key.span,
                "given again here",
            )
            .with_secondary(*first, "first given here")
            .with_help("a pod has one value per label key: keep one"),
        );
    } else if key_ok && value_ok {
        spans.insert(pair.key.node.clone(), pair.key.span);
        selector.insert(pair.key.node.clone(), pair.value.node.clone());
    }
}

/// One set-based term of a `select`: kept only if its key and values are valid and
/// the key is new (E312: a key is constrained once per selector).
pub(super) fn requirement(
    term: &crate::ast::Requirement,
    spans: &mut BTreeMap<String, Span>,
    problems: &mut Vec<Diagnostic>,
) -> Option<ir::Requirement> {
    let key_ok = push_err(value_checks::check_label_key(&term.key), problems).is_some();
    let mut values_ok = true;
    for value in &term.values {
        values_ok &= push_err(value_checks::check_label_value(value), problems).is_some();
    }
    if let Some(first) = spans.get(&term.key.node) {
        problems.push(
            Diagnostic::new(
                Code::DuplicateLabelKey,
                format!("label key `{}` is given twice", term.key.node),
                term.key.span,
                "given again here",
            )
            .with_secondary(*first, "first given here")
            .with_help("constrain each key once in a selector: `tier in (a, b)` says both values on one term"),
        );
        return None;
    }
    if !(key_ok && values_ok) {
        return None;
    }
    spans.insert(term.key.node.clone(), term.key.span);
    let mut values: Vec<String> = term.values.iter().map(|v| v.node.clone()).collect();
    values.sort();
    values.dedup();
    Some(ir::Requirement {
        key: term.key.node.clone(),
        op: term.op,
        values,
    })
}

/// One `port` of a service, unless it is invalid or clashes with one of `declared`.
fn service_port(
    service: &Ident,
    spec: &PortSpec,
    declared: &[ir::ServicePort],
    problems: &mut Vec<Diagnostic>,
) -> Option<ir::ServicePort> {
    let (name, numbers, protocol) = value_checks::check_port_spec(spec, true, problems)?;
    let (first, last) = numbers?;
    let port = ir::ServicePort {
        name,
        first,
        last,
        protocol,
        span: spec.span,
    };
    let same_name = |p: &ir::ServicePort| p.name.is_some() && p.name == port.name;
    let Some(clash) = declared.iter().find(|p| {
        same_name(p)
            || (p.protocol == port.protocol && p.first <= port.last && port.first <= p.last)
    }) else {
        return Some(port);
    };
    let what = if same_name(clash) {
        "port name"
    } else {
        "port"
    };
    problems.push(
        Diagnostic::new(
            Code::DuplicatePort,
            format!("{what} declared twice in service `{}`", service.node),
            spec.span,
            "declared again here",
        )
        .with_secondary(clash.span, "first declared here")
        .with_help("each port number (per protocol) and each port name is declared once"),
    );
    None
}

/// Ranges as written, each with its span.
pub(super) type Ranges = Vec<(ipnet::IpNet, Span)>;

/// Check the ranges and exceptions of external `name`: each parses, each exception
/// lies strictly inside a range of its family, and a `/0` range has an exception.
pub(super) fn external_ranges(
    name: &Ident,
    cidrs: &[Spanned<String>],
    except: &[Spanned<String>],
    problems: &mut Vec<Diagnostic>,
) -> (Ranges, Ranges) {
    let mut parse = |list: &[Spanned<String>]| -> Ranges {
        list.iter()
            .filter_map(|c| push_err(value_checks::check_cidr(c), problems).map(|n| (n, c.span)))
            .collect()
    };
    let nets = parse(cidrs);
    let excepts = parse(except);
    for (net, span) in &excepts {
        if let Some(d) = misplaced_exception(name, &nets, net, *span) {
            problems.push(d);
        }
    }
    unbounded(name, &nets, &excepts, problems);
    (nets, excepts)
}

/// E308 or E307 for an exception that narrows none of `nets`. Silent when `nets` is
/// empty: the ranges were rejected already, and the exception cannot be judged.
fn misplaced_exception(
    name: &Ident,
    nets: &Ranges,
    net: &ipnet::IpNet,
    span: Span,
) -> Option<Diagnostic> {
    if nets.is_empty()
        || nets
            .iter()
            .any(|(outer, _)| value_checks::strictly_inside(net, outer))
    {
        return None;
    }
    let same_family: Vec<&(ipnet::IpNet, Span)> = nets
        .iter()
        .filter(|(o, _)| o.addr().is_ipv4() == net.addr().is_ipv4())
        .collect();
    if same_family.is_empty() {
        let family = if net.addr().is_ipv4() { "IPv4" } else { "IPv6" };
        return Some(
            Diagnostic::new(Code::MixedFamilies, format!("`except {net}` is {family}, but no range of `{}` is", name.node), span, format!("{family} exception"))
                .with_secondary(nets[0].1, "the ranges are of the other family")
                .with_help("an exception narrows a range of the same IP family: add that range, or remove the exception"),
        );
    }
    let mut d = Diagnostic::new(
        Code::ExceptNotInside,
        format!(
            "`except {net}` is not strictly inside a range of `{}`",
            name.node
        ),
        span,
        "not strictly inside",
    );
    for (outer, outer_span) in same_family {
        d = d.with_secondary(
            *outer_span,
            format!("`{outer}` does not strictly contain it"),
        );
    }
    Some(d.with_help("Kubernetes requires each `except` to be a smaller range inside its CIDR (equal ranges are rejected too)"))
}

/// W003 for every `/0` range with no exception inside it. A warning about the
/// declaration as written (it needs each range's span, which the IR does not keep),
/// so it is reported here, with the other problems of the external.
fn unbounded(name: &Ident, nets: &Ranges, excepts: &Ranges, problems: &mut Vec<Diagnostic>) {
    for (net, span) in nets.iter().filter(|(n, _)| n.prefix_len() == 0) {
        if excepts.iter().any(|(e, _)| net.contains(e)) {
            continue;
        }
        let v4 = net.addr().is_ipv4();
        problems.push(
            Diagnostic::new(Code::UnboundedExternal, format!("`{}` covers every {} address", name.node, if v4 { "IPv4" } else { "IPv6" }), *span, format!("`{net}` without `except`"))
                .with_help(if v4 {
                    "on several network plugins this also matches the cluster's own pod and service addresses: except them, e.g. `except 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16`; but traffic from a LoadBalancer with `externalTrafficPolicy: Cluster` reaches pods from node addresses, so keep the node range out of `except` (except only the pod and service ranges) if this external is a client"
                } else {
                    "on several network plugins this also matches the cluster's own pod and service addresses: except them, e.g. `except fd00::/8`; but traffic from a LoadBalancer with `externalTrafficPolicy: Cluster` reaches pods from node addresses, so keep the node range out of `except` (except only the pod and service ranges) if this external is a client"
                }),
        );
    }
}

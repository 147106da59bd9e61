//! Hover text (Markdown) for the language server: on a service, its selector, ports,
//! clients and its label contract entry; on a `needs`, each need it stands for and the
//! policy objects it compiles to; on an external, its address ranges; on a group, a
//! namespace or a `use`, what it is. Read from the plan of the last compilation
//! without errors; while the program has errors, the declaration as written and a
//! note say so.

use std::fmt::Write as _;

use super::Analysis;
use super::symbols::{Symbol, SymbolKind};
use crate::ir::{Endpoint, Need, PortKind, Ports, Program, ServiceId};
use crate::lower::{Peer, Plan, Selects};
use crate::source::{FileId, Span};

/// At most this many clients or policy lines are listed; the rest are counted.
const MAX_LINES: usize = 20;

/// What hovering over `span` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    pub span: Span,
    pub markdown: String,
}

impl Analysis {
    /// The hover at `offset` of `file`: a name, a `use`, or a `needs` statement.
    pub fn hover(&self, file: FileId, offset: u32) -> Option<Hover> {
        if let Some(occurrence) = self.index.occurrence_at(file, offset) {
            let symbol = &self.index.symbols[occurrence.symbol];
            return Some(Hover {
                span: occurrence.span,
                markdown: self.symbol_text(symbol),
            });
        }
        if let Some(link) = self.index.use_at(file, offset) {
            let name = link
                .module
                .and_then(|m| self.sources.try_get(m))
                .map_or_else(|| "(not loaded)".to_owned(), |f| f.name.clone());
            return Some(Hover {
                span: link.span,
                markdown: format!("**module** `{name}`"),
            });
        }
        let site = self.index.needs_at(file, offset)?;
        Some(Hover {
            span: site.span,
            markdown: self.needs_text(site.span),
        })
    }

    fn symbol_text(&self, symbol: &Symbol) -> String {
        let place = match (&symbol.scope, symbol.kind) {
            (Some(ns), _) => format!("{ns}/{}", symbol.name),
            _ => symbol.name.clone(),
        };
        let mut text = format!("**{}** `{place}`\n", symbol.kind.as_str());
        let plan = self.plan();
        let found = plan.and_then(|(plan, stale)| {
            let body = match symbol.kind {
                SymbolKind::Service => service_text(plan, symbol)?,
                SymbolKind::External => external_text(&plan.program, symbol)?,
                SymbolKind::Namespace => namespace_text(&plan.program, &symbol.name)?,
                SymbolKind::Group => return None,
            };
            Some((body, stale))
        });
        match found {
            Some((body, stale)) => {
                text.push_str(&body);
                if stale {
                    text.push_str("\n*From the last compilation without errors.*\n");
                }
            }
            None => {
                let _ = write!(text, "\n```netp\n{}\n```\n", self.text(symbol.item).trim());
            }
        }
        text
    }

    fn needs_text(&self, statement: Span) -> String {
        let mut text = "**needs**\n".to_owned();
        let Some((plan, false)) = self.plan() else {
            text.push_str(
                "\nThe policy objects are shown once the program compiles without errors.\n",
            );
            return text;
        };
        let program = &plan.program;
        let needs: Vec<&Need> = program
            .needs
            .iter()
            .filter(|n| n.origin.statement == statement)
            .collect();
        if needs.is_empty() {
            text.push_str("\nNo need: nothing in this statement is compiled.\n");
        }
        let mut lines = Vec::new();
        for need in needs {
            let mut line = format!(
                "- `{}` → `{}` on {}",
                program.endpoint_name(need.subject),
                program.endpoint_name(need.target),
                ports_text(&need.ports)
            );
            let policies = policies_of(plan, need);
            if policies.is_empty() {
                line.push_str(": no policy object (no managed, enforced end)");
            } else {
                let _ = write!(line, ": {}", policies.join(", "));
            }
            lines.push(line);
        }
        push_lines(&mut text, "", &lines);
        text
    }
}

fn push_lines(text: &mut String, heading: &str, lines: &[String]) {
    if !heading.is_empty() {
        let _ = write!(text, "\n{heading}\n");
    }
    text.push('\n');
    for line in lines.iter().take(MAX_LINES) {
        let _ = writeln!(text, "{line}");
    }
    if lines.len() > MAX_LINES {
        let _ = writeln!(text, "- and {} more", lines.len() - MAX_LINES);
    }
}

fn find_service(program: &Program, symbol: &Symbol) -> Option<ServiceId> {
    let namespace = symbol.scope.as_deref()?;
    program.service_ids().find(|&id| {
        let service = program.service(id);
        service.name == symbol.name && program.namespace(service.namespace).name == namespace
    })
}

fn service_text(plan: &Plan, symbol: &Symbol) -> Option<String> {
    let program = &plan.program;
    let id = find_service(program, symbol)?;
    let service = program.service(id);
    let mut terms: Vec<String> = service
        .selector
        .iter()
        .map(|(k, v)| format!("`{k}={v}`"))
        .collect();
    terms.extend(
        service
            .requirements
            .iter()
            .map(|r| format!("`{}`", r.text())),
    );
    let selector = terms.join(", ");
    let mut text = format!("\nselector: {selector}\n");
    let ports = if service.ports.is_empty() {
        "none declared (any port asked for)".to_owned()
    } else {
        service
            .ports
            .iter()
            .map(|p| {
                let range = range_text(p.first, p.last);
                let name = p.name.as_ref().map_or(String::new(), |n| format!("{n} "));
                format!("`{name}{range}/{}`", p.protocol.as_k8s())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(text, "\nports: {ports}");
    let mut clients: Vec<String> = program
        .needs
        .iter()
        .filter(|n| n.target == Endpoint::Service(id))
        .map(|n| {
            format!(
                "- `{}` on {}",
                program.endpoint_name(n.subject),
                ports_text(&n.ports)
            )
        })
        .collect();
    clients.sort();
    clients.dedup();
    if clients.is_empty() {
        text.push_str("\nclients: none\n");
    } else {
        push_lines(&mut text, "clients:", &clients);
    }
    let namespace = &program.namespace(service.namespace).name;
    if let Some(entry) = plan
        .contract()
        .into_iter()
        .find(|e| e.namespace == namespace && e.service == service.name)
    {
        let labels = entry
            .labels
            .iter()
            .map(|(k, v)| format!("`{k}: \"{v}\"`"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(text, "\nlabel contract: {labels}");
        for port in &entry.named_ports {
            let _ = writeln!(
                text,
                "- named port `{}`: containerPort {}/{}",
                port.name, port.container_port, port.protocol
            );
        }
    }
    Some(text)
}

fn external_text(program: &Program, symbol: &Symbol) -> Option<String> {
    let external = program.externals.iter().find(|e| {
        e.name == symbol.name
            && e.namespace.map(|ns| program.namespace(ns).name.as_str()) == symbol.scope.as_deref()
    })?;
    let list = |nets: &[ipnet::IpNet]| {
        nets.iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = format!("\nranges: {}\n", list(&external.cidrs));
    if !external.except.is_empty() {
        let _ = writeln!(text, "\nexcept: {}", list(&external.except));
    }
    Some(text)
}

fn namespace_text(program: &Program, name: &str) -> Option<String> {
    let namespace = program.namespaces.iter().find(|n| n.name == name)?;
    let id = program
        .namespace_ids()
        .find(|&id| program.namespace(id).name == name)?;
    let services = program
        .services
        .iter()
        .filter(|s| s.namespace == id)
        .count();
    let managed = if namespace.managed {
        "managed"
    } else {
        "external (no policy is written in it)"
    };
    let on = |on: bool| if on { "on" } else { "off" };
    Some(format!(
        "\n{managed}; {services} services; enforcement ingress {}, egress {}\n",
        on(namespace.enforcement.ingress.on),
        on(namespace.enforcement.egress.on)
    ))
}

fn range_text(first: u16, last: u16) -> String {
    if first == last {
        first.to_string()
    } else {
        format!("{first}-{last}")
    }
}

/// `443/TCP, metrics (9100)/TCP` or `every port`.
fn ports_text(ports: &Ports) -> String {
    match ports {
        Ports::Any => "every port".to_owned(),
        Ports::List(list) => list
            .iter()
            .map(|p| {
                let port = match &p.kind {
                    PortKind::Range { first, last } => range_text(*first, *last),
                    PortKind::Named {
                        name,
                        number: Some(n),
                    } => format!("{name} ({n})"),
                    PortKind::Named { name, number: None } => name.clone(),
                };
                format!("`{port}/{}`", p.protocol.as_k8s())
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The applied policy objects that carry `need`: the ingress policy at its target and
/// the egress policy at its subject, as `namespace/name`.
fn policies_of(plan: &Plan, need: &Need) -> Vec<String> {
    let program = &plan.program;
    let mut found = Vec::new();
    for ns in &plan.namespaces {
        for policy in ns.ingress.iter().chain(&ns.egress) {
            let (selected, peer_end) = match policy.direction {
                crate::ir::Direction::Ingress => (need.target, need.subject),
                crate::ir::Direction::Egress => (need.subject, need.target),
            };
            if program.endpoint_namespace(selected) != Some(ns.namespace)
                || !selects(plan, policy.selects, selected)
            {
                continue;
            }
            let crate::lower::Rules::List(rules) = &policy.rules else {
                continue;
            };
            let hit = rules
                .iter()
                .any(|r| r.peers.iter().any(|&p| peer_is(plan, p, peer_end)));
            if hit {
                found.push(format!("`{}/{}`", ns.name, policy.name));
            }
        }
    }
    found
}

fn carries(plan: &Plan, service: ServiceId, label: u32) -> bool {
    plan.client_labels
        .get(service.0 as usize)
        .is_some_and(|labels| labels.contains(&label))
}

fn selects(plan: &Plan, selects: Selects, end: Endpoint) -> bool {
    match (selects, end) {
        (Selects::Service(a), Endpoint::Service(b)) => a == b,
        (Selects::Label(label), Endpoint::Service(s)) => carries(plan, s, label),
        (Selects::AllPods, Endpoint::Namespace(_)) => true,
        _ => false,
    }
}

fn peer_is(plan: &Plan, peer: Peer, end: Endpoint) -> bool {
    match (peer, end) {
        (Peer::Service(a), Endpoint::Service(b)) => a == b,
        (Peer::Namespace(a), Endpoint::Namespace(b)) => a == b,
        (Peer::External(a), Endpoint::External(b)) => a == b,
        (Peer::Anywhere, Endpoint::Anywhere) => true,
        (Peer::Label { label, namespace }, Endpoint::Service(s)) => {
            plan.program.service(s).namespace == namespace && carries(plan, s, label)
        }
        _ => false,
    }
}

//! Ports granted through one client label: the union of what the needs behind a
//! `needs-*` label ask for, and W004 when that union gives a client ports it did not
//! ask for. Pure computation on IR ports; never builds objects or names.

use super::clients::Group;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{Need, Port, PortKind, Ports, Program};

/// The ports two needs give together.
pub(super) fn union(a: &Ports, b: &Ports) -> Ports {
    match (a, b) {
        (Ports::Any, _) | (_, Ports::Any) => Ports::Any,
        (Ports::List(x), Ports::List(y)) => {
            if x == y {
                return a.clone();
            }
            let mut all: Vec<Port> = x.iter().chain(y).cloned().collect();
            all.sort();
            all.dedup();
            Ports::List(all)
        }
    }
}

/// Whether a client that asked for `asked` gets nothing more when granted `granted`.
fn covers(asked: &Ports, granted: &Ports) -> bool {
    match (asked, granted) {
        (Ports::Any, _) => true,
        (Ports::List(_), Ports::Any) => false,
        (Ports::List(asked), Ports::List(granted)) => granted
            .iter()
            .all(|g| asked.iter().any(|a| port_covers(a, g))),
    }
}

fn port_covers(asked: &Port, granted: &Port) -> bool {
    if asked.protocol != granted.protocol {
        return false;
    }
    match (&asked.kind, &granted.kind) {
        (PortKind::Range { first, last }, PortKind::Range { first: f, last: l }) => {
            first <= f && l <= last
        }
        (PortKind::Range { first, last }, PortKind::Named { number, .. }) => {
            number.is_some_and(|n| *first <= n && n <= *last)
        }
        (PortKind::Named { number, .. }, PortKind::Range { first, last }) => {
            number.is_some_and(|n| *first == n && *last == n)
        }
        (PortKind::Named { name, .. }, PortKind::Named { name: other, .. }) => name == other,
    }
}

/// W004 for every subject of a label group whose needs do not cover the group's ports.
pub(super) fn broader_grants(
    program: &Program,
    group: &Group,
    label: &str,
    diagnostics: &mut Diagnostics,
) {
    if group.needs.len() < 2 {
        return;
    }
    // Needs are sorted by subject, so one subject's needs are contiguous.
    let needs: Vec<&Need> = group
        .needs
        .iter()
        .map(|&i| &program.needs[i as usize])
        .collect();
    let mut start = 0;
    while start < needs.len() {
        let subject = needs[start].subject;
        let mut end = start;
        let mut asked = needs[start].ports.clone();
        while end + 1 < needs.len() && needs[end + 1].subject == subject {
            end += 1;
            asked = union(&asked, &needs[end].ports);
        }
        if !covers(&asked, &group.ports)
            && let Some(other) = needs
                .iter()
                .find(|n| n.subject != subject && !covers(&asked, &n.ports))
        {
            diagnostics.push(
                Diagnostic::new(
                    Code::BroaderGrant,
                    format!(
                        "`{}` gets more ports of `{}` than it asks for",
                        program.endpoint_name(subject),
                        program.endpoint_name(group.target)
                    ),
                    needs[start].origin.target,
                    "these ports are asked for here",
                )
                .with_secondary(
                    other.origin.target,
                    "this need adds ports to the same client label",
                )
                .with_note(format!(
                    "every pod of `{}` labelled `{label}` may reach `{}` on {}",
                    program.namespace(group.namespace).name,
                    program.endpoint_name(group.target),
                    describe_ports(&group.ports)
                ))
                .with_help(
                    "ask for the same ports in both needs, or write `identity selectors;` for port-exact rules",
                ),
            );
        }
        start = end + 1;
    }
}

fn describe_ports(ports: &Ports) -> String {
    match ports {
        Ports::Any => "every port".to_owned(),
        Ports::List(list) => list
            .iter()
            .map(|p| {
                let proto = p.protocol.as_k8s().to_ascii_lowercase();
                match &p.kind {
                    PortKind::Range { first, last } if first == last => format!("{first}/{proto}"),
                    PortKind::Range { first, last } => format!("{first}-{last}/{proto}"),
                    PortKind::Named {
                        name,
                        number: Some(number),
                    } => format!("{name} ({number}/{proto})"),
                    PortKind::Named { name, .. } => format!("{name}/{proto}"),
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

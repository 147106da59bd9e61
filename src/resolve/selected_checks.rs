//! Warnings about `enforcement ... selected` and `isolate` over the checked program:
//! W600 an `isolate` item in a direction that is not `selected` (it changes nothing),
//! W601 a `selected` direction where a `*` end selects every pod of the namespace
//! anyway (`use std/dns;` is the usual cause). Both read only the program text's
//! settings, not `--enforcement`, which is the build's choice.

use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{Direction, Endpoint, Program, Switch};
use crate::source::Span;

/// W600 then W601, in program order.
pub(super) fn warnings(program: &Program) -> Vec<Diagnostic> {
    let mut out = without_effect(program);
    out.extend(selected_isolates_all(program));
    out
}

fn mode(switch: Switch) -> &'static str {
    match (switch.on, switch.selected) {
        (false, _) => "`off`: nothing is isolated",
        (true, false) => "`on`: every pod is isolated already",
        (true, true) => "`selected`",
    }
}

/// W600: one per `isolate` member, naming the directions it changes nothing in.
fn without_effect(program: &Program) -> Vec<Diagnostic> {
    let mut by_member: Vec<(Span, Vec<String>)> = Vec::new();
    for isolation in &program.isolations {
        let switch = program
            .namespace(isolation.namespace)
            .enforcement
            .of(isolation.direction);
        if switch.on && switch.selected {
            continue;
        }
        let why = format!("{} is {}", isolation.direction.as_lower(), mode(switch));
        match by_member
            .iter_mut()
            .find(|(span, _)| *span == isolation.span)
        {
            Some((_, reasons)) => reasons.push(why),
            None => by_member.push((isolation.span, vec![why])),
        }
    }
    by_member.sort_by_key(|(span, _)| *span);
    by_member
        .into_iter()
        .map(|(span, reasons)| {
            Diagnostic::new(
                Code::IsolateWithoutEffect,
                format!("`isolate` changes nothing here: {}", reasons.join("; ")),
                span,
                "no policy is written for this",
            )
            .with_help("`isolate` acts where the namespace says `enforcement selected;` (or `enforcement ingress selected;` / `enforcement egress selected;`); otherwise remove it")
        })
        .collect()
}

/// W601: per namespace and `selected` direction, the first `*` end that selects
/// every pod (a `*` subject for egress, a `*` target for ingress, `isolate *`).
fn selected_isolates_all(program: &Program) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (index, namespace) in program.namespaces.iter().enumerate() {
        let all = Endpoint::Namespace(crate::ir::NamespaceId(index as u32));
        for direction in Direction::BOTH {
            let switch = namespace.enforcement.of(direction);
            if !(namespace.managed && switch.on && switch.selected) {
                continue;
            }
            let from_need = program.needs.iter().find_map(|need| {
                let (end, written) = match direction {
                    Direction::Ingress => (need.target, need.origin.target),
                    Direction::Egress => (need.subject, need.origin.subject),
                };
                (end == all).then(|| need.origin.via_use.unwrap_or(written))
            });
            let from_isolate = program
                .isolations
                .iter()
                .find(|i| i.pods == all && i.direction == direction)
                .map(|i| i.span);
            let Some(span) = from_need.or(from_isolate) else {
                continue;
            };
            let mut d = Diagnostic::new(
                Code::SelectedIsolatesAll,
                format!(
                    "every pod of namespace `{}` is isolated for {} although it is `selected`",
                    namespace.name,
                    direction.as_lower()
                ),
                span,
                "`*` selects every pod of the namespace",
            )
            .with_help(match direction {
                Direction::Ingress => "write `enforcement ingress on;` if that is meant; otherwise name the services instead of `*`".to_owned(),
                Direction::Egress => "write `enforcement egress on;` if that is meant; otherwise name the services instead of `*` (for DNS: `S needs kube-system/kube-dns:{53, 53/udp};` instead of `use std/dns;`)".to_owned(),
            });
            if let Some(setting) = switch.span {
                d = d.with_secondary(setting, "`selected` here");
            }
            out.push(d);
        }
    }
    out
}

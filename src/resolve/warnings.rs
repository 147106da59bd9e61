//! Warnings about a program that checked clean, as a pass over the checked IR that
//! returns an iterator of diagnostics (in the manner of Cedar's validator string
//! checks): W005 an export nobody needs, W001 a namespace whose pods need other
//! endpoints but cannot resolve DNS (UDP 53, or 5353 for OpenShift's DNS pods). With errors, some needs were dropped, so an
//! export or DNS access could look unused only because of them: the caller runs this
//! pass only when there is no error. Warnings that hold whatever else is wrong are
//! reported where their facts are: W002 in `need_checks`, W003 in `collect` (it needs the
//! span of each range), W006 in `assemble` (the IR keeps no repeat), and W007/W008 by
//! `overlap` on the assembled program.

use super::need_checks::UsedExports;
use super::references::ExportIndex;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{Endpoint, PortKind, Ports, Program, Protocol};

/// W005 then W001 for `program`, which checked clean.
pub(super) fn warnings<'a>(
    program: &'a Program,
    exports: &'a ExportIndex,
    used: &'a UsedExports,
) -> impl Iterator<Item = Diagnostic> + 'a {
    unused_exports(exports, used).chain(no_dns(program))
}

/// W005: `export S to N` where no need from `N` reaches `S` (`to *` names no
/// namespace, so no part of it can be unused).
fn unused_exports<'a>(
    exports: &'a ExportIndex,
    used: &'a UsedExports,
) -> impl Iterator<Item = Diagnostic> + 'a {
    exports.values().flatten().filter_map(move |entry| {
        let to = entry.to.as_ref()?;
        let unused: Vec<String> = to
            .iter()
            .filter(|ns| !used.contains(&(entry.span, (*ns).clone())))
            .map(|n| format!("`{n}`"))
            .collect();
        if unused.is_empty() {
            return None;
        }
        Some(
            Diagnostic::new(Code::UnusedExport, format!("exported to {}, but nothing there needs it", unused.join(", ")), entry.span, "unused export")
                .with_help("remove the namespace from the export (least privilege), or add the `needs` it was meant for"),
        )
    })
}

/// W001: a managed namespace whose egress is enforced (on or `selected`) and whose pods
/// need something but nothing on UDP 53 inside the cluster (so names would not
/// resolve).
fn no_dns(program: &Program) -> impl Iterator<Item = Diagnostic> + '_ {
    let count = program.namespaces.len();
    let mut has_needs = vec![false; count];
    let mut has_dns = vec![false; count];
    for need in &program.needs {
        let ns = match need.subject {
            Endpoint::Service(id) => program.service(id).namespace,
            Endpoint::Namespace(id) => id,
            Endpoint::External(_) | Endpoint::Anywhere => continue,
        };
        has_needs[ns.0 as usize] = true;
        let dns = match &need.ports {
            Ports::Any => false,
            // 53, or 5353 where OpenShift's DNS pods listen (`std/dns-openshift`).
            Ports::List(ports) => ports.iter().any(|p| {
                p.protocol == Protocol::Udp
                    && matches!(p.kind, PortKind::Range { first, last }
                        if [53, 5353].iter().any(|dns| first <= *dns && *dns <= last))
            }),
        };
        if dns && !matches!(need.target, Endpoint::External(_)) {
            has_dns[ns.0 as usize] = true;
        }
    }
    program
        .namespaces
        .iter()
        .enumerate()
        // With egress off (`enforcement egress off;`) nothing restricts egress, so DNS
        // resolves: no warning.
        .filter(move |(i, ns)| {
            ns.managed && ns.enforcement.egress.on && has_needs[*i] && !has_dns[*i]
        })
        .map(|(_, ns)| {
            let label = if ns.enforcement.egress.selected {
                "egress is `selected`: the pods that need something are isolated"
            } else {
                "egress is default-deny here"
            };
            Diagnostic::new(
                Code::NoDns,
                format!(
                    "pods of namespace `{}` need other endpoints but cannot resolve DNS",
                    ns.name
                ),
                ns.span,
                label,
            )
            .with_help(format!(
                "add `use std/dns;` in namespace `{}` so its pods may query kube-dns (`std/dns-nodelocal` with NodeLocal DNSCache, `std/dns-openshift` on OpenShift)",
                ns.name
            ))
        })
}

//! Namespace sets (`namespaces N { select ...; service ...; }`): the checks of the
//! declaration (E650 not exactly one `select` line, E651 the name declared again,
//! E653 a set chosen by the namespace name label), of an `export` to a set (E652), and
//! the warning for a need through `select *;` (W650). A set is otherwise an external
//! namespace: `collect` declares it so, with its labels.

use std::collections::BTreeMap;

use super::declaration_checks::{requirement, select_pair};
use crate::ast::{Ident, SetSelect};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{Endpoint, Program, Requirement};
use crate::source::Span;

/// The label that the API server sets to a namespace's own name.
const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The labels and set-based terms of set `name` (both empty for `select *;`), from
/// its one `select` line.
pub(super) fn selector(
    name: &Ident,
    selects: &[SetSelect],
    diagnostics: &mut Diagnostics,
) -> (crate::ir::Labels, Vec<Requirement>) {
    let Some(first) = selects.first() else {
        diagnostics.push(
            Diagnostic::new(
                Code::SetWithoutSelect,
                format!("namespace set `{}` has no `select` line", name.node),
                name.span,
                "which namespaces?",
            )
            .with_help("say which namespaces it holds: `select team = ops;` (by their labels) or `select *;` (every namespace)"),
        );
        return (crate::ir::Labels::new(), Vec::new());
    };
    for again in &selects[1..] {
        diagnostics.push(
            Diagnostic::new(
                Code::SetWithoutSelect,
                format!("namespace set `{}` has a second `select` line", name.node),
                again.span,
                "selected again here",
            )
            .with_secondary(first.span, "first selected here")
            .with_help("write every label on one line: a namespace must carry all of them (`select team = ops, tier = prod;`)"),
        );
    }
    let mut labels = crate::ir::Labels::new();
    let mut spans: BTreeMap<String, Span> = BTreeMap::new();
    let mut problems = Vec::new();
    let by_name = |key: &crate::ast::Spanned<String>, value: &str| {
        Diagnostic::new(
            Code::SetByNamespaceName,
            format!("namespace set `{}` is chosen by the namespace's name", name.node),
            key.span,
            "the API server sets this label to the name",
        )
        .with_help(format!(
            "name the namespace instead: `external namespace {value} {{ ... }}` (or `namespace {value} {{ ... }}` if this program manages it)"
        ))
    };
    for pair in &first.pairs {
        if pair.key.node == NAME_LABEL {
            problems.push(by_name(&pair.key, &pair.value.node));
            continue;
        }
        select_pair(pair, &mut labels, &mut spans, &mut problems);
    }
    let mut requirements = Vec::new();
    for term in &first.requirements {
        if term.key.node == NAME_LABEL {
            let value = term.values.first().map_or("N", |v| v.node.as_str());
            problems.push(by_name(&term.key, value));
            continue;
        }
        requirements.extend(requirement(term, &mut spans, &mut problems));
    }
    requirements.sort();
    for d in problems {
        diagnostics.push(d);
    }
    (labels, requirements)
}

/// E651: `name`, already declared at `first`, is a namespace set's name (or a set's
/// name is already a namespace's).
pub(super) fn name_conflict(name: &Ident, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::SetNameConflict,
        format!("`{}` names a namespace set and is declared again", name.node),
        name.span,
        "declared again here",
    )
    .with_secondary(first, "first declared here")
    .with_help("a namespace set is declared once, with its `select` line and its services, and its name is no namespace's: rename one of them")
}

/// E652: `export ... to SET`, where `set` (at `at`) names a namespace set.
pub(super) fn export_to_set(set: &Ident, declared: Span) -> Diagnostic {
    Diagnostic::new(
        Code::ExportToSet,
        format!("`{}` is a namespace set: nothing is exported to it", set.node),
        set.span,
        "a set of namespaces, not one",
    )
    .with_secondary(declared, "declared as a set here")
    .with_help("no policy is written in a set, so it needs no consent: its pods reach this service through a `needs` written here (`SET/CLIENT needs SERVICE:PORT;`)")
}

/// W650: a need whose subject or target is in a set that holds namespaces without
/// labels (`select *;`, or only `notin` and `!` terms), which managed namespaces are
/// to netpc, while the program manages namespaces: the pods of those are in the set, but
/// netpc writes the need only at the other end.
pub(super) fn every_namespace_warnings(program: &Program, diagnostics: &mut Diagnostics) {
    let managed: Vec<&str> = program
        .namespaces
        .iter()
        .filter(|n| n.managed)
        .map(|n| n.name.as_str())
        .collect();
    if managed.is_empty() {
        return;
    }
    let every = |endpoint: Endpoint| {
        program
            .endpoint_namespace(endpoint)
            .map(|ns| program.namespace(ns))
            .filter(|ns| {
                let none = BTreeMap::new();
                ns.set.as_ref().is_some_and(crate::ir::Labels::is_empty)
                    && ns.set_requirements.iter().all(|r| r.matches(&none))
            })
    };
    let mut seen = std::collections::BTreeSet::new();
    for need in &program.needs {
        let (set, span, side) = match (every(need.subject), every(need.target)) {
            (Some(set), _) => (set, need.origin.subject, "egress from"),
            (None, Some(set)) => (set, need.origin.target, "ingress to"),
            (None, None) => continue,
        };
        if !seen.insert(span) {
            continue;
        }
        let list = managed
            .iter()
            .take(3)
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let more = if managed.len() > 3 { ", ..." } else { "" };
        diagnostics.push(
            Diagnostic::new(
                Code::EverySetMeetsManaged,
                format!("`{}` also holds the managed namespaces {list}{more}", set.name),
                span,
                "written only at the other end",
            )
            .with_secondary(set.span, "a set that namespaces without labels are in")
            .with_help(format!("netpc writes no {side} the pods of a managed namespace for this need: where they should take part, write the need with their own service too")),
        );
    }
}

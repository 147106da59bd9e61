//! Selector overlap warnings on the checked program: two services of one namespace
//! whose selectors can match the same pod (W007), and a service whose selector
//! includes the exempt label (W008). A selector is a set of `key = value` equalities
//! (`select ...`, or the default `app=<name>`); two selectors overlap when they
//! constrain at least one common key and give every common key the same value. The
//! exempt label is compared as the one-pair selector `key = value`. Services in
//! different namespaces never overlap: pods are namespaced. A selector with set-based
//! terms (`in`, `notin`, `k`, `!k`) overlaps another when they constrain a common key
//! and some pod satisfies both; such services are compared one by one with every
//! service of their namespace, unless a namespace has more than [`MAX_KEY_SETS`] of
//! them (then they are not compared).
//!
//! Linear for realistic programs: services are grouped by namespace and then by the
//! set of keys their selector constrains; a group is compared with itself through a
//! hash of its values, and with every other group that shares a key through a hash of
//! the shared keys' values. In a namespace with more than [`MAX_KEY_SETS`] distinct
//! key sets only services of the same key set are compared (documented in W007).

use rustc_hash::FxHashMap;

use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{Program, Service};

/// Beyond this many distinct key sets in one namespace, groups are not compared with
/// each other (the comparison is quadratic in the number of key sets).
pub const MAX_KEY_SETS: usize = 32;

/// W007 and W008 for `program`, in service order.
pub(super) fn warnings(program: &Program) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for service in &program.services {
        if let Some(d) = exempt_warning(program, service) {
            out.push(d);
        }
    }
    // Services are sorted by (namespace, name): each namespace is one run of ids.
    let services = &program.services;
    let mut start = 0;
    while start < services.len() {
        let ns = services[start].namespace;
        let end = start + services[start..].partition_point(|s| s.namespace == ns);
        let partners = earlier_overlaps(&services[start..end]);
        for (i, partner) in partners.into_iter().enumerate() {
            if let Some(j) = partner {
                out.push(overlap_warning(
                    program,
                    &services[start + i],
                    &services[start + j],
                ));
            }
        }
        start = end;
    }
    out
}

/// For every service of one namespace, the first earlier service (by index) whose
/// selector overlaps its own.
fn earlier_overlaps(services: &[Service]) -> Vec<Option<usize>> {
    // Key set -> services with exactly those keys, in index order.
    let mut by_keys: FxHashMap<Vec<&str>, Vec<usize>> = FxHashMap::default();
    for (i, s) in services.iter().enumerate() {
        if !s.requirements.is_empty() {
            continue;
        }
        let keys: Vec<&str> = s.selector.keys().map(String::as_str).collect();
        by_keys.entry(keys).or_default().push(i);
    }
    let mut groups: Vec<(Vec<&str>, Vec<usize>)> = by_keys.into_iter().collect();
    groups.sort_by_key(|(_, members)| members[0]);
    // An earlier service with the same selector is named first: it is the plainest case.
    let mut same: Vec<Option<usize>> = vec![None; services.len()];
    let mut other: Vec<Option<usize>> = vec![None; services.len()];
    let compare_groups = groups.len() <= MAX_KEY_SETS;
    for (g1, (keys1, members1)) in groups.iter().enumerate() {
        for (g2, (keys2, members2)) in groups.iter().enumerate() {
            if g1 != g2 && !compare_groups {
                continue;
            }
            let shared: Vec<&str> = keys1
                .iter()
                .filter(|k| keys2.contains(k))
                .copied()
                .collect();
            if shared.is_empty() {
                continue;
            }
            let partner = if g1 == g2 { &mut same } else { &mut other };
            // Values of the shared keys -> the first service of group 2 with them.
            let mut first: FxHashMap<Vec<&str>, usize> = FxHashMap::default();
            for &b in members2 {
                first.entry(values(&services[b], &shared)).or_insert(b);
            }
            for &a in members1 {
                if let Some(&b) = first.get(&values(&services[a], &shared))
                    && b < a
                    && partner[a].is_none_or(|p| b < p)
                {
                    partner[a] = Some(b);
                }
            }
        }
    }
    let mut partners: Vec<Option<usize>> =
        same.into_iter().zip(other).map(|(s, o)| s.or(o)).collect();
    set_based_overlaps(services, &mut partners);
    partners
}

/// The services with set-based terms, compared with every other service of the
/// namespace (none when there are more than [`MAX_KEY_SETS`] of them).
fn set_based_overlaps(services: &[Service], partners: &mut [Option<usize>]) {
    let with: Vec<usize> = (0..services.len())
        .filter(|&i| !services[i].requirements.is_empty())
        .collect();
    if with.len() > MAX_KEY_SETS {
        return;
    }
    for &r in &with {
        for k in 0..services.len() {
            if k == r || (!services[k].requirements.is_empty() && k < r) {
                continue; // a pair of two such services is seen once, from the earlier
            }
            let (a, b) = (r.max(k), r.min(k));
            if may_overlap(&services[a], &services[b]) && partners[a].is_none_or(|p| b < p) {
                partners[a] = Some(b);
            }
        }
    }
}

/// Whether the selectors constrain a common key and some labels satisfy both.
fn may_overlap(a: &Service, b: &Service) -> bool {
    let keys = |s: &Service| -> Vec<String> {
        let mut k: Vec<String> = s.selector.keys().cloned().collect();
        k.extend(s.requirements.iter().map(|r| r.key.clone()));
        k
    };
    let (ka, kb) = (keys(a), keys(b));
    let shared: Vec<&String> = ka.iter().filter(|k| kb.contains(k)).collect();
    !shared.is_empty() && shared.iter().all(|key| key_satisfiable(key, a, b))
}

/// Whether one value (or absence) of `key` satisfies what both selectors ask of it.
fn key_satisfiable(key: &str, a: &Service, b: &Service) -> bool {
    use crate::ir::RequirementOp;
    let mut candidates: Option<Vec<&String>> = None;
    let mut excluded: Vec<&String> = Vec::new();
    let (mut present, mut absent) = (false, false);
    for s in [a, b] {
        if let Some(v) = s.selector.get(key) {
            present = true;
            narrow(&mut candidates, vec![v]);
        }
        for r in s.requirements.iter().filter(|r| r.key == key) {
            match r.op {
                RequirementOp::In => {
                    present = true;
                    narrow(&mut candidates, r.values.iter().collect());
                }
                RequirementOp::NotIn => excluded.extend(&r.values),
                RequirementOp::Exists => present = true,
                RequirementOp::DoesNotExist => absent = true,
            }
        }
    }
    if absent {
        return !present;
    }
    candidates.is_none_or(|c| c.iter().any(|v| !excluded.contains(v)))
}

/// Keep the candidate values that are also in `values` (all of them at first).
fn narrow<'a>(candidates: &mut Option<Vec<&'a String>>, values: Vec<&'a String>) {
    *candidates = Some(match candidates.take() {
        None => values,
        Some(c) => c.into_iter().filter(|v| values.contains(v)).collect(),
    });
}

fn values<'a>(service: &'a Service, keys: &[&str]) -> Vec<&'a str> {
    keys.iter()
        .map(|k| service.selector.get(k).map_or("", String::as_str))
        .collect()
}

/// `tier=web, app=admin`, or `app=cache (the default)`.
fn selector_text(service: &Service) -> String {
    let text = service.selector_text();
    if service.explicit_selector {
        format!("`{text}`")
    } else {
        format!("`{text}` (the default)")
    }
}

fn contains(big: &Service, small: &Service) -> bool {
    big.requirements.is_empty()
        && small.requirements.is_empty()
        && small
            .selector
            .iter()
            .all(|(k, v)| big.selector.get(k) == Some(v))
}

fn overlap_warning(program: &Program, later: &Service, first: &Service) -> Diagnostic {
    let ns = &program.namespace(later.namespace).name;
    let (a, b) = (&later.name, &first.name);
    let d = Diagnostic::new(
        Code::OverlappingSelectors,
        format!("services `{ns}/{a}` and `{ns}/{b}` can select the same pods"),
        later.span,
        format!("selects {}", selector_text(later)),
    )
    .with_secondary(first.span, format!("selects {}", selector_text(first)));
    let d = match (contains(later, first), contains(first, later)) {
        (true, true) => d.with_note(format!("`{a}` and `{b}` select exactly the same pods")),
        (true, false) => d.with_note(format!("every pod of `{a}` is also a pod of `{b}`")),
        (false, true) => d.with_note(format!("every pod of `{b}` is also a pod of `{a}`")),
        (false, false) => d.with_note(
            "a pod carrying the labels of both selectors is a pod of both services".to_owned(),
        ),
    };
    d.with_note(
        "such a pod gets the policies of both services: it is admitted and may connect wherever either is, and `netpc verify` reports the difference",
    )
    .with_help(format!(
        "make the selectors disjoint: select one label key in both with different values, e.g. `component = {a}` in `{a}` and `component = {b}` in `{b}`"
    ))
}

fn exempt_warning(program: &Program, service: &Service) -> Option<Diagnostic> {
    let exempt = &program.exempt;
    if service.selector.get(&exempt.key) != Some(&exempt.value) {
        return None;
    }
    let ns = &program.namespace(service.namespace).name;
    let label = format!("{}={}", exempt.key, exempt.value);
    let d = Diagnostic::new(
        Code::ExemptSelector,
        format!(
            "every pod of `{ns}/{}` carries the exempt label `{label}`",
            service.name
        ),
        service.span,
        format!("selects {}", selector_text(service)),
    )
    .with_note(
        "exempt pods are unaffected by every generated policy: this service's `needs` and ingress rules have no effect, and `netpc verify` reports the difference",
    );
    let d = match exempt.span {
        Some(span) => d.with_secondary(span, "the exempt label"),
        None => d.with_note(format!(
            "`{label}` is the default exempt label (the program has no `exempt label` line)"
        )),
    };
    Some(d.with_help(format!(
        "remove `{}` from the selector, or choose an exempt label that no service selects (`exempt label KEY = VALUE;`)",
        exempt.key
    )))
}

//! Namespace selectors of the original policies, read: one namespace's name is that
//! namespace; labels and set-based terms (or `{}`) are a namespace set of the program
//! (`namespaces NAME { select ...; }`, named after its terms, made once per selector),
//! with the managed namespaces it matches now; anything else is the namespaces it
//! matches now, with a note. Pure; part of `policies`' reading.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::Note;
use super::policies::{Reading, SetSelector, equalities, select_terms};
use crate::analyze::selector_matches;

/// The namespace set of the labels `labels` (made on first use): named after its
/// pairs (`team-ops`, `all-namespaces` for `{}`), never a namespace's name.
fn set_for(reading: &mut Reading, chosen: &SetSelector) -> String {
    if let Some((name, _)) = reading.sets.iter().find(|(_, l)| *l == chosen) {
        return name.clone();
    }
    let short = |k: &str| k.rsplit('/').next().unwrap_or(k).to_owned();
    let mut words: Vec<String> = chosen
        .0
        .iter()
        .map(|(k, v)| format!("{}-{v}", short(k)))
        .collect();
    words.extend(chosen.1.iter().map(|r| match r.op {
        crate::ir::RequirementOp::In => format!("{}-{}", short(&r.key), r.values.join("-")),
        crate::ir::RequirementOp::NotIn => format!("{}-not-{}", short(&r.key), r.values.join("-")),
        crate::ir::RequirementOp::Exists => short(&r.key),
        crate::ir::RequirementOp::DoesNotExist => format!("no-{}", short(&r.key)),
    }));
    let mut base = crate::probe::derive::dns_label(&words.join("-"));
    base.truncate(50);
    let base = base.trim_end_matches('-').to_owned();
    let base = if base.is_empty() {
        "all-namespaces".to_owned()
    } else {
        base
    };
    let mut name = base.clone();
    let mut n = 2;
    while reading.namespaces.contains_key(&name) || reading.sets.contains_key(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    reading.sets.insert(name.clone(), chosen.clone());
    name
}

/// The namespaces of the input a namespace selector matches. A selector of label
/// equalities and set-based terms (or `{}`) that is not one namespace's name is a
/// namespace set: the set
/// comes first, then the managed namespaces it matches now (their own policies decide
/// their end). Any other selector also matches namespaces created later (a note says
/// so) and is read as the namespaces it matches now.
pub(super) fn matching_namespaces(
    reading: &mut Reading,
    selector: &LabelSelector,
    id: &str,
) -> Vec<String> {
    let named = crate::probe::derive::named_namespace(selector).is_some()
        && equalities(selector).is_some_and(|l| l.len() == 1);
    let set = select_terms(selector).filter(|(l, t)| {
        let name = crate::analyze::NAMESPACE_NAME_LABEL;
        !named && !l.contains_key(name) && t.iter().all(|r| r.key != name)
    });
    if let Some(chosen) = set {
        let name = set_for(reading, &chosen);
        let mut out = vec![name];
        out.extend(
            reading
                .namespaces
                .iter()
                .filter(|(n, l)| reading.managed.contains(*n) && selector_matches(selector, l))
                .map(|(n, _)| n.clone()),
        );
        return out;
    }
    if !named {
        reading.notes.push(Note::narrower(
            id,
            format!(
                "the namespace selector `{}` also matches namespaces created later: \
                 the import names the namespaces it matches now",
                crate::analyze::selector_text(selector)
            ),
        ));
    }
    reading
        .namespaces
        .iter()
        .filter(|(_, l)| selector_matches(selector, l))
        .map(|(n, _)| n.clone())
        .collect()
}

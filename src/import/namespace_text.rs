//! The files of the namespaces import does not manage: an `external namespace` for a
//! namespace without policies, and a namespace set (`namespaces N { select ...; }`)
//! for a namespace selector by labels, with the services the needs reach there. Pure;
//! laid out as `program_text` lays out the rest.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::naming::Names;
use super::pod_terms::Select;
use super::service_text::{quoted, service_line};

/// A set-based term as `select` writes it, values quoted where they must be.
pub(super) fn term_text(r: &crate::ir::Requirement) -> String {
    let values: Vec<String> = r.values.iter().map(|v| quoted(v)).collect();
    match r.op {
        crate::ir::RequirementOp::In => format!("{} in ({})", r.key, values.join(", ")),
        crate::ir::RequirementOp::NotIn => format!("{} notin ({})", r.key, values.join(", ")),
        crate::ir::RequirementOp::Exists => r.key.clone(),
        crate::ir::RequirementOp::DoesNotExist => format!("!{}", r.key),
    }
}

/// A namespace set: the namespaces a selector chose by their labels.
pub(super) fn set_file(
    ns: &str,
    (labels, terms): &super::policies::SetSelector,
    services: &BTreeSet<(String, Select)>,
    names: &Names,
) -> String {
    let mut text = String::from(
        "// Imported by `netpc import`: the namespaces a namespace selector chose by their labels.\n",
    );
    let select = if labels.is_empty() && terms.is_empty() {
        "*".to_owned()
    } else {
        let mut pairs: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k} = {}", quoted(v)))
            .collect();
        pairs.extend(terms.iter().map(term_text));
        pairs.join(", ")
    };
    let _ = writeln!(text, "namespaces {ns} {{");
    let _ = writeln!(text, "  select {select};");
    service_lines(&mut text, services, names);
    let _ = writeln!(text, "}}");
    text
}

/// The `service` lines of an unmanaged namespace or a namespace set, indented.
fn service_lines(text: &mut String, services: &BTreeSet<(String, Select)>, names: &Names) {
    for key in services {
        let name = names.services.get(key).cloned().unwrap_or_default();
        let _ = writeln!(
            text,
            "  {}",
            service_line(&name, &key.1, names.ports.get(key))
        );
    }
}

/// A namespace without policies.
pub(super) fn external_file(
    ns: &str,
    services: &BTreeSet<(String, Select)>,
    names: &Names,
) -> String {
    let mut text = String::from("// Imported by `netpc import`: a namespace without policies.\n");
    if services.is_empty() {
        let _ = writeln!(text, "external namespace {ns} {{}}");
        return text;
    }
    let _ = writeln!(text, "external namespace {ns} {{");
    service_lines(&mut text, services, names);
    let _ = writeln!(text, "}}");
    text
}

//! The admission guard of the label contract (`out/admission/`, docs/rollout.md): in
//! the `labels` identity style a `needs-T` label grants access, so anyone who can edit a
//! pod template could grant it. This module writes one `ValidatingAdmissionPolicy` and
//! its binding (`admissionregistration.k8s.io/v1`, Kubernetes 1.30+) that, in every
//! managed namespace, reject a Pod, or a workload whose pod template, carries a
//! `needs-*` label naming no target, or one whose labels match the selector of no
//! service the program declares as a client behind that label. Standard CEL only (no
//! Kubernetes CEL library function), so it can be evaluated outside an API server
//! (tests/it/admission_guard.rs). Pure: text out, no I/O.

use std::collections::BTreeMap;

use k8s_openapi::api::admissionregistration::v1::{
    AuditAnnotation, MatchResources, NamedRuleWithOperations, ValidatingAdmissionPolicy,
    ValidatingAdmissionPolicyBinding, ValidatingAdmissionPolicyBindingSpec,
    ValidatingAdmissionPolicySpec, Validation, Variable,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};

use super::{EmitError, HEADER, kustomization, yaml};
use crate::ir::{GuardAction, IdentityStyle};
use crate::lower::{MANAGED_BY, NAMESPACE_NAME_LABEL, Plan};
use crate::output;

/// The name of the policy and of its binding.
pub const NAME: &str = "netpc-label-guard";
/// The file of the policy, in `admission/`.
pub const POLICY_FILE: &str = "label-guard-policy";
/// The file of the binding, in `admission/`.
pub const BINDING_FILE: &str = "label-guard-binding";

/// A file of `admission/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardFile {
    Kustomization,
    Policy,
    Binding,
}

/// The files of `admission/` (its kustomization, the policy, the binding) by path;
/// none in the `selectors` identity style or without a managed namespace. Their texts
/// are rendered by [`render`].
pub fn files(plan: &Plan) -> Vec<(String, GuardFile)> {
    if !guarded(plan) {
        return Vec::new();
    }
    vec![
        (output::admission("kustomization"), GuardFile::Kustomization),
        (output::admission(POLICY_FILE), GuardFile::Policy),
        (output::admission(BINDING_FILE), GuardFile::Binding),
    ]
}

/// Append the text of one file of `admission/` to `out`.
pub fn render(plan: &Plan, file: GuardFile, out: &mut String) -> Result<(), EmitError> {
    match file {
        GuardFile::Kustomization => out.push_str(&kustomization(vec![
            &format!("{POLICY_FILE}.yaml"),
            &format!("{BINDING_FILE}.yaml"),
        ])?),
        GuardFile::Policy => {
            out.push_str(HEADER);
            yaml::write(&policy(plan), out)?;
        }
        GuardFile::Binding => {
            out.push_str(HEADER);
            yaml::write(&binding(plan), out)?;
        }
    }
    Ok(())
}

/// Whether the program has anything to guard.
fn guarded(plan: &Plan) -> bool {
    plan.program.identity == IdentityStyle::Labels && !plan.namespaces.is_empty()
}

/// The policy and the binding as YAML documents (without header), in apply order: the
/// policy first, so the binding never names a missing policy. Empty when there is
/// nothing to guard.
pub fn objects(plan: &Plan) -> Result<Vec<String>, EmitError> {
    if !guarded(plan) {
        return Ok(Vec::new());
    }
    Ok(vec![
        yaml::to_string(&policy(plan))?,
        yaml::to_string(&binding(plan))?,
    ])
}

fn metadata() -> ObjectMeta {
    ObjectMeta {
        name: Some(NAME.to_owned()),
        labels: Some(BTreeMap::from([(
            MANAGED_BY.0.to_owned(),
            MANAGED_BY.1.to_owned(),
        )])),
        ..ObjectMeta::default()
    }
}

fn strings(items: &[&str]) -> Option<Vec<String>> {
    Some(items.iter().map(|s| (*s).to_owned()).collect())
}

/// A CEL string literal (label keys and values never hold quotes or backslashes, but
/// the literal is escaped all the same).
fn cel_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `{"ns": {"needs-T": [{"app": "api"}, ...], ...}, ...}`: for every managed namespace
/// and every client label carried there, the selectors of the services that carry it.
fn contract_literal(plan: &Plan) -> String {
    let program = &plan.program;
    let mut by_namespace: BTreeMap<&str, BTreeMap<&str, Vec<String>>> = BTreeMap::new();
    for ns in &plan.namespaces {
        by_namespace.entry(&ns.name).or_default();
    }
    for (index, carried) in plan.client_labels.iter().enumerate() {
        let Some(service) = program.services.get(index) else {
            continue;
        };
        let namespace = program.namespace(service.namespace);
        if !namespace.managed {
            continue;
        }
        let selector = service
            .selector
            .iter()
            .map(|(k, v)| format!("{}: {}", cel_string(k), cel_string(v)))
            .collect::<Vec<_>>()
            .join(", ");
        let labels = by_namespace.entry(&namespace.name).or_default();
        for &label in carried {
            if let Some(key) = plan.labels.get(label as usize) {
                labels
                    .entry(key)
                    .or_default()
                    .push(format!("{{{selector}}}"));
            }
        }
    }
    let namespaces: Vec<String> = by_namespace
        .iter()
        .map(|(ns, labels)| {
            let labels: Vec<String> = labels
                .iter()
                .map(|(key, selectors)| format!("{}: [{}]", cel_string(key), selectors.join(", ")))
                .collect();
            format!("{}: {{{}}}", cel_string(ns), labels.join(", "))
        })
        .collect();
    format!("{{{}}}", namespaces.join(", "))
}

/// The labels of the pod template of `root` (`object` or `oldObject`).
fn template(root: &str) -> String {
    format!(
        "request.kind.kind == \"Pod\" ? {root} : (request.kind.kind == \"CronJob\" ? {root}.spec.jobTemplate.spec.template : {root}.spec.template)"
    )
}

fn labels_of(template: &str) -> String {
    format!(
        "has({template}.metadata) && has({template}.metadata.labels) ? {template}.metadata.labels : {{}}"
    )
}

fn variable(name: &str, expression: String) -> Variable {
    Variable {
        name: name.to_owned(),
        expression,
    }
}

/// The variables, in the order the API server evaluates them (each may use the ones
/// before it).
fn variables(plan: &Plan) -> Vec<Variable> {
    let known: Vec<String> = plan.labels.iter().map(|l| cel_string(l)).collect();
    vec![
        variable("template", template("object")),
        variable("labels", labels_of("variables.template")),
        // On UPDATE, the labels before (on CREATE, the same as now). Comparing with
        // `null` is avoided: not every CEL implementation has heterogeneous equality.
        variable(
            "oldTemplate",
            format!(
                "request.operation == \"UPDATE\" ? ({}) : variables.template",
                template("oldObject")
            ),
        ),
        variable("oldLabels", labels_of("variables.oldTemplate")),
        // An update that keeps every label is admitted: scaling or a status change of
        // a workload must never be blocked by the guard.
        variable(
            "unchanged",
            "request.operation == \"UPDATE\" && variables.oldLabels == variables.labels"
                .to_owned(),
        ),
        variable(
            "needs",
            "variables.labels.filter(k, k.startsWith(\"needs-\"))".to_owned(),
        ),
        variable("known", format!("[{}]", known.join(", "))),
        variable("contract", contract_literal(plan)),
        variable(
            "clients",
            "namespaceObject.metadata.name in variables.contract ? variables.contract[namespaceObject.metadata.name] : {}".to_owned(),
        ),
        variable(
            "unknown",
            "variables.needs.filter(k, !(k in variables.known))".to_owned(),
        ),
        variable(
            "undeclared",
            "variables.needs.filter(k, k in variables.known && !(k in variables.clients && variables.clients[k].exists(s, s.all(key, key in variables.labels && variables.labels[key] == s[key]))))".to_owned(),
        ),
    ]
}

fn policy(plan: &Plan) -> ValidatingAdmissionPolicy {
    let exempt = &plan.program.exempt;
    let (key, value) = (cel_string(&exempt.key), cel_string(&exempt.value));
    let action = plan.program.guard.unwrap_or(GuardAction::Deny);
    ValidatingAdmissionPolicy {
        metadata: metadata(),
        spec: Some(ValidatingAdmissionPolicySpec {
            // Warn is for adoption: an expression that cannot be evaluated must not
            // block anything then.
            failure_policy: Some(match action {
                GuardAction::Deny => "Fail".to_owned(),
                GuardAction::Warn => "Ignore".to_owned(),
            }),
            match_constraints: Some(MatchResources {
                resource_rules: Some(vec![
                    rule("", &["pods"]),
                    rule("apps", &["deployments", "statefulsets", "daemonsets", "replicasets"]),
                    rule("batch", &["jobs", "cronjobs"]),
                ]),
                ..MatchResources::default()
            }),
            variables: Some(variables(plan)),
            validations: Some(vec![
                Validation {
                    expression: "variables.unchanged || size(variables.unknown) == 0".to_owned(),
                    message_expression: Some("\"the label \" + variables.unknown[0] + \" names no target of the network policy program: remove it (labels.yaml lists the labels each workload must carry)\"".to_owned()),
                    reason: Some("Forbidden".to_owned()),
                    ..Validation::default()
                },
                Validation {
                    expression: "variables.unchanged || size(variables.undeclared) == 0".to_owned(),
                    message_expression: Some("\"the label \" + variables.undeclared[0] + \" grants network access, but these labels match no service that the network policy program declares as its client in namespace \" + namespaceObject.metadata.name + \": declare the need in the program, or remove the label\"".to_owned()),
                    reason: Some("Forbidden".to_owned()),
                    ..Validation::default()
                },
            ]),
            audit_annotations: Some(vec![AuditAnnotation {
                key: "exempt-label".to_owned(),
                value_expression: format!(
                    "{key} in variables.labels && variables.labels[{key}] == {value} ? request.kind.kind + \" \" + namespaceObject.metadata.name + \"/\" + (has(object.metadata.name) ? object.metadata.name : \"\") + \" carries the exempt label \" + {key} + \"=\" + {value} + \": no generated network policy restricts it\" : null"
                ),
            }]),
            ..ValidatingAdmissionPolicySpec::default()
        }),
        status: None,
    }
}

fn rule(group: &str, resources: &[&str]) -> NamedRuleWithOperations {
    NamedRuleWithOperations {
        api_groups: strings(&[group]),
        api_versions: strings(&["v1"]),
        operations: strings(&["CREATE", "UPDATE"]),
        resources: strings(resources),
        ..NamedRuleWithOperations::default()
    }
}

fn binding(plan: &Plan) -> ValidatingAdmissionPolicyBinding {
    let action = match plan.program.guard.unwrap_or(GuardAction::Deny) {
        GuardAction::Deny => "Deny",
        GuardAction::Warn => "Warn",
    };
    ValidatingAdmissionPolicyBinding {
        metadata: metadata(),
        spec: ValidatingAdmissionPolicyBindingSpec {
            policy_name: NAME.to_owned(),
            validation_actions: vec![action.to_owned()],
            match_resources: Some(MatchResources {
                namespace_selector: Some(LabelSelector {
                    match_expressions: Some(vec![LabelSelectorRequirement {
                        key: NAMESPACE_NAME_LABEL.to_owned(),
                        operator: "In".to_owned(),
                        values: Some(plan.namespaces.iter().map(|n| n.name.clone()).collect()),
                    }]),
                    match_labels: None,
                }),
                ..MatchResources::default()
            }),
            param_ref: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::cel_string;

    /// A CEL string literal escapes its quotes and backslashes (label keys and values
    /// cannot hold them, so only this test reaches the escape).
    #[test]
    fn cel_strings_escape_quotes_and_backslashes() {
        assert_eq!(cel_string("needs-db"), r#""needs-db""#);
        assert_eq!(cel_string(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}

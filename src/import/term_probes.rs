//! The probe pods that tell set-based pod selector terms apart, for the fidelity check
//! of `netpc import`: besides the pods a selector matches (`crate::probe::derive`),
//! for each of its `matchExpressions` the pods next to it that fail (or pass) only that
//! term: another value and no value for an `In`, each excluded value and another one
//! for a `NotIn`, no value for an `Exists`, a value for a `DoesNotExist`. A program
//! that wrote `k` for `k notin (x)`, or dropped a value of an `in`, differs on one of
//! them. And the pods a selector matches that the representative misses (a key
//! constrained twice: [`alternatives`]). Pure.

use std::collections::BTreeSet;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::analyze::Labels;
use crate::probe::derive::{self, Found};

/// At most this many values of one `NotIn` get a pod each.
pub const MAX_VALUES: usize = 8;

/// A value none of `values` is: `netpc-probe`, or `netpc-probe-2`, ... .
fn other_value(values: &[String]) -> String {
    let mut candidate = derive::EXISTS_VALUE.to_owned();
    let mut n = 2;
    while values.contains(&candidate) {
        candidate = format!("{}-{n}", derive::EXISTS_VALUE);
        n += 1;
    }
    candidate
}

/// The label sets next to `selector`'s representative that each differ in one term.
pub fn neighbours(selector: &LabelSelector) -> Vec<Labels> {
    let Some(base) = derive::representative(selector) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let with = |key: &str, value: Option<&str>| {
        let mut labels = base.clone();
        match value {
            Some(v) => labels.insert(key.to_owned(), v.to_owned()),
            None => labels.remove(key),
        };
        labels
    };
    for expr in selector.match_expressions.iter().flatten() {
        let values = expr.values.clone().unwrap_or_default();
        let other = other_value(&values);
        match expr.operator.as_str() {
            "In" => {
                out.push(with(&expr.key, Some(&other)));
                out.push(with(&expr.key, None));
            }
            "NotIn" => {
                out.extend(
                    values
                        .iter()
                        .take(MAX_VALUES)
                        .map(|v| with(&expr.key, Some(v))),
                );
                out.push(with(&expr.key, Some(&other)));
            }
            "Exists" => out.push(with(&expr.key, None)),
            "DoesNotExist" => out.push(with(&expr.key, Some(derive::EXISTS_VALUE))),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out.retain(|l| *l != base);
    out
}

/// Label sets `selector` matches with each value of each `In` chosen first: when the
/// representative fails (`app in (a, b)` with `app notin (a)`), these still find
/// the pods it matches (`app=b`).
pub fn alternatives(selector: &LabelSelector) -> Vec<Labels> {
    let exprs = selector.match_expressions.iter().flatten();
    let mut out = Vec::new();
    for chosen in exprs.clone().filter(|e| e.operator == "In") {
        for value in chosen.values.iter().flatten().take(MAX_VALUES) {
            let mut labels = selector.match_labels.clone().unwrap_or_default();
            labels.insert(chosen.key.clone(), value.clone());
            for expr in exprs.clone() {
                let first = match expr.operator.as_str() {
                    "In" => expr.values.iter().flatten().next().cloned(),
                    "Exists" => Some(derive::EXISTS_VALUE.to_owned()),
                    _ => None,
                };
                if let Some(first) = first {
                    labels.entry(expr.key.clone()).or_insert(first);
                }
            }
            if crate::analyze::selector_matches(selector, &labels) && !out.contains(&labels) {
                out.push(labels);
            }
        }
    }
    out
}

/// [`neighbours`] and [`alternatives`].
fn around(selector: &LabelSelector) -> Vec<Labels> {
    let mut out = neighbours(selector);
    out.extend(alternatives(selector));
    out
}

/// The [`neighbours`] and [`alternatives`] of every pod selector of `policies` (their own and their
/// peers'), placed as `derive::from_policies` places the sets the selectors match.
pub fn from_policies(policies: &[&NetworkPolicy]) -> BTreeSet<Found> {
    let mut out = BTreeSet::new();
    for policy in policies {
        let Some(spec) = &policy.spec else { continue };
        let ns = derive::policy_namespace(policy);
        let own = spec.pod_selector.clone().unwrap_or_default();
        for labels in around(&own) {
            out.insert(Found {
                namespace: Some(ns.clone()),
                labels,
            });
        }
        for peer in derive::peers(policy) {
            let Some(selector) = &peer.pod_selector else {
                continue;
            };
            let namespace = match &peer.namespace_selector {
                None => Some(ns.clone()),
                Some(selector) => derive::named_namespace(selector),
            };
            for labels in around(selector) {
                out.insert(Found {
                    namespace: namespace.clone(),
                    labels,
                });
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod tests {
    use super::*;
    use crate::analyze::labels;

    #[test]
    fn each_term_gets_the_pods_that_fail_or_pass_only_it() {
        let selector: LabelSelector = serde_yaml::from_str(
            "{matchLabels: {app: web}, matchExpressions: [\
             {key: tier, operator: In, values: [a, b]}, \
             {key: env, operator: NotIn, values: [dev]}, \
             {key: canary, operator: Exists}, \
             {key: legacy, operator: DoesNotExist}]}",
        )
        .unwrap();
        let base = [("app", "web"), ("tier", "a"), ("canary", "netpc-probe")];
        let got = neighbours(&selector);
        let expected: Vec<Labels> = vec![
            labels([("app", "web"), ("canary", "netpc-probe")]),
            labels([
                ("app", "web"),
                ("tier", "netpc-probe"),
                ("canary", "netpc-probe"),
            ]),
            labels(base.into_iter().chain([("env", "dev")])),
            labels(base.into_iter().chain([("env", "netpc-probe")])),
            labels([("app", "web"), ("tier", "a")]),
            labels(base.into_iter().chain([("legacy", "netpc-probe")])),
        ];
        for set in &expected {
            assert!(got.contains(set), "missing {set:?} in {got:?}");
        }
        assert_eq!(got.len(), expected.len(), "{got:?}");
        assert_eq!(other_value(&["netpc-probe".to_owned()]), "netpc-probe-2");
    }

    #[test]
    fn alternatives_find_pods_the_representative_misses() {
        let selector: LabelSelector = serde_yaml::from_str(
            "{matchExpressions: [{key: app, operator: In, values: [api, batch]}, \
             {key: app, operator: NotIn, values: [api]}, {key: x, operator: Exists}]}",
        )
        .unwrap();
        assert_eq!(derive::representative(&selector), None);
        assert_eq!(
            alternatives(&selector),
            vec![labels([("app", "batch"), ("x", "netpc-probe")])]
        );
    }
}

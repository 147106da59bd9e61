//! Label selectors (`metav1.LabelSelector`) compiled for matching: `matchLabels` and
//! `matchExpressions` ANDed, with the four operators of the API. Owns matching only;
//! it must never decide what a nil selector means in a peer (that is `policy`'s job)
//! and never validates (that is `validate`'s job: an operator it does not know
//! matches nothing here).

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// The labels of a pod or a namespace.
pub type Labels = BTreeMap<String, String>;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Requirement {
    Equals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
    /// An operator the API server would reject: matches nothing.
    Invalid,
}

/// A compiled label selector. The empty selector matches every label set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

impl Selector {
    /// The selector `{}`: matches everything.
    pub fn everything() -> Selector {
        Selector::default()
    }

    pub fn compile(selector: &LabelSelector) -> Selector {
        let mut requirements = Vec::new();
        for (key, value) in selector.match_labels.iter().flatten() {
            requirements.push(Requirement::Equals(key.clone(), value.clone()));
        }
        for expr in selector.match_expressions.iter().flatten() {
            let values = expr.values.clone().unwrap_or_default();
            let key = expr.key.clone();
            requirements.push(match expr.operator.as_str() {
                "In" => Requirement::In(key, values),
                "NotIn" => Requirement::NotIn(key, values),
                "Exists" => Requirement::Exists(key),
                "DoesNotExist" => Requirement::DoesNotExist(key),
                _ => Requirement::Invalid,
            });
        }
        Selector { requirements }
    }

    /// A `key = value` every matching label set must carry, if the selector has one:
    /// an index key for finding candidates without testing every label set.
    pub fn required_pair(&self) -> Option<(&str, &str)> {
        self.requirements.iter().find_map(|req| match req {
            Requirement::Equals(key, value) => Some((key.as_str(), value.as_str())),
            _ => None,
        })
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.requirements.iter().all(|req| match req {
            Requirement::Equals(key, value) => labels.get(key) == Some(value),
            Requirement::In(key, values) => labels.get(key).is_some_and(|v| values.contains(v)),
            Requirement::NotIn(key, values) => labels.get(key).is_none_or(|v| !values.contains(v)),
            Requirement::Exists(key) => labels.contains_key(key),
            Requirement::DoesNotExist(key) => !labels.contains_key(key),
            Requirement::Invalid => false,
        })
    }
}

/// Whether a `metav1.LabelSelector` matches a label set (the empty selector matches
/// everything).
pub fn selector_matches(selector: &LabelSelector, labels: &Labels) -> bool {
    Selector::compile(selector).matches(labels)
}

/// The Kubernetes selector string of a `metav1.LabelSelector` (`{}` is `all`).
pub fn selector_text(selector: &LabelSelector) -> String {
    Selector::compile(selector).to_string()
}

/// The Kubernetes selector string (`app=a,tier in (x,y),!gone`); `{}` prints as
/// `all`, used in explanations.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.requirements.is_empty() {
            return f.write_str("all");
        }
        for (i, req) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match req {
                Requirement::Equals(k, v) => write!(f, "{k}={v}")?,
                Requirement::In(k, vs) => write!(f, "{k} in ({})", vs.join(","))?,
                Requirement::NotIn(k, vs) => write!(f, "{k} notin ({})", vs.join(","))?,
                Requirement::Exists(k) => write!(f, "{k}")?,
                Requirement::DoesNotExist(k) => write!(f, "!{k}")?,
                Requirement::Invalid => f.write_str("<invalid>")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn expr(op: &str, values: Option<&[&str]>) -> Selector {
        Selector::compile(&LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "team".into(),
                operator: op.into(),
                values: values.map(|vs| vs.iter().map(|v| v.to_string()).collect()),
            }]),
            match_labels: None,
        })
    }

    #[test]
    fn operators_follow_the_truth_table() {
        let a = labels(&[("team", "a")]);
        let none = labels(&[]);
        assert!(expr("In", Some(&["a"])).matches(&a));
        assert!(!expr("In", Some(&["a"])).matches(&none));
        assert!(!expr("NotIn", Some(&["a"])).matches(&a));
        assert!(expr("NotIn", Some(&["a"])).matches(&none));
        assert!(expr("Exists", None).matches(&a));
        assert!(!expr("Exists", None).matches(&none));
        assert!(!expr("DoesNotExist", None).matches(&a));
        assert!(expr("DoesNotExist", None).matches(&none));
        assert!(!expr("exists", None).matches(&a));
    }

    #[test]
    fn empty_selector_matches_everything_and_terms_are_anded() {
        assert!(Selector::compile(&LabelSelector::default()).matches(&labels(&[])));
        let sel = Selector::compile(&LabelSelector {
            match_labels: Some([("app".to_string(), "a".to_string())].into()),
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "team".into(),
                operator: "Exists".into(),
                values: None,
            }]),
        });
        assert!(!sel.matches(&labels(&[("app", "a")])));
        assert!(sel.matches(&labels(&[("app", "a"), ("team", "")])));
    }
}

//! The pods one end of an imported rule selects, in the program's terms: label
//! equalities and set-based `select` terms (`tier in (a, b)`, `env notin (dev)`,
//! `k`, `!k`), and the operations the needs stage does on them: both must hold
//! ([`Select::meet`]), one includes the other ([`Select::covers`]). Where the exact
//! answer is not one `select` (a key both `k` and `k notin (...)`), `meet` says so
//! and `covers` says no: import is never broader. Pure.

use crate::analyze::Labels;
use crate::ir::{Requirement, RequirementOp};

/// A pod selector as `select` writes it: each key constrained once, equalities in
/// `labels` (`In` with one value is one), the other terms sorted by key.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Select {
    pub labels: Labels,
    pub terms: Vec<Requirement>,
}

/// What two selectors that must both hold come to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Meet {
    /// No pod satisfies both.
    Empty,
    Both(Select),
    /// Not one `select` (a key that must exist and be none of some values).
    Inexpressible,
}

impl Select {
    /// The selector of these equalities.
    pub fn equal(labels: Labels) -> Select {
        Select {
            labels,
            terms: Vec::new(),
        }
    }

    /// Every pod.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.terms.is_empty()
    }

    /// Only equalities.
    pub fn is_equalities(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether a pod with `labels` is selected.
    pub fn matches(&self, labels: &Labels) -> bool {
        crate::ir::selector_matches(&self.labels, &self.terms, labels)
    }

    /// Whether every pod it selects carries `key=value`.
    pub fn implies_label(&self, key: &str, value: &str) -> bool {
        self.labels.get(key).is_some_and(|v| v == value)
    }

    /// Every constraint as a term, equalities as `In` with one value.
    fn all_terms(&self) -> Vec<Requirement> {
        let mut out: Vec<Requirement> = self
            .labels
            .iter()
            .map(|(k, v)| Requirement {
                key: k.clone(),
                op: RequirementOp::In,
                values: vec![v.clone()],
            })
            .collect();
        out.extend(self.terms.iter().cloned());
        out
    }

    /// From terms with each key once; `In` with one value becomes an equality.
    fn from_terms(terms: Vec<Requirement>) -> Select {
        let mut out = Select::default();
        for t in terms {
            if t.op == RequirementOp::In && t.values.len() == 1 {
                out.labels.insert(t.key, t.values[0].clone());
            } else {
                out.terms.push(t);
            }
        }
        out.terms.sort();
        out
    }

    /// The pods both select.
    pub fn meet(&self, other: &Select) -> Meet {
        let mut terms = self.all_terms();
        for t in other.all_terms() {
            match terms.iter().position(|s| s.key == t.key) {
                None => terms.push(t),
                Some(i) => match meet_term(&terms[i], &t) {
                    Meet1::Empty => return Meet::Empty,
                    Meet1::Inexpressible => return Meet::Inexpressible,
                    Meet1::One(r) => terms[i] = r,
                },
            }
        }
        Meet::Both(Select::from_terms(terms))
    }

    /// Whether every pod `inner` selects is one of these (`false` when unsure).
    pub fn covers(&self, inner: &Select) -> bool {
        let inner = inner.all_terms();
        self.all_terms().iter().all(|t| {
            inner
                .iter()
                .find(|c| c.key == t.key)
                .is_some_and(|c| implies(c, t))
        })
    }
}

enum Meet1 {
    Empty,
    One(Requirement),
    Inexpressible,
}

/// Two terms on one key, both holding.
fn meet_term(a: &Requirement, b: &Requirement) -> Meet1 {
    use RequirementOp::{DoesNotExist, Exists, In, NotIn};
    let make = |op, values: Vec<String>| Requirement {
        key: a.key.clone(),
        op,
        values,
    };
    let filtered = |list: &[String], keep: &dyn Fn(&String) -> bool| -> Meet1 {
        let values: Vec<String> = list.iter().filter(|v| keep(v)).cloned().collect();
        if values.is_empty() {
            Meet1::Empty
        } else {
            Meet1::One(make(In, values))
        }
    };
    match (a.op, b.op) {
        (In, In) => filtered(&a.values, &|v| b.values.contains(v)),
        (In, NotIn) => filtered(&a.values, &|v| !b.values.contains(v)),
        (NotIn, In) => filtered(&b.values, &|v| !a.values.contains(v)),
        (In, Exists) | (Exists, Exists) | (DoesNotExist, DoesNotExist | NotIn) => {
            Meet1::One(a.clone())
        }
        (Exists, In) | (NotIn, DoesNotExist) => Meet1::One(b.clone()),
        (NotIn, NotIn) => {
            let mut values = a.values.clone();
            values.extend(b.values.iter().cloned());
            values.sort();
            values.dedup();
            Meet1::One(make(NotIn, values))
        }
        (In | Exists, DoesNotExist) | (DoesNotExist, In | Exists) => Meet1::Empty,
        (Exists, NotIn) | (NotIn, Exists) => Meet1::Inexpressible,
    }
}

/// Whether every value (or absence) term `c` allows on its key satisfies `t`.
fn implies(c: &Requirement, t: &Requirement) -> bool {
    use RequirementOp::{DoesNotExist, Exists, In, NotIn};
    match (c.op, t.op) {
        (In, _) => c.values.iter().all(|v| {
            let labels: Labels = [(c.key.clone(), v.clone())].into();
            t.matches(&labels)
        }),
        (NotIn, NotIn) => t.values.iter().all(|v| c.values.contains(v)),
        (Exists, Exists) => true,
        (DoesNotExist, NotIn | DoesNotExist) => true,
        (NotIn | Exists | DoesNotExist, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::labels;

    fn term(key: &str, op: RequirementOp, values: &[&str]) -> Requirement {
        Requirement {
            key: key.to_owned(),
            op,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    fn sel(pairs: &[(&str, &str)], terms: Vec<Requirement>) -> Select {
        Select {
            labels: labels(pairs.iter().copied()),
            terms,
        }
    }

    #[test]
    fn meet_intersects_terms_on_one_key_and_refuses_what_select_cannot_say() {
        use RequirementOp::{DoesNotExist, Exists, In, NotIn};
        let tiers = sel(&[], vec![term("tier", In, &["api", "web"])]);
        let not_web = sel(&[], vec![term("tier", NotIn, &["web"])]);
        assert_eq!(
            tiers.meet(&not_web),
            Meet::Both(sel(&[("tier", "api")], vec![]))
        );
        assert_eq!(tiers.meet(&sel(&[("tier", "db")], vec![])), Meet::Empty);
        let no_tier = sel(&[], vec![term("tier", DoesNotExist, &[])]);
        assert_eq!(tiers.meet(&no_tier), Meet::Empty);
        assert_eq!(not_web.meet(&no_tier), Meet::Both(no_tier.clone()));
        assert_eq!(no_tier.meet(&not_web), Meet::Both(no_tier.clone()));

        let has_tier = sel(&[], vec![term("tier", Exists, &[])]);
        assert_eq!(has_tier.meet(&not_web), Meet::Inexpressible);
        assert_eq!(has_tier.meet(&tiers), Meet::Both(tiers.clone()));
        assert_eq!(tiers.meet(&has_tier), Meet::Both(tiers.clone()));
        let app = sel(&[("app", "x")], vec![]);
        assert_eq!(
            app.meet(&tiers),
            Meet::Both(sel(
                &[("app", "x")],
                vec![term("tier", In, &["api", "web"])]
            ))
        );
        let not_db = sel(&[], vec![term("tier", NotIn, &["db"])]);
        assert_eq!(
            not_web.meet(&not_db),
            Meet::Both(sel(&[], vec![term("tier", NotIn, &["db", "web"])]))
        );
    }

    /// Every selector of one or two terms on keys `k` and `j`, against every pod of
    /// a grid: `meet` selects exactly the pods both select, `covers` never claims a
    /// pod the outer one does not select.
    #[test]
    fn meet_and_covers_agree_with_matching_on_every_pod() {
        use RequirementOp::{DoesNotExist, Exists, In, NotIn};
        let on_k = [
            None,
            Some(term("k", In, &["a"])),
            Some(term("k", In, &["a", "b"])),
            Some(term("k", NotIn, &["a"])),
            Some(term("k", NotIn, &["a", "b"])),
            Some(term("k", Exists, &[])),
            Some(term("k", DoesNotExist, &[])),
        ];
        let on_j = [
            None,
            Some(term("j", In, &["x"])),
            Some(term("j", Exists, &[])),
        ];
        let mut all = Vec::new();
        for k in &on_k {
            for j in &on_j {
                all.push(Select::from_terms(k.iter().chain(j).cloned().collect()));
            }
        }
        let mut pods = Vec::new();
        for k in [None, Some("a"), Some("b"), Some("c")] {
            for j in [None, Some("x"), Some("y")] {
                let pairs = [("k", k), ("j", j)];
                pods.push(labels(
                    pairs.iter().filter_map(|(key, v)| Some((*key, (*v)?))),
                ));
            }
        }
        for a in &all {
            for b in &all {
                let both = |p: &Labels| a.matches(p) && b.matches(p);
                match a.meet(b) {
                    Meet::Both(m) => assert!(pods.iter().all(|p| m.matches(p) == both(p))),
                    Meet::Empty => assert!(!pods.iter().any(both), "{a:?} {b:?}"),
                    Meet::Inexpressible => {}
                }
                if a.covers(b) {
                    assert!(
                        pods.iter().all(|p| !b.matches(p) || a.matches(p)),
                        "{a:?} {b:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn covers_only_what_it_can_prove() {
        use RequirementOp::{DoesNotExist, Exists, In, NotIn};
        let tiers = sel(&[], vec![term("tier", In, &["api", "web"])]);
        let web = sel(&[("tier", "web"), ("app", "x")], vec![]);
        assert!(tiers.covers(&web));
        assert!(!web.covers(&tiers));
        let has_tier = sel(&[], vec![term("tier", Exists, &[])]);
        assert!(has_tier.covers(&tiers));
        assert!(!tiers.covers(&has_tier));
        let not_web = sel(&[], vec![term("tier", NotIn, &["web"])]);
        let not_web_api = sel(&[], vec![term("tier", NotIn, &["api", "web"])]);
        assert!(not_web.covers(&not_web_api));
        assert!(!not_web_api.covers(&not_web));
        let no_tier = sel(&[], vec![term("tier", DoesNotExist, &[])]);
        assert!(not_web.covers(&no_tier));
        assert!(!no_tier.covers(&not_web));
        assert!(!not_web.covers(&sel(&[], vec![])));
        assert!(Select::default().covers(&not_web));
        assert!(sel(&[], vec![term("tier", NotIn, &["db"])]).covers(&tiers));
        assert!(!sel(&[], vec![term("tier", NotIn, &["web"])]).covers(&tiers));
    }
}

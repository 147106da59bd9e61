//! `netpc import` of hand-written policies whose pod selectors use set-based terms
//! (`In` with several values, `NotIn`, `Exists`, `DoesNotExist`; issue 14): written as
//! `select` terms, `enforcement selected` where no default deny isolates, exact; and
//! the fidelity check's probes tell each term apart (a program that drops or changes a
//! term is found not equivalent).

use crate::import::{files, import, scratch};

const TERMS: &str = "tests/import/terms";

fn load(paths: &[&str]) -> netpc::analyze::Cluster {
    let mut texts = Vec::new();
    for dir in paths {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        for path in names {
            let text = std::fs::read_to_string(&path).unwrap();
            texts.push((path.to_string_lossy().into_owned(), text));
        }
    }
    netpc::analyze::load_texts(texts.iter().map(|(p, t)| (p.as_str(), t.as_str()))).unwrap()
}

/// The shop's policies (default deny; tiers chosen by `matchExpressions`) and the
/// reports namespace (no default deny, a set-based pod selector) import exactly, with
/// the Deployments naming services and ports.
#[test]
fn set_based_pod_selectors_import_exactly() {
    let out = scratch("terms");
    let run = import(
        &[
            &format!("{TERMS}/policies"),
            "--workloads",
            &format!("{TERMS}/apps"),
        ],
        &out,
    )
    .output()
    .unwrap();
    let report = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{report}");
    assert!(report.contains("\nequivalent:"), "{report}");
    insta::assert_snapshot!("terms_files", files(&out));
}

/// Each set-based term is probed on both sides of it: the import (without workloads,
/// so only synthetic probe pods decide) is exact, and the same program with one term
/// dropped or changed is not.
#[test]
fn probes_tell_every_term_apart() {
    let policies = load(&[&format!("{TERMS}/policies")]);
    let none = netpc::analyze::Cluster::new();
    let imported = netpc::import::import(&policies, &none);
    let compiled = netpc::import::fidelity::compile(&imported.files).unwrap();
    let check = netpc::import::fidelity::check(&policies, &none, &compiled).unwrap();
    assert!(check.equivalent(), "{:?}", imported.files);
    let mutations = [
        ("tier = backend, !legacy", "tier = backend"),
        ("track notin (canary)", "!track"),
        ("track notin (canary)", "track"),
        ("select app = api, track;", "select app = api;"),
        ("tier in (edge, frontend)", "tier in (frontend)"),
        ("tier in (export, report)", "tier"),
    ];
    for (from, to) in mutations {
        let mut files = imported.files.clone();
        let mut found = false;
        for file in &mut files {
            if file.text.contains(from) {
                file.text = file.text.replace(from, to);
                found = true;
            }
        }
        assert!(found, "no `{from}` in {:?}", imported.files);
        let compiled = netpc::import::fidelity::compile(&files).unwrap();
        let check = netpc::import::fidelity::check(&policies, &none, &compiled).unwrap();
        assert!(!check.equivalent(), "`{from}` as `{to}` passes the check");
    }
}

/// An ingress rule from pods that have `tier` and an egress rule of pods whose `tier`
/// is neither `legacy` nor `old`: the sources both allow are not one `select`, so that pair of
/// rules is left out with a note, and the import is narrower, never broader.
#[test]
fn selectors_that_meet_as_no_select_are_left_out_with_a_note() {
    let text = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchExpressions: [{key: tier, operator: Exists}]}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: shop}
spec:
  podSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [legacy, old]}]}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {app: api}}}]}]
";
    let policies = netpc::analyze::load_texts([("policies.yaml", text)]).unwrap();
    let none = netpc::analyze::Cluster::new();
    let imported = netpc::import::import(&policies, &none);
    let notes: Vec<String> = imported
        .notes
        .iter()
        .map(|n| format!("{}: {}", n.policy, n.text))
        .collect();
    assert_eq!(
        notes,
        [
            "shop/api-in: the pods both this rule and `shop/out` select are not one `select` \
          (a key required and one of its values excluded): that pair of rules is left out"
        ]
    );
    let compiled = netpc::import::fidelity::compile(&imported.files).unwrap();
    let check = netpc::import::fidelity::check(&policies, &none, &compiled).unwrap();
    assert!(check.broader.is_empty(), "{:?}", check.broader);
    assert!(
        !check.narrower.is_empty(),
        "the left-out pair is not probed"
    );
}

/// A policy with rules whose pod selector is `K NotIn [V]` is a selector like any
/// other (`tier notin (legacy)`), not the exempt convention of a default deny: the
/// `tier=legacy` pods stay denied, as in the original.
#[test]
fn a_notin_selector_with_rules_is_no_exempt_label() {
    let text = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: shop}
spec:
  podSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [legacy]}]}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 443}]}]
";
    let policies = netpc::analyze::load_texts([("policies.yaml", text)]).unwrap();
    let none = netpc::analyze::Cluster::new();
    let imported = netpc::import::import(&policies, &none);
    let all: String = imported.files.iter().map(|f| f.text.as_str()).collect();
    assert!(!all.contains("exempt label"), "{all}");
    assert!(all.contains("select tier notin (legacy);"), "{all}");
    let compiled = netpc::import::fidelity::compile(&imported.files).unwrap();
    let check = netpc::import::fidelity::check(&policies, &none, &compiled).unwrap();
    assert!(
        check.equivalent(),
        "{:?} {:?}",
        check.broader,
        check.narrower
    );
}

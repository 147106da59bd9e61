//! Issue 17: `verify` compares only the pairs of probe pods that equivalence classes do
//! not settle (`verify::pairs`). Its report must be exactly the report of comparing
//! every pair one by one, also when the manifests are wrong: random programs of the
//! differential generator and the examples, with their compiled policies broken on
//! purpose (a policy deleted, a rule opened to every peer or every port, a policy
//! selecting every pod, an allow-all policy added, egress to every peer on a named
//! port), verified both ways.
use crate::common;
use crate::generator;

use std::path::PathBuf;

use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use netpc::analyze::IpBlockPods;
use netpc::ir::{EnforcementOverride, Program};
use netpc::output::Folder;
use netpc::source::{Origin, Sources};
use netpc::verify::{self, Pairs};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Breaks the manifests by `how` (taken modulo the number of ways), on policy `at`.
fn mutate(folder: &mut Folder, how: u32, at: u32) {
    if folder.policies.is_empty() {
        return;
    }
    let index = at as usize % folder.policies.len();
    let policy = &mut folder.policies[index].0;
    let spec = policy.spec.get_or_insert_with(Default::default);
    match how % 7 {
        0 => {
            folder.policies.remove(index);
        }
        1 => {
            for rule in spec.ingress.iter_mut().flatten() {
                rule.from = None;
            }
            for rule in spec.egress.iter_mut().flatten() {
                rule.to = None;
            }
        }
        2 => {
            for rule in spec.ingress.iter_mut().flatten() {
                rule.ports = None;
            }
            for rule in spec.egress.iter_mut().flatten() {
                rule.ports = None;
            }
        }
        3 => spec.pod_selector = Some(LabelSelector::default()),
        6 => {
            // Egress to every peer on a named port: it resolves on each destination,
            // so no default settles the source's pairs.
            for rule in spec.egress.iter_mut().flatten() {
                rule.to = None;
                rule.ports = Some(vec![NetworkPolicyPort {
                    port: Some(IntOrString::String("metrics".to_owned())),
                    ..Default::default()
                }]);
            }
        }
        4 => {
            let namespace = policy.metadata.namespace.clone();
            folder
                .policies
                .push((allow_all(namespace), "added.yaml".to_owned()));
        }
        _ => {
            // Keep only the first rule of each direction.
            if let Some(rules) = &mut spec.ingress {
                rules.truncate(1);
            }
            if let Some(rules) = &mut spec.egress {
                rules.truncate(1);
            }
        }
    }
}

/// A policy selecting every pod of `namespace` and allowing everything both ways.
fn allow_all(namespace: Option<String>) -> NetworkPolicy {
    NetworkPolicy {
        metadata: ObjectMeta {
            name: Some("added-allow-all".to_owned()),
            namespace,
            ..Default::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector::default()),
            policy_types: Some(vec!["Ingress".to_owned(), "Egress".to_owned()]),
            ingress: Some(vec![NetworkPolicyIngressRule::default()]),
            egress: Some(vec![NetworkPolicyEgressRule::default()]),
        }),
    }
}

/// The report both ways; `Err` when they differ.
fn same_both_ways(
    program: &Program,
    folder: &Folder,
    enforcement: EnforcementOverride,
) -> Result<bool, String> {
    let mut found = false;
    // Both ipBlock rules: Cilium's (pods never match) and Calico's (every probe pod
    // has an address in the pod network, which ipBlocks match).
    for ipblock_pods in [IpBlockPods::Ignore, IpBlockPods::Match] {
        let options = verify::Options {
            enforcement,
            ipblock_pods,
            plugin: None,
        };
        let classes = verify::verify_pairs(program, folder.clone(), options, Pairs::Classes);
        let every = verify::verify_pairs(program, folder.clone(), options, Pairs::Every);
        let (classes, every) = (format!("{classes:?}"), format!("{every:?}"));
        if classes != every {
            return Err(format!(
                "{ipblock_pods:?}: by class:\n{classes}\nevery pair:\n{every}"
            ));
        }
        found |= classes.contains("findings: [Finding");
    }
    Ok(found)
}

fn compiled(program: &Program, enforcement: EnforcementOverride) -> Folder {
    verify::compiled(&netpc::lower::plan(
        program.clone(),
        netpc::lower::Options { enforcement },
        &mut netpc::diagnostic::Diagnostics::new(),
    ))
    .unwrap()
}

#[test]
fn random_broken_manifests_give_the_same_report_both_ways() {
    let config = Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let with_findings = std::cell::Cell::new(0usize);
    let result = runner.run(
        &(
            proptest::collection::vec(any::<u32>(), 0..160),
            proptest::collection::vec(any::<(u32, u32)>(), 0..4),
        ),
        |(choices, mutations)| {
            let generated = generator::program(&mut generator::Choices::new(&choices));
            if generated.module.is_some() {
                return Ok(()); // needs the module loader of `differential`
            }
            let mut sources = Sources::new();
            let root = sources.add(Origin::File(PathBuf::from("gen.netp")), generated.text);
            let (program, _) = netpc::check(&mut sources, &[root], &common::DiskLoader);
            let Some(program) = program else {
                return Ok(());
            };
            let mut folder = compiled(&program, generated.enforcement);
            for (how, at) in mutations {
                mutate(&mut folder, how, at);
            }
            let found = same_both_ways(&program, &folder, generated.enforcement)
                .map_err(TestCaseError::fail)?;
            with_findings.set(with_findings.get() + usize::from(found));
            Ok(())
        },
    );
    if let Err(err) = result {
        panic!("{err}");
    }
    // The mutations must actually produce mismatches, or the comparison proves little.
    let with_findings = with_findings.get();
    assert!(
        with_findings > 30,
        "only {with_findings} cases had findings"
    );
}

#[test]
fn every_mutation_of_the_examples_gives_the_same_report_both_ways() {
    let mut with_findings = 0;
    for example in ["quickstart", "platform", "selectors", "shop-workloads"] {
        let (mut sources, roots, _) =
            common::load_program(&[PathBuf::from("examples").join(example)]);
        let (program, _) = netpc::check(&mut sources, &roots, &common::DiskLoader);
        let program = program.unwrap();
        let base = compiled(&program, EnforcementOverride::default());
        for how in 0..7 {
            for at in 0..base.policies.len() as u32 {
                let mut folder = base.clone();
                mutate(&mut folder, how, at);
                let found = same_both_ways(&program, &folder, EnforcementOverride::default())
                    .unwrap_or_else(|e| panic!("{example}, mutation {how} at {at}:\n{e}"));
                with_findings += usize::from(found);
            }
        }
    }
    assert!(
        with_findings > 20,
        "only {with_findings} mutations had findings"
    );
}

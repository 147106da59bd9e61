//! `expected.jsonl` of `netpc probe` agrees, line by line, with `verify`'s expectation
//! computed from the IR (`verify::Expectation`), for every example: an allow is a
//! declared connection, a deny is not granted (not even by a `needs-*` label's union of
//! ports), probes from the outside namespace are denied exactly where the server is
//! restricted. Every declared range is probed at both ends, every deny has a paired
//! allow to the same server, port and protocol, and every managed namespace whose
//! policies enforce has a canary. The platform kit is snapshotted for review.
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use crate::common;
use netpc::compile::{Input, Options};
use netpc::ir::{PortKind, Ports, Protocol};
use netpc::kit::{self, Expect, Kit};
use netpc::verify::expected::protocol_of;
use netpc::verify::{Expectation, PodRole, Point};
use serde_json::Value;

fn kit(example: &str) -> (netpc::lower::Plan, Kit) {
    let (sources, roots, diagnostics) =
        common::load_program(&[PathBuf::from("examples").join(example)]);
    let loader = common::DiskLoader;
    let input = Input {
        sources,
        roots,
        diagnostics,
        loader: &loader,
    };
    let plan = netpc::compile(input, Options::default()).plan.unwrap();
    let kit = kit::build(&plan, &kit::Options::default()).unwrap();
    (plan, kit)
}

fn examples() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("examples")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn lines(kit: &Kit) -> Vec<Value> {
    let (_, text) = kit.files.iter().find(|(p, _)| p == kit::EXPECTED).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn protocol(text: &str) -> Protocol {
    match text {
        "TCP" => Protocol::Tcp,
        "UDP" => Protocol::Udp,
        other => panic!("protocol {other}"),
    }
}

#[test]
fn every_line_agrees_with_the_ir_expectation() {
    for example in examples() {
        let (plan, kit) = kit(&example);
        let model = Expectation::new(&plan.program, netpc::ir::EnforcementOverride::default());
        let points: HashMap<String, Point> = model
            .pods()
            .into_iter()
            .map(|p| (model.display(p), p))
            .collect();
        let lines = lines(&kit);
        assert!(!lines.is_empty(), "{example}");
        for line in &lines {
            let (from, to) = (line["from"].as_str().unwrap(), line["to"].as_str().unwrap());
            let port = line["port"].as_u64().unwrap() as u16;
            let wire = protocol_of(protocol(line["protocol"].as_str().unwrap()));
            let allow = match line["expect"].as_str().unwrap() {
                "allow" => true,
                "deny" => false,
                other => panic!("expect {other}"),
            };
            let context = format!("{example}: {line}");
            match (points.get(from), points.get(to)) {
                (Some(&src), Some(&dst)) => {
                    let between = model.between(src, dst);
                    if allow {
                        assert!(between.declared.contains(wire, port), "{context}");
                    } else {
                        assert!(!between.granted.contains(wire, port), "{context}");
                    }
                }
                (None, Some(&dst)) if from == "(outside)/(control)" => {
                    assert!(allow, "{context}");
                    let _ = dst;
                }
                (None, Some(&dst)) => {
                    assert!(from.starts_with("(outside)/"), "{context}");
                    assert_eq!(allow, !model.restricted(dst), "{context}");
                }
                (Some(&src), None) => {
                    assert_eq!(to, "(outside)/(no service)", "{context}");
                    assert_eq!(allow, !model.restricted(src), "{context}");
                }
                (None, None) => {
                    assert!(allow && from.starts_with("(outside)/"), "{context}");
                }
            }
        }
    }
}

#[test]
fn every_declared_port_is_probed_at_both_ends_of_its_range() {
    for example in examples() {
        let (plan, kit) = kit(&example);
        let model = Expectation::new(&plan.program, netpc::ir::EnforcementOverride::default());
        let allows: BTreeSet<(String, String, u64, String)> = lines(&kit)
            .iter()
            .filter(|l| l["expect"] == "allow")
            .map(|l| {
                (
                    l["from"].as_str().unwrap().to_owned(),
                    l["to"].as_str().unwrap().to_owned(),
                    l["port"].as_u64().unwrap(),
                    l["protocol"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        for src in model.pods() {
            for dst in model.pods() {
                let declared = model.between(src, dst).declared;
                for n in model.needs_between(src, dst) {
                    let Ports::List(ports) = &plan.program.needs[n].ports else {
                        continue;
                    };
                    for port in ports.iter().filter(|p| p.protocol != Protocol::Sctp) {
                        let ends = match port.kind {
                            PortKind::Range { first, last } => vec![first, last],
                            PortKind::Named {
                                number: Some(number),
                                ..
                            } => vec![number],
                            PortKind::Named { number: None, .. } => vec![],
                        };
                        for end in ends {
                            if !declared.contains(protocol_of(port.protocol), end) {
                                continue;
                            }
                            let key = (
                                model.display(src),
                                model.display(dst),
                                u64::from(end),
                                port.protocol.as_k8s().to_owned(),
                            );
                            assert!(allows.contains(&key), "{example}: {key:?} not probed");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn every_deny_is_paired_with_an_allow_to_the_same_server_and_port() {
    for example in examples() {
        let (_, kit) = kit(&example);
        let probes = &kit.selection.probes;
        for probe in probes.iter().filter(|p| p.expect == Expect::Deny) {
            let pair = &probes[probe.pair.unwrap()];
            assert_eq!(pair.expect, Expect::Allow, "{example}: {probe:?}");
            assert_eq!(
                (pair.to, pair.port, pair.protocol),
                (probe.to, probe.port, probe.protocol),
                "{example}"
            );
        }
        let mut keys = BTreeSet::new();
        for probe in probes {
            assert!(
                keys.insert((probe.from, probe.to, probe.port, probe.protocol)),
                "{example}: {probe:?} twice"
            );
        }
    }
}

#[test]
fn every_enforcing_managed_namespace_has_a_canary_and_every_failure_mode_is_aimed_at() {
    for example in examples() {
        let (plan, kit) = kit(&example);
        let model = Expectation::new(&plan.program, netpc::ir::EnforcementOverride::default());
        let lines = lines(&kit);
        for ns in plan.program.namespace_ids() {
            let unmatched = Point::Pod {
                namespace: ns,
                role: PodRole::Unmatched,
            };
            if !plan.program.namespace(ns).managed || !model.restricted(unmatched) {
                continue;
            }
            let from = model.display(unmatched);
            assert!(
                lines
                    .iter()
                    .any(|l| l["reason"] == "canary" && l["from"] == from.as_str()),
                "{example}: no canary from {from}"
            );
        }
    }
    let (_, kit) = kit("platform");
    let reasons: BTreeSet<String> = lines(&kit)
        .iter()
        .map(|l| l["reason"].as_str().unwrap().to_owned())
        .collect();
    for reason in [
        "declared",
        "control",
        "undeclared-port",
        "non-client",
        "other-namespace",
        "past-range",
        "other-protocol",
        "no-service",
        "canary",
    ] {
        assert!(reasons.contains(reason), "platform: no {reason} probe");
    }
}

#[test]
fn the_platform_kit_probes() {
    let (_, kit) = kit("platform");
    let (_, text) = kit.files.iter().find(|(p, _)| p == kit::EXPECTED).unwrap();
    insta::assert_snapshot!(text);
    insta::assert_debug_snapshot!(kit.selection.skipped);
}

/// A namespace set's mirror namespace carries labels that satisfy the set's selector
/// (so the compiled policies' label namespace selectors reach the kit's pods there);
/// a managed namespace's mirror does not.
#[test]
fn namespace_set_mirrors_carry_the_sets_labels() {
    let (_, kit) = kit("namespace-sets");
    let (_, text) = kit
        .files
        .iter()
        .find(|(p, _)| p.ends_with("namespaces.yaml"))
        .unwrap();
    let mut labels: HashMap<String, Value> = HashMap::new();
    for doc in text.split("---\n").filter(|d| !d.trim().is_empty()) {
        let ns: Value = serde_json::from_str(doc).unwrap();
        let name = ns["metadata"]["name"].as_str().unwrap().to_owned();
        labels.insert(name, ns["metadata"]["labels"].clone());
    }
    let observability = labels
        .iter()
        .find(|(n, _)| n.ends_with("observability"))
        .unwrap()
        .1;
    assert_eq!(observability["team"], "observability");
    assert!(observability.get("env").is_none(), "{observability}");
    let edge = labels.iter().find(|(n, _)| n.ends_with("edge")).unwrap().1;
    assert_eq!(edge["tier"], "edge");
    let shop = labels.iter().find(|(n, _)| n.ends_with("shop")).unwrap().1;
    assert!(
        shop.get("team").is_none() && shop.get("tier").is_none(),
        "{shop}"
    );
}

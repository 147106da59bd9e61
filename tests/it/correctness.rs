//! Issue 3, item 8: for every example, one probe pod per service of the label contract
//! plus, per managed namespace, a pod matching no service and an exempt pod; the
//! compiled policies (as `netpc build` writes them, read back from their YAML) are
//! evaluated by the independent evaluator (`analyze`), and the allowed connections must
//! be exactly the declared ones, DNS (from `std/dns` needs) and the fail-safe effects
//! (exempt pods, enforcement off, external namespaces unrestricted). The expectation is
//! computed from the IR by `verify::Expectation`, never from lowering. The snapshots
//! list every allowed connection that involves a restricted pod, with the `needs` that
//! declares it, for review.
use crate::common;

use std::fmt::Write;
use std::path::PathBuf;

use netpc::analyze::{Analysis, Endpoint};
use netpc::ir::Program;
use netpc::source::Sources;
use netpc::verify::{self, Expectation, Point};

fn load(example: &str) -> (Sources, Program) {
    let (mut sources, roots, _) = common::load_program(&[PathBuf::from("examples").join(example)]);
    let (program, diagnostics) = netpc::check(&mut sources, &roots, &common::DiskLoader);
    assert!(!diagnostics.has_errors(), "{example} does not check");
    (sources, program.unwrap())
}

fn examples() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("examples")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 5);
    names
}

/// Every example, and every example with enforcement forced on and off, verifies
/// with no mismatch.
#[test]
fn every_example_allows_exactly_what_it_declares() {
    for example in examples() {
        let (sources, program) = load(&example);
        let one = |ingress, egress| netpc::ir::EnforcementOverride { ingress, egress };
        for enforcement in [
            one(None, None),
            one(Some(true), Some(true)),
            one(Some(false), Some(false)),
            one(None, Some(false)),
            one(Some(false), None),
        ] {
            let manifests = verify::compiled(&netpc::lower::plan(
                program.clone(),
                netpc::lower::Options { enforcement },
                &mut netpc::diagnostic::Diagnostics::new(),
            ))
            .unwrap();
            let report = verify::verify(
                &program,
                manifests,
                verify::Options {
                    enforcement,
                    ..Default::default()
                },
            )
            .unwrap();
            assert!(
                report.matches() && report.findings.is_empty(),
                "{example} (enforcement {enforcement:?}):\n{}",
                verify::render(&report, &program, &sources)
            );
            assert!(report.pairs > 0 && report.pods >= 3);
        }
    }
}

/// The allowed connections of one example, for review: every pair with a restricted
/// end, what the evaluator allows, and why the program expects it.
fn connections(example: &str) -> String {
    let (sources, program) = load(example);
    let manifests = verify::compiled(&netpc::lower::plan(
        program.clone(),
        netpc::lower::Options::default(),
        &mut netpc::diagnostic::Diagnostics::new(),
    ))
    .unwrap();
    let probes = netpc::probe::build(
        &manifests.contract,
        manifests
            .policies
            .iter()
            .map(|(p, f)| (p.clone(), Some(f.clone()))),
    );
    let analysis = Analysis::new(&probes.cluster, Default::default()).unwrap();
    let model = Expectation::new(&program, Default::default());
    let pods = model.pods();
    let workload = |point: Point| {
        let name = model.display(point);
        probes
            .probes
            .iter()
            .find(|p| p.display() == name)
            .unwrap()
            .workload
    };
    let mut out = String::new();
    for &src in &pods {
        for &dst in &pods {
            if src == dst || !(model.restricted(src) || model.restricted(dst)) {
                continue;
            }
            let allowed = analysis.allowed(
                Endpoint::Workload(workload(src)),
                Endpoint::Workload(workload(dst)),
            );
            if allowed.is_empty() {
                continue;
            }
            let why: Vec<String> = model
                .needs_between(src, dst)
                .into_iter()
                .map(|n| verify::report::location(&sources, program.needs[n].origin.statement))
                .collect();
            let unrestricted = |p: Point| {
                if model.restricted(p) {
                    None
                } else {
                    Some(format!("{} unrestricted", model.display(p)))
                }
            };
            let mut reasons = why;
            reasons.extend(unrestricted(src));
            reasons.extend(unrestricted(dst));
            let _ = writeln!(
                out,
                "{} => {} : {}  [{}]",
                model.display(src),
                model.display(dst),
                allowed,
                reasons.join("; ")
            );
        }
    }
    out
}

#[test]
fn allowed_connections_of_each_example() {
    for example in examples() {
        insta::assert_snapshot!(format!("connections_{example}"), connections(&example));
    }
}

/// The allowed connections of `program` compiled with `enforcement`, as the independent
/// evaluator sees them, between every two probe pods and from every pod to every
/// sample address: (source, destination, allowed).
fn evaluated(
    program: &Program,
    enforcement: netpc::ir::EnforcementOverride,
) -> Vec<(Point, Point, netpc::analyze::ConnSet)> {
    let manifests = verify::compiled(&netpc::lower::plan(
        program.clone(),
        netpc::lower::Options { enforcement },
        &mut netpc::diagnostic::Diagnostics::new(),
    ))
    .unwrap();
    let probes = netpc::probe::build(
        &manifests.contract,
        manifests
            .policies
            .iter()
            .map(|(p, f)| (p.clone(), Some(f.clone()))),
    );
    let analysis = Analysis::new(&probes.cluster, Default::default()).unwrap();
    let model = Expectation::new(program, Default::default());
    let endpoint = |point: Point| match point {
        Point::Address(ip) => Endpoint::Ip(ip),
        pod => {
            let name = model.display(pod);
            Endpoint::Workload(
                probes
                    .probes
                    .iter()
                    .find(|p| p.display() == name)
                    .unwrap()
                    .workload,
            )
        }
    };
    let pods = model.pods();
    let mut out = Vec::new();
    for &src in &pods {
        for &dst in pods.iter().chain(&model.addresses()) {
            if src != dst {
                out.push((src, dst, analysis.allowed(endpoint(src), endpoint(dst))));
            }
        }
    }
    out
}

/// Issue 11: with egress off (in the program, or by `--enforcement egress=off`) every
/// pod may send anywhere, and ingress is still exactly what the program declares: a
/// connection to a pod is allowed exactly when its ingress side allows it with every
/// egress side open, and everything to an address is allowed.
#[test]
fn egress_off_opens_every_egress_and_keeps_ingress_as_declared() {
    for example in examples() {
        let (_, program) = load(&example);
        let mut written = program.clone();
        for ns in &mut written.namespaces {
            ns.enforcement.egress = netpc::ir::Switch {
                on: false,
                selected: false,
                span: None,
            };
        }
        let forced = netpc::ir::EnforcementOverride {
            ingress: None,
            egress: Some(false),
        };
        let both_on = evaluated(&program, Default::default());
        // Addresses outside the cluster are among the destinations compared.
        assert!(
            both_on
                .iter()
                .any(|(_, dst, _)| matches!(dst, Point::Address(_))),
            "{example}: no sample address was compared"
        );
        for (label, world) in [
            (
                "enforcement egress off;",
                evaluated(&written, Default::default()),
            ),
            ("--enforcement egress=off", evaluated(&program, forced)),
        ] {
            let model = Expectation::new(&program, Default::default());
            let mut denied = 0;
            for ((src, dst, allowed), (_, _, before)) in world.iter().zip(&both_on) {
                let expected = if let Point::Address(_) = dst {
                    netpc::analyze::ConnSet::all()
                } else if !model.restricted_in(*dst, netpc::ir::Direction::Ingress) {
                    netpc::analyze::ConnSet::all()
                } else {
                    // What the ingress side admits: the union of the needs whose target
                    // covers the destination and whose subject covers the source,
                    // whatever the source's own egress policies say.
                    let open = Expectation::new(
                        &program,
                        netpc::ir::EnforcementOverride {
                            ingress: None,
                            egress: Some(false),
                        },
                    );
                    open.between(*src, *dst).granted
                };
                assert_eq!(
                    allowed,
                    &expected,
                    "{example} ({label}): {} -> {}",
                    model.display(*src),
                    model.display(*dst)
                );
                // Turning egress off never removes a connection.
                assert!(
                    before.intersect(allowed) == *before,
                    "{example}: {} -> {}",
                    model.display(*src),
                    model.display(*dst)
                );
                if allowed.is_empty() {
                    denied += 1;
                }
            }
            let managed = program.namespaces.iter().any(|n| n.managed);
            assert!(
                !managed || denied > 0,
                "{example} ({label}): ingress is still enforced somewhere"
            );
        }
    }
}

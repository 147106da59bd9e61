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
        for enforcement in [None, Some(true), Some(false)] {
            let manifests = verify::compiled(&netpc::lower::plan(
                program.clone(),
                netpc::lower::Options { enforcement },
                &mut netpc::diagnostic::Diagnostics::new(),
            ))
            .unwrap();
            let report =
                verify::verify(&program, &manifests, verify::Options { enforcement }).unwrap();
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
    let model = Expectation::new(&program, None);
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

//! `netpc verify --workloads`: the compiled policies evaluated by `analyze` over the
//! real pods, one per workload (its template labels and container ports), against
//! the connectivity the program declares (`verify::Expectation`, from the IR). A
//! workload stands for the service whose selector its labels contain
//! ([`super::matching`]; the first by name when several do, which `check` warns
//! about, W401), for the namespace's unmatched pod when none does, for the exempt pod
//! when it carries the exempt label and matches none. Workloads in namespaces the
//! program does not mention are left out. Workloads with the same role, labels and
//! ports behave alike and are evaluated once (a class), so the cost is quadratic in
//! the distinct pods, not in the manifests; traffic inside one class is not compared.

use std::fmt::Write;
use std::net::IpAddr;

use rustc_hash::FxHashMap;

use super::matching::Matches;
use super::parse::{Manifests, Workload};
use crate::analyze::{self, Analysis, AnalyzeError, Cluster, ConnSet, Direction, Endpoint};
use crate::ir::Program;
use crate::output::Folder;
use crate::source::Sources;
use crate::verify::expected::{Expectation, PodRole, Point, difference};

/// Pods that behave alike: the workloads (indexes) of one class.
#[derive(Debug)]
struct Class {
    point: Point,
    members: Vec<usize>,
}

/// One connection that the real workloads would get wrong.
#[derive(Debug)]
pub struct RealFinding {
    /// `true`: declared but denied; `false`: allowed but not declared.
    pub denied: bool,
    pub src: String,
    pub dst: String,
    pub conns: ConnSet,
    /// The needs that declare it (denied findings).
    pub needs: Vec<usize>,
    /// The policies involved, in words.
    pub policies: Vec<String>,
}

#[derive(Debug, Default)]
pub struct RealReport {
    pub workloads: usize,
    pub classes: usize,
    pub pairs: usize,
    pub findings: Vec<RealFinding>,
}

impl RealReport {
    pub fn matches(&self) -> bool {
        self.findings.is_empty()
    }
}

fn display(w: &Workload, more: usize) -> String {
    let base = format!("{}/{}", w.namespace, w.display());
    if more > 0 {
        format!("{base} (and {more} alike)")
    } else {
        base
    }
}

/// The classes of the workloads the program can speak about.
fn classes(program: &Program, manifests: &Manifests) -> Vec<Class> {
    let matches = Matches::new(program, &manifests.workloads);
    let exempt = &program.exempt;
    let mut by_key: FxHashMap<(Point, String), usize> = FxHashMap::default();
    let mut classes: Vec<Class> = Vec::new();
    for (i, w) in manifests.workloads.iter().enumerate() {
        let Some(ns) = matches.namespace[i] else {
            continue;
        };
        let role = match matches.services[i].first() {
            Some(&id) => PodRole::Service(id),
            None if !program.namespace(ns).managed => continue,
            None if w.labels.get(&exempt.key) == Some(&exempt.value) => PodRole::Exempt,
            None => PodRole::Unmatched,
        };
        let point = Point::Pod {
            namespace: ns,
            role,
        };
        let key = (
            point,
            format!("{:?}{:?}{}", w.labels, w.ports, w.host_network),
        );
        match by_key.get(&key) {
            Some(&c) => classes[c].members.push(i),
            None => {
                by_key.insert(key, classes.len());
                classes.push(Class {
                    point,
                    members: vec![i],
                });
            }
        }
    }
    classes
}

/// Evaluate `folder`'s policies over the workloads of `manifests`, expecting what the
/// program declares under `enforcement` (the `--enforcement` the folder was built with).
pub fn verify(
    program: &Program,
    folder: &Folder,
    manifests: &Manifests,
    enforcement: crate::ir::EnforcementOverride,
) -> Result<RealReport, Vec<AnalyzeError>> {
    let classes = classes(program, manifests);
    let mut cluster = Cluster::new();
    for ns in &program.namespaces {
        cluster.add_namespace(&ns.name, Default::default());
    }
    for (policy, file) in &folder.policies {
        cluster.add_policy(policy.clone(), Some(file.clone()));
    }
    for class in &classes {
        let w = &manifests.workloads[class.members[0]];
        let mut model = analyze::Workload::new(&w.namespace, &w.name, &w.kind, w.labels.clone());
        for p in &w.ports {
            model = model.with_port(p.name.as_deref(), p.protocol, p.number);
        }
        cluster.add_workload(model);
    }
    let analysis = Analysis::new(&cluster, analyze::Options::default())?;
    let expectation = Expectation::new(program, enforcement);
    let names: Vec<String> = classes
        .iter()
        .map(|c| display(&manifests.workloads[c.members[0]], c.members.len() - 1))
        .collect();
    let mut report = RealReport {
        workloads: classes.iter().map(|c| c.members.len()).sum(),
        classes: classes.len(),
        ..RealReport::default()
    };
    let ctx = Context {
        analysis: &analysis,
        expectation: &expectation,
    };
    for (a, ca) in classes.iter().enumerate() {
        for (b, cb) in classes.iter().enumerate() {
            if a != b {
                let src = (ca.point, Endpoint::Workload(a), names[a].as_str());
                let dst = (cb.point, Endpoint::Workload(b), names[b].as_str());
                ctx.compare(src, dst, &mut report);
            }
        }
    }
    let addresses: Vec<IpAddr> = crate::verify::samples::addresses(program);
    for ip in addresses {
        let name = ip.to_string();
        let address = (Point::Address(ip), Endpoint::Ip(ip), name.as_str());
        for (a, ca) in classes.iter().enumerate() {
            let pod = (ca.point, Endpoint::Workload(a), names[a].as_str());
            ctx.compare(address, pod, &mut report);
            ctx.compare(pod, address, &mut report);
        }
    }
    Ok(report)
}

struct Context<'a> {
    analysis: &'a Analysis<'a>,
    expectation: &'a Expectation<'a>,
}

type End<'n> = (Point, Endpoint, &'n str);

impl Context<'_> {
    fn compare(&self, src: End<'_>, dst: End<'_>, report: &mut RealReport) {
        report.pairs += 1;
        let actual = self.analysis.allowed(src.1, dst.1);
        let expected = self.expectation.between(src.0, dst.0);
        if actual == expected.declared {
            return;
        }
        let missing = difference(&expected.declared, &actual);
        let extra = difference(&actual, &expected.granted);
        for (denied, conns) in [(true, missing), (false, extra)] {
            if conns.is_empty() {
                continue;
            }
            report.findings.push(self.finding(denied, conns, src, dst));
        }
    }

    fn finding(&self, denied: bool, conns: ConnSet, src: End<'_>, dst: End<'_>) -> RealFinding {
        let program = self.expectation.program();
        let needs = if denied {
            self.expectation
                .needs_between(src.0, dst.0)
                .into_iter()
                .filter(|&n| {
                    !self
                        .expectation
                        .ports_on(&program.needs[n].ports, dst.0)
                        .intersect(&conns)
                        .is_empty()
                })
                .collect()
        } else {
            Vec::new()
        };
        let (protocol, port) = first(&conns);
        let why = self.analysis.explain(src.1, dst.1, protocol, port);
        let mut policies = Vec::new();
        for (direction, side, end) in [
            (Direction::Egress, &why.egress, src.2),
            (Direction::Ingress, &why.ingress, dst.2),
        ] {
            let dir = direction.to_string().to_lowercase();
            if denied && side.is_pod && !side.allowed {
                for p in &side.isolating {
                    policies.push(format!(
                        "{p} isolates {end} for {dir}, and no rule allows {protocol} {port}"
                    ));
                }
            }
            if !denied {
                for r in &side.allowing {
                    policies.push(format!(
                        "{} allows {protocol} {port} by spec.{dir}[{}]",
                        r.policy, r.index
                    ));
                }
            }
        }
        RealFinding {
            denied,
            src: src.2.to_owned(),
            dst: dst.2.to_owned(),
            conns,
            needs,
            policies,
        }
    }
}

fn first(conns: &ConnSet) -> (analyze::Protocol, u16) {
    for protocol in analyze::Protocol::ALL {
        if let Some(&(lo, _)) = conns.ports(protocol).ranges().first() {
            return (protocol, lo);
        }
    }
    (analyze::Protocol::Tcp, 1)
}

/// The report as text: one block per finding and a summary line.
pub fn render(report: &RealReport, program: &Program, sources: &Sources) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let head = if f.denied {
            "error: declared but denied on the real workloads"
        } else {
            "error: allowed on the real workloads but not declared"
        };
        let _ = writeln!(out, "{head}: {} -> {}: {}", f.src, f.dst, f.conns);
        if !f.denied {
            let _ = writeln!(out, "  = no `needs` declares it");
        }
        for &n in &f.needs {
            let text = crate::verify::report::need_text(program, sources, n);
            let _ = writeln!(out, "  = declared at {text}");
        }
        for p in &f.policies {
            let _ = writeln!(out, "  = {p}");
        }
    }
    let _ = writeln!(out, "{}", summary(report));
    out
}

/// The closing line.
pub fn summary(report: &RealReport) -> String {
    let denied = report.findings.iter().filter(|f| f.denied).count();
    let extra = report.findings.len() - denied;
    let head = format!(
        "verify --workloads: {} workloads ({} distinct pods), {} pairs compared",
        report.workloads, report.classes, report.pairs
    );
    if report.matches() {
        format!("{head}: the real workloads get exactly what the program declares")
    } else {
        format!(
            "{head}: {denied} declared connection(s) denied, {extra} undeclared connection(s) allowed"
        )
    }
}

/// The report as one JSON object.
pub fn json(report: &RealReport, program: &Program, sources: &Sources) -> String {
    let findings: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            let needs: Vec<String> = f
                .needs
                .iter()
                .map(|&n| crate::verify::report::need_text(program, sources, n))
                .collect();
            serde_json::json!({
                "kind": if f.denied { "denied" } else { "not-declared" },
                "src": f.src,
                "dst": f.dst,
                "connections": f.conns.to_string(),
                "needs": needs,
                "policies": f.policies,
            })
        })
        .collect();
    let value = serde_json::json!({
        "matches": report.matches(),
        "workloads": report.workloads,
        "distinct_pods": report.classes,
        "pairs": report.pairs,
        "findings": findings,
        "summary": summary(report),
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

//! The proof of an import: the written program is compiled through
//! [`crate::compile`] (as `netpc build` would, from the text alone), and the original
//! policies and the compiled ones are evaluated by the independent evaluator
//! (`crate::analyze`) on the same probe pods (`super::probes`). Every ordered pair of
//! probes, and every probe with every address range either side distinguishes, is
//! compared as a connection set: what the program allows beyond the original is
//! broader, what it no longer allows is narrower, each with the original policies that
//! decide it (`Analysis::explain` on the original). Pure.

use std::collections::BTreeMap;
use std::path::PathBuf;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::Serialize;

use super::ProgramFile;
use crate::analyze::{Analysis, Cluster, ConnSet, Endpoint, Options, Protocol, WorkloadId};
use crate::compile::{Input, Options as CompileOptions};
use crate::diagnostic::Diagnostics;
use crate::insight::conn_diff;
use crate::insight::conns::{Connections, Line, ProbeInfo};
use crate::source::{FileKey, LoadFailure, Loader, Origin, Sources};

/// One connection set that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub src: String,
    pub dst: String,
    pub conn: String,
    /// The original policies that decide it (`namespace/name`); empty when no policy
    /// selects either end for that direction.
    pub cause: Vec<String>,
}

/// The outcome of the comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Fidelity {
    /// How many probe pods were compared.
    pub probes: usize,
    /// Over `probes::MAX_PROBES`: label sets were probed only where their selectors
    /// place them (and in the `netpc-probe-*` namespaces), not in every namespace.
    pub cut: bool,
    /// The program allows these and the original does not.
    pub broader: Vec<Difference>,
    /// The original allows these and the program does not.
    pub narrower: Vec<Difference>,
}

impl Fidelity {
    pub fn equivalent(&self) -> bool {
        self.broader.is_empty() && self.narrower.is_empty()
    }
}

/// A loader for a program that `use`s no file (import writes none).
struct NoFiles;

impl Loader for NoFiles {
    fn locate(&self, _from: &FileKey, _path: &str) -> Result<FileKey, LoadFailure> {
        Err(LoadFailure::NotFound)
    }

    fn read(&self, _key: &FileKey) -> Result<String, LoadFailure> {
        Err(LoadFailure::NotFound)
    }
}

/// Compiles the program's files as `netpc build` would: the policies it applies, or
/// the rendered errors.
pub fn compile(files: &[ProgramFile]) -> Result<Vec<NetworkPolicy>, String> {
    let mut sources = Sources::new();
    let roots = files
        .iter()
        .map(|f| sources.add(Origin::File(PathBuf::from(&f.path)), f.text.clone()))
        .collect();
    let input = Input {
        sources,
        roots,
        diagnostics: Diagnostics::new(),
        loader: &NoFiles,
    };
    let mut compiled = crate::compile(input, CompileOptions::default());
    let Some(plan) = compiled.plan.take() else {
        let text = crate::render::human(&compiled.sources, &compiled.diagnostics, false);
        return Err(String::from_utf8_lossy(&text).into_owned());
    };
    let folder = crate::verify::compiled(&plan)?;
    Ok(folder.policies.into_iter().map(|(p, _)| p).collect())
}

/// The exempt label of a compiled program (from its exempt allow-all object).
fn exempt_label(compiled: &[NetworkPolicy]) -> (String, String) {
    compiled
        .iter()
        .filter(|p| {
            p.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with("exempt-"))
        })
        .find_map(|p| {
            let labels = p
                .spec
                .as_ref()?
                .pod_selector
                .as_ref()?
                .match_labels
                .as_ref()?;
            labels.iter().next().map(|(k, v)| (k.clone(), v.clone()))
        })
        .unwrap_or_else(|| ("netp.io/exempt".to_owned(), "true".to_owned()))
}

/// Compares the original with the program's compiled policies.
pub fn check(
    original: &Cluster,
    workloads: &Cluster,
    compiled: &[NetworkPolicy],
) -> Result<Fidelity, String> {
    let exempt = exempt_label(compiled);
    let probes = super::probes::build(original, workloads, compiled, &exempt);
    let mut before = probes.cluster.clone();
    for source in original.policies() {
        before.add_policy(source.policy.clone(), source.origin.clone());
    }
    let mut after = probes.cluster.clone();
    for policy in compiled {
        after.add_policy(policy.clone(), Some("the imported program".to_owned()));
    }
    let old =
        Analysis::new(&before, Options::default()).map_err(|e| unevaluable("original", &e))?;
    let new = Analysis::new(&after, Options::default()).map_err(|e| unevaluable("compiled", &e))?;
    let diff = conn_diff::diff(
        &connections(&old, &probes.names),
        &connections(&new, &probes.names),
    );
    let ids: BTreeMap<&str, WorkloadId> = probes
        .names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let explain = |line: &Line, allowed_before: bool| Difference {
        src: line.src.clone(),
        dst: line.dst.clone(),
        conn: line.conns.to_string(),
        cause: cause(&old, &ids, line, allowed_before),
    };
    Ok(Fidelity {
        probes: probes.names.len(),
        cut: probes.cut,
        broader: diff.added.iter().map(|l| explain(l, false)).collect(),
        narrower: diff.removed.iter().map(|l| explain(l, true)).collect(),
    })
}

fn unevaluable(side: &str, errors: &[crate::analyze::AnalyzeError]) -> String {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    format!(
        "the {side} policies cannot be evaluated:\n{}",
        lines.join("\n")
    )
}

/// Every pair's connections, as `netpc diff` compares them.
fn connections(analysis: &Analysis<'_>, names: &[String]) -> Connections {
    let mut out = Connections::default();
    for name in names {
        let namespace = name.split('/').next().unwrap_or("").to_owned();
        out.probes.insert(
            name.clone(),
            ProbeInfo {
                namespace,
                managed: true,
                service: true,
            },
        );
    }
    out.add_list(&analysis.connlist(), |w| {
        names.get(w).map(|n| (n.as_str(), true))
    });
    out
}

fn endpoint(ids: &BTreeMap<&str, WorkloadId>, name: &str) -> Option<Endpoint> {
    if let Some(id) = ids.get(name) {
        return Some(Endpoint::Workload(*id));
    }
    let first = name.split([' ', ',']).next()?;
    let net: ipnet::Ipv4Net = first.parse().ok()?;
    Some(Endpoint::Ip(std::net::IpAddr::V4(net.network())))
}

fn first_port(conns: &ConnSet) -> Option<(Protocol, u16)> {
    [Protocol::Tcp, Protocol::Udp, Protocol::Sctp]
        .into_iter()
        .find_map(|p| conns.ports(p).ranges().first().map(|(lo, _)| (p, *lo)))
}

/// The original policies that allow the line (`allowed_before`) or deny it.
fn cause(
    analysis: &Analysis<'_>,
    ids: &BTreeMap<&str, WorkloadId>,
    line: &Line,
    allowed_before: bool,
) -> Vec<String> {
    let (Some(src), Some(dst), Some((protocol, port))) = (
        endpoint(ids, &line.src),
        endpoint(ids, &line.dst),
        first_port(&line.conns),
    ) else {
        return Vec::new();
    };
    let why = analysis.explain(src, dst, protocol, port);
    let mut out: Vec<String> = Vec::new();
    for side in [&why.egress, &why.ingress] {
        if allowed_before {
            out.extend(side.allowing.iter().map(|r| r.policy.to_string()));
        } else if !side.allowed {
            out.extend(side.isolating.iter().map(ToString::to_string));
        }
    }
    out.sort();
    out.dedup();
    out
}

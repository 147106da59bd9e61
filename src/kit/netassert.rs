//! The kit's probes between services as a netassert v2 test file, for the real
//! workloads of a cluster: each probe whose client and server services have a workload
//! (one in the service's namespace whose labels include the service's selector) becomes
//! one test, `exitCode: 0` and `attempts: 3` for an allow, `exitCode: 1` and
//! `attempts: 1` for a deny (with three attempts, one failure out of three would pass a
//! deny). Probes of synthetic pods (no service, lookalikes, controls) have no workload
//! and are left out. The workloads come from the caller (`--workloads`, `crate::workloads`);
//! this module only needs their kind, name, namespace and labels. Pure.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Expect, KitPod, Probe};
use crate::ir::{Program, ServiceId};
use crate::verify::{PodRole, Point};

/// A workload of the cluster, as netassert names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    /// `deployment`, `statefulset`, `daemonset` or `pod`.
    pub kind: String,
    pub name: String,
    pub namespace: String,
    /// The labels of its pod template.
    pub labels: BTreeMap<String, String>,
}

/// The workload standing for a service: the first (by kind, then name) in its namespace
/// whose labels include the service's selector.
fn workload_of<'w>(
    program: &Program,
    id: ServiceId,
    workloads: &'w [Workload],
) -> Option<&'w Workload> {
    let service = program.service(id);
    let ns = &program.namespace(service.namespace).name;
    let mut found: Vec<&Workload> = workloads
        .iter()
        .filter(|w| &w.namespace == ns)
        .filter(|w| service.matches(&w.labels))
        .collect();
    found.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
    found.first().copied()
}

fn service_of(pod: KitPod) -> Option<ServiceId> {
    match pod {
        KitPod::Program(Point::Pod {
            role: PodRole::Service(id),
            ..
        }) => Some(id),
        _ => None,
    }
}

/// The netassert test file (YAML, as JSON documents are YAML) and the number of
/// probes left out for want of a workload.
pub fn tests(program: &Program, probes: &[Probe], workloads: &[Workload]) -> (String, usize) {
    let mut tests = Vec::new();
    let mut left_out = 0;
    for probe in probes {
        let ends = service_of(probe.from)
            .and_then(|s| workload_of(program, s, workloads))
            .zip(service_of(probe.to).and_then(|d| workload_of(program, d, workloads)));
        let Some((src, dst)) = ends else {
            left_out += 1;
            continue;
        };
        let (exit, attempts) = match probe.expect {
            Expect::Allow => (0, 3),
            Expect::Deny => (1, 1),
        };
        let resource = |w: &Workload| json!({"k8sResource": {"kind": w.kind, "name": w.name, "namespace": w.namespace}});
        tests.push(json!({
            "name": format!(
                "{}-{}-{}-to-{}-{}-{}-{}",
                probe.expect.as_str(), src.namespace, src.name, dst.namespace, dst.name,
                probe.port, probe.protocol.as_k8s().to_ascii_lowercase()
            ),
            "type": "k8s",
            "protocol": probe.protocol.as_k8s().to_ascii_lowercase(),
            "targetPort": probe.port,
            "timeoutSeconds": 120,
            "attempts": attempts,
            "exitCode": exit,
            "src": resource(src),
            "dst": resource(dst),
        }));
    }
    tests.dedup_by(|a, b| a["name"] == b["name"]);
    let text = serde_json::to_string_pretty(&Value::Array(tests)).unwrap_or_default();
    (format!("{text}\n"), left_out)
}

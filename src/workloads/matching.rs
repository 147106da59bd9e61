//! How real workloads map to the program's services: a workload stands for the
//! `.netp` services of its namespace whose selector its pod-template labels contain
//! (exactly what a NetworkPolicy `podSelector` of that service would select). A
//! workload in a namespace the program does not mention stands for nothing. Linear in
//! the workloads: services are indexed by one of their selector pairs, so a workload
//! only tests the services that share a label with it.

use rustc_hash::FxHashMap;

use super::parse::Workload;
use crate::ir::{NamespaceId, Program, ServiceId};

/// The services each workload stands for, and the namespaces of the workloads.
#[derive(Debug)]
pub struct Matches {
    /// For each workload (by index), its namespace in the program, if mentioned.
    pub namespace: Vec<Option<NamespaceId>>,
    /// For each workload, the services whose selector its labels contain, by id.
    pub services: Vec<Vec<ServiceId>>,
}

impl Matches {
    pub fn new(program: &Program, workloads: &[Workload]) -> Matches {
        let namespaces: FxHashMap<&str, NamespaceId> = program
            .namespace_ids()
            .map(|id| (program.namespace(id).name.as_str(), id))
            .collect();
        // (namespace, key, value) of the smallest selector pair → services.
        let mut index: FxHashMap<(NamespaceId, &str, &str), Vec<ServiceId>> = FxHashMap::default();
        let mut everything: FxHashMap<NamespaceId, Vec<ServiceId>> = FxHashMap::default();
        for id in program.service_ids() {
            let service = program.service(id);
            match service.selector.iter().next() {
                Some((k, v)) => index
                    .entry((service.namespace, k.as_str(), v.as_str()))
                    .or_default()
                    .push(id),
                None => everything.entry(service.namespace).or_default().push(id),
            }
        }
        let mut namespace = Vec::with_capacity(workloads.len());
        let mut services = Vec::with_capacity(workloads.len());
        for workload in workloads {
            let ns = namespaces.get(workload.namespace.as_str()).copied();
            namespace.push(ns);
            let Some(ns) = ns else {
                services.push(Vec::new());
                continue;
            };
            let mut found: Vec<ServiceId> = everything
                .get(&ns)
                .into_iter()
                .flatten()
                .copied()
                .filter(|&id| program.service(id).matches(&workload.labels))
                .collect();
            for (k, v) in &workload.labels {
                let Some(candidates) = index.get(&(ns, k.as_str(), v.as_str())) else {
                    continue;
                };
                found.extend(
                    candidates
                        .iter()
                        .copied()
                        .filter(|&id| program.service(id).matches(&workload.labels)),
                );
            }
            found.sort_unstable();
            found.dedup();
            services.push(found);
        }
        Matches {
            namespace,
            services,
        }
    }
}

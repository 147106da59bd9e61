//! Ids for the checked program, assigned once every declaration is collected: namespaces
//! by name, services by (namespace, name), externals by (scope, name). Sorted ids make
//! the IR, and so every output, independent of the order files and items were written
//! in. The tables also carry what reference resolution and the checks look up by id.

use rustc_hash::FxHashMap;

use super::declarations::Declarations;
use crate::ir::{self, ExternalId, NamespaceId, ServiceId};
use crate::source::Span;

/// Id tables shared by the stages after `collect`.
pub(super) struct Tables {
    pub namespace_ids: FxHashMap<String, NamespaceId>,
    /// Indexed by `NamespaceId`.
    pub managed: Vec<bool>,
    /// Indexed by service declaration.
    pub service_ids: Vec<ServiceId>,
    /// Indexed by external declaration.
    pub external_ids: Vec<ExternalId>,
    /// Indexed by `ServiceId`.
    pub service_ports: Vec<Vec<ir::ServicePort>>,
    /// `namespace/name`, indexed by `ServiceId`.
    pub service_names: Vec<String>,
    pub service_spans: Vec<Span>,
    pub service_namespace: Vec<NamespaceId>,
}

impl Tables {
    pub(super) fn new(decls: &Declarations) -> Tables {
        let namespace_ids: FxHashMap<String, NamespaceId> = decls
            .namespaces
            .keys()
            .enumerate()
            .map(|(i, n)| (n.clone(), NamespaceId(i as u32)))
            .collect();
        let services = &decls.services;
        let mut order: Vec<usize> = (0..services.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&services[a], &services[b]);
            (&a.namespace, &a.name.node).cmp(&(&b.namespace, &b.name.node))
        });
        let mut service_ids = vec![ServiceId(0); services.len()];
        for (pos, &decl) in order.iter().enumerate() {
            service_ids[decl] = ServiceId(pos as u32);
        }
        let externals = &decls.externals;
        let mut ext_order: Vec<usize> = (0..externals.len()).collect();
        ext_order.sort_by(|&a, &b| {
            let (a, b) = (&externals[a], &externals[b]);
            (&a.scope, &a.name.node).cmp(&(&b.scope, &b.name.node))
        });
        let mut external_ids = vec![ExternalId(0); externals.len()];
        for (pos, &decl) in ext_order.iter().enumerate() {
            external_ids[decl] = ExternalId(pos as u32);
        }
        let sorted = || order.iter().map(|&d| &services[d]);
        Tables {
            service_ports: sorted().map(|s| s.ports.clone()).collect(),
            service_names: sorted()
                .map(|s| format!("{}/{}", s.namespace, s.name.node))
                .collect(),
            service_spans: sorted().map(|s| s.name.span).collect(),
            service_namespace: sorted()
                .map(|s| {
                    namespace_ids
                        .get(&s.namespace)
                        .copied()
                        .unwrap_or(NamespaceId(0))
                })
                .collect(),
            managed: decls.namespaces.values().map(|n| n.managed).collect(),
            namespace_ids,
            service_ids,
            external_ids,
        }
    }
}

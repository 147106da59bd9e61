//! Assembling the checked [`Program`]: assigns ids in sorted order, applies module
//! `needs` in every namespace that uses the module, resolves every `needs` statement
//! into one [`Need`] per subject and target, checks consent (`export`) for
//! cross-namespace needs, and reports the program-level warnings (DNS, self needs,
//! duplicate needs, unused exports).

use rustc_hash::{FxHashMap, FxHashSet};

use super::Resolver;
use super::declarations::Decl;
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::ir::{
    self, Endpoint, Enforcement, ExternalId, NamespaceId, Need, NeedOrigin, Ports, Program,
    Protocol, ServiceId,
};
use crate::source::{FileId, Span};

/// Id tables shared by the resolution of references.
pub(super) struct Tables {
    pub namespace_ids: FxHashMap<String, NamespaceId>,
    pub managed: Vec<bool>,
    /// Indexed by service declaration.
    pub service_ids: Vec<ServiceId>,
    /// Indexed by external declaration.
    pub external_ids: Vec<ExternalId>,
    /// Indexed by `ServiceId`.
    pub service_ports: Vec<Vec<ir::ServicePort>>,
    pub service_names: Vec<String>,
    pub service_spans: Vec<Span>,
    pub service_namespace: Vec<NamespaceId>,
}

/// One service named in an `export`, and where it may be reached from.
struct ExportEntry {
    /// `None` for `to *`.
    to: Option<Vec<String>>,
    /// The service's name in the export item.
    span: Span,
    /// The whole export item.
    item: Span,
}

impl Resolver {
    pub(super) fn check_namespaces_exist(&mut self) {
        let refs = std::mem::take(&mut self.decls.namespace_refs);
        for name in refs {
            if self.decls.namespaces.contains_key(&name.node) {
                continue;
            }
            let d = Diagnostic::new(
                Code::UnknownNamespace,
                format!("unknown namespace `{}`", name.node),
                name.span,
                "no namespace of this name",
            );
            let d = match did_you_mean(&name.node, self.decls.namespaces.keys().map(String::as_str)) {
                Some(near) => d.with_help(format!("did you mean `{near}`?")),
                None => d.with_help(format!("declare it with `namespace {0} {{ ... }}` or `external namespace {0} {{ ... }}`", name.node)),
            };
            self.errors.push(d);
        }
    }

    fn tables(&self) -> Tables {
        let namespace_ids: FxHashMap<String, NamespaceId> = self
            .decls
            .namespaces
            .keys()
            .enumerate()
            .map(|(i, n)| (n.clone(), NamespaceId(i as u32)))
            .collect();
        let managed = self.decls.namespaces.values().map(|n| n.managed).collect();
        let mut order: Vec<usize> = (0..self.decls.services.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&self.decls.services[a], &self.decls.services[b]);
            (&a.namespace, &a.name.node).cmp(&(&b.namespace, &b.name.node))
        });
        let mut service_ids = vec![ServiceId(0); self.decls.services.len()];
        for (pos, &decl) in order.iter().enumerate() {
            service_ids[decl] = ServiceId(pos as u32);
        }
        let mut ext_order: Vec<usize> = (0..self.decls.externals.len()).collect();
        ext_order.sort_by(|&a, &b| {
            let (a, b) = (&self.decls.externals[a], &self.decls.externals[b]);
            (&a.scope, &a.name.node).cmp(&(&b.scope, &b.name.node))
        });
        let mut external_ids = vec![ExternalId(0); self.decls.externals.len()];
        for (pos, &decl) in ext_order.iter().enumerate() {
            external_ids[decl] = ExternalId(pos as u32);
        }
        Tables {
            service_ports: order
                .iter()
                .map(|&d| self.decls.services[d].ports.clone())
                .collect(),
            service_names: order
                .iter()
                .map(|&d| {
                    format!(
                        "{}/{}",
                        self.decls.services[d].namespace, self.decls.services[d].name.node
                    )
                })
                .collect(),
            service_spans: order
                .iter()
                .map(|&d| self.decls.services[d].name.span)
                .collect(),
            service_namespace: order
                .iter()
                .map(|&d| {
                    namespace_ids
                        .get(&self.decls.services[d].namespace)
                        .copied()
                        .unwrap_or(NamespaceId(0))
                })
                .collect(),
            namespace_ids,
            managed,
            service_ids,
            external_ids,
        }
    }

    /// Which services may be reached from which namespaces, by `ServiceId`.
    fn export_index(&mut self, tables: &Tables) -> FxHashMap<ServiceId, Vec<ExportEntry>> {
        let mut index: FxHashMap<ServiceId, Vec<ExportEntry>> = FxHashMap::default();
        let exports = std::mem::take(&mut self.decls.exports);
        for export in &exports {
            for service in &export.services {
                let scope = self.decls.scope(Some(&export.namespace));
                match scope.and_then(|s| s.get(&service.node)).map(|(d, _)| *d) {
                    Some(Decl::Service(i)) => {
                        index
                            .entry(tables.service_ids[i])
                            .or_default()
                            .push(ExportEntry {
                                to: export
                                    .to
                                    .as_ref()
                                    .map(|names| names.iter().map(|n| n.node.clone()).collect()),
                                span: service.span,
                                item: export.span,
                            })
                    }
                    Some(_) => self.errors.push(
                        Diagnostic::new(
                            Code::WrongKind,
                            format!("`{}` is not a service", service.node),
                            service.span,
                            "a group or external",
                        )
                        .with_help("only services are exported; list the services themselves"),
                    ),
                    None => {
                        let candidates: Vec<&str> = self
                            .decls
                            .services
                            .iter()
                            .filter(|s| s.namespace == export.namespace)
                            .map(|s| s.name.node.as_str())
                            .collect();
                        let d = Diagnostic::new(
                            Code::UnknownName,
                            format!(
                                "namespace `{}` has no service `{}` to export",
                                export.namespace, service.node
                            ),
                            service.span,
                            "unknown service",
                        );
                        let d = match did_you_mean(&service.node, candidates) {
                            Some(near) => d.with_help(format!("did you mean `{near}`?")),
                            None => d.with_help(
                                "an export lists services declared in the same namespace",
                            ),
                        };
                        self.errors.push(d);
                    }
                }
            }
        }
        self.decls.exports = exports;
        index
    }

    /// For every module file, the namespaces its top-level `needs` apply in, each with
    /// the `use` that brought it there.
    fn module_applications(&self, tables: &Tables) -> FxHashMap<FileId, Vec<(String, Span)>> {
        let mut edges: FxHashMap<FileId, Vec<FileId>> = FxHashMap::default();
        for u in &self.decls.uses {
            if u.namespace.is_none() && self.decls.module_files.contains(&u.from) {
                edges.entry(u.from).or_default().push(u.module);
            }
        }
        let managed: Vec<&String> = self
            .decls
            .namespaces
            .iter()
            .filter(|(_, d)| d.managed)
            .map(|(n, _)| n)
            .collect();
        let mut applications: FxHashMap<FileId, Vec<(String, Span)>> = FxHashMap::default();
        let mut seen: FxHashSet<(FileId, String)> = FxHashSet::default();
        for u in &self.decls.uses {
            if u.namespace.is_none() && self.decls.module_files.contains(&u.from) {
                continue;
            }
            let namespaces: Vec<String> = match &u.namespace {
                Some(ns) if tables.namespace_ids.contains_key(ns) => vec![ns.clone()],
                Some(_) => Vec::new(),
                None => managed.iter().map(|n| (*n).clone()).collect(),
            };
            let mut stack = vec![u.module];
            let mut reached = FxHashSet::default();
            while let Some(m) = stack.pop() {
                if !reached.insert(m) {
                    continue;
                }
                for ns in &namespaces {
                    if seen.insert((m, ns.clone())) {
                        applications
                            .entry(m)
                            .or_default()
                            .push((ns.clone(), u.span));
                    }
                }
                stack.extend(edges.get(&m).into_iter().flatten());
            }
        }
        applications
    }

    pub(super) fn build_program(&mut self) -> Option<Program> {
        let tables = self.tables();
        let exports = self.export_index(&tables);
        let applications = self.module_applications(&tables);
        let mut used_exports: FxHashSet<(Span, String)> = FxHashSet::default();
        let mut needs: Vec<Need> = Vec::new();
        // Expand every group once, used or not, so cycles and unknown members are
        // reported once, where the group is defined.
        for group in 0..self.decls.groups.len() {
            let span = self.decls.groups[group].name.span;
            let _ = self.expand_group(&tables, group, span, &mut Vec::new());
        }
        let decls = std::mem::take(&mut self.decls.needs);
        for decl in &decls {
            let contexts: Vec<(String, Option<Span>)> = match &decl.namespace {
                Some(ns) => vec![(ns.clone(), None)],
                None => applications
                    .get(&decl.file)
                    .into_iter()
                    .flatten()
                    .map(|(ns, via)| (ns.clone(), Some(*via)))
                    .collect(),
            };
            for (namespace, via_use) in contexts {
                let mut subjects = Vec::new();
                for subject in &decl.subjects {
                    for endpoint in
                        self.resolve_reference(&tables, subject, Some(&namespace), &mut Vec::new())
                    {
                        subjects.push((endpoint, subject.span));
                    }
                }
                let mut targets = Vec::new();
                for target in &decl.targets {
                    for endpoint in self.resolve_reference(
                        &tables,
                        &target.reference,
                        Some(&namespace),
                        &mut Vec::new(),
                    ) {
                        if let Some(ports) = self.target_ports(&tables, target, endpoint) {
                            targets.push((endpoint, ports, target.span));
                        }
                    }
                }
                let mut warned_self = false;
                for &(subject, subject_span) in &subjects {
                    for (target, ports, target_span) in &targets {
                        let origin = NeedOrigin {
                            statement: decl.span,
                            subject: subject_span,
                            target: *target_span,
                            export: None,
                            via_use,
                        };
                        let Some(need) = self.check_need(
                            &tables,
                            &exports,
                            &mut used_exports,
                            &namespace,
                            subject,
                            *target,
                            ports,
                            origin,
                            &mut warned_self,
                        ) else {
                            continue;
                        };
                        needs.push(need);
                    }
                }
            }
        }
        self.decls.needs = decls;
        // With errors, some needs were not resolved: an export or DNS access could look
        // unused only because of them, so these warnings would cascade from the errors.
        if !self.prior_errors
            && !self
                .errors
                .iter()
                .any(|d| d.severity() == crate::diagnostic::Severity::Error)
        {
            self.unused_exports(&exports, &used_exports);
            self.dns_warnings(&tables, &needs);
        }
        needs.sort_by(|a, b| {
            (a.subject, a.target, a.origin.statement).cmp(&(
                b.subject,
                b.target,
                b.origin.statement,
            ))
        });
        let needs = self.drop_duplicate_needs(needs);
        Some(self.assemble(&tables, needs))
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one need is checked against all of these tables"
    )]
    fn check_need(
        &mut self,
        tables: &Tables,
        exports: &FxHashMap<ServiceId, Vec<ExportEntry>>,
        used: &mut FxHashSet<(Span, String)>,
        namespace: &str,
        subject: Endpoint,
        target: Endpoint,
        ports: &Ports,
        mut origin: NeedOrigin,
        warned_self: &mut bool,
    ) -> Option<Need> {
        if let (Endpoint::External(_), Endpoint::External(_)) = (subject, target) {
            self.errors.push(
                Diagnostic::new(Code::ExternalToExternal, "a need between two externals", origin.target, "an external target")
                    .with_secondary(origin.subject, "an external subject")
                    .with_help("traffic between two addresses outside the cluster never passes a NetworkPolicy: one end must be pods"),
            );
            return None;
        }
        if subject == target && matches!(subject, Endpoint::Service(_)) && !*warned_self {
            *warned_self = true;
            self.errors.push(
                Diagnostic::new(Code::SelfNeed, "a service needs itself", origin.target, "same as the subject")
                    .with_secondary(origin.subject, "subject")
                    .with_help("a pod always reaches itself; this need only lets replicas of the service reach each other. Remove it unless they do"),
            );
        }
        let target_ns = match target {
            Endpoint::Service(id) => Some(tables.service_namespace[id.0 as usize]),
            Endpoint::Namespace(id) => Some(id),
            Endpoint::External(_) => None,
        };
        let here = tables.namespace_ids.get(namespace).copied();
        if let Some(target_ns) = target_ns
            && Some(target_ns) != here
            && tables.managed[target_ns.0 as usize]
        {
            let owner = self
                .decls
                .namespaces
                .keys()
                .nth(target_ns.0 as usize)
                .cloned()
                .unwrap_or_default();
            match target {
                Endpoint::Service(id) => {
                    let entry = exports.get(&id).and_then(|entries| {
                        entries.iter().find(|e| {
                            e.to.as_ref()
                                .is_none_or(|to| to.iter().any(|n| n == namespace))
                        })
                    });
                    match entry {
                        Some(entry) => {
                            used.insert((entry.span, namespace.to_owned()));
                            origin.export = Some(entry.item);
                        }
                        None => {
                            let name = &tables.service_names[id.0 as usize];
                            let short = name.rsplit('/').next().unwrap_or(name);
                            let mut d = Diagnostic::new(
                                Code::MissingExport,
                                format!("`{name}` is not exported to namespace `{namespace}`"),
                                origin.target,
                                format!("needs consent of namespace `{owner}`"),
                            )
                            .with_secondary(
                                tables.service_spans[id.0 as usize],
                                "service declared here",
                            );
                            if let Some(decl) = self.decls.namespaces.get(&owner) {
                                d = d.with_secondary(
                                    decl.span,
                                    format!("namespace `{owner}` declared here"),
                                );
                            }
                            self.errors.push(d.with_help(format!(
                                "add `export {short} to {namespace};` in namespace `{owner}`"
                            )));
                            return None;
                        }
                    }
                }
                _ => {
                    self.errors.push(
                        Diagnostic::new(Code::MissingExport, format!("`{owner}/*` is every pod of managed namespace `{owner}`"), origin.target, "no consent for a whole namespace")
                            .with_help(format!("need the services themselves (`{owner}/api:443`) after namespace `{owner}` exports them to `{namespace}`")),
                    );
                    return None;
                }
            }
        }
        Some(Need {
            subject,
            target,
            ports: ports.clone(),
            origin,
        })
    }

    /// Keep the first of needs with the same subject, target and ports (W006 for a
    /// repeat in another statement; a repeat inside one statement, through groups, is
    /// silent). `needs` is sorted by subject and target, so repeats are neighbours.
    fn drop_duplicate_needs(&mut self, needs: Vec<Need>) -> Vec<Need> {
        let mut kept: Vec<Need> = Vec::with_capacity(needs.len());
        let mut group_start = 0;
        for need in needs {
            if kept
                .get(group_start)
                .is_none_or(|g| (g.subject, g.target) != (need.subject, need.target))
            {
                group_start = kept.len();
            }
            if let Some(first) = kept[group_start..].iter().find(|k| k.ports == need.ports) {
                if first.origin.statement != need.origin.statement {
                    self.errors.push(
                        Diagnostic::new(
                            Code::DuplicateNeed,
                            "this need is already declared",
                            need.origin.target,
                            "declared again here",
                        )
                        .with_secondary(first.origin.statement, "first declared here")
                        .with_help("remove one of the two"),
                    );
                }
                continue;
            }
            kept.push(need);
        }
        kept
    }

    fn unused_exports(
        &mut self,
        exports: &FxHashMap<ServiceId, Vec<ExportEntry>>,
        used: &FxHashSet<(Span, String)>,
    ) {
        let mut warnings = Vec::new();
        for entries in exports.values() {
            for entry in entries {
                let Some(to) = &entry.to else { continue };
                let unused: Vec<&String> = to
                    .iter()
                    .filter(|ns| !used.contains(&(entry.span, (*ns).clone())))
                    .collect();
                if unused.is_empty() {
                    continue;
                }
                let list = unused
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                warnings.push(
                    Diagnostic::new(Code::UnusedExport, format!("exported to {list}, but nothing there needs it"), entry.span, "unused export")
                        .with_help("remove the namespace from the export (least privilege), or add the `needs` it was meant for"),
                );
            }
        }
        self.errors.extend(warnings);
    }

    fn dns_warnings(&mut self, tables: &Tables, needs: &[Need]) {
        let count = self.decls.namespaces.len();
        let mut has_needs = vec![false; count];
        let mut has_dns = vec![false; count];
        for need in needs {
            let ns = match need.subject {
                Endpoint::Service(id) => tables.service_namespace[id.0 as usize],
                Endpoint::Namespace(id) => id,
                Endpoint::External(_) => continue,
            };
            has_needs[ns.0 as usize] = true;
            let dns = match &need.ports {
                Ports::Any => false,
                Ports::List(ports) => ports.iter().any(|p| {
                    p.protocol == Protocol::Udp && matches!(p.kind, ir::PortKind::Range { first, last } if first <= 53 && 53 <= last)
                }),
            };
            if dns && !matches!(need.target, Endpoint::External(_)) {
                has_dns[ns.0 as usize] = true;
            }
        }
        let mut warnings = Vec::new();
        for (i, (name, decl)) in self.decls.namespaces.iter().enumerate() {
            if decl.managed && has_needs[i] && !has_dns[i] {
                warnings.push(
                    Diagnostic::new(
                        Code::NoDns,
                        format!(
                            "pods of namespace `{name}` need other endpoints but cannot resolve DNS"
                        ),
                        decl.span,
                        "egress is default-deny here",
                    )
                    .with_help(format!(
                        "add `use std/dns;` in namespace `{name}` so its pods may query kube-dns"
                    )),
                );
            }
        }
        self.errors.extend(warnings);
    }

    fn assemble(&mut self, tables: &Tables, needs: Vec<Need>) -> Program {
        let program_enforcement = self.decls.enforcement;
        let namespaces = self
            .decls
            .namespaces
            .iter()
            .map(|(name, decl)| {
                let chosen = decl.enforcement.or(program_enforcement);
                ir::Namespace {
                    name: name.clone(),
                    managed: decl.managed,
                    enforcement: Enforcement {
                        on: chosen.is_none_or(|(on, _)| on),
                        span: chosen.map(|(_, s)| s),
                    },
                    span: decl.span,
                }
            })
            .collect();
        let mut services: Vec<Option<ir::Service>> =
            (0..self.decls.services.len()).map(|_| None).collect();
        for (decl, service) in self.decls.services.drain(..).enumerate() {
            let id = tables.service_ids[decl];
            services[id.0 as usize] = Some(ir::Service {
                namespace: tables
                    .namespace_ids
                    .get(&service.namespace)
                    .copied()
                    .unwrap_or(NamespaceId(0)),
                name: service.name.node,
                selector: service.selector,
                explicit_selector: service.explicit_selector,
                ports: service.ports,
                span: service.name.span,
            });
        }
        let mut externals: Vec<Option<ir::External>> =
            (0..self.decls.externals.len()).map(|_| None).collect();
        for (decl, external) in self.decls.externals.drain(..).enumerate() {
            let id = tables.external_ids[decl];
            externals[id.0 as usize] = Some(ir::External {
                name: external.name.node,
                namespace: external
                    .scope
                    .as_ref()
                    .and_then(|s| tables.namespace_ids.get(s).copied()),
                cidrs: external.cidrs,
                except: external.except,
                span: external.name.span,
            });
        }
        Program {
            namespaces,
            services: services.into_iter().flatten().collect(),
            externals: externals.into_iter().flatten().collect(),
            needs,
            identity: self.decls.identity.map(|(s, _)| s).unwrap_or_default(),
            exempt: self.decls.exempt.clone().unwrap_or_default(),
        }
    }
}

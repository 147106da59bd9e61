//! Resolving references and ports: what a name, `N/S`, `N/*`, `*` or a group stands
//! for in a namespace; the ports a target is reached on, checked against what it
//! declares; and the consent (`export`) a cross-namespace need requires. Works on the
//! id tables built by `program`; reports unknown names with a did-you-mean.

use rustc_hash::FxHashSet;

use super::Resolver;
use super::declarations::Decl;
use super::program::Tables;
use super::value_checks;
use crate::ast::{Reference, ReferenceKind, Target};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::ir::{Endpoint, Port, PortKind, Ports, Protocol};
use crate::source::Span;

impl Resolver {
    /// The namespace named in a reference, if declared (E201 otherwise).
    pub(super) fn namespace_id(
        &mut self,
        tables: &Tables,
        name: &crate::ast::Ident,
    ) -> Option<crate::ir::NamespaceId> {
        if let Some(id) = tables.namespace_ids.get(&name.node) {
            return Some(*id);
        }
        let mut d = Diagnostic::new(
            Code::UnknownNamespace,
            format!("unknown namespace `{}`", name.node),
            name.span,
            "no namespace of this name",
        );
        d = match did_you_mean(&name.node, self.decls.namespaces.keys().map(String::as_str)) {
            Some(near) => d.with_help(format!("did you mean `{near}`?")),
            None => d.with_help(format!(
                "declare it with `namespace {0} {{ ... }}`, or `external namespace {0} {{ ... }}` if this program does not manage it",
                name.node
            )),
        };
        self.errors.push(d);
        None
    }

    /// What `reference` stands for, seen from namespace `namespace` (`None`: outside
    /// every namespace). Groups are expanded. Unknown names are reported.
    pub(super) fn resolve_reference(
        &mut self,
        tables: &Tables,
        reference: &Reference,
        namespace: Option<&str>,
        expanding: &mut Vec<usize>,
    ) -> Vec<Endpoint> {
        match &reference.kind {
            ReferenceKind::All => match namespace.and_then(|ns| tables.namespace_ids.get(ns)) {
                Some(id) => vec![Endpoint::Namespace(*id)],
                None => {
                    self.errors.push(
                        Diagnostic::new(Code::WrongKind, "`*` outside a namespace", reference.span, "no namespace here")
                            .with_help("`*` means every pod of the current namespace; outside every namespace write `N/*`"),
                    );
                    Vec::new()
                }
            },
            ReferenceKind::NamespaceAll(name) => self
                .namespace_id(tables, name)
                .map(Endpoint::Namespace)
                .into_iter()
                .collect(),
            ReferenceKind::Qualified {
                namespace: ns,
                name,
            } => {
                let Some(_) = self.namespace_id(tables, ns) else {
                    return Vec::new();
                };
                match self
                    .decls
                    .scope(Some(&ns.node))
                    .and_then(|s| s.get(&name.node))
                    .map(|(d, _)| *d)
                {
                    Some(Decl::Service(i)) => vec![Endpoint::Service(tables.service_ids[i])],
                    Some(Decl::Rejected) => Vec::new(),
                    Some(Decl::Group(_) | Decl::External(_)) => {
                        self.errors.push(
                            Diagnostic::new(Code::WrongKind, format!("`{}/{}` is not a service", ns.node, name.node), reference.span, "a group or external")
                                .with_help("only services are reached as `namespace/name`; groups and externals are used in the namespace that declares them"),
                        );
                        Vec::new()
                    }
                    None => {
                        let candidates: Vec<&str> = self
                            .decls
                            .services
                            .iter()
                            .filter(|s| s.namespace == ns.node)
                            .map(|s| s.name.node.as_str())
                            .collect();
                        let mut d = Diagnostic::new(
                            Code::UnknownName,
                            format!("namespace `{}` has no service `{}`", ns.node, name.node),
                            name.span,
                            "unknown service",
                        );
                        d = match did_you_mean(&name.node, candidates) {
                            Some(near) => {
                                d.with_help(format!("did you mean `{}/{near}`?", ns.node))
                            }
                            None => d.with_help(format!(
                                "declare it in namespace `{}` with `service {};`",
                                ns.node, name.node
                            )),
                        };
                        if let Some(decl) = self.decls.namespaces.get(&ns.node) {
                            d = d.with_secondary(
                                decl.span,
                                format!("namespace `{}` declared here", ns.node),
                            );
                        }
                        self.errors.push(d);
                        Vec::new()
                    }
                }
            }
            ReferenceKind::Name(name) => {
                let local = namespace
                    .and_then(|ns| self.decls.scope(Some(ns)).and_then(|s| s.get(&name.node)));
                let found = local
                    .or_else(|| self.decls.scope(None).and_then(|s| s.get(&name.node)))
                    .map(|(d, _)| *d);
                match found {
                    Some(Decl::Service(i)) => vec![Endpoint::Service(tables.service_ids[i])],
                    Some(Decl::Rejected) => Vec::new(),
                    Some(Decl::External(i)) => vec![Endpoint::External(tables.external_ids[i])],
                    Some(Decl::Group(g)) => self.expand_group(tables, g, reference.span, expanding),
                    None => {
                        self.unknown_name(name, namespace);
                        Vec::new()
                    }
                }
            }
        }
    }

    fn unknown_name(&mut self, name: &crate::ast::Ident, namespace: Option<&str>) {
        let mut candidates: Vec<&str> = Vec::new();
        if let Some(scope) = namespace.and_then(|ns| self.decls.scope(Some(ns))) {
            candidates.extend(scope.keys().map(String::as_str));
        }
        if let Some(scope) = self.decls.scope(None) {
            candidates.extend(scope.keys().map(String::as_str));
        }
        let place = namespace.map_or_else(
            || "outside every namespace".to_owned(),
            |ns| format!("in namespace `{ns}`"),
        );
        let mut d = Diagnostic::new(
            Code::UnknownName,
            format!("unknown name `{}` {place}", name.node),
            name.span,
            "not a service, group or external here",
        );
        d = match did_you_mean(&name.node, candidates) {
            Some(near) => d.with_help(format!("did you mean `{near}`?")),
            None => {
                let elsewhere: Vec<String> = self
                    .decls
                    .services
                    .iter()
                    .filter(|s| s.name.node == name.node)
                    .map(|s| format!("`{}/{}`", s.namespace, s.name.node))
                    .take(3)
                    .collect();
                if elsewhere.is_empty() {
                    d.with_help(format!("declare it with `service {};` or write `namespace/{}` for another namespace's service", name.node, name.node))
                } else {
                    d.with_help(format!(
                        "services of other namespaces are written with their namespace: {}",
                        elsewhere.join(", ")
                    ))
                }
            }
        };
        self.errors.push(d);
    }

    pub(super) fn expand_group(
        &mut self,
        tables: &Tables,
        group: usize,
        used_at: Span,
        expanding: &mut Vec<usize>,
    ) -> Vec<Endpoint> {
        if let Some(pos) = expanding.iter().position(|g| *g == group) {
            let name = self.decls.groups[group].name.clone();
            let mut d = Diagnostic::new(Code::GroupCycle, format!("group `{}` contains itself", name.node), used_at, "used inside its own definition")
                .with_secondary(name.span, "group declared here")
                .with_help("a group lists services, externals and other groups, but cannot include itself, directly or through another group");
            for g in &expanding[pos + 1..] {
                d = d.with_secondary(self.decls.groups[*g].name.span, "through this group");
            }
            self.errors.push(d);
            return Vec::new();
        }
        if let Some(done) = self.group_cache.get(&group) {
            return done.clone();
        }
        expanding.push(group);
        let scope = self.decls.groups[group].scope.clone();
        let members = self.decls.groups[group].members.clone();
        let mut out = Vec::new();
        for member in &members {
            out.extend(self.resolve_reference(tables, member, scope.as_deref(), expanding));
        }
        expanding.pop();
        let mut seen = FxHashSet::default();
        out.retain(|e| seen.insert(*e));
        self.group_cache.insert(group, out.clone());
        out
    }

    /// The ports a need asks for: checked against what the target declares.
    pub(super) fn target_ports(
        &mut self,
        tables: &Tables,
        target: &Target,
        endpoint: Endpoint,
    ) -> Option<Ports> {
        let declared = match endpoint {
            Endpoint::Service(id) => Some(&tables.service_ports[id.0 as usize]),
            _ => None,
        };
        let Some(specs) = &target.ports else {
            return match (endpoint, declared) {
                (Endpoint::Service(id), Some(ports)) if ports.is_empty() => {
                    let full = &tables.service_names[id.0 as usize];
                    let name = match &target.reference.kind {
                        ReferenceKind::Name(n) => n.node.clone(),
                        _ => full.clone(),
                    };
                    let decl_span = tables.service_spans[id.0 as usize];
                    self.errors.push(
                        Diagnostic::new(Code::BareTargetWithoutPorts, format!("`{full}` declares no ports, so a bare target would open every port"), target.span, "no ports given")
                            .with_secondary(decl_span, "declared here without `port`")
                            .with_help(format!("name the ports needed (`{name}:5432`), or declare them in the service (`port 5432;`)")),
                    );
                    None
                }
                (_, Some(ports)) => {
                    let mut list: Vec<Port> = ports
                        .iter()
                        .map(|p| Port {
                            protocol: p.protocol,
                            kind: match &p.name {
                                Some(name) => PortKind::Named {
                                    name: name.clone(),
                                    number: Some(p.first),
                                },
                                None => PortKind::Range {
                                    first: p.first,
                                    last: p.last,
                                },
                            },
                        })
                        .collect();
                    list.sort();
                    Some(Ports::List(list))
                }
                (_, None) => Some(Ports::Any),
            };
        };
        let mut problems = Vec::new();
        let mut list = Vec::new();
        for spec in specs {
            let Some((name, numbers, protocol)) =
                value_checks::check_port_spec(spec, false, &mut problems)
            else {
                continue;
            };
            let explicit_protocol = spec.protocol.is_some();
            match (name, numbers) {
                (Some(name), _) => {
                    if let Endpoint::External(_) = endpoint {
                        problems.push(
                            Diagnostic::new(
                                Code::UndeclaredPort,
                                format!("externals have no named ports: `{name}`"),
                                spec.span,
                                "named port on an address range",
                            )
                            .with_help("give the port number"),
                        );
                        continue;
                    }
                    match declared.filter(|d| !d.is_empty()) {
                        None => list.push(Port {
                            protocol,
                            kind: PortKind::Named { name, number: None },
                        }),
                        Some(ports) => match ports
                            .iter()
                            .find(|p| p.name.as_deref() == Some(name.as_str()))
                        {
                            Some(p) if !explicit_protocol || p.protocol == protocol => {
                                list.push(Port {
                                    protocol: p.protocol,
                                    kind: PortKind::Named {
                                        name,
                                        number: Some(p.first),
                                    },
                                })
                            }
                            found => {
                                let d = self.undeclared(
                                    tables,
                                    endpoint,
                                    spec.span,
                                    &format!("{name}{}", proto_suffix(protocol, explicit_protocol)),
                                );
                                problems.push(match found {
                                    Some(p) => d.with_secondary(
                                        p.span,
                                        format!("declared for {}", p.protocol.as_k8s()),
                                    ),
                                    None => d,
                                });
                            }
                        },
                    }
                }
                (None, Some((first, last))) => {
                    if let Some(ports) = declared.filter(|d| !d.is_empty())
                        && !ports
                            .iter()
                            .any(|p| p.protocol == protocol && p.first <= first && last <= p.last)
                    {
                        let shown = if first == last {
                            first.to_string()
                        } else {
                            format!("{first}-{last}")
                        };
                        problems.push(self.undeclared(
                            tables,
                            endpoint,
                            spec.span,
                            &format!("{shown}/{}", protocol.as_k8s().to_ascii_lowercase()),
                        ));
                        continue;
                    }
                    list.push(Port {
                        protocol,
                        kind: PortKind::Range { first, last },
                    });
                }
                (None, None) => {}
            }
        }
        let failed = !problems.is_empty();
        self.errors.extend(problems);
        if failed {
            return None;
        }
        list.sort();
        list.dedup();
        Some(Ports::List(list))
    }

    fn undeclared(
        &self,
        tables: &Tables,
        endpoint: Endpoint,
        span: Span,
        what: &str,
    ) -> Diagnostic {
        let Endpoint::Service(id) = endpoint else {
            return Diagnostic::new(
                Code::UndeclaredPort,
                format!("port `{what}` is not available"),
                span,
                "not declared",
            );
        };
        let i = id.0 as usize;
        let declared: Vec<String> = tables.service_ports[i].iter().map(describe_port).collect();
        Diagnostic::new(
            Code::UndeclaredPort,
            format!(
                "`{}` does not declare port `{what}`",
                tables.service_names[i]
            ),
            span,
            "not a declared port",
        )
        .with_secondary(tables.service_spans[i], "service declared here")
        .with_help(format!(
            "`{}` declares {}; ask for one of those, or add the port to the service",
            tables.service_names[i],
            declared.join(", ")
        ))
    }
}

fn proto_suffix(protocol: Protocol, explicit: bool) -> String {
    if explicit {
        format!("/{}", protocol.as_k8s().to_ascii_lowercase())
    } else {
        String::new()
    }
}

/// `metrics 9100/tcp`, `8000-8080/udp`.
pub(super) fn describe_port(p: &crate::ir::ServicePort) -> String {
    let numbers = if p.first == p.last {
        p.first.to_string()
    } else {
        format!("{}-{}", p.first, p.last)
    };
    let proto = p.protocol.as_k8s().to_ascii_lowercase();
    match &p.name {
        Some(name) => format!("`{name} {numbers}/{proto}`"),
        None => format!("`{numbers}/{proto}`"),
    }
}

//! Collecting declarations: walks every parsed file with its context (file, namespace,
//! external or not, module or not), checks where each item may stand, checks the values
//! written in declarations, and records names in their scope (one per namespace, plus
//! the global scope for externals and groups declared outside every namespace).
//! Resolves no reference: that is `needs`' job, once every name is known.

use std::collections::BTreeMap;

use super::values::{self, push_err};
use super::{
    Context, Decl, ExportDecl, ExternalDecl, GroupDecl, NamespaceDecl, NeedsDecl, ParsedFile,
    Resolver, ServiceDecl,
};
use crate::ast::{ExportTo, Ident, IdentityStyle, Item, ItemKind, ServiceItem, Spanned};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::source::Span;

impl Resolver {
    pub(super) fn collect_file(&mut self, file: ParsedFile) {
        if file.is_module {
            self.module_files.insert(file.id);
        }
        let mut context = Context {
            file: file.id,
            namespace: None,
            external: false,
            is_module: file.is_module,
        };
        for item in file.ast.items {
            if let ItemKind::NamespaceDecl { name } = &item.kind {
                if self.declare_namespace(name, true, item.span) {
                    context.namespace = Some(name.node.clone());
                }
                continue;
            }
            self.collect_item(item, &context);
        }
    }

    /// Record a namespace; `false` if its name is invalid.
    fn declare_namespace(&mut self, name: &Ident, managed: bool, span: Span) -> bool {
        if let Err(d) = values::check_name(name, "namespace") {
            self.errors.push(d);
            return false;
        }
        match self.namespaces.get(&name.node) {
            Some(existing) if existing.managed != managed => {
                let (this, other) = if managed {
                    ("managed", "external")
                } else {
                    ("external", "managed")
                };
                self.errors.push(
                    Diagnostic::new(
                        Code::NamespaceKindConflict,
                        format!("namespace `{}` is declared both {other} and {this}", name.node),
                        name.span,
                        format!("declared {this} here"),
                    )
                    .with_secondary(existing.span, format!("declared {other} here"))
                    .with_help(
                        "a namespace is either managed by this program (`namespace N`) or only referenced \
                         (`external namespace N`), not both",
                    ),
                );
            }
            Some(_) => {}
            None => {
                self.namespaces.insert(
                    name.node.clone(),
                    NamespaceDecl {
                        managed,
                        span,
                        enforcement: super::EnforcementSlots::default(),
                    },
                );
            }
        }
        true
    }

    fn misplaced(&mut self, span: Span, what: &str, help: &str) {
        self.errors.push(
            Diagnostic::new(
                Code::MisplacedItem,
                format!("{what} is not allowed here"),
                span,
                "not allowed here",
            )
            .with_help(help.to_owned()),
        );
    }

    fn collect_item(&mut self, item: Item, context: &Context) {
        let span = item.span;
        match item.kind {
            ItemKind::NamespaceDecl { .. } => self.misplaced(
                span,
                "`namespace N;` inside a namespace block",
                "`namespace N;` sets the namespace of the rest of a file; inside a block, close the block first",
            ),
            ItemKind::NamespaceBlock { name, external, items } => {
                if context.external || self.block_depth > 0 {
                    self.misplaced(span, "a namespace inside a namespace block", "namespaces cannot be nested: close the outer block first");
                    return;
                }
                if !self.declare_namespace(&name, !external, name.span) {
                    return;
                }
                let inner = Context {
                    file: context.file,
                    namespace: Some(name.node.clone()),
                    external,
                    is_module: context.is_module,
                };
                self.block_depth += 1;
                for item in items {
                    self.collect_item(item, &inner);
                }
                self.block_depth -= 1;
            }
            ItemKind::Service { name, body } => self.collect_service(span, &name, &body, context),
            ItemKind::Group { name, members } => {
                if context.external {
                    self.misplaced(span, "a group in an external namespace", "declare groups in a managed namespace or outside every namespace");
                    return;
                }
                if self.declare(context.namespace.clone(), &name, "group", Decl::Group(self.groups.len())) {
                    self.groups.push(GroupDecl {
                        scope: context.namespace.clone(),
                        name,
                        members,
                    });
                }
            }
            ItemKind::External { name, cidrs, except } => {
                if context.external {
                    self.misplaced(span, "an external address range in an external namespace", "declare externals in a managed namespace or outside every namespace");
                    return;
                }
                self.collect_external(&name, &cidrs, &except, context);
            }
            ItemKind::Needs { subjects, targets } => {
                if context.external {
                    self.misplaced(span, "`needs` in an external namespace", "an external namespace is not managed: write the `needs` in the namespace of a managed subject or target");
                    return;
                }
                if context.namespace.is_none() && !context.is_module {
                    self.errors.push(
                        Diagnostic::new(Code::OutsideNamespace, "`needs` outside a namespace", span, "not in any namespace")
                            .with_help("write it inside `namespace N { ... }` or after `namespace N;`; only modules may have top-level `needs`, which apply in every namespace that uses them"),
                    );
                    return;
                }
                self.needs.push(NeedsDecl {
                    namespace: context.namespace.clone(),
                    file: context.file,
                    subjects,
                    targets,
                    span,
                });
            }
            ItemKind::Export { services, to } => {
                let Some(namespace) = context.namespace.clone().filter(|_| !context.external) else {
                    let (what, help) = if context.external {
                        ("`export` in an external namespace", "external namespaces need no consent: their services can be reached without `export`")
                    } else {
                        ("`export` outside a namespace", "write it in the namespace that owns the services")
                    };
                    self.misplaced(span, what, help);
                    return;
                };
                let to = match to {
                    ExportTo::Everyone(_) => None,
                    ExportTo::Namespaces(names) => {
                        self.namespace_refs.extend(names.iter().cloned());
                        Some(names)
                    }
                };
                self.exports.push(ExportDecl {
                    namespace,
                    services,
                    to,
                    span,
                });
            }
            ItemKind::Use(_) => {
                if context.external {
                    self.misplaced(span, "`use` in an external namespace", "external namespaces are not managed: `use` a module in a managed namespace");
                }
            }
            ItemKind::ExemptLabel { key, value } => self.collect_exempt(span, &key, value.as_ref(), context),
            ItemKind::Enforcement { direction, on } => {
                self.collect_enforcement(span, direction.map(|d| d.node), &on, context);
            }
            ItemKind::Guard(action) => {
                if context.namespace.is_some() || context.is_module {
                    self.setting_not_here(span, "`guard`", "the guard is program-wide: write it outside every namespace, in a file of the program (not a module)");
                } else if let Some((_, first)) = self.guard {
                    self.setting_twice(span, "`guard`", first);
                } else {
                    self.guard = Some((action.node, span));
                }
            }
            ItemKind::Identity(style) => {
                if context.namespace.is_some() || context.is_module {
                    self.setting_not_here(span, "`identity`", "identity is program-wide: write it outside every namespace, in a file of the program (not a module)");
                    return;
                }
                if let Some((_, first)) = self.identity {
                    self.setting_twice(span, "`identity`", first);
                } else {
                    self.identity = Some((style.node, span));
                }
            }
        }
    }

    fn setting_not_here(&mut self, span: Span, what: &str, help: &str) {
        self.errors.push(
            Diagnostic::new(
                Code::SettingNotHere,
                format!("{what} is not allowed here"),
                span,
                "setting in the wrong place",
            )
            .with_help(help.to_owned()),
        );
    }

    fn setting_twice(&mut self, span: Span, what: &str, first: Span) {
        self.errors.push(
            Diagnostic::new(
                Code::ConflictingSetting,
                format!("{what} is set twice"),
                span,
                "set again here",
            )
            .with_secondary(first, "first set here")
            .with_help("keep one of them"),
        );
    }

    /// Record a name in a scope; `false` (and E202) if the scope already has it.
    fn declare(&mut self, scope: Option<String>, name: &Ident, what: &str, decl: Decl) -> bool {
        if let Err(d) = values::check_name(name, what) {
            self.errors.push(d);
            return false;
        }
        let names = self
            .scopes
            .entry(scope.clone().unwrap_or_default())
            .or_default();
        if let Some((_, first)) = names.get(&name.node) {
            let place = scope.map_or_else(
                || "outside every namespace".to_owned(),
                |ns| format!("in namespace `{ns}`"),
            );
            let first = *first;
            self.errors.push(
                Diagnostic::new(
                    Code::DuplicateDeclaration,
                    format!("`{}` is declared twice {place}", name.node),
                    name.span,
                    "declared again here",
                )
                .with_secondary(first, "first declared here")
                .with_help("services, groups and externals of one namespace share one set of names: rename or remove one"),
            );
            return false;
        }
        names.insert(name.node.clone(), (decl, name.span));
        true
    }

    fn collect_service(
        &mut self,
        span: Span,
        name: &Ident,
        body: &[ServiceItem],
        context: &Context,
    ) {
        let Some(namespace) = context.namespace.clone() else {
            self.errors.push(
                Diagnostic::new(Code::OutsideNamespace, format!("service `{}` is outside a namespace", name.node), span, "not in any namespace")
                    .with_help("a service is pods of one namespace: write it inside `namespace N { ... }` or after `namespace N;`"),
            );
            return;
        };
        let mut selector = BTreeMap::new();
        let mut selector_spans: BTreeMap<String, Span> = BTreeMap::new();
        let mut explicit = false;
        let mut ports: Vec<ir::ServicePort> = Vec::new();
        let mut problems = Vec::new();
        for entry in body {
            match entry {
                ServiceItem::Select(pairs, _) => {
                    explicit = true;
                    for pair in pairs {
                        let key_ok =
                            push_err(values::check_label_key(&pair.key), &mut problems).is_some();
                        let value_ok =
                            push_err(values::check_label_value(&pair.value), &mut problems)
                                .is_some();
                        if let Some(first) = selector_spans.get(&pair.key.node) {
                            problems.push(
                                Diagnostic::new(
                                    Code::DuplicateLabelKey,
                                    format!("label key `{}` is given twice", pair.key.node),
                                    pair.key.span,
                                    "given again here",
                                )
                                .with_secondary(*first, "first given here")
                                .with_help("a pod has one value per label key: keep one"),
                            );
                        } else if key_ok && value_ok {
                            selector_spans.insert(pair.key.node.clone(), pair.key.span);
                            selector.insert(pair.key.node.clone(), pair.value.node.clone());
                        }
                    }
                }
                ServiceItem::Port(specs, _) => {
                    for spec in specs {
                        let Some((port_name, numbers, protocol)) =
                            values::check_port_spec(spec, true, &mut problems)
                        else {
                            continue;
                        };
                        let Some((first, last)) = numbers else {
                            continue;
                        };
                        let port = ir::ServicePort {
                            name: port_name,
                            first,
                            last,
                            protocol,
                            span: spec.span,
                        };
                        if let Some(clash) = ports.iter().find(|p| {
                            (p.name.is_some() && p.name == port.name)
                                || (p.protocol == port.protocol
                                    && p.first <= port.last
                                    && port.first <= p.last)
                        }) {
                            let what = if clash.name.is_some() && clash.name == port.name {
                                "port name"
                            } else {
                                "port"
                            };
                            problems.push(
                                Diagnostic::new(Code::DuplicatePort, format!("{what} declared twice in service `{}`", name.node), spec.span, "declared again here")
                                    .with_secondary(clash.span, "first declared here")
                                    .with_help("each port number (per protocol) and each port name is declared once"),
                            );
                            continue;
                        }
                        ports.push(port);
                    }
                }
            }
        }
        if explicit && selector.is_empty() && problems.is_empty() {
            problems.push(
                Diagnostic::new(
                    Code::SyntaxError,
                    "empty `select`",
                    span,
                    "selects nothing",
                )
                .with_help(
                    "give at least one `key = value` pair, or remove `select` to use `app=<name>`",
                ),
            );
        }
        self.errors.extend(problems);
        if !explicit {
            selector.insert("app".to_owned(), name.node.clone());
        }
        ports.sort_by_key(|p| (p.protocol, p.first, p.last));
        if self.declare(
            Some(namespace.clone()),
            name,
            "service",
            Decl::Service(self.services.len()),
        ) {
            self.services.push(ServiceDecl {
                namespace,
                name: name.clone(),
                selector,
                explicit_selector: explicit,
                ports,
            });
        }
    }

    fn collect_external(
        &mut self,
        name: &Ident,
        cidrs: &[Spanned<String>],
        except: &[Spanned<String>],
        context: &Context,
    ) {
        let mut problems = Vec::new();
        let nets: Vec<(ipnet::IpNet, Span)> = cidrs
            .iter()
            .filter_map(|c| push_err(values::check_cidr(c), &mut problems).map(|n| (n, c.span)))
            .collect();
        let excepts: Vec<(ipnet::IpNet, Span)> = except
            .iter()
            .filter_map(|c| push_err(values::check_cidr(c), &mut problems).map(|n| (n, c.span)))
            .collect();
        for (net, span) in &excepts {
            if nets
                .iter()
                .any(|(outer, _)| values::strictly_inside(net, outer))
            {
                continue;
            }
            let same_family: Vec<&(ipnet::IpNet, Span)> = nets
                .iter()
                .filter(|(o, _)| {
                    matches!(
                        (o, net),
                        (ipnet::IpNet::V4(_), ipnet::IpNet::V4(_))
                            | (ipnet::IpNet::V6(_), ipnet::IpNet::V6(_))
                    )
                })
                .collect();
            if same_family.is_empty() && !nets.is_empty() {
                let family = if net.addr().is_ipv4() { "IPv4" } else { "IPv6" };
                problems.push(
                    Diagnostic::new(Code::MixedFamilies, format!("`except {net}` is {family}, but no range of `{}` is", name.node), *span, format!("{family} exception"))
                        .with_secondary(nets[0].1, "the ranges are of the other family")
                        .with_help("an exception narrows a range of the same IP family: add that range, or remove the exception"),
                );
            } else if !nets.is_empty() {
                let mut d = Diagnostic::new(
                    Code::ExceptNotInside,
                    format!(
                        "`except {net}` is not strictly inside a range of `{}`",
                        name.node
                    ),
                    *span,
                    "not strictly inside",
                );
                for (outer, outer_span) in same_family {
                    d = d.with_secondary(
                        *outer_span,
                        format!("`{outer}` does not strictly contain it"),
                    );
                }
                problems.push(d.with_help("Kubernetes requires each `except` to be a smaller range inside its CIDR (equal ranges are rejected too)"));
            }
        }
        let unbounded: Vec<&(ipnet::IpNet, Span)> =
            nets.iter().filter(|(n, _)| n.prefix_len() == 0).collect();
        for (net, span) in unbounded {
            if !excepts.iter().any(|(e, _)| net.contains(e)) {
                problems.push(
                    Diagnostic::new(Code::UnboundedExternal, format!("`{}` covers every {} address", name.node, if net.addr().is_ipv4() { "IPv4" } else { "IPv6" }), *span, format!("`{net}` without `except`"))
.with_help(if net.addr().is_ipv4() {
                            "on several network plugins this also matches the cluster's own pod and service addresses: except them, e.g. `except 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16`; but traffic from a LoadBalancer with `externalTrafficPolicy: Cluster` reaches pods from node addresses, so keep the node range out of `except` (except only the pod and service ranges) if this external is a client"
                        } else {
                            "on several network plugins this also matches the cluster's own pod and service addresses: except them, e.g. `except fd00::/8`; but traffic from a LoadBalancer with `externalTrafficPolicy: Cluster` reaches pods from node addresses, so keep the node range out of `except` (except only the pod and service ranges) if this external is a client"
                        }),
                );
            }
        }
        let failed = problems
            .iter()
            .any(|d| d.severity() == crate::diagnostic::Severity::Error);
        self.errors.extend(problems);
        if failed {
            // Still declare the name so references to it do not cascade into E200.
            let _ = self.declare(context.namespace.clone(), name, "external", Decl::Rejected);
            return;
        }
        let mut cidrs: Vec<ipnet::IpNet> = nets.into_iter().map(|(n, _)| n).collect();
        let mut except: Vec<ipnet::IpNet> = excepts.into_iter().map(|(n, _)| n).collect();
        cidrs.sort();
        cidrs.dedup();
        except.sort();
        except.dedup();
        if self.declare(
            context.namespace.clone(),
            name,
            "external",
            Decl::External(self.externals.len()),
        ) {
            self.externals.push(ExternalDecl {
                scope: context.namespace.clone(),
                name: name.clone(),
                cidrs,
                except,
            });
        }
    }

    fn collect_exempt(
        &mut self,
        span: Span,
        key: &Spanned<String>,
        value: Option<&Spanned<String>>,
        context: &Context,
    ) {
        if context.namespace.is_some() || context.is_module {
            self.setting_not_here(span, "`exempt label`", "the exempt label is program-wide: write it outside every namespace, in a file of the program (not a module)");
            return;
        }
        if let Some(first) = self.exempt.as_ref().and_then(|e| e.span) {
            self.setting_twice(span, "`exempt label`", first);
            return;
        }
        let key_ok = values::check_label_key(key)
            .map_err(|d| self.errors.push(d))
            .is_ok();
        let value_ok = value.is_none_or(|v| {
            values::check_label_value(v)
                .map_err(|d| self.errors.push(d))
                .is_ok()
        });
        if key_ok && value_ok {
            self.exempt = Some(ir::ExemptLabel {
                key: key.node.clone(),
                value: value.map_or_else(|| "true".to_owned(), |v| v.node.clone()),
                span: Some(span),
            });
        }
    }

    fn collect_enforcement(
        &mut self,
        span: Span,
        direction: Option<crate::ast::Direction>,
        on: &Spanned<bool>,
        context: &Context,
    ) {
        if context.external || context.is_module {
            self.setting_not_here(span, "`enforcement`", "enforcement is set for the whole program or for one managed namespace, in a file of the program");
            return;
        }
        let slot = match &context.namespace {
            None => &mut self.enforcement,
            Some(ns) => match self.namespaces.get_mut(ns) {
                Some(decl) => &mut decl.enforcement,
                None => return,
            },
        };
        use crate::ast::Direction;
        let mut slots = Vec::with_capacity(2);
        if direction != Some(Direction::Egress) {
            slots.push(&mut slot.ingress);
        }
        if direction != Some(Direction::Ingress) {
            slots.push(&mut slot.egress);
        }
        // A direction set twice in one scope is E212, reported once per item.
        let first = slots.iter().find_map(|s| s.map(|(_, first)| first));
        if let Some(first) = first {
            self.setting_twice(span, "`enforcement`", first);
            return;
        }
        for s in slots {
            *s = Some((on.node, span));
        }
    }

    /// `guard labels;` guards the `needs-*` labels: with `identity selectors;` there
    /// are none (E217).
    pub(crate) fn check_guard(&mut self) {
        let (Some((_, guard)), Some((IdentityStyle::Selectors, identity))) =
            (self.guard, self.identity)
        else {
            return;
        };
        self.errors.push(
            Diagnostic::new(
                Code::GuardWithoutLabels,
                "`guard labels` guards the `needs-*` labels, but this program has none",
                guard,
                "nothing to guard",
            )
            .with_secondary(
                identity,
                "clients are recognised by their own selectors here",
            )
            .with_help("remove `guard labels;`, or use `identity labels;`"),
        );
    }
}

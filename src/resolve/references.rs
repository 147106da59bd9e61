//! Reference resolution: what every name in an `export`, a group and a `needs` stands
//! for, once every declaration is known. A plain name is looked up in the namespace
//! the statement stands in and then in the global scope; `N/S`, `N/*` and `*` name
//! namespaces directly; groups are expanded (each once, cycles diagnosed). A module's
//! top-level `needs` is resolved once per namespace that uses the module. Unknown names
//! are reported with a did-you-mean. Ports and consent are checked by `need_checks`.

use rustc_hash::{FxHashMap, FxHashSet};

use super::declarations::{Decl, Declarations, IsolateDecl, NeedsDecl};
use super::ids::Tables;
use crate::ast::{Ident, Reference, ReferenceKind, Target};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::ir::{Endpoint, NamespaceId, ServiceId};
use crate::source::{FileId, Span};

/// The reserved reference: every pod of every namespace and every address.
pub(super) const ANYWHERE: &str = "anywhere";

/// One service named in an `export`, and where it may be reached from.
pub(super) struct ExportEntry {
    /// `None` for `to *`.
    pub to: Option<Vec<String>>,
    /// The service's name in the export item.
    pub span: Span,
    /// The whole export item.
    pub item: Span,
}

/// Which services may be reached from which namespaces, by `ServiceId`.
pub(super) type ExportIndex = FxHashMap<ServiceId, Vec<ExportEntry>>;

/// One `needs` statement as it stands in one namespace, its ends resolved.
pub(super) struct Statement<'n> {
    pub decl: &'n NeedsDecl,
    /// The namespace it stands in (for a module's `needs`, one that uses the module).
    pub namespace: String,
    /// The `use` that brought a module's `needs` here.
    pub via_use: Option<Span>,
    /// Every endpoint the subjects stand for, with the subject written.
    pub subjects: Vec<(Endpoint, Span)>,
    /// Every endpoint the targets stand for, with the target written (for its ports).
    pub targets: Vec<(Endpoint, &'n Target)>,
}

/// What reference resolution produces besides the statements it hands on.
pub(super) struct Resolved {
    pub exports: ExportIndex,
    /// The `isolate` items, one per pod set and direction (E601 members left out).
    pub isolations: Vec<crate::ir::Isolation>,
}

/// Resolve every reference of `decls` and of `needs` (the `needs` statements, taken
/// out of `decls`). Each statement is handed to `check` in every namespace it stands
/// in as soon as its ends are resolved, and its syntax is freed once it has been
/// checked: the needs' syntax is most of a large program's tree, and the needs built
/// from it grow meanwhile, so the two are never whole at once.
pub(super) fn resolve(
    decls: &Declarations,
    needs: Vec<NeedsDecl>,
    applications: &Applications,
    tables: &Tables,
    diagnostics: &mut Diagnostics,
    mut check: impl FnMut(&ExportIndex, &Statement<'_>, &mut Diagnostics),
) -> Resolved {
    let mut resolver = Resolver {
        decls,
        tables,
        groups: FxHashMap::default(),
        diagnostics,
    };
    resolver.check_export_namespaces();
    let exports = resolver.export_index();
    // Expand every group once, used or not, so cycles and unknown members are
    // reported once, where the group is defined, and not at every use.
    for (group, decl) in decls.groups.iter().enumerate() {
        let _ = resolver.expand_group(group, decl.name.span, &mut Vec::new());
    }
    for decl in needs {
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
            let statement = resolver.statement(&decl, namespace, via_use);
            check(&exports, &statement, resolver.diagnostics);
        }
    }
    let mut isolations = Vec::new();
    for decl in &decls.isolates {
        resolver.isolation(decl, &mut isolations);
    }
    isolations.sort();
    isolations.dedup_by(|a, b| (a.pods, a.direction) == (b.pods, b.direction));
    Resolved {
        exports,
        isolations,
    }
}

/// How many needs `needs` make at most before groups are expanded: one per subject
/// and target written, in every namespace a statement stands in.
pub(super) fn most_needs(needs: &[NeedsDecl], applications: &Applications) -> usize {
    needs
        .iter()
        .map(|n| {
            let contexts = match n.namespace {
                Some(_) => 1,
                None => applications.get(&n.file).map_or(0, Vec::len),
            };
            n.subjects
                .len()
                .saturating_mul(n.targets.len())
                .saturating_mul(contexts)
        })
        .fold(0, usize::saturating_add)
}

/// For every module file, the namespaces its top-level `needs` apply in, each with
/// the `use` that brought it there.
pub(super) type Applications = FxHashMap<FileId, Vec<(String, Span)>>;

/// The [`Applications`] of every module file of `decls`.
pub(super) fn module_applications(decls: &Declarations) -> Applications {
    // A module used at the top of another module applies wherever that module does,
    // so `use` between modules are edges followed from each use in a namespace.
    let nested = |u: &&super::declarations::UseDecl| {
        u.namespace.is_none() && decls.module_files.contains(&u.from)
    };
    let mut edges: FxHashMap<FileId, Vec<FileId>> = FxHashMap::default();
    for u in decls.uses.iter().filter(nested) {
        edges.entry(u.from).or_default().push(u.module);
    }
    let managed: Vec<&String> = decls
        .namespaces
        .iter()
        .filter(|(_, d)| d.managed)
        .map(|(n, _)| n)
        .collect();
    let mut applications = Applications::default();
    let mut seen: FxHashSet<(FileId, String)> = FxHashSet::default();
    for u in decls.uses.iter().filter(|u| !nested(u)) {
        // A `use` outside every namespace of a program file applies in every managed
        // namespace; one in an undeclared namespace applies nowhere (E201 elsewhere).
        let namespaces: Vec<String> = match &u.namespace {
            Some(ns) if decls.namespaces.contains_key(ns) => vec![ns.clone()],
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
                // The first `use` that reaches a module in a namespace is the one
                // cited; later ones would only repeat the same needs.
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

/// Resolution state, local to this file: the declarations it reads, the groups
/// expanded so far, and the sink.
struct Resolver<'d, 't, 's> {
    decls: &'d Declarations,
    tables: &'t Tables,
    /// Expanded groups, by declaration: a group used in many needs is expanded once.
    groups: FxHashMap<usize, Vec<Endpoint>>,
    diagnostics: &'s mut Diagnostics,
}

impl<'d> Resolver<'d, '_, '_> {
    fn statement<'n>(
        &mut self,
        decl: &'n NeedsDecl,
        namespace: String,
        via_use: Option<Span>,
    ) -> Statement<'n> {
        // Sized for a reference that is one endpoint (a group may add more).
        let mut subjects = Vec::with_capacity(decl.subjects.len());
        for subject in &decl.subjects {
            for endpoint in self.reference(subject, Some(&namespace), &mut Vec::new()) {
                subjects.push((endpoint, subject.span));
            }
        }
        let mut targets = Vec::with_capacity(decl.targets.len());
        for target in &decl.targets {
            for endpoint in self.reference(&target.reference, Some(&namespace), &mut Vec::new()) {
                targets.push((endpoint, target));
            }
        }
        Statement {
            decl,
            namespace,
            via_use,
            subjects,
            targets,
        }
    }

    /// The pods one `isolate` item names, per direction; a member that is not pods of
    /// the item's own namespace (an external, another namespace's service) is E601.
    fn isolation(&mut self, decl: &IsolateDecl, out: &mut Vec<crate::ir::Isolation>) {
        use crate::ast::Direction;
        let Some(&ns_id) = self.tables.namespace_ids.get(&decl.namespace) else {
            return;
        };
        let directions: &[Direction] = match decl.direction {
            None => &Direction::BOTH,
            Some(Direction::Ingress) => &[Direction::Ingress],
            Some(Direction::Egress) => &[Direction::Egress],
        };
        for member in &decl.members {
            for pods in self.reference(member, Some(&decl.namespace), &mut Vec::new()) {
                let own = match pods {
                    Endpoint::Service(id) => self.tables.service_namespace[id.0 as usize] == ns_id,
                    Endpoint::Namespace(id) => id == ns_id,
                    Endpoint::External(_) | Endpoint::Anywhere => false,
                };
                if !own {
                    let what = match pods {
                        Endpoint::External(_) => "an address range outside the cluster",
                        Endpoint::Anywhere => "`anywhere`, which is not pods of one namespace",
                        _ => "pods of another namespace",
                    };
                    self.diagnostics.push(
                        Diagnostic::new(Code::IsolateNotOwnPods, format!("`isolate` in namespace `{}` names {what}", decl.namespace), member.span, "not pods of this namespace")
                            .with_help("a namespace isolates only its own pods: name its services or `*`, and write `isolate` in the other namespace for its pods"),
                    );
                    continue;
                }
                for &direction in directions {
                    out.push(crate::ir::Isolation {
                        pods,
                        namespace: ns_id,
                        direction,
                        span: member.span,
                    });
                }
            }
        }
    }

    /// E201 for every namespace an `export ... to N` names that is not declared.
    fn check_export_namespaces(&mut self) {
        let namespaces = &self.decls.namespaces;
        for name in &self.decls.namespace_refs {
            if let Some(decl) = namespaces.get(&name.node) {
                if decl.set.is_some() {
                    let d = super::namespace_sets::export_to_set(name, decl.span);
                    self.diagnostics.push(d);
                }
                continue;
            }
            let d = Diagnostic::new(
                Code::UnknownNamespace,
                format!("unknown namespace `{}`", name.node),
                name.span,
                "no namespace of this name",
            );
            let d = match did_you_mean(&name.node, namespaces.keys().map(String::as_str)) {
                Some(near) => d.with_help(format!("did you mean `{near}`?")),
                None => d.with_help(format!("declare it with `namespace {0} {{ ... }}` or `external namespace {0} {{ ... }}`", name.node)),
            };
            self.diagnostics.push(d);
        }
    }

    /// The services each `export` names, looked up in the exporting namespace only: a
    /// namespace consents for its own services, never for a global name.
    fn export_index(&mut self) -> ExportIndex {
        let mut index = ExportIndex::default();
        for export in &self.decls.exports {
            for service in &export.services {
                match self.decls.lookup(Some(&export.namespace), &service.node) {
                    Some(Decl::Service(i)) => index
                        .entry(self.tables.service_ids[i])
                        .or_insert_with(|| Vec::with_capacity(1))
                        .push(ExportEntry {
                            to: export
                                .to
                                .as_ref()
                                .map(|names| names.iter().map(|n| n.node.clone()).collect()),
                            span: service.span,
                            item: export.span,
                        }),
                    Some(_) => self.diagnostics.push(
                        Diagnostic::new(
                            Code::WrongKind,
                            format!("`{}` is not a service", service.node),
                            service.span,
                            "a group or external",
                        )
                        .with_help("only services are exported; list the services themselves"),
                    ),
                    None => self.unknown_export(&export.namespace, service),
                }
            }
        }
        // Most services are exported once: each vector starts with room for one entry,
        // because a vector grown by one push holds room for four (7 MB of spare room
        // at 50,000 services, allocated while the whole tree is alive, which was the
        // heap peak of `check` before it started at one). A second export grows it to
        // four, given back here.
        for entries in index.values_mut() {
            entries.shrink_to_fit();
        }
        index
    }

    fn unknown_export(&mut self, namespace: &str, service: &Ident) {
        let candidates = self.services_of(namespace);
        let d = Diagnostic::new(
            Code::UnknownName,
            format!(
                "namespace `{namespace}` has no service `{}` to export",
                service.node
            ),
            service.span,
            "unknown service",
        );
        let d = match did_you_mean(&service.node, candidates) {
            Some(near) => d.with_help(format!("did you mean `{near}`?")),
            None => d.with_help("an export lists services declared in the same namespace"),
        };
        self.diagnostics.push(d);
    }

    /// The names of the services of `namespace`, for a did-you-mean.
    fn services_of(&self, namespace: &str) -> Vec<&'d str> {
        self.decls
            .services
            .iter()
            .filter(|s| s.namespace == namespace)
            .map(|s| s.name.node.as_str())
            .collect()
    }

    /// The namespace named in a reference, if declared (E201 otherwise).
    fn namespace_id(&mut self, name: &Ident) -> Option<NamespaceId> {
        if let Some(id) = self.tables.namespace_ids.get(&name.node) {
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
        self.diagnostics.push(d);
        None
    }

    /// What `reference` stands for, seen from namespace `namespace` (`None`: outside
    /// every namespace). Groups are expanded; `expanding` is the chain of groups being
    /// expanded, to catch a group that contains itself.
    fn reference(
        &mut self,
        reference: &Reference,
        namespace: Option<&str>,
        expanding: &mut Vec<usize>,
    ) -> Vec<Endpoint> {
        match &reference.kind {
            ReferenceKind::All => {
                match namespace.and_then(|ns| self.tables.namespace_ids.get(ns)) {
                    Some(id) => vec![Endpoint::Namespace(*id)],
                    None => {
                        self.diagnostics.push(
                        Diagnostic::new(Code::WrongKind, "`*` outside a namespace", reference.span, "no namespace here")
                            .with_help("`*` means every pod of the current namespace; outside every namespace write `N/*`"),
                    );
                        Vec::new()
                    }
                }
            }
            ReferenceKind::NamespaceAll(name) => self
                .namespace_id(name)
                .map(Endpoint::Namespace)
                .into_iter()
                .collect(),
            ReferenceKind::Qualified {
                namespace: ns,
                name,
            } => self.qualified(reference, ns, name),
            ReferenceKind::Name(name) if name.node == ANYWHERE => vec![Endpoint::Anywhere],
            ReferenceKind::Name(name) => {
                // The statement's own namespace shadows the global scope, so a module
                // can be used in namespaces that declare the names it refers to.
                let found = namespace
                    .and_then(|ns| self.decls.lookup(Some(ns), &name.node))
                    .or_else(|| self.decls.lookup(None, &name.node));
                match found {
                    Some(Decl::Service(i)) => vec![Endpoint::Service(self.tables.service_ids[i])],
                    Some(Decl::Rejected) => Vec::new(),
                    Some(Decl::External(i)) => {
                        vec![Endpoint::External(self.tables.external_ids[i])]
                    }
                    Some(Decl::Group(g)) => self.expand_group(g, reference.span, expanding),
                    None => {
                        self.unknown_name(name, namespace);
                        Vec::new()
                    }
                }
            }
        }
    }

    /// `N/S`: a service of namespace `N` only; groups and externals are not reachable
    /// from other namespaces, so naming one is an error rather than a lookup miss.
    fn qualified(&mut self, reference: &Reference, ns: &Ident, name: &Ident) -> Vec<Endpoint> {
        if self.namespace_id(ns).is_none() {
            return Vec::new();
        }
        match self.decls.lookup(Some(&ns.node), &name.node) {
            Some(Decl::Service(i)) => vec![Endpoint::Service(self.tables.service_ids[i])],
            Some(Decl::Rejected) => Vec::new(),
            Some(Decl::Group(_) | Decl::External(_)) => {
                self.diagnostics.push(
                    Diagnostic::new(Code::WrongKind, format!("`{}/{}` is not a service", ns.node, name.node), reference.span, "a group or external")
                        .with_help("only services are reached as `namespace/name`; groups and externals are used in the namespace that declares them"),
                );
                Vec::new()
            }
            None => {
                self.unknown_service(ns, name);
                Vec::new()
            }
        }
    }

    fn unknown_service(&mut self, ns: &Ident, name: &Ident) {
        let candidates = self.services_of(&ns.node);
        let mut d = Diagnostic::new(
            Code::UnknownName,
            format!("namespace `{}` has no service `{}`", ns.node, name.node),
            name.span,
            "unknown service",
        );
        d = match did_you_mean(&name.node, candidates) {
            Some(near) => d.with_help(format!("did you mean `{}/{near}`?", ns.node)),
            None => d.with_help(format!(
                "declare it in namespace `{}` with `service {};`",
                ns.node, name.node
            )),
        };
        if let Some(decl) = self.decls.namespaces.get(&ns.node) {
            d = d.with_secondary(decl.span, format!("namespace `{}` declared here", ns.node));
        }
        self.diagnostics.push(d);
    }

    fn unknown_name(&mut self, name: &Ident, namespace: Option<&str>) {
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
                // No near name here: the likeliest slip is a service of another
                // namespace written without its namespace.
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
        self.diagnostics.push(d);
    }

    /// The endpoints of group `group`, used at `used_at`. Members are resolved in the
    /// group's own scope, not the user's: a group means the same wherever it is used.
    fn expand_group(
        &mut self,
        group: usize,
        used_at: Span,
        expanding: &mut Vec<usize>,
    ) -> Vec<Endpoint> {
        let decl = &self.decls.groups[group];
        if let Some(pos) = expanding.iter().position(|g| *g == group) {
            let mut d = Diagnostic::new(Code::GroupCycle, format!("group `{}` contains itself", decl.name.node), used_at, "used inside its own definition")
                .with_secondary(decl.name.span, "group declared here")
                .with_help("a group lists services, externals and other groups, but cannot include itself, directly or through another group");
            for g in &expanding[pos + 1..] {
                d = d.with_secondary(self.decls.groups[*g].name.span, "through this group");
            }
            self.diagnostics.push(d);
            return Vec::new();
        }
        if let Some(done) = self.groups.get(&group) {
            return done.clone();
        }
        expanding.push(group);
        let mut out = Vec::new();
        for member in &decl.members {
            out.extend(self.reference(member, decl.scope.as_deref(), expanding));
        }
        expanding.pop();
        let mut seen = FxHashSet::default();
        out.retain(|e| seen.insert(*e));
        self.groups.insert(group, out.clone());
        out
    }
}

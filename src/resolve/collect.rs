//! Collecting declarations: walks every parsed file with its context (file, namespace,
//! external or not, module or not), checks where each item may stand, checks the values
//! written in declarations, and records names in their scope (one per namespace, plus
//! the global scope for externals and groups declared outside every namespace).
//! Resolves no reference: that is `needs`' job, once every name is known.

use super::declarations::{
    Decl, Declarations, EnforcementSlots, ExportDecl, ExternalDecl, GroupDecl, IsolateDecl, Loaded,
    NamespaceDecl, NeedsDecl, ParsedFile, ServiceDecl,
};
use super::{cluster_settings, declaration_checks, namespace_sets, value_checks};
use crate::ast::{
    ExportTo, Ident, IdentityStyle, Item, ItemKind, Reference, ServiceItem, Spanned, Target,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir;
use crate::source::{FileId, Span};

mod settings;
pub(super) use settings::check_guard;

/// Collect the declarations of every loaded file, in load order.
pub(super) fn collect(loaded: Loaded, diagnostics: &mut Diagnostics) -> Declarations {
    let mut collector = Collector {
        decls: Declarations {
            uses: loaded.uses,
            ..Declarations::default()
        },
        diagnostics,
        block_depth: 0,
    };
    reserve(&mut collector.decls, &loaded.files);
    for file in loaded.files {
        if file.is_module {
            collector.decls.module_files.insert(file.id);
        }
        let mut context = Context {
            file: file.id,
            namespace: None,
            external: false,
            is_module: file.is_module,
        };
        for item in file.ast.items {
            // `namespace N;` sets the namespace of the rest of the file, so the
            // context changes between items instead of nesting.
            if let ItemKind::NamespaceDecl { name } = &item.kind {
                if collector.declare_namespace(name, true, item.span) {
                    context.namespace = Some(name.node.clone());
                }
                continue;
            }
            collector.collect_item(item, &context);
        }
    }
    collector.decls
}

/// Room for every service, `needs` and `export` the files hold, so the three vectors
/// are not grown by doubling (a quarter of their room unused at 50,000 services, 5 MB,
/// held while the whole tree is alive).
fn reserve(decls: &mut Declarations, files: &[ParsedFile]) {
    fn count(items: &[Item], counts: &mut [usize; 3]) {
        for item in items {
            match &item.kind {
                ItemKind::Service { .. } => counts[0] += 1,
                ItemKind::Needs { .. } => counts[1] += 1,
                ItemKind::Export { .. } => counts[2] += 1,
                ItemKind::NamespaceBlock { items, .. } | ItemKind::NamespaceSet { items, .. } => {
                    count(items, counts);
                }
                _ => {}
            }
        }
    }
    let mut counts = [0; 3];
    for file in files {
        count(&file.ast.items, &mut counts);
    }
    decls.services.reserve_exact(counts[0]);
    decls.needs.reserve_exact(counts[1]);
    decls.exports.reserve_exact(counts[2]);
}

/// Where an item stands.
#[derive(Clone, Debug)]
struct Context {
    file: FileId,
    /// The namespace the item is in; `None` outside every namespace.
    namespace: Option<String>,
    /// Inside `external namespace N { ... }`.
    external: bool,
    is_module: bool,
}

/// The declarations so far, and the one sink.
struct Collector<'d> {
    decls: Declarations,
    diagnostics: &'d mut Diagnostics,
    /// How many namespace blocks enclose the item being collected.
    block_depth: usize,
}

impl Collector<'_> {
    /// Record a namespace; `false` if its name is invalid.
    fn declare_namespace(&mut self, name: &Ident, managed: bool, span: Span) -> bool {
        if let Err(d) = value_checks::check_name(name, "namespace") {
            self.diagnostics.push(d);
            return false;
        }
        match self.decls.namespaces.get(&name.node) {
            Some(existing) if existing.set.is_some() => {
                let first = existing.span;
                self.diagnostics
                    .push(namespace_sets::name_conflict(name, first));
                return false;
            }
            Some(existing) if existing.managed != managed => {
                let (this, other) = if managed {
                    ("managed", "external")
                } else {
                    ("external", "managed")
                };
                self.diagnostics.push(
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
                self.decls.namespaces.insert(
                    name.node.clone(),
                    NamespaceDecl {
                        managed,
                        set: None,
                        set_requirements: Vec::new(),
                        span,
                        enforcement: EnforcementSlots::default(),
                    },
                );
            }
        }
        true
    }

    fn misplaced(&mut self, span: Span, what: &str, help: &str) {
        self.diagnostics.push(
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
                self.collect_block(span, &name, external, items, context);
            }
            ItemKind::NamespaceSet { name, selects, items } => {
                self.collect_set(span, &name, &selects, items, context);
            }
            ItemKind::Service { name, body } => self.collect_service(span, &name, &body, context),
            ItemKind::Group { name, members } => self.collect_group(span, name, members, context),
            ItemKind::External { name, cidrs, except } => {
                if context.external {
                    self.misplaced(span, "an external address range in an external namespace", "declare externals in a managed namespace or outside every namespace");
                    return;
                }
                self.collect_external(&name, &cidrs, &except, context);
            }
            ItemKind::Needs { subjects, targets } => self.collect_needs(span, subjects, targets, context),
            ItemKind::Export { services, to } => self.collect_export(span, services, to, context),
            ItemKind::Use(_) => {
                if context.external {
                    self.misplaced(span, "`use` in an external namespace", "external namespaces are not managed: `use` a module in a managed namespace");
                }
            }
            ItemKind::ExemptLabel { key, value } => self.collect_exempt(span, &key, value.as_ref(), context),
            ItemKind::Enforcement { direction, mode } => {
                self.collect_enforcement(span, direction.map(|d| d.node), &mode, context);
            }
            ItemKind::Isolate { direction, members } => {
                self.collect_isolate(span, direction.map(|d| d.node), members, context);
            }
            ItemKind::Guard(action) => {
                if context.namespace.is_some() || context.is_module {
                    self.setting_not_here(span, "`guard`", "the guard is program-wide: write it outside every namespace, in a file of the program (not a module)");
                } else if let Some((_, first)) = self.decls.guard {
                    self.setting_twice(span, "`guard`", first);
                } else {
                    self.decls.guard = Some((action.node, span));
                }
            }
            ItemKind::Cni(text) => {
                let place = self.cluster_place(span, context);
                cluster_settings::collect_cni(&mut self.decls, self.diagnostics, &place, text);
            }
            ItemKind::Cluster(lines) => {
                let place = self.cluster_place(span, context);
                cluster_settings::collect_cluster(&mut self.decls, self.diagnostics, &place, &lines);
            }
            ItemKind::Identity(style) => {
                if context.namespace.is_some() || context.is_module {
                    self.setting_not_here(span, "`identity`", "identity is program-wide: write it outside every namespace, in a file of the program (not a module)");
                    return;
                }
                if let Some((_, first)) = self.decls.identity {
                    self.setting_twice(span, "`identity`", first);
                } else {
                    self.decls.identity = Some((style.node, span));
                }
            }
        }
    }

    /// `namespace N { ... }` or `external namespace N { ... }`: its items in a context
    /// of their own. Blocks do not nest, so a reference's namespace is always the one
    /// innermost block (or `namespace N;`), never a path of them.
    fn collect_block(
        &mut self,
        span: Span,
        name: &Ident,
        external: bool,
        items: Vec<Item>,
        context: &Context,
    ) {
        if context.external || self.block_depth > 0 {
            self.misplaced(
                span,
                "a namespace inside a namespace block",
                "namespaces cannot be nested: close the outer block first",
            );
            return;
        }
        if !self.declare_namespace(name, !external, name.span) {
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

    /// `namespaces N { select ...; ... }`: collected as an external namespace's
    /// block, with its labels.
    fn collect_set(
        &mut self,
        span: Span,
        name: &Ident,
        selects: &[crate::ast::SetSelect],
        items: Vec<Item>,
        context: &Context,
    ) {
        let (selector, requirements) = namespace_sets::selector(name, selects, self.diagnostics);
        if let Some(existing) = self.decls.namespaces.get(&name.node) {
            self.diagnostics
                .push(namespace_sets::name_conflict(name, existing.span));
            return;
        }
        self.collect_block(span, name, true, items, context);
        if let Some(decl) = self.decls.namespaces.get_mut(&name.node) {
            decl.set = Some(selector);
            decl.set_requirements = requirements;
        }
    }

    fn collect_group(
        &mut self,
        span: Span,
        name: Ident,
        members: Vec<Reference>,
        context: &Context,
    ) {
        if context.external {
            self.misplaced(
                span,
                "a group in an external namespace",
                "declare groups in a managed namespace or outside every namespace",
            );
            return;
        }
        // Members stay unresolved: a group may name what is declared after it, even
        // in a later file, so they are resolved once every name is known.
        let decl = Decl::Group(self.decls.groups.len());
        if self.declare(context.namespace.clone(), &name, "group", decl) {
            self.decls.groups.push(GroupDecl {
                scope: context.namespace.clone(),
                name,
                members,
            });
        }
    }

    fn collect_needs(
        &mut self,
        span: Span,
        subjects: Vec<Reference>,
        targets: Vec<Target>,
        context: &Context,
    ) {
        if context.external {
            self.misplaced(span, "`needs` in an external namespace", "an external namespace is not managed: write the `needs` in the namespace of a managed subject or target");
            return;
        }
        // A module's top-level `needs` has no namespace of its own: it is kept with
        // its file and applied in every namespace that uses the module.
        if context.namespace.is_none() && !context.is_module {
            self.diagnostics.push(
                Diagnostic::new(Code::OutsideNamespace, "`needs` outside a namespace", span, "not in any namespace")
                    .with_help("write it inside `namespace N { ... }` or after `namespace N;`; only modules may have top-level `needs`, which apply in every namespace that uses them"),
            );
            return;
        }
        self.decls.needs.push(NeedsDecl {
            namespace: context.namespace.clone(),
            file: context.file,
            subjects,
            targets,
            span,
        });
    }

    fn collect_export(
        &mut self,
        span: Span,
        services: Vec<Ident>,
        to: ExportTo,
        context: &Context,
    ) {
        let Some(namespace) = context.namespace.clone().filter(|_| !context.external) else {
            let (what, help) = if context.external {
                (
                    "`export` in an external namespace",
                    "external namespaces need no consent: their services can be reached without `export`",
                )
            } else {
                (
                    "`export` outside a namespace",
                    "write it in the namespace that owns the services",
                )
            };
            self.misplaced(span, what, help);
            return;
        };
        // The namespaces of `to` may be declared later; they are checked to exist
        // once every file is collected.
        let to = match to {
            ExportTo::Everyone(_) => None,
            ExportTo::Namespaces(names) => {
                self.decls.namespace_refs.extend(names.iter().cloned());
                Some(names)
            }
        };
        self.decls.exports.push(ExportDecl {
            namespace,
            services,
            to,
            span,
        });
    }

    /// `isolate ...;`: only in a managed namespace (E600), where it names its pods.
    fn collect_isolate(
        &mut self,
        span: Span,
        direction: Option<crate::ast::Direction>,
        members: Vec<Reference>,
        context: &Context,
    ) {
        let Some(namespace) = context.namespace.clone().filter(|_| !context.external) else {
            let place = if context.external {
                "in an external namespace"
            } else {
                "outside every namespace"
            };
            self.diagnostics.push(
                Diagnostic::new(Code::IsolateNotInNamespace, format!("`isolate` {place}"), span, "not in a managed namespace")
                    .with_help("`isolate` names pods of the managed namespace it stands in: write it inside `namespace N { ... }`"),
            );
            return;
        };
        self.decls.isolates.push(IsolateDecl {
            namespace,
            direction,
            members,
        });
    }

    fn setting_not_here(&mut self, span: Span, what: &str, help: &str) {
        self.diagnostics.push(
            Diagnostic::new(
                Code::SettingNotHere,
                format!("{what} is not allowed here"),
                span,
                "setting in the wrong place",
            )
            .with_help(help.to_owned()),
        );
    }

    /// Where a `cni` or `cluster` setting stands.
    fn cluster_place(&self, span: Span, context: &Context) -> cluster_settings::Place {
        cluster_settings::Place {
            span,
            misplaced: context.namespace.is_some() || context.is_module || self.block_depth > 0,
        }
    }

    fn setting_twice(&mut self, span: Span, what: &str, first: Span) {
        self.diagnostics.push(
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
        if let Err(d) = value_checks::check_name(name, what) {
            self.diagnostics.push(d);
            return false;
        }
        if name.node == super::references::ANYWHERE {
            self.diagnostics.push(
                Diagnostic::new(Code::ReservedAnywhere, format!("{} {what} cannot be called `anywhere`", if what.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }), name.span, "reserved name")
                    .with_help("`anywhere` means every pod of every namespace and every address (`anywhere needs web:8080;`, `api needs anywhere:443;`): rename this one"),
            );
            return false;
        }
        let names = self
            .decls
            .scopes
            .entry(scope.clone().unwrap_or_default())
            .or_default();
        if let Some((_, first)) = names.get(&name.node) {
            let place = scope.map_or_else(
                || "outside every namespace".to_owned(),
                |ns| format!("in namespace `{ns}`"),
            );
            let first = *first;
            self.diagnostics.push(
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
            self.diagnostics.push(
                Diagnostic::new(Code::OutsideNamespace, format!("service `{}` is outside a namespace", name.node), span, "not in any namespace")
                    .with_help("a service is pods of one namespace: write it inside `namespace N { ... }` or after `namespace N;`"),
            );
            return;
        };
        let mut problems = Vec::new();
        let body = declaration_checks::service_body(name, span, body, &mut problems);
        for d in problems {
            self.diagnostics.push(d);
        }
        // A service with invalid values is still declared (with what passed), so its
        // name resolves and its needs are checked too. Without a `select`, its selector
        // (`app: NAME`) is added when the program is assembled, after the needs' syntax
        // is freed: a one-entry map is a 544-byte tree node, 27 MB at 50,000 services,
        // and nothing before assembly reads it.
        let decl = Decl::Service(self.decls.services.len());
        if self.declare(Some(namespace.clone()), name, "service", decl) {
            self.decls.services.push(ServiceDecl {
                namespace,
                name: name.clone(),
                selector: body.selector,
                requirements: body.requirements,
                explicit_selector: body.explicit,
                ports: body.ports,
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
        let (nets, excepts) =
            declaration_checks::external_ranges(name, cidrs, except, &mut problems);
        let failed = problems
            .iter()
            .any(|d| d.severity() == crate::diagnostic::Severity::Error);
        for d in problems {
            self.diagnostics.push(d);
        }
        if failed {
            // Unlike a service, a half-checked external would open a range nobody
            // wrote; the name is still declared so references to it do not cascade
            // into E200.
            let _ = self.declare(context.namespace.clone(), name, "external", Decl::Rejected);
            return;
        }
        let mut cidrs: Vec<ipnet::IpNet> = nets.into_iter().map(|(n, _)| n).collect();
        let mut except: Vec<ipnet::IpNet> = excepts.into_iter().map(|(n, _)| n).collect();
        cidrs.sort();
        cidrs.dedup();
        except.sort();
        except.dedup();
        let decl = Decl::External(self.decls.externals.len());
        if self.declare(context.namespace.clone(), name, "external", decl) {
            self.decls.externals.push(ExternalDecl {
                scope: context.namespace.clone(),
                name: name.clone(),
                cidrs,
                except,
            });
        }
    }
}

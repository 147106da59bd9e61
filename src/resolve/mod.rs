//! Resolution: from the parsed files of one program to the checked [`Program`]. Loads
//! `use`d modules (each once, cycles diagnosed), collects declarations into one scope
//! per namespace plus a global scope, resolves every reference, checks every value and
//! cross-namespace consent, and assembles the IR. Collects every error and carries on;
//! never stops at the first. Must never know anything about Kubernetes objects.

mod collect;
mod modules;
mod needs;
mod overlap;
mod program;
pub mod values;

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::ast::{self, Ident, IdentityStyle, Reference, Target};
use crate::diagnostic::Diagnostics;
use crate::ir::{self, Program};
use crate::source::{FileId, Loader, Sources, Span};

/// Resolve and check the program made of `roots`; modules named by `use` are loaded
/// through `loader` and added to `sources`. Returns `None` only when nothing usable
/// could be built; callers must still look at `diagnostics` for errors.
pub fn resolve(
    sources: &mut Sources,
    roots: &[FileId],
    loader: &dyn Loader,
    diagnostics: &mut Diagnostics,
) -> Option<Program> {
    let mut resolver = Resolver::default();
    let files = modules::load_all(sources, roots, loader, &mut resolver);
    for file in files {
        resolver.collect_file(file);
    }
    resolver.check_namespaces_exist();
    let program = resolver.build_program();
    if let Some(program) = &program {
        resolver.errors.extend(overlap::warnings(program));
    }
    let mut errors = std::mem::take(&mut resolver.errors);
    for d in errors.drain(..) {
        diagnostics.push(d);
    }
    program
}

/// One parsed file and its role.
pub(crate) struct ParsedFile {
    pub id: FileId,
    pub ast: ast::File,
    /// Reached through `use`: its top-level `needs` apply in every namespace using it.
    pub is_module: bool,
}

/// Where an item stands.
#[derive(Clone, Debug)]
pub(crate) struct Context {
    pub file: FileId,
    /// The namespace the item is in; `None` outside every namespace.
    pub namespace: Option<String>,
    /// Inside `external namespace N { ... }`.
    pub external: bool,
    pub is_module: bool,
}

#[derive(Debug)]
pub(crate) struct NamespaceDecl {
    pub managed: bool,
    pub span: Span,
    pub enforcement: EnforcementSlots,
}

/// The `enforcement` items of one scope (the program, or one namespace), per direction:
/// the value and the item that set it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EnforcementSlots {
    pub ingress: Option<(bool, Span)>,
    pub egress: Option<(bool, Span)>,
}

#[derive(Debug)]
pub(crate) struct ServiceDecl {
    pub namespace: String,
    pub name: Ident,
    pub selector: BTreeMap<String, String>,
    pub explicit_selector: bool,
    pub ports: Vec<ir::ServicePort>,
}

#[derive(Debug)]
pub(crate) struct GroupDecl {
    pub scope: Option<String>,
    pub name: Ident,
    pub members: Vec<Reference>,
}

#[derive(Debug)]
pub(crate) struct ExternalDecl {
    pub scope: Option<String>,
    pub name: Ident,
    pub cidrs: Vec<ipnet::IpNet>,
    pub except: Vec<ipnet::IpNet>,
}

#[derive(Debug)]
pub(crate) struct ExportDecl {
    pub namespace: String,
    pub services: Vec<Ident>,
    /// `None` for `to *`.
    pub to: Option<Vec<Ident>>,
    pub span: Span,
}

#[derive(Debug)]
pub(crate) struct NeedsDecl {
    /// `None`: a module's top-level `needs`, applied in every namespace that uses it.
    pub namespace: Option<String>,
    pub file: FileId,
    pub subjects: Vec<Reference>,
    pub targets: Vec<Target>,
    pub span: Span,
}

#[derive(Debug)]
pub(crate) struct UseDecl {
    /// `None`: used outside every namespace (applies to every managed namespace).
    pub namespace: Option<String>,
    /// The file containing the `use`.
    pub from: FileId,
    pub module: FileId,
    pub span: Span,
}

/// What a plain name stands for in one scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decl {
    Service(usize),
    Group(usize),
    External(usize),
    /// A declaration whose values were rejected: the name stays taken, so later
    /// references to it are silent instead of cascading into E200.
    Rejected,
}

impl Resolver {
    /// The names declared in a namespace (`None`: outside every namespace).
    pub(crate) fn scope(
        &self,
        namespace: Option<&str>,
    ) -> Option<&FxHashMap<String, (Decl, Span)>> {
        self.scopes.get(namespace.unwrap_or(""))
    }
}

/// All declarations of the program, collected before anything is resolved.
#[derive(Default)]
pub(crate) struct Resolver {
    pub namespaces: BTreeMap<String, NamespaceDecl>,
    pub services: Vec<ServiceDecl>,
    pub groups: Vec<GroupDecl>,
    pub externals: Vec<ExternalDecl>,
    pub exports: Vec<ExportDecl>,
    pub needs: Vec<NeedsDecl>,
    pub uses: Vec<UseDecl>,
    /// Names declared per scope, keyed by namespace name (`""` = global, which no
    /// namespace can be called): name → declaration and its span.
    pub scopes: FxHashMap<String, FxHashMap<String, (Decl, Span)>>,
    /// Namespaces named by references or exports, to check they exist.
    pub namespace_refs: Vec<Ident>,
    pub identity: Option<(IdentityStyle, Span)>,
    pub exempt: Option<ir::ExemptLabel>,
    pub enforcement: EnforcementSlots,
    /// `guard labels [warn];` and where it was written.
    pub guard: Option<(ast::GuardAction, Span)>,
    pub errors: Vec<crate::diagnostic::Diagnostic>,
    /// Namespace names by `NamespaceId`, once ids are assigned.
    pub namespace_names: Vec<String>,
    /// Files reached through `use`.
    pub module_files: rustc_hash::FxHashSet<FileId>,
    /// Expanded groups, by declaration.
    pub group_cache: FxHashMap<usize, Vec<ir::Endpoint>>,
    /// How many namespace blocks enclose the item being collected.
    pub block_depth: usize,
}

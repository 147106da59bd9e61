//! What `collect` produces: every declaration of the program, with where it stands,
//! and the names declared in each scope. Later stages (reference resolution, checks,
//! assembly) only read these; nothing in them is resolved yet.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::ast::{self, Ident, IdentityStyle, Reference, Target};
use crate::ir;
use crate::source::{FileId, Span};

/// One parsed file and its role.
pub(crate) struct ParsedFile {
    pub id: FileId,
    pub ast: ast::File,
    /// Reached through `use`: its top-level `needs` apply in every namespace using it.
    pub is_module: bool,
}

/// What loading found: the parsed files in load order and every `use` between them.
pub(crate) struct Loaded {
    pub files: Vec<ParsedFile>,
    pub uses: Vec<UseDecl>,
}

#[derive(Debug)]
pub(crate) struct NamespaceDecl {
    pub managed: bool,
    /// A namespace set's labels (`namespaces N { select ...; }`; empty: every namespace).
    pub set: Option<crate::ir::Labels>,
    pub set_requirements: Vec<ir::Requirement>,
    pub span: Span,
    pub enforcement: EnforcementSlots,
}

/// The `enforcement` items of one scope (the program, or one namespace), per direction:
/// the value and the item that set it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EnforcementSlots {
    pub ingress: Option<(crate::ast::EnforcementMode, Span)>,
    pub egress: Option<(crate::ast::EnforcementMode, Span)>,
}

#[derive(Debug)]
pub(crate) struct ServiceDecl {
    pub namespace: String,
    pub name: Ident,
    /// The `select` pairs; empty without `select` until assembly adds `app: NAME`.
    pub selector: crate::ir::Labels,
    pub requirements: Vec<ir::Requirement>,
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

/// `isolate [ingress | egress] R, ...;` in a managed namespace.
#[derive(Debug)]
pub(crate) struct IsolateDecl {
    pub namespace: String,
    /// `None`: both directions.
    pub direction: Option<ast::Direction>,
    pub members: Vec<Reference>,
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

/// Names of one scope: name → declaration and its span.
pub(crate) type Scope = FxHashMap<String, (Decl, Span)>;

/// All declarations of the program, collected before anything is resolved.
#[derive(Default)]
pub(crate) struct Declarations {
    pub namespaces: BTreeMap<String, NamespaceDecl>,
    pub services: Vec<ServiceDecl>,
    pub groups: Vec<GroupDecl>,
    pub externals: Vec<ExternalDecl>,
    pub exports: Vec<ExportDecl>,
    pub needs: Vec<NeedsDecl>,
    pub isolates: Vec<IsolateDecl>,
    pub uses: Vec<UseDecl>,
    /// Files reached through `use`.
    pub module_files: FxHashSet<FileId>,
    /// Names declared per scope, keyed by namespace name (`""` = global, which no
    /// namespace can be called).
    pub scopes: FxHashMap<String, Scope>,
    /// Namespaces named by exports (`to N`), to check they exist.
    pub namespace_refs: Vec<Ident>,
    pub identity: Option<(IdentityStyle, Span)>,
    pub exempt: Option<ir::ExemptLabel>,
    pub enforcement: EnforcementSlots,
    /// `guard labels [warn];` and where it was written.
    pub guard: Option<(ast::GuardAction, Span)>,
    /// `cni "NAME@VERSION";`
    pub cni: Option<ir::CniSetting>,
    /// `cluster { ... }` (empty, without a span, when not written).
    pub cluster: ir::ClusterNetworks,
}

impl Declarations {
    /// The names declared in a namespace (`None`: outside every namespace).
    pub(crate) fn scope(&self, namespace: Option<&str>) -> Option<&Scope> {
        self.scopes.get(namespace.unwrap_or(""))
    }

    /// What `name` stands for in `namespace`'s scope (`None`: the global scope).
    pub(crate) fn lookup(&self, namespace: Option<&str>, name: &str) -> Option<Decl> {
        self.scope(namespace)
            .and_then(|s| s.get(name))
            .map(|(d, _)| *d)
    }
}

//! The symbol index of a program for the language server: every declaration of a
//! namespace, service, group or external (with the span of its name), every place a
//! name refers to one (references, exports, `namespace` items, qualified `N/S`), every
//! `use` with the module it reaches, every `needs` statement and the namespace regions
//! of each file. Built from the parsed files with the scoping rules of `resolve`: a
//! plain name is looked up in the namespace it stands in, then in the global scope;
//! `export` names only the exporting namespace's services.

use rustc_hash::FxHashMap;

use crate::ast::{self, Ident, Item, ItemKind, Reference, ReferenceKind, UseTarget};
use crate::source::{FileId, Loader, Origin, Sources, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    Namespace,
    Service,
    Group,
    External,
}

impl SymbolKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SymbolKind::Namespace => "namespace",
            SymbolKind::Service => "service",
            SymbolKind::Group => "group",
            SymbolKind::External => "external",
        }
    }
}

/// One declared name.
#[derive(Clone, Debug)]
pub struct Symbol {
    pub kind: SymbolKind,
    pub name: String,
    /// The namespace a service, group or external is declared in (`None`: global);
    /// `None` for a namespace.
    pub scope: Option<String>,
    /// The name in its first declaration.
    pub definition: Span,
    /// The whole declaring item.
    pub item: Span,
}

/// A name written at `span` that stands for symbol `symbol` (declarations included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub span: Span,
    pub symbol: usize,
}

/// A `use` item and the file it reaches (when it was loaded).
#[derive(Clone, Debug)]
pub struct UseLink {
    /// The module's name or path as written.
    pub span: Span,
    pub module: Option<FileId>,
}

/// A `needs` statement and the namespace it stands in (`None`: a module's top level).
#[derive(Clone, Debug)]
pub struct NeedsSite {
    pub span: Span,
    pub namespace: Option<String>,
}

/// The index of one program.
#[derive(Debug, Default)]
pub struct Index {
    pub symbols: Vec<Symbol>,
    /// Per file, sorted by start.
    occurrences: FxHashMap<FileId, Vec<Occurrence>>,
    pub uses: Vec<UseLink>,
    pub needs: Vec<NeedsSite>,
    /// Per file: `(start, end, namespace)` of every namespace region.
    regions: FxHashMap<FileId, Vec<(u32, u32, String)>>,
    /// Scope (`""`: global) → name → symbol; namespaces are not in it.
    scopes: FxHashMap<String, FxHashMap<String, usize>>,
    namespaces: FxHashMap<String, usize>,
}

/// Which namespace the items being walked stand in.
#[derive(Clone)]
struct Context {
    file: FileId,
    namespace: Option<String>,
}

impl Index {
    /// Index the parsed `files` of a program whose texts are in `sources`; `loader`
    /// says which file each `use "path"` names.
    pub fn build(sources: &Sources, files: &[(FileId, &ast::File)], loader: &dyn Loader) -> Index {
        let mut index = Index::default();
        for &(file, tree) in files {
            index.declare_items(&tree.items, file, &mut None);
        }
        for &(file, tree) in files {
            let mut context = Context {
                file,
                namespace: None,
            };
            index.refer_items(sources, loader, &tree.items, &mut context);
        }
        for list in index.occurrences.values_mut() {
            list.sort_by_key(|o| (o.span.start, o.span.end));
            list.dedup();
        }
        index
    }

    fn declare_items(&mut self, items: &[Item], file: FileId, namespace: &mut Option<String>) {
        for item in items {
            match &item.kind {
                ItemKind::NamespaceDecl { name } => {
                    self.declare_namespace(name, item.span);
                    let end = u32::MAX;
                    self.region(file, item.span.start, end, &name.node);
                    *namespace = Some(name.node.clone());
                }
                ItemKind::NamespaceBlock { name, items, .. }
                | ItemKind::NamespaceSet { name, items, .. } => {
                    self.declare_namespace(name, item.span);
                    self.region(file, item.span.start, item.span.end, &name.node);
                    self.declare_items(items, file, &mut Some(name.node.clone()));
                }
                ItemKind::Service { name, .. } => {
                    self.declare(SymbolKind::Service, name, namespace, item.span);
                }
                ItemKind::Group { name, .. } => {
                    self.declare(SymbolKind::Group, name, namespace, item.span);
                }
                ItemKind::External { name, .. } => {
                    self.declare(SymbolKind::External, name, namespace, item.span);
                }
                _ => {}
            }
        }
    }

    fn region(&mut self, file: FileId, start: u32, end: u32, name: &str) {
        self.regions
            .entry(file)
            .or_default()
            .push((start, end, name.to_owned()));
    }

    fn push_symbol(&mut self, symbol: Symbol) -> usize {
        let id = self.symbols.len();
        let span = symbol.definition;
        self.symbols.push(symbol);
        self.occur(span, id);
        id
    }

    fn declare_namespace(&mut self, name: &Ident, item: Span) {
        if let Some(&id) = self.namespaces.get(&name.node) {
            self.occur(name.span, id);
            return;
        }
        let id = self.push_symbol(Symbol {
            kind: SymbolKind::Namespace,
            name: name.node.clone(),
            scope: None,
            definition: name.span,
            item,
        });
        self.namespaces.insert(name.node.clone(), id);
    }

    fn declare(&mut self, kind: SymbolKind, name: &Ident, scope: &Option<String>, item: Span) {
        let key = scope.clone().unwrap_or_default();
        if let Some(&id) = self.scopes.get(&key).and_then(|s| s.get(&name.node)) {
            // A second declaration of the name (E202): the first one is the symbol.
            if self.symbols[id].kind == kind {
                self.occur(name.span, id);
            }
            return;
        }
        let id = self.push_symbol(Symbol {
            kind,
            name: name.node.clone(),
            scope: scope.clone(),
            definition: name.span,
            item,
        });
        self.scopes
            .entry(key)
            .or_default()
            .insert(name.node.clone(), id);
    }

    fn occur(&mut self, span: Span, symbol: usize) {
        self.occurrences
            .entry(span.file)
            .or_default()
            .push(Occurrence { span, symbol });
    }

    fn refer_items(
        &mut self,
        sources: &Sources,
        loader: &dyn Loader,
        items: &[Item],
        context: &mut Context,
    ) {
        for item in items {
            match &item.kind {
                ItemKind::NamespaceDecl { name } => context.namespace = Some(name.node.clone()),
                ItemKind::NamespaceBlock { name, items, .. }
                | ItemKind::NamespaceSet { name, items, .. } => {
                    let mut inner = Context {
                        file: context.file,
                        namespace: Some(name.node.clone()),
                    };
                    self.refer_items(sources, loader, items, &mut inner);
                }
                ItemKind::Group { members, .. } => {
                    for member in members {
                        self.reference(member, context);
                    }
                }
                ItemKind::Needs { subjects, targets } => {
                    self.needs.push(NeedsSite {
                        span: item.span,
                        namespace: context.namespace.clone(),
                    });
                    for subject in subjects {
                        self.reference(subject, context);
                    }
                    for target in targets {
                        self.reference(&target.reference, context);
                    }
                }
                ItemKind::Export { services, to } => {
                    let scope = context.namespace.clone().unwrap_or_default();
                    for service in services {
                        if let Some(id) = self.in_scope(&scope, &service.node, SymbolKind::Service)
                        {
                            self.occur(service.span, id);
                        }
                    }
                    if let ast::ExportTo::Namespaces(names) = to {
                        for name in names {
                            self.namespace_ref(name);
                        }
                    }
                }
                ItemKind::Use(target) => self.use_link(sources, loader, target, context.file),
                _ => {}
            }
        }
    }

    fn use_link(
        &mut self,
        sources: &Sources,
        loader: &dyn Loader,
        target: &UseTarget,
        from: FileId,
    ) {
        let (span, module) = match target {
            UseTarget::Std(name) => (name.span, sources.find(&Origin::Std(name.node.clone()))),
            UseTarget::Path(path) => {
                let module = sources
                    .get(from)
                    .key
                    .as_ref()
                    .and_then(|key| loader.locate(key, &path.node).ok())
                    .and_then(|key| sources.find_key(&key));
                (path.span, module)
            }
        };
        self.uses.push(UseLink { span, module });
    }

    fn in_scope(&self, scope: &str, name: &str, kind: SymbolKind) -> Option<usize> {
        let id = *self.scopes.get(scope)?.get(name)?;
        (self.symbols[id].kind == kind).then_some(id)
    }

    /// What a plain name stands for in `namespace`: its own scope, then the global one.
    pub fn lookup(&self, namespace: Option<&str>, name: &str) -> Option<usize> {
        let local = namespace.and_then(|ns| self.scopes.get(ns)?.get(name));
        local.or_else(|| self.scopes.get("")?.get(name)).copied()
    }

    fn namespace_ref(&mut self, name: &Ident) {
        if let Some(&id) = self.namespaces.get(&name.node) {
            self.occur(name.span, id);
        }
    }

    fn reference(&mut self, reference: &Reference, context: &Context) {
        match &reference.kind {
            ReferenceKind::Name(name) => {
                if let Some(id) = self.lookup(context.namespace.as_deref(), &name.node) {
                    self.occur(name.span, id);
                }
            }
            ReferenceKind::Qualified { namespace, name } => {
                self.namespace_ref(namespace);
                if let Some(id) = self.in_scope(&namespace.node, &name.node, SymbolKind::Service) {
                    self.occur(name.span, id);
                }
            }
            ReferenceKind::NamespaceAll(namespace) => self.namespace_ref(namespace),
            ReferenceKind::All => {}
        }
    }

    /// The name at byte `offset` of `file` (its end included, as editors put the
    /// cursor right after a word).
    pub fn occurrence_at(&self, file: FileId, offset: u32) -> Option<Occurrence> {
        let list = self.occurrences.get(&file)?;
        let after = list.partition_point(|o| o.span.start <= offset);
        list[..after]
            .iter()
            .rev()
            .take(4)
            .find(|o| o.span.end >= offset)
            .copied()
    }

    /// Every place symbol `symbol` is written, sorted by file and position.
    pub fn occurrences_of(&self, symbol: usize) -> Vec<Span> {
        let mut spans: Vec<Span> = self
            .occurrences
            .values()
            .flatten()
            .filter(|o| o.symbol == symbol)
            .map(|o| o.span)
            .collect();
        spans.sort();
        spans
    }

    /// The `use` whose module name or path covers `offset`.
    pub fn use_at(&self, file: FileId, offset: u32) -> Option<&UseLink> {
        self.uses
            .iter()
            .find(|u| u.span.file == file && u.span.start <= offset && offset <= u.span.end)
    }

    /// The `needs` statement that covers `offset`.
    pub fn needs_at(&self, file: FileId, offset: u32) -> Option<&NeedsSite> {
        self.needs
            .iter()
            .find(|n| n.span.file == file && n.span.start <= offset && offset < n.span.end)
    }

    /// The namespace that the text at `offset` of `file` stands in.
    pub fn namespace_at(&self, file: FileId, offset: u32) -> Option<&str> {
        self.regions
            .get(&file)?
            .iter()
            .filter(|(start, end, _)| *start <= offset && offset <= *end)
            .max_by_key(|(start, _, _)| *start)
            .map(|(_, _, name)| name.as_str())
    }

    /// The names visible in `namespace`: its own, then the global ones not shadowed.
    pub fn visible(&self, namespace: Option<&str>) -> Vec<usize> {
        let mut seen = rustc_hash::FxHashSet::default();
        let mut out = Vec::new();
        let local = namespace.and_then(|ns| self.scopes.get(ns));
        for scope in local.into_iter().chain(self.scopes.get("")) {
            for (name, &id) in scope {
                if seen.insert(name.as_str()) {
                    out.push(id);
                }
            }
        }
        out.sort_by(|&a, &b| self.symbols[a].name.cmp(&self.symbols[b].name));
        out
    }

    /// The services declared in namespace `namespace`, sorted by name.
    pub fn services_of(&self, namespace: &str) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .scopes
            .get(namespace)
            .into_iter()
            .flat_map(|s| s.values().copied())
            .filter(|&id| self.symbols[id].kind == SymbolKind::Service)
            .collect();
        out.sort_by(|&a, &b| self.symbols[a].name.cmp(&self.symbols[b].name));
        out
    }

    /// Every namespace symbol, sorted by name.
    pub fn namespaces(&self) -> Vec<usize> {
        let mut out: Vec<usize> = self.namespaces.values().copied().collect();
        out.sort_by(|&a, &b| self.symbols[a].name.cmp(&self.symbols[b].name));
        out
    }

    /// The symbol a name is taken by in a scope (`""`: global), or a namespace.
    pub fn taken(&self, kind: SymbolKind, scope: Option<&str>, name: &str) -> Option<usize> {
        if kind == SymbolKind::Namespace {
            return self.namespaces.get(name).copied();
        }
        match scope {
            Some(ns) => self.lookup(Some(ns), name),
            // A global name is shadowed by a namespace's own name of the same spelling.
            None => self
                .scopes
                .values()
                .find_map(|scope| scope.get(name).copied()),
        }
    }
}

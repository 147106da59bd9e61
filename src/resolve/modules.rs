//! Loading the files of a program: parse every root file, then follow `use` items to
//! standard-library modules (embedded) and files (relative to the using file), reading
//! each module once and diagnosing missing modules and `use` cycles.

use std::path::{Component, Path, PathBuf};

use super::declarations::{Loaded, ParsedFile, UseDecl};
use crate::ast::{self, ItemKind, UseTarget};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::source::{FileId, LoadFailure, Loader, Origin, Sources, Span};

/// Parse `roots` and every module they use, transitively. Returns the files in load
/// order (roots first, in the given order) and the `use` items between them.
pub(super) fn load_all(
    sources: &mut Sources,
    roots: &[FileId],
    loader: &dyn Loader,
    diagnostics: &mut Diagnostics,
) -> Loaded {
    let parsed = parse_parallel(sources, roots);
    let mut loader = ModuleLoader {
        parsed,
        sources,
        loader,
        files: Vec::new(),
        index: rustc_hash::FxHashMap::default(),
        stack: Vec::new(),
        uses: Vec::new(),
        diagnostics,
    };
    for &root in roots {
        loader.visit(root, false, None);
    }
    Loaded {
        files: loader.files.into_iter().flatten().collect(),
        uses: loader.uses,
    }
}

/// Parse the root files on every core: parsing dominates checking, and files are
/// independent. Results are keyed by file, so the order of work never shows.
fn parse_parallel(
    sources: &Sources,
    roots: &[FileId],
) -> rustc_hash::FxHashMap<FileId, (ast::File, Diagnostics)> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(roots.len())
        .max(1);
    let chunk = roots.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = roots
            .chunks(chunk)
            .map(|ids| {
                scope.spawn(move || {
                    ids.iter()
                        .map(|&id| {
                            let mut diagnostics = Diagnostics::new();
                            let mut file =
                                crate::syntax::parse(id, &sources.get(id).text, &mut diagnostics);
                            file.shrink_to_fit();
                            (id, (file, diagnostics))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // A worker can only fail by panicking, which the panic hook reports as a bug;
        // its files are then parsed again on this thread by `visit`.
        workers
            .into_iter()
            .filter_map(|w| w.join().ok())
            .flatten()
            .collect()
    })
}

struct ModuleLoader<'a> {
    /// Root files parsed ahead of time.
    parsed: rustc_hash::FxHashMap<FileId, (ast::File, Diagnostics)>,
    sources: &'a mut Sources,
    loader: &'a dyn Loader,
    /// Indexed by load order; `None` while a file is being visited.
    files: Vec<Option<ParsedFile>>,
    index: rustc_hash::FxHashMap<FileId, usize>,
    /// Files whose `use` items are being followed (for cycle detection).
    stack: Vec<(FileId, Option<Span>)>,
    uses: Vec<UseDecl>,
    diagnostics: &'a mut Diagnostics,
}

impl ModuleLoader<'_> {
    /// Parse `id` (once) and follow its `use` items depth-first. `via` is the `use`
    /// that led here, for the labels of a cycle diagnostic.
    fn visit(&mut self, id: FileId, is_module: bool, via: Option<Span>) {
        if let Some(&slot) = self.index.get(&id) {
            if is_module && let Some(Some(file)) = self.files.get_mut(slot) {
                file.is_module = true;
            }
            return;
        }
        let (ast, diagnostics) = self.parsed.remove(&id).unwrap_or_else(|| {
            let mut diagnostics = Diagnostics::new();
            let mut ast = crate::syntax::parse(id, &self.sources.get(id).text, &mut diagnostics);
            ast.shrink_to_fit();
            (ast, diagnostics)
        });
        self.diagnostics.extend(diagnostics);
        let slot = self.files.len();
        self.files.push(None);
        self.index.insert(id, slot);
        self.stack.push((id, via));
        for (use_target, span, namespace) in collect_uses(&ast) {
            let Some(module) = self.locate(id, &use_target) else {
                continue;
            };
            if let Some(pos) = self.stack.iter().position(|(f, _)| *f == module) {
                self.report_cycle(pos, module, span);
                continue;
            }
            self.uses.push(UseDecl {
                namespace,
                from: id,
                module,
                span,
            });
            self.visit(module, true, Some(span));
        }
        self.stack.pop();
        if let Some(entry) = self.files.get_mut(slot) {
            *entry = Some(ParsedFile { id, ast, is_module });
        }
    }

    /// `self.stack[pos..]` and then `module` again form a cycle closed at `span`.
    fn report_cycle(&mut self, pos: usize, module: FileId, span: Span) {
        let name = self.sources.get(module).name.clone();
        let cycle = &self.stack[pos..];
        let mut chain: Vec<String> = cycle
            .iter()
            .map(|(f, _)| self.sources.get(*f).name.clone())
            .collect();
        chain.push(name.clone());
        let mut diagnostic = Diagnostic::new(
            Code::UseCycle,
            format!("`use` cycle through `{name}`"),
            span,
            "this `use` closes the cycle",
        )
        .with_note(format!("cycle: {}", chain.join(" → ")))
        .with_help(
            "a module cannot use itself, directly or through other modules: move the shared part into a third module",
        );
        for (_, used_at) in cycle.iter().skip(1) {
            if let Some(used_at) = used_at {
                diagnostic = diagnostic.with_secondary(*used_at, "used here");
            }
        }
        self.diagnostics.push(diagnostic);
    }

    /// Find (loading if new) the file a `use` names.
    fn locate(&mut self, from: FileId, target: &UseTarget) -> Option<FileId> {
        match target {
            UseTarget::Std(name) => {
                let origin = Origin::Std(name.node.clone());
                if let Some(id) = self.sources.find(&origin) {
                    return Some(id);
                }
                match crate::stdlib::module(&name.node) {
                    Some(text) => Some(self.sources.add(origin, text.to_owned())),
                    None => {
                        let mut d = Diagnostic::new(
                            Code::UseNotFound,
                            format!("no standard-library module `std/{}`", name.node),
                            name.span,
                            "unknown module",
                        );
                        let names: Vec<&str> = crate::stdlib::names().collect();
                        d = match did_you_mean(&name.node, names.iter().copied()) {
                            Some(near) => d.with_help(format!("did you mean `std/{near}`?")),
                            None => d.with_help(format!(
                                "the standard library has: {}",
                                names
                                    .iter()
                                    .map(|n| format!("std/{n}"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        };
                        self.diagnostics.push(d);
                        None
                    }
                }
            }
            UseTarget::Path(path) => self.locate_file(from, &path.node, path.span),
        }
    }

    /// Find (loading if new) the file `use "written"` names in `from`. Modules are one
    /// per loader key, so a file reached by several paths (or also named as a root) is
    /// loaded once.
    fn locate_file(&mut self, from: FileId, written: &str, span: Span) -> Option<FileId> {
        let file = self.sources.get(from);
        let (Origin::File(from_path), Some(from_key)) = (&file.origin, &file.key) else {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::UseNotFound,
                    "a standard-library module cannot use a file",
                    span,
                    "file path in std module",
                )
                .with_help("standard-library modules may only use `std/...` modules"),
            );
            return None;
        };
        let shown = normalize(&from_path.parent().unwrap_or(Path::new("")).join(written));
        let located = self.loader.locate(from_key, written).and_then(|key| {
            match self.sources.find_key(&key) {
                Some(id) => Ok(Ok(id)),
                None => self.loader.read(&key).map(|text| Err((key, text))),
            }
        });
        let reason = match located {
            Ok(Ok(id)) => return Some(id),
            Ok(Err((key, text))) => {
                let name = self.loader.display_name(&key);
                let id = self.sources.add_keyed(Origin::File(shown), text, key);
                if let Some(name) = name {
                    self.sources.set_name(id, name);
                }
                return Some(id);
            }
            Err(LoadFailure::Refused { reason, help }) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::UseRefused,
                        format!("`use` may not read `{written}`: {reason}"),
                        span,
                        "refused",
                    )
                    .with_help(help),
                );
                return None;
            }
            Err(LoadFailure::NotFound) => "no such file".to_owned(),
            Err(LoadFailure::Unreadable(reason)) => reason,
        };
        self.diagnostics.push(
            Diagnostic::new(
                Code::UseNotFound,
                format!("cannot use `{written}`: {reason}"),
                span,
                format!("looked for `{}`", shown.display()),
            )
            .with_help("paths in `use \"...\"` are relative to the file that contains the `use`"),
        );
        None
    }
}

/// Every `use` of a file with the namespace it stands in (`namespace N;` or a block).
fn collect_uses(file: &ast::File) -> Vec<(UseTarget, Span, Option<String>)> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for item in &file.items {
        match &item.kind {
            ItemKind::NamespaceDecl { name } => current = Some(name.node.clone()),
            ItemKind::NamespaceBlock {
                name,
                items,
                external: false,
            } => {
                for inner in items {
                    if let ItemKind::Use(target) = &inner.kind {
                        out.push((target.clone(), inner.span, Some(name.node.clone())));
                    }
                }
            }
            ItemKind::Use(target) => out.push((target.clone(), item.span, current.clone())),
            _ => {}
        }
    }
    out
}

/// The name a used file is shown by: `.` and `..` resolved lexically (only for the
/// name: which file it is, the loader decides). A `..` cancels the component before it
/// unless that is a `..` too (or nothing), so `../../x` stays `../../x`.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

//! What the language server knows about a program, computed from one
//! [`crate::compile`] result: the symbol index (`symbols`), hover text from the plan
//! (`hover`), completion candidates (`complete`), rename edits (`renaming`) and editor
//! positions (`lines`). Pure like the rest of the library: the binary's `cli::lsp`
//! owns the protocol, the open documents and the disk, and hands in a compilation
//! and the loader it used.
//!
//! Incremental where it pays: the parsed tree of each file is kept with its text and
//! reused by the next analysis when the text has not changed, and the plan of the
//! last compilation without errors is kept for hover while the program has errors.

mod complete;
mod hover;
pub mod lines;
mod renaming;
pub mod symbols;

use std::sync::Arc;

use rustc_hash::FxHashMap;

pub use complete::{Completion, CompletionKind, KEYWORDS};
pub use hover::Hover;
use symbols::Index;

use crate::ast;
use crate::compile::Compilation;
use crate::diagnostic::Diagnostics;
use crate::lower::Plan;
use crate::source::{FileId, Loader, Origin, Sources, Span};

/// Parsed files by id, each with the text it was parsed from.
type Trees = FxHashMap<FileId, (String, ast::File)>;

/// One analysed state of the workspace.
#[derive(Debug)]
pub struct Analysis {
    pub sources: Sources,
    pub diagnostics: Diagnostics,
    /// This compilation's plan, or the last one without errors (see `stale`).
    plan: Option<Arc<Plan>>,
    /// `plan` comes from an earlier compilation: this one has errors.
    stale: bool,
    pub index: Index,
    trees: Trees,
}

impl Analysis {
    /// Analyse `compilation`, which read `use` targets through `loader`. `previous`
    /// lends its parsed trees (for unchanged texts) and its plan (while this one has
    /// errors).
    pub fn new(
        compilation: Compilation,
        loader: &dyn Loader,
        previous: Option<Analysis>,
    ) -> Analysis {
        let Compilation {
            sources,
            diagnostics,
            plan,
            ..
        } = compilation;
        let (mut old_trees, old_plan) = match previous {
            Some(old) => (old.trees, old.plan),
            None => (Trees::default(), None),
        };
        let mut trees = Trees::default();
        for (id, file) in sources.iter() {
            let tree = match old_trees.remove(&id) {
                Some((text, tree)) if text == file.text => tree,
                _ => crate::syntax::parse(id, &file.text, &mut Diagnostics::new()),
            };
            trees.insert(id, (file.text.clone(), tree));
        }
        let files: Vec<(FileId, &ast::File)> = sources
            .iter()
            .filter_map(|(id, _)| trees.get(&id).map(|(_, tree)| (id, tree)))
            .collect();
        let index = Index::build(&sources, &files, loader);
        let stale = plan.is_none();
        let plan = plan.map(Arc::new).or(old_plan);
        Analysis {
            sources,
            diagnostics,
            plan,
            stale,
            index,
            trees,
        }
    }

    /// The plan hover reads, and whether it is from an earlier compilation.
    pub fn plan(&self) -> Option<(&Plan, bool)> {
        self.plan.as_deref().map(|plan| (plan, self.stale))
    }

    /// The declaration of the name at `offset` (the module file of a `use`).
    pub fn definition(&self, file: FileId, offset: u32) -> Option<Span> {
        if let Some(occurrence) = self.index.occurrence_at(file, offset) {
            return Some(self.index.symbols[occurrence.symbol].definition);
        }
        let module = self.index.use_at(file, offset)?.module?;
        Some(Span::new(module, 0, 0))
    }

    /// Every place the name at `offset` is written, its declaration first when
    /// `with_declaration`, else without it.
    pub fn references(&self, file: FileId, offset: u32, with_declaration: bool) -> Vec<Span> {
        let Some(occurrence) = self.index.occurrence_at(file, offset) else {
            return Vec::new();
        };
        let symbol = &self.index.symbols[occurrence.symbol];
        let mut spans = self.index.occurrences_of(occurrence.symbol);
        spans.retain(|&s| s != symbol.definition);
        if with_declaration {
            spans.insert(0, symbol.definition);
        }
        spans
    }

    /// Whether `file` is a standard-library module (never edited).
    pub fn is_std(&self, file: FileId) -> bool {
        self.sources
            .try_get(file)
            .is_some_and(|f| matches!(f.origin, Origin::Std(_)))
    }

    /// The text of a span (empty when it does not lie in its file).
    pub fn text(&self, span: Span) -> &str {
        self.sources
            .try_get(span.file)
            .and_then(|f| f.text.get(span.range()))
            .unwrap_or("")
    }
}

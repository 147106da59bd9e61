//! Resolution: from the parsed files of one program to the checked [`Program`]. Loads
//! `use`d modules (each once, cycles diagnosed), collects declarations into one scope
//! per namespace plus a global scope, resolves every reference, checks every value and
//! cross-namespace consent, and assembles the IR. Collects every error and carries on;
//! never stops at the first. Must never know anything about Kubernetes objects.

mod collect;
mod declaration_checks;
mod declarations;
mod modules;
mod needs;
mod overlap;
mod program;
pub mod value_checks;

use rustc_hash::FxHashMap;

use crate::diagnostic::Diagnostics;
use crate::ir::{self, Program};
use crate::source::{FileId, Loader, Sources};
use declarations::Declarations;

/// Resolve and check the program made of `roots`; modules named by `use` are loaded
/// through `loader` and added to `sources`. Returns `None` only when nothing usable
/// could be built; callers must still look at `diagnostics` for errors.
pub fn resolve(
    sources: &mut Sources,
    roots: &[FileId],
    loader: &dyn Loader,
    diagnostics: &mut Diagnostics,
) -> Option<Program> {
    let loaded = modules::load_all(sources, roots, loader, diagnostics);
    let decls = collect::collect(loaded, diagnostics);
    let mut resolver = Resolver {
        decls,
        prior_errors: diagnostics.has_errors(),
        errors: Vec::new(),
        group_cache: FxHashMap::default(),
    };
    resolver.check_namespaces_exist();
    let program = resolver.build_program();
    if let Some(program) = &program {
        resolver.errors.extend(overlap::warnings(program));
    }
    for d in resolver.errors.drain(..) {
        diagnostics.push(d);
    }
    program
}

pub(crate) struct Resolver {
    pub decls: Declarations,
    pub prior_errors: bool,
    pub errors: Vec<crate::diagnostic::Diagnostic>,
    /// Expanded groups, by declaration.
    pub group_cache: FxHashMap<usize, Vec<ir::Endpoint>>,
}

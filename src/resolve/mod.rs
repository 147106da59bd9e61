//! Resolution: from the parsed files of one program to the checked [`Program`]. Loads
//! `use`d modules (each once, cycles diagnosed), collects declarations into one scope
//! per namespace plus a global scope, resolves every reference, checks every value and
//! cross-namespace consent, and assembles the IR. Collects every error and carries on;
//! never stops at the first. Must never know anything about Kubernetes objects.

mod assemble;
pub mod cluster_settings;
mod collect;
mod declaration_checks;
mod declarations;
mod ids;
mod modules;
mod namespace_sets;
mod need_checks;
mod overlap;
mod port_checks;
mod references;
mod selected_checks;
pub mod value_checks;
mod warnings;

use crate::diagnostic::Diagnostics;
use crate::ir::Program;
use crate::source::{FileId, Loader, Sources};

/// Resolve and check the program made of `roots`; modules named by `use` are loaded
/// through `loader` and added to `sources`. Returns `None` only when nothing usable
/// could be built; callers must still look at `diagnostics` for errors.
///
/// Each stage reads what the earlier ones produced and pushes into `diagnostics`:
/// load (`modules`) → declarations (`collect`) → ids (`ids`) → references
/// (`references`) → needs that pass the port, end and consent checks (`need_checks`, `port_checks`) →
/// the IR (`assemble`) → warnings.
pub fn resolve(
    sources: &mut Sources,
    roots: &[FileId],
    loader: &dyn Loader,
    diagnostics: &mut Diagnostics,
) -> Option<Program> {
    let loaded = modules::load_all(sources, roots, loader, diagnostics);
    let mut decls = collect::collect(loaded, diagnostics);
    collect::check_guard(&decls, diagnostics);
    let tables = ids::Tables::new(&decls);
    // The needs' syntax is read by nothing after its checks: `references` frees each
    // statement's as soon as it is checked, so the syntax and the needs built from it
    // are never both whole.
    let needs = std::mem::take(&mut decls.needs);
    let applications = references::module_applications(&decls);
    let most = references::most_needs(&needs, &applications);
    let mut checker = need_checks::NeedChecker::new(&decls, &tables, most);
    let resolved = references::resolve(
        &decls,
        needs,
        &applications,
        &tables,
        diagnostics,
        |exports, statement, diagnostics| checker.statement(exports, statement, diagnostics),
    );
    let checked = checker.finish();
    let exports = resolved.exports;
    let program = assemble::assemble(
        decls,
        &tables,
        checked.needs,
        resolved.isolations,
        diagnostics,
    );
    // Reported with or without errors, as they always were.
    namespace_sets::every_namespace_warnings(&program, diagnostics);
    for d in overlap::warnings(&program) {
        diagnostics.push(d);
    }
    if !diagnostics.has_errors() {
        for d in warnings::warnings(&program, &exports, &checked.used_exports) {
            diagnostics.push(d);
        }
        for d in selected_checks::warnings(&program) {
            diagnostics.push(d);
        }
    }
    Some(program)
}

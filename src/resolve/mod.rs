//! Name resolution and checks (placeholder).

use crate::diagnostic::Diagnostics;
use crate::ir::Program;
use crate::source::{FileId, Loader, Sources};

pub fn resolve(
    _sources: &mut Sources,
    _roots: &[FileId],
    _loader: &dyn Loader,
    _diagnostics: &mut Diagnostics,
) -> Option<Program> {
    None
}

//! Helpers shared by the integration tests.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use netpc::diagnostic::{Code, Diagnostics};
use netpc::ir::Program;

/// Codes no valid program can trigger, with the reason. E320: every generated name is
/// built from DNS labels of at most 63 characters and shortened when too long, so no
/// name can exceed the limit; the check stays as a guard in lowering.
pub const UNREACHABLE_CODES: &[Code] = &[Code::GeneratedNameTooLong];

/// The diagnostics lowering adds for a checked program.
pub fn lower_diagnostics(program: &Program) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let _ = netpc::lower::plan(
        program.clone(),
        netpc::lower::Options::default(),
        &mut diagnostics,
    );
    diagnostics
}

/// Every file under `dir` with its content, by `/`-separated relative path.
pub fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(e.path()).unwrap())
        })
        .collect()
}

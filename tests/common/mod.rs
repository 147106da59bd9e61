//! Helpers shared by the integration tests.

#![allow(dead_code, clippy::unwrap_used)]

use netpc::diagnostic::{Code, Diagnostics};
use netpc::ir::Program;

/// Codes no valid program can trigger, with the reason. E320: every generated name is
/// built from DNS labels of at most 63 characters and shortened when too long, so no
/// name can exceed the limit; the check stays as a guard in lowering.
pub const NOT_YET_EMITTED: &[Code] = &[Code::GeneratedNameTooLong];

/// The diagnostics lowering adds for a checked program.
pub fn lower_diagnostics(program: &Program) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let _ = netpc::lower::plan(program, netpc::lower::Options::default(), &mut diagnostics);
    diagnostics
}

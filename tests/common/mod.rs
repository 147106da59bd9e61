//! Helpers shared by the integration tests.

#![allow(dead_code, clippy::unwrap_used)]

use netpc::diagnostic::{Code, Diagnostics};
use netpc::ir::Program;

/// Codes only lowering can emit, until lowering is part of the test pipeline.
pub const NOT_YET_EMITTED: &[Code] = &[
    Code::BroaderGrant,
    Code::GeneratedNameTooLong,
    Code::GeneratedNameCollision,
];

/// The diagnostics lowering adds for a checked program.
pub fn lower_diagnostics(_program: &Program) -> Diagnostics {
    Diagnostics::new()
}

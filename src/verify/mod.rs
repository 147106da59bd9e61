//! `netpc verify`: the proof that compiled manifests allow exactly the connections a
//! program declares. The expected side ([`expected`]) is computed from the IR alone;
//! the actual side evaluates the compiled NetworkPolicy objects with the independent
//! evaluator (`analyze`) on probe pods built from the label contract (`probe`). The
//! comparison ([`compare`]) is per ordered pair of probes and sample addresses, as
//! connection sets over every port of TCP, UDP and SCTP. Pure: the CLI reads folders and
//! prints. It must never compute an expectation from `lower`'s plan or objects; `lower`
//! and `emit` are only used ([`compiled`]) to produce the manifests being verified.
//!
//! # Library API
//!
//! ```text
//! let manifests = verify::compiled(&program, lower_options)?;      // or verify::manifests::read(files)?
//! let report = verify::verify(&program, &manifests, verify::Options { enforcement: None })?;
//! report.matches();                                               // exit status 0 / 1
//! print!("{}", verify::render(&report, &program, &sources));
//! // the expected side alone, for diff/graph/explain:
//! let model = verify::Expectation::new(&program, None);
//! for src in model.pods() { for dst in model.pods() { model.between(src, dst).declared; } }
//! ```

pub mod compare;
pub mod expected;
pub mod manifests;
pub mod report;
pub mod samples;

pub use compare::{Finding, FindingKind, Involved, Involvement, Options, Report, verify};
pub use expected::{Expectation, Expected, PodRole, Point};
pub use manifests::Manifests;
pub use report::{json, render};

use crate::diagnostic::Diagnostics;
use crate::ir::Program;

/// Compile `program` in memory (`lower` + `emit`, as `netpc build` does) and read the
/// result as verify reads an output folder. `Err`: lowering reported errors (returned)
/// or emitting failed (a bug).
pub fn compiled(
    program: &Program,
    options: crate::lower::Options,
) -> Result<Manifests, CompileError> {
    let mut diagnostics = Diagnostics::new();
    let plan = crate::lower::plan(program, options, &mut diagnostics);
    if diagnostics.has_errors() {
        return Err(CompileError::Diagnostics(diagnostics));
    }
    let files = crate::emit::files(&plan).map_err(|e| CompileError::Internal(e.to_string()))?;
    manifests::read(files.iter().map(|f| (f.path.as_str(), f.text.as_str())))
        .map_err(|e| CompileError::Internal(e.to_string()))
}

/// Why a program could not be compiled for verification.
#[derive(Debug)]
pub enum CompileError {
    /// Lowering errors (E320, E321).
    Diagnostics(Diagnostics),
    /// Emitting or re-reading the output failed: a bug in netpc.
    Internal(String),
}

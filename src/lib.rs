//! netpc: a compiler for network policy as code. The library is pure: it takes source
//! texts (and a [`source::Loader`] for `use "file"`) and returns data plus diagnostics.
//! Every read and write of the file system and the terminal is in the binary
//! (`src/main.rs` and its `cli` module), which the library cannot reach; a tidy test
//! checks that the library names no file-system, process or terminal API.
//!
//! Pipeline: `syntax` (pest) → `ast` → `resolve` (names, scopes, values) → `ir` →
//! `lower` → Kubernetes objects → `emit` (text of the output files). `analyze` is an
//! independent evaluator of NetworkPolicy semantics that shares no code with `lower`.

pub mod analyze;
pub mod ast;
pub mod cni;
pub mod compile;
pub mod diagnostic;
pub mod emit;
pub mod fmt;
pub mod ide;
pub mod import;
pub mod insight;
pub mod ir;
pub mod kit;
pub mod lower;
pub mod output;
pub mod probe;
pub mod render;
pub mod resolve;
pub mod source;
pub mod stdlib;
pub mod syntax;
pub mod verify;
pub mod workloads;

pub use compile::{Compilation, compile};
use diagnostic::Diagnostics;
use source::{FileId, Loader, Sources};

/// Parse, resolve and check a program made of the files `roots` (already in
/// `sources`); files named by `use` are added to `sources` as they are loaded.
/// Returns the checked program when there is no error. This is the front half of
/// [`compile()`], for tests and tools that need no plan; commands use `compile`.
pub fn check(
    sources: &mut Sources,
    roots: &[FileId],
    loader: &dyn Loader,
) -> (Option<ir::Program>, Diagnostics) {
    let mut diagnostics = Diagnostics::new();
    let program = resolve::resolve(sources, roots, loader, &mut diagnostics);
    let program = if diagnostics.has_errors() {
        None
    } else {
        program
    };
    (program, diagnostics)
}

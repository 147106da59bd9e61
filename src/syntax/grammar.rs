//! The pest parser generated from `grammar/netp.pest`, and nothing else: the `Rule`
//! enum and `NetpParser`. Must never hold AST building or diagnostics (see `build`,
//! `explain`).

use pest_derive::Parser;

/// The generated parser. Only `syntax` calls it. The `///` docs of the grammar become
/// the docs of the `Rule` variants.
#[derive(Parser)]
#[grammar = "grammar/netp.pest"]
pub(crate) struct NetpParser;

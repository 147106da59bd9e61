//! The pest parser generated from `grammar/netp.pest`, and nothing else: the `Rule`
//! enum and `NetpParser`. Must never hold AST building or diagnostics (see `build`,
//! `explain`).

#![allow(missing_docs, reason = "rule docs come from the grammar file")]

use pest_derive::Parser;

/// The generated parser. Only `syntax` calls it.
#[derive(Parser)]
#[grammar = "grammar/netp.pest"]
pub(crate) struct NetpParser;

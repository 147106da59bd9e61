//! Parsing `.netp` text into the AST. Owns the grammar (`grammar/netp.pest`), the
//! brace pre-scan that keeps pest's recursion bounded, the builders that turn pest
//! pairs into [`ast`] nodes, and the syntax diagnostics (E100-E105). Must never
//! resolve names or judge values (an upper-case name, port `0` or a bad CIDR parse
//! fine and are diagnosed by `resolve`), and must never fail: every item that could be
//! read is returned.
//!
//! Steps: `prescan` (braces: E101, E103) → pest (`grammar`, with recovery rules) →
//! `build` and `values` (pairs to AST) → `explain` (skipped regions to E100/E105).

mod build;
mod expected;
mod explain;
mod grammar;
mod prescan;
mod values;

use pest::Parser;

use crate::ast;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Span};
use build::Builder;
use grammar::{NetpParser, Rule};

pub use prescan::MAX_DEPTH;

/// Parse one file. Never fails: syntax errors become diagnostics and the items that
/// could be read are returned.
pub fn parse(file: FileId, text: &str, diagnostics: &mut Diagnostics) -> ast::File {
    if let Some(at) = text.find('\0') {
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidEncoding,
                "file is not text",
                Span::new(file, at, at + 1),
                "NUL byte here",
            )
            .with_help("netp files are UTF-8 text; is this a binary file?"),
        );
        return ast::File::default();
    }
    let scanned = prescan::prescan(file, text, diagnostics);
    let mut builder = Builder {
        file,
        source_len: text.len(),
        text: &scanned.text,
        diagnostics,
        errors: 0,
    };
    match NetpParser::parse(Rule::file, &scanned.text) {
        Ok(mut pairs) => match pairs.next() {
            Some(pair) => builder.build_file(pair),
            None => ast::File::default(),
        },
        // The recovery rules make `file` accept any text; if that ever fails, say so
        // rather than lose the file silently.
        Err(error) => {
            let at = match error.location {
                pest::error::InputLocation::Pos(p) | pest::error::InputLocation::Span((p, _)) => p,
            };
            builder.diagnostics.push(
                Diagnostic::new(
                    Code::SyntaxError,
                    "this file could not be read",
                    builder.span_at(at, at),
                    "the parser stopped here",
                )
                .with_help("this is a bug in netpc; please report it with the file"),
            );
            ast::File::default()
        }
    }
}

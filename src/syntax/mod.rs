//! Parsing `.netp` text into the AST. Owns the grammar (`grammar/netp.pest`), the
//! brace pre-scan that keeps pest's recursion bounded, the builders that turn pest
//! pairs into [`ast`] nodes, and the syntax diagnostics (E100-E105). Must never
//! resolve names or judge values (an upper-case name, port `0` or a bad CIDR parse
//! fine and are diagnosed by `resolve`), and must never fail: every item that could be
//! read is returned.
//!
//! Steps: `prescan` (braces: E101, E103; where to cut the text) → pest (`grammar`,
//! with recovery rules, one slice of about 16 KiB of whole top-level items per call so
//! the token queue stays small) →
//! `build` and `values` (pairs to AST) → `explain` (skipped regions to E100/E105).
//!
//! Invariants: pest never sees braces nested deeper than [`MAX_DEPTH`]; every span
//! handed out lies inside `text` (braces the pre-scan appends are clamped away); the
//! work is linear in the size of the text (a broken region is re-parsed at most twice,
//! only for the first 50 errors of a file).
//!
//! The lossless view for the formatter ([`concrete`] and [`trivia`]) is separate:
//! `parse` builds no trivia, so `check` and `build` do not pay for it.

mod ast_build;
mod failure;
mod grammar;
mod prescan;
mod rule_words;
pub mod trivia;
mod values;

use pest::Parser;
use pest::iterators::Pair;

use crate::ast;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Span};
use ast_build::Builder;
use grammar::NetpParser;
pub(crate) use grammar::Rule;

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
        offset: 0,
        in_unclosed_service: false,
        missing_close_before: None,
    };
    let mut items = Vec::new();
    let ends = scanned.cuts.iter().copied().chain([scanned.text.len()]);
    let mut start = 0;
    for end in ends {
        let slice = scanned.text.get(start..end).unwrap_or("");
        match NetpParser::parse(Rule::file, slice).map(|mut pairs| pairs.next()) {
            Ok(Some(pair)) => items.extend(builder.build_slice(pair, start)),
            // The recovery rules make `file` accept any text; if that ever fails, say
            // so rather than lose the items silently.
            Ok(None) | Err(_) => builder.diagnostics.push(
                Diagnostic::new(
                    Code::SyntaxError,
                    "this part of the file could not be read",
                    builder.span_at(start, end),
                    "the parser gave up here",
                )
                .with_help("this is a bug in netpc; please report it with the file"),
            ),
        }
        start = end;
    }
    if let Some(mut unclosed) = scanned.unclosed {
        if let Some(item) = builder.missing_close_before {
            unclosed = unclosed
                .with_secondary(item, "the `}` probably belongs before this")
                .with_help("add the `}` that closes the service before this item");
        }
        builder.diagnostics.push(unclosed);
    }
    ast::File { items }
}

/// The concrete syntax of a file that [`parse`] read without errors: the `file` pair
/// of the whole text, parsed in one call (the formatter needs every top-level item at
/// once; `parse` bounded the nesting depth). Every token keeps its text and span;
/// what lies between two tokens is trivia ([`trivia::gap`]). `None` only for text
/// with syntax errors.
pub(crate) fn concrete(text: &str) -> Option<Pair<'_, Rule>> {
    NetpParser::parse(Rule::file, text).ok()?.next()
}

//! `netpc fmt`: the one canonical layout of a `.netp` file. Pure: text in, text out.
//! Works from the concrete syntax (`syntax::concrete`: pest pairs, every token with
//! its text and span) and the trivia between tokens (`syntax::trivia`: comments,
//! blank lines), so the parse that `check` and `build` run keeps no trivia and pays
//! nothing. Changes only the space between tokens (and drops a trailing comma in a
//! port set); checks its own output (the same syntax tree, the same comments in the
//! same order) before returning it. Owns the style (docs/fmt.md): `writer` places
//! tokens and comments, `items` and `values` lay out one construct per function.
//! Must never format text with syntax errors (the diagnostics are returned instead).

mod items;
mod values;
mod writer;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Span};
use crate::syntax::{self, trivia};

/// Format one file. `file` names the file in the spans of the diagnostics. Returns
/// the formatted text (equal to `source` when it is already formatted), or, when
/// `source` has syntax errors, their diagnostics (only errors of the syntax: names
/// and values are not checked).
pub fn format(file: FileId, source: &str) -> Result<String, Diagnostics> {
    let mut diagnostics = Diagnostics::new();
    let before = syntax::parse(file, source, &mut diagnostics);
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    let Some(tree) = syntax::concrete(source) else {
        return Err(not_formatted(file, "the file could not be read again"));
    };
    let mut writer = writer::Writer::new(source);
    items::fmt_file(&mut writer, tree);
    let text = writer.finish();
    let mut again = Diagnostics::new();
    let after = syntax::parse(file, &text, &mut again);
    if again.has_errors() || after != before {
        return Err(not_formatted(file, "formatting would change the program"));
    }
    if trivia::comments(&text) != trivia::comments(source) {
        return Err(not_formatted(
            file,
            "formatting would move or lose a comment",
        ));
    }
    Ok(text)
}

/// The formatter's own check failed: a bug, reported instead of a wrong file.
fn not_formatted(file: FileId, why: &str) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    diagnostics.push(
        Diagnostic::new(
            Code::SyntaxError,
            format!("netpc fmt cannot format this file: {why}"),
            Span::new(file, 0, 0),
            "the file is left as it is",
        )
        .with_help("this is a bug in netpc fmt; please report it with the file"),
    );
    diagnostics
}

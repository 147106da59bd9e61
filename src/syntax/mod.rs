//! Parsing `.netp` text into the AST (placeholder until the pest parser lands).

use crate::ast;
use crate::diagnostic::Diagnostics;
use crate::source::FileId;

/// Parse one file. Never fails: syntax errors become diagnostics and the items that
/// could be read are returned.
pub fn parse(_file: FileId, _text: &str, _diagnostics: &mut Diagnostics) -> ast::File {
    ast::File::default()
}

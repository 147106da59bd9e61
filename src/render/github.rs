//! `--message-format github`: diagnostics as GitHub Actions workflow commands
//! (`::error file=netp/grid.netp,line=12,col=5,endLine=12,endColumn=9,title=E204::...`),
//! which the runner turns into annotations on the pull request's lines. Escapes data
//! and properties as the runner unescapes them.

use std::fmt::Write as _;

use super::{JsonDiagnostic, json_diagnostic};
use crate::diagnostic::Diagnostics;
use crate::source::Sources;

/// One workflow command per diagnostic, each on its own line.
pub fn github(sources: &Sources, diagnostics: &Diagnostics) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        out.push_str(&command(&json_diagnostic(sources, diagnostic)));
        out.push('\n');
    }
    out
}

/// `::error file=...,line=...::message` for one diagnostic.
fn command(diagnostic: &JsonDiagnostic) -> String {
    let span = &diagnostic.span;
    let mut properties = Vec::new();
    if !span.file.is_empty() {
        properties.push(format!("file={}", escape_property(&span.file)));
        properties.push(format!("line={}", span.start.line));
        properties.push(format!("col={}", span.start.column));
        properties.push(format!("endLine={}", span.end.line));
        properties.push(format!("endColumn={}", span.end.column));
    }
    properties.push(format!("title={}", escape_property(diagnostic.code)));
    format!(
        "::{} {}::{}",
        diagnostic.severity,
        properties.join(","),
        escape_data(&message(diagnostic))
    )
}

/// The annotation's text: the message, the primary label, the other labels with their
/// positions, the notes and the help line.
fn message(diagnostic: &JsonDiagnostic) -> String {
    let mut text = diagnostic.message.clone();
    for label in &diagnostic.labels {
        if label.message.is_empty() {
            continue;
        }
        if label.primary {
            let _ = write!(text, "\n{}", label.message);
        } else {
            let _ = write!(
                text,
                "\n{}:{}:{}: {}",
                label.span.file, label.span.start.line, label.span.start.column, label.message
            );
        }
    }
    for note in &diagnostic.notes {
        let _ = write!(text, "\nnote: {note}");
    }
    if let Some(help) = &diagnostic.help {
        let _ = write!(text, "\nhelp: {help}");
    }
    text
}

/// The command's message: `%`, CR and LF encoded (the runner decodes them).
pub fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// A property value: as [`escape_data`], and `:` and `,`, which end a value.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_and_properties_are_escaped_as_the_runner_decodes_them() {
        assert_eq!(escape_data("100%\r\nnext: a, b"), "100%25%0D%0Anext: a, b");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}

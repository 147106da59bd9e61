//! Rendering diagnostics for people (codespan-reporting, rustc style) and for tools
//! (JSON Lines). The only module that touches codespan-reporting. Never decides what
//! is an error: it prints what the stages reported. Output is bounded in both formats
//! by one rule ([`shown`]): at most [`MAX_PER_CODE`] diagnostics of one code per file,
//! then one summary of how many were left out; and a source line longer than
//! [`excerpt::MAX_LINE`] bytes is cut around its labels (`excerpt`).

mod excerpt;

pub mod github; // GitHub Actions workflow commands
pub mod sarif; // SARIF 2.1.0 logs

use std::io::Write;
use std::ops::Range;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, Config, Styles, StylesWriter, termcolor};
use serde::Serialize;

use crate::diagnostic::{Code, Diagnostic, Diagnostics, Label, Severity};
use crate::source::{FileId, Sources, Span};

impl<'a> Files<'a> for Sources {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        self.try_get(id)
            .map(|f| f.name.as_str())
            .ok_or(FilesError::FileMissing)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        self.try_get(id)
            .map(|f| f.text.as_str())
            .ok_or(FilesError::FileMissing)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        let file = self.try_get(id).ok_or(FilesError::FileMissing)?;
        Ok(file
            .line_starts()
            .partition_point(|&start| start <= byte_index)
            .saturating_sub(1))
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, FilesError> {
        let file = self.try_get(id).ok_or(FilesError::FileMissing)?;
        let starts = file.line_starts();
        let start = *starts.get(line_index).ok_or(FilesError::LineTooLarge {
            given: line_index,
            max: starts.len().saturating_sub(1),
        })?;
        let end = starts
            .get(line_index + 1)
            .copied()
            .unwrap_or(file.text.len());
        Ok(start..end)
    }
}

fn to_codespan(diagnostic: &Diagnostic) -> cs::Diagnostic<FileId> {
    let severity = match diagnostic.severity() {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let label = |style, label: &Label| {
        cs::Label::new(style, label.span.file, label.span.range()).with_message(&label.message)
    };
    let mut labels = vec![label(cs::LabelStyle::Primary, &diagnostic.primary)];
    labels.extend(
        diagnostic
            .secondary
            .iter()
            .map(|l| label(cs::LabelStyle::Secondary, l)),
    );
    let mut notes = diagnostic.notes.clone();
    if let Some(help) = &diagnostic.help {
        notes.push(format!("help: {help}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(diagnostic.code.as_str())
        .with_message(&diagnostic.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// At most this many diagnostics of one code are shown for one file (the file of
/// their primary label); the rest are counted in one summary.
pub const MAX_PER_CODE: usize = 100;

/// Diagnostics of one code in one file that were left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Omitted {
    pub file: FileId,
    pub code: Code,
    pub count: usize,
}

/// What both formats show of `diagnostics` (in their order): the first
/// [`MAX_PER_CODE`] of each code in each file, and what was left out, by file and code.
pub fn shown(diagnostics: &Diagnostics) -> (Vec<&Diagnostic>, Vec<Omitted>) {
    let mut seen: std::collections::BTreeMap<(FileId, Code), usize> = Default::default();
    let mut kept = Vec::new();
    for diagnostic in diagnostics {
        let count = seen
            .entry((diagnostic.primary.span.file, diagnostic.code))
            .or_default();
        *count += 1;
        if *count <= MAX_PER_CODE {
            kept.push(diagnostic);
        }
    }
    let omitted = seen
        .into_iter()
        .filter(|&(_, count)| count > MAX_PER_CODE)
        .map(|((file, code), count)| Omitted {
            file,
            code,
            count: count - MAX_PER_CODE,
        })
        .collect();
    (kept, omitted)
}

fn file_name(sources: &Sources, file: FileId) -> &str {
    sources.try_get(file).map_or("", |f| f.name.as_str())
}

/// Renders one diagnostic, its long lines cut (see `excerpt`).
fn emit(
    buffer: &mut termcolor::Buffer,
    sources: &Sources,
    diagnostic: &cs::Diagnostic<FileId>,
) -> bool {
    let styles = Styles::default();
    let mut writer = StylesWriter::new(buffer, &styles);
    let config = Config::default();
    if excerpt::needed(sources, diagnostic) {
        let (files, moved) = excerpt::Excerpt::new(sources, diagnostic);
        term::emit_to_write_style(&mut writer, &config, &files, &moved).is_ok()
    } else {
        term::emit_to_write_style(&mut writer, &config, sources, diagnostic).is_ok()
    }
}

/// The rustc-style text of the diagnostics [`shown`], a note for each code and file
/// with diagnostics left out, and the summary line counting all of them, as bytes
/// (with ANSI colour codes when `color`).
pub fn human(sources: &Sources, diagnostics: &Diagnostics, color: bool) -> Vec<u8> {
    let mut buffer = if color {
        termcolor::Buffer::ansi()
    } else {
        termcolor::Buffer::no_color()
    };
    let (kept, omitted) = shown(diagnostics);
    for diagnostic in kept {
        // A span outside its file can only come from a bug; print the message anyway.
        if !emit(&mut buffer, sources, &to_codespan(diagnostic)) {
            let _ = writeln!(
                buffer,
                "{}[{}]: {}",
                diagnostic.severity().as_str(),
                diagnostic.code.as_str(),
                diagnostic.message
            );
        }
    }
    for left_out in omitted {
        let note = cs::Diagnostic::note().with_message(format!(
            "{} more {} {}{} in {} not shown (at most {MAX_PER_CODE} of each code per file)",
            left_out.count,
            left_out.code.as_str(),
            left_out.code.severity().as_str(),
            if left_out.count == 1 { "" } else { "s" },
            file_name(sources, left_out.file),
        ));
        emit(&mut buffer, sources, &note);
    }
    if let Some(line) = summary(diagnostics) {
        let _ = writeln!(buffer, "{line}");
    }
    buffer.into_inner()
}

/// Source lines with labels under a `note:` heading, rustc style, without a code:
/// how `netpc explain` shows the `.netp` lines behind a connection. Labels are
/// (span, message, primary).
pub fn note(
    sources: &Sources,
    message: &str,
    labels: &[(Span, String, bool)],
    notes: &[String],
    color: bool,
) -> Vec<u8> {
    let mut buffer = if color {
        termcolor::Buffer::ansi()
    } else {
        termcolor::Buffer::no_color()
    };
    let labels = labels
        .iter()
        .map(|(span, text, primary)| {
            let style = if *primary {
                cs::LabelStyle::Primary
            } else {
                cs::LabelStyle::Secondary
            };
            cs::Label::new(style, span.file, span.range()).with_message(text)
        })
        .collect();
    let diagnostic = cs::Diagnostic::note()
        .with_message(message)
        .with_labels(labels)
        .with_notes(notes.to_vec());
    if !emit(&mut buffer, sources, &diagnostic) {
        let _ = writeln!(buffer, "note: {message}");
    }
    buffer.into_inner()
}

/// "2 errors, 1 warning", or `None` when there is nothing to say.
pub fn summary(diagnostics: &Diagnostics) -> Option<String> {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (diagnostics.error_count(), diagnostics.warning_count()) {
        (0, 0) => None,
        (0, w) => Some(plural(w, "warning")),
        (e, 0) => Some(plural(e, "error")),
        (e, w) => Some(format!("{}, {}", plural(e, "error"), plural(w, "warning"))),
    }
}

/// A position in a file, 1-based, column in characters.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// A region of a file in the JSON output.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct JsonSpan {
    pub file: String,
    pub byte_start: u32,
    pub byte_end: u32,
    pub start: Position,
    pub end: Position,
}

#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct JsonLabel {
    pub primary: bool,
    pub message: String,
    #[serde(flatten)]
    pub span: JsonSpan,
}

/// One diagnostic in `--message-format json` (schema documented in docs/diagnostics.md).
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub severity: &'static str,
    pub message: String,
    #[serde(flatten)]
    pub span: JsonSpan,
    pub labels: Vec<JsonLabel>,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

fn json_span(sources: &Sources, span: Span) -> JsonSpan {
    let (name, start, end) = match sources.try_get(span.file) {
        Some(file) => (
            file.name.clone(),
            file.line_col(span.start as usize),
            file.line_col(span.end as usize),
        ),
        None => (String::new(), (0, 0), (0, 0)),
    };
    JsonSpan {
        file: name,
        byte_start: span.start,
        byte_end: span.end,
        start: Position {
            line: start.0,
            column: start.1,
        },
        end: Position {
            line: end.0,
            column: end.1,
        },
    }
}

pub fn json_diagnostic(sources: &Sources, diagnostic: &Diagnostic) -> JsonDiagnostic {
    let label = |primary: bool, label: &Label| JsonLabel {
        primary,
        message: label.message.clone(),
        span: json_span(sources, label.span),
    };
    let mut labels = vec![label(true, &diagnostic.primary)];
    labels.extend(diagnostic.secondary.iter().map(|l| label(false, l)));
    JsonDiagnostic {
        code: diagnostic.code.as_str(),
        severity: diagnostic.severity().as_str(),
        message: diagnostic.message.clone(),
        span: json_span(sources, diagnostic.primary.span),
        labels,
        notes: diagnostic.notes.clone(),
        help: diagnostic.help.clone(),
    }
}

/// The last JSON line when diagnostics were left out (schema in docs/diagnostics.md).
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct JsonOmitted {
    pub file: String,
    pub code: &'static str,
    pub severity: &'static str,
    pub count: usize,
}

#[derive(Serialize, Debug, PartialEq, Eq)]
struct JsonSummary {
    errors: usize,
    warnings: usize,
    omitted: Vec<JsonOmitted>,
}

/// JSON Lines: one object per diagnostic [`shown`], each on its own line; when some
/// were left out, a last object `{"errors", "warnings", "omitted": [...]}`.
pub fn json(sources: &Sources, diagnostics: &Diagnostics) -> String {
    let mut out = String::new();
    let (kept, omitted) = shown(diagnostics);
    // Serializing plain structs of strings and numbers cannot fail.
    for diagnostic in kept {
        if let Ok(line) = serde_json::to_string(&json_diagnostic(sources, diagnostic)) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    if !omitted.is_empty() {
        let summary = JsonSummary {
            errors: diagnostics.error_count(),
            warnings: diagnostics.warning_count(),
            omitted: omitted
                .into_iter()
                .map(|o| JsonOmitted {
                    file: file_name(sources, o.file).to_owned(),
                    code: o.code.as_str(),
                    severity: o.code.severity().as_str(),
                    count: o.count,
                })
                .collect(),
        };
        if let Ok(line) = serde_json::to_string(&summary) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

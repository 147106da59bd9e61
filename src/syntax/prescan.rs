//! The brace pre-scan: one linear pass over the text, before pest runs, that skips
//! comments and strings exactly as the grammar does and tracks `{` `}` depth. It
//! reports blocks nested too deeply (E103) and blocks never closed (E101), and returns
//! the text pest may safely parse: too-deep regions blanked out (so pest's recursion
//! stays bounded whatever the input) and missing `}` appended (so the items inside an
//! unclosed block are still read). Must never build AST nodes or call pest.

use std::borrow::Cow;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Span};

/// The deepest nesting of `{ }` that is parsed; deeper regions are reported and skipped.
pub const MAX_DEPTH: usize = 64;

/// The result of the pre-scan.
pub(crate) struct Prescan<'a> {
    /// The text pest parses: same byte offsets as the source for every byte of the
    /// source; may be longer (the appended `}`), never shorter.
    pub text: Cow<'a, str>,
    /// E101, when a block is never closed: pushed by the caller once the parse has
    /// shown where the missing `}` probably belongs.
    pub unclosed: Option<Diagnostic>,
    /// Where the text may be cut into slices that pest parses one at a time: just
    /// after a `;` outside any block (so always between two top-level items), about
    /// every [`SLICE_BYTES`]. Small slices keep pest's token queue in the cache.
    pub cuts: Vec<usize>,
}

/// Roughly how many bytes pest parses in one call.
const SLICE_BYTES: usize = 16 * 1024;

/// Scan `source`, push E103 diagnostics, and return the text to parse with E101 (if
/// any) for the caller to complete.
pub(crate) fn prescan<'a>(
    file: FileId,
    source: &'a str,
    diagnostics: &mut Diagnostics,
) -> Prescan<'a> {
    let bytes = source.as_bytes();
    let mut open: Vec<usize> = Vec::new();
    // Start of the current top-level item: where a too-deep region begins.
    let mut item_start = 0;
    let mut too_deep: Option<usize> = None;
    let mut blank: Vec<(usize, usize)> = Vec::new();
    let mut cuts = Vec::new();
    let mut last_cut = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = line_end(bytes, i),
            b'"' => {
                i = string_end(bytes, i);
                continue;
            }
            b'{' => {
                open.push(i);
                if open.len() > MAX_DEPTH && too_deep.is_none() {
                    too_deep = Some(item_start);
                    diagnostics.push(nesting_too_deep(file, i));
                }
            }
            b'}' => {
                // A `}` that closes nothing is left for the grammar (`stray_close`).
                open.pop();
                if open.is_empty() {
                    if let Some(start) = too_deep.take() {
                        blank.push((start, i + 1));
                    }
                    item_start = i + 1;
                }
            }
            b';' if open.is_empty() => {
                item_start = i + 1;
                if item_start - last_cut >= SLICE_BYTES {
                    cuts.push(item_start);
                    last_cut = item_start;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if let Some(start) = too_deep {
        // The deep region runs to the end of the file: blanking it also removes the
        // unclosed braces, which are part of the same mistake.
        blank.push((start, bytes.len()));
        open.clear();
    }
    let unclosed = (!open.is_empty()).then(|| unclosed(file, source, &open));
    Prescan {
        text: patched(source, &blank, open.len()),
        unclosed,
        cuts,
    }
}

/// Position of the `\n` ending the line that `i` is on (or the end of the text).
fn line_end(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |n| i + n)
}

/// Position just after the string starting at `i`, as the grammar reads it: up to the
/// closing `"` on the same line, or, unterminated, up to the next `;` or line end.
pub(crate) fn string_end(bytes: &[u8], i: usize) -> usize {
    let rest = &bytes[i + 1..];
    let line = rest
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .unwrap_or(rest.len());
    match rest[..line].iter().position(|&b| b == b'"') {
        Some(n) => i + 1 + n + 1,
        None => {
            let stop = rest[..line].iter().position(|&b| b == b';').unwrap_or(line);
            i + 1 + stop
        }
    }
}

fn nesting_too_deep(file: FileId, at: usize) -> Diagnostic {
    Diagnostic::new(
        Code::NestingTooDeep,
        "blocks nested too deeply",
        Span::new(file, at, at + 1),
        format!("this `{{` opens block number {}", MAX_DEPTH + 1),
    )
    .with_help(format!(
        "blocks nest at most {MAX_DEPTH} deep; namespaces and services need only two levels, so look for a missing `}}` or a stray `{{`"
    ))
}

fn unclosed(file: FileId, source: &str, open: &[usize]) -> Diagnostic {
    let end = source.trim_end().len();
    let mut diagnostic = Diagnostic::new(
        Code::UnclosedBlock,
        "unclosed `{`",
        Span::new(file, end, end),
        "expected `}` before the end of the file",
    )
    .with_help("add the missing `}` where the block ends");
    // Innermost first: the block opened last is the likeliest to miss its `}`.
    for &at in open.iter().rev().take(3) {
        diagnostic =
            diagnostic.with_secondary(Span::new(file, at, at + 1), "this `{` is never closed");
    }
    diagnostic
}

/// The source with `blank` regions replaced by spaces (newlines kept, so line numbers
/// stay right) and `missing` closing braces appended on a line of their own.
fn patched<'a>(source: &'a str, blank: &[(usize, usize)], missing: usize) -> Cow<'a, str> {
    if blank.is_empty() && missing == 0 {
        return Cow::Borrowed(source);
    }
    let mut bytes = source.as_bytes().to_vec();
    for &(start, end) in blank {
        for b in &mut bytes[start..end] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    }
    if missing > 0 {
        bytes.push(b'\n');
        bytes.extend(std::iter::repeat_n(b'}', missing));
    }
    // Only whole characters were blanked or kept, and only ASCII was added.
    Cow::Owned(
        String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// Offset of the first `"` in `text` that has no closing quote on its line, skipping
/// comments as the grammar does.
pub(crate) fn unterminated_quote(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = line_end(bytes, i),
            b'"' => {
                let end = string_end(bytes, i);
                if bytes.get(end.wrapping_sub(1)) != Some(&b'"') || end == i + 1 {
                    return Some(i);
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

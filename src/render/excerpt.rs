//! Bounded source snippets: a small file set holding only the source lines one
//! diagnostic shows, each line longer than [`MAX_LINE`] bytes cut to the regions
//! around its labels, with `…` where text was left out. Line numbers and the
//! `file:line:column` locus stay those of the real file. codespan-reporting renders a
//! whole line per label, so without this a diagnostic on a 56 KB line prints 56 KB,
//! and 8,000 of them print hundreds of megabytes.

use std::collections::BTreeMap;
use std::ops::Range;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};

use crate::source::{FileId, SourceFile, Sources};

/// A source line up to this many bytes is shown whole.
pub const MAX_LINE: usize = 200;
/// Bytes shown on each side of a label on a cut line.
const CONTEXT: usize = 40;
/// At most this many bytes of a label are shown on a cut line.
const MAX_LABEL: usize = 80;
const ELLIPSIS: &str = "…";

/// One shown part of a cut line: where it starts in the real file and in the excerpt.
#[derive(Clone, Copy, Debug)]
struct Segment {
    original: usize,
    excerpt: usize,
    len: usize,
}

#[derive(Debug)]
struct Line {
    /// The line's range in the excerpt text.
    range: Range<usize>,
    /// The line's start in the real file.
    original_start: usize,
    segments: Vec<Segment>,
}

#[derive(Debug)]
struct ExcerptFile {
    text: String,
    /// By line index of the real file.
    lines: BTreeMap<usize, Line>,
}

/// The lines of the files one diagnostic labels.
pub struct Excerpt<'a> {
    sources: &'a Sources,
    files: BTreeMap<FileId, ExcerptFile>,
}

fn line_of(file: &SourceFile, offset: usize) -> usize {
    file.line_starts()
        .partition_point(|&start| start <= offset)
        .saturating_sub(1)
}

/// The line's range without its line ending.
fn content(file: &SourceFile, index: usize) -> Option<Range<usize>> {
    let starts = file.line_starts();
    let start = *starts.get(index)?;
    let end = starts.get(index + 1).copied().unwrap_or(file.text.len());
    let line = file.text.get(start..end)?;
    let trimmed = line.trim_end_matches(['\n', '\r']).len();
    Some(start..start + trimmed)
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Whether rendering `diagnostic` straight from `sources` would print a line longer
/// than [`MAX_LINE`] or a multi-line label (whose context lines could be long).
pub fn needed(sources: &Sources, diagnostic: &cs::Diagnostic<FileId>) -> bool {
    diagnostic.labels.iter().any(|label| {
        let Some(file) = sources.try_get(label.file_id) else {
            return false;
        };
        let (first, last) = (
            line_of(file, label.range.start),
            line_of(file, label.range.end),
        );
        first != last || content(file, first).is_some_and(|r| r.len() > MAX_LINE)
    })
}

impl<'a> Excerpt<'a> {
    /// The excerpt for `diagnostic`, and the diagnostic with its labels moved into it.
    pub fn new(
        sources: &'a Sources,
        diagnostic: &cs::Diagnostic<FileId>,
    ) -> (Excerpt<'a>, cs::Diagnostic<FileId>) {
        // Per file: line index -> the byte ranges of the file to show on it.
        let mut wanted: BTreeMap<FileId, BTreeMap<usize, Vec<Range<usize>>>> = BTreeMap::new();
        for label in &diagnostic.labels {
            let Some(file) = sources.try_get(label.file_id) else {
                continue;
            };
            let lines = wanted.entry(label.file_id).or_default();
            let (start, end) = (label.range.start, label.range.end.max(label.range.start));
            let (first, last) = (line_of(file, start), line_of(file, end));
            if first == last {
                let shown_end = end.min(start + MAX_LABEL).max(start + 1);
                lines.entry(first).or_default().push(start..shown_end);
            } else {
                lines.entry(first).or_default().push(start..start + 1);
                lines
                    .entry(last)
                    .or_default()
                    .push(end.saturating_sub(1)..end);
                // The context lines codespan shows inside a multi-line label.
                for index in (first + 1..=first + 4).chain(last.saturating_sub(2)..last) {
                    if index > first && index < last {
                        lines.entry(index).or_default();
                    }
                }
            }
            // A neighbour may be shown in place of a one-line gap.
            for index in [first.saturating_sub(1), last + 1] {
                lines.entry(index).or_default();
            }
        }
        let mut files = BTreeMap::new();
        for (id, lines) in wanted {
            if let Some(file) = sources.try_get(id) {
                files.insert(id, build_file(file, lines));
            }
        }
        let excerpt = Excerpt { sources, files };
        let mut moved = diagnostic.clone();
        for label in &mut moved.labels {
            let start = excerpt.to_excerpt(label.file_id, label.range.start);
            let end = excerpt.to_excerpt(label.file_id, label.range.end.max(label.range.start));
            label.range = start..end.max(start);
        }
        (excerpt, moved)
    }

    fn to_excerpt(&self, id: FileId, offset: usize) -> usize {
        let (Some(file), Some(source)) = (self.files.get(&id), self.sources.try_get(id)) else {
            return 0;
        };
        let Some(line) = file.lines.get(&line_of(source, offset)) else {
            return 0;
        };
        let segment = line
            .segments
            .iter()
            .rev()
            .find(|s| s.original <= offset)
            .or(line.segments.first());
        match segment {
            Some(s) => s.excerpt + offset.saturating_sub(s.original).min(s.len),
            None => line.range.start,
        }
    }

    /// The offset in the real file of an excerpt offset on `line`.
    fn to_original(line: &Line, offset: usize) -> usize {
        match line.segments.iter().rev().find(|s| s.excerpt <= offset) {
            Some(s) => s.original + (offset - s.excerpt).min(s.len),
            None => line.original_start,
        }
    }
}

/// The excerpt text of the wanted lines of one file, long lines cut.
fn build_file(file: &SourceFile, wanted: BTreeMap<usize, Vec<Range<usize>>>) -> ExcerptFile {
    let mut text = String::new();
    let mut lines = BTreeMap::new();
    for (index, ranges) in wanted {
        let Some(whole) = content(file, index) else {
            continue;
        };
        let start = text.len();
        let source = &file.text;
        let parts: Vec<Range<usize>> = if whole.len() <= MAX_LINE {
            std::iter::once(whole.clone()).collect()
        } else if ranges.is_empty() {
            std::iter::once(whole.start..floor_boundary(source, whole.start + MAX_LINE)).collect()
        } else {
            shown_parts(source, &whole, ranges)
        };
        let mut segments = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            if (i == 0 && part.start > whole.start) || i > 0 {
                text.push_str(ELLIPSIS);
            }
            segments.push(Segment {
                original: part.start,
                excerpt: text.len(),
                len: part.len(),
            });
            text.push_str(&source[part.clone()]);
        }
        if parts.last().is_some_and(|p| p.end < whole.end) {
            text.push_str(ELLIPSIS);
        }
        text.push('\n');
        lines.insert(
            index,
            Line {
                range: start..text.len(),
                original_start: whole.start,
                segments,
            },
        );
    }
    ExcerptFile { text, lines }
}

/// The label ranges of one long line widened by [`CONTEXT`], on character
/// boundaries, sorted and merged.
fn shown_parts(source: &str, whole: &Range<usize>, ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    let mut parts: Vec<Range<usize>> = ranges
        .into_iter()
        .map(|r| {
            let start = floor_boundary(source, r.start.saturating_sub(CONTEXT).max(whole.start));
            let end = ceil_boundary(source, (r.end + CONTEXT).min(whole.end));
            start..end.max(start)
        })
        .collect();
    parts.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::new();
    for part in parts {
        match merged.last_mut() {
            Some(last) if part.start <= last.end => last.end = last.end.max(part.end),
            _ => merged.push(part),
        }
    }
    merged
}

impl<'a> Files<'a> for Excerpt<'_> {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        self.sources.name(id)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        self.files
            .get(&id)
            .map(|f| f.text.as_str())
            .ok_or(FilesError::FileMissing)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        let file = self.files.get(&id).ok_or(FilesError::FileMissing)?;
        Ok(file
            .lines
            .iter()
            .find(|(_, line)| line.range.start <= byte_index && byte_index < line.range.end)
            .or_else(|| file.lines.iter().next_back())
            .map_or(0, |(index, _)| *index))
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, FilesError> {
        let file = self.files.get(&id).ok_or(FilesError::FileMissing)?;
        if let Some(line) = file.lines.get(&line_index) {
            return Ok(line.range.clone());
        }
        // A line inside a multi-line label that codespan does not show.
        let count = self
            .sources
            .try_get(id)
            .map_or(0, |f| f.line_starts().len());
        if line_index < count {
            Ok(0..0)
        } else {
            Err(FilesError::LineTooLarge {
                given: line_index,
                max: count.saturating_sub(1),
            })
        }
    }

    fn column_number(
        &'a self,
        id: FileId,
        line_index: usize,
        byte_index: usize,
    ) -> Result<usize, FilesError> {
        let file = self.files.get(&id).ok_or(FilesError::FileMissing)?;
        let source = self.sources.try_get(id).ok_or(FilesError::FileMissing)?;
        let line = file.lines.get(&line_index).ok_or(FilesError::FileMissing)?;
        let original = floor_boundary(&source.text, Self::to_original(line, byte_index));
        let before = source.text.get(line.original_start..original).unwrap_or("");
        Ok(before.chars().count() + 1)
    }
}

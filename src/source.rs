//! Source files and spans. Owns the table of loaded `.netp` texts (the library never
//! reads the disk itself: the CLI, or a test, fills a [`Sources`] and resolution asks a
//! [`Loader`] for `use "file"` targets). Must never hold absolute paths that could leak
//! into compiled output.

use std::fmt;
use std::path::{Path, PathBuf};

/// Index of a file in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file. Spans never take part in equality of AST/IR nodes
/// (see [`crate::ast::Spanned`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The smallest span covering both (same file assumed; `self`'s file wins).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Where a file came from: a user's file (path as the user named it, relative where
/// possible), or a standard-library module embedded in the binary.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    File(PathBuf),
    Std(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Std(name) => write!(f, "<std/{name}>"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct SourceFile {
    pub origin: Origin,
    /// What diagnostics print for this file (the path as given, `/` separated).
    pub name: String,
    pub text: String,
    /// Byte offset of the start of every line, for line/column lookups.
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(origin: Origin, text: String) -> SourceFile {
        let name = match &origin {
            Origin::File(path) => path.to_string_lossy().replace('\\', "/"),
            Origin::Std(_) => origin.to_string(),
        };
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            origin,
            name,
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, column + 1)
    }

    pub fn line_starts(&self) -> &[usize] {
        &self.line_starts
    }
}

/// Every source text of one program, in load order.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn new() -> Sources {
        Sources::default()
    }

    pub fn add(&mut self, origin: Origin, text: String) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile::new(origin, text));
        id
    }

    /// [`Sources::add`], shown in diagnostics as `name` instead of its path.
    pub fn add_named(&mut self, origin: Origin, name: Option<String>, text: String) -> FileId {
        let id = self.add(origin, text);
        if let (Some(name), Some(file)) = (name, self.files.last_mut()) {
            file.name = name;
        }
        id
    }

    /// # Panics
    /// Never for an id this table handed out.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn try_get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }

    pub fn find(&self, origin: &Origin) -> Option<FileId> {
        self.iter()
            .find(|(_, f)| &f.origin == origin)
            .map(|(id, _)| id)
    }
}

/// How resolution reads the file named by `use "path.netp"`. The CLI passes the real
/// file system; tests pass a map.
pub trait Loader {
    fn load(&self, path: &Path) -> std::io::Result<String>;

    /// What diagnostics call the file at `path`, when not the path itself (a git side
    /// names its files `git:REV:PATH`).
    fn display_name(&self, _path: &Path) -> Option<String> {
        None
    }
}

/// Reads files from the real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct FsLoader;

impl Loader for FsLoader {
    fn load(&self, path: &Path) -> std::io::Result<String> {
        let bytes = std::fs::read(path)?;
        String::from_utf8(bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()))
    }
}

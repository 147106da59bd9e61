//! Source files and spans. Owns the table of loaded `.netp` texts (the library never
//! reads the disk itself: the CLI, or a test, fills a [`Sources`] and resolution asks a
//! [`Loader`] for `use "file"` targets). Names shown to users are paths as the user
//! wrote them; a loader's [`FileKey`] may be absolute (a canonical path) and is never
//! shown or written into compiled output.

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
    /// The loader's key of a user's file (see [`FileKey`]); `None` for the standard library.
    pub key: Option<FileKey>,
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
        let key = match &origin {
            Origin::File(path) => Some(FileKey::new(path.clone())),
            Origin::Std(_) => None,
        };
        SourceFile {
            origin,
            name,
            text,
            key,
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
    keys: rustc_hash::FxHashMap<FileKey, FileId>,
}

impl Sources {
    pub fn new() -> Sources {
        Sources::default()
    }

    /// Add a file; a user's file is keyed by its path as given (see [`Sources::add_keyed`]).
    pub fn add(&mut self, origin: Origin, text: String) -> FileId {
        let file = SourceFile::new(origin, text);
        self.push(file)
    }

    /// Add a user's file under the key its [`Loader`] knows it by.
    pub fn add_keyed(&mut self, origin: Origin, text: String, key: FileKey) -> FileId {
        let mut file = SourceFile::new(origin, text);
        file.key = Some(key);
        self.push(file)
    }

    fn push(&mut self, file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        if let Some(key) = &file.key {
            self.keys.entry(key.clone()).or_insert(id);
        }
        self.files.push(file);
        id
    }

    /// Show file `id` in diagnostics as `name` instead of its path.
    pub fn set_name(&mut self, id: FileId, name: String) {
        if let Some(file) = self.files.get_mut(id.0 as usize) {
            file.name = name;
        }
    }

    /// The file added under `key`, if any.
    pub fn find_key(&self, key: &FileKey) -> Option<FileId> {
        self.keys.get(key).copied()
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

/// The loader's own name for a file (for the CLI's `FsLoader`, its canonical path):
/// `use` paths that reach the same key are one module, however they are written, and a
/// root file the CLI loaded has the key a `use` of it would get. Never shown to users.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileKey(PathBuf);

impl FileKey {
    pub fn new(path: impl Into<PathBuf>) -> FileKey {
        FileKey(path.into())
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

/// Why a [`Loader`] gives no file for a `use`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadFailure {
    NotFound,
    /// Outside what `use` may read: why, and the help line (how to widen it).
    Refused {
        reason: String,
        help: String,
    },
    /// Found but not read: why (not a regular file, too large, not UTF-8, ...).
    Unreadable(String),
}

/// How resolution reads the file named by `use "path.netp"`: `locate` says which file
/// a path written in a file names (or why none), `read` gives its text. Resolution
/// reads each key once. The CLI passes the real file system (`cli::FsLoader`); tests
/// pass a map.
pub trait Loader {
    /// The key of the file that `use "path"` in the file keyed `from` names.
    fn locate(&self, from: &FileKey, path: &str) -> Result<FileKey, LoadFailure>;
    /// The text of a located file.
    fn read(&self, key: &FileKey) -> Result<String, LoadFailure>;
    /// What diagnostics call a located file, when not the path it was reached by (a
    /// git side names its files `git:REV:PATH`).
    fn display_name(&self, _key: &FileKey) -> Option<String> {
        None
    }
}

//! Finding and reading the `.netp` files a command names: files as given, folders
//! searched recursively (hidden folders such as `.git` skipped), in sorted order so a
//! program loads the same way on every machine. Also the file-system [`FsLoader`] for
//! `use "file"`: modules are keyed by canonical path (a root and a `use` of it are one
//! module; symbolic links cannot multiply modules), and `use` reads only inside the
//! program's repository unless `--allow-use-outside` widens it (docs/limits.md).

use std::path::{Component, Path, PathBuf};

use super::read::{NETP_LIMIT, ReadError, read_bounded, read_text};
use crate::diagnostic::Diagnostics;
use crate::source::{FileId, FileKey, LoadFailure, Loader, Origin, Sources};

/// Why the files of a program could not be loaded (exit status 2).
#[derive(Debug)]
pub enum LoadError {
    /// A named path does not exist.
    Missing(PathBuf),
    /// A folder holds no `.netp` file.
    NoFiles(PathBuf),
    /// Reading failed (a special file, too large, permissions, a vanished file, ...).
    Io(PathBuf, ReadError),
    /// A folder given to `--allow-use-outside` does not exist.
    AllowMissing(PathBuf),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Missing(path) => write!(f, "`{}` does not exist", path.display()),
            LoadError::NoFiles(path) => {
                write!(f, "no `.netp` files found in `{}`", path.display())
            }
            LoadError::Io(path, err) => write!(f, "cannot read `{}`: {err}", path.display()),
            LoadError::AllowMissing(path) => write!(
                f,
                "`--allow-use-outside {}`: no such folder",
                path.display()
            ),
        }
    }
}

fn is_hidden(entry: &walkdir::DirEntry) -> bool {
    entry.depth() > 0
        && entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with('.'))
}

/// The `.netp` files that `paths` name (default `.`), sorted, without duplicates.
pub fn find_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut found = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|_| LoadError::Missing(path.clone()))?;
        if !metadata.is_dir() {
            found.push(path.clone());
            continue;
        }
        let mut here: Vec<PathBuf> = walkdir::WalkDir::new(path)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| !is_hidden(e))
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "netp")
            })
            .map(|e| e.into_path())
            .collect();
        if here.is_empty() {
            return Err(LoadError::NoFiles(path.clone()));
        }
        here.sort();
        found.extend(here);
    }
    let mut seen = std::collections::HashSet::new();
    found.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    Ok(found)
}

/// Read every file of the program into a fresh [`Sources`]. A file that is not UTF-8
/// is loaded lossily and reported as E104 at its first bad byte, so other files are
/// still checked.
pub fn load_program(paths: &[PathBuf]) -> Result<(Sources, Vec<FileId>, Diagnostics), LoadError> {
    let mut sources = Sources::new();
    let mut roots = Vec::new();
    let mut diagnostics = Diagnostics::new();
    for path in find_files(paths)? {
        let bytes = read_bounded(&path, NETP_LIMIT).map_err(|e| LoadError::Io(path.clone(), e))?;
        let display = display_path(&path);
        let key = FileKey::new(std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone()));
        let origin = Origin::File(display);
        roots.extend(crate::compile::add_root(
            &mut sources,
            origin,
            key,
            bytes,
            &mut diagnostics,
        ));
    }
    Ok((sources, roots, diagnostics))
}

/// The path as the user would write it: without a leading `./`, and relative to the
/// current folder when it lies inside it (so `$PWD/main.netp` and `main.netp` print
/// alike).
pub(super) fn display_path(path: &Path) -> PathBuf {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty());
    let path = relative.as_deref().unwrap_or(path);
    path.strip_prefix(".")
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Reads `use "file"` targets from the file system, within a boundary: the git work
/// trees (or, outside one, the current folder) that hold the program's root files, and
/// the folders given to `--allow-use-outside` (docs/limits.md).
#[derive(Clone, Debug, Default)]
pub struct FsLoader {
    /// Canonical folders `use` may read; empty: the boundary of each using file.
    boundaries: Vec<PathBuf>,
    /// Canonical folders from `--allow-use-outside`.
    allowed: Vec<PathBuf>,
}

impl FsLoader {
    /// The loader for the program whose root files are `roots` (keyed by the CLI).
    pub fn for_program(
        sources: &Sources,
        roots: &[FileId],
        allow_outside: &[PathBuf],
    ) -> Result<FsLoader, LoadError> {
        let mut boundaries: Vec<PathBuf> = roots
            .iter()
            .filter_map(|&id| sources.try_get(id)?.key.as_ref())
            .map(|key| boundary_of(key.path()))
            .collect();
        boundaries.sort();
        boundaries.dedup();
        let allowed = allow_outside
            .iter()
            .map(|dir| match std::fs::canonicalize(dir) {
                Ok(canonical) if canonical.is_dir() => Ok(canonical),
                _ => Err(LoadError::AllowMissing(dir.clone())),
            })
            .collect::<Result<_, _>>()?;
        Ok(FsLoader {
            boundaries,
            allowed,
        })
    }

    fn inside(&self, from: &Path, target: &Path) -> bool {
        let own;
        let boundaries = if self.boundaries.is_empty() {
            own = [boundary_of(from)];
            &own[..]
        } else {
            &self.boundaries[..]
        };
        boundaries
            .iter()
            .chain(&self.allowed)
            .any(|b| target.starts_with(b))
    }
}

impl Loader for FsLoader {
    fn locate(&self, from: &FileKey, path: &str) -> Result<FileKey, LoadFailure> {
        let written = Path::new(path);
        if written.has_root() {
            return Err(LoadFailure::Refused {
                reason: "an absolute path".to_owned(),
                help: "write the path relative to the file that contains the `use`; `use` never reads absolute paths (docs/limits.md)".to_owned(),
            });
        }
        let joined = from.path().parent().unwrap_or(Path::new("")).join(written);
        let target = match std::fs::canonicalize(&joined) {
            Ok(canonical) => Ok(canonical),
            // Where a missing file would be, so a path outside is refused, not probed.
            Err(err) => Err((absolute_lexical(&joined), err)),
        };
        let place = match &target {
            Ok(canonical) => canonical,
            Err((lexical, _)) => lexical,
        };
        if !self.inside(from.path(), place) {
            return Err(LoadFailure::Refused {
                reason: "it is outside the program's repository".to_owned(),
                help: "`use` reads only files inside the git work tree that holds the program (outside one, the current folder); to read another folder, pass `--allow-use-outside DIR` (docs/limits.md)".to_owned(),
            });
        }
        match target {
            Ok(canonical) => Ok(FileKey::new(canonical)),
            Err((_, err)) if err.kind() == std::io::ErrorKind::NotFound => {
                Err(LoadFailure::NotFound)
            }
            Err((_, err)) => Err(LoadFailure::Unreadable(err.to_string())),
        }
    }

    fn read(&self, key: &FileKey) -> Result<String, LoadFailure> {
        read_text(key.path(), NETP_LIMIT).map_err(|err| match err {
            ReadError::NotFound => LoadFailure::NotFound,
            other => LoadFailure::Unreadable(other.to_string()),
        })
    }
}

/// The folder that bounds what `use` may read for the file at `file`: the nearest
/// folder above it holding a `.git` entry (a git work tree, found without running
/// git), else the current folder when the file is inside it, else the file's folder.
pub fn boundary_of(file: &Path) -> PathBuf {
    let file = std::fs::canonicalize(file).unwrap_or_else(|_| absolute_lexical(file));
    if let Some(tree) = file
        .ancestors()
        .skip(1)
        .find(|dir| dir.join(".git").symlink_metadata().is_ok())
    {
        return tree.to_path_buf();
    }
    match std::env::current_dir().and_then(std::fs::canonicalize) {
        Ok(cwd) if file.starts_with(&cwd) => cwd,
        _ => file.parent().map(Path::to_path_buf).unwrap_or(file),
    }
}

/// `path` made absolute (against the current folder) with `.` and `..` resolved
/// lexically; a `..` above the root stays at the root.
fn absolute_lexical(path: &Path) -> PathBuf {
    let base = std::env::current_dir().unwrap_or_default();
    let mut out = PathBuf::new();
    for component in base.join(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

//! Finding and reading the `.netp` files a command names: files as given, folders
//! searched recursively (hidden folders such as `.git` skipped), in sorted order so a
//! program loads the same way on every machine.

use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Origin, Sources, Span};

/// Why the files of a program could not be loaded (exit status 2).
#[derive(Debug)]
pub enum LoadError {
    /// A named path does not exist.
    Missing(PathBuf),
    /// A folder holds no `.netp` file.
    NoFiles(PathBuf),
    /// Reading failed (permissions, a vanished file, ...).
    Io(PathBuf, std::io::Error),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Missing(path) => write!(f, "`{}` does not exist", path.display()),
            LoadError::NoFiles(path) => {
                write!(f, "no `.netp` files found in `{}`", path.display())
            }
            LoadError::Io(path, err) => write!(f, "cannot read `{}`: {err}", path.display()),
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
        let bytes = std::fs::read(&path).map_err(|e| LoadError::Io(path.clone(), e))?;
        let display = display_path(&path);
        match String::from_utf8(bytes) {
            Ok(text) => roots.push(sources.add(Origin::File(display), text)),
            Err(err) => {
                let valid_up_to = err.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
                let id = sources.add(Origin::File(display), text);
                let start = valid_up_to;
                let end = (start + 1).min(sources.get(id).text.len());
                diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidEncoding,
                        "file is not valid UTF-8",
                        Span::new(id, start, end),
                        "invalid byte here",
                    )
                    .with_help("netp files are UTF-8 text; is this a binary file, or saved in another encoding?"),
                );
            }
        }
    }
    Ok((sources, roots, diagnostics))
}

/// The path as the user would write it: without a leading `./`.
fn display_path(path: &Path) -> PathBuf {
    path.strip_prefix(".")
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

//! Reading folders of Kubernetes manifests for `netpc diff` (a side that is not netpc
//! output) and `netpc import`: files as named, folders searched recursively for
//! `.yaml`, `.yml` and `.json` (hidden folders skipped, sorted; a compiled folder's
//! `failsafe/` left out, as no kustomization applies it), `-` for standard input, each
//! through the bounded reader (`read`).

use std::path::{Path, PathBuf};

use super::read::{MANIFEST_LIMIT, ReadError, read_stdin, read_text};

/// Whether a path names a manifest file by its extension.
pub fn is_manifest(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
}

/// Whether a walked entry is a hidden file or folder (the root itself never is).
pub fn is_hidden(entry: &walkdir::DirEntry) -> bool {
    entry.depth() > 0
        && entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with('.'))
}

fn is_failsafe(root: &Path, file: &Path) -> bool {
    super::folder::relative(root, file).is_some_and(|relative| {
        matches!(
            crate::output::classify(&relative),
            crate::output::Kind::Failsafe(_)
        )
    })
}

/// Whether `dir` is a folder of manifests rather than a `.netp` program: it holds no
/// `.netp` file and at least one manifest file.
pub fn is_manifest_folder(dir: &Path) -> bool {
    if !dir.is_dir() {
        return false;
    }
    let mut manifests = false;
    let walk = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| !is_hidden(e));
    for entry in walk.flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        if entry.path().extension().is_some_and(|e| e == "netp") {
            return false;
        }
        manifests |= is_manifest(entry.path());
    }
    manifests
}

/// The files `paths` name, expanded: (shown name, path); `-` once, as `<stdin>`.
fn expand(paths: &[PathBuf]) -> Result<Vec<(String, PathBuf)>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            if !out
                .iter()
                .any(|(_, p): &(String, PathBuf)| p.as_os_str() == "-")
            {
                out.push(("<stdin>".to_owned(), path.clone()));
            }
            continue;
        }
        if !path.is_dir() {
            if !path.exists() {
                return Err(format!("`{}` does not exist", path.display()));
            }
            out.push((path.display().to_string(), path.clone()));
            continue;
        }
        let compiled = super::folder::is_compiled(path);
        let walk = walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| !is_hidden(e));
        for entry in walk {
            let entry = entry.map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            if !entry.file_type().is_file() || !is_manifest(entry.path()) {
                continue;
            }
            if compiled && is_failsafe(path, entry.path()) {
                continue;
            }
            out.push((entry.path().display().to_string(), entry.into_path()));
        }
    }
    Ok(out)
}

/// Every manifest text `paths` name, as (shown name, text). `Err`: a path does not
/// exist or a file cannot be read (too large, not UTF-8, not a regular file).
pub fn read_all(paths: &[PathBuf]) -> Result<Vec<(String, String)>, String> {
    let mut texts = Vec::new();
    for (shown, path) in expand(paths)? {
        let text = if path.as_os_str() == "-" {
            read_stdin(MANIFEST_LIMIT).map_err(|e| format!("cannot read standard input: {e}"))?
        } else {
            read_text(&path, MANIFEST_LIMIT).map_err(|e| match e {
                ReadError::NotFound => format!("`{shown}` does not exist"),
                e => format!("cannot read `{shown}`: {e}"),
            })?
        };
        texts.push((shown, text));
    }
    Ok(texts)
}

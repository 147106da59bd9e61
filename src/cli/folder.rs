//! Reading a compiled output folder from disk: the files that `crate::output` says a
//! reader needs (the label contract, the policy files, the namespace kustomizations),
//! and nothing else, so `verify --against`, `diff` and `graph` read the same files.

use std::path::Path;

use crate::output;

/// The files of the compiled folder `dir` that [`output::read`] uses, as (relative
/// `/`-separated path, text), sorted by path. `Err`: the folder cannot be read.
pub fn read(dir: &Path) -> Result<Vec<(String, String)>, String> {
    if !dir.is_dir() {
        return Err(format!("`{}` is not a folder", dir.display()));
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let Some(relative) = relative(dir, entry.path()) else {
            continue;
        };
        let kind = output::classify(&relative);
        let text = if kind.is_read() {
            read_text(entry.path())?
        } else if kind.is_listed() {
            String::new()
        } else {
            continue;
        };
        files.push((relative, text));
    }
    Ok(files)
}

/// `path` relative to `root`, `/`-separated, as `crate::output` names files.
pub fn relative(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    Some(
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// Whether `dir` is a compiled output folder (it holds the label contract).
pub fn is_compiled(dir: &Path) -> bool {
    dir.is_dir() && dir.join(output::CONTRACT).is_file()
}

fn read_text(path: &Path) -> Result<String, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|_| format!("`{}` is not UTF-8 text", path.display()))
}

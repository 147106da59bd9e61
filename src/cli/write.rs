//! All disk I/O of `netpc build`: comparing the output folder with freshly emitted files
//! (`--check`) and replacing it atomically. Under an exclusive lock on the output's
//! parent folder, the new output is written in full to a staging folder beside the
//! output folder; entries netpc did not generate (not listed in the old
//! `.netpc-generated` manifest) are carried into it (files hard-linked, so the same
//! files; folders recreated with their mode, owner and times), then the two folders are
//! swapped in one `renameat2(RENAME_EXCHANGE)` (with a two-rename fallback where the
//! file system lacks it). A build that fails, is interrupted (SIGINT, SIGTERM) or is
//! killed before the swap leaves the previous output as it was, and only a kill leaves
//! the staging folder. When the folder already holds exactly the files the build
//! produces (an identical rebuild), nothing is written and the folder is left as it
//! is. Must never delete or rewrite a file it did not generate, never write where it
//! would swallow its own inputs, and never decides what files contain.

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
mod folder_times_tests;
mod found;
mod guard;
#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
mod render_tests;
#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
mod tests;
mod tree;

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::emit::FileSet;
use crate::output::MANIFEST;
use found::Found;

/// Why the output could not be written or read (exit status 2).
#[derive(Debug)]
pub struct WriteError {
    pub path: PathBuf,
    pub what: &'static str,
    pub err: io::Error,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}`: {}", self.what, self.path.display(), self.err)
    }
}

fn fail<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> WriteError + 'a {
    move |err| WriteError {
        path: path.to_path_buf(),
        what,
        err,
    }
}

/// One difference between the emitted files and the output folder.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Difference {
    /// The file exists with other content.
    Differs(String),
    /// The file would be written but does not exist.
    Missing(String),
    /// An earlier build generated the file; this one would remove it.
    Extra(String),
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Difference::Differs(p) => write!(f, "differs: {p}"),
            Difference::Missing(p) => write!(f, "missing: {p}"),
            Difference::Extra(p) => write!(f, "extra:   {p}"),
        }
    }
}

/// `--check`: what differs between `files` and the folder `dir` (nothing is written).
/// A path holding anything but a regular file with the same bytes differs; nothing
/// but regular files is read, never past the size of the file compared with.
pub fn check(dir: &Path, files: &dyn FileSet) -> Result<Vec<Difference>, WriteError> {
    let mut differences = Vec::new();
    let mut text = String::new();
    for index in 0..files.len() {
        let relative = files.path(index);
        if relative == MANIFEST {
            continue;
        }
        render(files, index, &mut text)?;
        let path = dir.join(relative);
        let limit = u64::try_from(text.len()).unwrap_or(u64::MAX);
        match found::regular(&path, limit).map_err(fail("cannot read", &path))? {
            Found::Bytes(bytes) if bytes == text.as_bytes() => {}
            Found::Missing => differences.push(Difference::Missing(relative.to_owned())),
            _ => differences.push(Difference::Differs(relative.to_owned())),
        }
    }
    let new: HashSet<&str> = paths(files).collect();
    for old in tree::old_manifest(dir)? {
        if !new.contains(old.as_str()) && fs::symlink_metadata(dir.join(&old)).is_ok() {
            differences.push(Difference::Extra(old));
        }
    }
    differences.sort();
    Ok(differences)
}

/// The paths of `files`, in order.
fn paths(files: &dyn FileSet) -> impl Iterator<Item = &str> {
    (0..files.len()).map(|index| files.path(index))
}

/// The text of file `index` of `files`, in place of what `out` held.
fn render(files: &dyn FileSet, index: usize, out: &mut String) -> Result<(), WriteError> {
    out.clear();
    files.render(index, out).map_err(|err| WriteError {
        path: PathBuf::from(files.path(index)),
        what: "cannot produce the text of",
        err: io::Error::other(err.to_string()),
    })
}

/// Replace the generated files in `dir` with `files`, atomically. `inputs` are the
/// build's PATH arguments (none: the current folder, as `netpc build` reads it); an
/// output folder that is `/`, the home folder or one of its ancestors, or that holds
/// an input, is refused before anything is written.
pub fn write(dir: &Path, files: &dyn FileSet, inputs: &[PathBuf]) -> Result<(), WriteError> {
    let resolved = resolve(dir);
    refuse_output(dir, &resolved, inputs)?;
    let interrupt = guard::Interrupt::arm(dir);
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(fail("cannot create the folder", &parent))?;
    // Staging and the lock are in the parent of the real output folder (behind a
    // symbolic link, and for `-o .` or `-o ..`), never inside the output tree.
    let stage_parent = resolve(dir)
        .parent()
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
    let _lock = guard::lock(&stage_parent, &interrupt)?;
    // Looked at only under the lock: another build may just have made the folder.
    let existing = existing_output(dir)?;
    let previous = match &existing {
        Some(old) => {
            let compared = tree::compare(old, files, &interrupt)?;
            if compared.all() {
                // An identical rebuild: every generated file already holds its text.
                return Ok(());
            }
            Some((tree::survey(old, files)?, compared))
        }
        None => None,
    };
    let made = tempfile::Builder::new()
        .prefix(".netpc-staging-")
        .tempdir_in(&stage_parent)
        .map_err(fail("cannot write to the folder", &stage_parent))?;
    let staging = Staging(Some(made.keep()));
    let stage = staging.path();
    let old = existing
        .as_deref()
        .zip(previous.as_ref())
        .map(|(old, (survey, compared))| (old, survey, compared));
    tree::fill(stage, old, files, &interrupt)?;
    let Some(old) = existing else {
        // The staging folder was made as `mkdir` makes one (tempfile gives it the
        // user's umask), so the output gets the mode a new folder gets.
        interrupt.check()?;
        fs::rename(stage, dir).map_err(fail("cannot move the output into place at", dir))?;
        staging.disarm();
        return Ok(());
    };
    tree::carry_folders(stage, &old, &interrupt)?;
    interrupt.check()?;
    swap(stage, &old)?;
    // The staging path now holds the previous output; dropping it removes it.
    drop(staging);
    Ok(())
}

/// A staging folder netpc made: removed when dropped, unless disarmed once moved.
struct Staging(Option<PathBuf>);

impl Staging {
    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }

    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            tree::remove(&path);
        }
    }
}

/// The output folder as it stands: its real path when it is a folder (or a symbolic
/// link to one), nothing when it does not exist, an error for anything else.
fn existing_output(dir: &Path) -> Result<Option<PathBuf>, WriteError> {
    let not_a_folder = || WriteError {
        path: dir.to_path_buf(),
        what: "the output path is not a folder:",
        err: io::Error::new(io::ErrorKind::AlreadyExists, "a file is in the way"),
    };
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() || meta.is_dir() => {
            let real = fs::canonicalize(dir).map_err(fail("cannot resolve", dir))?;
            if !real.is_dir() {
                return Err(not_a_folder());
            }
            Ok(Some(real))
        }
        Ok(_) => Err(not_a_folder()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(fail("cannot inspect", dir)(err)),
    }
}

/// The absolute, real path `dir` names: its longest existing prefix with symbolic
/// links resolved, and the rest (which cannot hold a link) normalised by hand.
fn resolve(dir: &Path) -> PathBuf {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut base = absolute.as_path();
    let mut rest = Vec::new();
    let real = loop {
        if let Ok(real) = fs::canonicalize(base) {
            break real;
        }
        let Some(parent) = base.parent() else {
            break base.to_path_buf();
        };
        rest.extend(base.components().next_back());
        base = parent;
    };
    let mut path = real;
    for component in rest.into_iter().rev() {
        match component {
            Component::ParentDir => {
                path.pop();
            }
            Component::Normal(name) => path.push(name),
            _ => {}
        }
    }
    path
}

/// Refuse an output folder that a build would have to swallow whole: `/`, the home
/// folder or a folder holding it, or a folder holding (or being) one of the inputs.
fn refuse_output(dir: &Path, resolved: &Path, inputs: &[PathBuf]) -> Result<(), WriteError> {
    let refuse = |why: String| WriteError {
        path: dir.to_path_buf(),
        what: "refusing to write the output folder",
        err: io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{why}; netpc replaces the whole output folder, so give it a folder of its own, such as `-o out`"
            ),
        ),
    };
    if resolved.parent().is_none() {
        return Err(refuse("it is the root folder `/`".to_owned()));
    }
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty())
        && let Ok(home) = fs::canonicalize(home)
        && home.starts_with(resolved)
    {
        return Err(refuse(format!(
            "it is the home folder, or holds it (`{}`)",
            home.display()
        )));
    }
    let dot = [PathBuf::from(".")];
    let inputs = if inputs.is_empty() { &dot[..] } else { inputs };
    for input in inputs {
        if resolve(input).starts_with(resolved) {
            return Err(refuse(format!("it holds the input `{}`", input.display())));
        }
    }
    Ok(())
}

/// Exchange the staging folder and the output folder in one step.
#[cfg(target_os = "linux")]
fn swap(stage: &Path, out: &Path) -> Result<(), WriteError> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, stage, CWD, out, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(()),
        Err(_) => swap_by_renames(stage, out),
    }
}

#[cfg(not(target_os = "linux"))]
fn swap(stage: &Path, out: &Path) -> Result<(), WriteError> {
    swap_by_renames(stage, out)
}

/// Fallback: move the old output aside, move the new one in, and leave the old one
/// where the staging folder was (so the caller deletes it). Not atomic: a kill between
/// the two renames leaves the old output next to its place.
fn swap_by_renames(stage: &Path, out: &Path) -> Result<(), WriteError> {
    let aside = stage.with_extension("old");
    fs::rename(out, &aside).map_err(fail("cannot move aside", out))?;
    if let Err(err) = fs::rename(stage, out) {
        let _ = fs::rename(&aside, out);
        return Err(fail("cannot move the output into place at", out)(err));
    }
    fs::rename(&aside, stage).map_err(fail("cannot clean up", &aside))
}

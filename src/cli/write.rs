//! All disk I/O of `netpc build`: comparing the output folder with freshly emitted files
//! (`--check`) and replacing it atomically. The new output is written in full to a
//! staging folder next to the output folder; files netpc did not generate (not listed
//! in the old `.netpc-generated` manifest) are hard-linked into it, so they survive
//! untouched; then the two folders are swapped in one `renameat2(RENAME_EXCHANGE)`
//! (with a two-rename fallback where the file system lacks it). A build that fails or is
//! killed before the swap leaves the previous output as it was. Must never delete or
//! rewrite a file it did not generate, and never decides what the files contain.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::emit::File;
use crate::output::{MANIFEST, parse_manifest};

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

fn old_manifest(dir: &Path) -> Result<Vec<String>, WriteError> {
    let path = dir.join(MANIFEST);
    match fs::read_to_string(&path) {
        Ok(text) => Ok(parse_manifest(&text)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(err) => Err(fail("cannot read", &path)(err)),
    }
}

/// `--check`: what differs between `files` and the folder `dir` (nothing is written).
pub fn check(dir: &Path, files: &[File]) -> Result<Vec<Difference>, WriteError> {
    let mut differences = Vec::new();
    for file in files.iter().filter(|f| f.path != MANIFEST) {
        let path = dir.join(&file.path);
        match fs::read(&path) {
            Ok(bytes) if bytes == file.text.as_bytes() => {}
            Ok(_) => differences.push(Difference::Differs(file.path.clone())),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                differences.push(Difference::Missing(file.path.clone()));
            }
            Err(err) => return Err(fail("cannot read", &path)(err)),
        }
    }
    let new: HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for old in old_manifest(dir)? {
        if !new.contains(old.as_str()) && dir.join(&old).exists() {
            differences.push(Difference::Extra(old));
        }
    }
    differences.sort();
    Ok(differences)
}

/// Replace the generated files in `dir` with `files`, atomically.
pub fn write(dir: &Path, files: &[File]) -> Result<(), WriteError> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(fail("cannot create the folder", &parent))?;
    // An existing folder is named by its canonical path, so that a symbolic link is
    // replaced behind the link and `-o .` or `-o ..` have a real parent to stage in.
    let existing = match fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() || meta.is_dir() => {
            let real = fs::canonicalize(dir).map_err(fail("cannot resolve", dir))?;
            if !real.is_dir() {
                return Err(WriteError {
                    path: dir.to_path_buf(),
                    what: "the output path is not a folder:",
                    err: io::Error::new(io::ErrorKind::AlreadyExists, "a file is in the way"),
                });
            }
            Some(real)
        }
        Ok(_) => {
            return Err(WriteError {
                path: dir.to_path_buf(),
                what: "the output path is not a folder:",
                err: io::Error::new(io::ErrorKind::AlreadyExists, "a file is in the way"),
            });
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(err) => return Err(fail("cannot inspect", dir)(err)),
    };
    let target = existing.clone().unwrap_or_else(|| dir.to_path_buf());
    let stage_parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let staging = tempfile::Builder::new()
        .prefix(".netpc-staging-")
        .tempdir_in(&stage_parent)
        .map_err(fail("cannot write to the folder", &stage_parent))?;
    let stage = staging.path();

    write_all(stage, existing.as_deref(), files)?;

    let Some(old) = existing else {
        set_default_permissions(stage)?;
        let kept = staging.keep();
        return fs::rename(&kept, dir).map_err(fail("cannot move the output into place at", dir));
    };
    carry_over_foreign(&old, stage, files)?;
    let permissions = fs::metadata(&old)
        .map_err(fail("cannot inspect", &old))?
        .permissions();
    fs::set_permissions(stage, permissions).map_err(fail("cannot set permissions on", stage))?;
    swap(stage, &old)?;
    // `staging` now holds the previous output; dropping it deletes it.
    drop(staging);
    Ok(())
}

/// Write `files` under `stage`, creating each folder once. A file that an earlier
/// build generated with the same text is hard-linked from `old` instead of written, so
/// a rebuild that changes little writes little (fewer inodes and data blocks).
fn write_all(stage: &Path, old: Option<&Path>, files: &[File]) -> Result<(), WriteError> {
    let generated: HashSet<String> = match old {
        Some(old) => old_manifest(old)?.into_iter().collect(),
        None => HashSet::new(),
    };
    let paths: Vec<PathBuf> = files.iter().map(|f| stage.join(&f.path)).collect();
    let mut made: HashSet<&Path> = HashSet::new();
    for (file, path) in files.iter().zip(&paths) {
        if let Some(folder) = path.parent()
            && made.insert(folder)
        {
            fs::create_dir_all(folder).map_err(fail("cannot create the folder", folder))?;
        }
        if let Some(old) = old
            && file.path != MANIFEST
            && generated.contains(&file.path)
        {
            let previous = old.join(&file.path);
            if fs::read(&previous).is_ok_and(|bytes| bytes == file.text.as_bytes())
                && fs::hard_link(&previous, path).is_ok()
            {
                continue;
            }
        }
        fs::write(path, &file.text).map_err(fail("cannot write", path))?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_default_permissions(dir: &Path) -> Result<(), WriteError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
        .map_err(fail("cannot set permissions on", dir))
}

#[cfg(not(unix))]
fn set_default_permissions(_dir: &Path) -> Result<(), WriteError> {
    Ok(())
}

/// Hard-link into the staging folder every file of `old` that no earlier build
/// generated, and recreate folders that hold such files (or are empty).
fn carry_over_foreign(old: &Path, stage: &Path, files: &[File]) -> Result<(), WriteError> {
    let generated: HashSet<String> = old_manifest(old)?.into_iter().collect();
    let new: HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let generated_dirs: HashSet<&str> = generated
        .iter()
        .flat_map(|p| p.match_indices('/').map(move |(i, _)| &p[..i]))
        .collect();
    for entry in walkdir::WalkDir::new(old).min_depth(1) {
        let entry = entry.map_err(|e| WriteError {
            path: old.to_path_buf(),
            what: "cannot read the folder",
            err: e.into(),
        })?;
        let Ok(relative) = entry.path().strip_prefix(old) else {
            continue;
        };
        let key = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let destination = stage.join(relative);
        if entry.file_type().is_dir() {
            // Folders only earlier builds created go away with their files.
            if !generated_dirs.contains(key.as_str()) && !destination.exists() {
                fs::create_dir_all(&destination)
                    .map_err(fail("cannot create the folder", &destination))?;
            }
            continue;
        }
        if key == MANIFEST || generated.contains(&key) {
            continue;
        }
        if new.contains(key.as_str()) {
            return Err(WriteError {
                path: entry.path().to_path_buf(),
                what: "refusing to overwrite a file netpc did not generate:",
                err: io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "move it away, or delete it, and build again",
                ),
            });
        }
        if let Some(folder) = destination.parent() {
            fs::create_dir_all(folder).map_err(fail("cannot create the folder", folder))?;
        }
        if entry.file_type().is_symlink() {
            let link = fs::read_link(entry.path()).map_err(fail("cannot read", entry.path()))?;
            symlink(&link, &destination)?;
        } else {
            fs::hard_link(entry.path(), &destination)
                .map_err(fail("cannot keep (hard-link)", entry.path()))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(link: &Path, destination: &Path) -> Result<(), WriteError> {
    std::os::unix::fs::symlink(link, destination).map_err(fail("cannot recreate", destination))
}

#[cfg(not(unix))]
fn symlink(_link: &Path, destination: &Path) -> Result<(), WriteError> {
    Err(fail("cannot recreate a symbolic link at", destination)(
        io::Error::from(io::ErrorKind::Unsupported),
    ))
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

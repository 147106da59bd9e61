//! The trees behind `write`: what the previous output holds (the files netpc
//! generated, the entries it did not, and any of those standing where a new file or
//! folder goes), the staging folder filled with the new files and the kept entries,
//! every folder's mode, owner and time carried over from the previous output, and the
//! removal of a tree netpc owns.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::found::{self, Found, MANIFEST_LIMIT};
use super::guard::Interrupt;
use super::{WriteError, fail, paths, render};
use crate::emit::FileSet;
use crate::output::{MANIFEST, parse_manifest};

/// The files an earlier build generated, from the manifest of `dir` (none when it
/// has none). Only a regular file of at most [`MANIFEST_LIMIT`] bytes is read.
pub(super) fn old_manifest(dir: &Path) -> Result<Vec<String>, WriteError> {
    let path = dir.join(MANIFEST);
    let refuse = |why: &str| WriteError {
        path: path.clone(),
        what: "refusing to read",
        err: io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{why}; netpc reads only the file it wrote there: remove it and build again"),
        ),
    };
    match found::regular(&path, MANIFEST_LIMIT).map_err(fail("cannot read", &path))? {
        Found::Missing => Ok(Vec::new()),
        Found::NotRegular => Err(refuse("it is not a regular file")),
        Found::TooLarge => Err(refuse("it is larger than 64 MiB")),
        Found::Bytes(bytes) => Ok(parse_manifest(&String::from_utf8_lossy(&bytes))),
    }
}

/// An entry of the previous output that netpc did not generate, by `/`-separated
/// path: kept in the new output as it is.
#[derive(Debug)]
enum Kept {
    Folder(String),
    /// A file (or FIFO, socket, device): hard-linked, so the very same file.
    File(String),
    /// A symbolic link, recreated with the same target.
    Link(String, PathBuf),
}

/// The previous output, surveyed before anything is written.
#[derive(Debug)]
pub(super) struct Old {
    /// The files its manifest lists.
    generated: HashSet<String>,
    /// What must be carried into the new output, parents before their contents.
    kept: Vec<Kept>,
}

/// Survey `old` for a build writing `files`, refusing (and so changing nothing) when
/// an entry netpc did not generate stands where a new file or folder goes.
pub(super) fn survey(old: &Path, files: &dyn FileSet) -> Result<Old, WriteError> {
    let generated: HashSet<String> = old_manifest(old)?.into_iter().collect();
    let new_files: HashSet<&str> = paths(files).collect();
    let new_dirs: HashSet<&str> = parents(paths(files)).collect();
    let generated_dirs: HashSet<&str> = parents(generated.iter().map(String::as_str)).collect();
    let mut kept = Vec::new();
    let walk = walkdir::WalkDir::new(old).min_depth(1).sort_by_file_name();
    for entry in walk {
        let entry = entry.map_err(|e| WriteError {
            path: e.path().unwrap_or(old).to_path_buf(),
            what: "cannot read the folder",
            err: e.into(),
        })?;
        let Ok(relative) = entry.path().strip_prefix(old) else {
            continue;
        };
        let key = slash_path(relative);
        let in_the_way = |what: &'static str, goes: &str| WriteError {
            path: entry.path().to_path_buf(),
            what,
            err: io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("netpc writes {goes} there; move it away, or delete it, and build again"),
            ),
        };
        if entry.file_type().is_dir() {
            if new_files.contains(key.as_str()) {
                return Err(in_the_way(
                    "refusing to replace a folder netpc did not generate:",
                    "a file",
                ));
            }
            // Folders only earlier builds made go away with their files.
            if !generated_dirs.contains(key.as_str()) && !new_dirs.contains(key.as_str()) {
                kept.push(Kept::Folder(key));
            }
            continue;
        }
        if key == MANIFEST || generated.contains(&key) {
            continue;
        }
        if new_files.contains(key.as_str()) {
            return Err(in_the_way(
                "refusing to overwrite a file netpc did not generate:",
                "a file",
            ));
        }
        if new_dirs.contains(key.as_str()) {
            return Err(in_the_way(
                "refusing to replace a file netpc did not generate:",
                "a folder",
            ));
        }
        if entry.file_type().is_symlink() {
            let link = fs::read_link(entry.path()).map_err(fail("cannot read", entry.path()))?;
            kept.push(Kept::Link(key, link));
        } else {
            kept.push(Kept::File(key));
        }
    }
    Ok(Old { generated, kept })
}

/// What comparing the previous output with the new files found.
#[derive(Debug)]
pub(super) struct Compared {
    /// Whether `old` already is the output of the files (see [`compare`]).
    all: bool,
    /// Per chunk of [`WRITE_CHUNK`] files, how many at its start were found to hold
    /// their text (none for a chunk not compared).
    held: Vec<usize>,
}

impl Compared {
    /// Whether every file already holds its text: nothing to replace.
    pub(super) fn all(&self) -> bool {
        self.all
    }

    /// Whether the file at `index` of the files was found to hold its text.
    pub(super) fn holds(&self, index: usize) -> bool {
        self.held
            .get(index / WRITE_CHUNK)
            .is_some_and(|&n| index % WRITE_CHUNK < n)
    }
}

/// Compare `old` with `files`: whether it already is their output, each of them (the
/// manifest included, so the same files were generated before) a regular file holding
/// its text, in folders that are folders, not links. A build then has nothing to
/// replace and leaves the folder as it is, which is what replacing it would give: the
/// same files (unchanged ones are hard-linked), entries netpc did not generate kept,
/// and every folder's mode, owner and time carried over. Compared on up to four
/// threads, stopping at the first difference; the files found unchanged before it are
/// remembered, so the writer links them without reading or rendering them again.
/// Each text is rendered into the comparing thread's buffer, so an identical rebuild
/// never holds more than one text per thread; a text that cannot be rendered counts
/// as a difference (the writer then reports the failure).
pub(super) fn compare(
    old: &Path,
    files: &dyn FileSet,
    interrupt: &Interrupt,
) -> Result<Compared, WriteError> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let folders: HashSet<&str> = parents(paths(files)).collect();
    for folder in folders {
        match fs::symlink_metadata(old.join(folder)) {
            Ok(meta) if meta.is_dir() => {}
            _ => {
                return Ok(Compared {
                    all: false,
                    held: Vec::new(),
                });
            }
        }
    }
    let chunks = chunks(files.len());
    let held: Vec<AtomicUsize> = chunks.iter().map(|_| AtomicUsize::new(0)).collect();
    on_threads(&chunks, |text: &mut String, at, chunk| {
        let n = if interrupt.check().is_ok() {
            chunk
                .clone()
                .take_while(|&index| {
                    render(files, index, text).is_ok()
                        && found::holds(&old.join(files.path(index)), text)
                })
                .count()
        } else {
            0
        };
        held[at].store(n, Ordering::Relaxed);
        n == chunk.len()
    });
    interrupt.check()?;
    let held: Vec<usize> = held.into_iter().map(AtomicUsize::into_inner).collect();
    Ok(Compared {
        all: held.iter().sum::<usize>() == files.len(),
        held,
    })
}

/// Every folder that holds one of `paths`, as `/`-separated prefixes.
fn parents<'a>(paths: impl Iterator<Item = &'a str>) -> impl Iterator<Item = &'a str> {
    paths.flat_map(|p| p.match_indices('/').map(move |(i, _)| &p[..i]))
}

fn slash_path(relative: &Path) -> String {
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Fill `stage` with `files` and, from the previous output `old`, the entries netpc
/// did not generate. A generated file (the manifest included) whose text did not
/// change is hard-linked from `old` instead of written, so a rebuild that changes
/// little writes little and unchanged files stay the same files; one that
/// [`compare`] already found unchanged is not read again. Folders are made
/// first, then the files are written (or compared and linked) on several threads:
/// a folder of 100,000 small files is bound by system calls, not by bytes.
pub(super) fn fill(
    stage: &Path,
    old: Option<(&Path, &Old, &Compared)>,
    files: &dyn FileSet,
    interrupt: &Interrupt,
) -> Result<(), WriteError> {
    let mut made: HashSet<PathBuf> = HashSet::new();
    let mut folder_for = |path: &Path| -> Result<(), WriteError> {
        if let Some(folder) = path.parent()
            && !made.contains(folder)
        {
            fs::create_dir_all(folder).map_err(fail("cannot create the folder", folder))?;
            made.insert(folder.to_path_buf());
        }
        Ok(())
    };
    for path in paths(files) {
        folder_for(&stage.join(path))?;
    }
    write_files(stage, old, files, interrupt)?;
    let Some((old, survey, _)) = old else {
        return Ok(());
    };
    for kept in &survey.kept {
        interrupt.check()?;
        match kept {
            Kept::Folder(key) => {
                let path = stage.join(key);
                fs::create_dir_all(&path).map_err(fail("cannot create the folder", &path))?;
            }
            Kept::File(key) => {
                let (from, path) = (old.join(key), stage.join(key));
                folder_for(&path)?;
                fs::hard_link(&from, &path).map_err(fail("cannot keep (hard-link)", &from))?;
            }
            Kept::Link(key, target) => {
                let path = stage.join(key);
                folder_for(&path)?;
                symlink(target, &path)?;
            }
        }
    }
    Ok(())
}

/// Files per chunk a writing thread takes at a time.
pub(super) const WRITE_CHUNK: usize = 512;

/// The indices of `len` files, cut into chunks of [`WRITE_CHUNK`].
fn chunks(len: usize) -> Vec<std::ops::Range<usize>> {
    (0..len)
        .step_by(WRITE_CHUNK)
        .map(|start| start..(start + WRITE_CHUNK).min(len))
        .collect()
}

/// Write `files` into `stage` (their folders exist), linking those `old` holds
/// unchanged (neither rendered nor read if `compare` found them so), on up to four
/// threads taking chunks in turn, each rendering into its own buffer. The first
/// error in file order is returned, so a failure reads the same however the work was
/// shared.
fn write_files(
    stage: &Path,
    old: Option<(&Path, &Old, &Compared)>,
    files: &dyn FileSet,
    interrupt: &Interrupt,
) -> Result<(), WriteError> {
    let one = |text: &mut String, index: usize| -> Result<(), WriteError> {
        let relative = files.path(index);
        let path = stage.join(relative);
        let generated = |survey: &Old| relative == MANIFEST || survey.generated.contains(relative);
        if let Some((old, survey, compared)) = old
            && generated(survey)
        {
            let previous = old.join(relative);
            if compared.holds(index) && fs::hard_link(&previous, &path).is_ok() {
                return Ok(());
            }
            render(files, index, text)?;
            if found::holds(&previous, text) && fs::hard_link(&previous, &path).is_ok() {
                return Ok(());
            }
        } else {
            render(files, index, text)?;
        }
        fs::write(&path, text.as_bytes()).map_err(fail("cannot write", &path))
    };
    let chunks = chunks(files.len());
    let failures: std::sync::Mutex<Vec<(usize, WriteError)>> = std::sync::Mutex::new(Vec::new());
    on_threads(&chunks, |text: &mut String, at, chunk| {
        let result = interrupt
            .check()
            .and_then(|()| chunk.clone().try_for_each(|index| one(text, index)));
        let Err(err) = result else { return true };
        if let Ok(mut failures) = failures.lock() {
            failures.push((at, err));
        }
        // Later chunks are pointless: stop taking them.
        false
    });
    let mut failures = failures.into_inner().unwrap_or_default();
    failures.sort_by_key(|(at, _)| *at);
    match failures.into_iter().next() {
        Some((_, err)) => Err(err),
        None => Ok(()),
    }
}

/// Run `work` on `items` on up to four threads, each taking the next item in turn
/// (`work` gets the thread's own state, made by `S::default`, and the item's index).
/// Once `work` returns `false`, no thread takes another. A folder of 100,000 small
/// files is bound by system calls, so this is how the writer compares, writes and
/// removes them.
fn on_threads<T: Sync, S: Default>(items: &[T], work: impl Fn(&mut S, usize, &T) -> bool + Sync) {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .clamp(1, 4);
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut state = S::default();
                loop {
                    let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(item) = items.get(at) else { break };
                    if !work(&mut state, at, item) {
                        next.store(items.len(), std::sync::atomic::Ordering::Relaxed);
                        break;
                    }
                }
            });
        }
    });
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

/// Give every folder of `stage` that the previous output `old` also has that
/// folder's owner and group (where permitted), mode, and, when the folder holds the
/// same names for the same files as before (always so for a folder netpc did not
/// generate), its access and modification times. Deepest folders first, after all
/// entries are in place, so that nothing changes a folder after its time is set.
pub(super) fn carry_folders(
    stage: &Path,
    old: &Path,
    interrupt: &Interrupt,
) -> Result<(), WriteError> {
    for entry in walkdir::WalkDir::new(stage).contents_first(true) {
        let entry = entry.map_err(|e| WriteError {
            path: stage.to_path_buf(),
            what: "cannot read the folder",
            err: e.into(),
        })?;
        if !entry.file_type().is_dir() {
            continue;
        }
        interrupt.check()?;
        let Ok(relative) = entry.path().strip_prefix(stage) else {
            continue;
        };
        let before = old.join(relative);
        let Ok(meta) = fs::symlink_metadata(&before) else {
            continue;
        };
        if !meta.is_dir() {
            continue;
        }
        let now = entry.path();
        if same_entries(&before, now).map_err(fail("cannot read the folder", &before))? {
            let times = fs::FileTimes::new()
                .set_accessed(meta.accessed().map_err(fail("cannot inspect", &before))?)
                .set_modified(meta.modified().map_err(fail("cannot inspect", &before))?);
            fs::File::open(now)
                .and_then(|folder| folder.set_times(times))
                .map_err(fail("cannot set the time of", now))?;
        }
        set_owner_and_mode(now, &meta)?;
    }
    Ok(())
}

/// What a folder entry is, for comparing two folders: a folder by name only, a link
/// by its target, anything else by its inode. Both folders are on one file system:
/// the staging folder is made beside the output, and a kept file is hard-linked.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Entry {
    Folder,
    Link(PathBuf),
    File(u64),
}

fn same_entries(a: &Path, b: &Path) -> io::Result<bool> {
    Ok(entries(a)? == entries(b)?)
}

fn entries(dir: &Path) -> io::Result<Vec<(OsString, Entry)>> {
    let mut all = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let what = if kind.is_dir() {
            Entry::Folder
        } else if kind.is_symlink() {
            Entry::Link(fs::read_link(entry.path())?)
        } else {
            Entry::File(inode(&entry))
        };
        all.push((entry.file_name(), what));
    }
    all.sort();
    Ok(all)
}

/// The inode the folder listing gives (no `stat` per file: a folder of the output
/// holds hundreds of files).
#[cfg(unix)]
fn inode(entry: &fs::DirEntry) -> u64 {
    std::os::unix::fs::DirEntryExt::ino(entry)
}

/// Without inode numbers, files are compared by name only (as before).
#[cfg(not(unix))]
fn inode(_entry: &fs::DirEntry) -> u64 {
    0
}

/// Owner and group first (changing them may clear set-id bits), then the mode.
#[cfg(unix)]
fn set_owner_and_mode(path: &Path, was: &fs::Metadata) -> Result<(), WriteError> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let now = fs::symlink_metadata(path).map_err(fail("cannot inspect", path))?;
    if (now.uid(), now.gid()) != (was.uid(), was.gid()) {
        // Only root may give a folder away; others keep the group where they can.
        if std::os::unix::fs::chown(path, Some(was.uid()), Some(was.gid())).is_err() {
            let _ = std::os::unix::fs::chown(path, None, Some(was.gid()));
        }
    }
    let mode = was.permissions().mode() & 0o7777;
    if now.permissions().mode() & 0o7777 != mode {
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .map_err(fail("cannot set permissions on", path))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_owner_and_mode(path: &Path, was: &fs::Metadata) -> Result<(), WriteError> {
    fs::set_permissions(path, was.permissions()).map_err(fail("cannot set permissions on", path))
}

/// Remove a tree netpc owns (a staging folder, or the previous output after the
/// swap), best effort: a folder carried over without write permission is made
/// writable first, inside this tree only.
pub(super) fn remove(dir: &Path) {
    remove_deep_folders(dir);
    if fs::remove_dir_all(dir).is_ok() || !dir.exists() {
        return;
    }
    for entry in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if entry.file_type().is_dir() {
            let _ = make_writable(entry.path());
        }
    }
    let _ = fs::remove_dir_all(dir);
}

/// Removes the folders two levels below `dir` (`namespaces/<ns>`, where nearly all
/// files of an output are) on several threads; what fails is left to the caller's
/// `remove_dir_all`. Links are never followed (a link is not a folder here).
fn remove_deep_folders(dir: &Path) {
    let folders_in = |dir: &Path| -> Vec<PathBuf> {
        fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect()
    };
    let deep: Vec<PathBuf> = folders_in(dir).iter().flat_map(|d| folders_in(d)).collect();
    on_threads(&deep, |(): &mut (), _, folder| {
        let _ = fs::remove_dir_all(folder);
        true
    });
}

#[cfg(unix)]
fn make_writable(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::symlink_metadata(dir)?.permissions().mode();
    fs::set_permissions(dir, fs::Permissions::from_mode(mode | 0o700))
}

#[cfg(not(unix))]
fn make_writable(dir: &Path) -> io::Result<()> {
    let mut permissions = fs::symlink_metadata(dir)?.permissions();
    permissions.set_readonly(false);
    fs::set_permissions(dir, permissions)
}

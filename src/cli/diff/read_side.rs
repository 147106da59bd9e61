//! Reading one side of `netpc diff` (and the input of `netpc graph`): a compiled output
//! folder (it has `labels.yaml`), a `.netp` program (folders or files, compiled in memory
//! as `netpc build` would), or `git:REV:PATH` (PATH as it was at REV). A git side is
//! read from git's object store into memory and never written to disk: the tree entries
//! are checked first (no `..`, `.`, empty or `.git` component, no absolute path, no
//! symbolic link or submodule, no blob over the size limit), so a crafted branch cannot
//! make netpc write or read anything outside what it names.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cli::ProgramArgs;
use crate::compile::{Compilation, Input, Options};
use crate::diagnostic::{Diagnostics, Severity};
use crate::insight::git_objects::{self, Blob, GitError};
use crate::insight::side::{self, Side};
use crate::output;
use crate::source::{FileId, FileKey, LoadFailure, Loader, Origin, Sources};

/// The largest blob a git side reads (a `.netp` file or a policy file).
const MAX_BLOB: u64 = 16 << 20;

/// A side that could not be read: the message to print (diagnostics already printed)
/// and the exit status (1 for a tree netpc refuses to read, 2 otherwise).
#[derive(Debug)]
pub struct SideError {
    pub message: String,
    pub status: u8,
}

impl From<String> for SideError {
    fn from(message: String) -> SideError {
        SideError {
            message,
            status: super::super::EXIT_USAGE,
        }
    }
}

fn refused(message: String) -> SideError {
    SideError {
        message,
        status: super::super::EXIT_INPUT,
    }
}

fn side_error(error: GitError) -> SideError {
    match error {
        GitError::Refused(message) => refused(message),
        GitError::Unexpected(message) => SideError::from(message),
    }
}

/// A loaded side and, for a program, the names of its externals by address ranges
/// (for `graph`).
pub struct Loaded {
    pub side: Side,
    pub external_names: BTreeMap<String, String>,
}

/// Reads the side that `paths` name: one `git:REV:PATH`, one compiled folder, or the
/// files and folders of a program.
pub fn load(paths: &[PathBuf], color: bool, flags: &ProgramArgs) -> Result<Loaded, SideError> {
    if let [only] = paths
        && let Some(spec) = only.to_str().and_then(|s| s.strip_prefix("git:"))
    {
        return load_git(spec, color);
    }
    if let [only] = paths
        && super::super::folder::is_compiled(only)
    {
        let files = super::super::folder::read(only)?;
        return compiled_folder(&only.display().to_string(), &files);
    }
    if let [only] = paths
        && (super::super::manifest_files::is_manifest_folder(only)
            || (only.is_file() && super::super::manifest_files::is_manifest(only)))
    {
        return manifests(only);
    }
    let compiled = super::super::program::load_and_compile(paths, flags, Options::default())
        .map_err(|e| SideError::from(e.to_string()))?;
    program(compiled, &shown(paths), color)
}

fn shown(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    names.join(" ")
}

/// A folder (or file) of NetworkPolicy manifests that is not netpc output.
fn manifests(path: &Path) -> Result<Loaded, SideError> {
    let texts = super::super::manifest_files::read_all(&[path.to_path_buf()])?;
    let cluster = crate::analyze::load_texts(texts.iter().map(|(p, t)| (p.as_str(), t.as_str())))
        .map_err(|e| refused(e.to_string()))?;
    Ok(Loaded {
        side: crate::insight::manifest_side::from_cluster(&cluster),
        external_names: BTreeMap::new(),
    })
}

fn compiled_folder(shown: &str, files: &[(String, String)]) -> Result<Loaded, SideError> {
    let folder = output::read(files.iter().map(|(p, t)| (p.as_str(), t.as_str())))
        .map_err(|e| format!("`{shown}`: {e}"))?;
    Ok(Loaded {
        side: side::from_folder(folder),
        external_names: BTreeMap::new(),
    })
}

/// A compiled program's side; on errors, prints them (errors only) and fails.
fn program(mut compiled: Compilation, shown: &str, color: bool) -> Result<Loaded, SideError> {
    let Some(plan) = compiled.plan.take() else {
        let mut errors = Diagnostics::new();
        for d in std::mem::take(&mut compiled.diagnostics).into_vec() {
            if d.severity() == Severity::Error {
                errors.push(d);
            }
        }
        errors.sort();
        let text = crate::render::human(&compiled.sources, &errors, color);
        eprint!("{}", String::from_utf8_lossy(&text));
        return Err(format!("`{shown}` has errors").into());
    };
    let folder = crate::verify::compiled(&plan)?;
    Ok(Loaded {
        side: side::from_folder(folder),
        external_names: crate::insight::drawing::external_names(&plan.program),
    })
}

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, SideError> {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    Ok(output.stdout)
}

/// `PATH` relative to the repository's top folder, lexically.
fn repo_relative(top: &Path, path: &Path) -> Result<PathBuf, SideError> {
    let cwd = std::env::current_dir().map_err(|e| format!("no current folder: {e}"))?;
    let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
    let mut absolute = PathBuf::new();
    for component in cwd.join(path).components() {
        match component {
            Component::ParentDir => {
                absolute.pop();
            }
            Component::CurDir => {}
            other => absolute.push(other),
        }
    }
    absolute
        .strip_prefix(top)
        .map(Path::to_path_buf)
        .map_err(|_| format!("`{}` is outside the git repository", path.display()).into())
}

fn load_git(spec: &str, color: bool) -> Result<Loaded, SideError> {
    let (repo, path, pathspec) = open_git(spec)?;
    let blobs = repo.list(&pathspec)?;
    if blobs.is_empty() {
        return Err(format!("`{path}` does not exist at `{}`", repo.rev).into());
    }
    let prefix = if pathspec.is_empty() {
        String::new()
    } else {
        format!("{pathspec}/")
    };
    // Each blob with its path relative to PATH (PATH may name a single file).
    let under: Vec<(&Blob, String)> = blobs
        .iter()
        .filter_map(|blob| {
            let relative = if blob.path == pathspec {
                blob.path.rsplit('/').next()
            } else {
                blob.path.strip_prefix(&prefix)
            };
            relative.map(|rel| (blob, rel.to_owned()))
        })
        .collect();
    let shown = format!("git:{spec}");
    if under.iter().any(|(_, rel)| rel == output::CONTRACT) {
        return git_folder(&repo, under, &shown);
    }
    // As `netpc build` finds files in a folder: `*.netp`, hidden folders skipped.
    let roots: Vec<&Blob> = under
        .iter()
        .filter(|(_, rel)| rel.ends_with(".netp") && !rel.split('/').any(|c| c.starts_with('.')))
        .map(|(blob, _)| *blob)
        .collect();
    if roots.is_empty() {
        return Err(format!("no `.netp` files in `{path}` at `{}`", repo.rev).into());
    }
    program(git_program(&repo, &roots)?, &shown, color)
}

/// Parse `REV:PATH`, find the repository and check the revision: the repository, PATH
/// as given, and PATH relative to the repository's top (empty for the top itself).
fn open_git(spec: &str) -> Result<(GitRepo, String, String), SideError> {
    let (rev, path) = spec.split_once(':').ok_or_else(|| {
        SideError::from(format!(
            "`git:{spec}`: expected `git:REV:PATH`, e.g. `git:main:netp`"
        ))
    })?;
    if rev.is_empty() || rev.starts_with('-') {
        return Err(
            format!("`git:{spec}`: `{rev}` is not a revision (expected `git:REV:PATH`)").into(),
        );
    }
    let path = if path.is_empty() { "." } else { path };
    let top = git(Path::new("."), &["rev-parse", "--show-toplevel"]).map_err(|_| {
        SideError::from(format!(
            "`git:{spec}`: the current folder is not inside a git repository"
        ))
    })?;
    let top = PathBuf::from(String::from_utf8_lossy(&top).trim());
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let relative = repo_relative(&top, Path::new(path))?;
    let pathspec = if relative.as_os_str().is_empty() {
        String::new()
    } else {
        relative.to_string_lossy().replace('\\', "/")
    };
    let rev_commit = format!("{rev}^{{commit}}");
    git(&top, &["rev-parse", "--verify", "--quiet", &rev_commit]).map_err(|_| {
        SideError::from(format!("`{rev}` is not a revision of this git repository"))
    })?;
    let repo = GitRepo {
        top,
        rev: rev.to_owned(),
    };
    Ok((repo, path.to_owned(), pathspec))
}

/// A compiled folder at a revision: only the files the layout says a reader needs.
fn git_folder(
    repo: &GitRepo,
    under: Vec<(&Blob, String)>,
    shown: &str,
) -> Result<Loaded, SideError> {
    let wanted: Vec<(&Blob, String)> = under
        .into_iter()
        .filter(|(_, rel)| output::classify(rel).is_listed())
        .collect();
    let texts = repo.read_blobs(wanted.iter().map(|(b, _)| *b))?;
    let files: Vec<(String, String)> = wanted.into_iter().map(|(_, rel)| rel).zip(texts).collect();
    compiled_folder(shown, &files)
}

/// Compile the program whose root files are `roots`, reading `use`d files from the same
/// revision; files are keyed by their repository path and shown as `git:REV:PATH`.
fn git_program(repo: &GitRepo, roots: &[&Blob]) -> Result<Compilation, SideError> {
    let texts = repo.read_blobs(roots.iter().copied())?;
    let mut sources = Sources::new();
    let ids: Vec<FileId> = roots
        .iter()
        .zip(texts)
        .map(|(blob, text)| {
            let id = sources.add(Origin::File(PathBuf::from(&blob.path)), text);
            sources.set_name(id, repo.shown(&blob.path));
            id
        })
        .collect();
    let input = Input {
        sources,
        roots: ids,
        diagnostics: Diagnostics::new(),
        loader: repo,
    };
    Ok(crate::compile(input, Options::default()))
}

/// A git repository at one revision, read through `git ls-tree` and `git cat-file`.
struct GitRepo {
    top: PathBuf,
    rev: String,
}

impl GitRepo {
    /// How a file of this revision is named in diagnostics.
    fn shown(&self, path: &str) -> String {
        format!("git:{}:{path}", self.rev)
    }

    /// Every blob under `pathspec` (the whole tree when empty), each entry checked.
    fn list(&self, pathspec: &str) -> Result<Vec<Blob>, SideError> {
        let mut args = vec!["ls-tree", "-r", "-l", "-z", "--full-tree", &self.rev];
        if !pathspec.is_empty() {
            args.extend(["--", pathspec]);
        }
        let listing = git(&self.top, &args)?;
        git_objects::parse_tree(&listing, &self.rev).map_err(side_error)
    }

    /// The texts of `blobs`, in order, from one `git cat-file --batch`.
    fn read_blobs<'b>(
        &self,
        blobs: impl Iterator<Item = &'b Blob>,
    ) -> Result<Vec<String>, SideError> {
        let blobs: Vec<&Blob> = blobs.collect();
        if let Some(big) = blobs.iter().find(|b| b.size > MAX_BLOB) {
            return Err(refused(format!(
                "`git:{}:{}` is {} bytes, over the limit of {MAX_BLOB} bytes for one file",
                self.rev, big.path, big.size
            )));
        }
        let request: String = blobs.iter().map(|b| format!("{}\n", b.oid)).collect();
        let bodies = cat_blobs(&self.top, request, blobs.len())?;
        blobs
            .iter()
            .zip(bodies)
            .map(|(blob, bytes)| {
                String::from_utf8(bytes).map_err(|_| {
                    refused(format!(
                        "`git:{}:{}` is not UTF-8 text",
                        self.rev, blob.path
                    ))
                })
            })
            .collect()
    }
}

/// `use "file"` inside a git side: the file at the same revision. Keys are paths
/// relative to the repository's top (as the roots' are); a path that leaves the
/// repository, or is not a clean relative path, is refused. Files are named
/// `git:REV:PATH` in diagnostics.
impl Loader for GitRepo {
    fn locate(&self, from: &FileKey, path: &str) -> Result<FileKey, LoadFailure> {
        let refused = || {
            LoadFailure::Refused {
            reason: "it is outside the git repository being read".to_owned(),
            help: "in a `git:REV:PATH` side, `use` reads only files of the same revision, by a path relative to the using file".to_owned(),
        }
        };
        let from = from.path().to_string_lossy().replace('\\', "/");
        git_objects::locate(&from, path)
            .map(FileKey::new)
            .ok_or_else(refused)
    }

    fn read(&self, key: &FileKey) -> Result<String, LoadFailure> {
        let inside = key.path().to_string_lossy().replace('\\', "/");
        let blobs = self
            .list(&inside)
            .map_err(|e| LoadFailure::Unreadable(e.message))?;
        let blob = blobs
            .iter()
            .find(|b| b.path == inside)
            .ok_or(LoadFailure::NotFound)?;
        self.read_blobs(std::iter::once(blob))
            .map_err(|e| LoadFailure::Unreadable(e.message))?
            .pop()
            .ok_or(LoadFailure::NotFound)
    }

    fn display_name(&self, key: &FileKey) -> Option<String> {
        Some(self.shown(&key.path().to_string_lossy().replace('\\', "/")))
    }
}

/// The bodies of `count` objects from one `git cat-file --batch` fed `request`.
fn cat_blobs(top: &Path, request: String, count: usize) -> Result<Vec<Vec<u8>>, SideError> {
    let mut child = Command::new("git")
        .current_dir(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| SideError::from("cannot talk to git".to_owned()))?;
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut output = Vec::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout
            .read_to_end(&mut output)
            .map_err(|e| format!("cannot read from git: {e}"))?;
    }
    let _ = writer.join();
    let _ = child.wait();
    git_objects::parse_batch(&output, count).map_err(side_error)
}

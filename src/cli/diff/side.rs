//! Reading one side of `netpc diff` (and the input of `netpc graph`) from the file
//! system: a compiled output folder (it has `labels.yaml`), a `.netp` program (folders
//! or files, compiled in memory as `netpc build` would), or `git:REV:PATH` (PATH as it
//! was at REV, copied into a temporary folder with `git ls-tree` and `git cat-file`,
//! then read as one of the other two).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cli::ProgramArgs;
use crate::diagnostic::Diagnostics;
use crate::insight::side::{self, CONTRACT_FILE, Side};

/// A side that could not be read: the message to print (diagnostics already printed).
pub type SideError = String;

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
        return load_git(spec, color, flags);
    }
    load_local(paths, color, None, flags)
}

fn load_local(
    paths: &[PathBuf],
    color: bool,
    rename: Option<(&str, &str)>,
    flags: &ProgramArgs,
) -> Result<Loaded, SideError> {
    if let [only] = paths
        && only.is_dir()
        && only.join(CONTRACT_FILE).is_file()
    {
        return compiled_folder(only).map(|side| Loaded {
            side,
            external_names: BTreeMap::new(),
        });
    }
    program(paths, color, rename, flags)
}

fn compiled_folder(dir: &Path) -> Result<Side, SideError> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let relative = relative.to_string_lossy().replace('\\', "/");
        if relative != CONTRACT_FILE && !side::is_policy_file(&relative) {
            continue;
        }
        let bytes = crate::cli::read::read_bounded(entry.path(), crate::cli::read::MANIFEST_LIMIT)
            .map_err(|e| format!("cannot read `{}`: {e}", entry.path().display()))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("`{}` is not UTF-8 text", entry.path().display()))?;
        files.push((relative, text));
    }
    side::from_files(files.iter().map(|(p, t)| (p.as_str(), t.as_str())))
        .map_err(|e| format!("`{}`: {e}", dir.display()))
}

/// Compiles a program in memory, as `netpc build` would, and reads its output files.
fn program(
    paths: &[PathBuf],
    color: bool,
    rename: Option<(&str, &str)>,
    flags: &ProgramArgs,
) -> Result<Loaded, SideError> {
    let shown = || {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        match rename {
            Some((from, to)) => names.join(" ").replace(from, to),
            None => names.join(" "),
        }
    };
    let (mut sources, roots, mut diagnostics) =
        super::super::load_program(paths).map_err(|e| match rename {
            Some((from, to)) => e.to_string().replace(from, to),
            None => e.to_string(),
        })?;
    let loader = flags.loader(&sources, &roots).map_err(|e| e.to_string())?;
    let (program, more) = crate::check(&mut sources, &roots, &loader);
    diagnostics.extend(more);
    let mut errors_only = Diagnostics::new();
    let failed = |sources: &crate::source::Sources, all: Diagnostics, errors: &mut Diagnostics| {
        for d in all.into_vec() {
            if d.severity() == crate::diagnostic::Severity::Error {
                errors.push(d);
            }
        }
        errors.sort();
        let text =
            String::from_utf8_lossy(&crate::render::human(sources, errors, color)).into_owned();
        let text = match rename {
            Some((from, to)) => text.replace(from, to),
            None => text,
        };
        eprint!("{text}");
        format!("`{}` has errors", shown())
    };
    let Some(program) = program.filter(|_| !diagnostics.has_errors()) else {
        return Err(failed(&sources, diagnostics, &mut errors_only));
    };
    let mut lowered = Diagnostics::new();
    let plan = crate::lower::plan(&program, crate::lower::Options::default(), &mut lowered);
    if lowered.has_errors() {
        return Err(failed(&sources, lowered, &mut errors_only));
    }
    let files = crate::emit::files(&plan).map_err(|e| e.to_string())?;
    let side = side::from_files(files.iter().map(|f| (f.path.as_str(), f.text.as_str())))
        .map_err(|e| format!("`{}`: {e}", shown()))?;
    Ok(Loaded {
        side,
        external_names: crate::insight::graph::external_names(&program),
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
        ));
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
        .map_err(|_| format!("`{}` is outside the git repository", path.display()))
}

fn load_git(spec: &str, color: bool, flags: &ProgramArgs) -> Result<Loaded, SideError> {
    let (rev, path) = spec
        .split_once(':')
        .ok_or_else(|| format!("`git:{spec}`: expected `git:REV:PATH`, e.g. `git:main:netp`"))?;
    if rev.is_empty() || rev.starts_with('-') {
        return Err(format!(
            "`git:{spec}`: `{rev}` is not a revision (expected `git:REV:PATH`)"
        ));
    }
    let path = if path.is_empty() { "." } else { path };
    let top = git(Path::new("."), &["rev-parse", "--show-toplevel"])
        .map_err(|_| format!("`git:{spec}`: the current folder is not inside a git repository"))?;
    let top = String::from_utf8_lossy(&top).trim().to_owned();
    let top = PathBuf::from(&top);
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let relative = repo_relative(&top, Path::new(path))?;
    let pathspec = if relative.as_os_str().is_empty() {
        ".".to_owned()
    } else {
        relative.to_string_lossy().replace('\\', "/")
    };
    let rev_commit = format!("{rev}^{{commit}}");
    git(&top, &["rev-parse", "--verify", "--quiet", &rev_commit])
        .map_err(|_| format!("`{rev}` is not a revision of this git repository"))?;
    let listing = git(
        &top,
        &["ls-tree", "-r", "-z", "--full-tree", rev, "--", &pathspec],
    )?;
    let mut blobs = Vec::new();
    for record in listing.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let record = String::from_utf8_lossy(record);
        let Some((meta, file)) = record.split_once('\t') else {
            continue;
        };
        let mut fields = meta.split(' ');
        let (mode, kind, oid) = (fields.next(), fields.next(), fields.next());
        if kind == Some("blob")
            && mode != Some("120000")
            && let Some(oid) = oid
        {
            blobs.push((oid.to_owned(), file.to_owned()));
        }
    }
    if blobs.is_empty() {
        return Err(format!("`{path}` does not exist at `{rev}`"));
    }
    let temp = tempfile::Builder::new()
        .prefix("netpc-git-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    let contents = cat_blobs(&top, &blobs)?;
    for ((_, file), bytes) in blobs.iter().zip(contents) {
        let target = temp.path().join(file);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot write {}: {e}", parent.display()))?;
        }
        std::fs::write(&target, bytes)
            .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    }
    let root = temp.path().join(&pathspec);
    let prefix = format!("{}/", temp.path().display());
    let shown = format!("git:{rev}:");
    let loaded = load_local(&[root], color, Some((&prefix, &shown)), flags);
    drop(temp);
    loaded
}

/// The contents of blobs, in order, from one `git cat-file --batch`.
fn cat_blobs(top: &Path, blobs: &[(String, String)]) -> Result<Vec<Vec<u8>>, SideError> {
    let mut child = Command::new("git")
        .current_dir(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("cannot talk to git")?;
    let request: String = blobs.iter().map(|(oid, _)| format!("{oid}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut output = Vec::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout
            .read_to_end(&mut output)
            .map_err(|e| format!("cannot read from git: {e}"))?;
    }
    let _ = writer.join();
    let _ = child.wait();
    let mut out = Vec::with_capacity(blobs.len());
    let mut rest = &output[..];
    for _ in blobs {
        let header_end = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("unexpected output from `git cat-file`")?;
        let header = String::from_utf8_lossy(&rest[..header_end]).into_owned();
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("unexpected output from `git cat-file`: {header}"))?;
        let body = rest
            .get(header_end + 1..header_end + 1 + size)
            .ok_or("truncated output from `git cat-file`")?;
        out.push(body.to_vec());
        rest = rest.get(header_end + 2 + size..).unwrap_or(&[]);
    }
    Ok(out)
}

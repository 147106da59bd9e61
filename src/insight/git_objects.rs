//! The pure half of the git side of `netpc diff` and `netpc graph` (`git:REV:PATH`):
//! parsing what `git ls-tree -r -l -z` and `git cat-file --batch` print, checking each
//! tree entry (no `..`, `.`, empty or `.git` component, no absolute path, no symbolic
//! link, submodule or other non-blob), and resolving a `use` path inside the revision.
//! The CLI (`cli::diff::read_side`) runs git and hands the bytes here, so what a crafted
//! branch can make netpc read is decided by code that is unit tested and fuzzed
//! (`fuzz/fuzz_targets/git_side.rs`) without a repository.

/// One blob of a tree listing: its repository-relative path, object id and size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    pub path: String,
    pub oid: String,
    pub size: u64,
}

/// Why a listing or a batch could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GitError {
    /// The revision holds an entry netpc refuses to read (exit 1: the input is refused).
    Refused(String),
    /// git printed something netpc does not understand (exit 2).
    Unexpected(String),
}

/// The blobs of `git ls-tree -r -l -z --full-tree REV` output, each entry checked; `rev`
/// is only for messages. Records without a tab, an object id or a size are skipped.
pub fn parse_tree(listing: &[u8], rev: &str) -> Result<Vec<Blob>, GitError> {
    let mut blobs = Vec::new();
    for record in listing.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let record = String::from_utf8_lossy(record);
        let Some((meta, file)) = record.split_once('\t') else {
            continue;
        };
        let mut fields = meta.split_whitespace();
        let (mode, kind, oid, size) = (fields.next(), fields.next(), fields.next(), fields.next());
        check_entry(rev, file, mode.unwrap_or(""), kind.unwrap_or(""))?;
        let (Some(oid), Some(size)) = (oid, size.and_then(|s| s.parse().ok())) else {
            continue;
        };
        blobs.push(Blob {
            path: file.to_owned(),
            oid: oid.to_owned(),
            size,
        });
    }
    Ok(blobs)
}

/// Refuse a tree entry netpc will not read: a symbolic link, a submodule, or a path
/// with an empty, `.`, `..` or `.git` component, or an absolute path.
pub fn check_entry(rev: &str, file: &str, mode: &str, kind: &str) -> Result<(), GitError> {
    let unsafe_name = file.starts_with('/')
        || file
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == ".." || c.eq_ignore_ascii_case(".git"));
    let shown = file.escape_debug();
    let refused = |message: String| Err(GitError::Refused(message));
    if unsafe_name {
        return refused(format!(
            "`git:{rev}`: the tree holds an entry named `{shown}`, which is not a safe relative path; netpc refuses to read this revision"
        ));
    }
    match (mode, kind) {
        ("120000", _) => refused(format!(
            "`git:{rev}:{shown}` is a symbolic link; netpc reads only regular files from git"
        )),
        (_, "commit") | ("160000", _) => refused(format!(
            "`git:{rev}:{shown}` is a submodule; netpc reads only regular files from git"
        )),
        (_, "blob") => Ok(()),
        _ => refused(format!(
            "`git:{rev}:{shown}` is not a regular file (mode {mode}, {kind})"
        )),
    }
}

/// The bodies of the first `count` objects of `git cat-file --batch` output (each a
/// header line `OID TYPE SIZE`, SIZE bytes and a newline).
pub fn parse_batch(output: &[u8], count: usize) -> Result<Vec<Vec<u8>>, GitError> {
    let unexpected = |what: String| GitError::Unexpected(what);
    let mut out = Vec::with_capacity(count.min(output.len()));
    let mut rest = output;
    for _ in 0..count {
        let header_end = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| unexpected("unexpected output from `git cat-file`".to_owned()))?;
        let header = String::from_utf8_lossy(&rest[..header_end]).into_owned();
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                unexpected(format!("unexpected output from `git cat-file`: {header}"))
            })?;
        let body = header_end
            .checked_add(1 + size.min(usize::MAX - 2))
            .and_then(|end| rest.get(header_end + 1..end))
            .ok_or_else(|| unexpected("truncated output from `git cat-file`".to_owned()))?;
        out.push(body.to_vec());
        rest = rest.get(header_end + 2 + size..).unwrap_or(&[]);
    }
    Ok(out)
}

/// The repository path that `use "path"` names from the file at `from` (a repository
/// path, `/`-separated), or `None` when it leaves the repository, is absolute or goes
/// through `.git`.
pub fn locate(from: &str, path: &str) -> Option<String> {
    if path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = from.split('/').filter(|c| !c.is_empty()).collect();
    parts.pop();
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c if c.eq_ignore_ascii_case(".git") => return None,
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_gives_its_blobs_and_refuses_unsafe_entries() {
        let listing = b"100644 blob abc 12\tnetp/a.netp\x00100644 blob def 3\tnetp/b.netp\x00";
        let blobs = parse_tree(listing, "main");
        assert!(
            matches!(blobs.as_deref(), Ok([a, b]) if a.path == "netp/a.netp" && b.size == 3),
            "{blobs:?}"
        );
        for bad in [
            &b"100644 blob abc 1\tnetp/../x\0"[..],
            b"120000 blob abc 1\tlink\0",
            b"160000 commit abc -\tsub\0",
            b"100644 blob abc 1\t.GIT/config\0",
            b"040000 tree abc -\tdir\0",
        ] {
            assert!(matches!(parse_tree(bad, "main"), Err(GitError::Refused(_))));
        }
    }

    #[test]
    fn a_batch_gives_each_body_and_refuses_truncation() {
        let out = b"abc blob 3\nfoo\ndef blob 0\n\n";
        assert_eq!(parse_batch(out, 2), Ok(vec![b"foo".to_vec(), vec![]]));
        assert!(parse_batch(b"abc blob 5\nfoo\n", 1).is_err());
        assert!(parse_batch(b"abc blob 18446744073709551615\nfoo\n", 1).is_err());
    }

    #[test]
    fn use_paths_stay_inside_the_repository() {
        assert_eq!(
            locate("netp/a.netp", "lib/b.netp").as_deref(),
            Some("netp/lib/b.netp")
        );
        assert_eq!(
            locate("netp/a.netp", "../b.netp").as_deref(),
            Some("b.netp")
        );
        assert_eq!(locate("netp/a.netp", "../../b.netp"), None);
        assert_eq!(locate("a.netp", "/etc/passwd"), None);
        assert_eq!(locate("a.netp", ".git/config"), None);
    }
}

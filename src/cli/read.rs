//! The one bounded reader of user input on disk: every `.netp` file (named, found in a
//! folder or `use`d) and every manifest or YAML file that a command reads goes through
//! [`read_bounded`] / [`read_text`], and every file of an existing output folder that a
//! build reads goes through [`read_bounded_no_follow`] (a symbolic link there is not
//! followed). Only regular files are read (a FIFO, a device, a socket or a folder is
//! refused, so nothing hangs or reads forever), and never more than a fixed size
//! (docs/limits.md).

use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::path::Path;

/// The largest `.netp` file read: 16 MiB.
pub const NETP_LIMIT: u64 = 16 << 20;
/// The largest manifest, label contract or other YAML/JSON file read: 64 MiB.
pub const MANIFEST_LIMIT: u64 = 64 << 20;

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    NotFound,
    /// Not a regular file: what it is (`a FIFO`, `a character device`, ...).
    NotRegular(&'static str),
    /// Larger than the limit (in bytes).
    TooLarge(u64),
    /// Not UTF-8 text (only from [`read_text`]).
    NotUtf8,
    Io(std::io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotFound => write!(f, "no such file"),
            ReadError::NotRegular(what) => {
                write!(
                    f,
                    "it is {what}, not a regular file (only regular files are read)"
                )
            }
            ReadError::TooLarge(limit) => {
                write!(
                    f,
                    "it is larger than {} MiB, the limit (docs/limits.md)",
                    limit >> 20
                )
            }
            ReadError::NotUtf8 => write!(f, "it is not UTF-8 text"),
            ReadError::Io(err) => write!(f, "{err}"),
        }
    }
}

impl From<std::io::Error> for ReadError {
    fn from(err: std::io::Error) -> ReadError {
        if err.kind() == std::io::ErrorKind::NotFound {
            ReadError::NotFound
        } else {
            ReadError::Io(err)
        }
    }
}

/// What a non-regular file is, in words.
fn kind(metadata: &Metadata) -> Option<&'static str> {
    let file_type = metadata.file_type();
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a FIFO");
        }
        if file_type.is_char_device() {
            return Some("a character device");
        }
        if file_type.is_block_device() {
            return Some("a block device");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
    }
    Some("a special file")
}

/// Open for reading without blocking: opening a FIFO that no one writes to would
/// otherwise wait forever (it is refused right after, by its metadata). With
/// `follow == false`, a final symbolic link is not followed either.
fn open(path: &Path, follow: bool) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt;
        let flags = if follow {
            OFlags::NONBLOCK
        } else {
            OFlags::NONBLOCK | OFlags::NOFOLLOW
        };
        options.custom_flags(i32::try_from(flags.bits()).unwrap_or(0));
    }
    #[cfg(not(target_os = "linux"))]
    let _ = follow;
    options.open(path)
}

/// The bytes of the regular file at `path` (symbolic links followed), at most `limit`.
///
/// The path is checked before it is opened (so a device is never even opened), and the
/// opened file is checked again by its own metadata (so a file swapped in between is
/// caught); the read itself stops one byte past the limit whatever the size said.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    read_checked(path, limit, true)
}

/// [`read_bounded`] without following a symbolic link: a link is `NotRegular`.
pub fn read_bounded_no_follow(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    read_checked(path, limit, false)
}

fn read_checked(path: &Path, limit: u64, follow: bool) -> Result<Vec<u8>, ReadError> {
    let first_look = if follow {
        std::fs::metadata(path)?
    } else {
        std::fs::symlink_metadata(path)?
    };
    if first_look.file_type().is_symlink() {
        return Err(ReadError::NotRegular("a symbolic link"));
    }
    if let Some(what) = kind(&first_look) {
        return Err(ReadError::NotRegular(what));
    }
    let file = open(path, follow)?;
    let metadata = file.metadata()?;
    if let Some(what) = kind(&metadata) {
        return Err(ReadError::NotRegular(what));
    }
    if metadata.len() > limit {
        return Err(ReadError::TooLarge(limit));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    Ok(bytes)
}

/// Whether `path` is a regular file (a symbolic link is not followed) holding exactly
/// `expected`, with [`read_bounded_no_follow`]'s checks: the path is looked at before
/// it is opened and the opened file again. A file whose size differs from `expected`'s
/// is never opened, and one of the same size is read once, to that size (no read past
/// it: the answer is about the file as it was when looked at). What a rebuild asks of
/// each file it may keep, so it costs as few system calls as can be.
pub fn holds_no_follow(path: &Path, expected: &[u8]) -> std::io::Result<bool> {
    let size = u64::try_from(expected.len()).unwrap_or(u64::MAX);
    let fits = |metadata: &Metadata| kind(metadata).is_none() && metadata.len() == size;
    match std::fs::symlink_metadata(path) {
        Ok(first_look) if fits(&first_look) => {}
        Ok(_) => return Ok(false),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(err) => return Err(err),
    }
    let mut file = open(path, false)?;
    if !fits(&file.metadata()?) {
        return Ok(false);
    }
    let mut bytes = vec![0; expected.len()];
    match file.read_exact(&mut bytes) {
        Ok(()) => Ok(bytes == expected),
        // Cut short since it was looked at.
        Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(err) => Err(err),
    }
}

/// [`read_bounded`], as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    String::from_utf8(read_bounded(path, limit)?).map_err(|_| ReadError::NotUtf8)
}

/// Standard input as UTF-8 text, at most `limit` bytes (more is `TooLarge`, never a
/// silently cut text).
pub fn read_stdin(limit: u64) -> Result<String, ReadError> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
pub(crate) mod tests {
    use super::holds_no_follow;

    #[test]
    fn a_file_holds_exactly_its_bytes_and_nothing_else_does() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("a.yaml");
        std::fs::write(&file, "kind: x\n").unwrap();
        assert!(holds_no_follow(&file, b"kind: x\n").unwrap());
        // Same size, one byte off; shorter; longer; empty.
        assert!(!holds_no_follow(&file, b"kind: y\n").unwrap());
        assert!(!holds_no_follow(&file, b"kind: x").unwrap());
        assert!(!holds_no_follow(&file, b"kind: x\n\n").unwrap());
        assert!(!holds_no_follow(&file, b"").unwrap());
        assert!(!holds_no_follow(&tmp.path().join("missing"), b"").unwrap());
        // A folder, and a link to a file with the very bytes: not followed.
        assert!(!holds_no_follow(tmp.path(), b"").unwrap());
        #[cfg(unix)]
        {
            let link = tmp.path().join("link.yaml");
            std::os::unix::fs::symlink(&file, &link).unwrap();
            assert!(!holds_no_follow(&link, b"kind: x\n").unwrap());
        }
    }

    /// A FIFO has size 0: asked whether it holds nothing, it does not, and the answer
    /// does not wait for a writer.
    #[cfg(unix)]
    #[test]
    fn a_fifo_holds_nothing_and_does_not_hang() {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        assert!(!within_20s(move || holds_no_follow(&fifo, b"").unwrap()));
    }

    /// Run `job` on a thread; fail (instead of hanging the test run) if it takes over
    /// 20 s. For the tests that put special files (FIFOs) where netpc reads.
    pub(crate) fn within_20s<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> T {
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = send.send(job());
        });
        receive
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("hung on a special file")
    }
}

//! Reading files of the output folder without trusting them: only a regular file is
//! read (never a FIFO, a device, a folder, or anything through a symbolic link), and
//! never more than a bound, so a special file planted in the output cannot hang or
//! exhaust a build. Private to `write`; the loader's bounded reader of sources follows
//! the same rule, and the two can become one.

use std::fs;
use std::io::{self, Read};
use std::path::Path;

/// The most `.netpc-generated` may hold (64 MiB: a million paths of 64 bytes).
pub(super) const MANIFEST_LIMIT: u64 = 64 << 20;

/// What is at a path of the output folder.
#[derive(Debug)]
pub(super) enum Found {
    /// Nothing.
    Missing,
    /// Something that is not a regular file (a folder, a link, a FIFO, a device).
    NotRegular,
    /// A regular file larger than the bound.
    TooLarge,
    /// A regular file and its bytes.
    Bytes(Vec<u8>),
}

/// Read `path` if it is a regular file (a link is not followed) of at most `limit`
/// bytes.
pub(super) fn regular(path: &Path, limit: u64) -> io::Result<Found> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Found::Missing),
        Err(err) => return Err(err),
    };
    if !meta.is_file() {
        return Ok(Found::NotRegular);
    }
    if meta.len() > limit {
        return Ok(Found::TooLarge);
    }
    let file = open_no_follow(path)?;
    // The path may have been replaced between the two looks: check what was opened.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(Found::NotRegular);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len().min(limit)).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if u64::try_from(bytes.len()).map_or(true, |n| n > limit) {
        return Ok(Found::TooLarge);
    }
    Ok(Found::Bytes(bytes))
}

/// Whether `path` is a regular file holding exactly `text`.
pub(super) fn holds(path: &Path, text: &str) -> bool {
    let limit = u64::try_from(text.len()).unwrap_or(u64::MAX);
    matches!(regular(path, limit), Ok(Found::Bytes(bytes)) if bytes == text.as_bytes())
}

/// Open for reading without following a final symbolic link, and without blocking on
/// a FIFO put there after the first look.
#[cfg(target_os = "linux")]
fn open_no_follow(path: &Path) -> io::Result<fs::File> {
    use rustix::fs::OFlags;
    use std::os::unix::fs::OpenOptionsExt;
    let flags = (OFlags::NOFOLLOW | OFlags::NONBLOCK).bits();
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(i32::try_from(flags).unwrap_or(0))
        .open(path)
}

#[cfg(not(target_os = "linux"))]
fn open_no_follow(path: &Path) -> io::Result<fs::File> {
    fs::File::open(path)
}

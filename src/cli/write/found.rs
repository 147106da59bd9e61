//! Reading files of the output folder without trusting them: only a regular file is
//! read (never a FIFO, a device, a folder, or anything through a symbolic link), and
//! never more than a bound, so a special file planted in the output cannot hang or
//! exhaust a build. What `write` sees of a path; the reading itself is the one bounded
//! reader of `cli::read`.

use std::io;
use std::path::Path;

/// The most `.netpc-generated` may hold: the bound of every manifest-like file
/// (64 MiB: a million paths of 64 bytes).
pub(super) use crate::cli::read::MANIFEST_LIMIT;

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
/// bytes, through the one bounded reader (`cli::read`).
pub(super) fn regular(path: &Path, limit: u64) -> io::Result<Found> {
    use crate::cli::read::{ReadError, read_bounded_no_follow};
    match read_bounded_no_follow(path, limit) {
        Ok(bytes) => Ok(Found::Bytes(bytes)),
        Err(ReadError::NotFound) => Ok(Found::Missing),
        Err(ReadError::NotRegular(_)) => Ok(Found::NotRegular),
        Err(ReadError::TooLarge(_)) => Ok(Found::TooLarge),
        Err(ReadError::NotUtf8) => Err(io::Error::from(io::ErrorKind::InvalidData)),
        Err(ReadError::Io(err)) => Err(err),
    }
}

/// Whether `path` is a regular file (a link is not followed) holding exactly `text`;
/// a file of another size is not even opened.
pub(super) fn holds(path: &Path, text: &str) -> bool {
    matches!(
        crate::cli::read::holds_no_follow(path, text.as_bytes()),
        Ok(true)
    )
}

//! What keeps a build's writing safe from other processes: the exclusive lock that
//! lets one build at a time replace an output folder, and the interrupt that turns
//! SIGINT or SIGTERM during the write into an orderly stop (the staging folder
//! removed, the previous output left) instead of a kill that leaves litter.
//!
//! The lock is an exclusive `flock` on the output folder's parent folder itself (the
//! folder where staging happens), not on a lock file: nothing is created, so nothing
//! is left behind or shows in `git status`, and a lock file's unlink-while-waited-on
//! race cannot happen. Two builds into sibling folders of one parent wait for each
//! other too; that costs little.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::WriteError;

/// Held while a build replaces an output folder; released when dropped (the file
/// is closed).
#[derive(Debug)]
pub(super) struct Lock {
    _parent: Option<fs::File>,
}

/// Take the exclusive lock on `parent`. When another build holds it, say so once and
/// wait (polling, so that SIGINT and SIGTERM still stop the wait).
pub(super) fn lock(parent: &Path, interrupt: &Interrupt) -> Result<Lock, WriteError> {
    let failed = |err: io::Error| WriteError {
        path: parent.to_path_buf(),
        what: "cannot lock the folder",
        err,
    };
    let file = fs::File::open(parent).map_err(failed)?;
    let mut said = false;
    loop {
        match file.try_lock() {
            Ok(()) => {
                return Ok(Lock {
                    _parent: Some(file),
                });
            }
            Err(fs::TryLockError::WouldBlock) => {}
            // A file system without locks: build as before, unlocked.
            Err(fs::TryLockError::Error(err)) if err.kind() == io::ErrorKind::Unsupported => {
                return Ok(Lock { _parent: None });
            }
            Err(fs::TryLockError::Error(err)) => return Err(failed(err)),
        }
        if !said {
            eprintln!(
                "netpc: waiting for another build that is writing in `{}`",
                parent.display()
            );
            said = true;
        }
        interrupt.check()?;
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGINT and SIGTERM, caught while at least one write is armed.
struct Signals {
    /// True while no write is armed: a signal then acts as it would without netpc's
    /// handler (the default action: the process ends).
    default: Arc<AtomicBool>,
    /// The last signal caught while armed (0: none).
    caught: Arc<AtomicUsize>,
    /// How many writes are armed (several only in tests, which write on threads).
    armed: Mutex<usize>,
}

static SIGNALS: OnceLock<Option<Signals>> = OnceLock::new();

#[cfg(unix)]
fn install() -> Option<Signals> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let signals = Signals {
        default: Arc::new(AtomicBool::new(true)),
        caught: Arc::new(AtomicUsize::new(0)),
        armed: Mutex::new(0),
    };
    for signal in [SIGINT, SIGTERM] {
        signal_hook::flag::register_conditional_default(signal, Arc::clone(&signals.default))
            .ok()?;
        let number = usize::try_from(signal).unwrap_or(1);
        signal_hook::flag::register_usize(signal, Arc::clone(&signals.caught), number).ok()?;
    }
    Some(signals)
}

#[cfg(not(unix))]
fn install() -> Option<Signals> {
    None
}

#[cfg(unix)]
fn is_sigint(number: usize) -> bool {
    usize::try_from(signal_hook::consts::SIGINT).is_ok_and(|sigint| sigint == number)
}

#[cfg(not(unix))]
fn is_sigint(_number: usize) -> bool {
    false
}

/// While alive, SIGINT and SIGTERM do not end the process: they are recorded, and
/// [`Interrupt::check`] turns them into an error at the next step of the write.
/// The handlers are installed on the first write, so before it a signal acts as
/// usual; when the last `Interrupt` is dropped, signals act as usual again.
#[derive(Debug)]
pub(super) struct Interrupt {
    armed: bool,
    /// The output folder, named in the error.
    output: PathBuf,
}

impl Interrupt {
    pub(super) fn arm(output: &Path) -> Interrupt {
        let unarmed = || Interrupt {
            armed: false,
            output: output.to_path_buf(),
        };
        let Some(signals) = SIGNALS.get_or_init(install) else {
            return unarmed();
        };
        let Ok(mut armed) = signals.armed.lock() else {
            return unarmed();
        };
        if *armed == 0 {
            signals.caught.store(0, Ordering::SeqCst);
        }
        *armed += 1;
        signals.default.store(false, Ordering::SeqCst);
        Interrupt {
            armed: true,
            output: output.to_path_buf(),
        }
    }

    /// An error naming the signal if one arrived since the write was armed. A second
    /// signal then ends the process at once.
    pub(super) fn check(&self) -> Result<(), WriteError> {
        let Some(Some(signals)) = SIGNALS.get() else {
            return Ok(());
        };
        let caught = signals.caught.load(Ordering::SeqCst);
        if !self.armed || caught == 0 {
            return Ok(());
        }
        signals.default.store(true, Ordering::SeqCst);
        Err(WriteError {
            path: self.output.clone(),
            what: if is_sigint(caught) {
                "interrupted (SIGINT) while writing"
            } else {
                "interrupted (SIGTERM) while writing"
            },
            err: io::Error::new(
                io::ErrorKind::Interrupted,
                "the staging folder was removed and the previous output left as it was",
            ),
        })
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        let Some(Some(signals)) = SIGNALS.get() else {
            return;
        };
        if !self.armed {
            return;
        }
        if let Ok(mut armed) = signals.armed.lock() {
            *armed = armed.saturating_sub(1);
            if *armed == 0 {
                signals.default.store(true, Ordering::SeqCst);
            }
        }
    }
}

//! The advisory lock that serialises writers of one vault.
//!
//! It is an `flock` on the `secrets/` directory itself: no lock file to clean up, and the
//! kernel drops the lock when its holder dies, so a crashed process never blocks others.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

/// Held while a writer reads, changes and writes vault files; released on drop.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Opening the directory failed.
    #[error("cannot open the secrets directory to lock it")]
    Open(#[source] std::io::Error),
    /// Another process held the lock for the whole timeout.
    #[error("another vault process has held the lock for {} seconds", .waited.as_secs())]
    Timeout {
        /// How long we waited.
        waited: Duration,
    },
}

/// Takes the lock on `dir`, polling until `timeout`.
///
/// # Errors
/// [`LockError::Timeout`] when another process keeps it longer than `timeout`.
pub fn acquire(dir: &Path, timeout: Duration) -> Result<Lock, LockError> {
    let file = File::open(dir).map_err(LockError::Open)?;
    let start = Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Lock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(LockError::Timeout {
                    waited: start.elapsed(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(LockError::Open(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_times_out_then_succeeds() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), Duration::from_secs(1)).unwrap();
        let err = acquire(dir.path(), Duration::from_millis(50)).unwrap_err();
        assert!(matches!(err, LockError::Timeout { .. }));
        drop(first);
        assert!(acquire(dir.path(), Duration::from_millis(50)).is_ok());
    }
}

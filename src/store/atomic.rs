//! The one path every file write takes: a temporary file in the target's directory,
//! fsync, rename over the target, fsync the directory. A crash at any point leaves
//! either the old file or the new one, never a torn mix.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::faults;

/// A fully written and fsynced temporary file beside `path`, ready to be renamed.
fn staged<'a>(
    path: &'a Path,
    bytes: &[u8],
    mode: u32,
) -> std::io::Result<(tempfile::NamedTempFile, &'a Path)> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)?;
    temp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    Ok((temp, dir))
}

/// The prefix of every temporary file a write stages.
pub const TEMP_PREFIX: &str = ".vault-tmp-";

/// Removes temporary files a writer left in `dir` when it died mid-write. Only call it
/// while holding the vault's writer lock: then no live writer of this vault has one open.
/// Best effort; returns how many were removed.
pub fn remove_stale_temps(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
                && e.file_type().is_ok_and(|t| t.is_file())
        })
        .filter(|e| fs::remove_file(e.path()).is_ok())
        .count()
}

/// Writes `bytes` to `path` atomically with permission bits `mode`.
///
/// # Errors
/// Any I/O error; the target is unchanged when one occurs.
pub fn write(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let (temp, dir) = staged(path, bytes, mode)?;
    faults::point("before-rename", path);
    temp.persist(path).map_err(|e| e.error)?;
    // The rename is only durable once the directory entry is on disk.
    fs::File::open(dir)?.sync_all()?;
    faults::point("after-rename", path);
    Ok(())
}

/// Writes several files atomically, each as [`write`] would, but with the flushes batched:
/// every temporary file is written and fsynced in parallel (so the filesystem can commit
/// them together), then all are renamed, then each directory is fsynced once. For `n`
/// files that is `n` concurrent fsyncs and one per directory instead of `2n` in sequence.
/// A crash leaves each target old or new, as with [`write`].
///
/// # Errors
/// Any I/O error. If it happens while staging, no target has changed; otherwise the
/// targets renamed before the failure are new, the rest old.
pub fn write_many(files: &[(&Path, &[u8], u32)]) -> std::io::Result<()> {
    let staged: Vec<std::io::Result<(tempfile::NamedTempFile, &Path)>> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = files
                .iter()
                .map(|&(path, bytes, mode)| scope.spawn(move || staged(path, bytes, mode)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(std::io::Error::other("a writer thread panicked")))
                })
                .collect()
        });
    let staged: Vec<(tempfile::NamedTempFile, &Path)> =
        staged.into_iter().collect::<Result<_, _>>()?;
    let mut dirs: Vec<&Path> = Vec::new();
    for ((temp, dir), &(path, _, _)) in staged.into_iter().zip(files) {
        faults::point("before-rename", path);
        temp.persist(path).map_err(|e| e.error)?;
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    for dir in dirs {
        fs::File::open(dir)?.sync_all()?;
    }
    for &(path, _, _) in files {
        faults::point("after-rename", path);
    }
    Ok(())
}

/// Renames each `from` over its `to` (same directory), then makes the renames durable
/// with one directory fsync.
///
/// # Errors
/// Any I/O error; the pairs before the failing one are renamed.
pub fn rename_many(pairs: &[(&Path, &Path)]) -> std::io::Result<()> {
    let mut dirs: Vec<&Path> = Vec::new();
    for &(from, to) in pairs {
        fs::rename(from, to)?;
        let dir = to
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    for dir in dirs {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Renames `from` over `to` (same directory) and makes the rename durable.
///
/// # Errors
/// Any I/O error.
pub fn rename(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::rename(from, to)?;
    let dir = to
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::File::open(dir)?.sync_all()
}

/// Creates `path` with `bytes` atomically, failing if it already exists.
///
/// # Errors
/// `AlreadyExists` if the target exists, or any I/O error.
pub fn create_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let (temp, dir) = staged(path, bytes, mode)?;
    temp.persist_noclobber(path).map_err(|e| e.error)?;
    fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_and_keep_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write(&path, b"one", 0o600).unwrap();
        write(&path, b"two", 0o644).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp files left"
        );
        let err = create_new(&path, b"three", 0o600).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"two");
    }

    #[test]
    fn batched_writes_replace_every_target_and_leave_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        write(&a, b"old", 0o600).unwrap();
        write_many(&[(&a, b"new-a", 0o644), (&b, b"new-b", 0o600)]).unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"new-a");
        assert_eq!(fs::read(&b).unwrap(), b"new-b");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
        let c = dir.path().join("c");
        rename_many(&[(&a, &c)]).unwrap();
        assert_eq!(fs::read(&c).unwrap(), b"new-a");
        assert!(!a.exists());
        // A staging failure changes no target.
        let missing = dir.path().join("missing").join("x");
        assert!(write_many(&[(&b, b"other", 0o600), (&missing, b"x", 0o600)]).is_err());
        assert_eq!(fs::read(&b).unwrap(), b"new-b");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn failed_write_leaves_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("f");
        assert!(write(&path, b"x", 0o600).is_err());
        assert!(!path.exists());
    }
}

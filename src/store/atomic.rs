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
        .prefix(".vault-tmp-")
        .tempfile_in(dir)?;
    temp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    Ok((temp, dir))
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
    fn failed_write_leaves_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("f");
        assert!(write(&path, b"x", 0o600).is_err());
        assert!(!path.exists());
    }
}

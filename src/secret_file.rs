//! Secrets handed to a child as files (`vault exec --file NAME`): on Linux, an anonymous
//! in-memory file (memfd) holding the value, sealed so nobody can change it, and inherited
//! across `execve` at `/dev/fd/N`. Nothing touches a filesystem, so there is no plaintext
//! on disk and nothing to clean up: the file disappears with the last process holding it.
//!
//! Who else can read it: the child and its children (they inherit the descriptor), and,
//! as for the child's environment, processes of the same user allowed to inspect it
//! (`/proc/<pid>/fd`, subject to ptrace rules).

use std::os::fd::OwnedFd;

use crate::exec::ExecError;
use crate::secret::Secret;

/// One secret as an inheritable, sealed in-memory file.
#[derive(Debug)]
pub struct SecretFile {
    variable: String,
    fd: OwnedFd,
}

impl SecretFile {
    /// A sealed in-memory file holding `value`, for the variable `variable` (`NAME_FILE`).
    ///
    /// # Errors
    /// [`ExecError::FilesUnsupported`] off Linux; [`ExecError::SecretFile`] when the
    /// kernel refuses (no memfd support, out of memory).
    pub fn new(variable: &str, value: &Secret) -> Result<Self, ExecError> {
        let name = variable.strip_suffix("_FILE").unwrap_or(variable);
        let fd = sealed(name, value.expose().as_bytes()).map_err(|source| match source.kind() {
            std::io::ErrorKind::Unsupported => ExecError::FilesUnsupported,
            _ => ExecError::SecretFile {
                name: name.to_owned(),
                source,
            },
        })?;
        Ok(Self {
            variable: variable.to_owned(),
            fd,
        })
    }

    /// The variable that holds the path (`NAME_FILE`).
    #[must_use]
    pub fn variable(&self) -> &str {
        &self.variable
    }

    /// The path the child opens: `/dev/fd/N`, the inherited descriptor.
    #[must_use]
    pub fn path(&self) -> String {
        use std::os::fd::AsRawFd;
        format!("/dev/fd/{}", self.fd.as_raw_fd())
    }
}

/// Creates, fills, rewinds and seals the file, then lets `execve` pass it on.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn sealed(name: &str, bytes: &[u8]) -> std::io::Result<OwnedFd> {
    use rustix::fs::{MemfdFlags, SealFlags, SeekFrom};
    use rustix::io::FdFlags;
    // Close-on-exec until it is complete, so no other program can inherit a half-written
    // file; the name (seen in /proc/<pid>/fd) is the secret's name, never its value.
    let fd = rustix::fs::memfd_create(
        format!("vault:{name}"),
        MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
    )?;
    let mut written = 0;
    while written < bytes.len() {
        written += rustix::io::write(&fd, &bytes[written..])?;
    }
    // A child that reads the descriptor itself (`cat <&3`) starts at the beginning;
    // opening `/dev/fd/N` on Linux opens the file anew, at offset zero, anyway.
    rustix::fs::seek(&fd, SeekFrom::Start(0))?;
    rustix::fs::fcntl_add_seals(
        &fd,
        SealFlags::WRITE | SealFlags::GROW | SealFlags::SHRINK | SealFlags::SEAL,
    )?;
    rustix::io::fcntl_setfd(&fd, FdFlags::empty())?;
    Ok(fd)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn sealed(_: &str, _: &[u8]) -> std::io::Result<OwnedFd> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use super::*;

    #[test]
    fn the_file_holds_the_value_and_cannot_be_changed() {
        let file = SecretFile::new("TLS_KEY_FILE", &Secret::from("-----BEGIN-----\nx\n")).unwrap();
        assert_eq!(file.variable(), "TLS_KEY_FILE");
        assert!(file.path().starts_with("/dev/fd/"));
        assert_eq!(
            std::fs::read_to_string(file.path()).unwrap(),
            "-----BEGIN-----\nx\n"
        );
        let seals = rustix::fs::fcntl_get_seals(&file.fd).unwrap();
        assert!(seals.contains(
            rustix::fs::SealFlags::WRITE
                | rustix::fs::SealFlags::GROW
                | rustix::fs::SealFlags::SHRINK
                | rustix::fs::SealFlags::SEAL
        ));
        assert!(rustix::io::write(&file.fd, b"x").is_err());
        assert!(rustix::fs::ftruncate(&file.fd, 0).is_err());
        let flags = rustix::io::fcntl_getfd(&file.fd).unwrap();
        assert!(!flags.contains(rustix::io::FdFlags::CLOEXEC));
        let target = std::fs::read_link(format!("/proc/self/fd/{}", {
            use std::os::fd::AsRawFd;
            file.fd.as_raw_fd()
        }))
        .unwrap();
        assert!(
            target.to_string_lossy().starts_with("/memfd:vault:TLS_KEY"),
            "{target:?}"
        );
    }
}

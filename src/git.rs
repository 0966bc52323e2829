//! Every git access vault makes, through gix: discovering the repository, reading the
//! committer's name, and registering the `vault` diff and merge drivers in the local config.
//!
//! No other module imports gix.

use std::path::{Path, PathBuf};

use crate::store::atomic;

/// Errors talking to git.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The repository's config could not be read or parsed.
    #[error("cannot read the git config {}", path.display())]
    ReadConfig {
        /// The config file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The repository's config could not be written.
    #[error("cannot write the git config {}", path.display())]
    WriteConfig {
        /// The config file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Creating a repository failed.
    #[error("cannot create a git repository in {}", path.display())]
    Init {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// The local-config entries vault's git integration needs, for a given vault command.
#[must_use]
pub fn driver_settings(vault_command: &str) -> Vec<(&'static str, String)> {
    vec![
        ("diff.vault.textconv", format!("{vault_command} textconv")),
        ("diff.vault.cachetextconv", "false".to_owned()),
        (
            "merge.vault.name",
            "vault key-level merge of encrypted environments".to_owned(),
        ),
        (
            "merge.vault.driver",
            format!("{vault_command} merge-driver %O %A %B %P"),
        ),
    ]
}

/// The work tree of the repository containing `dir`, if any.
#[must_use]
pub fn work_tree(dir: &Path) -> Option<PathBuf> {
    let repo = gix::discover(dir).ok()?;
    repo.workdir().map(Path::to_owned)
}

/// `user.name` as git would use it for a commit in `dir`.
#[must_use]
pub fn user_name(dir: &Path) -> Option<String> {
    let repo = gix::discover(dir).ok()?;
    let config = repo.config_snapshot();
    config
        .string("user.name")
        .map(|name| name.to_string())
        .filter(|name| !name.trim().is_empty())
}

/// Writes `settings` into the local config of the repository containing `dir`, keeping
/// everything else in the file. Returns `Ok(false)` when `dir` is not in a repository.
///
/// # Errors
/// The config cannot be read or written.
pub fn set_local_config(dir: &Path, settings: &[(&str, String)]) -> Result<bool, GitError> {
    let Ok(repo) = gix::discover(dir) else {
        return Ok(false);
    };
    let path = repo.common_dir().join("config");
    let mut file =
        gix::config::File::from_path_no_includes(path.clone(), gix::config::Source::Local)
            .map_err(|e| GitError::ReadConfig {
                path: path.clone(),
                source: Box::new(e),
            })?;
    for (key, value) in settings {
        file.set_raw_value(key, value.as_str())
            .map_err(|e| GitError::ReadConfig {
                path: path.clone(),
                source: Box::new(e),
            })?;
    }
    let mut bytes = Vec::new();
    file.write_to(&mut bytes)
        .map_err(|source| GitError::WriteConfig {
            path: path.clone(),
            source,
        })?;
    atomic::write(&path, &bytes, 0o644).map_err(|source| GitError::WriteConfig { path, source })?;
    Ok(true)
}

/// Creates an empty repository in `dir` (used by `vault demo`).
///
/// # Errors
/// [`GitError::Init`].
pub fn init(dir: &Path) -> Result<(), GitError> {
    gix::init(dir).map(drop).map_err(|e| GitError::Init {
        path: dir.to_owned(),
        source: Box::new(e),
    })
}

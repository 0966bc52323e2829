//! Every git access vault makes, through gix: discovering the repository, reading the
//! committer's name, and registering the `vault` diff and merge drivers in the local config.
//!
//! A command opens the repository once ([`Repo::discover`]) and asks it everything; the
//! free functions that take a directory discover it for that one call (the scanner's,
//! which open it once per scan). No other module imports gix.
//!
//! `scan` holds what the hook and `vault scan` read (staged files, the index); `blobs` every
//! blob in history, for `vault scan --history`; `history` the versions of a file (`vault
//! log`, `diff`, the trust anchors); `config` the hooks directory, the local config and the
//! committer's name.

use std::path::{Path, PathBuf};

use crate::pool::WorkerPanicked;

mod blobs;
mod config;
mod history;
mod index_raw;
mod scan;

pub use blobs::{BlobSighting, HistoryBlobs, HistoryScan, history_blobs};
pub use config::{driver_settings, init, user_name};
pub use history::{FileChange, History, Version, repo_path};
pub use scan::{
    Staged, StagedFile, staged_changes, staged_changes_naming, tracked_files, tracked_named,
};

/// A git object id, as the history scan hands them around.
pub type ObjectId = gix::ObjectId;

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
    /// Reading from the repository failed.
    #[error("cannot read {what} from git")]
    Read {
        /// What was being read.
        what: &'static str,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A revision did not resolve.
    #[error("`{rev}` is not a revision in this repository")]
    Revision {
        /// The revision given.
        rev: String,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A worker reading objects failed, so the results are incomplete.
    #[error(transparent)]
    Worker(#[from] WorkerPanicked),
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

pub(crate) fn read_err(
    what: &'static str,
) -> impl Fn(Box<dyn std::error::Error + Send + Sync>) -> GitError {
    move |source| GitError::Read { what, source }
}

/// The repository `dir` is in, as git itself would find it: `GIT_DIR` and `GIT_WORK_TREE`
/// (which git sets for hooks and drivers, and users for `--git-dir` setups) win over
/// searching upwards from `dir`, and `GIT_CEILING_DIRECTORIES` bounds the search.
pub(crate) fn discover(dir: &Path) -> gix::Result<gix::Repository> {
    gix::ThreadSafeRepository::discover_with_environment_overrides(dir).map(Into::into)
}

pub(crate) fn boxed<E: std::error::Error + Send + Sync + 'static>(
    e: E,
) -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(e)
}

/// The repository a command works in, opened once: as git itself finds it from a
/// directory (see [`discover`]), then asked for everything the command needs.
#[derive(Clone)]
pub struct Repo {
    repo: std::sync::Arc<gix::ThreadSafeRepository>,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("git_dir", &self.repo.git_dir())
            .finish_non_exhaustive()
    }
}

impl Repo {
    /// The repository containing `dir`, as git would find it.
    ///
    /// # Errors
    /// `dir` is not inside a repository, or it cannot be opened.
    pub fn discover(dir: &Path) -> Result<Self, GitError> {
        gix::ThreadSafeRepository::discover_with_environment_overrides(dir)
            .map(|repo| Self {
                repo: std::sync::Arc::new(repo),
            })
            .map_err(|e| read_err("the repository")(boxed(e)))
    }

    /// A handle for this thread (cheap: shares the object store and config).
    fn local(&self) -> gix::Repository {
        self.repo.to_thread_local()
    }

    /// The work tree, if the repository has one.
    #[must_use]
    pub fn work_tree(&self) -> Option<PathBuf> {
        self.repo.work_dir().map(Path::to_owned)
    }
}

/// The work tree of the repository containing `dir`, if any.
#[must_use]
pub fn work_tree(dir: &Path) -> Option<PathBuf> {
    Repo::discover(dir).ok()?.work_tree()
}

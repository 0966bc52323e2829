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
    /// Reading from the repository failed.
    #[error("cannot read {what} from git")]
    Read {
        /// What was being read.
        what: &'static str,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
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

/// A file about to be committed: its path in the repository and its staged content.
#[derive(Debug, Clone)]
pub struct StagedFile {
    /// `/`-separated path relative to the work tree.
    pub path: String,
    /// The blob as staged in the index (not the working tree).
    pub data: Vec<u8>,
}

fn read_err(what: &'static str) -> impl Fn(Box<dyn std::error::Error + Send + Sync>) -> GitError {
    move |source| GitError::Read { what, source }
}

fn boxed<E: std::error::Error + Send + Sync + 'static>(
    e: E,
) -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(e)
}

/// The files whose staged content differs from `HEAD` (added or modified; deletions have
/// nothing to scan). Reads the index git will commit: `$GIT_INDEX_FILE` when git sets it
/// (as it does for `git commit <paths>`), else the repository's index.
///
/// # Errors
/// The repository, index or objects cannot be read.
pub fn staged_changes(dir: &Path) -> Result<Vec<StagedFile>, GitError> {
    let repo = gix::discover(dir).map_err(|e| read_err("the repository")(boxed(e)))?;
    let index = match std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()) {
        Some(path) => {
            let path = PathBuf::from(path);
            let path = if path.is_relative() {
                dir.join(path)
            } else {
                path
            };
            gix::index::File::at(
                path,
                repo.object_hash(),
                false,
                gix::index::decode::Options::default(),
            )
            .map_err(|e| read_err("the index")(boxed(e)))?
        }
        None => {
            let shared = repo
                .index_or_empty()
                .map_err(|e| read_err("the index")(boxed(e)))?;
            let file: &gix::index::File = &shared;
            file.clone()
        }
    };
    let mut head: std::collections::HashMap<Vec<u8>, gix::ObjectId> =
        std::collections::HashMap::new();
    if let Ok(tree) = repo.head_tree() {
        let files = tree
            .traverse()
            .breadthfirst
            .files()
            .map_err(|e| read_err("HEAD")(boxed(e)))?;
        for entry in files {
            head.insert(entry.filepath.to_vec(), entry.oid);
        }
    }
    let mut staged = Vec::new();
    for entry in index.entries() {
        if entry.mode.is_submodule() || entry.mode == gix::index::entry::Mode::SYMLINK {
            continue;
        }
        let path = entry.path(&index);
        if head.get(path.as_ref() as &[u8]) == Some(&entry.id) {
            continue;
        }
        let blob = repo
            .find_object(entry.id)
            .map_err(|e| read_err("a staged blob")(boxed(e)))?;
        staged.push(StagedFile {
            path: String::from_utf8_lossy(path.as_ref()).into_owned(),
            data: blob.detach().data,
        });
    }
    Ok(staged)
}

/// The hooks directory git uses for the repository containing `dir`: `core.hooksPath`
/// (relative paths resolve against the work tree, as git does) or `.git/hooks`.
/// `None` outside a repository.
#[must_use]
pub fn hooks_dir(dir: &Path) -> Option<PathBuf> {
    let repo = gix::discover(dir).ok()?;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let configured = repo.config_snapshot().string("core.hooksPath").map(|raw| {
        let raw = raw.to_string();
        match (raw.strip_prefix("~/"), &home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(raw),
        }
    });
    Some(match configured {
        Some(path) if path.is_absolute() => path,
        Some(path) => repo
            .workdir()
            .unwrap_or_else(|| repo.common_dir())
            .join(path),
        None => repo.common_dir().join("hooks"),
    })
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

//! The repository's setup: the hooks directory, whether vault's hook and drivers are
//! installed, the local config they are written to, and the committer's name.

use std::path::{Path, PathBuf};

use super::{GitError, Repo};
use crate::store::atomic;

impl Repo {
    /// The hooks directory git uses for this repository: `core.hooksPath`
    /// (relative paths resolve against the work tree, as git does) or `.git/hooks`.
    #[must_use]
    pub fn hooks_dir(&self) -> PathBuf {
        let repo = self.local();
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let configured = repo.config_snapshot().string("core.hooksPath").map(|raw| {
            let raw = raw.to_string();
            match (raw.strip_prefix("~/"), &home) {
                (Some(rest), Some(home)) => home.join(rest),
                _ => PathBuf::from(raw),
            }
        });
        match configured {
            Some(path) if path.is_absolute() => path,
            Some(path) => repo
                .workdir()
                .unwrap_or_else(|| repo.common_dir())
                .join(path),
            None => repo.common_dir().join("hooks"),
        }
    }

    /// What of vault's git integration this clone lacks: `"pre-commit hook"` (no hook file
    /// carrying `marker`) and `"diff and merge drivers"` (no `merge.vault.driver` or
    /// `diff.vault.textconv` in the config git uses). Git does not copy hooks or local config on
    /// clone, so a teammate's fresh clone has neither.
    #[must_use]
    pub fn missing_integration(&self, marker: &str) -> Vec<&'static str> {
        let repo = self.local();
        let mut missing = Vec::new();
        let hook = self.hooks_dir().join("pre-commit");
        if !std::fs::read_to_string(hook).is_ok_and(|t| t.contains(marker)) {
            missing.push("pre-commit hook");
        }
        let config = repo.config_snapshot();
        if config.string("merge.vault.driver").is_none()
            || config.string("diff.vault.textconv").is_none()
        {
            missing.push("diff and merge drivers");
        }
        missing
    }

    /// Writes `settings` into the repository's local config, keeping everything else in
    /// the file.
    ///
    /// # Errors
    /// The config cannot be read or written.
    pub fn set_local_config(&self, settings: &[(&str, String)]) -> Result<(), GitError> {
        let repo = self.local();
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
        atomic::write(&path, &bytes, 0o644).map_err(|source| GitError::WriteConfig { path, source })
    }
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

/// `user.name` as git would use it for a commit in `repo` (outside one: the user's).
#[must_use]
pub fn user_name(repo: Option<&Repo>) -> Option<String> {
    let name = match repo {
        Some(repo) => repo
            .local()
            .config_snapshot()
            .string("user.name")
            .map(|name| name.to_string()),
        // Outside a repository git still has the user's global and system settings.
        None => gix::config::File::from_globals()
            .ok()?
            .string("user.name")
            .map(|name| name.to_string()),
    };
    name.filter(|name| !name.trim().is_empty())
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

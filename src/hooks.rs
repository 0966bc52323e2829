//! vault's git integration in a clone: the pre-commit shim in git's hooks directory (an
//! existing foreign hook is kept and chained) and the diff/merge driver settings. The
//! command git runs is given by the caller; nothing here prints.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::git;
use crate::store::atomic;

/// The shim `vault hooks install` writes; `@VAULT@` becomes the command git should run.
const HOOK_SHIM: &str = include_str!("../hooks/pre-commit");
/// Marks a hook file as ours.
pub const HOOK_MARKER: &str = "vault-managed pre-commit hook";
/// What `vault hook identify` prints: the hook runs a `vault` only if it answers this, so
/// HashiCorp's `vault` CLI (same name, often first on $PATH) is never mistaken for us.
pub const HOOK_IDENTITY: &str = "vault: git-native encrypted secrets (pre-commit hook v1)";
/// Where an existing hook is kept while ours is installed.
const CHAINED: &str = "pre-commit.vault-chained";

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl Fn(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// What [`install`] did.
#[derive(Debug)]
pub struct Installed {
    /// The hook's path.
    pub hook: PathBuf,
    /// Where a foreign hook that was there before now lives (it still runs first).
    pub kept: Option<PathBuf>,
}

/// Installs the pre-commit shim (running `binary`) in git's hooks directory, keeping and
/// chaining a foreign hook, and the diff/merge driver settings (running `command`).
///
/// # Errors
/// Not in a git work tree, a chained hook already kept, or a file that cannot be written.
pub fn install(cwd: &Path, binary: &str, command: &str) -> Result<Installed, Error> {
    let repo = git::Repo::discover(cwd).map_err(|_| Error::NotInGit)?;
    let dir = repo.hooks_dir();
    let hook = dir.join("pre-commit");
    let chained = dir.join(CHAINED);
    std::fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
    let mut kept = None;
    if hook.exists() && !is_ours(&hook) {
        if chained.exists() {
            return Err(Error::HookConflict { path: chained });
        }
        std::fs::rename(&hook, &chained).map_err(io_err("move", &hook))?;
        kept = Some(chained);
    }
    let shim = HOOK_SHIM
        .replace("@VAULT@", binary)
        .replace("@IDENTITY@", HOOK_IDENTITY);
    atomic::write(&hook, shim.as_bytes(), 0o755).map_err(io_err("write", &hook))?;
    repo.set_local_config(&git::driver_settings(command))?;
    Ok(Installed { hook, kept })
}

/// What [`uninstall`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uninstalled {
    /// The hook there is not vault's: left alone.
    NotOurs(PathBuf),
    /// The hook kept by [`install`] is back in its place.
    Restored,
    /// Ours was removed; there was no other.
    Removed,
}

/// Removes vault's pre-commit hook, restoring the one it chained, if any.
///
/// # Errors
/// Not in a git work tree, or a file that cannot be moved or removed.
pub fn uninstall(cwd: &Path) -> Result<Uninstalled, Error> {
    let dir = git::Repo::discover(cwd)
        .map_err(|_| Error::NotInGit)?
        .hooks_dir();
    let hook = dir.join("pre-commit");
    let chained = dir.join(CHAINED);
    if !is_ours(&hook) {
        return Ok(Uninstalled::NotOurs(hook));
    }
    if chained.exists() {
        std::fs::rename(&chained, &hook).map_err(io_err("restore", &chained))?;
        Ok(Uninstalled::Restored)
    } else {
        std::fs::remove_file(&hook).map_err(io_err("remove", &hook))?;
        Ok(Uninstalled::Removed)
    }
}

fn is_ours(hook: &Path) -> bool {
    std::fs::read_to_string(hook).is_ok_and(|text| text.contains(HOOK_MARKER))
}

/// The absolute path of this binary, shell-quoted, for the hook: it must run this program,
/// not whatever `vault` comes first on the $PATH of a GUI git client.
#[must_use]
pub fn vault_binary() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .map_or_else(|| "vault".to_owned(), |me| shell_quote(&me))
}

/// The command git's drivers run: `vault` when this binary is the one on $PATH, else its
/// absolute path, shell-quoted.
#[must_use]
pub fn vault_command() -> String {
    let me = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok());
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("vault"))
            .find(|candidate| candidate.is_file())
            .and_then(|p| p.canonicalize().ok())
    });
    match (me, on_path) {
        (Some(me), Some(found)) if me == found => "vault".to_owned(),
        (Some(me), _) => shell_quote(&me),
        (None, _) => "vault".to_owned(),
    }
}

fn shell_quote(path: &Path) -> String {
    crate::dotenv::single_quoted(&path.display().to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn shim_has_marker_and_placeholder() {
        assert!(super::HOOK_SHIM.contains(super::HOOK_MARKER));
        assert!(super::HOOK_SHIM.contains("@VAULT@"));
    }
}

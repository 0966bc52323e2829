//! Which vaults a scan knows about, and the exact values of their secrets that the caller
//! can decrypt, so the scanner catches custom passwords no pattern recognises.
//!
//! Values leave this module only inside [`Zeroizing`] buffers, labelled `env/NAME`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use zeroize::Zeroizing;

use super::MIN_KNOWN_VALUE_LEN;
use crate::error::Error;
use crate::git;
use crate::identity::{Identities, IdentityError, Lookup, NoPrompt, PassphrasePrompt};
use crate::store::{StoreError, Vault};

/// A secret value labelled `env/NAME`.
pub type KnownValue = (String, Zeroizing<Vec<u8>>);

/// The vaults whose values the scan should know: the one containing `cwd`, else every
/// tracked `.vault.toml` in the repository (git runs hooks at the work-tree root, and the
/// vault may live in an app's subdirectory).
///
/// # Errors
/// [`Error::RosterUnreadable`]: a roster that exists but cannot be read or parsed (a merge
/// left conflict markers in it, say). Without it the scan cannot know which values to look
/// for, and passing would let a copy of a real secret through: the hook must block instead.
pub fn vaults_for(cwd: &Path) -> Result<Vec<Vault>, Error> {
    if let Some(vault) = containing(cwd)? {
        return Ok(vec![vault]);
    }
    vaults_at(&git::tracked_named(cwd, crate::config::CONFIG_FILE))
}

/// [`vaults_for`], with the tracked `.vault.toml` paths already read by the caller (the
/// staged scan finds them in the same pass over the index that gives the staged files, see
/// [`git::staged_changes_naming`]), so the index is not read again.
///
/// # Errors
/// As [`vaults_for`].
pub fn vaults_among(cwd: &Path, tracked: &[PathBuf]) -> Result<Vec<Vault>, Error> {
    if let Some(vault) = containing(cwd)? {
        return Ok(vec![vault]);
    }
    vaults_at(tracked)
}

fn unreadable(source: StoreError) -> Error {
    Error::RosterUnreadable { source }
}

/// The vault containing `cwd`, if any.
fn containing(cwd: &Path) -> Result<Option<Vault>, Error> {
    match Vault::discover(cwd) {
        Ok(vault) => Ok(Some(vault)),
        Err(StoreError::NotAVault { .. }) => Ok(None),
        Err(source) => Err(unreadable(source)),
    }
}

/// The vaults whose `.vault.toml` files are at `paths`.
fn vaults_at(paths: &[PathBuf]) -> Result<Vec<Vault>, Error> {
    let mut vaults = Vec::new();
    for path in paths {
        let Some(root) = path.parent() else {
            continue;
        };
        match Vault::open(root) {
            Ok(vault) => vaults.push(vault),
            // Tracked but deleted from the work tree: this commit removes that vault.
            Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            }
            Err(source) => return Err(unreadable(source)),
        }
    }
    Ok(vaults)
}

/// Exact values (at least [`MIN_KNOWN_VALUE_LEN`] bytes) of the secrets in `vaults` that
/// the identities found through `lookup` can decrypt. Never prompts: an identity that needs
/// a passphrase is an error. Environments the caller cannot read are passed over.
///
/// # Errors
/// The identities cannot be loaded; the caller reports that the check was skipped.
pub fn known_values(lookup: &Lookup, vaults: &[Vault]) -> Result<Vec<KnownValue>, IdentityError> {
    if vaults.is_empty() {
        return Ok(Vec::new());
    }
    let prompt: Arc<dyn PassphrasePrompt> = Arc::new(NoPrompt);
    let identities = Identities::load(lookup, &prompt)?;
    let mut values = Vec::new();
    for vault in vaults {
        for env in vault.config().env_names() {
            // Copies of any value the caller can read are worth blocking, whoever wrote
            // the file: no authentication needed to look for them (and none to fail on).
            let payload = vault
                .read_ciphertext(env)
                .and_then(|bytes| vault.open_sealed(env, &bytes, &identities));
            if let Ok(payload) = payload {
                for (name, entry) in &payload.secrets {
                    if entry.value.len() >= MIN_KNOWN_VALUE_LEN {
                        values.push((
                            format!("{env}/{name}"),
                            Zeroizing::new(entry.value.expose().as_bytes().to_vec()),
                        ));
                    }
                }
            }
        }
    }
    Ok(values)
}

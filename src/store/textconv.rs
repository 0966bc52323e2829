//! What `git diff` shows for an environment file (the `textconv` driver): sorted
//! `KEY = value` lines for a version a reader wrote, and a one-line reason otherwise.

use zeroize::Zeroizing;

use super::{StoreError, Vault};
use crate::crypto::{self, CryptoError};
use crate::edit;
use crate::identity::Identities;
use crate::payload::Payload;

/// The text for one version of an environment file, or why it is not shown (the reason
/// becomes the notice git shows in place of the values).
///
/// `open_vault` is called once the payload names its environment: values are shown only
/// for versions that verify and agree with the chain of the current, verified file.
///
/// # Errors
/// The reason the version is not shown, as one line.
pub fn view<E: std::fmt::Display>(
    bytes: &[u8],
    identities: &Identities,
    open_vault: impl FnOnce() -> Result<Vault, E>,
) -> Result<Zeroizing<String>, String> {
    let plaintext = match crypto::decrypt(bytes, identities.as_age()) {
        Ok(p) => p,
        Err(CryptoError::NoMatchingKey) => {
            return Err("you are not a recipient of this file".to_owned());
        }
        Err(e) => return Err(format!("cannot be decrypted: {e}")),
    };
    let Ok(payload) = Payload::parse(&plaintext) else {
        return Err("the decrypted payload is unreadable".to_owned());
    };
    drop(plaintext);
    let env = payload.environment.clone();
    drop(payload);
    let vault = open_vault().map_err(|e| format!("cannot open the vault to verify it: {e}"))?;
    let reference = match vault
        .read_ciphertext(&env)
        .and_then(|current| vault.verify_current(&env, &current, &identities.pins()))
    {
        Ok(crate::auth::Seal::Signed(stanza)) => Some(stanza.chain),
        Ok(_) => None,
        Err(e) => {
            return Err(format!(
                "NOT SHOWN: the current secrets/{env}.age does not verify ({e}); run `vault check`"
            ));
        }
    };
    // Once the environment is signed, an unsigned version is a downgrade, not history to show.
    let legacy_ok = reference.is_none();
    let payload = match vault.open_version(&env, bytes, identities, reference.as_ref(), legacy_ok) {
        Ok(payload) => payload,
        Err(StoreError::Unauthenticated { reason, .. }) => {
            return Err(format!("NOT AUTHENTICATED: {reason}; run `vault check`"));
        }
        Err(e) => return Err(format!("cannot be read: {e}")),
    };
    let mut text = Zeroizing::new(format!("# environment: {}\n", payload.environment));
    if payload.is_legacy() {
        text.push_str("# (old unauthenticated format)\n");
    }
    for (name, entry) in &payload.secrets {
        text.push_str(name);
        text.push_str(" = ");
        text.push_str(&edit::toml_string(entry.value.expose()));
        if entry.must_rotate.is_some() {
            text.push_str("  # must rotate");
        }
        text.push('\n');
    }
    for name in payload.conflicts.keys() {
        text.push_str(&format!(
            "# CONFLICT: {name} (run `vault edit {}`)\n",
            payload.environment
        ));
    }
    Ok(text)
}

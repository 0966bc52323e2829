//! Deciding whether a version of an environment file is one its readers wrote: the
//! signature and chain (from [`crate::auth`]), checked against the anchors this machine
//! has. Anchors, strongest first: pins the process carries (`VAULT_PIN`, `# vault-pin`
//! lines of the identity), the user's pin file (the newest key verified on this machine),
//! and, when neither exists, what every signed version in git history agrees on (one
//! genesis key, no fork, the newest chain; a once-unsigned vault's upgrade proven by a
//! reader). With none of them (a shallow checkout on a machine without pins) there is
//! nothing to decide with, so the read is refused.

use std::path::Path;

use super::{PinStore, StoreError, Vault};
use crate::auth::{self, AuthError, Chain, Pin, PublicKey, Seal, Stanza};
use crate::identity::Identities;
use crate::payload::Payload;

/// What this process verifies against, besides git history.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// Pins given to the process (`VAULT_PIN`).
    pub carried: Vec<Pin>,
    /// The user's pin file, advanced after each verified read.
    pub store: Option<PinStore>,
    /// Environments whose unsigned (old-format) files may be used where nothing can tell
    /// whether they are downgrades (`VAULT_ALLOW_UNSIGNED`: a shallow deploy of a vault
    /// that has not been upgraded yet).
    pub allow_unsigned: Vec<String>,
}

impl Trust {
    /// The pins that apply to `env` of the vault at `root`.
    fn pins(&self, root: &Path, env: &str, extra: &[Pin]) -> Vec<(Pin, &'static str)> {
        let mut pins: Vec<(Pin, &'static str)> = self
            .carried
            .iter()
            .chain(extra)
            .filter(|p| p.env == env)
            .map(|p| (p.clone(), "carried"))
            .collect();
        if let Some(pin) = self.store.as_ref().and_then(|s| s.get(root, env)) {
            pins.push((pin, "pinned"));
        }
        pins
    }

    /// Whether any pin applies to `env` of the vault at `root`.
    pub(crate) fn has_pins(&self, root: &Path, env: &str, extra: &[Pin]) -> bool {
        !self.pins(root, env, extra).is_empty()
    }

    /// Replaces the user's pin for `env` (a vault just created at `root`), or forgets it.
    pub fn reset(&self, root: &Path, env: &str, stanza: Option<&Stanza>) {
        if let Some(store) = &self.store {
            store.set(root, env, stanza.map(Stanza::pin).as_ref());
        }
    }

    /// Advances the user's pin for a verified version.
    pub(crate) fn remember(&self, root: &Path, stanza: &Stanza) {
        if let Some(store) = &self.store {
            store.advance(root, &stanza.pin());
        }
    }
}

/// What the history reachable from `HEAD` says about an environment's write keys: one
/// genesis key shared by every signed version, no two keys for one epoch, and the newest
/// chain. Every version counts, not only the first-parent line, whose order a merge with
/// swapped parents can rewrite.
#[derive(Debug, Clone)]
pub struct HistoryAnchor {
    /// The genesis write key.
    pub key: PublicKey,
    /// The longest chain any committed version carries.
    pub newest: Chain,
    /// The commit that introduced the oldest signed version.
    pub commit: String,
}

impl Vault {
    fn unauthenticated(&self, env: &str, reason: AuthError) -> StoreError {
        let path = self.relative(&self.env_path(env)).to_owned();
        match reason {
            // Another environment's genuine file: the binding error says what happened.
            AuthError::WrongEnvironment { found } => StoreError::WrongEnvironment {
                env: env.to_owned(),
                inner: found,
                path,
            },
            reason => StoreError::Unauthenticated {
                env: env.to_owned(),
                path,
                reason,
            },
        }
    }

    /// The full history of `env`'s file reachable from `HEAD` (every commit that changed
    /// it, every blob once): `None` outside a repository and in a shallow clone, whose
    /// oldest commits are missing.
    ///
    /// # Errors
    /// History that exists but cannot be read.
    pub(crate) fn env_history(&self, env: &str) -> Result<Option<crate::git::History>, StoreError> {
        let (Some(repo), Some(path)) = (self.git(), self.repo_path(env)) else {
            return Ok(None);
        };
        if repo.is_shallow() {
            return Ok(None);
        }
        repo.file_history(std::slice::from_ref(&path))
            .map(Some)
            .map_err(|e| StoreError::Io {
                action: "read the history of",
                path: self.env_path(env),
                source: std::io::Error::other(e),
            })
    }

    /// The history anchor of `env`: `None` without full history (outside a repository, in
    /// a shallow clone) or without any signed version.
    ///
    /// # Errors
    /// History that cannot be read, or that is ambiguous: two genesis keys (someone
    /// started a chain of their own), or two keys for one epoch (a fork).
    pub fn history_anchor(&self, env: &str) -> Result<Option<HistoryAnchor>, StoreError> {
        let Some(history) = self.env_history(env)? else {
            return Ok(None);
        };
        let mut signed: Vec<(String, Stanza)> = Vec::new();
        // Oldest first, so the first signed version and the first of a fork are named.
        for change in history.changes.iter().rev() {
            let Some(blob) = change.new.as_deref().and_then(|id| history.blobs.get(id)) else {
                continue;
            };
            if let Ok(Seal::Signed(stanza)) = auth::inspect(env, blob) {
                signed.push((change.commit.clone(), stanza));
            }
        }
        let Some((first_commit, first)) = signed.first() else {
            return Ok(None);
        };
        let mut newest = first.chain.clone();
        let mut epochs: std::collections::BTreeMap<u64, (PublicKey, &str)> =
            std::collections::BTreeMap::new();
        for (commit, stanza) in &signed {
            if stanza.chain.genesis_key() != first.chain.genesis_key() {
                return Err(self.unauthenticated(
                    env,
                    AuthError::AmbiguousHistory {
                        first: short(first_commit).to_owned(),
                        other: short(commit).to_owned(),
                    },
                ));
            }
            for epoch in 1..=stanza.chain.epoch() {
                let Some(key) = stanza.chain.key_at(epoch) else {
                    continue;
                };
                let (known, introduced) = *epochs.entry(epoch).or_insert((key, commit));
                if known != key {
                    return Err(self.unauthenticated(
                        env,
                        AuthError::Fork {
                            epoch,
                            other: short(introduced).to_owned(),
                        },
                    ));
                }
            }
            if stanza.chain.epoch() > newest.epoch() {
                newest = stanza.chain.clone();
            }
        }
        Ok(Some(HistoryAnchor {
            key: first.chain.genesis_key(),
            newest,
            commit: first_commit.clone(),
        }))
    }

    /// If the history of `env` holds unsigned versions (the vault was upgraded), checks that
    /// its first signed version carries the digest of one of them (`upgraded_from`): only a
    /// reader of the unsigned vault could compute it, so an outsider who signed a vault
    /// before its readers did is refused. Needs a reader's identities.
    ///
    /// # Errors
    /// [`AuthError::UnconfirmedUpgrade`], or history that cannot be read.
    pub fn confirm_upgrade(&self, env: &str, identities: &Identities) -> Result<(), StoreError> {
        let Some(history) = self.env_history(env)? else {
            return Ok(());
        };
        let mut legacy = Vec::new();
        let mut genesis: Option<(&str, &Vec<u8>)> = None;
        for change in history.changes.iter().rev() {
            let Some(blob) = change.new.as_deref().and_then(|id| history.blobs.get(id)) else {
                continue;
            };
            match auth::inspect(env, blob) {
                Ok(Seal::Legacy) => legacy.push(blob),
                Ok(Seal::Signed(_)) if genesis.is_none() => {
                    genesis = Some((change.commit.as_str(), blob));
                }
                _ => {}
            }
        }
        let Some((commit, genesis)) = genesis else {
            return Ok(());
        };
        if legacy.is_empty() {
            return Ok(());
        }
        let unconfirmed = || {
            self.unauthenticated(
                env,
                AuthError::UnconfirmedUpgrade {
                    commit: short(commit).to_owned(),
                },
            )
        };
        let claimed = self
            .open_sealed(env, genesis, identities)
            .ok()
            .and_then(|p| p.upgraded_from)
            .ok_or_else(unconfirmed)?;
        let confirmed = legacy.iter().any(|blob| {
            self.open_sealed(env, blob, identities)
                .is_ok_and(|p| crate::payload::value_digest(&p.to_toml()) == claimed)
        });
        if confirmed {
            Ok(())
        } else {
            Err(unconfirmed())
        }
    }

    /// Verifies the current version of `env` (the file, or bytes standing for it) without
    /// any key: its signature and chain, then the chain against this machine's anchors.
    /// `extra` are pins from the identity in use.
    ///
    /// # Errors
    /// [`StoreError::Unauthenticated`] saying which check failed.
    pub fn verify_current(
        &self,
        env: &str,
        ciphertext: &[u8],
        extra: &[Pin],
    ) -> Result<Seal, StoreError> {
        let seal = auth::inspect(env, ciphertext).map_err(|r| self.unauthenticated(env, r))?;
        let pins = self.trust.pins(&self.root, env, extra);
        match &seal {
            // Decryption reports what is wrong with a damaged file.
            Seal::Unreadable => {}
            Seal::Signed(stanza) if pins.is_empty() => match self.history_anchor(env)? {
                Some(anchor) if anchor.key != stanza.chain.genesis_key() => {
                    return Err(self.unauthenticated(
                        env,
                        AuthError::ForeignChain {
                            anchor: format!(
                                "the first signed version, from commit {}",
                                short(&anchor.commit)
                            ),
                        },
                    ));
                }
                // It must be the newest chain history has seen, or a successor of it: an
                // older one is a rollback, a different one a fork.
                Some(anchor) if !stanza.chain.extends(&anchor.newest) => {
                    let reason = if stanza.chain.epoch() < anchor.newest.epoch()
                        && anchor.newest.extends(&stanza.chain)
                    {
                        AuthError::Rollback {
                            found: stanza.chain.epoch(),
                            trusted: anchor.newest.epoch(),
                        }
                    } else {
                        AuthError::ForeignChain {
                            anchor: format!(
                                "write key {} of the committed history",
                                anchor.newest.epoch()
                            ),
                        }
                    };
                    return Err(self.unauthenticated(env, reason));
                }
                Some(_) => {}
                None => return Err(self.unauthenticated(env, AuthError::NoAnchor)),
            },
            Seal::Signed(stanza) => {
                for (pin, _) in &pins {
                    stanza
                        .anchored(pin)
                        .map_err(|r| self.unauthenticated(env, r))?;
                }
            }
            Seal::Legacy => {
                if let Some((pin, source)) = pins.first() {
                    return Err(self.unauthenticated(
                        env,
                        AuthError::Downgrade {
                            since: format!("write key {} ({source} pin {pin})", pin.epoch),
                        },
                    ));
                }
                let history = self.repo_path(env).is_some() && !self.shallow();
                if !history && !self.trust.allow_unsigned.iter().any(|e| e == env) {
                    // Without history or a pin, an unsigned file could be a downgrade.
                    return Err(self.unauthenticated(env, AuthError::NoAnchor));
                }
                if let Some(anchor) = self.history_anchor(env)? {
                    return Err(self.unauthenticated(
                        env,
                        AuthError::Downgrade {
                            since: format!("commit {}", short(&anchor.commit)),
                        },
                    ));
                }
            }
        }
        Ok(seal)
    }

    /// Checks a decrypted payload against the header that was verified: the write key and
    /// recipients sealed inside must be those that signed, and an unsigned file must hold
    /// the old format (a new-format payload whose signature was stripped is a forgery).
    /// Records the stanza in the payload so the next write continues its chain.
    pub(crate) fn check_inside(
        &self,
        env: &str,
        seal: &Seal,
        payload: &mut Payload,
    ) -> Result<(), StoreError> {
        match seal {
            Seal::Signed(stanza) => {
                let key = payload
                    .write_key
                    .as_ref()
                    .and_then(|k| auth::WriteKey::from_text(k.expose()).ok());
                if payload.is_legacy() || key.is_none_or(|k| k.public() != stanza.chain.current()) {
                    return Err(self.unauthenticated(env, AuthError::KeyMismatch));
                }
                if !stanza.lists_recipients(&payload.recipients) {
                    return Err(self.unauthenticated(env, AuthError::RecipientsMismatch));
                }
                payload.sealed_by = Some(stanza.clone());
                Ok(())
            }
            Seal::Legacy if payload.is_legacy() => Ok(()),
            Seal::Legacy | Seal::Unreadable => Err(self.unauthenticated(
                env,
                AuthError::Malformed("a signed-format payload without its signature"),
            )),
        }
    }

    /// Decrypts a version of `env` that is not the current file (a merge input, a
    /// revision being compared), after verifying its signature and that its chain agrees
    /// with `reference` (the chain of the verified current version) on every epoch both
    /// reach. A version in the old format is accepted only when `legacy_ok`.
    ///
    /// # Errors
    /// [`StoreError::Unauthenticated`], or as [`Vault::decrypt`].
    pub fn open_version(
        &self,
        env: &str,
        ciphertext: &[u8],
        identities: &Identities,
        reference: Option<&Chain>,
        legacy_ok: bool,
    ) -> Result<Payload, StoreError> {
        let seal = auth::inspect(env, ciphertext).map_err(|r| self.unauthenticated(env, r))?;
        match (&seal, reference) {
            (Seal::Signed(stanza), Some(reference)) if !stanza.chain.compatible(reference) => {
                return Err(self.unauthenticated(
                    env,
                    AuthError::ForeignChain {
                        anchor: format!("write key {} of the current version", reference.epoch()),
                    },
                ));
            }
            (Seal::Legacy, _) if !legacy_ok => {
                return Err(self.unauthenticated(
                    env,
                    AuthError::Downgrade {
                        since: "the current version".to_owned(),
                    },
                ));
            }
            _ => {}
        }
        let mut payload = self.open_sealed(env, ciphertext, identities)?;
        self.check_inside(env, &seal, &mut payload)?;
        Ok(payload)
    }
}

/// A commit id shortened for messages.
#[must_use]
pub fn short(commit: &str) -> &str {
    &commit[..commit.len().min(10)]
}

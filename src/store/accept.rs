//! Accepting, after review, a version that does not verify: a reader keeps its values but
//! re-signs them as the next version of the last authenticated one, sealed to the readers
//! that version and the roster agree on. Nothing the unverified file says about keys or
//! readers is kept, and if it was readable by anyone else, every value in it is marked
//! must-rotate.

use std::collections::BTreeSet;

use jiff::Timestamp;

use super::{StoreError, Vault};
use crate::auth::Seal;
use crate::identity::Identities;
use crate::payload::{MustRotate, Payload};

/// What `vault accept` will do, computed before anything is written.
#[derive(Debug)]
pub struct AcceptPlan {
    /// The environment.
    pub env: String,
    /// The commit holding the last authenticated version, on the mainline.
    pub trusted_commit: String,
    /// Secret names the unverified version adds, removes and changes, relative to it.
    pub added: Vec<String>,
    /// See `added`.
    pub removed: Vec<String>,
    /// See `added`.
    pub changed: Vec<String>,
    /// Readers the unverified version claims (unverifiable) that the accepted one will not
    /// have.
    pub claimed: Vec<String>,
    /// How many recipient stanzas the unverified file's header has.
    pub sealed_to: usize,
    /// How many recipients the accepted version is sealed to.
    pub kept: usize,
    /// Secrets that will be marked must-rotate: all of them.
    pub marked: Vec<String>,
    payload: Payload,
    recipients: Vec<crate::crypto::Recipient>,
}

impl Vault {
    /// Plans accepting the current, unverified version of `env`.
    ///
    /// # Errors
    /// [`StoreError::NothingToAccept`] when the current version verifies,
    /// [`StoreError::NoTrustedVersion`] without an authenticated version on the mainline,
    /// or the caller cannot read both versions.
    pub fn plan_accept(
        &self,
        env: &str,
        identities: &Identities,
        now: Timestamp,
    ) -> Result<AcceptPlan, StoreError> {
        let current = self.read_ciphertext(env)?;
        let pins = identities.pins();
        match self.verify_current(env, &current, &pins) {
            Err(StoreError::Unauthenticated { .. }) => {}
            Ok(_) => {
                return Err(StoreError::NothingToAccept {
                    env: env.to_owned(),
                });
            }
            Err(e) => return Err(e),
        }
        let path = self.repo_path(env).unwrap_or_default();
        let versions = self
            .git()
            .map(|repo| repo.mainline_versions(&path))
            .transpose()
            .map_err(|e| StoreError::Io {
                action: "read the history of",
                path: self.env_path(env),
                source: std::io::Error::other(e),
            })?
            .flatten()
            .unwrap_or_default();
        let (trusted_commit, trusted) = versions
            .iter()
            .rev()
            .find_map(
                |(commit, blob)| match self.verify_current(env, blob, &pins) {
                    Ok(Seal::Signed(_)) => Some((commit.clone(), blob)),
                    _ => None,
                },
            )
            .ok_or_else(|| StoreError::NoTrustedVersion {
                env: env.to_owned(),
            })?;
        let trusted = self.open_version(env, trusted, identities, None, false)?;
        let unverified = self.open_sealed(env, &current, identities)?;
        let recipients = self.routine_recipients(env, &trusted)?;
        let kept: BTreeSet<&str> = recipients.iter().map(|r| r.canonical()).collect();
        // The unverified file's own list of recipients is as unverified as the rest, and
        // age headers do not name X25519 recipients: who could read it is unknowable, so
        // every value in it is treated as exposed.
        let sealed_to = crate::crypto::dearmor(&current)
            .ok()
            .and_then(|binary| {
                let parts = crate::crypto::split_binary(&binary).ok()?;
                let stanzas = crate::crypto::stanzas(parts.stanzas).ok()?;
                Some(
                    stanzas
                        .iter()
                        .filter(|s| s.tag != crate::auth::STANZA_TAG && !s.tag.ends_with("-grease"))
                        .count(),
                )
            })
            .unwrap_or(0);
        let claimed: Vec<String> = unverified
            .recipients
            .iter()
            .filter(|r| !kept.contains(r.as_str()))
            .map(|r| {
                self.config
                    .owner_of(r)
                    .map_or_else(|| crate::members::short_key(r), str::to_owned)
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut payload = Payload::new(env);
        payload.secrets = unverified.secrets.clone();
        payload.conflicts = unverified.conflicts.clone();
        payload.recipients.clone_from(&trusted.recipients);
        payload.write_key.clone_from(&trusted.write_key);
        payload.sealed_by.clone_from(&trusted.sealed_by);
        let mut marked = Vec::new();
        let mark = MustRotate {
            reason:
                "it was in an unauthenticated version, which anyone could have been able to read"
                    .to_owned(),
            since: now,
        };
        payload.exposed.clone_from(&trusted.exposed);
        let names: Vec<String> = payload.secrets.keys().cloned().collect();
        for name in names {
            payload.mark_exposed(&name, &mark);
            marked.push(name);
        }
        let names = |p: &Payload| p.secrets.keys().cloned().collect::<BTreeSet<_>>();
        let (before, after) = (names(&trusted), names(&payload));
        Ok(AcceptPlan {
            env: env.to_owned(),
            trusted_commit,
            added: after.difference(&before).cloned().collect(),
            removed: before.difference(&after).cloned().collect(),
            changed: after
                .intersection(&before)
                .filter(|n| trusted.secrets[*n].value != payload.secrets[*n].value)
                .cloned()
                .collect(),
            claimed,
            sealed_to,
            kept: recipients.len(),
            marked,
            payload,
            recipients,
        })
    }

    /// Writes an accepted version (under the caller's lock).
    ///
    /// # Errors
    /// Sealing or writing fails.
    pub fn apply_accept(&self, mut plan: AcceptPlan) -> Result<(), StoreError> {
        let (ciphertext, recipients) =
            self.seal_to(&plan.env, &mut plan.payload, plan.recipients, false)?;
        self.store(&plan.env, &ciphertext, &recipients)
    }
}

//! Merging two branches' versions of an environment file for git's merge driver, under the
//! same rules as every other write: each input is verified, the result continues the newest
//! input's write-key chain, is sealed only to keys that are both in the roster and in that
//! newest version, and any value that a merged-in version exposed to a key the result drops
//! is marked must-rotate (a branch opened before an offboarding brings values the removed
//! member could read).

use std::collections::BTreeSet;

use jiff::Timestamp;

use super::{StoreError, Vault};
use crate::identity::Identities;
use crate::payload::{MustRotate, Payload};

/// The outcome of [`Vault::merge_versions`].
#[derive(Debug)]
pub struct Merged {
    /// The armored, signed result.
    pub ciphertext: Vec<u8>,
    /// The recipients it is sealed to.
    pub recipients: Vec<crate::crypto::Recipient>,
    /// Secrets both branches changed differently (kept as conflicts inside the payload).
    pub conflicts: Vec<String>,
    /// Secrets newly marked must-rotate because a merged version exposed them.
    pub marked: Vec<String>,
}

/// Marks must-rotate every secret of `merged` whose value `brought(name, value)` says
/// came from an exposed version, recording newly marked names in `marked`.
fn mark_values(
    merged: &mut Payload,
    marked: &mut Vec<String>,
    mark: &MustRotate,
    brought: impl Fn(&str, &crate::secret::Secret) -> bool,
) {
    let names: Vec<String> = merged
        .secrets
        .iter()
        .filter(|(name, entry)| brought(name, &entry.value))
        .map(|(name, _)| name.clone())
        .collect();
    for name in names {
        if merged.secrets[&name].must_rotate.is_none() {
            marked.push(name.clone());
        }
        merged.mark_exposed(&name, mark);
    }
}

impl Vault {
    /// Merges `theirs` into `ours` against `base` (empty: the file is new on both sides).
    ///
    /// # Errors
    /// An input that does not verify (ours against this machine's anchors, the others
    /// against ours' chain), one the caller cannot decrypt, or sealing fails.
    pub fn merge_versions(
        &self,
        env: &str,
        base: &[u8],
        ours: &[u8],
        theirs: &[u8],
        identities: &Identities,
        now: Timestamp,
    ) -> Result<Merged, StoreError> {
        // The side with the newer write key is verified as the current version (merging
        // main into a branch opened before an offboarding makes that theirs); the other
        // must agree with its chain.
        let epoch = |bytes: &[u8]| match crate::auth::inspect(env, bytes) {
            Ok(crate::auth::Seal::Signed(stanza)) => stanza.chain.epoch(),
            _ => 0,
        };
        let theirs_newer = epoch(theirs) > epoch(ours);
        let (newer, older) = if theirs_newer {
            (theirs, ours)
        } else {
            (ours, theirs)
        };
        let seal = self.verify_current(env, newer, &identities.pins())?;
        let mut newer = self.open_sealed(env, newer, identities)?;
        self.check_inside(env, &seal, &mut newer)?;
        let Some(reference) = newer.sealed_by.as_ref().map(|s| s.chain.clone()) else {
            return Err(StoreError::NeedsUpgrade {
                env: env.to_owned(),
                path: self.relative(&self.env_path(env)).to_owned(),
            });
        };
        let older = self.open_version(env, older, identities, Some(&reference), false)?;
        let (ours, theirs) = if theirs_newer {
            (older, newer)
        } else {
            (newer, older)
        };
        let ours_stanza = ours
            .sealed_by
            .clone()
            .expect("both inputs are signed once verified");
        let base = if base.iter().all(u8::is_ascii_whitespace) {
            Payload::new(env)
        } else {
            self.open_version(env, base, identities, Some(&reference), true)?
        };
        let theirs_stanza = theirs
            .sealed_by
            .clone()
            .expect("open_version refuses unsigned inputs unless legacy_ok");
        let (mut merged, _) = crate::merge::merge(&base, &ours, &theirs);
        // Values either branch knew to be exposed stay exposed.
        for side in [&ours, &theirs] {
            for (digest, mark) in &side.exposed {
                merged
                    .exposed
                    .entry(digest.clone())
                    .or_insert_with(|| mark.clone());
            }
        }

        // The newest chain wins; both extend a common one (open_version checked).
        let newest = if theirs_stanza.chain.epoch() > ours_stanza.chain.epoch() {
            &theirs
        } else {
            &ours
        };
        let mut stanza = newest.sealed_by.clone().expect("both inputs are signed");
        stanza.seq = ours_stanza.seq.max(theirs_stanza.seq);
        merged.sealed_by = Some(stanza.clone());
        merged.write_key.clone_from(&newest.write_key);

        let current: BTreeSet<&String> = [&ours, &theirs]
            .into_iter()
            .filter(|p| {
                p.sealed_by
                    .as_ref()
                    .is_some_and(|s| s.chain.epoch() == stanza.chain.epoch())
            })
            .flat_map(|p| &p.recipients)
            .collect();
        // A side already sealed to post-quantum keys keeps the result there: git runs this
        // driver before it merges .vault.toml, so the roster on disk may still be the other
        // branch's, which knew nothing of the move.
        let post_quantum = self.config().requires_pq(env)
            || [&ours, &theirs].into_iter().any(|p| {
                !p.recipients.is_empty()
                    && p.recipients
                        .iter()
                        .all(|r| r.starts_with(crate::pq::RECIPIENT_PREFIX))
            });
        let recipients: Vec<crate::crypto::Recipient> = self
            .config()
            .recipients_of_kind(env, post_quantum)
            .unwrap_or_default()
            .into_iter()
            .filter(|r| current.iter().any(|c| c.as_str() == r.canonical()))
            .collect();
        let kept: BTreeSet<&str> = recipients.iter().map(|r| r.canonical()).collect();
        let kept_keys: Vec<String> = kept.iter().map(|k| (*k).to_owned()).collect();

        let mut marked = Vec::new();
        let mut rotate = false;
        for side in [&base, &ours, &theirs] {
            // A key of the other kind whose member reads on is retired, not exposed.
            let exposed: Vec<&String> = side
                .recipients
                .iter()
                .filter(|r| !kept.contains(r.as_str()))
                .filter(|r| {
                    !crate::members::retires_key(self, self.config(), &kept_keys, post_quantum, r)
                })
                .collect();
            if exposed.is_empty() {
                continue;
            }
            if side
                .sealed_by
                .as_ref()
                .is_some_and(|s| s.chain.epoch() == stanza.chain.epoch())
            {
                // They knew the write key of the epoch the result continues.
                rotate = true;
            }
            let who = exposed
                .iter()
                .map(|r| {
                    self.config()
                        .owner_of(r)
                        .map_or_else(|| crate::members::short_key(r), str::to_owned)
                })
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ");
            let mark = MustRotate {
                reason: format!("{who} could read it in a version merged from another branch"),
                since: now,
            };
            mark_values(&mut merged, &mut marked, &mark, |name, value| {
                side.secrets.get(name).is_some_and(|e| e.value == *value)
            });
        }
        // A version under an older write key may have been written by anyone who held that
        // key, including whoever the hand-over removed, and its own list of readers is only
        // its writer's word: every value it brings that the newer side does not have is
        // marked, so `vault check` makes someone look at it.
        let newest_side = if theirs_newer { &theirs } else { &ours };
        for side in [&ours, &theirs] {
            let older = side
                .sealed_by
                .as_ref()
                .is_some_and(|s| s.chain.epoch() < stanza.chain.epoch());
            if !older {
                continue;
            }
            let mark = MustRotate {
                reason: format!(
                    "it came from a version under write key {}, which someone who has since lost access held",
                    side.sealed_by.as_ref().map_or(0, |s| s.chain.epoch())
                ),
                since: now,
            };
            mark_values(&mut merged, &mut marked, &mark, |name, value| {
                side.secrets.get(name).is_some_and(|e| e.value == *value)
                    && newest_side
                        .secrets
                        .get(name)
                        .is_none_or(|e| e.value != *value)
            });
        }
        marked.sort();
        marked.dedup();
        let conflicts = merged.conflicts.keys().cloned().collect();
        let (ciphertext, recipients) = self.seal_to(env, &mut merged, recipients, rotate)?;
        if let Ok(crate::auth::Seal::Signed(stanza)) = crate::auth::inspect(env, &ciphertext) {
            self.trust().remember(self.root(), &stanza);
        }
        Ok(Merged {
            ciphertext,
            recipients,
            conflicts,
            marked,
        })
    }

    /// Rewrites `secrets/<env>.recipients`, the readable view of who a file is sealed to
    /// (the merge driver writes the ciphertext itself, where git tells it to).
    ///
    /// # Errors
    /// An I/O failure.
    pub fn write_summary(
        &self,
        env: &str,
        recipients: &[crate::crypto::Recipient],
    ) -> Result<(), StoreError> {
        let path = self.recipients_path(env);
        let text = super::recipients::render(env, recipients, self.config());
        super::atomic::write(&path, text.as_bytes(), 0o644).map_err(|source| StoreError::Io {
            action: "write",
            path,
            source,
        })
    }
}

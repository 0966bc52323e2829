//! Every committed version of an environment file, checked for who wrote it: the history
//! half of `vault check`. Each version's signature is verified without any key, each
//! commit's version must continue the chain of the version it replaced, all versions must
//! share one genesis key and never disagree about an epoch's key (a fork: two hand-overs
//! from the same key, such as a removed member's competing one), and no unsigned version
//! may follow a signed one (a downgrade). Each distinct blob is verified once.

use std::collections::{BTreeMap, HashMap};

use super::{StoreError, Vault};
use crate::auth::{self, AuthError, PublicKey, Seal, Stanza};

/// A problem with one committed version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionProblem {
    /// The commit that introduced the version.
    pub commit: String,
    /// Its author, as git records it (self-declared).
    pub author: String,
    /// What is wrong.
    pub reason: AuthError,
    /// Whether it only warrants a warning (an older version restored).
    pub warning: bool,
}

/// What the history of one environment file holds.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// Distinct versions examined.
    pub versions: usize,
    /// Problems, oldest first.
    pub problems: Vec<VersionProblem>,
    /// The commit that introduced each blob (by content), for naming the current one.
    introduced: HashMap<Vec<u8>, (String, String)>,
}

impl Provenance {
    /// The commit (and author) that introduced these exact bytes, if history has them.
    #[must_use]
    pub fn introduced(&self, bytes: &[u8]) -> Option<(&str, &str)> {
        self.introduced
            .get(bytes)
            .map(|(c, a)| (c.as_str(), a.as_str()))
    }
}

impl Vault {
    /// Verifies every committed version of `env` reachable from `HEAD`. `anchor` is the
    /// genesis key the versions must share (from the verified current file or the first
    /// signed version on the mainline).
    ///
    /// # Errors
    /// History that exists but cannot be read.
    pub fn provenance(
        &self,
        env: &str,
        anchor: Option<PublicKey>,
    ) -> Result<Provenance, StoreError> {
        let mut out = Provenance::default();
        let Some(history) = self.env_history(env)? else {
            return Ok(out);
        };
        let mut seals: HashMap<&str, Result<Seal, AuthError>> = HashMap::new();
        for (id, bytes) in &history.blobs {
            seals.insert(id.as_str(), auth::inspect(env, bytes));
        }
        out.versions = seals.len();
        // Oldest first, so a fork is reported at the commit that made the second branch.
        let mut epochs: BTreeMap<u64, (PublicKey, String)> = BTreeMap::new();
        for change in history.changes.iter().rev() {
            let Some(new) = change.new.as_deref() else {
                continue;
            };
            if let Some(bytes) = history.blobs.get(new) {
                out.introduced
                    .entry(bytes.clone())
                    .or_insert_with(|| (change.commit.clone(), change.author.clone()));
            }
            let mut problem = |reason: AuthError, warning: bool| {
                out.problems.push(VersionProblem {
                    commit: change.commit.clone(),
                    author: change.author.clone(),
                    reason,
                    warning,
                });
            };
            let old = change.old.as_deref().and_then(|id| seals.get(id));
            match seals.get(new) {
                None | Some(Ok(Seal::Unreadable)) => {}
                Some(Err(reason)) => problem(reason.clone(), false),
                Some(Ok(Seal::Legacy)) => {
                    if let Some(Ok(Seal::Signed(_))) = old {
                        problem(
                            AuthError::Downgrade {
                                since: "the version it replaced".to_owned(),
                            },
                            false,
                        );
                    }
                }
                Some(Ok(Seal::Signed(stanza))) => {
                    if let Some(reason) = chain_problem(stanza, anchor, &epochs) {
                        problem(reason, false);
                        continue;
                    }
                    if let Some(Ok(Seal::Signed(before))) = old {
                        if !stanza.chain.extends(&before.chain) {
                            problem(
                                AuthError::Rollback {
                                    found: stanza.chain.epoch(),
                                    trusted: before.chain.epoch(),
                                },
                                false,
                            );
                            continue;
                        }
                        if stanza.chain.epoch() == before.chain.epoch() && stanza.seq < before.seq {
                            problem(
                                AuthError::Restored {
                                    seq: stanza.seq,
                                    after: before.seq,
                                },
                                true,
                            );
                        }
                    }
                    for epoch in 1..=stanza.chain.epoch() {
                        if let Some(key) = stanza.chain.key_at(epoch) {
                            epochs
                                .entry(epoch)
                                .or_insert_with(|| (key, change.commit.clone()));
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

fn chain_problem(
    stanza: &Stanza,
    anchor: Option<PublicKey>,
    epochs: &BTreeMap<u64, (PublicKey, String)>,
) -> Option<AuthError> {
    if let Some(anchor) = anchor
        && stanza.chain.genesis_key() != anchor
    {
        return Some(AuthError::ForeignChain {
            anchor: "the environment's first signed version".to_owned(),
        });
    }
    for (epoch, (key, commit)) in epochs {
        match stanza.chain.key_at(*epoch) {
            Some(found) if found != *key => {
                return Some(AuthError::Fork {
                    epoch: *epoch,
                    other: super::verify::short(commit).to_owned(),
                });
            }
            _ => {}
        }
    }
    None
}

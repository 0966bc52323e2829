//! The audit trail (`vault log`, `vault diff`): which commit changed which keys of which
//! environment, and whether its signature says a member wrote it. Names only, never values.

use std::collections::HashMap;

use crate::auth;
use crate::edit::{self, Changes};
use crate::error::Error;
use crate::git::{self, FileChange};
use crate::identity::Identities;
use crate::payload::Payload;
use crate::store::Vault;

/// Key-level changes between two versions of a payload (either may be absent).
#[must_use]
pub fn between(old: Option<&Payload>, new: Option<&Payload>) -> Changes {
    let empty = Payload::new("");
    let old = old.unwrap_or(&empty);
    let edited: Vec<edit::Edited> = new
        .map(|p| {
            p.secrets
                .iter()
                .map(|(name, e)| edit::Edited {
                    name: name.clone(),
                    value: e.value.clone(),
                    comment: e.comment.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut c = edit::diff(old, &edited);
    c.commented.clear();
    c
}

/// The file's path relative to the git work tree (the vault may live in a subdirectory).
///
/// # Errors
/// [`Error::NotInGit`].
pub fn repo_path(vault: &Vault, env: &str) -> Result<String, Error> {
    vault.repo_path(env).ok_or(Error::NotInGit)
}

/// The commits that changed some environments' files, walked once.
#[derive(Debug)]
pub struct Log {
    envs: Vec<String>,
    by_path: HashMap<String, String>,
    history: git::History,
}

/// One commit's change to one environment, as `vault log` lists it.
#[derive(Debug)]
pub struct Entry<'a> {
    /// The commit and the file's blobs.
    pub change: &'a FileChange,
    /// The environment.
    pub env: &'a str,
    /// The keys it added, changed and removed; `None` without access to both versions.
    pub diff: Option<Changes>,
    /// `Err(reason)` when its signature does not say a member wrote it.
    pub signed: Result<(), String>,
}

impl Log {
    /// Walks the history of `envs`' files.
    ///
    /// # Errors
    /// The vault is not in git, or the history cannot be read.
    pub fn load(vault: &Vault, envs: Vec<String>) -> Result<Self, Error> {
        let mut by_path = HashMap::new();
        for env in &envs {
            by_path.insert(repo_path(vault, env)?, env.clone());
        }
        let paths: Vec<String> = by_path.keys().cloned().collect();
        let history = vault.git().ok_or(Error::NotInGit)?.file_history(&paths)?;
        Ok(Self {
            envs,
            by_path,
            history,
        })
    }

    /// The entries, newest first; with `key`, only those that touch it. Versions are
    /// opened with `identities` (without them, no entry has a diff) and judged as
    /// `vault check` judges them: git's author line is only what the committer typed.
    ///
    /// # Errors
    /// An environment's provenance cannot be read.
    pub fn entries(
        &self,
        vault: &Vault,
        identities: Option<&Identities>,
        key: Option<&str>,
    ) -> Result<Vec<Entry<'_>>, Error> {
        // Each blob is decrypted at most once, however many commits refer to it.
        let mut opened: HashMap<String, Option<Payload>> = HashMap::new();
        let mut open = |env: &str, id: &str| -> Option<Payload> {
            opened
                .entry(id.to_owned())
                .or_insert_with(|| {
                    let bytes = self.history.blobs.get(id)?;
                    vault.open_sealed(env, bytes, identities?).ok()
                })
                .clone()
        };
        // What the signatures say about each version, as `vault check` judges them: git's author
        // line is only what the committer typed.
        let mut problems: HashMap<(String, String), String> = HashMap::new();
        for env in &self.envs {
            let current = vault.read_ciphertext(env).ok().and_then(|bytes| {
                match vault.verify_current(env, &bytes, &[]) {
                    Ok(auth::Seal::Signed(stanza)) => Some(stanza.chain.genesis_key()),
                    _ => None,
                }
            });
            let anchor =
                current.or_else(|| vault.history_anchor(env).ok().flatten().map(|a| a.key));
            for problem in vault.provenance(env, anchor)?.problems {
                if !problem.warning {
                    problems.insert((env.clone(), problem.commit), problem.reason.to_string());
                }
            }
        }
        let mut rows = Vec::new();
        for change in &self.history.changes {
            let env = &self.by_path[&change.path];
            let new = change.new.as_deref().map(|id| open(env, id));
            // A merge is credited only with what differs from every parent (a resolution, or an
            // edit of the merger's own); keys taken from one side belong to that side's commit.
            let bases: Vec<Option<&str>> = if change.parents.is_empty() {
                vec![change.old.as_deref()]
            } else {
                change.parents.iter().map(Option::as_deref).collect()
            };
            let mut diff: Option<Changes> = None;
            let mut readable = new.as_ref().is_none_or(Option::is_some);
            for base in bases {
                let old = base.map(|id| open(env, id));
                readable &= old.as_ref().is_none_or(Option::is_some);
                if !readable {
                    break;
                }
                let this = between(old.flatten().as_ref(), new.clone().flatten().as_ref());
                diff = Some(match diff {
                    None => this,
                    Some(mut acc) => {
                        let all = |names: &[String]| {
                            this.added
                                .iter()
                                .chain(&this.changed)
                                .chain(&this.removed)
                                .any(|n| names.contains(n))
                        };
                        let keep =
                            |list: &mut Vec<String>| list.retain(|n| all(std::slice::from_ref(n)));
                        keep(&mut acc.added);
                        keep(&mut acc.changed);
                        keep(&mut acc.removed);
                        acc
                    }
                });
            }
            let diff = if readable { diff } else { None };
            if let Some(key) = key {
                let touches = diff.as_ref().is_some_and(|d| {
                    [&d.added, &d.changed, &d.removed]
                        .iter()
                        .any(|names| names.iter().any(|n| n == key))
                });
                if !touches {
                    continue;
                }
            }
            let signed = problems
                .get(&(env.clone(), change.commit.clone()))
                .map_or(Ok(()), |reason| Err(reason.clone()));
            rows.push(Entry {
                change,
                env,
                diff,
                signed,
            });
        }
        Ok(rows)
    }
}

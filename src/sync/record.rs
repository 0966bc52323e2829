//! The digest record of write-only stores (GitHub Actions, Cloudflare Workers), which never
//! return a value: to know whether a value changed, vault keeps, somewhere in the store it
//! can read back, a keyed digest ([`RecordKey::digest`]) of each value it pushed, and for
//! stores that report one, a change marker (GitHub's `updated_at`) seen right after the push.
//! The record as a whole is tagged with the record key, so a record vault did not write is
//! not trusted, and `--prune` deletes only secrets a trusted record lists.
//!
//! Each store says where the record lives and how to list, write and delete secrets
//! ([`WriteOnly`]); the plan and the push loop are the same for all of them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Action, Change, Plan, RecordKey, SyncError};
use crate::secret::Secret;

const NOTE_DRIFT: &str = "changed in the store since vault pushed it (drift): overwritten";
const NOTE_UNRECORDED: &str =
    "in the store but not in vault's record: overwritten, managed from now";
const NOTE_GONE: &str = "deleted in the store since vault pushed it: created again";

/// What vault recorded of one secret it pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// [`RecordKey::digest`] of the value.
    #[serde(rename = "d")]
    pub digest: String,
    /// The store's change marker as listed after the push (GitHub's `updated_at`); absent
    /// for stores that list names only.
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// The record's version: 2 added `to`. A version-1 record is not trusted (it named no
/// target), so the first push after the upgrade rewrites every secret once.
const VERSION: u32 = 2;

/// The record's body, tagged as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Body {
    v: u32,
    env: String,
    /// The store the record is about (`cloudflare:ACCOUNT/SCRIPT`, `github:OWNER/NAME`, …).
    /// The tag covers it, so a record copied from another script or repository pushed from
    /// the same environment (same key, same env) is not trusted there: otherwise whoever can
    /// write the record could replay one that says "this value is already there" and keep a
    /// rotated-out value in place, or list names the target's owner set, to have them pruned.
    #[serde(default)]
    to: String,
    secrets: BTreeMap<String, Entry>,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    record: Body,
    tag: String,
}

/// The record as read from the store.
pub(crate) enum Record {
    /// No record yet.
    Absent,
    /// A record whose tag does not verify with this environment's key: written by someone
    /// else, edited by hand, or from before a write-key change.
    Untrusted,
    /// vault's own record.
    Trusted(Body),
}

impl Record {
    /// The record stored as `text` (`None`: there is none), checked against `key`, `env`
    /// and the store it was read from (`to`).
    pub fn parse(text: Option<&str>, key: &RecordKey, env: &str, to: &str) -> Self {
        let Some(text) = text else {
            return Self::Absent;
        };
        let Ok(stored) = serde_json::from_str::<Stored>(text) else {
            return Self::Untrusted;
        };
        let Ok(body) = serde_json::to_vec(&stored.record) else {
            return Self::Untrusted;
        };
        if stored.record.v != VERSION
            || stored.record.env != env
            || stored.record.to != to
            || !key.verify(&body, &stored.tag)
        {
            return Self::Untrusted;
        }
        Self::Trusted(stored.record)
    }

    fn secrets(&self) -> Option<&BTreeMap<String, Entry>> {
        match self {
            Self::Trusted(body) => Some(&body.secrets),
            Self::Absent | Self::Untrusted => None,
        }
    }
}

/// `body` tagged with `key`, as stored.
fn seal(body: &Body, key: &RecordKey, store: &'static str) -> Result<String, SyncError> {
    let protocol = |e: serde_json::Error| SyncError::Protocol {
        store,
        detail: format!("the record: {e}"),
    };
    let text = serde_json::to_vec(body).map_err(protocol)?;
    serde_json::to_string(&Stored {
        record: body.clone(),
        tag: key.seal(&text),
    })
    .map_err(protocol)
}

/// A store that never returns values, as the record needs it.
pub(crate) trait WriteOnly {
    /// The store's name in messages.
    fn store(&self) -> &'static str;
    /// Which store this is, exactly (account and script, repository and environment): the
    /// record is bound to it.
    fn target(&self) -> String;
    /// The largest record the store holds (bytes), and the limit's name for the message.
    fn record_limit(&self) -> (usize, &'static str);
    /// Every secret's name, with its change marker where the store has one.
    fn list(&self) -> Result<BTreeMap<String, Option<String>>, SyncError>;
    /// Writes one secret.
    fn put(&self, name: &str, value: &Secret) -> Result<(), SyncError>;
    /// Deletes one secret (gone already is fine).
    fn delete(&self, name: &str) -> Result<(), SyncError>;
    /// The stored record's text, if there is one.
    fn read_record(&self) -> Result<Option<String>, SyncError>;
    /// Stores the record (`exists`: whether [`WriteOnly::read_record`] found one).
    fn write_record(&self, text: &str, exists: bool) -> Result<(), SyncError>;
}

/// The plan for `local` against what the store lists and what vault's record says.
pub(crate) fn plan(
    local: &BTreeMap<String, Secret>,
    listed: &BTreeMap<String, Option<String>>,
    record: &Record,
    key: &RecordKey,
    prune: bool,
) -> Plan {
    let recorded = record.secrets();
    let entry = |name: &str| recorded.and_then(|r| r.get(name));
    let mut changes = Vec::new();
    for (name, value) in local {
        let (action, note) = match (listed.get(name), entry(name)) {
            (None, Some(_)) => (Action::Create, Some(NOTE_GONE)),
            (None, None) => (Action::Create, None),
            (Some(_), None) => (Action::Update, Some(NOTE_UNRECORDED)),
            (Some(marker), Some(entry)) => {
                if entry.digest != key.digest(name, value) {
                    (Action::Update, None)
                } else if entry.marker.is_some() && entry.marker != *marker {
                    (Action::Update, Some(NOTE_DRIFT))
                } else {
                    (Action::Unchanged, None)
                }
            }
        };
        changes.push(Change {
            name: name.clone(),
            action,
            note,
        });
    }
    for name in listed.keys().filter(|n| !local.contains_key(*n)) {
        let action = match entry(name) {
            None => Action::Unmanaged,
            Some(_) if prune => Action::Delete,
            Some(_) => Action::Keep,
        };
        changes.push(Change {
            name: name.clone(),
            action,
            note: None,
        });
    }
    changes.sort_by(|a, b| a.name.cmp(&b.name));
    Plan { changes }
}

/// Pushes `local` to `store`: writes what changed, deletes (with `prune`) what vault's
/// record says it manages and `local` no longer has, then records what it pushed. Checks
/// of names and values are the caller's, before this is called.
///
/// # Errors
/// A failing request ([`SyncError::Partial`] once something was written).
pub(crate) fn push(
    store: &impl WriteOnly,
    env: &str,
    local: &BTreeMap<String, Secret>,
    key: &RecordKey,
    prune: bool,
    dry_run: bool,
) -> Result<Plan, SyncError> {
    let stored = store.read_record()?;
    let to = store.target();
    let record = Record::parse(stored.as_deref(), key, env, &to);
    let record_exists = stored.is_some();
    let listed = store.list()?;
    let plan = plan(local, &listed, &record, key, prune);
    if dry_run {
        return Ok(plan);
    }
    let original = match record {
        Record::Trusted(body) => Some(body),
        Record::Absent | Record::Untrusted => None,
    };
    let mut next = original.clone().unwrap_or_else(|| Body {
        v: VERSION,
        env: env.to_owned(),
        to: to.clone(),
        secrets: BTreeMap::new(),
    });
    let mut done = Vec::new();
    let mut written = Vec::new();
    let mut failure = None;
    for change in &plan.changes {
        let result = match change.action {
            Action::Create | Action::Update => store
                .put(&change.name, &local[&change.name])
                .map(|()| written.push(change.name.clone())),
            Action::Delete => store.delete(&change.name),
            Action::Unchanged | Action::Keep | Action::Unmanaged => continue,
        };
        match result {
            Ok(()) => done.push(change.name.clone()),
            Err(err) => {
                failure = Some(err);
                break;
            }
        }
    }
    // Record what landed, even after a failure, so the next run does not rewrite it.
    // Markers come from a fresh listing; without writes, the first one is current.
    let listed = if done.is_empty() {
        Ok(listed)
    } else {
        store.list()
    };
    let recorded = listed.and_then(|listed| {
        for name in &written {
            if let Some(marker) = listed.get(name) {
                next.secrets.insert(
                    name.clone(),
                    Entry {
                        digest: key.digest(name, &local[name]),
                        marker: marker.clone(),
                    },
                );
            }
        }
        next.secrets.retain(|name, _| listed.contains_key(name));
        if original.as_ref() == Some(&next)
            || (original.is_none() && next.secrets.is_empty() && !record_exists)
        {
            return Ok(());
        }
        let text = seal(&next, key, store.store())?;
        let (limit, what) = store.record_limit();
        if text.len() > limit {
            return Err(SyncError::Service {
                store: store.store(),
                code: "record too large".to_owned(),
                detail: format!(
                    "vault's record of {} secrets does not fit {what}",
                    next.secrets.len()
                ),
            });
        }
        store.write_record(&text, record_exists)
    });
    if let Err(err) = recorded
        && failure.is_none()
    {
        failure = Some(err);
    }
    if let Some(err) = failure {
        return Err(err.after(&done));
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_use_digests_markers_and_the_record() {
        let key = RecordKey::derive(Some(&Secret::from("wk")), "prod").unwrap();
        let local: BTreeMap<String, Secret> =
            [("A", "1"), ("B", "2"), ("C", "3"), ("D", "4"), ("E", "5")]
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Secret::from(*v)))
                .collect();
        let listed: BTreeMap<String, Option<String>> = ["A", "B", "C", "E", "OLD", "THEIRS"]
            .iter()
            .map(|n| ((*n).to_owned(), Some("t1".to_owned())))
            .collect();
        let entry = |name: &str, value: &str, t: &str| {
            (
                name.to_owned(),
                Entry {
                    digest: key.digest(name, &Secret::from(value)),
                    marker: Some(t.to_owned()),
                },
            )
        };
        let body = Body {
            v: VERSION,
            env: "prod".into(),
            to: "test:a".into(),
            secrets: [
                entry("A", "1", "t1"),
                entry("B", "old", "t1"),
                entry("C", "3", "t0"),
                entry("D", "4", "t1"),
                entry("OLD", "x", "t1"),
            ]
            .into_iter()
            .collect(),
        };
        let got = |record: &Record, prune| {
            plan(&local, &listed, record, &key, prune)
                .changes
                .into_iter()
                .map(|c| (c.name, c.action, c.note))
                .collect::<Vec<_>>()
        };
        let s = String::from;
        assert_eq!(
            got(&Record::Trusted(body.clone()), true),
            [
                (s("A"), Action::Unchanged, None),
                (s("B"), Action::Update, None),
                (s("C"), Action::Update, Some(NOTE_DRIFT)),
                (s("D"), Action::Create, Some(NOTE_GONE)),
                (s("E"), Action::Update, Some(NOTE_UNRECORDED)),
                (s("OLD"), Action::Delete, None),
                (s("THEIRS"), Action::Unmanaged, None),
            ]
        );
        let untrusted = got(&Record::Untrusted, true);
        assert!(untrusted.iter().all(|(n, a, _)| match n.as_str() {
            "OLD" | "THEIRS" => *a == Action::Unmanaged,
            "D" => *a == Action::Create,
            _ => *a == Action::Update,
        }));
    }

    #[test]
    fn records_round_trip_and_refuse_tampering() {
        let key = RecordKey::derive(Some(&Secret::from("wk")), "prod").unwrap();
        let body = Body {
            v: VERSION,
            env: "prod".into(),
            to: "test:a".into(),
            secrets: [(
                "A".to_owned(),
                Entry {
                    digest: "00".into(),
                    marker: None,
                },
            )]
            .into_iter()
            .collect(),
        };
        let text = seal(&body, &key, "test").unwrap();
        // A store without markers leaves them out of the record entirely.
        assert!(!text.contains("\"u\""), "{text}");
        assert!(matches!(
            Record::parse(Some(&text), &key, "prod", "test:a"),
            Record::Trusted(b) if b == body
        ));
        assert!(matches!(
            Record::parse(Some(&text), &key, "dev", "test:a"),
            Record::Untrusted
        ));
        // The same environment's record, copied to another store: not trusted there.
        assert!(matches!(
            Record::parse(Some(&text), &key, "prod", "test:b"),
            Record::Untrusted
        ));
        let retargeted = text.replace("\"test:a\"", "\"test:b\"");
        assert!(matches!(
            Record::parse(Some(&retargeted), &key, "prod", "test:b"),
            Record::Untrusted
        ));
        let tampered = text.replace("\"A\"", "\"B\"");
        assert!(matches!(
            Record::parse(Some(&tampered), &key, "prod", "test:a"),
            Record::Untrusted
        ));
        assert!(matches!(
            Record::parse(Some("not json"), &key, "prod", "test:a"),
            Record::Untrusted
        ));
        assert!(matches!(
            Record::parse(None, &key, "prod", "test:a"),
            Record::Absent
        ));
    }
}

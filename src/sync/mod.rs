//! Push an environment to a central secret store, or pull one from it.
//!
//! The git repository stays the reviewed source of truth; stores are delivery targets. Every
//! sync is first computed as a [`Plan`] (names and what happens to each, never values) and
//! only then applied, so `--dry-run` shows exactly what a real run would do.
//!
//! Store clients live in their own modules behind cargo features (`ssm`, `kv`, `github`,
//! `cloudflare`, `azure`). They speak
//! plain synchronous HTTP, so even a build with both features has no async runtime.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::secret::Secret;

#[cfg(feature = "ssm")]
mod aws;
#[cfg(feature = "azure")]
pub mod azure;
#[cfg(feature = "cloudflare")]
pub mod cloudflare;
#[cfg(feature = "github")]
pub mod github;
#[cfg(any(
    feature = "ssm",
    feature = "kv",
    feature = "github",
    feature = "cloudflare",
    feature = "azure"
))]
mod http;
#[cfg(feature = "kv")]
pub mod kv;
#[cfg(any(feature = "github", feature = "cloudflare"))]
mod record;
#[cfg(feature = "ssm")]
pub mod ssm;

/// A central store an environment is pushed to and pulled from. Each is behind its cargo
/// feature; `connect`ing (in the CLI) checks flags, address, region and credentials before
/// anything is decrypted.
pub trait Store {
    /// Where the environment goes, for the report: `AWS SSM /app/prod/ (eu-west-1)`.
    fn describe(&self, env: &str) -> String;
    /// Makes the store hold `local` (only what changed is written; with `prune`, names
    /// vault manages that are not in `local` are deleted), or with `dry_run` only plans it.
    /// `record` keys the digests write-only stores (GitHub) keep of what was pushed; it is
    /// `None` for an environment without a write key.
    ///
    /// # Errors
    /// A value the store cannot hold (before anything is written), or a failing request.
    fn push(
        &self,
        env: &str,
        local: &BTreeMap<String, Secret>,
        record: Option<&RecordKey>,
        prune: bool,
        dry_run: bool,
    ) -> Result<Pushed, SyncError>;
    /// What the store holds for `env`.
    ///
    /// # Errors
    /// A failing request, or a value that is not text.
    fn fetch(&self, env: &str) -> Result<BTreeMap<String, Secret>, SyncError>;
}

/// What a push did or would do.
#[derive(Debug)]
pub struct Pushed {
    /// The plan.
    pub plan: Plan,
    /// The version written, for stores that version the whole secret (KV).
    pub version: Option<u64>,
}

/// Pull's plan for `payload`: make it hold `remote`, and, unless `dry_run`, apply it.
/// `NAME_PREVIOUS` in the store is what a push derived from a rotation in progress here,
/// not a secret of its own, so pulling it back would invent one: it is left out. Returns
/// the plan and whether the payload changed.
///
/// # Errors
/// A value or name the payload refuses.
pub fn apply_pull(
    payload: &mut crate::payload::Payload,
    remote: &BTreeMap<String, Secret>,
    prune: bool,
    dry_run: bool,
    now: jiff::Timestamp,
) -> Result<(Plan, bool), crate::payload::PayloadError> {
    let local: BTreeMap<String, Secret> = payload
        .secrets
        .iter()
        .map(|(name, entry)| (name.clone(), entry.value.clone()))
        .collect();
    let mut remote = remote.clone();
    remote.retain(|name, _| {
        name.strip_suffix("_PREVIOUS")
            .and_then(|base| payload.secrets.get(base))
            .is_none_or(|entry| entry.previous.is_none())
    });
    let plan = Plan::compute(&remote, &local, prune);
    if dry_run || plan.is_noop() {
        return Ok((plan, false));
    }
    for change in &plan.changes {
        match change.action {
            Action::Create | Action::Update => {
                payload.set(&change.name, remote[&change.name].clone(), now)?;
            }
            Action::Delete => {
                payload.unset(&change.name);
            }
            Action::Keep | Action::Unmanaged | Action::Unchanged => {}
        }
    }
    Ok((plan, true))
}

/// What a sync does to one name in the store it writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// New in the target.
    Create,
    /// In both, with a different value (or, in SSM, not yet a SecureString).
    Update,
    /// Only in the target, and `--prune` was given.
    Delete,
    /// In both with the same value.
    Unchanged,
    /// Only in the target; kept because `--prune` was not given.
    Keep,
    /// Only in the store and not created by vault: never deleted, even with `--prune`.
    Unmanaged,
}

impl Action {
    /// Whether applying the plan writes anything for this name.
    #[must_use]
    pub fn writes(self) -> bool {
        matches!(self, Self::Create | Self::Update | Self::Delete)
    }

    /// The word shown in plans.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Unchanged => "unchanged",
            Self::Keep => "keep",
            Self::Unmanaged => "unmanaged",
        }
    }
}

/// One name and what happens to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The secret's name (not the full store path).
    pub name: String,
    /// What happens.
    pub action: Action,
    /// Why, when the action alone does not say (drift in a write-only store).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

/// Everything a sync would do, sorted by name. Holds no values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// One entry per name present on either side.
    pub changes: Vec<Change>,
}

impl Plan {
    /// Compares what the target should hold (`source`) with what it holds (`target`).
    /// Names only in the target are deleted with `prune`, kept otherwise.
    #[must_use]
    pub fn compute(
        source: &BTreeMap<String, Secret>,
        target: &BTreeMap<String, Secret>,
        prune: bool,
    ) -> Self {
        let mut changes: Vec<Change> = source
            .iter()
            .map(|(name, value)| Change {
                name: name.clone(),
                action: match target.get(name) {
                    None => Action::Create,
                    Some(current) if current == value => Action::Unchanged,
                    Some(_) => Action::Update,
                },
                note: None,
            })
            .collect();
        changes.extend(
            target
                .keys()
                .filter(|name| !source.contains_key(*name))
                .map(|name| Change {
                    name: name.clone(),
                    action: if prune { Action::Delete } else { Action::Keep },
                    note: None,
                }),
        );
        changes.sort_by(|a, b| a.name.cmp(&b.name));
        Self { changes }
    }

    /// The names with `action`, in order.
    pub fn names(&self, action: Action) -> impl Iterator<Item = &str> {
        self.changes
            .iter()
            .filter(move |c| c.action == action)
            .map(|c| c.name.as_str())
    }

    /// How many names have `action`.
    #[must_use]
    pub fn count(&self, action: Action) -> usize {
        self.names(action).count()
    }

    /// Whether applying the plan writes nothing.
    #[must_use]
    pub fn is_noop(&self) -> bool {
        !self.changes.iter().any(|c| c.action.writes())
    }

    /// Changes the action for `name`, if present.
    pub fn set(&mut self, name: &str, action: Action) {
        if let Some(change) = self.changes.iter_mut().find(|c| c.name == name) {
            change.action = action;
        }
    }
}

/// Why a sync failed. No variant holds a secret value; text that comes back from a store
/// is passed through [`redact`] first, because some services quote rejected values.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The binary was built without the store's cargo feature.
    #[error("this vault was built without {store} support (cargo feature `{feature}`)")]
    NotBuilt {
        /// "AWS SSM Parameter Store", …
        store: &'static str,
        /// The cargo feature.
        feature: &'static str,
    },
    /// A command-line value the store cannot use.
    #[error("invalid {what} `{value}`: {reason}")]
    InvalidArgument {
        /// "--app", …
        what: &'static str,
        /// The value given (never a secret).
        value: String,
        /// Why.
        reason: &'static str,
    },
    /// A required setting was given neither as a flag nor in the environment.
    #[error("no {what}: {fix}")]
    Missing {
        /// "AWS region", …
        what: &'static str,
        /// Where to give it.
        fix: &'static str,
    },
    /// The connection failed: DNS, refused, TLS, timeout.
    #[error("cannot reach {store} at {endpoint}: {detail}")]
    Unreachable {
        /// The store.
        store: &'static str,
        /// Scheme, host and port.
        endpoint: String,
        /// The transport error.
        detail: String,
    },
    /// No credentials anywhere the store's lookup chain looks.
    #[error("no {store} credentials found (looked at {searched})")]
    NoCredentials {
        /// The store.
        store: &'static str,
        /// Where we looked.
        searched: String,
    },
    /// Credentials were found but the store rejected them.
    #[error("{store} rejected the credentials: {detail}")]
    BadCredentials {
        /// The store.
        store: &'static str,
        /// The store's reason.
        detail: String,
    },
    /// The credentials work but may not do this.
    #[error("{store} denied permission: {detail}")]
    PermissionDenied {
        /// The store.
        store: &'static str,
        /// The store's reason.
        detail: String,
    },
    /// Still throttled (or unavailable) after every retry.
    #[error("{store} kept throttling or failing after {attempts} attempts: {detail}")]
    Throttled {
        /// The store.
        store: &'static str,
        /// Attempts made.
        attempts: u32,
        /// The last answer.
        detail: String,
    },
    /// Another writer changed the store between reading and writing.
    #[error("{store} changed while this sync was running: {detail}")]
    Conflict {
        /// The store.
        store: &'static str,
        /// What changed.
        detail: String,
    },
    /// Any other refusal.
    #[error("{store} refused the request ({code}): {detail}")]
    Service {
        /// The store.
        store: &'static str,
        /// HTTP status or the service's error code.
        code: String,
        /// The store's message, redacted.
        detail: String,
    },
    /// A reply we could not understand.
    #[error("unexpected reply from {store}: {detail}")]
    Protocol {
        /// The store.
        store: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A value in the store that vault cannot hold.
    #[error("`{name}` in {store} cannot be pulled: {reason}")]
    Unsupported {
        /// The store.
        store: &'static str,
        /// The key or parameter name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// A local secret the store cannot hold; refused before anything is written.
    #[error("`{name}` cannot be pushed to {store}: {reason}")]
    Refused {
        /// The store.
        store: &'static str,
        /// The secret's name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// The store never returns values, so there is nothing to pull.
    #[error("{store} never returns secret values, so vault cannot pull from it")]
    WriteOnly {
        /// The store.
        store: &'static str,
    },
    /// The repository, environment or script does not exist, or the credentials cannot see it.
    #[error("{store} has no {what} (or the token cannot see it)")]
    NotFound {
        /// The store.
        store: &'static str,
        /// "repository acme/shop", …
        what: String,
    },
    /// The environment has no write key to derive the digest record's key from.
    #[error("environment `{env}` has no write key, which {store}'s digest record is keyed with")]
    NoRecordKey {
        /// The store.
        store: &'static str,
        /// The environment.
        env: String,
    },
    /// Some writes landed before a failure; says exactly which.
    #[error("{} written before the failure: {}; the rest of the plan was not applied", done.len(), done.join(", "))]
    Partial {
        /// Names written (created, updated or deleted) before the failure.
        done: Vec<String>,
        /// The failure.
        #[source]
        source: Box<SyncError>,
    },
}

impl SyncError {
    /// A reply from `store` that does not parse as its API says it should: `what` was
    /// being read. `error` must not quote the reply (serde_json's messages do not).
    #[cfg_attr(
        not(any(feature = "github", feature = "cloudflare", feature = "azure")),
        allow(dead_code)
    )]
    pub(crate) fn protocol(store: &'static str, what: &str, error: &dyn std::fmt::Display) -> Self {
        Self::Protocol {
            store,
            detail: format!("{what}: {error}"),
        }
    }

    /// Wraps `self` in [`SyncError::Partial`] when some names were already written.
    #[must_use]
    pub fn after(self, done: &[String]) -> Self {
        if done.is_empty() {
            self
        } else {
            Self::Partial {
                done: done.to_vec(),
                source: Box::new(self),
            }
        }
    }
}

/// The key of the digest record write-only stores keep of what vault pushed (GitHub
/// returns no values, so "did this value change?" is answered by comparing keyed digests).
/// It is derived (HKDF-SHA256) from the environment's write key, which only readers of the
/// environment hold: whoever can read the record in the store cannot test guesses of a
/// value against it, however short the value.
pub struct RecordKey(zeroize::Zeroizing<[u8; 32]>);

impl std::fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordKey(..)")
    }
}

impl RecordKey {
    /// The record key of `env`, from its write key (`None` without one).
    #[must_use]
    pub fn derive(write_key: Option<&Secret>, env: &str) -> Option<Self> {
        let ikm = write_key?;
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(
            Some(b"vault sync digest record v1"),
            ikm.expose().as_bytes(),
        );
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        hk.expand(env.as_bytes(), &mut *key).ok()?;
        Some(Self(key))
    }

    fn mac(&self) -> hmac::Hmac<sha2::Sha256> {
        use hmac::Mac as _;
        // HMAC takes keys of any length.
        <hmac::Hmac<sha2::Sha256>>::new_from_slice(&*self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
    }

    /// The digest of `value` pushed as `name` (hex, 128 bits): equal digests mean equal
    /// values; it reveals nothing about the value to whoever lacks the key.
    #[must_use]
    pub fn digest(&self, name: &str, value: &Secret) -> String {
        use hmac::Mac as _;
        let mut mac = self.mac();
        mac.update(b"value\0");
        mac.update(name.as_bytes());
        mac.update(b"\0");
        mac.update(value.expose().as_bytes());
        hex(&mac.finalize().into_bytes()[..16])
    }

    /// The tag of a whole record (hex, 256 bits), so a record someone else wrote (and
    /// could use to make vault prune what it does not manage) is not trusted.
    #[must_use]
    pub fn seal(&self, text: &[u8]) -> String {
        use hmac::Mac as _;
        let mut mac = self.mac();
        mac.update(b"record\0");
        mac.update(text);
        hex(&mac.finalize().into_bytes())
    }

    /// Whether `tag` is [`RecordKey::seal`] of `text` (in constant time).
    #[must_use]
    pub fn verify(&self, text: &[u8], tag: &str) -> bool {
        use hmac::Mac as _;
        let Some(tag) = unhex(tag) else { return false };
        let mut mac = self.mac();
        mac.update(b"record\0");
        mac.update(text);
        mac.verify_slice(&tag).is_ok()
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Replaces every occurrence of a secret value (four characters or longer, so short values
/// do not shred ordinary words) in text that came back from a store, then caps its length.
#[must_use]
pub fn redact<'a>(text: &str, values: impl IntoIterator<Item = &'a Secret>) -> String {
    let mut out = text.to_owned();
    for value in values {
        let value = value.expose();
        if value.len() < 4 {
            continue;
        }
        // A service that quotes a value often quotes it JSON-escaped (`"a\nb"`, `\"`),
        // which the raw value does not match; and a multi-line value may be quoted a line
        // at a time. Each form is replaced, longest first.
        let escaped = zeroize::Zeroizing::new(serde_json::to_string(value).unwrap_or_default());
        let escaped = escaped
            .strip_prefix('"')
            .and_then(|e| e.strip_suffix('"'))
            .unwrap_or("");
        let lines = value.lines().map(str::trim).filter(|l| l.len() >= 4);
        for form in [value, escaped].into_iter().chain(lines) {
            if form.len() >= 4 && out.contains(form) {
                out = out.replace(form, "[redacted]");
            }
        }
    }
    const MAX: usize = 300;
    if out.len() > MAX {
        let mut end = MAX;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, Secret> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Secret::from(*v)))
            .collect()
    }

    #[test]
    fn plans_every_case_in_name_order() {
        let source = map(&[("A", "1"), ("B", "2"), ("C", "3")]);
        let target = map(&[("B", "2"), ("C", "x"), ("D", "4")]);
        let plan = Plan::compute(&source, &target, false);
        let got: Vec<_> = plan
            .changes
            .iter()
            .map(|c| (c.name.as_str(), c.action))
            .collect();
        assert_eq!(
            got,
            [
                ("A", Action::Create),
                ("B", Action::Unchanged),
                ("C", Action::Update),
                ("D", Action::Keep)
            ]
        );
        assert!(!plan.is_noop());
        let pruned = Plan::compute(&source, &target, true);
        assert_eq!(pruned.names(Action::Delete).collect::<Vec<_>>(), ["D"]);
    }

    proptest::proptest! {
        #[test]
        fn applying_a_plan_makes_the_target_equal_the_source(
            source in proptest::collection::btree_map("[A-E]", "[xy]{0,2}", 0..5),
            target in proptest::collection::btree_map("[A-E]", "[xy]{0,2}", 0..5),
            prune in proptest::bool::ANY,
        ) {
            let secrets = |m: &BTreeMap<String, String>| -> BTreeMap<String, Secret> {
                m.iter().map(|(k, v)| (k.clone(), Secret::from(v.as_str()))).collect()
            };
            let plan = Plan::compute(&secrets(&source), &secrets(&target), prune);
            let mut applied = target.clone();
            for change in &plan.changes {
                match change.action {
                    Action::Create | Action::Update => {
                        applied.insert(change.name.clone(), source[&change.name].clone());
                    }
                    Action::Delete => {
                        applied.remove(&change.name);
                    }
                    Action::Unchanged => proptest::prop_assert_eq!(&source[&change.name], &target[&change.name]),
                    Action::Keep | Action::Unmanaged => proptest::prop_assert!(!source.contains_key(&change.name)),
                }
            }
            let mut expected = source.clone();
            if !prune {
                for (k, v) in &target {
                    expected.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            proptest::prop_assert_eq!(applied, expected);
            proptest::prop_assert_eq!(plan.is_noop(), secrets(&source) == secrets(&target) || (!prune && source.iter().all(|(k, v)| target.get(k) == Some(v))));
        }
    }

    #[test]
    fn identical_sides_are_a_noop() {
        let both = map(&[("A", "1")]);
        let plan = Plan::compute(&both, &both, true);
        assert!(plan.is_noop());
        assert_eq!(plan.count(Action::Unchanged), 1);
        assert!(Plan::compute(&BTreeMap::new(), &BTreeMap::new(), true).is_noop());
    }

    #[test]
    fn plans_serialize_without_values() {
        let plan = Plan::compute(&map(&[("A", "hunter2-secret")]), &BTreeMap::new(), false);
        let json = serde_json::to_string(&plan).unwrap();
        assert!(!json.contains("hunter2"), "{json}");
        assert!(json.contains("\"create\""), "{json}");
    }

    #[test]
    fn redacts_values_and_caps_length() {
        let values = [Secret::from("s3cr3t-value"), Secret::from("ab")];
        let text = redact("Value 's3cr3t-value' at 'value' failed; ab", &values);
        assert_eq!(text, "Value '[redacted]' at 'value' failed; ab");
        assert!(redact(&"x".repeat(1000), &values).chars().count() <= 301);
        let multi = [Secret::from("line-one\nline \"two\"")];
        assert_eq!(
            redact(r#"cannot use "line-one\nline \"two\"" here"#, &multi),
            r#"cannot use "[redacted]" here"#
        );
        assert_eq!(redact("got line-one only", &multi), "got [redacted] only");
    }

    #[test]
    fn record_keys_depend_on_the_write_key_and_environment() {
        let wk = Secret::from("write-key-1");
        let a = RecordKey::derive(Some(&wk), "prod").unwrap();
        let b = RecordKey::derive(Some(&wk), "dev").unwrap();
        let c = RecordKey::derive(Some(&Secret::from("write-key-2")), "prod").unwrap();
        let v = Secret::from("x");
        assert_eq!(a.digest("A", &v), a.digest("A", &v));
        assert_ne!(a.digest("A", &v), a.digest("B", &v));
        assert_ne!(a.digest("A", &v), b.digest("A", &v));
        assert_ne!(a.digest("A", &v), c.digest("A", &v));
        assert_eq!(a.digest("A", &v).len(), 32);
        let tag = a.seal(b"record");
        assert!(a.verify(b"record", &tag));
        assert!(!a.verify(b"recorD", &tag));
        assert!(!c.verify(b"record", &tag));
        assert!(!a.verify(b"record", "zz"));
        assert!(RecordKey::derive(None, "prod").is_none());
    }

    #[test]
    fn partial_names_what_was_written() {
        let inner = SyncError::Protocol {
            store: "KV",
            detail: "boom".into(),
        };
        assert!(matches!(inner.after(&[]), SyncError::Protocol { .. }));
        let inner = SyncError::Protocol {
            store: "KV",
            detail: "boom".into(),
        };
        let partial = inner.after(&["A".into(), "B".into()]);
        assert!(partial.to_string().contains("A, B"), "{partial}");
    }
}

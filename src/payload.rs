//! The plaintext document inside `secrets/<env>.age`, and its versioning.
//!
//! The payload names its environment (so a file copied over another environment's is
//! refused), records the recipients it was encrypted to (so tampering with the plaintext
//! recipients summary is detected), and carries per-secret metadata. It is TOML, so
//! `age -d secrets/prod.age` gives a readable document to anyone leaving vault.
//!
//! No filesystem access; parse errors never quote the input, which holds secrets.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::names;
use crate::secret::Secret;

/// The payload format this build writes: 2 carries the environment's write key (see
/// [`crate::auth`]). Format 1, the unauthenticated format of earlier releases, is still
/// read so that `vault upgrade` can convert it.
pub const FORMAT_VERSION: u32 = 2;

/// The unauthenticated format of earlier releases.
pub const LEGACY_FORMAT: u32 = 1;

/// The largest value vault stores. Values up to [`crate::exec::MAX_VARIABLE_LEN`] can be
/// environment variables; larger ones (certificate bundles, big JSON credentials) reach a
/// program as files (`vault exec --file`) or through `vault render`.
pub const MAX_VALUE_LEN: usize = 1024 * 1024;

/// Errors reading a payload or changing a secret in it. None carries a value.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// Decrypted bytes are not UTF-8.
    #[error("the decrypted payload is not UTF-8 text")]
    NotUtf8,
    /// The payload is not valid TOML or misses fields; only the line is reported.
    #[error("the decrypted payload is malformed near line {line}")]
    Malformed {
        /// 1-based line of the problem, 0 if unknown.
        line: usize,
    },
    /// Written by a newer (or unknown) vault.
    #[error(
        "the payload has format version {found}, but this vault reads versions {LEGACY_FORMAT} and {FORMAT_VERSION}"
    )]
    UnsupportedVersion {
        /// The version found in the file.
        found: u32,
    },
    /// A secret name is not an environment-variable name.
    #[error(
        "`{name}` is not a valid secret name (use letters, digits and `_`, not starting with a digit)"
    )]
    InvalidName {
        /// The rejected name.
        name: String,
    },
    /// A value contains a NUL byte, which no process environment can carry.
    #[error("the value of `{name}` contains a NUL byte, which environment variables cannot hold")]
    NulInValue {
        /// The secret.
        name: String,
    },
    /// A value is longer than vault stores.
    #[error("the value of `{name}` is {len} bytes; the limit is {MAX_VALUE_LEN} bytes")]
    ValueTooLong {
        /// The secret.
        name: String,
        /// Its length in bytes.
        len: usize,
    },
}

/// The decrypted content of one environment file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    /// Format version, [`FORMAT_VERSION`].
    pub format: u32,
    /// The environment this payload belongs to; checked against the file name on every read.
    pub environment: String,
    /// Canonical recipients the file was encrypted to, sorted.
    #[serde(default)]
    pub recipients: Vec<String>,
    /// The environment's current write key (format 2): whoever can read this payload can
    /// sign the next version. Never shown, like a value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_key: Option<Secret>,
    /// On the first signed version made by `vault upgrade`: the SHA-256 (hex) of the
    /// unsigned payload it converted, which only a reader could compute. Readers check it
    /// when they anchor trust in history, so an outsider cannot "upgrade" a vault first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgraded_from: Option<String>,
    /// Secrets by name.
    #[serde(default)]
    pub secrets: BTreeMap<String, Entry>,
    /// Unresolved merge conflicts by secret name; `vault edit` shows them and resolving
    /// clears them. While any remain, `exec` refuses to run.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub conflicts: BTreeMap<String, Conflict>,
    /// Values someone who lost access could read, by SHA-256 (hex), with the mark they
    /// carry: a value keeps its must-rotate mark wherever it reappears (`unset` then `set`
    /// of the same value, or the same value under another name), until it is really
    /// changed. Inside the encryption, like the values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exposed: BTreeMap<String, MustRotate>,
    /// The verified header stanza of the version this payload was read from (not part of
    /// the document): the next write continues its chain. `None` for a payload that was
    /// not read from an authenticated file.
    #[serde(skip)]
    pub sealed_by: Option<crate::auth::Stanza>,
}

/// Both sides of a secret that two branches changed differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conflict {
    /// The value on the branch being merged into (`None`: removed there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ours: Option<Secret>,
    /// The value on the branch being merged (`None`: removed there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theirs: Option<Secret>,
}

/// One secret and its metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The value.
    pub value: Secret,
    /// When the value last changed.
    pub rotated_at: Timestamp,
    /// Comment lines the user wrote above the secret in `vault edit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Set when someone who could read the value lost access; cleared when the value changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub must_rotate: Option<MustRotate>,
    /// The value being rotated away from, still exported as `NAME_PREVIOUS` until `until`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Previous>,
}

/// Why a secret must be rotated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MustRotate {
    /// For example "member `bob` removed".
    pub reason: String,
    /// When the mark was set.
    pub since: Timestamp,
}

/// The old value during a rotation with overlap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Previous {
    /// The old value.
    pub value: Secret,
    /// The end of the grace period.
    pub until: Timestamp,
}

#[derive(Deserialize)]
struct VersionProbe {
    format: Option<u32>,
}

impl Payload {
    /// An empty payload for `env`.
    #[must_use]
    pub fn new(env: &str) -> Self {
        Self {
            format: FORMAT_VERSION,
            environment: env.to_owned(),
            recipients: Vec::new(),
            write_key: None,
            upgraded_from: None,
            secrets: BTreeMap::new(),
            conflicts: BTreeMap::new(),
            exposed: BTreeMap::new(),
            sealed_by: None,
        }
    }

    /// Whether this is the unauthenticated format of earlier releases.
    #[must_use]
    pub fn is_legacy(&self) -> bool {
        self.format == LEGACY_FORMAT
    }

    /// Parses decrypted bytes, checking the format version first so a newer file is
    /// reported as such rather than as garbage.
    ///
    /// # Errors
    /// [`PayloadError`] without any of the input in it.
    pub fn parse(bytes: &[u8]) -> Result<Self, PayloadError> {
        let text = std::str::from_utf8(bytes).map_err(|_| PayloadError::NotUtf8)?;
        let malformed = |e: &toml::de::Error| PayloadError::Malformed {
            line: e.span().map_or(0, |span| line_of(text, span.start)),
        };
        // The version must be checked before the full parse (a newer format may not fit this
        // struct), but parsing the whole document twice doubled the cost of every decrypt.
        // `format` is a top-level key, and TOML puts those before the first table, so the
        // text up to the first table header is enough; anything unusual falls back to all.
        let head = text.find("\n[").map_or(text, |end| &text[..end]);
        let probe: VersionProbe = toml::from_str(head)
            .or_else(|_| toml::from_str(text))
            .map_err(|e| malformed(&e))?;
        match probe.format {
            Some(FORMAT_VERSION | LEGACY_FORMAT) => {}
            Some(found) => return Err(PayloadError::UnsupportedVersion { found }),
            None => return Err(PayloadError::Malformed { line: 0 }),
        }
        let payload: Self = toml::from_str(text).map_err(|e| malformed(&e))?;
        // Each format has exactly its own fields: a format 1 file with a write key, or a
        // format 2 file without one, was not written by vault.
        if (payload.format == FORMAT_VERSION) != payload.write_key.is_some() {
            return Err(PayloadError::Malformed { line: 0 });
        }
        for (name, entry) in &payload.secrets {
            check_value(name, entry.value.expose())?;
        }
        Ok(payload)
    }

    /// Serializes to TOML in a zeroizing buffer.
    #[must_use]
    pub fn to_toml(&self) -> Zeroizing<String> {
        Zeroizing::new(
            toml::to_string(self).expect("a payload always serializes: all keys are strings"),
        )
    }

    /// Sets a secret. Returns whether anything changed: setting the current value again
    /// keeps `rotated_at`, so re-running a script does not fake a rotation.
    ///
    /// # Errors
    /// An invalid name or a value no environment could carry.
    pub fn set(&mut self, name: &str, value: Secret, now: Timestamp) -> Result<bool, PayloadError> {
        check_value(name, value.expose())?;
        // A value someone who lost access could read stays marked wherever it is set.
        let mark = if self.exposed.is_empty() {
            None
        } else {
            self.exposed.get(&value_digest(value.expose())).cloned()
        };
        match self.secrets.get_mut(name) {
            Some(entry) if entry.value == value => Ok(false),
            Some(entry) => {
                entry.value = value;
                entry.rotated_at = now;
                entry.must_rotate = mark;
                Ok(true)
            }
            None => {
                self.secrets.insert(
                    name.to_owned(),
                    Entry {
                        value,
                        rotated_at: now,
                        comment: None,
                        must_rotate: mark,
                        previous: None,
                    },
                );
                Ok(true)
            }
        }
    }

    /// Marks the current value of `name` must-rotate (if it is not already) and records
    /// the value as exposed, so the mark follows it. Returns whether `name` exists.
    pub fn mark_exposed(&mut self, name: &str, mark: &MustRotate) -> bool {
        let Some(entry) = self.secrets.get_mut(name) else {
            return false;
        };
        let recorded = entry
            .must_rotate
            .get_or_insert_with(|| mark.clone())
            .clone();
        self.exposed
            .entry(value_digest(entry.value.expose()))
            .or_insert(recorded);
        true
    }

    /// Removes a secret; returns whether it existed.
    pub fn unset(&mut self, name: &str) -> bool {
        self.secrets.remove(name).is_some()
    }

    /// The variables a process gets: every secret, plus `NAME_PREVIOUS` for secrets in an
    /// overlapping rotation whose grace period has not ended at `now`.
    #[must_use]
    pub fn variables(&self, now: Timestamp) -> Vec<(String, &Secret)> {
        let mut vars = Vec::with_capacity(self.secrets.len());
        for (name, entry) in &self.secrets {
            vars.push((name.clone(), &entry.value));
            if let Some(previous) = &entry.previous
                && previous.until > now
            {
                vars.push((format!("{name}_PREVIOUS"), &previous.value));
            }
        }
        vars
    }
}

/// The SHA-256 of a value, hex: how [`Payload::exposed`] recognises it.
#[must_use]
pub fn value_digest(value: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks a secret's name and value before it enters a payload.
///
/// # Errors
/// The reason the pair cannot be stored.
pub fn check_value(name: &str, value: &str) -> Result<(), PayloadError> {
    if !names::is_secret_name(name) {
        return Err(PayloadError::InvalidName {
            name: name.to_owned(),
        });
    }
    if value.contains('\0') {
        return Err(PayloadError::NulInValue {
            name: name.to_owned(),
        });
    }
    if value.len() > MAX_VALUE_LEN {
        return Err(PayloadError::ValueTooLong {
            name: name.to_owned(),
            len: value.len(),
        });
    }
    Ok(())
}

/// The 1-based line of a byte offset, for error messages that must not quote the text.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn set_tracks_rotation() {
        let mut payload = Payload::new("dev");
        assert!(payload.set("A", Secret::from("one"), now()).unwrap());
        let later: Timestamp = "2026-02-01T00:00:00Z".parse().unwrap();
        assert!(!payload.set("A", Secret::from("one"), later).unwrap());
        assert_eq!(payload.secrets["A"].rotated_at, now());
        payload.secrets.get_mut("A").unwrap().must_rotate = Some(MustRotate {
            reason: "test".into(),
            since: now(),
        });
        assert!(payload.set("A", Secret::from("two"), later).unwrap());
        assert_eq!(payload.secrets["A"].rotated_at, later);
        assert!(payload.secrets["A"].must_rotate.is_none());
    }

    #[test]
    fn must_rotate_follows_the_value() {
        let mut payload = Payload::new("dev");
        payload
            .set("A", Secret::from("seen-by-bob"), now())
            .unwrap();
        let mark = MustRotate {
            reason: "bob lost access".into(),
            since: now(),
        };
        assert!(payload.mark_exposed("A", &mark));
        // unset then set the same value: still marked; the same value elsewhere too.
        assert!(payload.unset("A"));
        payload
            .set("A", Secret::from("seen-by-bob"), now())
            .unwrap();
        assert_eq!(payload.secrets["A"].must_rotate, Some(mark.clone()));
        payload
            .set("B", Secret::from("seen-by-bob"), now())
            .unwrap();
        assert!(payload.secrets["B"].must_rotate.is_some());
        // A new value clears it.
        payload.set("A", Secret::from("fresh"), now()).unwrap();
        assert!(payload.secrets["A"].must_rotate.is_none());
        // It survives serialization.
        payload.write_key = Some(Secret::from("k"));
        let again = Payload::parse(payload.to_toml().as_bytes()).unwrap();
        assert_eq!(again.exposed, payload.exposed);
    }

    #[test]
    fn rejects_bad_values_without_echoing_them() {
        let mut payload = Payload::new("dev");
        let err = payload
            .set("A", Secret::from("x\0CANARY"), now())
            .unwrap_err();
        assert!(!err.to_string().contains("CANARY"));
        assert!(payload.set("1A", Secret::from("v"), now()).is_err());
        let long = "v".repeat(MAX_VALUE_LEN + 1);
        assert!(matches!(
            payload.set("A", Secret::new(long), now()),
            Err(PayloadError::ValueTooLong { .. })
        ));
    }

    #[test]
    fn version_and_malformed() {
        let newer = b"format = 3\nenvironment = \"dev\"\n";
        assert!(matches!(
            Payload::parse(newer),
            Err(PayloadError::UnsupportedVersion { found: 3 })
        ));
        // Each format has exactly its own fields.
        assert!(Payload::parse(b"format = 2\nenvironment = \"dev\"\n").is_err());
        assert!(Payload::parse(b"format = 1\nenvironment = \"dev\"\nwrite_key = \"x\"\n").is_err());
        assert!(Payload::parse(b"format = 1\nenvironment = \"dev\"\n").is_ok());
        let err =
            Payload::parse(b"format = 1\nenvironment = \"dev\"\n[secrets.A]\nvalue = \"CANARY\"\n")
                .unwrap_err();
        assert!(!err.to_string().contains("CANARY"), "{err}");
        assert!(matches!(
            Payload::parse(&[0xff, 0xfe]),
            Err(PayloadError::NotUtf8)
        ));
    }

    #[test]
    fn previous_is_exported_during_overlap() {
        let mut payload = Payload::new("dev");
        payload.set("DB", Secret::from("new"), now()).unwrap();
        payload.secrets.get_mut("DB").unwrap().previous = Some(Previous {
            value: Secret::from("old"),
            until: "2026-01-02T00:00:00Z".parse().unwrap(),
        });
        let names = |t: &str| {
            payload
                .variables(t.parse().unwrap())
                .into_iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("2026-01-01T12:00:00Z"), ["DB", "DB_PREVIOUS"]);
        assert_eq!(names("2026-01-03T00:00:00Z"), ["DB"]);
    }

    proptest! {
        #[test]
        fn serialize_then_parse(
            env in "[a-z][a-z0-9-]{0,10}",
            secrets in proptest::collection::btree_map("[A-Z_][A-Z0-9_]{0,12}", "[^\u{0}]{0,64}", 0..8),
            comment in proptest::option::of("[^\u{0}]{0,30}"),
        ) {
            let mut payload = Payload::new(&env);
            payload.recipients = vec!["age1example".into()];
            payload.write_key = Some(Secret::from("key"));
            for (name, value) in &secrets {
                payload.set(name, Secret::new(value.clone()), now()).unwrap();
                payload.secrets.get_mut(name).unwrap().comment = comment.clone();
            }
            let parsed = Payload::parse(payload.to_toml().as_bytes()).unwrap();
            prop_assert_eq!(parsed, payload);
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Payload::parse(&bytes);
        }
    }
}

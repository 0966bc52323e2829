//! HashiCorp Vault / OpenBao KV version 2: one environment is one KV secret (`mount/path`)
//! whose keys are the secret names.
//!
//! A push writes a single new KV version, and only when something changed. It writes with
//! check-and-set on the version it read, so a concurrent writer makes the push fail instead
//! of being silently overwritten.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::http::{Http, Reply};
use super::{Plan, SyncError};
use crate::secret::Secret;

const STORE: &str = "Vault/OpenBao KV";

/// Where the KV secret lives and how to authenticate.
pub struct Target {
    /// `http(s)://host:port`, without a trailing slash.
    pub addr: String,
    /// The KV v2 mount, e.g. `secret`.
    pub mount: String,
    /// The secret's path under the mount, e.g. `app/prod`.
    pub path: String,
    /// The token (`X-Vault-Token`).
    pub token: Secret,
    /// Enterprise / OpenBao namespace, if any.
    pub namespace: Option<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("addr", &self.addr)
            .field("mount", &self.mount)
            .field("path", &self.path)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Builds a target from the flags, falling back to the environment the `vault` and `bao`
    /// CLIs use: `VAULT_ADDR`/`BAO_ADDR`, `VAULT_TOKEN`/`BAO_TOKEN` or `~/.vault-token`, and
    /// `VAULT_NAMESPACE`/`BAO_NAMESPACE`.
    ///
    /// # Errors
    /// No address or token, or a mount or path that cannot be a KV path.
    pub fn resolve(addr: Option<&str>, mount: &str, path: &str) -> Result<Self, SyncError> {
        let var = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
        };
        let addr = addr
            .map(str::to_owned)
            .or_else(|| var(&["VAULT_ADDR", "BAO_ADDR"]))
            .ok_or(SyncError::Missing {
                what: "server address",
                fix: "pass --addr or set $VAULT_ADDR",
            })?;
        if !(addr.starts_with("http://") || addr.starts_with("https://")) {
            return Err(SyncError::InvalidArgument {
                what: "--addr",
                value: addr,
                reason: "the address must start with http:// or https://",
            });
        }
        let mount = clean_segment(mount, "--mount")?;
        let path = clean_segment(path, "--path")?;
        let token = match var(&["VAULT_TOKEN", "BAO_TOKEN"]) {
            Some(token) => Secret::new(token),
            None => token_file().ok_or(SyncError::NoCredentials {
                store: STORE,
                searched: "$VAULT_TOKEN, $BAO_TOKEN and ~/.vault-token".to_owned(),
            })?,
        };
        Ok(Self {
            addr: addr.trim_end_matches('/').to_owned(),
            mount,
            path,
            token,
            namespace: var(&["VAULT_NAMESPACE", "BAO_NAMESPACE"]),
        })
    }

    /// `mount/path`, for messages.
    #[must_use]
    pub fn display(&self) -> String {
        format!("{}/{}", self.mount, self.path)
    }
}

fn token_file() -> Option<Secret> {
    let home = std::env::var_os("HOME")?;
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(std::path::Path::new(&home).join(".vault-token")).ok()?,
    );
    let token = text.trim();
    (!token.is_empty()).then(|| Secret::from(token))
}

/// Trims slashes and refuses segments that would escape the mount or break the URL.
fn clean_segment(text: &str, what: &'static str) -> Result<String, SyncError> {
    let trimmed = text.trim_matches('/');
    let bad = trimmed.is_empty()
        || trimmed
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        || !trimmed
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    if bad {
        return Err(SyncError::InvalidArgument {
            what,
            value: text.to_owned(),
            reason: "use letters, digits, `-`, `_`, `.` and `/` between non-empty segments",
        });
    }
    Ok(trimmed.to_owned())
}

/// What the store holds now.
#[derive(Debug, Default)]
pub struct Remote {
    /// The current version's keys and values.
    pub secrets: BTreeMap<String, Secret>,
    /// Keys whose value is not a string (numbers, objects): pushed over, refused by pull.
    pub not_text: Vec<String>,
    /// The current version number; 0 when the secret does not exist yet.
    pub version: u64,
}

/// A KV v2 client for one secret.
pub struct Kv {
    http: Http,
    target: Target,
}

impl Kv {
    /// A client for `target`.
    #[must_use]
    pub fn new(target: Target) -> Self {
        Self {
            http: Http::new(STORE),
            target,
        }
    }

    /// The target.
    #[must_use]
    pub fn target(&self) -> &Target {
        &self.target
    }

    fn url(&self, rest: &str) -> String {
        format!("{}/v1/{rest}", self.target.addr)
    }

    fn data_url(&self) -> String {
        self.url(&format!("{}/data/{}", self.target.mount, self.target.path))
    }

    fn request(&self, method: &'static str, url: &str, body: &[u8]) -> Result<Reply, SyncError> {
        let mut headers = vec![(
            "X-Vault-Token".to_owned(),
            self.target.token.expose().to_owned(),
        )];
        if let Some(ns) = &self.target.namespace {
            headers.push(("X-Vault-Namespace".to_owned(), ns.clone()));
        }
        if !body.is_empty() {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        self.http.send_wiping(method, url, headers, body, |_| false)
    }

    /// Reads the current version (nothing, when the secret does not exist or its latest
    /// version is deleted).
    ///
    /// # Errors
    /// The server is unreachable or refuses.
    pub fn read(&self) -> Result<Remote, SyncError> {
        self.require_v2()?;
        let reply = self.request("GET", &self.data_url(), &[])?;
        match reply.status {
            200 => {}
            404 => {
                // A deleted latest version answers 404 but still reports its number, which
                // the next write's check-and-set needs.
                let version = serde_json::from_slice::<ReadReply>(&reply.body)
                    .ok()
                    .and_then(|r| r.data)
                    .map_or(0, |d| d.metadata.version);
                if version == 0 && reply.text().contains("no handler for route") {
                    return Err(self.no_mount());
                }
                return Ok(Remote {
                    version,
                    ..Remote::default()
                });
            }
            _ => return Err(self.failure(&reply, "read")),
        }
        let parsed: ReadReply =
            serde_json::from_slice(&reply.body).map_err(|e| self.protocol(&e))?;
        let data = parsed.data.ok_or_else(|| SyncError::Protocol {
            store: STORE,
            detail: "the reply has no `data`".to_owned(),
        })?;
        let mut remote = Remote {
            version: data.metadata.version,
            ..Remote::default()
        };
        for (name, value) in data.data.unwrap_or_default() {
            match value {
                Value::Text(secret) => {
                    remote.secrets.insert(name, secret);
                }
                Value::Other => remote.not_text.push(name),
            }
        }
        Ok(remote)
    }

    /// Refuses KV version 1 mounts, where `data/` would become part of the key. A token
    /// that may not read the mount table skips the check rather than failing the push.
    fn require_v2(&self) -> Result<(), SyncError> {
        let url = self.url(&format!("sys/internal/ui/mounts/{}", self.target.mount));
        let reply = self.request("GET", &url, &[])?;
        if reply.status != 200 {
            return Ok(());
        }
        let mounts: MountReply =
            serde_json::from_slice(&reply.body).map_err(|e| self.protocol(&e))?;
        let Some(data) = mounts.data else {
            return Ok(());
        };
        if data.kind.as_deref() == Some("kv")
            && data.options.and_then(|o| o.version).as_deref() != Some("2")
        {
            return Err(SyncError::InvalidArgument {
                what: "--mount",
                value: self.target.mount.clone(),
                reason: "this is a KV version 1 mount; vault needs KV version 2 (`bao kv enable-versioning`)",
            });
        }
        Ok(())
    }

    /// Writes `secrets` as a new version, only if the current version is still `expected`.
    ///
    /// # Errors
    /// Another writer got there first ([`SyncError::Conflict`]), or the server refuses.
    pub fn write(
        &self,
        secrets: &BTreeMap<String, Secret>,
        expected: u64,
    ) -> Result<u64, SyncError> {
        let data: BTreeMap<&str, &str> = secrets
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose()))
            .collect();
        let body = super::http::json_body(&WriteBody {
            options: Cas { cas: expected },
            data,
        });
        let reply = self.request("POST", &self.data_url(), &body)?;
        if reply.status == 400 && reply.text().contains("check-and-set") {
            return Err(SyncError::Conflict {
                store: STORE,
                detail: format!(
                    "{} is no longer at version {expected}; run the command again to re-plan",
                    self.target.display()
                ),
            });
        }
        if !(200..300).contains(&reply.status) {
            return Err(self.failure(&reply, "write"));
        }
        let written: WriteReply =
            serde_json::from_slice(&reply.body).map_err(|e| self.protocol(&e))?;
        Ok(written.data.version)
    }

    fn failure(&self, reply: &Reply, op: &str) -> SyncError {
        let detail = serde_json::from_slice::<ErrorReply>(&reply.body)
            .map(|e| e.errors.join("; "))
            .unwrap_or_else(|_| reply.text());
        let detail = super::redact(&detail, []);
        if reply.status == 403 {
            // The same 403 means a bad token or a missing policy; ask the token itself.
            let url = self.url("auth/token/lookup-self");
            let valid = self
                .request("GET", &url, &[])
                .is_ok_and(|r| r.status == 200);
            return if valid {
                SyncError::PermissionDenied {
                    store: STORE,
                    detail: format!(
                        "the token's policies do not allow it to {op} {}/data/{}",
                        self.target.mount, self.target.path
                    ),
                }
            } else {
                SyncError::BadCredentials {
                    store: STORE,
                    detail: "the token is invalid or expired".to_owned(),
                }
            };
        }
        if reply.text().contains("no handler for route") {
            return self.no_mount();
        }
        SyncError::Service {
            store: STORE,
            code: format!("HTTP {}", reply.status),
            detail,
        }
    }

    fn no_mount(&self) -> SyncError {
        SyncError::InvalidArgument {
            what: "--mount",
            value: self.target.mount.clone(),
            reason: "no secrets engine is mounted there (`bao secrets list` shows the mounts)",
        }
    }

    fn protocol(&self, error: &serde_json::Error) -> SyncError {
        // serde_json's messages quote at most a type and a position, never input text.
        SyncError::Protocol {
            store: STORE,
            detail: error.to_string(),
        }
    }
}

pub use super::Pushed;

impl super::Store for Kv {
    fn describe(&self, _env: &str) -> String {
        format!("KV {} at {}", self.target().display(), self.target().addr)
    }

    fn push(
        &self,
        _env: &str,
        local: &BTreeMap<String, Secret>,
        _record: Option<&super::RecordKey>,
        prune: bool,
        dry_run: bool,
    ) -> Result<Pushed, SyncError> {
        push(self, local, prune, dry_run)
    }

    fn fetch(&self, _env: &str) -> Result<BTreeMap<String, Secret>, SyncError> {
        fetch(self)
    }
}

/// Pushes `local` to the KV secret. Without `prune`, keys only in the store are carried
/// into the new version; with it they are left out.
///
/// # Errors
/// See [`Kv::read`] and [`Kv::write`].
pub fn push(
    kv: &Kv,
    local: &BTreeMap<String, Secret>,
    prune: bool,
    dry_run: bool,
) -> Result<Pushed, SyncError> {
    let remote = kv.read()?;
    let mut plan = Plan::compute(local, &remote.secrets, prune);
    for name in &remote.not_text {
        if local.contains_key(name) {
            plan.set(name, super::Action::Update);
        } else {
            plan.changes.push(super::Change {
                name: name.clone(),
                action: if prune {
                    super::Action::Delete
                } else {
                    super::Action::Keep
                },
                note: None,
            });
        }
    }
    plan.changes.sort_by(|a, b| a.name.cmp(&b.name));
    if dry_run || plan.is_noop() {
        return Ok(Pushed {
            plan,
            version: None,
        });
    }
    if !prune && !remote.not_text.is_empty() {
        let kept: Vec<&str> = remote
            .not_text
            .iter()
            .filter(|n| !local.contains_key(*n))
            .map(String::as_str)
            .collect();
        if !kept.is_empty() {
            return Err(SyncError::Unsupported {
                store: STORE,
                name: kept.join(", "),
                reason: "not a string, so vault cannot carry it into the new version; push with --prune to drop it, or make it a string",
            });
        }
    }
    let mut next = local.clone();
    if !prune {
        for (name, value) in remote.secrets {
            next.entry(name).or_insert(value);
        }
    }
    let version = kv.write(&next, remote.version)?;
    Ok(Pushed {
        plan,
        version: Some(version),
    })
}

/// Reads the KV secret for a pull, refusing values vault cannot store.
///
/// # Errors
/// See [`Kv::read`]; a non-string value is [`SyncError::Unsupported`].
pub fn fetch(kv: &Kv) -> Result<BTreeMap<String, Secret>, SyncError> {
    let remote = kv.read()?;
    if let Some(name) = remote.not_text.first() {
        return Err(SyncError::Unsupported {
            store: STORE,
            name: name.clone(),
            reason: "its value is not a string (vault stores text; convert it in the store first)",
        });
    }
    Ok(remote.secrets)
}

#[derive(serde::Serialize)]
struct WriteBody<'a> {
    options: Cas,
    data: BTreeMap<&'a str, &'a str>,
}

#[derive(serde::Serialize)]
struct Cas {
    cas: u64,
}

#[derive(Deserialize)]
struct ReadReply {
    data: Option<ReadData>,
}

#[derive(Deserialize)]
struct ReadData {
    data: Option<BTreeMap<String, Value>>,
    metadata: Metadata,
}

#[derive(Deserialize)]
struct Metadata {
    version: u64,
}

#[derive(Deserialize)]
struct WriteReply {
    data: Metadata,
}

#[derive(Deserialize)]
struct ErrorReply {
    errors: Vec<String>,
}

#[derive(Deserialize)]
struct MountReply {
    data: Option<MountData>,
}

#[derive(Deserialize)]
struct MountData {
    #[serde(rename = "type")]
    kind: Option<String>,
    options: Option<MountOptions>,
}

#[derive(Deserialize)]
struct MountOptions {
    version: Option<String>,
}

/// A KV value: text goes straight into a [`Secret`]; anything else is noted, not kept, so
/// no value is ever copied into an unzeroized JSON tree.
enum Value {
    Text(Secret),
    Other,
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Value;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a KV value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Text(Secret::from(v)))
            }
            fn visit_string<E>(self, v: String) -> Result<Value, E> {
                Ok(Value::Text(Secret::new(v)))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Value, E> {
                Ok(Value::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Value, E> {
                Ok(Value::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Value, E> {
                Ok(Value::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Value, E> {
                Ok(Value::Other)
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Other)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Value, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Value::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Value, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Value::Other)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_checked() {
        assert_eq!(clean_segment("/app/prod/", "--path").unwrap(), "app/prod");
        for bad in ["", "/", "a//b", "../x", "a b", "a?b"] {
            assert!(clean_segment(bad, "--path").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn values_other_than_text_are_noted_not_kept() {
        let parsed: ReadReply = serde_json::from_str(
            r#"{"data":{"data":{"A":"x","N":2,"O":{"k":[1,2]},"Z":null},"metadata":{"version":3}}}"#,
        )
        .unwrap();
        let data = parsed.data.unwrap();
        assert_eq!(data.metadata.version, 3);
        let values = data.data.unwrap();
        assert!(matches!(values["A"], Value::Text(ref s) if s.expose() == "x"));
        for name in ["N", "O", "Z"] {
            assert!(matches!(values[name], Value::Other), "{name}");
        }
    }
}

//! GitHub Actions secrets: repository secrets, or an environment's (`--environment`).
//!
//! Each value is sealed (libsodium sealed box, `crypto_box`) to the repository's or
//! environment's public key before it leaves this process. GitHub never returns a value,
//! so vault keeps a record of what it pushed in an Actions **variable** next to the secrets
//! (`VAULT_DIGESTS_<ENV>`): for each secret it manages, a keyed digest of the value
//! ([`RecordKey::digest`]) and the secret's `updated_at` as GitHub reported it after the
//! push. The next push rewrites only secrets whose digest differs (changed in the vault) or
//! whose `updated_at` moved (changed in GitHub: drift, overwritten with the vault's value).
//! The whole record is tagged with the record key, so a record vault did not write is not
//! trusted, and `--prune` deletes only secrets a trusted record lists.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::http::{Http, Reply, Request, json_body};
use super::{Action, Change, Plan, Pushed, RecordKey, SyncError};
use crate::secret::Secret;

/// The store's name in messages.
pub const STORE: &str = "GitHub Actions";
/// GitHub's limit on a secret's value.
const MAX_VALUE: usize = 48 * 1024;
/// GitHub's limit on a variable's value, which the record must fit.
const MAX_VARIABLE: usize = 48 * 1024;
const PER_PAGE: usize = 100;

const NOTE_DRIFT: &str = "changed in GitHub since vault pushed it (drift): overwritten";
const NOTE_UNRECORDED: &str = "in GitHub but not in vault's record: overwritten, managed from now";
const NOTE_GONE: &str = "deleted in GitHub since vault pushed it: created again";

/// Where the secrets go and how to authenticate.
pub struct Target {
    /// The API base, `https://api.github.com` or `$GITHUB_API_URL`, without a trailing slash.
    pub api: String,
    /// `OWNER/NAME`.
    pub repo: String,
    /// The deployment environment, for environment secrets.
    pub environment: Option<String>,
    token: Secret,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("api", &self.api)
            .field("repo", &self.repo)
            .field("environment", &self.environment)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Checks `--repo` and `--environment`, and finds the token (`$GH_TOKEN`, then
    /// `$GITHUB_TOKEN`) and the API base (`$GITHUB_API_URL`, which Actions sets).
    ///
    /// # Errors
    /// A malformed flag or no token.
    pub fn resolve(repo: &str, environment: Option<&str>) -> Result<Self, SyncError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let parts: Vec<&str> = repo.split('/').collect();
        let segment_ok = |s: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        if parts.len() != 2 || !parts.iter().all(|s| segment_ok(s)) {
            return Err(SyncError::InvalidArgument {
                what: "--repo",
                value: repo.to_owned(),
                reason: "expected OWNER/NAME, e.g. `--repo acme/shop`",
            });
        }
        if let Some(env) = environment
            && (env.is_empty() || env.len() > 255 || env.chars().any(|c| c.is_control()))
        {
            return Err(SyncError::InvalidArgument {
                what: "--environment",
                value: env.to_owned(),
                reason: "a GitHub environment name is 1 to 255 printable characters",
            });
        }
        let api = var("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".to_owned());
        if !(api.starts_with("https://") || api.starts_with("http://")) {
            return Err(SyncError::InvalidArgument {
                what: "$GITHUB_API_URL",
                value: api,
                reason: "the API base must start with https:// (or http:// for a local test server)",
            });
        }
        let token = var("GH_TOKEN")
            .or_else(|| var("GITHUB_TOKEN"))
            .map(Secret::new)
            .ok_or(SyncError::NoCredentials {
                store: STORE,
                searched: "$GH_TOKEN and $GITHUB_TOKEN".to_owned(),
            })?;
        Ok(Self {
            api: api.trim_end_matches('/').to_owned(),
            repo: repo.to_owned(),
            environment: environment.map(str::to_owned),
            token,
        })
    }

    /// `acme/shop` or `acme/shop environment production`, for messages.
    #[must_use]
    pub fn display(&self) -> String {
        match &self.environment {
            Some(env) => format!("{} environment {env}", self.repo),
            None => self.repo.clone(),
        }
    }

    /// `…/repos/o/r/actions` or `…/repos/o/r/environments/e`: secrets and variables live
    /// under it.
    fn scope(&self) -> String {
        match &self.environment {
            Some(env) => format!(
                "{}/repos/{}/environments/{}",
                self.api,
                self.repo,
                encode(env)
            ),
            None => format!("{}/repos/{}/actions", self.api, self.repo),
        }
    }
}

/// Percent-encodes a path segment.
fn encode(text: &str) -> String {
    use std::fmt::Write as _;
    text.bytes().fold(String::new(), |mut out, b| {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
        out
    })
}

/// The variable that holds vault's record for `env`: `VAULT_DIGESTS_PROD`.
#[must_use]
pub fn record_variable(env: &str) -> String {
    let tail: String = env
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("VAULT_DIGESTS_{tail}")
}

/// Whether GitHub accepts `name` as a secret name as it is (it upper-cases names, and
/// reserves the `GITHUB_` prefix).
fn name_ok(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with("GITHUB_")
}

/// What vault recorded of one secret it pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    /// [`RecordKey::digest`] of the value.
    #[serde(rename = "d")]
    digest: String,
    /// The secret's `updated_at` as GitHub listed it after the push.
    #[serde(rename = "u")]
    updated_at: String,
}

/// The record's body, tagged as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Body {
    v: u32,
    env: String,
    secrets: BTreeMap<String, Entry>,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    record: Body,
    tag: String,
}

/// The record as read from GitHub.
enum Record {
    /// No variable yet.
    Absent,
    /// A variable whose tag does not verify with this environment's key: written by
    /// someone else, edited by hand, or from before a write-key change.
    Untrusted,
    /// vault's own record.
    Trusted(Body),
}

/// A GitHub Actions secrets client for one repository or environment.
pub struct Github {
    http: Http,
    target: Target,
}

impl Github {
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

    fn request(&self, method: &'static str, url: &str, body: &[u8]) -> Result<Reply, SyncError> {
        let mut headers = vec![
            (
                "Authorization".to_owned(),
                format!("Bearer {}", self.target.token.expose()),
            ),
            (
                "Accept".to_owned(),
                "application/vnd.github+json".to_owned(),
            ),
            ("X-GitHub-Api-Version".to_owned(), "2022-11-28".to_owned()),
        ];
        if !body.is_empty() {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        let reply = self.http.send(
            || {
                Ok(Request {
                    method,
                    url,
                    headers: headers.clone(),
                    body,
                })
            },
            // A rate limit is a 403 (or 429) that says so in its headers.
            |reply| {
                reply.status == 403
                    && (reply.header("x-ratelimit-remaining") == Some("0")
                        || reply.header("retry-after").is_some())
            },
        );
        for (_, value) in &mut headers {
            zeroize::Zeroize::zeroize(value);
        }
        reply
    }

    fn failure(&self, reply: &Reply, what: &str) -> SyncError {
        #[derive(Deserialize)]
        struct Message {
            message: Option<String>,
        }
        let detail = serde_json::from_slice::<Message>(&reply.body)
            .ok()
            .and_then(|m| m.message)
            .unwrap_or_else(|| reply.text());
        let detail = super::redact(&detail, []);
        match reply.status {
            401 => SyncError::BadCredentials {
                store: STORE,
                detail,
            },
            403 => SyncError::PermissionDenied {
                store: STORE,
                detail: format!("{detail} ({what})"),
            },
            404 => SyncError::NotFound {
                store: STORE,
                what: match &self.target.environment {
                    Some(env) => {
                        format!("environment `{env}` in repository {}", self.target.repo)
                    }
                    None => format!("repository {}", self.target.repo),
                },
            },
            status => SyncError::Service {
                store: STORE,
                code: format!("HTTP {status}"),
                detail: format!("{detail} ({what})"),
            },
        }
    }

    fn protocol(what: &str, error: &dyn std::fmt::Display) -> SyncError {
        SyncError::Protocol {
            store: STORE,
            detail: format!("{what}: {error}"),
        }
    }

    /// Every secret's name and `updated_at`, following GitHub's pagination.
    ///
    /// # Errors
    /// A failing request, or a `next` page on another server.
    pub fn list(&self) -> Result<BTreeMap<String, String>, SyncError> {
        #[derive(Deserialize)]
        struct Page {
            secrets: Vec<Listed>,
        }
        #[derive(Deserialize)]
        struct Listed {
            name: String,
            updated_at: String,
        }
        let mut out = BTreeMap::new();
        let mut url = format!("{}/secrets?per_page={PER_PAGE}", self.target.scope());
        for _ in 0..1000 {
            let reply = self.request("GET", &url, &[])?;
            if reply.status != 200 {
                return Err(self.failure(&reply, "listing secrets"));
            }
            let page: Page = serde_json::from_slice(&reply.body)
                .map_err(|e| Self::protocol("listing secrets", &e))?;
            out.extend(page.secrets.into_iter().map(|s| (s.name, s.updated_at)));
            match reply.header("link").and_then(next_link) {
                // The token goes with every request: never to another server.
                Some(next) if next.starts_with(&format!("{}/", self.target.api)) => url = next,
                Some(_) => {
                    return Err(Self::protocol(
                        "listing secrets",
                        &"the next page is on another server",
                    ));
                }
                None => return Ok(out),
            }
        }
        Err(Self::protocol("listing secrets", &"more than 1000 pages"))
    }

    /// The public key values are sealed to, and its id.
    fn public_key(&self) -> Result<(String, crypto_box::PublicKey), SyncError> {
        #[derive(Deserialize)]
        struct Key {
            key_id: String,
            key: String,
        }
        let url = format!("{}/secrets/public-key", self.target.scope());
        let reply = self.request("GET", &url, &[])?;
        if reply.status != 200 {
            return Err(self.failure(&reply, "reading the public key"));
        }
        let key: Key = serde_json::from_slice(&reply.body)
            .map_err(|e| Self::protocol("the public key", &e))?;
        let bytes: [u8; 32] =
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &key.key)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| Self::protocol("the public key", &"not 32 bytes of base64"))?;
        Ok((key.key_id, crypto_box::PublicKey::from(bytes)))
    }

    fn put(
        &self,
        name: &str,
        value: &Secret,
        key: &(String, crypto_box::PublicKey),
    ) -> Result<(), SyncError> {
        #[derive(Serialize)]
        struct Put<'a> {
            encrypted_value: String,
            key_id: &'a str,
        }
        let sealed = key
            .1
            .seal(&mut crypto_box::aead::OsRng, value.expose().as_bytes())
            .map_err(|_| Self::protocol("sealing a value", &"encryption failed"))?;
        let body = json_body(&Put {
            encrypted_value: base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                sealed,
            ),
            key_id: &key.0,
        });
        let url = format!("{}/secrets/{name}", self.target.scope());
        let reply = self.request("PUT", &url, &body)?;
        if !(200..300).contains(&reply.status) {
            return Err(self.failure(&reply, &format!("writing {name}")));
        }
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), SyncError> {
        let url = format!("{}/secrets/{name}", self.target.scope());
        let reply = self.request("DELETE", &url, &[])?;
        if !((200..300).contains(&reply.status) || reply.status == 404) {
            return Err(self.failure(&reply, &format!("deleting {name}")));
        }
        Ok(())
    }

    /// The record variable's value, if it exists.
    fn read_record(&self, variable: &str, key: &RecordKey, env: &str) -> Result<Record, SyncError> {
        #[derive(Deserialize)]
        struct Variable {
            value: String,
        }
        let url = format!("{}/variables/{variable}", self.target.scope());
        let reply = self.request("GET", &url, &[])?;
        if reply.status == 404 {
            // Either no record yet, or no repository/environment: the public key tells.
            return Ok(Record::Absent);
        }
        if reply.status != 200 {
            return Err(self.failure(&reply, &format!("reading the variable {variable}")));
        }
        let variable: Variable = serde_json::from_slice(&reply.body)
            .map_err(|e| Self::protocol("the record variable", &e))?;
        let Ok(stored) = serde_json::from_str::<Stored>(&variable.value) else {
            return Ok(Record::Untrusted);
        };
        let Ok(text) = serde_json::to_vec(&stored.record) else {
            return Ok(Record::Untrusted);
        };
        if stored.record.v != 1 || stored.record.env != env || !key.verify(&text, &stored.tag) {
            return Ok(Record::Untrusted);
        }
        Ok(Record::Trusted(stored.record))
    }

    fn write_record(
        &self,
        variable: &str,
        exists: bool,
        body: &Body,
        key: &RecordKey,
    ) -> Result<(), SyncError> {
        #[derive(Serialize)]
        struct Variable<'a> {
            name: &'a str,
            value: String,
        }
        let text = serde_json::to_vec(body).map_err(|e| Self::protocol("the record", &e))?;
        let stored = Stored {
            record: body.clone(),
            tag: key.seal(&text),
        };
        let value = serde_json::to_string(&stored).map_err(|e| Self::protocol("the record", &e))?;
        let payload = serde_json::to_vec(&Variable {
            name: variable,
            value,
        })
        .map_err(|e| Self::protocol("the record", &e))?;
        let (method, url) = if exists {
            (
                "PATCH",
                format!("{}/variables/{variable}", self.target.scope()),
            )
        } else {
            ("POST", format!("{}/variables", self.target.scope()))
        };
        let reply = self.request(method, &url, &payload)?;
        if !(200..300).contains(&reply.status) {
            return Err(self.failure(&reply, &format!("writing the variable {variable}")));
        }
        Ok(())
    }
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
    })
}

/// The plan for `local` against what GitHub lists and what vault's record says.
fn plan(
    local: &BTreeMap<String, Secret>,
    listed: &BTreeMap<String, String>,
    record: &Record,
    key: &RecordKey,
    prune: bool,
) -> Plan {
    let recorded = match record {
        Record::Trusted(body) => Some(&body.secrets),
        Record::Absent | Record::Untrusted => None,
    };
    let entry = |name: &str| recorded.and_then(|r| r.get(name));
    let mut changes = Vec::new();
    for (name, value) in local {
        let (action, note) = match (listed.get(name), entry(name)) {
            (None, Some(_)) => (Action::Create, Some(NOTE_GONE)),
            (None, None) => (Action::Create, None),
            (Some(_), None) => (Action::Update, Some(NOTE_UNRECORDED)),
            (Some(updated), Some(entry)) => {
                if entry.digest != key.digest(name, value) {
                    (Action::Update, None)
                } else if entry.updated_at != *updated {
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

impl super::Store for Github {
    fn describe(&self, _env: &str) -> String {
        format!("GitHub Actions secrets of {}", self.target.display())
    }

    fn push(
        &self,
        env: &str,
        local: &BTreeMap<String, Secret>,
        record: Option<&RecordKey>,
        prune: bool,
        dry_run: bool,
    ) -> Result<Pushed, SyncError> {
        let key = record.ok_or_else(|| SyncError::NoRecordKey {
            store: STORE,
            env: env.to_owned(),
        })?;
        push(self, env, local, key, prune, dry_run)
    }

    fn fetch(&self, _env: &str) -> Result<BTreeMap<String, Secret>, SyncError> {
        Err(SyncError::WriteOnly { store: STORE })
    }
}

/// Pushes `local`: seals and writes what changed, deletes (with `prune`) what vault's
/// record says it manages and `local` no longer has, then records what it pushed.
///
/// # Errors
/// A name or value GitHub cannot hold (before anything is written), a failing request
/// ([`SyncError::Partial`] once something was written).
pub fn push(
    github: &Github,
    env: &str,
    local: &BTreeMap<String, Secret>,
    key: &RecordKey,
    prune: bool,
    dry_run: bool,
) -> Result<Pushed, SyncError> {
    if let Some(name) = local.keys().find(|n| !name_ok(n)) {
        return Err(SyncError::Refused {
            store: STORE,
            name: name.clone(),
            reason: if name.starts_with("GITHUB_") {
                "GitHub reserves names starting with GITHUB_"
            } else {
                "GitHub secret names are upper case (it would rename it); rename it in the vault"
            },
        });
    }
    if let Some((name, _)) = local.iter().find(|(_, v)| v.len() > MAX_VALUE) {
        return Err(SyncError::Refused {
            store: STORE,
            name: name.clone(),
            reason: "its value is larger than GitHub's 48 KB limit for a secret",
        });
    }
    // The public key first: it also proves the repository (and environment) exist.
    let sealing_key = github.public_key()?;
    let variable = record_variable(env);
    let record = github.read_record(&variable, key, env)?;
    let listed = github.list()?;
    let plan = plan(local, &listed, &record, key, prune);
    let record_exists = !matches!(record, Record::Absent);
    let original = match record {
        Record::Trusted(body) => Some(body),
        Record::Absent | Record::Untrusted => None,
    };
    if dry_run {
        return Ok(Pushed {
            plan,
            version: None,
        });
    }
    let mut next = original.clone().unwrap_or_else(|| Body {
        v: 1,
        env: env.to_owned(),
        secrets: BTreeMap::new(),
    });
    let mut done = Vec::new();
    let mut written = Vec::new();
    let mut failure = None;
    for change in &plan.changes {
        let result = match change.action {
            Action::Create | Action::Update => github
                .put(&change.name, &local[&change.name], &sealing_key)
                .map(|()| written.push(change.name.clone())),
            Action::Delete => github.delete(&change.name),
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
    // Timestamps come from a fresh listing; without writes, the first one is current.
    let listed = if done.is_empty() {
        Ok(listed)
    } else {
        github.list()
    };
    let recorded = listed.and_then(|listed| {
        for name in &written {
            if let Some(updated) = listed.get(name) {
                next.secrets.insert(
                    name.clone(),
                    Entry {
                        digest: key.digest(name, &local[name]),
                        updated_at: updated.clone(),
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
        let size = serde_json::to_vec(&next).map_or(0, |t| t.len());
        if size + 100 > MAX_VARIABLE {
            return Err(SyncError::Service {
                store: STORE,
                code: "record too large".to_owned(),
                detail: format!(
                    "vault's record of {} secrets does not fit GitHub's 48 KB variable limit",
                    next.secrets.len()
                ),
            });
        }
        github.write_record(&variable, record_exists, &next, key)
    });
    if let Err(err) = recorded
        && failure.is_none()
    {
        failure = Some(err);
    }
    if let Some(err) = failure {
        return Err(err.after(&done));
    }
    Ok(Pushed {
        plan,
        version: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_variables() {
        assert!(name_ok("API_KEY") && name_ok("_X1"));
        for bad in ["api_key", "1A", "GITHUB_TOKEN", "A-B", ""] {
            assert!(!name_ok(bad), "{bad}");
        }
        assert_eq!(record_variable("prod"), "VAULT_DIGESTS_PROD");
        assert_eq!(record_variable("eu-west.1"), "VAULT_DIGESTS_EU_WEST_1");
        assert_eq!(encode("prod env/1"), "prod%20env%2F1");
    }

    #[test]
    fn next_links_are_found() {
        let header = r#"<https://api.github.com/repositories/1/actions/secrets?page=2>; rel="next", <https://api.github.com/repositories/1/actions/secrets?page=5>; rel="last""#;
        assert_eq!(
            next_link(header).as_deref(),
            Some("https://api.github.com/repositories/1/actions/secrets?page=2")
        );
        assert_eq!(next_link(r#"<https://x/?page=1>; rel="prev""#), None);
    }

    #[test]
    fn plans_use_digests_timestamps_and_the_record() {
        let key = RecordKey::derive(Some(&Secret::from("wk")), "prod").unwrap();
        let local: BTreeMap<String, Secret> =
            [("A", "1"), ("B", "2"), ("C", "3"), ("D", "4"), ("E", "5")]
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Secret::from(*v)))
                .collect();
        let listed: BTreeMap<String, String> = ["A", "B", "C", "E", "OLD", "THEIRS"]
            .iter()
            .map(|n| ((*n).to_owned(), "t1".to_owned()))
            .collect();
        let entry = |name: &str, value: &str, t: &str| {
            (
                name.to_owned(),
                Entry {
                    digest: key.digest(name, &Secret::from(value)),
                    updated_at: t.to_owned(),
                },
            )
        };
        let body = Body {
            v: 1,
            env: "prod".into(),
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
}

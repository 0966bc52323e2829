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
//! trusted, and `--prune` deletes only secrets a trusted record lists. The plan and the
//! push loop are shared with Cloudflare's in `record.rs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::http::{Http, Reply, json_body};
use super::record::WriteOnly;
use super::{Pushed, RecordKey, SyncError};
use crate::secret::Secret;

/// The store's name in messages.
pub const STORE: &str = "GitHub Actions";
/// GitHub's limit on a secret's value.
const MAX_VALUE: usize = 48 * 1024;
/// GitHub's limit on a variable's value, which the record must fit.
const MAX_VARIABLE: usize = 48 * 1024;
const PER_PAGE: usize = 100;

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
        super::http::check_https(&api, "$GITHUB_API_URL")?;
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
        self.http.send_wiping(
            method,
            url,
            headers,
            body,
            // A rate limit is a 403 (or 429) that says so in its headers.
            |reply| {
                reply.status == 403
                    && (reply.header("x-ratelimit-remaining") == Some("0")
                        || reply.header("retry-after").is_some())
            },
        )
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
        SyncError::protocol(STORE, what, error)
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
    let session = Session {
        github,
        sealing_key: github.public_key()?,
        variable: record_variable(env),
    };
    let plan = super::record::push(&session, env, local, key, prune, dry_run)?;
    Ok(Pushed {
        plan,
        version: None,
    })
}

/// One push: the client, the key values are sealed to, and the record's variable.
struct Session<'a> {
    github: &'a Github,
    sealing_key: (String, crypto_box::PublicKey),
    variable: String,
}

impl WriteOnly for Session<'_> {
    fn store(&self) -> &'static str {
        STORE
    }

    fn target(&self) -> String {
        // GitHub ignores case in repository names, not in environment names.
        let target = &self.github.target;
        let repo = target.repo.to_ascii_lowercase();
        match &target.environment {
            Some(env) => format!("github:{repo}/environments/{env}"),
            None => format!("github:{repo}"),
        }
    }

    fn record_limit(&self) -> (usize, &'static str) {
        (MAX_VARIABLE, "GitHub's 48 KB variable limit")
    }

    fn list(&self) -> Result<BTreeMap<String, Option<String>>, SyncError> {
        Ok(self
            .github
            .list()?
            .into_iter()
            .map(|(name, updated)| (name, Some(updated)))
            .collect())
    }

    fn put(&self, name: &str, value: &Secret) -> Result<(), SyncError> {
        self.github.put(name, value, &self.sealing_key)
    }

    fn delete(&self, name: &str) -> Result<(), SyncError> {
        self.github.delete(name)
    }

    /// The record variable's value, if it exists.
    fn read_record(&self) -> Result<Option<String>, SyncError> {
        #[derive(Deserialize)]
        struct Variable {
            value: String,
        }
        let url = format!("{}/variables/{}", self.github.target.scope(), self.variable);
        let reply = self.github.request("GET", &url, &[])?;
        if reply.status == 404 {
            // No record yet: the public key, read first, proved the repository exists.
            return Ok(None);
        }
        if reply.status != 200 {
            return Err(self
                .github
                .failure(&reply, &format!("reading the variable {}", self.variable)));
        }
        let variable: Variable = serde_json::from_slice(&reply.body)
            .map_err(|e| Github::protocol("the record variable", &e))?;
        Ok(Some(variable.value))
    }

    fn write_record(&self, text: &str, exists: bool) -> Result<(), SyncError> {
        #[derive(Serialize)]
        struct Variable<'a> {
            name: &'a str,
            value: &'a str,
        }
        let payload = serde_json::to_vec(&Variable {
            name: &self.variable,
            value: text,
        })
        .map_err(|e| Github::protocol("the record", &e))?;
        let scope = self.github.target.scope();
        let (method, url) = if exists {
            ("PATCH", format!("{scope}/variables/{}", self.variable))
        } else {
            ("POST", format!("{scope}/variables"))
        };
        let reply = self.github.request(method, &url, &payload)?;
        if !(200..300).contains(&reply.status) {
            return Err(self
                .github
                .failure(&reply, &format!("writing the variable {}", self.variable)));
        }
        Ok(())
    }
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
}

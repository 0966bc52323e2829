//! Cloudflare Workers secrets: the `secret_text` bindings of one Worker script.
//!
//! Values go through the Workers secrets API (`PUT …/workers/scripts/{s}/secrets`, what
//! `wrangler secret put` calls) and are never returned, so vault keeps its digest record
//! (`record.rs`) in **Workers KV**: key `vault/{script}/{env}` in a namespace titled
//! `vault-sync-records`, found (or created on the first real push) in the account. KV,
//! rather than a `plain_text` binding on the script, because `wrangler deploy` replaces a
//! script's plain-text bindings with those in `wrangler.toml` (it keeps only secrets), so a
//! record kept there would vanish on every deploy and make vault rewrite every secret; and
//! because a binding would put the record in the Worker's own environment. The secrets
//! list carries no timestamps, so a secret changed outside vault (`wrangler secret put`)
//! cannot be told apart from an unchanged one: vault overwrites only what changed in the
//! vault, and the docs say so.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::http::{Http, Reply, json_body};
use super::record::WriteOnly;
use super::{Pushed, RecordKey, SyncError};
use crate::secret::Secret;

/// The store's name in messages.
pub const STORE: &str = "Cloudflare Workers";
/// The KV namespace vault keeps its records in.
pub const RECORD_NAMESPACE: &str = "vault-sync-records";
/// Workers' limit on an environment variable or secret (5 KB).
const MAX_VALUE: usize = 5 * 1024;
/// KV's limit on a value (25 MiB).
const MAX_KV_VALUE: usize = 25 * 1024 * 1024;
/// Namespaces per page when looking for the record's (Cloudflare allows up to 100).
const PER_PAGE: usize = 100;
/// Cloudflare error codes for a token that is malformed, unknown or expired (as opposed to
/// one that lacks a permission: 10000 with HTTP 403).
const BAD_TOKEN_CODES: &[u64] = &[6003, 6111, 9106, 9109, 10001];

/// Where the secrets go and how to authenticate.
pub struct Target {
    /// The API base, `https://api.cloudflare.com/client/v4` or `$CLOUDFLARE_API_BASE_URL`,
    /// without a trailing slash.
    pub api: String,
    /// The account id (32 hex digits).
    pub account: String,
    /// The Worker script's name, with wrangler's `-<env>` suffix when one was given.
    pub script: String,
    token: Secret,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("api", &self.api)
            .field("account", &self.account)
            .field("script", &self.script)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Checks `--account`, `--script` and `--wrangler-env`, and finds the token
    /// (`$CLOUDFLARE_API_TOKEN`) and the API base (`$CLOUDFLARE_API_BASE_URL`, as wrangler).
    /// With `wrangler_env`, the script is `<script>-<env>`: the name `wrangler deploy --env`
    /// gives an environment's Worker.
    ///
    /// # Errors
    /// A malformed flag or no token.
    pub fn resolve(
        account: &str,
        script: &str,
        wrangler_env: Option<&str>,
    ) -> Result<Self, SyncError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if account.len() != 32 || !account.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(SyncError::InvalidArgument {
                what: "--account",
                value: account.to_owned(),
                reason: "a Cloudflare account id is 32 hex digits (dashboard → Workers & Pages → Account details, or `wrangler whoami`)",
            });
        }
        let name_ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_".contains(c))
        };
        if !name_ok(script) {
            return Err(SyncError::InvalidArgument {
                what: "--script",
                value: script.to_owned(),
                reason: "a Worker's name is lower-case letters, digits, `-` and `_` (the `name` in wrangler.toml)",
            });
        }
        if let Some(env) = wrangler_env
            && !name_ok(env)
        {
            return Err(SyncError::InvalidArgument {
                what: "--wrangler-env",
                value: env.to_owned(),
                reason: "a wrangler environment is lower-case letters, digits, `-` and `_` (a key of [env] in wrangler.toml)",
            });
        }
        let script = match wrangler_env {
            Some(env) => format!("{script}-{env}"),
            None => script.to_owned(),
        };
        if script.len() > 63 {
            return Err(SyncError::InvalidArgument {
                what: "--script",
                value: script,
                reason: "a Worker's name is at most 63 characters",
            });
        }
        let api = var("CLOUDFLARE_API_BASE_URL")
            .unwrap_or_else(|| "https://api.cloudflare.com/client/v4".to_owned());
        super::http::check_https(&api, "$CLOUDFLARE_API_BASE_URL")?;
        let token =
            var("CLOUDFLARE_API_TOKEN")
                .map(Secret::new)
                .ok_or(SyncError::NoCredentials {
                    store: STORE,
                    searched: "$CLOUDFLARE_API_TOKEN".to_owned(),
                })?;
        Ok(Self {
            api: api.trim_end_matches('/').to_owned(),
            account: account.to_ascii_lowercase(),
            script,
            token,
        })
    }

    fn account_url(&self) -> String {
        format!("{}/accounts/{}", self.api, self.account)
    }

    fn secrets_url(&self) -> String {
        format!(
            "{}/workers/scripts/{}/secrets",
            self.account_url(),
            self.script
        )
    }
}

/// Percent-encodes a path segment (a KV key may hold `/`).
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

/// The KV key of `env`'s record for `script`.
#[must_use]
pub fn record_key(script: &str, env: &str) -> String {
    format!("vault/{script}/{env}")
}

/// Cloudflare's response envelope. `result` is read per call.
#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(default)]
    success: bool,
    #[serde(default)]
    errors: Vec<ApiError>,
    result: Option<T>,
    result_info: Option<ResultInfo>,
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(default)]
    code: u64,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct ResultInfo {
    page: Option<usize>,
    total_pages: Option<usize>,
}

/// A Cloudflare Workers secrets client for one script.
pub struct Cloudflare {
    http: Http,
    target: Target,
}

impl Cloudflare {
    /// A client for `target`.
    #[must_use]
    pub fn new(target: Target) -> Self {
        Self {
            http: Http::new(STORE),
            target,
        }
    }

    fn request(
        &self,
        method: &'static str,
        url: &str,
        body: &[u8],
        content_type: &str,
    ) -> Result<Reply, SyncError> {
        let mut headers = vec![(
            "Authorization".to_owned(),
            format!("Bearer {}", self.target.token.expose()),
        )];
        if !body.is_empty() {
            headers.push(("Content-Type".to_owned(), content_type.to_owned()));
        }
        // 429 (1200 requests per five minutes per user) and 5xx are retried by `Http`,
        // honouring `Retry-After`.
        self.http.send_wiping(method, url, headers, body, |_| false)
    }

    /// The error for a failed reply. `values` are the values the request carried: a
    /// service that quotes what it rejected must not put them in a message.
    fn failure(&self, reply: &Reply, what: &str, values: &[&Secret]) -> SyncError {
        let envelope = serde_json::from_slice::<Envelope<serde_json::Value>>(&reply.body).ok();
        let errors = envelope.as_ref().map_or(&[][..], |e| &e.errors[..]);
        let detail = if errors.is_empty() {
            reply.text()
        } else {
            errors
                .iter()
                .map(|e| format!("{} (code {})", e.message, e.code))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let detail = super::redact(&detail, values.iter().copied());
        let codes: Vec<u64> = errors.iter().map(|e| e.code).collect();
        match reply.status {
            401 => SyncError::BadCredentials {
                store: STORE,
                detail,
            },
            400 if codes.iter().any(|c| BAD_TOKEN_CODES.contains(c)) => SyncError::BadCredentials {
                store: STORE,
                detail,
            },
            403 => SyncError::PermissionDenied {
                store: STORE,
                detail: format!("{detail} ({what})"),
            },
            404 if codes.contains(&10007) => self.no_script(),
            status => SyncError::Service {
                store: STORE,
                code: format!("HTTP {status}"),
                detail: format!("{detail} ({what})"),
            },
        }
    }

    fn no_script(&self) -> SyncError {
        SyncError::NotFound {
            store: STORE,
            what: format!(
                "Worker `{}` in account {}",
                self.target.script, self.target.account
            ),
        }
    }

    fn protocol(what: &str, error: &dyn std::fmt::Display) -> SyncError {
        SyncError::protocol(STORE, what, error)
    }

    /// Checks a reply is a success, for writes whose `result` says nothing (it is `null`
    /// or `{}`).
    fn ok(&self, reply: &Reply, what: &str, values: &[&Secret]) -> Result<(), SyncError> {
        if !(200..300).contains(&reply.status) {
            return Err(self.failure(reply, what, values));
        }
        let envelope: Envelope<serde_json::Value> =
            serde_json::from_slice(&reply.body).map_err(|e| Self::protocol(what, &e))?;
        if envelope.success {
            Ok(())
        } else {
            Err(self.failure(reply, what, values))
        }
    }

    /// The `result` of a successful JSON reply.
    fn result<T: serde::de::DeserializeOwned>(
        &self,
        reply: &Reply,
        what: &str,
    ) -> Result<(T, Option<ResultInfo>), SyncError> {
        if !(200..300).contains(&reply.status) {
            return Err(self.failure(reply, what, &[]));
        }
        let envelope: Envelope<T> =
            serde_json::from_slice(&reply.body).map_err(|e| Self::protocol(what, &e))?;
        if !envelope.success {
            return Err(self.failure(reply, what, &[]));
        }
        let result = envelope
            .result
            .ok_or_else(|| Self::protocol(what, &"no result"))?;
        Ok((result, envelope.result_info))
    }

    /// Every secret binding's name. The API returns them in one page (the official SDKs
    /// read it as a single page); a `result_info` saying otherwise is followed.
    ///
    /// # Errors
    /// A failing request, or an unknown script.
    pub fn list(&self) -> Result<Vec<String>, SyncError> {
        #[derive(Deserialize)]
        struct Listed {
            name: String,
        }
        let mut names = Vec::new();
        for page in 1..=1000 {
            let url = if page == 1 {
                self.target.secrets_url()
            } else {
                format!("{}?page={page}", self.target.secrets_url())
            };
            let reply = self.request("GET", &url, &[], "")?;
            // Whatever the code, a 404 here means the script (or the account) is not there.
            if reply.status == 404 {
                return Err(self.no_script());
            }
            let (listed, info): (Vec<Listed>, _) = self.result(&reply, "listing secrets")?;
            names.extend(listed.into_iter().map(|s| s.name));
            if !more_pages(info.as_ref(), page) {
                return Ok(names);
            }
        }
        Err(Self::protocol("listing secrets", &"more than 1000 pages"))
    }

    /// The Worker's bindings other than secrets (`[vars]` entries, KV namespaces, …), by
    /// name. A secret cannot take such a name, and Cloudflare would refuse it only on the
    /// write; reading them first refuses the push before anything is written. If the
    /// settings cannot be read, the write's own refusal remains.
    fn other_bindings(&self) -> Result<BTreeMap<String, String>, SyncError> {
        #[derive(Deserialize)]
        struct Settings {
            #[serde(default)]
            bindings: Vec<Binding>,
        }
        #[derive(Deserialize)]
        struct Binding {
            name: String,
            #[serde(rename = "type")]
            kind: String,
        }
        let url = format!(
            "{}/workers/scripts/{}/settings",
            self.target.account_url(),
            self.target.script
        );
        let reply = self.request("GET", &url, &[], "")?;
        if reply.status != 200 {
            return Ok(BTreeMap::new());
        }
        let (settings, _): (Settings, _) = self.result(&reply, "reading the Worker's settings")?;
        Ok(settings
            .bindings
            .into_iter()
            .filter(|b| b.kind != "secret_text" && b.kind != "secret_key")
            .map(|b| (b.name, b.kind))
            .collect())
    }

    fn put(&self, name: &str, value: &Secret) -> Result<(), SyncError> {
        #[derive(Serialize)]
        struct Put<'a> {
            name: &'a str,
            text: &'a str,
            #[serde(rename = "type")]
            kind: &'static str,
        }
        let body = json_body(&Put {
            name,
            text: value.expose(),
            kind: "secret_text",
        });
        let reply = self.request("PUT", &self.target.secrets_url(), &body, "application/json")?;
        self.ok(&reply, &format!("writing {name}"), &[value])
    }

    fn delete(&self, name: &str) -> Result<(), SyncError> {
        let url = format!("{}/{}", self.target.secrets_url(), encode(name));
        let reply = self.request("DELETE", &url, &[], "")?;
        // Already gone (10056: binding not found) is what a delete wants.
        if reply.status == 404 {
            return Ok(());
        }
        if !(200..300).contains(&reply.status) {
            return Err(self.failure(&reply, &format!("deleting {name}"), &[]));
        }
        Ok(())
    }

    /// The id of the KV namespace titled [`RECORD_NAMESPACE`], following pagination.
    fn find_namespace(&self) -> Result<Option<String>, SyncError> {
        #[derive(Deserialize)]
        struct Namespace {
            id: String,
            title: String,
        }
        for page in 1..=1000 {
            let url = format!(
                "{}/storage/kv/namespaces?per_page={PER_PAGE}&page={page}",
                self.target.account_url()
            );
            let reply = self.request("GET", &url, &[], "")?;
            let (listed, info): (Vec<Namespace>, _) =
                self.result(&reply, "listing KV namespaces")?;
            if let Some(ns) = listed.into_iter().find(|ns| ns.title == RECORD_NAMESPACE) {
                return Ok(Some(ns.id));
            }
            if !more_pages(info.as_ref(), page) {
                return Ok(None);
            }
        }
        Err(Self::protocol(
            "listing KV namespaces",
            &"more than 1000 pages",
        ))
    }

    fn create_namespace(&self) -> Result<String, SyncError> {
        #[derive(Deserialize)]
        struct Namespace {
            id: String,
        }
        let body = serde_json::to_vec(&serde_json::json!({ "title": RECORD_NAMESPACE }))
            .map_err(|e| Self::protocol("creating the KV namespace", &e))?;
        let url = format!("{}/storage/kv/namespaces", self.target.account_url());
        let reply = self.request("POST", &url, &body, "application/json")?;
        match self.result::<Namespace>(&reply, "creating the KV namespace") {
            Ok((ns, _)) => Ok(ns.id),
            // Another push created it since this one looked (10014: title already taken).
            Err(err) => match self.find_namespace() {
                Ok(Some(id)) => Ok(id),
                _ => Err(err),
            },
        }
    }
}

/// Whether `result_info` says there are pages after `page`.
fn more_pages(info: Option<&ResultInfo>, page: usize) -> bool {
    info.and_then(|i| Some(i.page.unwrap_or(page) < i.total_pages?))
        .unwrap_or(false)
}

/// One push: the client, and where the record lives.
struct Session<'a> {
    cloudflare: &'a Cloudflare,
    /// The record namespace's id; `None` until a real push creates it.
    namespace: std::cell::RefCell<Option<String>>,
    key: String,
}

impl Session<'_> {
    fn value_url(&self, namespace: &str) -> String {
        format!(
            "{}/storage/kv/namespaces/{namespace}/values/{}",
            self.cloudflare.target.account_url(),
            encode(&self.key)
        )
    }
}

impl WriteOnly for Session<'_> {
    fn store(&self) -> &'static str {
        STORE
    }

    fn target(&self) -> String {
        let target = &self.cloudflare.target;
        format!("cloudflare:{}/{}", target.account, target.script)
    }

    fn record_limit(&self) -> (usize, &'static str) {
        (MAX_KV_VALUE, "Workers KV's 25 MiB value limit")
    }

    fn list(&self) -> Result<BTreeMap<String, Option<String>>, SyncError> {
        Ok(self
            .cloudflare
            .list()?
            .into_iter()
            .map(|name| (name, None))
            .collect())
    }

    fn put(&self, name: &str, value: &Secret) -> Result<(), SyncError> {
        self.cloudflare.put(name, value)
    }

    fn delete(&self, name: &str) -> Result<(), SyncError> {
        self.cloudflare.delete(name)
    }

    fn read_record(&self) -> Result<Option<String>, SyncError> {
        let Some(namespace) = self.namespace.borrow().clone() else {
            return Ok(None);
        };
        let reply = self
            .cloudflare
            .request("GET", &self.value_url(&namespace), &[], "")?;
        // A missing key is 404 (code 10009); the value itself is the raw body.
        if reply.status == 404 {
            return Ok(None);
        }
        if reply.status != 200 {
            return Err(self
                .cloudflare
                .failure(&reply, "reading vault's record", &[]));
        }
        String::from_utf8(reply.body.to_vec())
            .map(Some)
            .map_err(|_| Cloudflare::protocol("vault's record", &"not UTF-8"))
    }

    fn write_record(&self, text: &str, _exists: bool) -> Result<(), SyncError> {
        let namespace = match self.namespace.borrow().clone() {
            Some(id) => id,
            None => self.cloudflare.create_namespace()?,
        };
        *self.namespace.borrow_mut() = Some(namespace.clone());
        // The raw body is the value (wrangler sends it so when there is no metadata).
        let reply = self.cloudflare.request(
            "PUT",
            &self.value_url(&namespace),
            text.as_bytes(),
            "text/plain",
        )?;
        self.cloudflare.ok(&reply, "writing vault's record", &[])
    }
}

impl super::Store for Cloudflare {
    fn describe(&self, _env: &str) -> String {
        format!("Cloudflare Worker {} secrets", self.target.script)
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
        if let Some((name, _)) = local.iter().find(|(_, v)| v.len() > MAX_VALUE) {
            return Err(SyncError::Refused {
                store: STORE,
                name: name.clone(),
                reason: "its value is larger than Workers' 5 KB limit for a secret",
            });
        }
        let others = self.other_bindings()?;
        if let Some(name) = local.keys().find(|n| others.contains_key(*n)) {
            return Err(SyncError::Refused {
                store: STORE,
                name: name.clone(),
                reason: "the Worker already has a binding of another kind with this name (a [vars] entry in wrangler.toml, a KV namespace, …); rename one of them",
            });
        }
        let session = Session {
            cloudflare: self,
            namespace: std::cell::RefCell::new(self.find_namespace()?),
            key: record_key(&self.target.script, env),
        };
        let plan = super::record::push(&session, env, local, key, prune, dry_run)?;
        Ok(Pushed {
            plan,
            version: None,
        })
    }

    fn fetch(&self, _env: &str) -> Result<BTreeMap<String, Secret>, SyncError> {
        Err(SyncError::WriteOnly { store: STORE })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_pages_and_encoding() {
        assert_eq!(
            record_key("shop-production", "prod"),
            "vault/shop-production/prod"
        );
        assert_eq!(encode("vault/shop/prod"), "vault%2Fshop%2Fprod");
        let info = |page, total| ResultInfo {
            page: Some(page),
            total_pages: Some(total),
        };
        assert!(more_pages(Some(&info(1, 2)), 1));
        assert!(!more_pages(Some(&info(2, 2)), 2));
        assert!(!more_pages(None, 1));
    }
}

//! Azure Key Vault secrets (REST API 7.5): one Key Vault secret per vault secret.
//!
//! **Names.** Key Vault allows `[0-9A-Za-z-]{1,127}` and compares names without regard to
//! case; vault's are `[A-Za-z_][A-Za-z0-9_]*` and case-sensitive. A name maps by turning
//! `_` into `-` (`DATABASE_URL` → `DATABASE-URL`), which is reversible because vault names
//! hold no `-`; two names that differ only in case would be one secret in Key Vault, so such
//! a push is refused before anything is written. Every secret vault writes is tagged
//! `managed-by=vault`, `vault-name=<the original name>` and `vault-env=<environment>`; pull
//! reads the name back from the tag.
//!
//! **What vault manages.** Only secrets tagged `managed-by=vault` (and not tagged with
//! another environment) are pruned or pulled. A push that would overwrite a secret another
//! environment manages is refused.
//!
//! **Soft delete.** Key Vault keeps a deleted secret, under its name, for its retention
//! period. A prune deletes (soft), never purges: purging is irreversible and needs a
//! permission deploys should not have. Creating a name that sits among the deleted secrets
//! fails with 409, so a push looks there first: a deleted secret vault managed is
//! recovered (keeping its history) and then written; one vault did not manage is refused
//! before anything is written, with the `az` command that recovers or purges it.
//!
//! **Credentials**, in the order of the Azure SDKs' `DefaultAzureCredential`, as far as it
//! applies to a command-line tool: a service principal's client secret from the
//! environment, workload identity (a federated token file), then the Azure CLI
//! (`az account get-access-token`, run without a shell). The first request is sent without
//! a token; Key Vault answers 401 with a `WWW-Authenticate` challenge naming the resource a
//! token is for, which must be the vault's own domain (as the SDKs check), so a lookalike
//! URL cannot collect a token for another service. Both live in `credential.rs`.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::http::{Http, Reply, check_https, json_body, origin};

mod credential;

use super::{Action, Change, Plan, Pushed, RecordKey, SyncError};
use crate::secret::Secret;
use credential::{Credential, challenge_resource};

/// The store's name in messages.
pub const STORE: &str = "Azure Key Vault";
const API_VERSION: &str = "7.5";
/// Key Vault's limit on a secret's value (25 KB).
const MAX_VALUE: usize = 25 * 1024;
/// Key Vault's limit on a name.
const MAX_NAME: usize = 127;

const TAG_MANAGED: &str = "managed-by";
const TAG_NAME: &str = "vault-name";
const TAG_ENV: &str = "vault-env";

const NOTE_ADOPT: &str = "not tagged managed-by=vault: overwritten, managed from now";
const NOTE_DISABLED: &str = "disabled in Key Vault: written as a new, enabled version";
const NOTE_RETAG: &str = "same value, tags out of date: written again with vault's tags";
const NOTE_RECOVER: &str = "among Key Vault's deleted secrets: recovered, then written";

/// The Key Vault name of vault's `name`: `_` becomes `-`.
#[must_use]
pub fn to_key_vault(name: &str) -> String {
    name.replace('_', "-")
}

/// vault's name for a Key Vault name vault did not tag: `-` becomes `_`.
#[must_use]
pub fn from_key_vault(name: &str) -> String {
    name.replace('-', "_")
}

/// `scheme://host:port` with the scheme's default port made explicit, for comparing
/// origins (Key Vault's `nextLink` says `:443`).
fn normalized_origin(url: &str) -> String {
    let origin = origin(url).to_ascii_lowercase();
    let default = if origin.starts_with("https://") {
        ":443"
    } else {
        ":80"
    };
    let host_part = origin.split_once("://").map_or("", |(_, h)| h);
    if host_part
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
        && !host_part.ends_with(']')
    {
        origin
    } else {
        format!("{origin}{default}")
    }
}

#[derive(Deserialize)]
struct Listed {
    id: String,
    #[serde(default)]
    attributes: Attributes,
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
    /// Secrets backing Key Vault certificates: Key Vault manages them, never vault.
    #[serde(default)]
    managed: Option<bool>,
}

#[derive(Deserialize)]
struct Attributes {
    #[serde(default = "yes")]
    enabled: bool,
}

impl Default for Attributes {
    fn default() -> Self {
        Self { enabled: true }
    }
}

fn yes() -> bool {
    true
}

impl Listed {
    /// The Key Vault name: the id's last segment (`…/secrets/NAME` or `…/deletedsecrets/NAME`).
    fn name(&self) -> &str {
        self.id
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
    }

    fn tag(&self, name: &str) -> Option<&str> {
        self.tags.as_ref()?.get(name).map(String::as_str)
    }

    /// vault's name for it: the `vault-name` tag when it names this very secret (it maps
    /// to the Key Vault name), else the reverse mapping. A tag naming another secret is
    /// ignored, so an edited tag cannot point a plan's write or delete somewhere else.
    fn vault_name(&self) -> String {
        match self.tag(TAG_NAME) {
            Some(tag) if to_key_vault(tag).eq_ignore_ascii_case(self.name()) => tag.to_owned(),
            _ => from_key_vault(self.name()),
        }
    }

    fn vault_managed(&self) -> bool {
        self.tag(TAG_MANAGED) == Some("vault")
    }

    /// Whether vault manages it for `env` (untagged with an environment counts: someone
    /// tagged it `managed-by=vault` by hand to hand it over).
    fn managed_for(&self, env: &str) -> bool {
        self.vault_managed() && self.tag(TAG_ENV).is_none_or(|e| e == env)
    }
}

/// A Key Vault client for one vault.
pub struct KeyVault {
    http: Http,
    /// `https://NAME.vault.azure.net`, no trailing slash.
    base: String,
    credential: Credential,
    token: std::cell::RefCell<Option<Secret>>,
}

impl KeyVault {
    /// Checks `--vault-url` and finds credentials (no request is sent yet).
    ///
    /// # Errors
    /// A malformed URL, or no credentials anywhere `DefaultAzureCredential` would look.
    pub fn connect(vault_url: &str) -> Result<Self, SyncError> {
        let trimmed = vault_url.trim_end_matches('/');
        check_https(trimmed, "--vault-url")?;
        let path = trimmed
            .split_once("://")
            .map_or("", |(_, r)| r)
            .split_once('/')
            .map_or("", |(_, p)| p);
        if !path.is_empty() || trimmed.contains(['?', '#', '@']) {
            return Err(SyncError::InvalidArgument {
                what: "--vault-url",
                value: vault_url.to_owned(),
                reason: "expected the vault's URL alone, e.g. https://myvault.vault.azure.net",
            });
        }
        Ok(Self {
            http: Http::new(STORE),
            base: trimmed.to_owned(),
            credential: Credential::resolve()?,
            token: std::cell::RefCell::new(None),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}?api-version={API_VERSION}", self.base)
    }

    /// Sends a request with a token, getting one through Key Vault's challenge first.
    fn request(&self, method: &'static str, url: &str, body: &[u8]) -> Result<Reply, SyncError> {
        if self.token.borrow().is_none() {
            // As the SDKs do: no token and no body until the vault says which resource
            // (and so which token) it accepts.
            let reply = self.send(method, url, &[], None)?;
            if reply.status != 401 {
                return Ok(reply);
            }
            let header = reply.header("www-authenticate").unwrap_or("");
            let resource = challenge_resource(header, &self.base)?;
            let token = self.credential.token(&self.http, &resource)?;
            *self.token.borrow_mut() = Some(token);
        }
        let token = self.token.borrow();
        let reply = self.send(method, url, body, token.as_ref())?;
        if reply.status == 401 {
            return Err(SyncError::BadCredentials {
                store: STORE,
                detail: format!(
                    "{} (token from {})",
                    error_message(&reply),
                    self.credential.describe()
                ),
            });
        }
        Ok(reply)
    }

    fn send(
        &self,
        method: &'static str,
        url: &str,
        body: &[u8],
        token: Option<&Secret>,
    ) -> Result<Reply, SyncError> {
        let mut headers = Vec::new();
        if let Some(token) = token {
            headers.push((
                "Authorization".to_owned(),
                format!("Bearer {}", token.expose()),
            ));
        }
        if !body.is_empty() || method == "PUT" {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        self.http.send_wiping(method, url, headers, body, |_| false)
    }

    fn failure(&self, reply: &Reply, what: &str, values: &[&Secret]) -> SyncError {
        let detail = super::redact(&error_message(reply), values.iter().copied());
        match reply.status {
            401 => SyncError::BadCredentials {
                store: STORE,
                detail,
            },
            403 => SyncError::PermissionDenied {
                store: STORE,
                detail: format!("{detail} ({what})"),
            },
            409 => SyncError::Conflict {
                store: STORE,
                detail: format!("{detail} ({what})"),
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

    /// Every item of a paged list (`secrets` or `deletedsecrets`), following `nextLink`
    /// only on the vault's own origin (the token goes with every request).
    fn list_all(&self, path: &str) -> Result<Vec<Listed>, SyncError> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            value: Vec<Listed>,
            #[serde(rename = "nextLink")]
            next_link: Option<String>,
        }
        let what = format!("listing {path}");
        let mut out = Vec::new();
        let mut url = format!("{}&maxresults=25", self.url(path));
        let home = normalized_origin(&self.base);
        for _ in 0..10_000 {
            let reply = self.request("GET", &url, &[])?;
            if reply.status == 404 && path == "secrets" {
                return Err(SyncError::NotFound {
                    store: STORE,
                    what: format!("vault at {}", self.base),
                });
            }
            if reply.status != 200 {
                return Err(self.failure(&reply, &what, &[]));
            }
            let page: Page =
                serde_json::from_slice(&reply.body).map_err(|e| Self::protocol(&what, &e))?;
            out.extend(page.value);
            match page.next_link.filter(|l| !l.is_empty()) {
                None => return Ok(out),
                Some(next) if normalized_origin(&next) == home => url = next,
                Some(_) => {
                    return Err(Self::protocol(&what, &"the next page is on another server"));
                }
            }
        }
        Err(Self::protocol(&what, &"more than 10000 pages"))
    }

    /// The current value of `kv_name`, or `None` if there is none.
    fn get(&self, kv_name: &str) -> Result<Option<Secret>, SyncError> {
        #[derive(Deserialize)]
        struct Bundle {
            value: Option<String>,
        }
        let reply = self.request("GET", &self.url(&format!("secrets/{kv_name}")), &[])?;
        if reply.status == 404 {
            return Ok(None);
        }
        if reply.status != 200 {
            return Err(self.failure(&reply, &format!("reading {kv_name}"), &[]));
        }
        let bundle: Bundle = serde_json::from_slice(&reply.body)
            .map_err(|e| Self::protocol(&format!("reading {kv_name}"), &e))?;
        Ok(Some(Secret::new(bundle.value.unwrap_or_default())))
    }

    fn put(&self, kv_name: &str, name: &str, env: &str, value: &Secret) -> Result<(), SyncError> {
        #[derive(Serialize)]
        struct Put<'a> {
            value: &'a str,
            tags: BTreeMap<&'static str, &'a str>,
        }
        let body = json_body(&Put {
            value: value.expose(),
            tags: [(TAG_MANAGED, "vault"), (TAG_NAME, name), (TAG_ENV, env)]
                .into_iter()
                .collect(),
        });
        let reply = self.request("PUT", &self.url(&format!("secrets/{kv_name}")), &body)?;
        if reply.status == 409 {
            return Err(SyncError::Conflict {
                store: STORE,
                detail: format!(
                    "{kv_name} is being deleted or is among the vault's deleted secrets ({}); \
                     recover it (`az keyvault secret recover --id {}/deletedsecrets/{kv_name}`) \
                     or purge it, then push again",
                    super::redact(&error_message(&reply), [value]),
                    self.base
                ),
            });
        }
        if !(200..300).contains(&reply.status) {
            return Err(self.failure(&reply, &format!("writing {kv_name}"), &[value]));
        }
        Ok(())
    }

    fn delete(&self, kv_name: &str) -> Result<(), SyncError> {
        let reply = self.request("DELETE", &self.url(&format!("secrets/{kv_name}")), &[])?;
        if !((200..300).contains(&reply.status) || reply.status == 404) {
            return Err(self.failure(&reply, &format!("deleting {kv_name}"), &[]));
        }
        Ok(())
    }

    /// Recovers a deleted secret and waits until it can be written (recovery is
    /// asynchronous; the SDKs' poller waits for the secret to be readable the same way).
    fn recover(&self, kv_name: &str) -> Result<(), SyncError> {
        let what = format!("recovering {kv_name}");
        let url = format!(
            "{}/deletedsecrets/{kv_name}/recover?api-version={API_VERSION}",
            self.base
        );
        let reply = self.request("POST", &url, &[])?;
        if !(200..300).contains(&reply.status) {
            return Err(self.failure(&reply, &what, &[]));
        }
        let mut delay = Duration::from_millis(100);
        for _ in 0..30 {
            let reply = self.request("GET", &self.url(&format!("secrets/{kv_name}")), &[])?;
            // 403 is a disabled secret, which exists: writing makes a new, enabled version.
            if reply.status == 200 || reply.status == 403 {
                return Ok(());
            }
            if reply.status != 404 {
                return Err(self.failure(&reply, &what, &[]));
            }
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_secs(2));
        }
        Err(SyncError::Conflict {
            store: STORE,
            detail: format!("{kv_name} was still being recovered after a minute"),
        })
    }
}

/// Key Vault's `{"error": {"code", "message"}}`, or the body.
fn error_message(reply: &Reply) -> String {
    #[derive(Deserialize)]
    struct Outer {
        error: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        code: Option<String>,
        message: Option<String>,
    }
    match serde_json::from_slice::<Outer>(&reply.body) {
        Ok(outer) => format!(
            "{}: {}",
            outer.error.code.unwrap_or_default(),
            outer.error.message.unwrap_or_default()
        ),
        Err(_) => super::redact(&reply.text(), []),
    }
}

impl super::Store for KeyVault {
    fn describe(&self, _env: &str) -> String {
        format!("Azure Key Vault {}", self.base)
    }

    fn push(
        &self,
        env: &str,
        local: &BTreeMap<String, Secret>,
        _record: Option<&RecordKey>,
        prune: bool,
        dry_run: bool,
    ) -> Result<Pushed, SyncError> {
        push(self, env, local, prune, dry_run)
    }

    fn fetch(&self, env: &str) -> Result<BTreeMap<String, Secret>, SyncError> {
        let mut out = BTreeMap::new();
        for listed in self.list_all("secrets")? {
            if listed.managed == Some(true) || !listed.managed_for(env) {
                continue;
            }
            let kv_name = listed.name().to_owned();
            let name = listed.vault_name();
            if !crate::names::is_secret_name(&name) {
                return Err(SyncError::Unsupported {
                    store: STORE,
                    name: kv_name,
                    reason: "its name does not map to a vault secret name (tag it vault-name=NAME, with `_` for each `-`)",
                });
            }
            if !listed.attributes.enabled {
                return Err(SyncError::Unsupported {
                    store: STORE,
                    name: kv_name,
                    reason: "it is disabled in Key Vault, which returns no value for it (enable it, or remove its managed-by tag)",
                });
            }
            let value = self.get(&kv_name)?.ok_or_else(|| SyncError::Conflict {
                store: STORE,
                detail: format!("{kv_name} was deleted while pulling"),
            })?;
            // Key Vault holds at most 25 KB: a larger value is not Key Vault's answer (a
            // hostile or broken server), and would be committed to the repository as is.
            if value.len() > MAX_VALUE {
                return Err(SyncError::Unsupported {
                    store: STORE,
                    name: kv_name,
                    reason: "its value is larger than Key Vault's 25 KB limit, which Key Vault itself never returns",
                });
            }
            if out.insert(name.clone(), value).is_some() {
                return Err(SyncError::Unsupported {
                    store: STORE,
                    name,
                    reason: "two Key Vault secrets carry this vault-name tag",
                });
            }
        }
        Ok(out)
    }
}

/// What the push does to one name, beyond its action.
struct Step {
    /// The Key Vault name to write or delete.
    kv_name: String,
    /// Recover it from the deleted secrets first.
    recover: bool,
}

/// Plans and (unless `dry_run`) applies a push. Every refusal comes before the first write.
fn push(
    kv: &KeyVault,
    env: &str,
    local: &BTreeMap<String, Secret>,
    prune: bool,
    dry_run: bool,
) -> Result<Pushed, SyncError> {
    let refuse = |name: &str, reason: &'static str| SyncError::Refused {
        store: STORE,
        name: name.to_owned(),
        reason,
    };
    let mut seen: HashMap<String, &str> = HashMap::new();
    for (name, value) in local {
        if to_key_vault(name).len() > MAX_NAME {
            return Err(refuse(name, "Key Vault names are at most 127 characters"));
        }
        if value.len() > MAX_VALUE {
            return Err(refuse(
                name,
                "its value is larger than Key Vault's 25 KB limit",
            ));
        }
        if let Some(other) = seen.insert(to_key_vault(name).to_ascii_lowercase(), name) {
            let _ = other;
            return Err(refuse(
                name,
                "another secret's name differs from it only in case, and Key Vault ignores case: both would be one secret",
            ));
        }
    }
    let listed = kv.list_all("secrets")?;
    let by_lower: HashMap<String, &Listed> = listed
        .iter()
        .map(|l| (l.name().to_ascii_lowercase(), l))
        .collect();
    let mut changes = Vec::new();
    let mut steps: BTreeMap<String, Step> = BTreeMap::new();
    let mut matched = std::collections::HashSet::new();
    for (name, value) in local {
        let kv_name = to_key_vault(name);
        let lower = kv_name.to_ascii_lowercase();
        let (action, note) = match by_lower.get(&lower) {
            None => (Action::Create, None),
            Some(listed) => {
                matched.insert(lower.clone());
                if listed.managed == Some(true) {
                    return Err(refuse(
                        name,
                        "Key Vault keeps a certificate's secret under this name; rename it in the vault",
                    ));
                }
                if listed.vault_managed() && !listed.managed_for(env) {
                    return Err(refuse(
                        name,
                        "another environment pushed this name to the same Key Vault (tag vault-env); use one Key Vault per environment",
                    ));
                }
                let tagged = listed.vault_managed()
                    && listed.tag(TAG_NAME) == Some(name.as_str())
                    && listed.tag(TAG_ENV) == Some(env);
                if !listed.attributes.enabled {
                    (Action::Update, Some(NOTE_DISABLED))
                } else {
                    match kv.get(listed.name())? {
                        None => (Action::Create, None),
                        Some(current) if current == *value && tagged => (Action::Unchanged, None),
                        Some(_) if !listed.vault_managed() => (Action::Update, Some(NOTE_ADOPT)),
                        Some(current) if current == *value => (Action::Update, Some(NOTE_RETAG)),
                        Some(_) => (Action::Update, None),
                    }
                }
            }
        };
        // An existing secret keeps its Key Vault spelling (names ignore case there).
        let target = by_lower
            .get(&lower)
            .map_or(kv_name, |l| l.name().to_owned());
        steps.insert(
            name.clone(),
            Step {
                kv_name: target,
                recover: false,
            },
        );
        changes.push(Change {
            name: name.clone(),
            action,
            note,
        });
    }
    for listed in listed
        .iter()
        .filter(|l| !matched.contains(&l.name().to_ascii_lowercase()))
    {
        if listed.managed == Some(true) {
            continue;
        }
        let (name, action) = if listed.managed_for(env) {
            let name = listed.vault_name();
            (name, if prune { Action::Delete } else { Action::Keep })
        } else {
            (listed.name().to_owned(), Action::Unmanaged)
        };
        steps.insert(
            name.clone(),
            Step {
                kv_name: listed.name().to_owned(),
                recover: false,
            },
        );
        changes.push(Change {
            name,
            action,
            note: None,
        });
    }
    // A name to create may be among the deleted secrets, where Key Vault still holds it.
    if changes.iter().any(|c| c.action == Action::Create) {
        match kv.list_all("deletedsecrets") {
            Ok(deleted) => {
                let deleted: HashMap<String, &Listed> = deleted
                    .iter()
                    .map(|l| (l.name().to_ascii_lowercase(), l))
                    .collect();
                for change in changes.iter_mut().filter(|c| c.action == Action::Create) {
                    let step = steps
                        .get_mut(&change.name)
                        .unwrap_or_else(|| unreachable!());
                    let Some(gone) = deleted.get(&step.kv_name.to_ascii_lowercase()) else {
                        continue;
                    };
                    if !gone.managed_for(env) {
                        return Err(refuse(
                            &change.name,
                            "a deleted secret vault did not create holds this name in Key Vault (soft delete): recover it (`az keyvault secret recover`) or purge it (`az keyvault secret purge`), then push again",
                        ));
                    }
                    step.kv_name = gone.name().to_owned();
                    step.recover = true;
                    change.note = Some(NOTE_RECOVER);
                }
            }
            // Without permission to list deleted secrets, a clash shows up as 409 on the write.
            Err(SyncError::PermissionDenied { .. }) => {}
            Err(err) => return Err(err),
        }
    }
    changes.sort_by(|a, b| a.name.cmp(&b.name));
    let plan = Plan { changes };
    if dry_run {
        return Ok(Pushed {
            plan,
            version: None,
        });
    }
    let mut done = Vec::new();
    for change in &plan.changes {
        let step = &steps[&change.name];
        let result = match change.action {
            Action::Create | Action::Update => {
                let recovered = if step.recover {
                    kv.recover(&step.kv_name)
                } else {
                    Ok(())
                };
                recovered
                    .and_then(|()| kv.put(&step.kv_name, &change.name, env, &local[&change.name]))
            }
            Action::Delete => kv.delete(&step.kv_name),
            Action::Unchanged | Action::Keep | Action::Unmanaged => continue,
        };
        match result {
            Ok(()) => done.push(change.name.clone()),
            Err(err) => return Err(err.after(&done)),
        }
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
    fn names_map_both_ways() {
        for name in ["DATABASE_URL", "_X", "a_b_C1", "A"] {
            let kv = to_key_vault(name);
            assert!(kv.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
            assert_eq!(from_key_vault(&kv), name);
        }
    }

    #[test]
    fn a_vault_name_tag_counts_only_when_it_names_the_same_secret() {
        let listed = |id: &str, tag: &str| -> Listed {
            serde_json::from_value(serde_json::json!({
                "id": id,
                "tags": { "managed-by": "vault", "vault-name": tag },
            }))
            .unwrap()
        };
        let base = "https://v.vault.azure.net/secrets";
        assert_eq!(
            listed(&format!("{base}/lower-case"), "lower_case").vault_name(),
            "lower_case"
        );
        // Key Vault keeps its own spelling; the tag keeps vault's.
        assert_eq!(
            listed(&format!("{base}/API-KEY"), "api_Key").vault_name(),
            "api_Key"
        );
        // An edited tag naming another secret would aim a write or delete elsewhere.
        assert_eq!(
            listed(&format!("{base}/API-KEY"), "DATABASE_URL").vault_name(),
            "API_KEY"
        );
        assert!(listed(&format!("{base}/X"), "X").managed_for("prod"));
    }

    #[test]
    fn origins_compare_with_default_ports() {
        assert_eq!(
            normalized_origin("https://v.vault.azure.net:443/secrets?x=1"),
            normalized_origin("https://v.vault.azure.net")
        );
        assert_ne!(
            normalized_origin("https://v.vault.azure.net.evil.net/secrets"),
            normalized_origin("https://v.vault.azure.net")
        );
    }
}

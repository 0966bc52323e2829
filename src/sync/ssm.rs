//! AWS SSM Parameter Store: each secret is a SecureString at `/{app}/{env}/{NAME}`, tagged
//! `managed-by = vault` so a prune never deletes parameters someone else created.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::aws::{self, Credentials};
use super::http::{Http, Reply, Request, json_body};
use super::{Action, Plan, SyncError};
use crate::secret::Secret;

const STORE: &str = "AWS SSM";
/// The tag that marks a parameter as written by vault.
pub const MANAGED_TAG: (&str, &str) = ("managed-by", "vault");
/// Standard-tier parameters hold 4 KB; advanced ones 8 KB.
const STANDARD_MAX: usize = 4096;
const ADVANCED_MAX: usize = 8192;

/// A client for one region's Parameter Store.
pub struct Ssm {
    http: Http,
    endpoint: String,
    region: String,
    credentials: Credentials,
}

impl std::fmt::Debug for Ssm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ssm")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// One parameter as read back.
#[derive(Debug)]
pub struct Parameter {
    /// Its value (decrypted).
    pub value: Secret,
    /// `String`, `StringList` or `SecureString`.
    pub kind: String,
}

/// Validates `--app`: one path segment of SSM's allowed characters.
///
/// # Errors
/// Empty, or characters SSM does not allow in a path.
pub fn check_app(app: &str) -> Result<(), SyncError> {
    let ok = !app.is_empty()
        && app
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(SyncError::InvalidArgument {
            what: "--app",
            value: app.to_owned(),
            reason: "use letters, digits, `-`, `_` and `.` (it becomes one path segment)",
        })
    }
}

/// `/{app}/{env}/`.
#[must_use]
pub fn prefix(app: &str, env: &str) -> String {
    format!("/{app}/{env}/")
}

impl Ssm {
    /// Resolves the region, endpoint and credentials.
    ///
    /// # Errors
    /// No region or no credentials.
    pub fn connect(region: Option<&str>) -> Result<Self, SyncError> {
        let region = aws::region(region)?;
        Ok(Self {
            http: Http::new(STORE),
            endpoint: aws::endpoint("ssm", &region),
            credentials: aws::credentials()?,
            region,
        })
    }

    /// Where requests go, for messages.
    #[must_use]
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The region.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Calls one Parameter Store action. `redact` lists values the request carries, so a
    /// validation message quoting one cannot leak it.
    fn call<T: DeserializeOwned>(
        &self,
        action: &str,
        body: &impl Serialize,
        redact: &[&Secret],
    ) -> Result<T, SyncError> {
        let body = json_body(body);
        let url = format!("{}/", self.endpoint);
        let target = format!("AmazonSSM.{action}");
        let reply = self.http.send(
            || {
                let headers = aws::sign(
                    &self.credentials,
                    &self.region,
                    "ssm",
                    &url,
                    &[
                        ("content-type", "application/x-amz-json-1.1"),
                        ("x-amz-target", &target),
                    ],
                    &body,
                )?;
                Ok(Request {
                    method: "POST",
                    url: &url,
                    headers,
                    body: &body,
                })
            },
            |reply| {
                reply.status == 400
                    && matches!(
                        error_of(reply).0.as_str(),
                        "ThrottlingException" | "TooManyUpdates" | "RequestLimitExceeded"
                    )
            },
        )?;
        if reply.status != 200 {
            return Err(self.failure(&reply, redact));
        }
        serde_json::from_slice(&reply.body).map_err(|e| SyncError::Protocol {
            store: STORE,
            detail: format!("{action}: {e}"),
        })
    }

    fn failure(&self, reply: &Reply, redact: &[&Secret]) -> SyncError {
        let (code, message) = error_of(reply);
        let message = message.unwrap_or_else(|| format!("HTTP {}", reply.status));
        let detail = super::redact(&message, redact.iter().copied());
        match code.as_str() {
            "UnrecognizedClientException"
            | "InvalidClientTokenId"
            | "InvalidSignatureException"
            | "SignatureDoesNotMatch"
            | "IncompleteSignature"
            | "ExpiredTokenException" => SyncError::BadCredentials {
                store: STORE,
                detail: format!("{detail} (credentials from {})", self.credentials.source),
            },
            "AccessDeniedException" | "AccessDenied" => SyncError::PermissionDenied {
                store: STORE,
                detail,
            },
            _ => SyncError::Service {
                store: STORE,
                code: if code.is_empty() {
                    format!("HTTP {}", reply.status)
                } else {
                    code
                },
                detail,
            },
        }
    }

    /// Every parameter directly under `prefix`, by leaf name, decrypted.
    ///
    /// # Errors
    /// The request fails.
    pub fn list(&self, prefix: &str) -> Result<BTreeMap<String, Parameter>, SyncError> {
        let mut out = BTreeMap::new();
        let mut next: Option<String> = None;
        loop {
            let page: ByPathReply = self.call(
                "GetParametersByPath",
                &ByPath {
                    path: prefix.trim_end_matches('/'),
                    recursive: false,
                    with_decryption: true,
                    max_results: 10,
                    next_token: next.as_deref(),
                },
                &[],
            )?;
            for parameter in page.parameters {
                if let Some(leaf) = parameter.name.strip_prefix(prefix) {
                    out.insert(
                        leaf.to_owned(),
                        Parameter {
                            value: parameter.value,
                            kind: parameter.kind,
                        },
                    );
                }
            }
            match page.next_token {
                Some(token) if !token.is_empty() => next = Some(token),
                _ => return Ok(out),
            }
        }
    }

    fn put(
        &self,
        name: &str,
        value: &Secret,
        overwrite: bool,
        kms_key_id: Option<&str>,
    ) -> Result<(), SyncError> {
        let tags = [Tag {
            key: MANAGED_TAG.0.to_owned(),
            value: MANAGED_TAG.1.to_owned(),
        }];
        let _: serde::de::IgnoredAny = self.call(
            "PutParameter",
            &Put {
                name,
                value: value.expose(),
                kind: "SecureString",
                overwrite,
                key_id: kms_key_id,
                // AWS refuses tags together with Overwrite; updates tag separately.
                tags: (!overwrite).then_some(&tags[..]),
                tier: (value.len() > STANDARD_MAX).then_some("Advanced"),
            },
            &[value],
        )?;
        if overwrite {
            let _: serde::de::IgnoredAny = self.call(
                "AddTagsToResource",
                &Tagging {
                    resource_type: "Parameter",
                    resource_id: name,
                    tags: &tags,
                },
                &[],
            )?;
        }
        Ok(())
    }

    fn managed(&self, name: &str) -> Result<bool, SyncError> {
        let reply: TagsReply = self.call(
            "ListTagsForResource",
            &TagsOf {
                resource_type: "Parameter",
                resource_id: name,
            },
            &[],
        )?;
        Ok(reply
            .tag_list
            .iter()
            .any(|t| t.key == MANAGED_TAG.0 && t.value == MANAGED_TAG.1))
    }

    fn delete(&self, names: &[String]) -> Result<(), SyncError> {
        let reply: DeleteReply = self.call("DeleteParameters", &Delete { names }, &[])?;
        if let Some(name) = reply.invalid_parameters.first() {
            return Err(SyncError::Service {
                store: STORE,
                code: "InvalidParameters".to_owned(),
                detail: format!("{name} could not be deleted"),
            });
        }
        Ok(())
    }
}

/// Parameter Store as a [`super::Store`]: the client and where the app's parameters live.
pub struct SsmStore {
    /// The client (region and credentials resolved).
    pub ssm: Ssm,
    /// The application, the first part of `/{app}/{env}/NAME`.
    pub app: String,
    /// The KMS key SecureStrings are encrypted with, if not AWS's default.
    pub kms_key_id: Option<String>,
}

impl super::Store for SsmStore {
    fn describe(&self, env: &str) -> String {
        format!("AWS SSM {} ({})", prefix(&self.app, env), self.ssm.region())
    }

    fn push(
        &self,
        env: &str,
        local: &BTreeMap<String, Secret>,
        _record: Option<&super::RecordKey>,
        prune: bool,
        dry_run: bool,
    ) -> Result<super::Pushed, SyncError> {
        push(
            &self.ssm,
            &self.app,
            env,
            local,
            self.kms_key_id.as_deref(),
            prune,
            dry_run,
        )
        .map(|plan| super::Pushed {
            plan,
            version: None,
        })
    }

    fn fetch(&self, env: &str) -> Result<BTreeMap<String, Secret>, SyncError> {
        fetch(&self.ssm, &self.app, env)
    }
}

/// Pushes `local` to `/{app}/{env}/`.
///
/// # Errors
/// A value too large for SSM (before anything is written), or a failing request; when some
/// parameters were already written the error is [`SyncError::Partial`] and names them.
pub fn push(
    ssm: &Ssm,
    app: &str,
    env: &str,
    local: &BTreeMap<String, Secret>,
    kms_key_id: Option<&str>,
    prune: bool,
    dry_run: bool,
) -> Result<Plan, SyncError> {
    check_app(app)?;
    if let Some((name, _)) = local.iter().find(|(_, v)| v.len() > ADVANCED_MAX) {
        return Err(SyncError::Unsupported {
            store: STORE,
            name: name.clone(),
            reason: "its value is larger than SSM's 8 KB limit for a parameter",
        });
    }
    let prefix = prefix(app, env);
    let remote = ssm.list(&prefix)?;
    let remote_values: BTreeMap<String, Secret> = remote
        .iter()
        .map(|(k, p)| (k.clone(), p.value.clone()))
        .collect();
    let mut plan = Plan::compute(local, &remote_values, prune);
    let mut deletions = Vec::new();
    for change in &mut plan.changes {
        match change.action {
            Action::Unchanged if remote[&change.name].kind != "SecureString" => {
                change.action = Action::Update;
            }
            Action::Delete => {
                if ssm.managed(&format!("{prefix}{}", change.name))? {
                    deletions.push(format!("{prefix}{}", change.name));
                } else {
                    change.action = Action::Unmanaged;
                }
            }
            _ => {}
        }
    }
    if dry_run {
        return Ok(plan);
    }
    let mut done: Vec<String> = Vec::new();
    for change in &plan.changes {
        let overwrite = match change.action {
            Action::Create => false,
            Action::Update => true,
            _ => continue,
        };
        ssm.put(
            &format!("{prefix}{}", change.name),
            &local[&change.name],
            overwrite,
            kms_key_id,
        )
        .map_err(|e| e.after(&done))?;
        done.push(change.name.clone());
    }
    for chunk in deletions.chunks(10) {
        ssm.delete(chunk).map_err(|e| e.after(&done))?;
        done.extend(chunk.iter().map(|n| n[prefix.len()..].to_owned()));
    }
    Ok(plan)
}

/// Reads `/{app}/{env}/` for a pull.
///
/// # Errors
/// A failing request, or a parameter whose name cannot be a secret name.
pub fn fetch(ssm: &Ssm, app: &str, env: &str) -> Result<BTreeMap<String, Secret>, SyncError> {
    check_app(app)?;
    let prefix = prefix(app, env);
    let mut out = BTreeMap::new();
    for (name, parameter) in ssm.list(&prefix)? {
        if !crate::names::is_secret_name(&name) {
            return Err(SyncError::Unsupported {
                store: STORE,
                name: format!("{prefix}{name}"),
                reason: "its name is not an environment-variable name",
            });
        }
        out.insert(name, parameter.value);
    }
    Ok(out)
}

/// The error code and message of a failed call. SSM answers JSON; the signature and IAM
/// layers in front of it (and moto's emulation of them) answer XML.
fn error_of(reply: &Reply) -> (String, Option<String>) {
    if let Ok(json) = serde_json::from_slice::<ErrorReply>(&reply.body) {
        let raw = json.kind.unwrap_or_default();
        // `com.amazonaws.ssm#ThrottlingException` → `ThrottlingException`.
        let code = raw.rsplit('#').next().unwrap_or_default().to_owned();
        return (code, json.message.or(json.message_upper));
    }
    let text = reply.text();
    let element = |tag: &str| {
        let open = format!("<{tag}>");
        let start = text.find(&open)? + open.len();
        let end = start + text[start..].find(&format!("</{tag}>"))?;
        Some(text[start..end].to_owned())
    };
    (element("Code").unwrap_or_default(), element("Message"))
}

#[derive(Deserialize)]
struct ErrorReply {
    #[serde(rename = "__type")]
    kind: Option<String>,
    message: Option<String>,
    #[serde(rename = "Message")]
    message_upper: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ByPath<'a> {
    path: &'a str,
    recursive: bool,
    with_decryption: bool,
    max_results: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ByPathReply {
    #[serde(default)]
    parameters: Vec<RemoteParameter>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RemoteParameter {
    name: String,
    value: Secret,
    #[serde(rename = "Type")]
    kind: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Put<'a> {
    name: &'a str,
    value: &'a str,
    #[serde(rename = "Type")]
    kind: &'static str,
    overwrite: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a [Tag]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tier: Option<&'static str>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Tag {
    key: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Tagging<'a> {
    resource_type: &'static str,
    resource_id: &'a str,
    tags: &'a [Tag],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TagsOf<'a> {
    resource_type: &'static str,
    resource_id: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagsReply {
    #[serde(default)]
    tag_list: Vec<Tag>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Delete<'a> {
    names: &'a [String],
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteReply {
    #[serde(default)]
    invalid_parameters: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names_are_one_segment() {
        assert!(check_app("my-app_1.0").is_ok());
        for bad in ["", "a/b", "a b", "é"] {
            assert!(check_app(bad).is_err(), "{bad:?}");
        }
        assert_eq!(prefix("shop", "prod"), "/shop/prod/");
    }

    #[test]
    fn put_bodies_carry_tags_only_on_create() {
        let tags = [Tag {
            key: "managed-by".into(),
            value: "vault".into(),
        }];
        let create = serde_json::to_string(&Put {
            name: "/a/prod/K",
            value: "v",
            kind: "SecureString",
            overwrite: false,
            key_id: None,
            tags: Some(&tags),
            tier: None,
        })
        .unwrap();
        assert_eq!(
            create,
            r#"{"Name":"/a/prod/K","Value":"v","Type":"SecureString","Overwrite":false,"Tags":[{"Key":"managed-by","Value":"vault"}]}"#
        );
    }
}

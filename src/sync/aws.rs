//! AWS credentials, region and request signing, without the async AWS SDK.
//!
//! The credential chain follows the SDKs' order for the sources a deploy pipeline or a
//! laptop uses: environment variables, then the shared `credentials` and `config` files for
//! `$AWS_PROFILE` (static keys or `credential_process`), then ECS/EKS container credentials.
//! SSO and web-identity profiles work through `credential_process` (for example
//! `aws configure export-credentials --format process`). Signing is `aws-sigv4`'s; nothing
//! here implements cryptography.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::SystemTime;

use serde::Deserialize;

use super::SyncError;
use super::http::{Http, Request};
use crate::secret::Secret;

const STORE: &str = "AWS";

/// Resolved credentials.
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
    /// Where they came from, for messages.
    pub source: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// Reads `$AWS_PROFILE` (or `default`) from the shared files.
fn profile_name() -> String {
    env("AWS_PROFILE")
        .or_else(|| env("AWS_DEFAULT_PROFILE"))
        .unwrap_or_else(|| "default".to_owned())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn aws_file(var: &str, name: &str) -> Option<PathBuf> {
    env(var)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".aws").join(name)))
}

/// The settings of one profile, merged from the credentials file (first) and the config
/// file, as the AWS CLI does.
fn profile(name: &str) -> BTreeMap<String, Secret> {
    let mut merged = BTreeMap::new();
    let files = [
        (
            aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
            name.to_owned(),
        ),
        (
            aws_file("AWS_CONFIG_FILE", "config"),
            if name == "default" {
                "default".to_owned()
            } else {
                format!("profile {name}")
            },
        ),
    ];
    for (path, section) in files {
        let Some(text) = path.and_then(|p| std::fs::read_to_string(p).ok()) else {
            continue;
        };
        let text = zeroize::Zeroizing::new(text);
        for (key, value) in ini_section(&text, &section) {
            merged.entry(key).or_insert(value);
        }
    }
    merged
}

/// The `key = value` pairs of `[section]` in an AWS-style INI file. Indented lines
/// (nested sub-settings such as `s3 =`) are skipped.
fn ini_section(text: &str, section: &str) -> Vec<(String, Secret)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(header) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            inside = header.trim() == section;
            continue;
        }
        if !inside || line.starts_with([' ', '\t']) {
            continue;
        }
        if let Some((key, value)) = trimmed.split_once('=') {
            out.push((key.trim().to_ascii_lowercase(), Secret::from(value.trim())));
        }
    }
    out
}

/// Finds credentials, in the SDKs' order.
///
/// # Errors
/// None found, or a `credential_process` or container endpoint that fails.
pub fn credentials() -> Result<Credentials, SyncError> {
    if let (Some(id), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        return Ok(Credentials {
            access_key_id: id,
            secret_access_key: Secret::new(secret),
            session_token: env("AWS_SESSION_TOKEN").map(Secret::new),
            source: "environment variables".to_owned(),
        });
    }
    let name = profile_name();
    let settings = profile(&name);
    if let (Some(id), Some(secret)) = (
        settings.get("aws_access_key_id"),
        settings.get("aws_secret_access_key"),
    ) {
        return Ok(Credentials {
            access_key_id: id.expose().to_owned(),
            secret_access_key: secret.clone(),
            session_token: settings.get("aws_session_token").cloned(),
            source: format!("profile `{name}`"),
        });
    }
    if let Some(command) = settings.get("credential_process") {
        return credential_process(command.expose(), &name);
    }
    if env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
        || env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some()
    {
        return container();
    }
    Err(SyncError::NoCredentials {
        store: STORE,
        searched: format!(
            "$AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY, profile `{name}` in ~/.aws/credentials and ~/.aws/config (static keys or credential_process), and container credentials"
        ),
    })
}

/// The JSON `credential_process` and the container endpoint return.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Issued {
    access_key_id: String,
    secret_access_key: Secret,
    #[serde(alias = "Token")]
    session_token: Option<Secret>,
}

fn credential_process(command: &str, profile: &str) -> Result<Credentials, SyncError> {
    let failed = |detail: String| SyncError::BadCredentials {
        store: STORE,
        detail: format!("credential_process of profile `{profile}` failed: {detail}"),
    };
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| failed(e.to_string()))?;
    let stdout = zeroize::Zeroizing::new(output.stdout);
    if !output.status.success() {
        return Err(failed(format!("it exited with {}", output.status)));
    }
    let issued: Issued = serde_json::from_slice(&stdout)
        .map_err(|_| failed("its output is not the credential JSON (Version 1)".to_owned()))?;
    Ok(Credentials {
        access_key_id: issued.access_key_id,
        secret_access_key: issued.secret_access_key,
        session_token: issued.session_token,
        source: format!("credential_process of profile `{profile}`"),
    })
}

fn container() -> Result<Credentials, SyncError> {
    let url = match env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        Some(relative) => format!("http://169.254.170.2{relative}"),
        None => env("AWS_CONTAINER_CREDENTIALS_FULL_URI").unwrap_or_default(),
    };
    let token = match env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
        Some(path) => std::fs::read_to_string(path)
            .ok()
            .map(|t| t.trim().to_owned()),
        None => env("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
    };
    let headers: Vec<(String, String)> = token
        .into_iter()
        .map(|t| ("Authorization".to_owned(), t))
        .collect();
    let http = Http::new("the container credentials endpoint");
    let reply = http.send(
        || {
            Ok(Request {
                method: "GET",
                url: &url,
                headers: headers.clone(),
                body: &[],
            })
        },
        |_| false,
    )?;
    if reply.status != 200 {
        return Err(SyncError::BadCredentials {
            store: STORE,
            detail: format!(
                "the container credentials endpoint answered HTTP {}",
                reply.status
            ),
        });
    }
    let issued: Issued = serde_json::from_slice(&reply.body).map_err(|_| SyncError::Protocol {
        store: STORE,
        detail: "the container credentials endpoint did not return credentials".to_owned(),
    })?;
    Ok(Credentials {
        access_key_id: issued.access_key_id,
        secret_access_key: issued.secret_access_key,
        session_token: issued.session_token,
        source: "container credentials".to_owned(),
    })
}

/// The region: the flag, `$AWS_REGION`, `$AWS_DEFAULT_REGION`, then the profile's `region`.
///
/// # Errors
/// None of them is set.
pub fn region(flag: Option<&str>) -> Result<String, SyncError> {
    flag.map(str::to_owned)
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .or_else(|| {
            profile(&profile_name())
                .get("region")
                .map(|r| r.expose().to_owned())
        })
        .ok_or(SyncError::Missing {
            what: "AWS region",
            fix: "pass --region or set $AWS_REGION",
        })
}

/// The endpoint for `service`: `$AWS_ENDPOINT_URL_<SERVICE>`, `$AWS_ENDPOINT_URL`, or the
/// regional AWS endpoint.
#[must_use]
pub fn endpoint(service: &str, region: &str) -> String {
    env(&format!(
        "AWS_ENDPOINT_URL_{}",
        service.to_ascii_uppercase()
    ))
    .or_else(|| env("AWS_ENDPOINT_URL"))
    .map_or_else(
        || format!("https://{service}.{region}.amazonaws.com"),
        |url| url.trim_end_matches('/').to_owned(),
    )
}

/// Signs a POST of `body` to `url` with SigV4 and returns the headers to send with it.
///
/// # Errors
/// The URL cannot be signed.
pub fn sign(
    credentials: &Credentials,
    region: &str,
    service: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Vec<(String, String)>, SyncError> {
    let identity = aws_credential_types::Credentials::new(
        &credentials.access_key_id,
        credentials.secret_access_key.expose(),
        credentials
            .session_token
            .as_ref()
            .map(|t| t.expose().to_owned()),
        None,
        "vault",
    )
    .into();
    let failed = || SyncError::InvalidArgument {
        what: "endpoint",
        value: super::http::origin(url).to_owned(),
        reason: "cannot be signed (is it a valid http(s) URL?)",
    };
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(SystemTime::now())
        .settings(aws_sigv4::http_request::SigningSettings::default())
        .build()
        .map_err(|_| failed())?
        .into();
    let signable = aws_sigv4::http_request::SignableRequest::new(
        "POST",
        url,
        headers.iter().copied(),
        aws_sigv4::http_request::SignableBody::Bytes(body),
    )
    .map_err(|_| failed())?;
    let (instructions, _signature) = aws_sigv4::http_request::sign(signable, &params)
        .map_err(|_| failed())?
        .into_parts();
    let mut out: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    out.extend(
        instructions
            .headers()
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_ini_section() {
        let text = "[default]\nregion = eu-west-1\n[profile ci]\naws_access_key_id = AKIA\nS3 =\n  max_concurrent_requests = 1\n; comment\nregion=us-east-2\n";
        let ci: BTreeMap<_, _> = ini_section(text, "profile ci").into_iter().collect();
        assert_eq!(ci["aws_access_key_id"].expose(), "AKIA");
        assert_eq!(ci["region"].expose(), "us-east-2");
        assert!(!ci.contains_key("max_concurrent_requests"));
        let default: BTreeMap<_, _> = ini_section(text, "default").into_iter().collect();
        assert_eq!(default.len(), 1);
    }

    proptest::proptest! {
        #[test]
        fn ini_parsing_never_panics_and_finds_what_was_written(
            noise in "[\\[\\]=#; a-z\n\t]{0,200}",
            value in "[A-Za-z0-9/+]{1,40}",
        ) {
            let _ = ini_section(&noise, "default");
            let text = format!("{noise}\n[profile ci]\naws_secret_access_key = {value}\n");
            let found: BTreeMap<_, _> = ini_section(&text, "profile ci").into_iter().collect();
            proptest::prop_assert_eq!(found["aws_secret_access_key"].expose(), value.as_str());
        }
    }

    #[test]
    fn signs_with_the_standard_headers() {
        let credentials = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Secret::from("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            session_token: Some(Secret::from("token")),
            source: "test".into(),
        };
        let headers = sign(
            &credentials,
            "us-east-1",
            "ssm",
            "https://ssm.us-east-1.amazonaws.com/",
            &[("x-amz-target", "AmazonSSM.GetParametersByPath")],
            b"{}",
        )
        .unwrap();
        let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
        for expected in ["authorization", "x-amz-date", "x-amz-security-token"] {
            assert!(names.contains(&expected), "{names:?}");
        }
        let auth = &headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .unwrap()
            .1;
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
            "{auth}"
        );
        assert!(auth.contains("/us-east-1/ssm/aws4_request"), "{auth}");
    }
}

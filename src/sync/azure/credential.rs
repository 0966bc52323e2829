//! Where Key Vault tokens come from: the credential chain (as the Azure SDKs'
//! `DefaultAzureCredential` orders it, for the sources a command-line tool can use) and
//! the 401 challenge that says which resource a token is for.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::STORE;
use crate::secret::Secret;
use crate::sync::SyncError;
use crate::sync::http::{Http, Request, check_https, host_of, origin};

/// How long `az account get-access-token` may take, as the Azure SDK for Python allows.
const CLI_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a token comes from, in `DefaultAzureCredential`'s order.
pub(super) enum Credential {
    /// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`.
    ClientSecret {
        authority: String,
        tenant: String,
        client: String,
        secret: Secret,
    },
    /// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE` (AKS workload
    /// identity, GitHub Actions OIDC through azure/login).
    Workload {
        authority: String,
        tenant: String,
        client: String,
        file: PathBuf,
    },
    /// `az account get-access-token`, by the path `az` was found at.
    Cli(PathBuf),
}

impl Credential {
    pub(super) fn describe(&self) -> &'static str {
        match self {
            Self::ClientSecret { .. } => "the client secret in $AZURE_CLIENT_SECRET",
            Self::Workload { .. } => "workload identity ($AZURE_FEDERATED_TOKEN_FILE)",
            Self::Cli(_) => "the Azure CLI's login",
        }
    }

    /// A token for `resource`.
    pub(super) fn token(&self, http: &Http, resource: &str) -> Result<Secret, SyncError> {
        let scope = format!("{}/.default", resource.trim_end_matches('/'));
        let (authority, tenant, form) = match self {
            Self::Cli(az) => return cli_token(az, resource),
            Self::ClientSecret {
                authority,
                tenant,
                client,
                secret,
            } => (
                authority,
                tenant,
                Zeroizing::new(format!(
                    "grant_type=client_credentials&client_id={}&client_secret={}&scope={}",
                    form_encode(client),
                    &*Zeroizing::new(form_encode(secret.expose())),
                    form_encode(&scope)
                )),
            ),
            Self::Workload {
                authority,
                tenant,
                client,
                file,
            } => {
                // Read on every use: the platform rotates the file.
                // Every copy of the assertion is wiped: it is a bearer credential until it
                // expires.
                let raw = read_assertion(file)?;
                let assertion = Zeroizing::new(form_encode(raw.trim()));
                (
                    authority,
                    tenant,
                    Zeroizing::new(format!(
                        "grant_type=client_credentials&client_id={}&client_assertion_type={}&client_assertion={}&scope={}",
                        form_encode(client),
                        form_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                        &*assertion,
                        form_encode(&scope)
                    )),
                )
            }
        };
        #[derive(Deserialize)]
        struct Token {
            access_token: String,
        }
        #[derive(Deserialize)]
        struct Failure {
            error: Option<String>,
            error_description: Option<String>,
        }
        let url = format!("{authority}/{tenant}/oauth2/v2.0/token");
        let reply = http.send(
            || {
                Ok(Request {
                    method: "POST",
                    url: &url,
                    headers: vec![(
                        "Content-Type".to_owned(),
                        "application/x-www-form-urlencoded".to_owned(),
                    )],
                    body: form.as_bytes(),
                })
            },
            |_| false,
        )?;
        if reply.status != 200 {
            let failure: Option<Failure> = serde_json::from_slice(&reply.body).ok();
            // Entra ID's descriptions run to several lines with trace ids; the first says why.
            let detail = failure
                .map(|f| {
                    format!(
                        "{}: {}",
                        f.error.unwrap_or_default(),
                        f.error_description
                            .unwrap_or_default()
                            .lines()
                            .next()
                            .unwrap_or("")
                    )
                })
                .unwrap_or_else(|| format!("HTTP {}", reply.status));
            let secret = match self {
                Self::ClientSecret { secret, .. } => Some(secret),
                _ => None,
            };
            return Err(SyncError::BadCredentials {
                store: STORE,
                detail: format!(
                    "Microsoft Entra ID refused {}: {}",
                    self.describe(),
                    crate::sync::redact(&detail, secret)
                ),
            });
        }
        let token: Token =
            serde_json::from_slice(&reply.body).map_err(|e| SyncError::Protocol {
                store: STORE,
                detail: format!("the token endpoint's reply: {e}"),
            })?;
        Ok(Secret::new(token.access_token))
    }

    /// The first source the environment configures.
    pub(super) fn resolve() -> Result<Self, SyncError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let authority = || -> Result<String, SyncError> {
            let host = var("AZURE_AUTHORITY_HOST")
                .unwrap_or_else(|| "https://login.microsoftonline.com".to_owned());
            check_https(&host, "$AZURE_AUTHORITY_HOST")?;
            Ok(host.trim_end_matches('/').to_owned())
        };
        let tenant = var("AZURE_TENANT_ID");
        let client = var("AZURE_CLIENT_ID");
        if let Some(t) = &tenant
            && !t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return Err(SyncError::InvalidArgument {
                what: "$AZURE_TENANT_ID",
                value: t.clone(),
                reason: "a tenant is a GUID or a domain such as contoso.onmicrosoft.com",
            });
        }
        if let (Some(tenant), Some(client)) = (&tenant, &client) {
            if let Some(secret) = var("AZURE_CLIENT_SECRET") {
                return Ok(Self::ClientSecret {
                    authority: authority()?,
                    tenant: tenant.clone(),
                    client: client.clone(),
                    secret: Secret::new(secret),
                });
            }
            if let Some(file) = var("AZURE_FEDERATED_TOKEN_FILE") {
                return Ok(Self::Workload {
                    authority: authority()?,
                    tenant: tenant.clone(),
                    client: client.clone(),
                    file: PathBuf::from(file),
                });
            }
        }
        if let Some(az) = find_on_path("az") {
            return Ok(Self::Cli(az));
        }
        Err(SyncError::NoCredentials {
            store: STORE,
            searched: "$AZURE_CLIENT_SECRET and $AZURE_FEDERATED_TOKEN_FILE (each with $AZURE_TENANT_ID and $AZURE_CLIENT_ID), and the Azure CLI (`az` is not on PATH)".to_owned(),
        })
    }
}

/// The largest federated token file read (a projected service-account token or an
/// Actions OIDC token is a few KB).
const MAX_ASSERTION: u64 = 16 * 1024;

/// The JWT in the federated token file. The file is followed through symlinks (Kubernetes
/// projects it through `..data` links), but it must be a regular file holding one compact
/// JWT: whatever else the variable points at (a FIFO or `/dev/zero` would hang or exhaust
/// memory; a private key or a `.env` would be sent to the authority as the assertion) is
/// refused before anything is read or sent, and its content is never quoted.
fn read_assertion(file: &std::path::Path) -> Result<Zeroizing<String>, SyncError> {
    use std::io::Read as _;
    let refuse = |why: String| SyncError::NoCredentials {
        store: STORE,
        searched: format!("$AZURE_FEDERATED_TOKEN_FILE ({}: {why})", file.display()),
    };
    let meta = std::fs::metadata(file).map_err(|e| refuse(e.to_string()))?;
    if !meta.is_file() {
        return Err(refuse("not a regular file".to_owned()));
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_ASSERTION as usize + 1));
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_ASSERTION + 1).read_to_end(&mut bytes))
        .map_err(|e| refuse(e.to_string()))?;
    let not_jwt = || refuse("does not hold a JWT; nothing was sent".to_owned());
    if bytes.len() as u64 > MAX_ASSERTION {
        return Err(not_jwt());
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| not_jwt())?;
    let jwt = text.trim();
    let segments: Vec<&str> = jwt.split('.').collect();
    if segments.len() != 3
        || segments[..2].iter().any(|s| s.is_empty())
        || !jwt
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.=".contains(c))
    {
        return Err(not_jwt());
    }
    Ok(Zeroizing::new(jwt.to_owned()))
}

/// The executable `name` in `$PATH`, as a shell would find it (without running one).
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(name))
        .find(|candidate| {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                std::fs::metadata(candidate)
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            }
            #[cfg(not(unix))]
            {
                candidate.is_file()
            }
        })
}

/// Percent-encodes for a form body or query (everything but unreserved characters).
fn form_encode(text: &str) -> String {
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

/// The parameters of a `WWW-Authenticate: Bearer k="v", …` challenge.
fn parse_challenge(header: &str) -> Option<BTreeMap<String, String>> {
    let rest = header.trim().strip_prefix("Bearer")?.trim();
    let mut out = BTreeMap::new();
    for part in rest.split(',') {
        let (k, v) = part.split_once('=')?;
        out.insert(
            k.trim().to_ascii_lowercase(),
            v.trim().trim_matches('"').to_owned(),
        );
    }
    Some(out)
}

/// The resource a challenge asks a token for (`resource`, or `scope` without `/.default`),
/// checked against the vault's host as the SDKs do: the vault must be in the resource's
/// domain (`myvault.vault.azure.net` for `https://vault.azure.net`).
pub(super) fn challenge_resource(header: &str, vault: &str) -> Result<String, SyncError> {
    let protocol = |detail: String| SyncError::Protocol {
        store: STORE,
        detail,
    };
    let params = parse_challenge(header)
        .ok_or_else(|| protocol("a 401 without a Bearer challenge".to_owned()))?;
    let resource = params
        .get("resource")
        .cloned()
        .or_else(|| {
            params
                .get("scope")
                .map(|s| s.trim_end_matches("/.default").to_owned())
        })
        .ok_or_else(|| protocol("a Bearer challenge without a resource or scope".to_owned()))?;
    // The resource becomes the token request's scope (`{resource}/.default`) and `az`'s
    // `--resource`: it must be an origin and nothing more, or a server could append a
    // second scope (`https://vault.azure.net/ https://graph.microsoft.com`) or a query
    // after the part the domain check reads.
    let bare = resource
        .strip_prefix("https://")
        .or_else(|| resource.strip_prefix("http://"))
        .map(|rest| rest.strip_suffix('/').unwrap_or(rest));
    let clean = bare.is_some_and(|host| {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
    });
    let (want, vault_host) = (host_of(&resource), host_of(vault));
    if !clean
        || want.is_empty()
        || !(vault_host == want || vault_host.ends_with(&format!(".{want}")))
    {
        return Err(protocol(format!(
            "the server at {} asked for a token for {resource}, which is not its own domain; no token was sent",
            origin(vault)
        )));
    }
    Ok(resource)
}

/// The most `az account get-access-token` may print (its JSON is a few KB).
const MAX_CLI_OUTPUT: usize = 64 * 1024;

/// Whether `az` is given the variable `name`: what it needs to find its login, its
/// configuration and the network (Azure CLI settings, home, locale, proxies and CA bundles,
/// Windows' system folders), nothing else, so the other stores' tokens, `$VAULT_*`
/// settings and whatever else the deploy environment holds do not reach a program found on
/// `PATH`.
fn cli_env_allowed(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "TMPDIR",
        "TMP",
        "TEMP",
        "LANG",
        "LANGUAGE",
        "TZ",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "REQUESTS_CA_BUNDLE",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "CURL_CA_BUNDLE",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
        "XDG_RUNTIME_DIR",
        "SYSTEMROOT",
        "SystemRoot",
        "WINDIR",
        "COMSPEC",
        "PATHEXT",
        "USERPROFILE",
        "APPDATA",
        "LOCALAPPDATA",
        "PROGRAMFILES",
        "ProgramFiles",
        "ProgramFiles(x86)",
        "PROGRAMDATA",
        // az is Python: an install through pyenv, a virtualenv or conda finds itself so.
        "PYENV_ROOT",
        "PYENV_VERSION",
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
    ];
    if EXACT.contains(&name) || name.starts_with("LC_") {
        return true;
    }
    // `AZURE_CONFIG_DIR`, `AZURE_CORE_*`, `AZURE_EXTENSION_DIR`, … but not a secret meant
    // for the client-secret credential.
    let upper = name.to_ascii_uppercase();
    upper.starts_with("AZURE_")
        && !["SECRET", "PASSWORD", "TOKEN", "CERTIFICATE"]
            .iter()
            .any(|w| upper.contains(w))
}

/// Reads `pipe` on a thread, in chunks (each wiped), up to [`MAX_CLI_OUTPUT`].
fn drain(
    mut pipe: impl std::io::Read + Send + 'static,
) -> std::sync::mpsc::Receiver<Zeroizing<Vec<u8>>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut total = 0;
        loop {
            let mut chunk = Zeroizing::new(vec![0u8; 4096]);
            match pipe.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    chunk.truncate(n);
                    total += n;
                    if tx.send(chunk).is_err() || total > MAX_CLI_OUTPUT {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// What `drain` read until the pipe closed or `deadline` passed: a process `az` left
/// behind can hold the pipe open after `az` exits, and must not hang the push.
fn collect(
    rx: &std::sync::mpsc::Receiver<Zeroizing<Vec<u8>>>,
    deadline: std::time::Instant,
) -> Zeroizing<Vec<u8>> {
    // Sized up front so growing it leaves no unwiped copies.
    let mut out = Zeroizing::new(Vec::with_capacity(MAX_CLI_OUTPUT + 4096));
    while let Ok(chunk) =
        rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
    {
        if out.len() + chunk.len() > out.capacity() {
            break;
        }
        out.extend_from_slice(&chunk);
    }
    out
}

/// A token from `az account get-access-token`, run directly (no shell, so nothing in the
/// resource is interpreted), with the SDK's timeout, only the environment it needs
/// ([`cli_env_allowed`]) and bounded output. Its stdout holds the token and is wiped.
fn cli_token(az: &std::path::Path, resource: &str) -> Result<Secret, SyncError> {
    #[derive(Deserialize)]
    struct Token {
        #[serde(rename = "accessToken")]
        access_token: String,
    }
    let env: Vec<(std::ffi::OsString, std::ffi::OsString)> = std::env::vars_os()
        .filter(|(name, _)| name.to_str().is_some_and(cli_env_allowed))
        .collect();
    let mut child = std::process::Command::new(az)
        .args([
            "account",
            "get-access-token",
            "--output",
            "json",
            "--resource",
            resource,
        ])
        .env_clear()
        .envs(env)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| SyncError::NoCredentials {
            store: STORE,
            searched: format!("the Azure CLI ({}: {e})", az.display()),
        })?;
    // Read both pipes while waiting, so a chatty az cannot block on a full pipe.
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let started = std::time::Instant::now();
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if started.elapsed() > CLI_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(SyncError::BadCredentials {
                store: STORE,
                detail: format!(
                    "`az account get-access-token` did not answer within {} seconds",
                    CLI_TIMEOUT.as_secs()
                ),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let grace = std::time::Instant::now() + Duration::from_secs(1);
    let out = stdout.map_or_else(Zeroizing::default, |rx| collect(&rx, grace));
    let err = stderr.map_or_else(Zeroizing::default, |rx| collect(&rx, grace));
    let err = String::from_utf8_lossy(&err).into_owned();
    if !status.success() {
        // As the SDK: "run az login" means no credential here, anything else a failure.
        if err.contains("az login") || err.contains("az account set") {
            return Err(SyncError::NoCredentials {
                store: STORE,
                searched: "$AZURE_CLIENT_SECRET, $AZURE_FEDERATED_TOKEN_FILE and the Azure CLI, which is not logged in".to_owned(),
            });
        }
        let line = err
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no message");
        return Err(SyncError::BadCredentials {
            store: STORE,
            detail: format!(
                "`az account get-access-token` failed: {}",
                crate::sync::redact(&crate::untrusted::sanitize(line), [])
            ),
        });
    }
    // serde's message can quote what it read (`invalid type: string "eyJ…"`), which here
    // may be the token itself: only where it went wrong is said.
    let token: Token = serde_json::from_slice(&out).map_err(|e| SyncError::Protocol {
        store: STORE,
        detail: format!(
            "`az account get-access-token`'s output is not the JSON it should print (line {}, column {})",
            e.line(),
            e.column()
        ),
    })?;
    Ok(Secret::new(token.access_token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_must_name_the_vaults_own_domain() {
        let header = r#"Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net""#;
        assert_eq!(
            challenge_resource(header, "https://myvault.vault.azure.net").unwrap(),
            "https://vault.azure.net"
        );
        let scoped = r#"Bearer authorization="https://login.microsoftonline.com/t", scope="https://vault.azure.net/.default""#;
        assert_eq!(
            challenge_resource(scoped, "https://myvault.vault.azure.net").unwrap(),
            "https://vault.azure.net"
        );
        for vault in [
            "https://myvault.evil.net",
            "https://vault.azure.net.evil.net",
        ] {
            assert!(challenge_resource(header, vault).is_err(), "{vault}");
        }
        let storage = r#"Bearer authorization="https://login.microsoftonline.com/t", resource="https://storage.azure.com""#;
        assert!(challenge_resource(storage, "https://myvault.vault.azure.net").is_err());
        assert!(challenge_resource("Basic realm=x", "https://myvault.vault.azure.net").is_err());
    }

    #[test]
    fn hosts_and_schemes() {
        assert_eq!(host_of("https://user@Host.example:8443/x"), "host.example");
        assert!(check_https("http://127.0.0.1:8080", "x").is_ok());
        assert!(check_https("http://myvault.vault.azure.net", "x").is_err());
    }

    #[test]
    fn forms_are_encoded() {
        assert_eq!(form_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}

//! `vault check`: the CI gate, as data.
//!
//! Key-free checks run on every environment (the file exists, is valid age armor, and is
//! sealed to exactly the recipients `.vault.toml` names). Environments the caller can
//! decrypt also get the template rules, rotation deadlines, must-rotate marks, and the
//! cross-environment rule that no secret value is shared. Findings name secrets and
//! environments, never values.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::Serialize;

use crate::auth::{Seal, Stanza};
use crate::crypto;
use crate::identity::Identities;
use crate::payload::Payload;
use crate::schema::{Format, Template};
use crate::store::{StoreError, Vault};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the check.
    Error,
    /// Reported; fails only with `--strict`.
    Warning,
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// A stable code for scripts: `missing`, `format`, `overdue`, `drift`, …
    pub code: &'static str,
    /// The environment, if the finding belongs to one.
    pub env: Option<String>,
    /// The secret, if the finding belongs to one.
    pub secret: Option<String>,
    /// A value-free sentence.
    pub message: String,
}

/// The outcome for one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvStatus {
    /// The environment.
    pub env: String,
    /// Whether its secrets were decrypted and checked.
    pub decrypted: bool,
    /// Why not, when not.
    pub not_decrypted_reason: Option<String>,
    /// How many secrets it holds, when decrypted.
    pub secrets: Option<usize>,
}

/// Everything `vault check` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The moment rotation was evaluated at.
    pub as_of: Timestamp,
    /// Per environment.
    pub envs: Vec<EnvStatus>,
    /// All findings, environment order then severity.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether the check fails: any error, or any warning when `strict`.
    #[must_use]
    pub fn fails(&self, strict: bool) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == Severity::Error || strict)
    }
}

/// Records a finding for the environment being checked: severity, code, secret, message.
type Push<'a> = dyn FnMut(Severity, &'static str, Option<&str>, String) + 'a;

/// Options for [`run`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Environments to check (empty: all).
    pub envs: Vec<String>,
    /// Evaluate rotation as of this moment.
    pub as_of: Timestamp,
}

/// Days a secret may go unrotated, and the day it is due.
#[must_use]
pub fn due(rotated_at: Timestamp, days: u32) -> Timestamp {
    rotated_at
        .checked_add(jiff::SignedDuration::from_hours(i64::from(days) * 24))
        .unwrap_or(Timestamp::MAX)
}

/// Whole days between two moments (floor), for messages.
#[must_use]
pub fn days_between(from: Timestamp, to: Timestamp) -> i64 {
    to.duration_since(from).as_hours().div_euclid(24)
}

/// Runs every check. `identities` may be `None` (key-free checks only).
///
/// # Errors
/// Only failures that make the check itself impossible (unknown environment, unreadable
/// template); problems with files are findings.
pub fn run(
    vault: &Vault,
    identities: Option<&Identities>,
    options: &Options,
) -> Result<Report, StoreError> {
    let template = vault.template()?;
    let envs: Vec<String> = if options.envs.is_empty() {
        vault.config().env_names().map(str::to_owned).collect()
    } else {
        for env in &options.envs {
            vault.require_env(env)?;
        }
        options.envs.clone()
    };
    let mut findings = Vec::new();
    let mut statuses = Vec::new();
    let mut payloads: Vec<(String, Payload)> = Vec::new();
    for env in &envs {
        let mut push = |severity, code, secret: Option<&str>, message: String| {
            findings.push(Finding {
                severity,
                code,
                env: Some(env.clone()),
                secret: secret.map(str::to_owned),
                message,
            });
        };
        let ciphertext = match vault.read_ciphertext(env) {
            Ok(bytes) => bytes,
            Err(e) => {
                push(Severity::Error, "missing-file", None, e.to_string());
                statuses.push(EnvStatus {
                    env: env.clone(),
                    decrypted: false,
                    not_decrypted_reason: Some("file missing".into()),
                    secrets: None,
                });
                continue;
            }
        };
        if let Err(e) = crypto::check_header(&ciphertext) {
            push(
                Severity::Error,
                "invalid-file",
                None,
                format!("secrets/{env}.age is not valid age armor: {e}"),
            );
        }
        let pins = identities.map(Identities::pins).unwrap_or_default();
        let seal = authenticity(vault, env, &ciphertext, &pins, &mut push)?;
        drift(vault, env, seal.as_ref(), &mut push)?;
        post_quantum(vault, env, &ciphertext, &mut push);
        let Some(identities) = identities else {
            statuses.push(EnvStatus {
                env: env.clone(),
                decrypted: false,
                not_decrypted_reason: Some("no identity".into()),
                secrets: None,
            });
            continue;
        };
        match vault.decrypt_bytes(env, &ciphertext, identities) {
            Ok(payload) => {
                statuses.push(EnvStatus {
                    env: env.clone(),
                    decrypted: true,
                    not_decrypted_reason: None,
                    secrets: Some(payload.secrets.len()),
                });
                secrets(env, &payload, template.as_ref(), options.as_of, &mut push);
                payloads.push((env.clone(), payload));
            }
            Err(e @ StoreError::Unauthenticated { .. }) => {
                // Found only with a key (an unconfirmed upgrade): not reported key-free.
                if seal.is_some() {
                    push(Severity::Error, "unauthenticated", None, e.to_string());
                }
                statuses.push(EnvStatus {
                    env: env.clone(),
                    decrypted: false,
                    not_decrypted_reason: Some("not authenticated".into()),
                    secrets: None,
                });
            }
            Err(StoreError::NoAccess { .. } | StoreError::PassphraseUnavailable { .. }) => {
                statuses.push(EnvStatus {
                    env: env.clone(),
                    decrypted: false,
                    not_decrypted_reason: Some("not a recipient".into()),
                    secrets: None,
                });
            }
            Err(e) => {
                push(Severity::Error, "undecryptable", None, e.to_string());
                statuses.push(EnvStatus {
                    env: env.clone(),
                    decrypted: false,
                    not_decrypted_reason: Some("damaged or tampered".into()),
                    secrets: None,
                });
            }
        }
    }
    findings.extend(shared_values(&payloads, template.as_ref()));
    findings.extend(template_drift(vault, template.as_ref()));
    Ok(Report {
        as_of: options.as_of,
        envs: statuses,
        findings,
    })
}

/// Who wrote the current version and every committed one (no key needed). Returns the
/// current version's verified stanza, if it has one.
fn authenticity(
    vault: &Vault,
    env: &str,
    ciphertext: &[u8],
    pins: &[crate::auth::Pin],
    push: &mut Push<'_>,
) -> Result<Option<Stanza>, StoreError> {
    let verdict = vault.verify_current(env, ciphertext, pins);
    let anchor = match &verdict {
        Ok(Seal::Signed(stanza)) => Some(stanza.chain.genesis_key()),
        // An ambiguous history is already reported through the current version's verdict.
        _ => vault.history_anchor(env).ok().flatten().map(|a| a.key),
    };
    let history = vault.provenance(env, anchor)?;
    let current_commit = history
        .introduced(ciphertext)
        .map(|(c, a)| (c.to_owned(), a.to_owned()));
    let stanza = match verdict {
        Ok(Seal::Signed(stanza)) => Some(stanza),
        Ok(Seal::Legacy) => {
            push(
                Severity::Warning,
                "legacy-format",
                None,
                format!(
                    "secrets/{env}.age is in the old unauthenticated format: anyone who can push could replace it; a reader should run `vault upgrade`"
                ),
            );
            None
        }
        Ok(Seal::Unreadable) => None,
        Err(e @ StoreError::WrongEnvironment { .. }) => {
            push(Severity::Error, "wrong-environment", None, e.to_string());
            None
        }
        Err(StoreError::Unauthenticated { reason, .. }) => {
            let origin = current_commit.as_ref().map_or_else(
                || "not committed yet".to_owned(),
                |(c, a)| format!("introduced by commit {} by \"{a}\"", short(c)),
            );
            push(
                Severity::Error,
                "unauthenticated",
                None,
                format!("the current secrets/{env}.age ({origin}) is not authenticated: {reason}"),
            );
            None
        }
        Err(e) => return Err(e),
    };
    for problem in &history.problems {
        if stanza.is_none()
            && current_commit
                .as_ref()
                .is_some_and(|(c, _)| *c == problem.commit)
        {
            continue;
        }
        let (severity, code) = if problem.warning {
            (Severity::Warning, "restored")
        } else {
            (Severity::Error, "unauthenticated")
        };
        push(
            severity,
            code,
            None,
            format!(
                "secrets/{env}.age at commit {} (by \"{}\") is not authenticated: {}",
                short(&problem.commit),
                problem.author,
                problem.reason
            ),
        );
    }
    let pending = vault.pending_recipients_path(env);
    if let Some(repo) = vault.git()
        && let Some(path) = repo.repo_path(&pending)
        && repo.is_tracked(&path)
    {
        push(
            Severity::Error,
            "stray-file",
            None,
            format!(
                "{path} is committed; vault never trusts it (it is a leftover of older releases): `git rm --cached {path}`"
            ),
        );
    }
    Ok(stanza)
}

/// Files sealed to classic keys can be read by a future quantum computer from any clone of
/// the history ("harvest now, decrypt later"): a warning, or an error where the roster
/// requires post-quantum keys.
fn post_quantum(vault: &Vault, env: &str, ciphertext: &[u8], push: &mut Push<'_>) {
    let Some(false) = crypto::sealed_post_quantum(ciphertext, crate::auth::STANZA_TAG) else {
        return;
    };
    if vault.config().requires_pq(env) {
        push(
            Severity::Error,
            "legacy-recipient",
            None,
            format!(
                "secrets/{env}.age is sealed to classic keys, but .vault.toml requires post-quantum keys for `{env}` (`require_pq = true`); a reader runs `vault rekey {env}`"
            ),
        );
        return;
    }
    let missing = vault.config().missing_pq(env);
    let next = if missing.is_empty() {
        format!("every member has a post-quantum key: a reader runs `vault rekey {env} --pq`")
    } else {
        format!(
            "to move it (`vault rekey {env} --pq`), {} first need{} a post-quantum key (`vault identity new --pq`)",
            missing.join(", "),
            if missing.len() == 1 { "s" } else { "" }
        )
    };
    push(
        Severity::Warning,
        "legacy-recipient",
        None,
        format!(
            "secrets/{env}.age is sealed to classic keys, which a future quantum computer could break from any copy of the history; {next}"
        ),
    );
}

fn short(commit: &str) -> &str {
    crate::store::verify::short(commit)
}

fn drift(
    vault: &Vault,
    env: &str,
    seal: Option<&Stanza>,
    push: &mut Push<'_>,
) -> Result<(), StoreError> {
    let wanted: BTreeSet<String> = vault
        .config()
        .recipients_for(env)
        .unwrap_or_default()
        .iter()
        .map(|r| r.canonical().to_owned())
        .collect();
    if let Some(stanza) = seal {
        // The signed list is the truth; the plaintext summary is only its readable view.
        let config = vault.config();
        let mut gains: BTreeSet<String> = BTreeSet::new();
        for key in &wanted {
            if !stanza.lists(key) {
                gains.insert(
                    config
                        .owner_of(key)
                        .map_or_else(|| crate::members::short_key(key), str::to_owned),
                );
            }
        }
        let known = stanza
            .recipients
            .iter()
            .filter(|fp| wanted.iter().any(|k| crate::auth::fingerprint(k) == **fp))
            .count();
        let mut parts = Vec::new();
        if !gains.is_empty() {
            parts.push(format!(
                "not yet readable by {}",
                gains.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        if known < stanza.recipients.len() {
            let who = vault
                .read_summary(env)?
                .unwrap_or_default()
                .iter()
                .filter(|k| stanza.lists(k) && !wanted.contains(*k))
                .map(|k| {
                    config
                        .owner_of(k)
                        .map_or_else(|| crate::members::short_key(k), str::to_owned)
                })
                .collect::<BTreeSet<_>>();
            let extra = stanza.recipients.len() - known;
            let names = if who.len() == extra {
                who.into_iter().collect::<Vec<_>>().join(", ")
            } else {
                format!("{extra} key(s) not in .vault.toml")
            };
            parts.push(format!("still readable by {names}"));
        }
        if !parts.is_empty() {
            push(
                Severity::Error,
                "drift",
                None,
                format!(
                    "secrets/{env}.age is out of date with .vault.toml ({}); a reader should run `vault rekey {env}`",
                    parts.join("; ")
                ),
            );
        }
        if vault.read_recipients(env)?.is_none() {
            push(
                Severity::Error,
                "drift",
                None,
                format!(
                    "secrets/{env}.recipients is missing or does not match the recipients signed into secrets/{env}.age; a reader should run `vault rekey {env}` (or restore it from git)"
                ),
            );
        }
        return Ok(());
    }
    match vault.read_recipients(env)? {
        None => push(
            Severity::Error,
            "drift",
            None,
            format!(
                "secrets/{env}.recipients is missing, so nobody can tell who reads `{env}`; a reader should run `vault rekey {env}`"
            ),
        ),
        Some(sealed) => {
            let sealed: BTreeSet<String> = sealed.into_iter().collect();
            if sealed != wanted {
                let config = vault.config();
                let who = |keys: Vec<&String>| -> String {
                    keys.iter()
                        .map(|k| {
                            config
                                .owner_of(k)
                                .map_or_else(|| crate::members::short_key(k), str::to_owned)
                        })
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let gains = who(wanted.difference(&sealed).collect());
                let loses = who(sealed.difference(&wanted).collect());
                let mut parts = Vec::new();
                if !gains.is_empty() {
                    parts.push(format!("not yet readable by {gains}"));
                }
                if !loses.is_empty() {
                    parts.push(format!("still readable by {loses}"));
                }
                push(
                    Severity::Error,
                    "drift",
                    None,
                    format!(
                        "secrets/{env}.age is out of date with .vault.toml ({}); a reader should run `vault rekey {env}`",
                        parts.join("; ")
                    ),
                );
            }
        }
    }
    Ok(())
}

fn secrets(
    env: &str,
    payload: &Payload,
    template: Option<&Template>,
    as_of: Timestamp,
    push: &mut Push<'_>,
) {
    if let Some(template) = template {
        let values = payload
            .secrets
            .iter()
            .map(|(n, e)| (n.as_str(), e.value.expose()));
        for violation in template.validate(env, values) {
            let (severity, code) = match violation.kind {
                crate::schema::ViolationKind::Missing => (Severity::Error, "missing"),
                crate::schema::ViolationKind::Format { .. } => (Severity::Error, "format"),
                crate::schema::ViolationKind::Pattern { .. } => (Severity::Error, "pattern"),
                crate::schema::ViolationKind::TooShort { .. } => (Severity::Error, "too-short"),
                crate::schema::ViolationKind::NotInTemplate => {
                    (Severity::Warning, "not-in-template")
                }
            };
            push(
                severity,
                code,
                Some(&violation.secret),
                violation.to_string(),
            );
        }
    }
    for name in
        crate::exec::blocked_loader_variables(template, payload.secrets.keys().map(String::as_str))
    {
        push(
            Severity::Error,
            "loader-variable",
            Some(&name),
            format!(
                "`{name}` in `{env}` changes how programs load code, so `vault exec` refuses to pass it; declare it with `allow_loader = true` in .secrets.example.toml if that is intended"
            ),
        );
    }
    for name in payload.conflicts.keys() {
        push(
            Severity::Error,
            "conflict",
            Some(name),
            format!("`{name}` in `{env}` has an unresolved merge conflict; run `vault edit {env}`"),
        );
    }
    for (name, entry) in &payload.secrets {
        if let Some(mark) = &entry.must_rotate {
            push(
                Severity::Error,
                "must-rotate",
                Some(name),
                format!(
                    "`{name}` in `{env}` must be rotated: {} (since {})",
                    mark.reason,
                    mark.since.strftime("%Y-%m-%d")
                ),
            );
        }
        if let Some(days) = template
            .and_then(|t| t.get(name))
            .and_then(|s| s.rotate_days)
        {
            let due_at = due(entry.rotated_at, days);
            if as_of >= due_at {
                push(
                    Severity::Error,
                    "overdue",
                    Some(name),
                    format!(
                        "`{name}` in `{env}` is overdue for rotation: last rotated {}, every {days} days, due {} ({} days ago)",
                        entry.rotated_at.strftime("%Y-%m-%d"),
                        due_at.strftime("%Y-%m-%d"),
                        days_between(due_at, as_of)
                    ),
                );
            }
        }
    }
}

/// Formats whose values are legitimately equal across environments (ports, flags, numbers).
fn may_repeat(format: Format) -> bool {
    matches!(
        format,
        Format::Int | Format::Bool | Format::Port | Format::Email
    )
}

/// Values shorter than this are too common (`true`, `5432`) to signal a shared secret.
const MIN_SHARED_LEN: usize = 8;

fn shared_values(payloads: &[(String, Payload)], template: Option<&Template>) -> Vec<Finding> {
    let mut seen: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for (env, payload) in payloads {
        for (name, entry) in &payload.secrets {
            let format = template
                .and_then(|t| t.get(name))
                .map_or(Format::String, |s| s.format);
            let value = entry.value.expose();
            if value.len() >= MIN_SHARED_LEN && !may_repeat(format) {
                seen.entry(value).or_default().push((env, name));
            }
        }
    }
    let mut findings = Vec::new();
    for places in seen.values() {
        let envs: BTreeSet<&str> = places.iter().map(|(env, _)| *env).collect();
        if envs.len() < 2 {
            continue;
        }
        let names: BTreeSet<&str> = places.iter().map(|(_, name)| *name).collect();
        let described: Vec<String> = places
            .iter()
            .map(|(env, name)| format!("{env}/{name}"))
            .collect();
        findings.push(Finding {
            severity: Severity::Error,
            code: "shared-value",
            env: None,
            secret: (names.len() == 1).then(|| names.iter().next().map(|n| (*n).to_owned())).flatten(),
            message: format!("the same value is used in several environments: {} (each environment needs its own secret)", described.join(", ")),
        });
    }
    findings
}

/// The most of a file read to look for a generated file's header.
const HEADER_PEEK: usize = 1024;
/// A generated file larger than this is not compared but reported: no template makes one.
const MAX_GENERATED: u64 = 16 << 20;

/// Generated validators checked into the repository (under the vault's root, their first
/// lines carrying [`crate::codegen::HEADER_MARKER`]) that differ from what
/// `vault template export` would write now with the options in their header: edited by
/// hand, or the template changed and nobody regenerated them. Only git-tracked files with
/// a source or dotenv name are read, and of most only their first kilobyte.
fn template_drift(vault: &Vault, template: Option<&Template>) -> Vec<Finding> {
    use std::io::Read as _;
    let Ok(Some((_, files))) = crate::git::tracked_files(vault.root()) else {
        return Vec::new();
    };
    let root = vault
        .root()
        .canonicalize()
        .unwrap_or_else(|_| vault.root().to_owned());
    let candidate = |path: &std::path::Path| {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        matches!(ext, "py" | "ts" | "mts" | "cts" | "js" | "mjs" | "cjs") || name.contains(".env")
    };
    let mut findings = Vec::new();
    for path in files
        .iter()
        .filter(|p| p.starts_with(&root) && candidate(p))
    {
        let Ok(file) = std::fs::File::open(path) else {
            continue;
        };
        let mut head = Vec::with_capacity(HEADER_PEEK);
        if file
            .take(HEADER_PEEK as u64)
            .read_to_end(&mut head)
            .is_err()
        {
            continue;
        }
        let Some(options) = crate::codegen::parse_header(&String::from_utf8_lossy(&head)) else {
            continue;
        };
        let shown = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        let command = format!(
            "vault template export --format {} --env-var {} -o {shown}",
            options.target.name(),
            options.env_var
        );
        let problem = match template {
            None => Some(format!(
                "{shown} was generated from {}, which no longer exists; delete it, or restore the template and run `{command}`",
                crate::schema::TEMPLATE_FILE
            )),
            Some(template) => match crate::codegen::export(template, &options) {
                Err(e) => Some(format!("{shown} cannot be regenerated: {e}")),
                Ok(expected) => {
                    let same = std::fs::metadata(path).is_ok_and(|m| {
                        m.len() == expected.len() as u64 && m.len() <= MAX_GENERATED
                    }) && std::fs::read(path)
                        .is_ok_and(|bytes| bytes == expected.as_bytes());
                    (!same).then(|| format!(
                        "{shown} differs from what `vault template export` generates from {} now (edited by hand, or the template changed since): run `{command}` and commit it",
                        crate::schema::TEMPLATE_FILE
                    ))
                }
            },
        };
        if let Some(message) = problem {
            findings.push(Finding {
                severity: Severity::Error,
                code: "template-drift",
                env: None,
                secret: None,
                message,
            });
        }
    }
    findings
}

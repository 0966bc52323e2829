//! Single-secret commands (`set`, `unset`, `get`, `ls`) and the escape hatches
//! (`export`, `import`).

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use crate::cli::args::{ExportArgs, ExportFormat, ImportArgs, KeyArgs, LsArgs, SetArgs};
use crate::cli::{Context, Outcome, print_json, prompt, render, stdout_error};
use crate::dotenv;
use crate::error::Error;
use crate::payload::{self, Payload};
use crate::secret::Secret;

/// `vault set <env> KEY [VALUE]`.
pub fn set(context: &Context, args: SetArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    vault.require_env(&args.env)?;
    // Validate the name before asking for a value, so nobody types a secret for nothing.
    payload::check_value(&args.key, "")?;
    let value = read_value(
        args.value.as_deref(),
        args.from_file.as_deref(),
        &args.key,
        &args.env,
    )?;
    payload::check_value(&args.key, value.expose())?;
    let value_check = value.clone();
    let identities = context.identities()?;
    let changed = vault.update(&args.env, &identities, |payload| -> Result<_, Error> {
        let changed = payload.set(&args.key, value, jiff::Timestamp::now())?;
        Ok((changed, changed))
    })?;
    let _ = out;
    warn_template(&vault, &args.env, &args.key, &value_check);
    if changed {
        render::note(&format!("set `{}` in `{}`", args.key, args.env));
    } else {
        render::note(&format!(
            "`{}` in `{}` already has this value; nothing changed",
            args.key, args.env
        ));
    }
    Ok(Outcome::Success)
}

/// Warns (without blocking) when a value breaks the template's rules for `env`, so the
/// mistake shows now rather than at the next deploy, where `exec` refuses it.
fn warn_template(vault: &crate::store::Vault, env: &str, key: &str, value: &Secret) {
    let Ok(Some(template)) = vault.template() else {
        return;
    };
    match template.get(key) {
        Some(spec) => {
            for kind in spec.check(env, value.expose()) {
                let violation = crate::schema::Violation {
                    secret: key.to_owned(),
                    env: env.to_owned(),
                    kind,
                };
                render::warn(&format!(
                    "{violation}; `vault exec {env}` and `vault check` will refuse it"
                ));
            }
        }
        None => render::warn(&format!(
            "`{key}` is not declared in .secrets.example.toml; document it there"
        )),
    }
}

/// Reads a secret's value: from the argument (with a warning), a file, a hidden prompt on
/// a terminal, or stdin (dropping one trailing newline).
pub(crate) fn read_value(
    value: Option<&str>,
    from_file: Option<&Path>,
    key: &str,
    env: &str,
) -> Result<Secret, Error> {
    if let Some(value) = value {
        render::warn(
            "a value on the command line can end up in shell history and `ps`; omit it to be prompted or to read stdin",
        );
        return Ok(Secret::from(value));
    }
    let bytes = if let Some(path) = from_file {
        zeroize::Zeroizing::new(std::fs::read(path).map_err(|source| Error::Io {
            action: "read",
            path: path.to_owned(),
            source,
        })?)
    } else if std::io::stdin().is_terminal() {
        // Like passwd: typed twice, since nobody can see a typo, and never empty.
        let no_value = || Error::NoValue {
            name: key.to_owned(),
        };
        let line =
            prompt::hidden(&format!("Value for {key} in {env} (hidden): ")).ok_or_else(no_value)?;
        if line.is_empty() {
            return Err(no_value());
        }
        let again = prompt::hidden(&format!("Again, to confirm {key}: ")).ok_or_else(no_value)?;
        if *again != *line {
            return Err(Error::ValuesDiffer {
                name: key.to_owned(),
            });
        }
        zeroize::Zeroizing::new(line.as_bytes().to_vec())
    } else {
        let mut buffer = zeroize::Zeroizing::new(Vec::new());
        std::io::stdin()
            .read_to_end(&mut buffer)
            .map_err(|source| Error::Io {
                action: "read",
                path: "stdin".into(),
                source,
            })?;
        if buffer.is_empty() {
            // An empty pipe is almost always a mistake (a variable that was not set).
            return Err(Error::NoValue {
                name: key.to_owned(),
            });
        }
        // `echo value | vault set` adds a newline nobody meant to store.
        if buffer.ends_with(b"\n") {
            buffer.pop();
            if buffer.ends_with(b"\r") {
                buffer.pop();
            }
        }
        buffer
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| Error::ValueNotUtf8 {
        name: key.to_owned(),
    })?;
    Ok(Secret::from(text))
}

/// `vault unset <env> KEY`.
pub fn unset(context: &Context, args: &KeyArgs, _out: &mut dyn Write) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    vault.require_env(&args.env)?;
    let identities = context.identities()?;
    vault.update(&args.env, &identities, |payload| -> Result<_, Error> {
        if payload.unset(&args.key) {
            Ok(((), true))
        } else {
            Err(Error::SecretNotFound {
                env: args.env.clone(),
                name: args.key.clone(),
            })
        }
    })?;
    render::note(&format!("removed `{}` from `{}`", args.key, args.env));
    Ok(Outcome::Success)
}

fn decrypt(context: &Context, env: &str) -> Result<Payload, Error> {
    let vault = context.vault()?;
    vault.require_env(env)?;
    let identities = context.identities()?;
    Ok(vault.decrypt(env, &identities)?)
}

/// `vault get <env> KEY`: the value alone on stdout (a newline only on a terminal).
pub fn get(context: &Context, args: &KeyArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let payload = decrypt(context, &args.env)?;
    let entry = payload
        .secrets
        .get(&args.key)
        .ok_or_else(|| Error::SecretNotFound {
            env: args.env.clone(),
            name: args.key.clone(),
        })?;
    out.write_all(entry.value.expose().as_bytes())
        .map_err(stdout_error)?;
    if std::io::stdout().is_terminal() {
        out.write_all(b"\n").map_err(stdout_error)?;
    }
    Ok(Outcome::Success)
}

/// `vault ls <env>`: names and rotation metadata, never values.
pub fn ls(context: &Context, args: &LsArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let Some(env) = &args.env else {
        return ls_envs(context, args.json, out);
    };
    let payload = decrypt(context, env)?;
    let args = LsOne {
        env: env.clone(),
        json: args.json,
    };
    if args.json {
        let list: Vec<serde_json::Value> = payload
            .secrets
            .iter()
            .map(|(name, entry)| {
                serde_json::json!({
                    "name": name,
                    "rotated_at": entry.rotated_at.to_string(),
                    "must_rotate": entry.must_rotate.as_ref().map(|m| serde_json::json!({"reason": m.reason, "since": m.since.to_string()})),
                    "rotation_in_progress": entry.previous.is_some(),
                    "conflict": payload.conflicts.contains_key(name),
                })
            })
            .collect();
        let doc = serde_json::json!({ "environment": args.env, "secrets": list });
        print_json(out, &doc)?;
        return Ok(Outcome::Success);
    }
    if payload.secrets.is_empty() {
        render::note(&format!(
            "`{}` has no secrets yet; add one with `vault set {} NAME`",
            args.env, args.env
        ));
        return Ok(Outcome::Success);
    }
    let width = payload
        .secrets
        .keys()
        .map(String::len)
        .max()
        .unwrap_or(4)
        .max(4);
    writeln!(out, "{:width$}  ROTATED     NOTE", "NAME").map_err(stdout_error)?;
    for (name, entry) in &payload.secrets {
        let date = entry.rotated_at.strftime("%Y-%m-%d").to_string();
        let note = match (&entry.must_rotate, &entry.previous) {
            _ if payload.conflicts.contains_key(name) => format!(
                "MERGE CONFLICT: run `vault edit {}` (exec refuses until resolved)",
                args.env
            ),
            (Some(mark), _) => format!("must rotate: {}", mark.reason),
            (None, Some(_)) => "rotation in progress".to_owned(),
            (None, None) => String::new(),
        };
        writeln!(out, "{name:width$}  {date}  {note}").map_err(stdout_error)?;
    }
    Ok(Outcome::Success)
}

struct LsOne {
    env: String,
    json: bool,
}

/// `vault ls` without an environment: each environment, who reads it, and how many secrets
/// it holds where the caller can tell.
fn ls_envs(context: &Context, json: bool, out: &mut dyn Write) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    let identities = context.identities().ok();
    let mut rows = Vec::new();
    for env in vault.config().env_names() {
        let members = vault
            .config()
            .env(env)
            .map(|e| e.members.clone())
            .unwrap_or_default();
        let secrets = identities
            .as_ref()
            .and_then(|ids| vault.decrypt(env, ids).ok())
            .map(|p| p.secrets.len());
        rows.push((env.to_owned(), members, secrets));
    }
    if json {
        let doc: Vec<serde_json::Value> = rows
            .iter()
            .map(|(env, members, secrets)| {
                serde_json::json!({"environment": env, "members": members, "secrets": secrets})
            })
            .collect();
        print_json(out, &serde_json::json!({ "environments": doc }))?;
        return Ok(Outcome::Success);
    }
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(3).max(3);
    writeln!(out, "{:width$}  SECRETS  READERS", "ENV").map_err(stdout_error)?;
    for (env, members, secrets) in &rows {
        let count = secrets.map_or_else(|| "-".to_owned(), |n| n.to_string());
        writeln!(out, "{env:width$}  {count:>7}  {}", members.join(", ")).map_err(stdout_error)?;
    }
    if rows.iter().any(|r| r.2.is_none()) {
        render::note("`-`: not readable with your identity");
    }
    Ok(Outcome::Success)
}

/// `vault export <env> --format …`.
pub fn export(context: &Context, args: &ExportArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let payload = decrypt(context, &args.env)?;
    if !matches!(args.format, ExportFormat::Json) {
        // Every other format becomes some program's environment.
        let template = context.vault()?.template()?;
        crate::exec::refuse_loader_variables(
            template.as_ref(),
            &args.env,
            payload
                .variables(jiff::Timestamp::now())
                .iter()
                .map(|(n, _)| n.as_str()),
        )?;
    }
    let pairs: Vec<(&str, &str)> = payload
        .secrets
        .iter()
        .map(|(n, e)| (n.as_str(), e.value.expose()))
        .collect();
    let text = zeroize::Zeroizing::new(match args.format {
        ExportFormat::Dotenv => dotenv::render_dotenv(&pairs),
        ExportFormat::Shell => dotenv::render_shell(&pairs),
        ExportFormat::Json => {
            let map: serde_json::Map<String, serde_json::Value> = pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), serde_json::Value::from(*v)))
                .collect();
            let mut json =
                serde_json::to_string_pretty(&map).expect("JSON values always serialize");
            json.push('\n');
            json
        }
        ExportFormat::K8s => {
            let name = args.name.as_deref().unwrap_or_default();
            crate::export::check_k8s_names(name, args.namespace.as_deref())?;
            crate::export::k8s_secret(
                &args.env,
                name,
                args.namespace.as_deref(),
                &pairs,
                args.base64,
            )
        }
        ExportFormat::GithubEnv => return github_env(&args.env, &pairs, out),
        ExportFormat::Docker => {
            crate::export::docker_env_file(&pairs).map_err(|refused| Error::DockerEnv {
                env: args.env.clone(),
                refused,
            })?
        }
        ExportFormat::Direnv => {
            let vault = context.vault()?;
            // Absolute, so the `.envrc` watches the same files from any directory.
            let root =
                std::fs::canonicalize(vault.root()).unwrap_or_else(|_| vault.root().to_owned());
            let watched = [
                root.join(vault.relative(&vault.env_path(&args.env))),
                root.join(vault.relative(&vault.recipients_path(&args.env))),
                root.join(crate::config::CONFIG_FILE),
            ];
            let watched: Vec<&Path> = watched.iter().map(PathBuf::as_path).collect();
            crate::export::direnv(&pairs, &watched)
        }
    });
    out.write_all(text.as_bytes()).map_err(stdout_error)?;
    Ok(Outcome::Success)
}

/// `--format github-env`: masks on stdout, values appended to `$GITHUB_ENV`.
fn github_env(env: &str, pairs: &[(&str, &str)], out: &mut dyn Write) -> Result<Outcome, Error> {
    let path = std::env::var_os("GITHUB_ENV")
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from)
        .ok_or(Error::NotInGithubActions)?;
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id()).rotate_left(32);
    let rendered = crate::export::github_env(pairs, nonce);
    // The masks must reach the runner before any value can appear in a later step's log.
    out.write_all(rendered.masks.as_bytes())
        .map_err(stdout_error)?;
    out.flush().map_err(stdout_error)?;
    let io_error = |source| Error::Io {
        action: "append to",
        path: path.clone(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .map_err(io_error)?;
    file.write_all(rendered.env_file.as_bytes())
        .map_err(io_error)?;
    render::note(&format!(
        "{} secret(s) of `{env}` added to $GITHUB_ENV for the following steps, masked in logs",
        pairs.len()
    ));
    Ok(Outcome::Success)
}

/// `vault import <env> FILE`.
pub fn import(
    context: &Context,
    args: &ImportArgs,
    _out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    vault.require_env(&args.env)?;
    let text = read_text(&args.file)?;
    let entries = dotenv::parse(&text).map_err(|source| Error::Dotenv {
        path: args.file.clone(),
        source,
    })?;
    for entry in &entries {
        payload::check_value(&entry.name, &entry.value)?;
    }
    let identities = context.identities()?;
    let now = jiff::Timestamp::now();
    let (added, changed) = vault.update(&args.env, &identities, |payload| -> Result<_, Error> {
        let (mut added, mut changed) = (0usize, 0usize);
        for entry in &entries {
            let existed = payload.secrets.contains_key(&entry.name);
            if payload.set(&entry.name, Secret::from(entry.value.as_str()), now)? {
                if existed { changed += 1 } else { added += 1 }
            }
        }
        Ok(((added, changed), added + changed > 0))
    })?;
    render::note(&format!(
        "imported {} secrets into `{}`: {added} added, {changed} changed, {} unchanged",
        entries.len(),
        args.env,
        entries.len() - added - changed
    ));
    Ok(Outcome::Success)
}

fn read_text(path: &Path) -> Result<zeroize::Zeroizing<String>, Error> {
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    let result = if path == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes).map(drop)
    } else {
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map(drop)
    };
    result.map_err(|source| Error::Io {
        action: "read",
        path: path.to_owned(),
        source,
    })?;
    std::str::from_utf8(&bytes)
        .map(|s| zeroize::Zeroizing::new(s.to_owned()))
        .map_err(|_| Error::Io {
            action: "read",
            path: path.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the file is not UTF-8 text",
            ),
        })
}

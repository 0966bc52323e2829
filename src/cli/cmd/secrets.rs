//! Single-secret commands (`set`, `unset`, `get`, `ls`) and the escape hatches
//! (`export`, `import`).

use std::io::{IsTerminal, Write};

use crate::cli::args::{KeyArgs, LsArgs, SetArgs};
use crate::cli::error::Error;
use crate::cli::{Context, Outcome, input, print_json, render, stdout_error};
use crate::payload;
use crate::secret::Secret;

/// `vault set <env> KEY [VALUE]`.
pub fn set(context: &Context, args: SetArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    vault.require_env(&args.env)?;
    // Validate the name before asking for a value, so nobody types a secret for nothing.
    payload::check_value(&args.key, "")?;
    let value = input::read_value(
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

/// `vault get <env> KEY`: the value alone on stdout (a newline only on a terminal).
pub fn get(context: &Context, args: &KeyArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let payload = context.decrypt(&args.env)?;
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
    let payload = context.decrypt(env)?;
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

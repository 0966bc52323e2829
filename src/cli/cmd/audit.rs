//! `vault log` and `vault diff`: the audit trail from git history, at the key level.
//! Values are never printed by `log`, and `diff` masks them unless `--show-values`.

use std::io::Write;

use crate::cli::args::{DiffArgs, LogArgs};
use crate::cli::error::Error;
use crate::cli::{Context, Outcome, print_json, render, stdout_error};
use crate::error::Error as VaultError;
use crate::payload::Payload;
use crate::{audit, edit};

/// `vault log [ENV] [KEY]`.
pub fn log(context: &Context, args: &LogArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    let envs: Vec<String> = match &args.env {
        Some(env) => {
            vault.require_env(env)?;
            vec![env.clone()]
        }
        None => vault.config().env_names().map(str::to_owned).collect(),
    };
    let log = audit::Log::load(&vault, envs)?;
    let identities = match context.identities() {
        Ok(ids) => Some(ids),
        Err(VaultError::Identity(e)) => {
            render::note(&format!("{e}: changes are listed without their keys"));
            None
        }
        Err(e) => return Err(e.into()),
    };
    let rows = log.entries(&vault, identities.as_ref(), args.key.as_deref())?;
    if args.json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|audit::Entry { change: c, env, diff, signed }| {
                serde_json::json!({
                    "authenticated": signed.is_ok(),
                    "not_authenticated_because": signed.as_ref().err(),
                    "commit": c.commit,
                    "author": c.author,
                    "email": c.email,
                    "time": jiff::Timestamp::from_second(c.time).map(|t| t.to_string()).unwrap_or_default(),
                    "summary": c.summary,
                    "env": env,
                    "access": diff.is_some(),
                    "added": diff.as_ref().map(|d| d.added.clone()),
                    "changed": diff.as_ref().map(|d| d.changed.clone()),
                    "removed": diff.as_ref().map(|d| d.removed.clone()),
                })
            })
            .collect();
        print_json(out, &serde_json::Value::from(list))?;
        return Ok(Outcome::Success);
    }
    for audit::Entry {
        change: c,
        env,
        diff,
        signed,
    } in &rows
    {
        let date = jiff::Timestamp::from_second(c.time)
            .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        let what = match diff {
            None => "changed (no access)".to_owned(),
            Some(d) => {
                let mut parts = Vec::new();
                parts.extend(d.added.iter().map(|n| format!("+{n}")));
                parts.extend(d.changed.iter().map(|n| format!("~{n}")));
                parts.extend(d.removed.iter().map(|n| format!("-{n}")));
                match (parts.is_empty(), c.old.is_none()) {
                    (true, _) if !c.parents.is_empty() => {
                        "merged (every key as one of its parents had it)".to_owned()
                    }
                    (true, true) => "created".to_owned(),
                    (true, false) => "re-keyed or metadata only".to_owned(),
                    (false, _) => parts.join(" "),
                }
            }
        };
        writeln!(
            out,
            "{} {date}  {:<20} {env:<10} {what}   ({}){}",
            &c.commit[..c.commit.len().min(10)],
            c.author,
            c.summary,
            match signed {
                Ok(()) => String::new(),
                Err(reason) => format!("  [NOT AUTHENTICATED: {reason}]"),
            }
        )
        .map_err(stdout_error)?;
    }
    Ok(Outcome::Success)
}

/// `vault diff [REV] [ENV]`.
pub fn diff(context: &Context, args: &DiffArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    let is_env = |s: &str| vault.config().env(s).is_some();
    let (rev, env) = match args.args.as_slice() {
        [] => ("HEAD".to_owned(), None),
        [one] if is_env(one) => ("HEAD".to_owned(), Some(one.clone())),
        [one] => (one.clone(), None),
        [rev, env, ..] => (rev.clone(), Some(env.clone())),
    };
    let envs: Vec<String> = match env {
        Some(env) => {
            vault.require_env(&env)?;
            vec![env]
        }
        None => vault.config().env_names().map(str::to_owned).collect(),
    };
    let identities = context.identities()?;
    let mut report = Vec::new();
    for env in &envs {
        let path = audit::repo_path(&vault, env)?;
        let old_bytes = vault
            .git()
            .ok_or(VaultError::NotInGit)?
            .blob_at(&rev, &path)?;
        let old = old_bytes
            .map(|b| vault.open_sealed(env, &b, &identities))
            .transpose()?;
        let new = match vault.read_ciphertext(env) {
            Ok(bytes) => {
                // Shown so a reader can review it (and then `vault accept` it), but never
                // without saying that it does not verify.
                if let Err(crate::store::StoreError::Unauthenticated { reason, .. }) =
                    vault.verify_current(env, &bytes, &identities.pins())
                {
                    render::warn(&format!(
                        "secrets/{env}.age is NOT authenticated ({reason}): review it; `vault accept {env}` keeps it, `git checkout` restores the last authenticated version"
                    ));
                }
                Some(vault.open_sealed(env, &bytes, &identities)?)
            }
            Err(crate::store::StoreError::MissingFile { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let c = audit::between(old.as_ref(), new.as_ref());
        let value = |p: Option<&Payload>, name: &str| -> String {
            match p.and_then(|p| p.secrets.get(name)) {
                Some(e) if args.show_values => edit::toml_string(e.value.expose()).to_string(),
                Some(_) => "•••".to_owned(),
                None => String::new(),
            }
        };
        let mut lines = Vec::new();
        for n in &c.added {
            lines.push(("added", n.clone(), String::new(), value(new.as_ref(), n)));
        }
        for n in &c.changed {
            lines.push((
                "changed",
                n.clone(),
                value(old.as_ref(), n),
                value(new.as_ref(), n),
            ));
        }
        for n in &c.removed {
            lines.push(("removed", n.clone(), value(old.as_ref(), n), String::new()));
        }
        report.push((env.clone(), lines));
    }
    if args.json {
        let doc: Vec<serde_json::Value> = report
            .iter()
            .map(|(env, lines)| {
                let changes: Vec<serde_json::Value> = lines
                    .iter()
                    .map(|(kind, name, old, new)| {
                        let mut v = serde_json::json!({ "change": kind, "secret": name });
                        if args.show_values {
                            v["old"] = old.clone().into();
                            v["new"] = new.clone().into();
                        }
                        v
                    })
                    .collect();
                serde_json::json!({ "env": env, "changes": changes })
            })
            .collect();
        print_json(out, &serde_json::json!({ "rev": rev, "envs": doc }))?;
        return Ok(Outcome::Success);
    }
    for (env, lines) in &report {
        if lines.is_empty() {
            writeln!(out, "{env}: no changes since {rev}").map_err(stdout_error)?;
            continue;
        }
        writeln!(out, "{env}: changes since {rev}").map_err(stdout_error)?;
        for (kind, name, old, new) in lines {
            let line = match *kind {
                "added" => format!("  + {name} = {new}"),
                "removed" => format!("  - {name} (was {old})"),
                _ => format!("  ~ {name}: {old} → {new}"),
            };
            writeln!(out, "{line}").map_err(stdout_error)?;
        }
    }
    Ok(Outcome::Success)
}

//! `vault check` (the CI gate) and `vault rotate status|start|finish`.

use std::io::Write;

use jiff::Timestamp;

use crate::check::{self, Severity};
use crate::cli::args::{CheckArgs, RotateCommand, RotateStartArgs, RotateStatusArgs};
use crate::cli::{Context, Outcome, print_json, render, stdout_error};
use crate::error::Error;
use crate::identity::{Identities, IdentityError};
use crate::store::Vault;

/// Parses `--as-of`: a date (midnight UTC) or an RFC 3339 timestamp.
fn as_of(value: Option<&str>) -> Result<Timestamp, Error> {
    let Some(text) = value else {
        return Ok(Timestamp::now());
    };
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| Error::InvalidDate {
            text: text.to_owned(),
        })
}

/// Identities if the caller has usable ones; key-free checks otherwise.
fn optional_identities(context: &Context) -> Result<Option<Identities>, Error> {
    match context.identities() {
        Ok(ids) => Ok(Some(ids)),
        Err(Error::Identity(IdentityError::NotFound { .. })) => {
            render::note(
                "no identity found: only key-free checks run (set $VAULT_IDENTITY to check an environment's secrets)",
            );
            Ok(None)
        }
        Err(Error::Identity(IdentityError::PassphraseUnavailable { source_ })) => {
            render::note(&format!(
                "{source_} needs a passphrase and there is no terminal: only key-free checks run"
            ));
            Ok(None)
        }
        Err(other) => Err(other),
    }
}

/// `vault check`.
pub fn run(context: &Context, args: &CheckArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    let as_of = as_of(args.as_of.as_deref())?;
    let identities = optional_identities(context)?;
    let report = check::run(
        &vault,
        identities.as_ref(),
        &check::Options {
            envs: args.envs.clone(),
            as_of,
        },
    )?;
    let mut report = report;
    let missing = crate::cli::missing_integration(vault.root());
    if !missing.is_empty() {
        report.findings.push(check::Finding {
            severity: check::Severity::Warning,
            code: "no-hook",
            env: None,
            secret: None,
            message: format!(
                "this clone has no {}: run `vault hooks install` (git does not install hooks on clone)",
                missing.join(" and no ")
            ),
        });
    }
    let fails = report.fails(args.strict);
    if args.json {
        let mut doc = serde_json::to_value(&report).expect("a report always serializes");
        doc["ok"] = (!fails).into();
        print_json(out, &doc)?;
    } else {
        print_report(&report, args.strict, out)?;
    }
    Ok(if fails {
        Outcome::Problems
    } else {
        Outcome::Success
    })
}

fn print_report(report: &check::Report, strict: bool, out: &mut dyn Write) -> Result<(), Error> {
    let mut errors = 0;
    let mut warnings = 0;
    for status in &report.envs {
        let mine: Vec<&check::Finding> = report
            .findings
            .iter()
            .filter(|f| f.env.as_deref() == Some(&status.env))
            .collect();
        let state = match (status.decrypted, &status.not_decrypted_reason) {
            (true, _) => match status.secrets.unwrap_or(0) {
                1 => "1 secret checked".to_owned(),
                n => format!("{n} secrets checked"),
            },
            (false, Some(reason)) => format!(
                "not decrypted ({}): key-free checks only",
                crate::untrusted::sanitize(reason)
            ),
            (false, None) => "not decrypted".to_owned(),
        };
        let verdict = if mine.is_empty() {
            "ok"
        } else if mine
            .iter()
            .all(|f| f.severity == Severity::Warning && !strict)
        {
            "warnings"
        } else {
            "problems"
        };
        writeln!(out, "{}: {verdict} — {state}", status.env).map_err(stdout_error)?;
        for finding in mine {
            print_finding(finding, strict, &mut errors, &mut warnings, out)?;
        }
    }
    let global: Vec<&check::Finding> = report.findings.iter().filter(|f| f.env.is_none()).collect();
    if !global.is_empty() {
        writeln!(out, "across environments:").map_err(stdout_error)?;
        for finding in global {
            print_finding(finding, strict, &mut errors, &mut warnings, out)?;
        }
    }
    let skipped: Vec<&str> = report
        .envs
        .iter()
        .filter(|s| !s.decrypted)
        .map(|s| s.env.as_str())
        .collect();
    let mut summary = format!("\n{errors} error(s), {warnings} warning(s)");
    if !skipped.is_empty() {
        summary.push_str(&format!("; could not decrypt: {}", skipped.join(", ")));
    }
    writeln!(out, "{summary}").map_err(stdout_error)
}

fn print_finding(
    finding: &check::Finding,
    strict: bool,
    errors: &mut usize,
    warnings: &mut usize,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let label = match finding.severity {
        Severity::Error => {
            *errors += 1;
            "error"
        }
        Severity::Warning if strict => {
            *errors += 1;
            "error"
        }
        Severity::Warning => {
            *warnings += 1;
            "warning"
        }
    };
    // Messages can quote files anyone with push access writes (a recipients summary, an
    // error from a roster or template line): no control character reaches the terminal.
    writeln!(
        out,
        "  {label} [{}]: {}",
        finding.code,
        crate::untrusted::sanitize(&finding.message)
    )
    .map_err(stdout_error)
}

/// `vault rotate …`.
pub fn rotate(
    context: &Context,
    command: &RotateCommand,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    match command {
        RotateCommand::Status(args) => status(context, args, out),
        RotateCommand::Start(args) => start(context, args),
        RotateCommand::Finish(args) => {
            let vault = context.vault()?;
            vault.require_env(&args.env)?;
            let identities = context.identities()?;
            let had = vault.update(&args.env, &identities, |payload| -> Result<_, Error> {
                let had = crate::rotation::finish(payload, &args.env, &args.key)?;
                Ok((had, had))
            })?;
            if had {
                render::note(&format!(
                    "rotation of `{}` in `{}` finished; `{}_PREVIOUS` is gone",
                    args.key, args.env, args.key
                ));
            } else {
                render::note(&format!(
                    "`{}` in `{}` had no rotation in progress; nothing changed",
                    args.key, args.env
                ));
            }
            Ok(Outcome::Success)
        }
    }
}

fn start(context: &Context, args: &RotateStartArgs) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    vault.require_env(&args.env)?;
    let grace = crate::rotation::parse_grace(&args.grace)?;
    crate::payload::check_value(&args.key, "")?;
    let value = super::secrets::read_value(None, args.from_file.as_deref(), &args.key, &args.env)?;
    let identities = context.identities()?;
    let now = Timestamp::now();
    let until = vault.update(&args.env, &identities, |payload| -> Result<_, Error> {
        let until = crate::rotation::start(payload, &args.env, &args.key, value, now, grace)?;
        Ok((until, until.is_some()))
    })?;
    let Some(until) = until else {
        render::note(&format!(
            "`{}` in `{}` already has this value; nothing changed (a rotation needs a new value)",
            args.key, args.env
        ));
        return Ok(Outcome::Success);
    };
    render::note(&format!(
        "`{}` in `{}` has its new value; the old one stays available to `vault exec` as `{}_PREVIOUS` until {} — run `vault rotate finish {} {}` once every client uses the new one",
        args.key,
        args.env,
        args.key,
        until.strftime("%Y-%m-%d %H:%M UTC"),
        args.env,
        args.key
    ));
    Ok(Outcome::Success)
}

fn status(
    context: &Context,
    args: &RotateStatusArgs,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let vault: Vault = context.vault()?;
    let as_of = as_of(args.as_of.as_deref())?;
    let template = vault.template()?;
    let envs: Vec<String> = match &args.env {
        Some(env) => {
            vault.require_env(env)?;
            vec![env.clone()]
        }
        None => vault.config().env_names().map(str::to_owned).collect(),
    };
    let identities = context.identities()?;
    let mut rows = Vec::new();
    let mut unreadable = Vec::new();
    for env in &envs {
        let payload = match vault.decrypt(env, &identities) {
            Ok(payload) => payload,
            Err(crate::store::StoreError::NoAccess { .. }) if args.env.is_none() => {
                unreadable.push(env.clone());
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        for (name, entry) in &payload.secrets {
            let days = template
                .as_ref()
                .and_then(|t| t.get(name))
                .and_then(|s| s.rotate_days);
            let due = days.map(|d| check::due(entry.rotated_at, d));
            rows.push(serde_json::json!({
                "env": env,
                "secret": name,
                "rotated_at": entry.rotated_at.to_string(),
                "age_days": check::days_between(entry.rotated_at, as_of),
                "rotate_days": days,
                "due": due.map(|d| d.to_string()),
                "overdue": due.is_some_and(|d| as_of >= d),
                "must_rotate": entry.must_rotate.as_ref().map(|m| m.reason.clone()),
                "rotation_in_progress": entry.previous.is_some(),
                "_urgency": urgency(entry.must_rotate.is_some(), due, as_of),
            }));
        }
    }
    rows.sort_by(|a, b| {
        a["_urgency"]
            .as_i64()
            .cmp(&b["_urgency"].as_i64())
            .then_with(|| a["env"].as_str().cmp(&b["env"].as_str()))
            .then_with(|| a["secret"].as_str().cmp(&b["secret"].as_str()))
    });
    for row in &mut rows {
        if let Some(map) = row.as_object_mut() {
            map.remove("_urgency");
        }
    }
    if args.json {
        let doc = serde_json::json!({ "as_of": as_of.to_string(), "secrets": rows, "not_readable": unreadable });
        print_json(out, &doc)?;
        return Ok(Outcome::Success);
    }
    // Columns as wide as their longest entry, so long names do not shift the rest.
    let width = |key: &str, header: &str| {
        rows.iter()
            .filter_map(|r| r[key].as_str())
            .map(|s| s.chars().count())
            .chain([header.len()])
            .max()
            .unwrap_or(header.len())
    };
    let (env_w, secret_w) = (width("env", "ENV"), width("secret", "SECRET"));
    writeln!(
        out,
        "{:env_w$} {:secret_w$} {:10} {:>5}  {:10}  STATUS",
        "ENV", "SECRET", "ROTATED", "AGE", "DUE"
    )
    .map_err(stdout_error)?;
    for row in &rows {
        let state = if let Some(reason) = row["must_rotate"].as_str() {
            format!("MUST ROTATE ({reason})")
        } else if row["overdue"].as_bool() == Some(true) {
            "OVERDUE".to_owned()
        } else if row["rotation_in_progress"].as_bool() == Some(true) {
            "rotation in progress".to_owned()
        } else {
            "ok".to_owned()
        };
        let date = |v: &serde_json::Value| {
            v.as_str()
                .map_or_else(|| "-".to_owned(), |s| s.chars().take(10).collect())
        };
        writeln!(
            out,
            "{:env_w$} {:secret_w$} {:10} {:>4}d  {:10}  {state}",
            row["env"].as_str().unwrap_or_default(),
            row["secret"].as_str().unwrap_or_default(),
            date(&row["rotated_at"]),
            row["age_days"],
            date(&row["due"]),
        )
        .map_err(stdout_error)?;
    }
    if !unreadable.is_empty() {
        render::note(&format!(
            "not readable with your identity: {}",
            unreadable.join(", ")
        ));
    }
    Ok(Outcome::Success)
}

/// Sort key: must-rotate first, then by how soon (or how long ago) the secret is due.
fn urgency(must_rotate: bool, due: Option<Timestamp>, as_of: Timestamp) -> i64 {
    if must_rotate {
        return i64::MIN;
    }
    due.map_or(i64::MAX, |d| check::days_between(as_of, d))
}

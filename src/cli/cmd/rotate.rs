//! `vault rotate status|start|finish`: rotation with overlap.

use std::io::Write;

use jiff::Timestamp;

use crate::cli::args::{RotateCommand, RotateStartArgs, RotateStatusArgs};
use crate::cli::error::Error;
use crate::cli::{Context, Outcome, input, print_json, render, stdout_error};
use crate::rotation;

/// `vault rotate …`.
pub fn run(
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
                let had = rotation::finish(payload, &args.env, &args.key)?;
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
    let grace = rotation::parse_grace(&args.grace)?;
    crate::payload::check_value(&args.key, "")?;
    let value = input::read_value(None, args.from_file.as_deref(), &args.key, &args.env)?;
    let identities = context.identities()?;
    let now = Timestamp::now();
    let until = vault.update(&args.env, &identities, |payload| -> Result<_, Error> {
        let until = rotation::start(payload, &args.env, &args.key, value, now, grace)?;
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
    let vault = context.vault()?;
    let as_of = input::as_of(args.as_of.as_deref())?;
    let template = vault.template()?;
    let envs: Vec<String> = match &args.env {
        Some(env) => {
            vault.require_env(env)?;
            vec![env.clone()]
        }
        None => vault.config().env_names().map(str::to_owned).collect(),
    };
    let identities = context.identities()?;
    let status = rotation::status(
        &vault,
        template.as_ref(),
        &identities,
        &envs,
        args.env.is_none(),
        as_of,
    )?;
    let (rows, unreadable) = (&status.secrets, &status.not_readable);
    if args.json {
        let doc = serde_json::json!({ "as_of": as_of.to_string(), "secrets": rows, "not_readable": unreadable });
        print_json(out, &doc)?;
        return Ok(Outcome::Success);
    }
    // Columns as wide as their longest entry, so long names do not shift the rest.
    let width = |column: fn(&rotation::SecretStatus) -> &str, header: &str| {
        rows.iter()
            .map(|r| column(r).chars().count())
            .chain([header.len()])
            .max()
            .unwrap_or(header.len())
    };
    let (env_w, secret_w) = (width(|r| &r.env, "ENV"), width(|r| &r.secret, "SECRET"));
    writeln!(
        out,
        "{:env_w$} {:secret_w$} {:10} {:>5}  {:10}  STATUS",
        "ENV", "SECRET", "ROTATED", "AGE", "DUE"
    )
    .map_err(stdout_error)?;
    for row in rows {
        let state = if let Some(reason) = &row.must_rotate {
            format!("MUST ROTATE ({reason})")
        } else if row.overdue {
            "OVERDUE".to_owned()
        } else if row.rotation_in_progress {
            "rotation in progress".to_owned()
        } else {
            "ok".to_owned()
        };
        let date =
            |v: Option<&str>| v.map_or_else(|| "-".to_owned(), |s| s.chars().take(10).collect());
        writeln!(
            out,
            // The age is right-aligned under its header (`AGE` is 5 wide, `d` included).
            "{:env_w$} {:secret_w$} {:10} {:>4}d  {:10}  {state}",
            row.env,
            row.secret,
            date(Some(&row.rotated_at)),
            row.age_days,
            date(row.due.as_deref()),
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

//! Applying a membership plan (`member add|remove|key add`, `rekey`): show it, ask, apply
//! with progress, and report what changed and what must now be rotated.

use std::io::{IsTerminal, Write};

use crate::cli::args::ApplyArgs;
use crate::cli::error::Error;
use crate::cli::{Context, Outcome, input, print_json, render, stdout_error};
use crate::config::{CONFIG_FILE, Config};
use crate::members::{self, EnvPlan, short_key};
use crate::store::Vault;

fn describe(plans: &[EnvPlan]) -> String {
    let mut text = String::new();
    for plan in plans {
        if !plan.needs_rekey() {
            text.push_str(&format!("  {}: unchanged\n", plan.env));
            continue;
        }
        text.push_str(&format!(
            "  {}: re-encrypt to {} recipient(s){}\n",
            plan.env,
            plan.target.len(),
            match plan.to_post_quantum {
                Some(true) => ", moving from classic to post-quantum keys",
                Some(false) => ", moving from post-quantum to classic keys (a future quantum computer can break them)",
                None => "",
            }
        ));
        for reader in &plan.gained {
            let who = reader
                .member
                .clone()
                .unwrap_or_else(|| "(no member)".to_owned());
            text.push_str(&format!(
                "      + {who} gains access ({})\n",
                short_key(&reader.recipient)
            ));
        }
        for reader in &plan.lost {
            let who = reader
                .member
                .clone()
                .unwrap_or_else(|| "(no member)".to_owned());
            text.push_str(&format!(
                "      - {who} loses access ({}): every secret in {} will be marked must-rotate\n",
                short_key(&reader.recipient),
                plan.env
            ));
        }
        for reader in &plan.retired {
            let who = reader.member.clone().unwrap_or_default();
            text.push_str(&format!(
                "      ~ {who}'s key {} is retired; {who} keeps reading with another key\n",
                short_key(&reader.recipient)
            ));
        }
        if plan.sealed.is_none() {
            text.push_str(&format!(
                "      (secrets/{}.recipients is missing, so the current readers are unknown)\n",
                plan.env
            ));
        }
    }
    text
}

/// Shows the plan, asks (unless `--yes`), applies it with progress, and reports what changed
/// and what must now be rotated.
pub(crate) fn execute(
    context: &Context,
    lock: &crate::store::Lock,
    vault: &Vault,
    target: &Config,
    plans: &[EnvPlan],
    apply: &ApplyArgs,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let rekeys = plans.iter().any(EnvPlan::needs_rekey);
    let roster_changes = target.text() != vault.config().text();
    if apply.dry_run {
        if apply.json {
            let doc = serde_json::json!({ "dry_run": true, "roster_changes": roster_changes, "plan": plans });
            print_json(out, &doc)?;
        } else {
            writeln!(out, "Plan (dry run, nothing changed):\n{}", describe(plans))
                .map_err(stdout_error)?;
            if roster_changes {
                writeln!(out, "  {CONFIG_FILE} will be updated").map_err(stdout_error)?;
            }
        }
        return Ok(Outcome::Success);
    }
    if !rekeys && !roster_changes {
        if apply.json {
            writeln!(
                out,
                "{}",
                serde_json::json!({ "changed": [], "must_rotate": [] })
            )
            .map_err(stdout_error)?;
        } else {
            render::note("every environment file already matches .vault.toml; nothing to do");
        }
        return Ok(Outcome::Success);
    }
    let downgrades: Vec<String> = plans
        .iter()
        .filter(|p| p.to_post_quantum == Some(false))
        .map(|p| p.env.clone())
        .collect();
    if !downgrades.is_empty() && !apply.allow_classic {
        return Err(Error::Downgrade { envs: downgrades });
    }
    eprint!("Plan:\n{}", describe(plans));
    if !apply.yes {
        input::confirm()?;
    }
    let identities = if rekeys {
        Some(context.identities()?)
    } else {
        None
    };
    let show_progress = std::io::stderr().is_terminal() && plans.len() > 1;
    let applied = match &identities {
        Some(identities) => members::apply(
            lock,
            vault,
            target,
            plans,
            identities,
            jiff::Timestamp::now(),
            &mut |env, i, n| {
                if show_progress {
                    eprintln!("re-keying {env} ({i}/{n})");
                }
            },
        )?,
        None => members::apply_roster_only(lock, vault, target)?,
    };
    let pins = members::new_pins(vault, &applied);
    report(&applied, &pins, apply.json, out)?;
    Ok(Outcome::Success)
}

fn report(
    applied: &[members::Applied],
    pins: &[crate::auth::Pin],
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let marked: Vec<&members::Applied> = applied
        .iter()
        .filter(|a| !a.must_rotate.is_empty())
        .collect();
    if json {
        let doc = serde_json::json!({
            "changed": applied.iter().map(|a| &a.env).collect::<Vec<_>>(),
            "must_rotate": marked.iter().map(|a| serde_json::json!({"env": a.env, "secrets": a.must_rotate})).collect::<Vec<_>>(),
            "warning": (!marked.is_empty()).then_some(HISTORY_WARNING),
            "new_pins": pins.iter().map(ToString::to_string).collect::<Vec<_>>(),
        });
        print_json(out, &doc)?;
        return Ok(());
    }
    for a in applied {
        writeln!(out, "re-keyed secrets/{}.age", a.env).map_err(stdout_error)?;
    }
    if !marked.is_empty() {
        writeln!(out, "\nSecrets that must now be rotated (marked in the vault; `vault check` fails until each changes):").map_err(stdout_error)?;
        for a in &marked {
            writeln!(out, "  {}:", a.env).map_err(stdout_error)?;
            for name in &a.must_rotate {
                writeln!(out, "    {name}").map_err(stdout_error)?;
            }
        }
        writeln!(out, "\nwarning: {HISTORY_WARNING}").map_err(stdout_error)?;
    }
    if !pins.is_empty() {
        writeln!(
            out,
            "\nThe write key of {} was handed over. Machines that carry a pin for it (deploy identities, VAULT_PIN) must be given the new one, or a version signed with the old key would still satisfy them:",
            pins.iter().map(|p| p.env.as_str()).collect::<Vec<_>>().join(", ")
        )
        .map_err(stdout_error)?;
        for pin in pins {
            writeln!(out, "  # vault-pin {pin}").map_err(stdout_error)?;
        }
    }
    Ok(())
}

/// The honest limit of offboarding, printed after every re-key that removed a reader.
pub(crate) const HISTORY_WARNING: &str = "whoever lost access can still decrypt every earlier version of these files from git history (and any copy they made). Re-keying only protects future values: rotate each secret at its source (the database, the API provider), then `vault set` the new value.";

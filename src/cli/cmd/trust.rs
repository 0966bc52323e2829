//! `vault upgrade`, `vault pin` and `vault accept`: the commands around authenticated
//! versions. The rules live in `crate::store`; these only show plans and results.

use std::io::Write;

use crate::auth::Seal;
use crate::cli::args::{AcceptArgs, PinArgs, RekeyArgs};
use crate::cli::error::Error;
use crate::cli::{Context, Outcome, print_json, render, stdout_error};
use crate::store::StoreError;

fn envs_or_all(vault: &crate::store::Vault, envs: &[String]) -> Result<Vec<String>, Error> {
    if envs.is_empty() {
        return Ok(vault.config().env_names().map(str::to_owned).collect());
    }
    for env in envs {
        vault.require_env(env)?;
    }
    Ok(envs.to_vec())
}

/// `vault upgrade [ENV…]`.
pub fn upgrade(context: &Context, args: &RekeyArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    let _lock = vault.lock()?;
    let envs = envs_or_all(&vault, &args.envs)?;
    let mut legacy = Vec::new();
    for env in &envs {
        let bytes = vault.read_ciphertext(env)?;
        if crate::auth::inspect(env, &bytes).is_ok_and(|s| s == Seal::Legacy) {
            legacy.push(env.clone());
        }
    }
    let plan: Vec<String> = legacy
        .iter()
        .map(|env| format!("  {env}: sign with a new write key (its first); readers unchanged"))
        .collect();
    if args.apply.dry_run || legacy.is_empty() {
        if args.apply.json {
            print_json(
                out,
                &serde_json::json!({ "dry_run": args.apply.dry_run, "upgrade": legacy }),
            )?;
        } else if legacy.is_empty() {
            render::note("every environment file is already signed; nothing to do");
        } else {
            writeln!(out, "Plan (dry run, nothing changed):\n{}", plan.join("\n"))
                .map_err(stdout_error)?;
        }
        return Ok(Outcome::Success);
    }
    eprintln!(
        "Plan:\n{}\n  Review first: from now on vault trusts these files' current content (check `git log -p secrets/` for changes nobody explains).",
        plan.join("\n")
    );
    if !args.apply.yes {
        crate::cli::input::confirm()?;
    }
    let identities = context.identities()?;
    let mut done = Vec::new();
    for env in &legacy {
        if vault.upgrade(env, &identities)? {
            done.push(env.clone());
        }
    }
    if args.apply.json {
        print_json(out, &serde_json::json!({ "upgraded": done }))?;
    } else {
        for env in &done {
            writeln!(out, "signed secrets/{env}.age").map_err(stdout_error)?;
        }
        writeln!(
            out,
            "\nCommit the result. Machines that deploy without git history need a pin: `vault pin`."
        )
        .map_err(stdout_error)?;
    }
    Ok(Outcome::Success)
}

/// `vault pin [ENV…]`.
pub fn pin(context: &Context, args: &PinArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    let envs = envs_or_all(&vault, &args.envs)?;
    if args.forget {
        for env in &envs {
            vault.trust().reset(vault.root(), env, None);
        }
        render::note(&format!(
            "forgot this machine's pins for {}; the next read trusts the first signed version in git history",
            envs.join(", ")
        ));
        return Ok(Outcome::Success);
    }
    let mut pins = Vec::new();
    for env in &envs {
        let bytes = vault.read_ciphertext(env)?;
        match vault.verify_current(env, &bytes, &[])? {
            Seal::Signed(stanza) => pins.push(stanza.pin()),
            _ => {
                return Err(StoreError::NeedsUpgrade {
                    env: env.clone(),
                    path: vault.relative(&vault.env_path(env)).to_owned(),
                }
                .into());
            }
        }
    }
    if args.json {
        let doc: serde_json::Map<String, serde_json::Value> = pins
            .iter()
            .map(|p| (p.env.clone(), p.to_string().into()))
            .collect();
        print_json(out, &serde_json::json!({ "pins": doc }))?;
        return Ok(Outcome::Success);
    }
    for pin in &pins {
        writeln!(out, "# vault-pin {pin}").map_err(stdout_error)?;
    }
    render::note(
        "append these lines to a machine's identity (the VAULT_IDENTITY secret or file), or set VAULT_PIN to the part after `vault-pin`; that machine then verifies without git history",
    );
    Ok(Outcome::Success)
}

/// `vault accept ENV`.
pub fn accept(context: &Context, args: &AcceptArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    vault.require_env(&args.env)?;
    let _lock = vault.lock()?;
    let identities = context.identities()?;
    let plan = vault.plan_accept(&args.env, &identities, jiff::Timestamp::now())?;
    let mut text = format!(
        "  {}: keep the values of the unauthenticated version, signed as the next version of commit {}\n",
        plan.env,
        crate::store::verify::short(&plan.trusted_commit)
    );
    for (sign, names) in [
        ("+", &plan.added),
        ("-", &plan.removed),
        ("~", &plan.changed),
    ] {
        for name in names {
            text.push_str(&format!("      {sign} {name}\n"));
        }
    }
    text.push_str(&format!(
        "      sealed to the {} authenticated reader key(s) only; the unauthenticated file was sealed to {} key(s){}\n",
        plan.kept,
        plan.sealed_to,
        if plan.claimed.is_empty() {
            String::new()
        } else {
            format!(" and claims {} among them", plan.claimed.join(", "))
        }
    ));
    text.push_str(
        "      age does not say who can open a file, so every secret in it will be marked must-rotate\n",
    );
    if args.apply.dry_run {
        if args.apply.json {
            print_json(
                out,
                &serde_json::json!({"dry_run": true, "env": plan.env, "added": plan.added, "removed": plan.removed, "changed": plan.changed, "sealed_to": plan.sealed_to, "claimed": plan.claimed, "must_rotate": plan.marked}),
            )?;
        } else {
            writeln!(out, "Plan (dry run, nothing changed):\n{text}").map_err(stdout_error)?;
        }
        return Ok(Outcome::Success);
    }
    eprint!("Plan:\n{text}");
    if !args.apply.yes {
        crate::cli::input::confirm()?;
    }
    let env = plan.env.clone();
    let marked = plan.marked.clone();
    vault.apply_accept(plan)?;
    if args.apply.json {
        print_json(
            out,
            &serde_json::json!({"accepted": env, "must_rotate": marked}),
        )?;
    } else {
        writeln!(out, "accepted secrets/{env}.age").map_err(stdout_error)?;
    }
    Ok(Outcome::Success)
}
